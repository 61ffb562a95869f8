"""What a table cell says about a model object: pure functions, shared by the
column lists (`columns.py`) and the details sheets."""

from __future__ import annotations

import time

from ..backend.model import ActionRecord, ConnState, Event, Guest, Host, HostStats, Network, Pool
from ..backend.stats import GuestStats
from . import cells
from .cells import Cell

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
    return cells.shared(label, sort_key=label, style=GUEST_STATE_STYLES.get(label, GUEST_STATE_STYLES.get(guest.state, "")))


def guest_memory(guest: Guest, stats: GuestStats | None) -> Cell:
    configured = guest.memory_kib * 1024 if guest.sized else None
    if stats is None or stats.memory_used is None:
        # What it was given, not what it uses: no figure to sort by.
        return cells.sorts_last(cells.size(configured, style="" if guest.state == "running" else "dim"))
    used, total = stats.memory_used, stats.memory_total or configured or 0
    if stats.memory_kind == "used":
        text = f"{cells.size_text(used)} / {cells.size_text(total)}"
    elif stats.memory_kind == "rss":
        text = f"{cells.size_text(used)} rss"
    else:
        text = f"{cells.size_text(used)} alloc"
    fraction = used / total if total else 0
    style = "bold red" if stats.memory_kind == "used" and fraction >= 0.95 else ""
    return cells.shared(text, sort_key=used, style=style, justify="right")


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


def guest_name(guest: Guest, marked: bool = False) -> Cell:
    if marked:
        return Cell(f"● {guest.name}", sort_key=guest.name.casefold(), style="bold")
    return Cell(guest.name)


def frozen(cell: Cell) -> Cell:
    """The same figure, dimmed: stats are paused, so it is the last one taken."""
    text, style, justify = cell.signature
    if "dim" in style.split():
        return cell
    rank, key = cell.sort_key
    return cells.shared(text, key, f"{style} dim".lstrip(), justify, last=rank == cells.NO_FIGURE)


def network_mode(net: Network) -> str:
    return _MODE_LABELS.get(net.mode, net.mode)


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
        return cells.shared(available_text(pool), style="yellow", justify="right", last=True)
    return cells.size(pool.available)


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
    return cells.shared(text, sort_key=value, style=style, justify="right")


def host_memory(host: Host, stats: HostStats | None) -> Cell:
    total = host.memory_kib * 1024 if host.memory_kib else None
    if stats is None or stats.memory_total is None or stats.memory_free is None:
        # Free memory unknown (not read yet, or the host does not say): the total is no figure of use.
        total = stats.memory_total if stats is not None and stats.memory_total else total
        text = f"unknown / {cells.size_text(total)}" if total else "unknown"
        return cells.shared(text, style="dim", justify="right", last=True)
    used = stats.memory_total - stats.memory_free - (stats.memory_cached or 0) - (stats.memory_buffers or 0)
    return Cell(f"{cells.size_text(used)} / {cells.size_text(stats.memory_total)}", sort_key=used, justify="right")


def host_name(host: Host) -> str:
    name = f"{host.name} (demo)" if host.demo and host.name != "demo" else host.name
    return name + (" [ro]" if host.read_only else "")


def host_uri(host: Host) -> str:
    return "built-in demo node (libvirt test driver)" if host.demo else host.uri


def host_state(host: Host, now: float | None = None) -> Cell:
    style = HOST_STATE_STYLES.get(host.state, "")
    if host.state == ConnState.CONNECTED and host.unresponsive_since is not None:
        style = "bold yellow"
    return Cell(host_state_text(host, now), sort_key=host.state.value, style=style)


def hypervisor_text(host: Host) -> str | None:
    if not host.hypervisor:
        return None
    return f"{host.hypervisor} {host.hypervisor_version or ''}".strip()


ACTION_KIND = "virtdeck"  # the Kind of an action virtdeck took, in the Events view


def action_event(record: ActionRecord) -> Event:
    """An action from virtdeck's log as a row of the Events view."""
    how = f"failed: {record.outcome}" if record.failed else record.outcome
    return Event(record.conn_id or record.host, ACTION_KIND, f"{record.kind} {record.name}",
                 f"{ACTION_KIND}: {record.what} — {how}", at=record.at)


def event_style(event: Event) -> str:
    """An error, a crash or a lost connection stands out in the event log."""
    if event.kind == ACTION_KIND:  # virtdeck's own action: red only when it failed
        return "bold red" if event.detail.startswith(f"{ACTION_KIND}: ") and " failed: " in event.detail else ""
    return "bold red" if event.kind == "error" or "crash" in event.detail or "lost" in event.detail else ""
