"""Every table's columns as data, one list per view, and the rows built from them.

A `Column` says what its header reads, how a row's inputs become its cell, how
it sorts and whether a stats tick changes it. The table, the sort keys `o` and
the palette offer, the live set a stats tick redraws and the tests all read
these lists: a new column is one entry in its view's list.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Generic, NamedTuple, TypeVar

from ..backend.host_facts import ksm_saved_bytes
from ..backend.model import Event, Guest, Host, HostStats, Network, Pool, Volume
from ..backend.overcommit import HostLoad, Thresholds
from ..backend.stats import GuestStats
from ..backend.triage import SEVERITY_NAMES, Problem
from . import cells
from .cells import Cell
from . import raw_values as raw
from .rows import (
    addresses,
    available_is_underflow,
    event_style,
    frozen,
    guest_memory,
    guest_name,
    guest_state,
    host_memory,
    host_name,
    host_state,
    host_uri,
    hypervisor_text,
    network_mode,
    pool_available,
    ratio,
)

R = TypeVar("R")


@dataclass(frozen=True)
class Column(Generic[R]):
    id: str
    header: str
    cell: Callable[[R], Cell]  # the row's inputs -> what this column shows
    # A figure sorts highest first, as in top; `o` reaches a view's figures
    # right after its first column, in the order of this number.
    figure: int | None = None
    newest_first: bool = False  # a time: sorts newest first, but `o` reaches it as text
    live: bool = False  # a stats tick changes it: a tick rebuilds only these cells of a row
    # The row's inputs -> what an export holds for this column: the figure itself (bytes,
    # bytes/s, a percentage as a number), the word, the name as libvirt has it; None where the
    # cell shows nothing; several values as a tuple (see render/export.py).
    raw: Callable[[R], Any] | None = None

    @property
    def highest_first(self) -> bool:
        return self.figure is not None or self.newest_first


def ids(columns: Iterable[Column]) -> list[str]:
    return [column.id for column in columns]


def by_id(columns: Iterable[Column], row_cells: Iterable[Cell]) -> dict[str, Cell]:
    """A row's cells by column id."""
    return dict(zip(ids(columns), row_cells))


def live_ids(columns: Iterable[Column]) -> frozenset[str]:
    """The columns a stats tick changes."""
    return frozenset(column.id for column in columns if column.live)


def sort_cycle(columns: list[Column]) -> list[str]:
    """The order `o` steps through a table's columns: the first one, its figures, the rest."""
    rest = columns[1:]
    figures = sorted((column for column in rest if column.figure is not None), key=lambda column: column.figure)
    return [columns[0].id, *ids(figures), *(column.id for column in rest if column.figure is None)]


def row(columns: list[Column[R]], inputs: R, paused: bool = False) -> tuple[Cell, ...]:
    """One cell per column; `paused`: stats are paused, the live figures are the last ones taken."""
    if paused:
        return tuple([frozen(column.cell(inputs)) if column.live else column.cell(inputs) for column in columns])
    return tuple([column.cell(inputs) for column in columns])


def _missing_without_stats(cell: Callable[[Any], Cell]) -> Callable[[Any], Cell]:
    return lambda inputs: cells.missing() if inputs.stats is None else cell(inputs)


# -- guests ------------------------------------------------------------------


class GuestRow(NamedTuple):
    guest: Guest
    host_name: str
    stats: GuestStats | None = None
    ips: tuple = ()  # ((address, sources), ...)
    marked: bool = False


GUEST_COLUMNS: list[Column[GuestRow]] = [
    Column("name", "Name", lambda r: guest_name(r.guest, r.marked), raw=lambda r: r.guest.name),
    Column("host", "Host", lambda r: cells.shared(r.host_name), raw=lambda r: r.host_name),
    Column("state", "State", lambda r: guest_state(r.guest), raw=lambda r: guest_state(r.guest).plain),
    Column("cpu", "CPU %", _missing_without_stats(
        lambda r: cells.cpu(r.stats.cpu_percent, r.stats.vcpus or r.guest.vcpus)), figure=1, live=True,
        raw=lambda r: raw.number(r.stats and r.stats.cpu_percent)),
    Column("vcpus", "vCPUs", lambda r: cells.number(r.guest.vcpus if r.guest.sized else None), figure=5,
           raw=lambda r: r.guest.vcpus if r.guest.sized else None),
    Column("memory", "Memory", lambda r: guest_memory(r.guest, r.stats), figure=2, live=True,
           raw=lambda r: raw.guest_memory(r.guest, r.stats)),
    Column("disk", "Disk R/W /s", _missing_without_stats(
        lambda r: cells.pair(r.stats.disk_read_bps, r.stats.disk_write_bps)), figure=3, live=True,
        raw=lambda r: raw.rates(r.stats, "disk_read_bps", "disk_write_bps")),
    Column("net", "Net RX/TX /s", _missing_without_stats(
        lambda r: cells.pair(r.stats.net_rx_bps, r.stats.net_tx_bps)), figure=4, live=True,
        raw=lambda r: raw.rates(r.stats, "net_rx_bps", "net_tx_bps")),
    Column("ip", "IP", lambda r: addresses(r.ips), raw=lambda r: tuple(address for address, _ in r.ips)),
    Column("autostart", "Autostart", lambda r: cells.flag(r.guest.autostart), raw=lambda r: r.guest.autostart),
    Column("persistent", "Persistent", lambda r: cells.flag(r.guest.persistent, no="transient"),
           raw=lambda r: r.guest.persistent),
]

