"""Model objects -> table rows. Pure functions, one per table."""

from __future__ import annotations

import time

from ..backend.model import ConnState, Guest, Host, Network, Pool, Volume
from ..backend.host_facts import ksm_saved_bytes
from ..backend.model import HostStats
from ..backend.overcommit import HostLoad, Thresholds
from ..backend.stats import GuestStats
from . import cells
from .cells import Cell

Column = tuple[str, str]  # (key, label)

GUEST_STATE_STYLES = {
    "running": "green",
    "paused": "yellow",
    "blocked": "yellow",
    "crashed": "bold red",
    "shutting down": "yellow",
    "suspended": "cyan",
    "shut off": "dim",
    "saved": "cyan",
}

HOST_STATE_STYLES = {
    ConnState.CONNECTED: "green",
    ConnState.CONNECTING: "cyan",
    ConnState.RETRYING: "yellow",
    ConnState.LOST: "bold red",
    ConnState.FAILED: "bold red",
    ConnState.CLOSED: "dim",
}

GUEST_COLUMNS: list[Column] = [
    ("name", "Name"),
    ("host", "Host"),
    ("state", "State"),
    ("cpu", "CPU %"),
    ("vcpus", "vCPUs"),
    ("memory", "Memory"),
    ("disk", "Disk R/W /s"),
    ("net", "Net RX/TX /s"),
    ("ip", "IP"),
    ("autostart", "Autostart"),
    ("persistent", "Persistent"),
]

NETWORK_COLUMNS: list[Column] = [
    ("name", "Name"),
    ("host", "Host"),
    ("active", "State"),
    ("mode", "Mode"),
    ("bridge", "Bridge"),
    ("forward", "Forward device"),
    ("subnet", "IPv4 subnet"),
    ("subnet6", "IPv6 subnet"),
    ("dhcp", "DHCP range"),
    ("autostart", "Autostart"),
    ("persistent", "Persistent"),
]

POOL_COLUMNS: list[Column] = [
    ("name", "Name"),
    ("host", "Host"),
    ("type", "Type"),
    ("state", "State"),
    ("capacity", "Capacity"),
    ("allocation", "Allocation"),
    ("available", "Available"),
    ("used", "Used"),
    ("provisioned", "Provisioned"),
    ("autostart", "Autostart"),
]

VOLUME_COLUMNS: list[Column] = [
    ("name", "Name"),
    ("format", "Format"),
    ("capacity", "Capacity"),
    ("allocation", "Allocation"),
    ("path", "Path"),
]

HOST_COLUMNS: list[Column] = [
    ("name", "Name"),
    ("uri", "URI"),
    ("state", "State"),
    ("hostname", "Hostname"),
    ("hypervisor", "Hypervisor"),
    ("libvirt", "libvirt"),
    ("cpu", "CPU"),
    ("cpus", "CPUs"),
    ("cpu_pct", "CPU %"),
    ("memory", "Memory used"),
    ("guests", "Guests run/all"),
    ("vcpu_ratio", "vCPU:CPU"),
    ("mem_ratio", "Mem commit"),
    ("ksm", "KSM saved"),
]

# Columns of figures, in the order `o` reaches them after the first column: the
# figures a user sorts by most come first. They sort highest first, as in top.
FIGURE_COLUMNS: tuple[str, ...] = (
    "cpu", "cpu_pct", "memory", "disk", "net", "used", "allocation", "capacity", "available",
    "provisioned", "vcpus", "cpus", "guests", "vcpu_ratio", "mem_ratio", "ksm",
)


def sorts_highest_first(key: str) -> bool:
    """Figures start highest first, as in top; events newest first; the rest A to Z."""
    return key in FIGURE_COLUMNS or key == "time"


def sort_cycle(columns: list[Column]) -> list[str]:
    """The order `o` steps through a table's columns: the first one, its figures, the rest."""
    keys = [key for key, _ in columns]
    figures = [key for key in FIGURE_COLUMNS if key in keys[1:]]
    return [keys[0], *figures, *(key for key in keys[1:] if key not in figures)]


EVENT_COLUMNS: list[Column] = [
    ("time", "Time"),
    ("host", "Host"),
    ("kind", "Kind"),
    ("subject", "Object"),
    ("detail", "What happened"),
]

_MODE_LABELS = {
    "nat": "NAT",
    "routed": "routed",
    "isolated": "isolated",
    "open": "open",
    "bridge": "bridge",
    "macvtap": "macvtap",
    "hostdev": "hostdev",
}


def guest_state(guest: Guest) -> Cell:
    label = guest.state
    if guest.managed_save and guest.state == "shut off":
        label = "saved"
    elif guest.state == "paused" and guest.reason not in ("user", "unknown", ""):
        label = f"paused ({guest.reason})"
    elif guest.state == "crashed":
        label = f"crashed ({guest.reason})" if guest.reason not in ("unknown", "") else "crashed"
    return Cell(label, sort_key=label, style=GUEST_STATE_STYLES.get(label, GUEST_STATE_STYLES.get(guest.state, "")))


def guest_memory(guest: Guest, stats: GuestStats | None) -> Cell:
    configured = guest.memory_kib * 1024
    if stats is None or stats.memory_used is None:
        # What it was given, not what it uses: no figure to sort by.
        return cells.sorts_last(cells.size(configured, style="" if guest.state == "running" else "dim"))
    used, total = stats.memory_used, stats.memory_total or configured
    if stats.memory_kind == "used":
        text = f"{cells.size_text(used)} / {cells.size_text(total)}"
    elif stats.memory_kind == "rss":
        text = f"{cells.size_text(used)} rss"
    else:
        text = f"{cells.size_text(used)} alloc"
    fraction = used / total if total else 0
    style = "bold red" if stats.memory_kind == "used" and fraction >= 0.95 else ""
    return Cell(text, sort_key=used, style=style, justify="right")


def address_text(address: str, sources: tuple[str, ...]) -> str:
    """``192.168.122.10 (lease, agent)``: an address and the sources that know it."""
    return f"{address} ({', '.join(sources)})" if sources else address


def addresses(found: tuple[tuple[str, tuple[str, ...]], ...]) -> Cell:
    """The first address with its sources, and how many more there are."""
    if not found:
        return cells.missing()
    text = address_text(*found[0])
    if len(found) > 1:
        text += f" +{len(found) - 1}"
    return Cell(text, sort_key=found[0][0])


GUEST_LIVE_COLUMNS = (3, 5, 6, 7)  # cpu, memory, disk, net: what a stats tick changes


def guest_static_cells(
    guest: Guest, host_name: str, ips: tuple[str, ...] = (), marked: bool = False
) -> tuple[Cell, ...]:
    """The cells a stats tick does not touch, in GUEST_COLUMNS order minus the live ones."""
    return (
        Cell(f"● {guest.name}", sort_key=guest.name.casefold(), style="bold") if marked else Cell(guest.name),
        Cell(host_name),
        guest_state(guest),
        cells.number(guest.vcpus),
        addresses(ips),
        cells.flag(guest.autostart),
        cells.flag(guest.persistent, no="transient"),
    )


def frozen(cell: Cell) -> Cell:
    """The same figure, dimmed: stats are paused, so it is the last one taken."""
    text, style, justify = cell.signature
    if "dim" in style.split():
        return cell
    copy = Cell(text, style=f"{style} dim".lstrip(), justify=justify)
    copy.sort_key = cell.sort_key
    return copy


def guest_live_cells(guest: Guest, stats: GuestStats | None, paused: bool = False) -> tuple[Cell, ...]:
    if stats is None:
        missing = cells.missing()
        return (missing, guest_memory(guest, None), missing, missing)
    live = (
        cells.cpu(stats.cpu_percent, stats.vcpus or guest.vcpus),
        guest_memory(guest, stats),
        cells.pair(stats.disk_read_bps, stats.disk_write_bps),
        cells.pair(stats.net_rx_bps, stats.net_tx_bps),
    )
    return tuple(frozen(cell) for cell in live) if paused else live


def merge_guest_cells(static: tuple[Cell, ...], live: tuple[Cell, ...]) -> tuple[Cell, ...]:
    name, host, state, vcpus, ips, autostart, persistent = static
    cpu, memory, disk, net = live
    return (name, host, state, cpu, vcpus, memory, disk, net, ips, autostart, persistent)


def guest_row(
    guest: Guest, host_name: str, stats: GuestStats | None = None, ips: tuple[str, ...] = (), paused: bool = False
) -> tuple[Cell, ...]:
    return merge_guest_cells(guest_static_cells(guest, host_name, ips), guest_live_cells(guest, stats, paused))


def network_row(net: Network, host_name: str) -> tuple[Cell, ...]:
    return (
        Cell(net.name),
        Cell(host_name),
        cells.flag(net.active, "active", "inactive"),
        Cell(_MODE_LABELS.get(net.mode, net.mode)),
        cells.text(net.bridge),
        cells.text(net.forward_dev.replace(",", ", ") if net.forward_dev else None),
        cells.text(net.ipv4_subnet),
        cells.text(net.ipv6_subnet),
        cells.text(net.dhcp_range),
        cells.flag(net.autostart),
        cells.flag(net.persistent, no="transient"),
    )


def pool_row(
    pool: Pool, host_name: str, provisioned: float | None = None, thresholds: Thresholds = Thresholds()
) -> tuple[Cell, ...]:
    active = pool.state == "active"
    return (
        Cell(pool.name),
        Cell(host_name),
        Cell(pool.type),
        Cell(pool.state, style="green" if active else "dim"),
        cells.size(pool.capacity) if active else cells.missing(),
        cells.size(pool.allocation) if active else cells.missing(),
        pool_available(pool) if active else cells.missing(),
        cells.percent(pool.used_fraction, warn=thresholds.pool_used * 0.9, alarm=thresholds.pool_used)
        if active else cells.missing(),
        ratio(provisioned, thresholds.pool_provisioned, percent=True) if active else cells.missing(),
        cells.flag(pool.autostart),
    )