# A stats tick rebuilds only the live cells of a guest row: the others are
# built once per guest, host name, addresses and mark, and merged in.
_GUEST_STATIC = [column for column in GUEST_COLUMNS if not column.live]
_GUEST_LIVE = [column for column in GUEST_COLUMNS if column.live]
_GUEST_MERGE = itemgetter(*(
    len(_GUEST_STATIC) + _GUEST_LIVE.index(column) if column.live else _GUEST_STATIC.index(column)
    for column in GUEST_COLUMNS
))


def guest_static_cells(guest: Guest, host_name: str, ips: tuple = (), marked: bool = False) -> tuple[Cell, ...]:
    """The cells a stats tick does not touch."""
    inputs = GuestRow(guest, host_name, None, ips, marked)
    return tuple([column.cell(inputs) for column in _GUEST_STATIC])


def guest_live_cells(guest: Guest, stats: GuestStats | None, paused: bool = False) -> tuple[Cell, ...]:
    """The cells a stats tick changes; without stats there is no last figure to dim."""
    return row(_GUEST_LIVE, GuestRow(guest, "", stats), paused and stats is not None)


def merge_guest_cells(static: tuple[Cell, ...], live: tuple[Cell, ...]) -> tuple[Cell, ...]:
    """The static and the live cells, in GUEST_COLUMNS order."""
    return _GUEST_MERGE(static + live)


def guest_row(
    guest: Guest, host_name: str, stats: GuestStats | None = None, ips: tuple = (), paused: bool = False
) -> tuple[Cell, ...]:
    return row(GUEST_COLUMNS, GuestRow(guest, host_name, stats, ips), paused and stats is not None)


# -- networks ----------------------------------------------------------------


class NetworkRow(NamedTuple):
    net: Network
    host_name: str


NETWORK_COLUMNS: list[Column[NetworkRow]] = [
    Column("name", "Name", lambda r: Cell(r.net.name), raw=lambda r: r.net.name),
    Column("host", "Host", lambda r: cells.shared(r.host_name), raw=lambda r: r.host_name),
    Column("active", "State", lambda r: cells.flag(r.net.active, "active", "inactive"),
           raw=lambda r: "active" if r.net.active else "inactive"),
    Column("mode", "Mode", lambda r: Cell(network_mode(r.net)), raw=lambda r: r.net.mode),
    Column("bridge", "Bridge", lambda r: cells.text(r.net.bridge), raw=lambda r: r.net.bridge or None),
    Column("forward", "Forward device",
           lambda r: cells.text(r.net.forward_dev.replace(",", ", ") if r.net.forward_dev else None),
           raw=lambda r: tuple(r.net.forward_dev.split(",")) if r.net.forward_dev else None),
    Column("subnet", "IPv4 subnet", lambda r: cells.text(r.net.ipv4_subnet), raw=lambda r: r.net.ipv4_subnet or None),
    Column("subnet6", "IPv6 subnet", lambda r: cells.text(r.net.ipv6_subnet),
           raw=lambda r: r.net.ipv6_subnet or None),
    Column("dhcp", "DHCP range", lambda r: cells.text(r.net.dhcp_range), raw=lambda r: r.net.dhcp_range or None),
    Column("autostart", "Autostart", lambda r: cells.flag(r.net.autostart), raw=lambda r: r.net.autostart),
    Column("persistent", "Persistent", lambda r: cells.flag(r.net.persistent, no="transient"),
           raw=lambda r: r.net.persistent),
]


def network_row(net: Network, host_name: str) -> tuple[Cell, ...]:
    return row(NETWORK_COLUMNS, NetworkRow(net, host_name))