def available_is_underflow(pool: Pool) -> bool:
    """libvirt computes available as capacity - allocation in unsigned 64 bits: a pool whose
    volumes allocate more than its capacity reports about 16 EiB free."""
    return pool.available >= 2**63 or (pool.capacity > 0 and pool.available > pool.capacity)


def available_text(pool: Pool) -> str:
    if available_is_underflow(pool):
        return f"unknown (libvirt reported {cells.size_text(pool.available)})"
    return cells.size_text(pool.available)


def pool_available(pool: Pool) -> Cell:
    if available_is_underflow(pool):
        return cells.sorts_last(Cell(available_text(pool), style="yellow", justify="right"))
    return cells.size(pool.available)


def volume_row(volume: Volume) -> tuple[Cell, ...]:
    return (
        Cell(volume.name),
        cells.text(volume.format),
        cells.size(volume.capacity),
        cells.size(volume.allocation),
        cells.text(volume.path),
    )


def host_state_text(host: Host, now: float | None = None) -> str:
    now = time.time() if now is None else now
    label = host.state.value
    if host.state == ConnState.CONNECTED and host.unresponsive_since is not None:
        label = f"not responding {now - host.unresponsive_since:.0f} s"
    elif host.state in (ConnState.RETRYING, ConnState.LOST) and host.next_retry is not None:
        wait = max(host.next_retry - now, 0)
        label = f"{label} (try {host.attempts + 1} in {wait:.0f} s)" if wait >= 1 else f"{label} (try {host.attempts + 1})"
    if host.last_error and host.state != ConnState.CONNECTED:
        label = f"{label}: {host.last_error}"
    return label


def ratio(value: float | None, warn: float, percent: bool = False) -> Cell:
    if value is None:
        return cells.missing()
    style = "bold red" if value > warn else "yellow" if value > warn * 0.8 else ""
    text = f"{value * 100:.0f}%" if percent else f"{value:.2f}"
    return Cell(text, sort_key=value, style=style, justify="right")


def host_memory(host: Host, stats: HostStats | None) -> Cell:
    total = host.memory_kib * 1024 if host.memory_kib else None
    if stats is None or stats.memory_total is None or stats.memory_free is None:
        # Free memory unknown (not read yet, or the host does not say): the total is no figure of use.
        total = stats.memory_total if stats is not None and stats.memory_total else total
        text = f"unknown / {cells.size_text(total)}" if total else "unknown"
        return cells.sorts_last(Cell(text, style="dim", justify="right"))
    used = stats.memory_total - stats.memory_free - (stats.memory_cached or 0) - (stats.memory_buffers or 0)
    return Cell(f"{cells.size_text(used)} / {cells.size_text(stats.memory_total)}", sort_key=used, justify="right")


def host_row(
    host: Host,
    load: HostLoad | int,
    now: float | None = None,
    stats: HostStats | None = None,
    thresholds: Thresholds = Thresholds(),
    paused: bool = False,
) -> tuple[Cell, ...]:
    """`paused`: stats are paused, the host's figures are the last ones taken."""
    if isinstance(load, int):
        load = HostLoad(load, {}, 0, 0, None, None)
    style = HOST_STATE_STYLES.get(host.state, "")
    if host.state == ConnState.CONNECTED and host.unresponsive_since is not None:
        style = "bold yellow"
    hypervisor = None
    if host.hypervisor:
        hypervisor = f"{host.hypervisor} {host.hypervisor_version or ''}".strip()
    name = f"{host.name} (demo)" if host.demo and host.name != "demo" else host.name
    name += " [ro]" if host.read_only else ""
    uri = "built-in demo node (libvirt test driver)" if host.demo else host.uri
    live = frozen if paused else _as_is
    return (
        Cell(name),
        Cell(uri),
        Cell(host_state_text(host, now), sort_key=host.state.value, style=style),
        cells.text(host.hostname),
        cells.text(hypervisor),
        cells.text(host.libvirt_version),
        cells.text(host.cpu_model),
        cells.number(host.cpus),
        live(cells.cpu(stats.cpu_percent, None) if stats is not None else cells.missing()),
        live(host_memory(host, stats)),
        Cell(f"{load.by_state.get('running', 0)}/{load.guests}", sort_key=load.guests, justify="right"),
        ratio(load.vcpu_ratio, thresholds.vcpu_ratio),
        ratio(load.memory_ratio, thresholds.memory_ratio, percent=True),
        live(cells.size(ksm_saved_bytes(stats.ksm)) if stats is not None and stats.ksm else cells.missing()),
    )


def _as_is(cell: Cell) -> Cell:
    return cell