# -- storage pools and volumes -------------------------------------------------


class PoolRow(NamedTuple):
    pool: Pool
    host_name: str
    provisioned: float | None = None
    thresholds: Thresholds = Thresholds()


def _when_active(cell: Callable[[PoolRow], Cell]) -> Callable[[PoolRow], Cell]:
    """An inactive pool reports no figures."""
    return lambda r: cell(r) if r.pool.state == "active" else cells.missing()


POOL_COLUMNS: list[Column[PoolRow]] = [
    Column("name", "Name", lambda r: Cell(r.pool.name), raw=lambda r: r.pool.name),
    Column("host", "Host", lambda r: cells.shared(r.host_name), raw=lambda r: r.host_name),
    Column("type", "Type", lambda r: Cell(r.pool.type), raw=lambda r: r.pool.type),
    Column("state", "State", lambda r: Cell(r.pool.state, style="green" if r.pool.state == "active" else "dim"),
           raw=lambda r: r.pool.state),
    Column("capacity", "Capacity", _when_active(lambda r: cells.size(r.pool.capacity)), figure=3,
           raw=raw.when_active(lambda r: r.pool.capacity)),
    Column("allocation", "Allocation", _when_active(lambda r: cells.size(r.pool.allocation)), figure=2,
           raw=raw.when_active(lambda r: r.pool.allocation)),
    Column("available", "Available", _when_active(lambda r: pool_available(r.pool)), figure=4,
           raw=raw.when_active(lambda r: None if available_is_underflow(r.pool) else r.pool.available)),
    Column("used", "Used", _when_active(lambda r: cells.percent(
        r.pool.used_fraction, warn=r.thresholds.pool_used * 0.9, alarm=r.thresholds.pool_used)), figure=1,
        raw=raw.when_active(lambda r: raw.percent(r.pool.used_fraction))),
    Column("provisioned", "Provisioned",
           _when_active(lambda r: ratio(r.provisioned, r.thresholds.pool_provisioned, percent=True)), figure=5,
           raw=raw.when_active(lambda r: raw.percent(r.provisioned))),
    Column("autostart", "Autostart", lambda r: cells.flag(r.pool.autostart), raw=lambda r: r.pool.autostart),
]


def pool_row(
    pool: Pool, host_name: str, provisioned: float | None = None, thresholds: Thresholds = Thresholds()
) -> tuple[Cell, ...]:
    return row(POOL_COLUMNS, PoolRow(pool, host_name, provisioned, thresholds))


VOLUME_COLUMNS: list[Column[Volume]] = [
    Column("name", "Name", lambda v: Cell(v.name), raw=lambda v: v.name),
    Column("format", "Format", lambda v: cells.text(v.format), raw=lambda v: v.format or None),
    Column("capacity", "Capacity", lambda v: cells.size(v.capacity), figure=2, raw=lambda v: v.capacity),
    Column("allocation", "Allocation", lambda v: cells.size(v.allocation), figure=1, raw=lambda v: v.allocation),
    Column("path", "Path", lambda v: cells.text(v.path), raw=lambda v: v.path or None),
]


def volume_row(volume: Volume) -> tuple[Cell, ...]:
    return row(VOLUME_COLUMNS, volume)


# -- hosts ---------------------------------------------------------------------


class HostRow(NamedTuple):
    host: Host
    load: HostLoad
    now: float | None = None
    stats: HostStats | None = None
    thresholds: Thresholds = Thresholds()


HOST_COLUMNS: list[Column[HostRow]] = [
    Column("name", "Name", lambda r: Cell(host_name(r.host)), raw=lambda r: r.host.name),
    Column("uri", "URI", lambda r: Cell(host_uri(r.host)), raw=lambda r: r.host.uri),
    Column("state", "State", lambda r: host_state(r.host, r.now), raw=lambda r: r.host.state.value),
    Column("hostname", "Hostname", lambda r: cells.text(r.host.hostname), raw=lambda r: r.host.hostname or None),
    Column("hypervisor", "Hypervisor", lambda r: cells.text(hypervisor_text(r.host)),
           raw=lambda r: hypervisor_text(r.host)),
    Column("libvirt", "libvirt", lambda r: cells.text(r.host.libvirt_version),
           raw=lambda r: r.host.libvirt_version or None),
    Column("cpu", "CPU", lambda r: cells.text(r.host.cpu_model),  # the model's name: A to Z
           raw=lambda r: r.host.cpu_model or None),
    Column("cpus", "CPUs", lambda r: cells.number(r.host.cpus), figure=4, raw=lambda r: r.host.cpus),
    Column("cpu_pct", "CPU %", _missing_without_stats(lambda r: cells.cpu(r.stats.cpu_percent, None)),
           figure=2, live=True, raw=lambda r: raw.number(r.stats and r.stats.cpu_percent)),
    Column("memory", "Memory used", lambda r: host_memory(r.host, r.stats), figure=3, live=True,
           raw=lambda r: raw.host_memory_used(r.stats)),
    Column("guests", "Guests run/all", lambda r: Cell(
        f"{r.load.by_state.get('running', 0)}/{r.load.guests}", sort_key=r.load.guests, justify="right"), figure=5,
        raw=lambda r: (r.load.by_state.get("running", 0), r.load.guests)),
    Column("vcpu_ratio", "vCPU:CPU", lambda r: ratio(r.load.vcpu_ratio, r.thresholds.vcpu_ratio), figure=6,
           raw=lambda r: raw.number(r.load.vcpu_ratio)),
    Column("mem_ratio", "Mem commit",
           lambda r: ratio(r.load.memory_ratio, r.thresholds.memory_ratio, percent=True), figure=7,
           raw=lambda r: raw.percent(r.load.memory_ratio)),
    Column("ksm", "KSM saved", lambda r: cells.size(ksm_saved_bytes(r.stats.ksm))
           if r.stats is not None and r.stats.ksm else cells.missing(), figure=8, live=True,
           raw=lambda r: ksm_saved_bytes(r.stats.ksm) if r.stats is not None and r.stats.ksm else None),
]


def host_row(
    host: Host,
    load: HostLoad | int,
    now: float | None = None,
    stats: HostStats | None = None,
    thresholds: Thresholds = Thresholds(),
    paused: bool = False,
) -> tuple[Cell, ...]:
    """`load`: the host's guests (or just how many); `paused`: the figures are the last ones taken."""
    if isinstance(load, int):
        load = HostLoad(load, {}, 0, 0, None, None)
    return row(HOST_COLUMNS, HostRow(host, load, now, stats, thresholds), paused)


# -- events and problems ---------------------------------------------------------


class EventRow(NamedTuple):
    event: Event
    seq: int  # its place in the log: orders events of the same second
    host_name: str


EVENT_COLUMNS: list[Column[EventRow]] = [
    Column("time", "Time", lambda r: Cell(time.strftime("%H:%M:%S", time.localtime(r.event.at)),
                                          sort_key=(r.event.at, r.seq)), newest_first=True,
           raw=lambda r: raw.timestamp(r.event.at)),
    Column("host", "Host", lambda r: cells.shared(r.host_name), raw=lambda r: r.host_name),
    Column("kind", "Kind", lambda r: Cell(r.event.kind), raw=lambda r: r.event.kind),
    Column("subject", "Object", lambda r: Cell(r.event.subject), raw=lambda r: r.event.subject),
    Column("detail", "What happened", lambda r: Cell(r.event.detail, style=event_style(r.event)),
           raw=lambda r: r.event.detail),
]


def event_row(event: Event, seq: int, host_name: str) -> tuple[Cell, ...]:
    return row(EVENT_COLUMNS, EventRow(event, seq, host_name))


_SEVERITY_STYLES = {0: "bold red", 1: "yellow", 2: ""}

TRIAGE_COLUMNS: list[Column[Problem]] = [
    Column("severity", "Severity", lambda p: Cell(SEVERITY_NAMES[p.severity], sort_key=p.severity,
                                                  style=_SEVERITY_STYLES[p.severity]),
           raw=lambda p: SEVERITY_NAMES[p.severity]),
    Column("host", "Host", lambda p: Cell(p.host), raw=lambda p: p.host),
    Column("object", "Object", lambda p: Cell(p.subject), raw=lambda p: p.subject),
    Column("problem", "Problem", lambda p: Cell(p.text), raw=lambda p: p.text),
]


def triage_row(problem: Problem) -> tuple[Cell, ...]:
    return row(TRIAGE_COLUMNS, problem)


# Every view's list, for the tests that hold them all to the same rules.
VIEWS: dict[str, list[Column]] = {
    "guests": GUEST_COLUMNS,
    "networks": NETWORK_COLUMNS,
    "storage": POOL_COLUMNS,
    "volumes": VOLUME_COLUMNS,
    "hosts": HOST_COLUMNS,
    "events": EVENT_COLUMNS,
    "triage": TRIAGE_COLUMNS,
}
