"""Immutable snapshots of what libvirt reports: what the UI renders.

Everything here is built on a connection's worker thread and handed to the UI
as is; nothing holds a libvirt object.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .xml.host_topology import Topology


class ConnState(enum.StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    LOST = "lost"
    RETRYING = "retrying"
    FAILED = "failed"
    CLOSED = "closed"


class ConsoleState(enum.StrEnum):
    """Where a serial console session (backend/console.py) stands."""

    OPENING = "opening"
    CHOOSE = "choose"  # several consoles: the UI picks one
    OPEN = "open"
    BUSY = "busy"  # another client holds it; a forced open takes it over
    CLOSED = "closed"  # ended: guest stopped, host lost, taken over, closed by us
    FAILED = "failed"  # could not open


class DisplayState(enum.StrEnum):
    """Where a graphical console session (backend/display.py) stands."""

    OPENING = "opening"
    OPEN = "open"
    PASSWORD = "password"  # the display wants a password we do not have (or ours was refused)
    CLOSED = "closed"  # ended: guest stopped, host lost, display closed, closed by us
    FAILED = "failed"  # could not open


Rect = tuple[int, int, int, int]  # x, y, width, height in framebuffer pixels


@dataclass(frozen=True)
class Frame:
    """One picture of a guest's screen (graphical console): `pixels` holds 4 bytes a pixel,
    R G B and one unused, row after row (`width * 4` bytes a row). `damage` is what changed
    since the frame before it (the whole frame after a size change); `serial` counts frames."""

    width: int
    height: int
    pixels: bytes
    damage: tuple[Rect, ...]
    serial: int = 0


@dataclass(frozen=True)
class Host:
    conn_id: str
    uri: str
    name: str
    state: ConnState
    last_error: str | None = None
    read_only: bool = False
    demo: bool = False
    hostname: str | None = None
    hypervisor: str | None = None
    hypervisor_version: str | None = None
    libvirt_version: str | None = None
    arch: str | None = None
    cpu_model: str | None = None
    cpus: int | None = None
    memory_kib: int | None = None
    cpu_mhz: int | None = None
    numa_nodes: int | None = None
    sockets: int | None = None
    cores: int | None = None
    threads: int | None = None
    attempts: int = 0
    next_retry: float | None = None
    unresponsive_since: float | None = None
    changed_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Guest:
    conn_id: str
    uuid: str
    name: str
    state: str
    reason: str = ""
    id: int | None = None
    vcpus: int = 0
    memory_kib: int = 0
    max_memory_kib: int = 0
    autostart: bool = False
    persistent: bool = True
    managed_save: bool = False
    sized: bool = True  # False until vCPUs and memory are read (bulk stats without them: test driver)

    @property
    def key(self) -> tuple[str, str]:
        return (self.conn_id, self.uuid)


@dataclass(frozen=True)
class Network:
    conn_id: str
    uuid: str
    name: str
    active: bool
    mode: str
    bridge: str | None = None
    ipv4_subnet: str | None = None
    dhcp_range: str | None = None
    autostart: bool = False
    persistent: bool = True
    forward_dev: str | None = None  # host devices <forward> names, joined with ","
    ipv6_subnet: str | None = None
    details: Any = None  # xml.network.NetworkDetails: every subnet, static hosts, DNS domain, port groups

    @property
    def key(self) -> tuple[str, str]:
        return (self.conn_id, self.uuid)


@dataclass(frozen=True)
class Pool:
    conn_id: str
    uuid: str
    name: str
    type: str
    state: str
    capacity: int = 0
    allocation: int = 0
    available: int = 0
    autostart: bool = False
    persistent: bool = True
    target_path: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.conn_id, self.uuid)

    @property
    def used_fraction(self) -> float | None:
        if self.capacity <= 0:
            return None
        return self.allocation / self.capacity


@dataclass(frozen=True)
class Volume:
    conn_id: str
    pool_uuid: str
    key: str
    name: str
    format: str | None
    capacity: int
    allocation: int
    path: str | None


@dataclass(frozen=True)
class Event:
    """One thing that happened on a host, for the event log."""

    conn_id: str
    kind: str
    subject: str
    detail: str
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class HostStats:
    """What the host itself reports per tick, while the Hosts view wants it."""

    conn_id: str
    cpu_percent: float | None = None
    memory_total: int | None = None  # bytes
    memory_free: int | None = None
    memory_cached: int | None = None
    memory_buffers: int | None = None
    ksm: dict[str, int] | None = None  # shm_pages_shared, shm_pages_sharing, ...


@dataclass(frozen=True)
class VirtChecks:
    """virt-host-validate-like facts from (domain) capabilities."""

    hardware_virt: bool | None  # vmx/svm in the host CPU
    kvm_offered: bool | None  # a guest arch offers domain type kvm
    nested: bool | None  # host-model CPU passes vmx/svm on
    iommu: bool | None  # domain capabilities offer an IOMMU device
    domain_types: tuple[str, ...] = ()
    machines: tuple[str, ...] = ()
    topology: Topology | None = None  # NUMA cells, pages, CPUs (host_topology.read_topology)


# Updates a connection reports. The UI folds them into its inventory.


@dataclass(frozen=True)
class HostChanged:
    host: Host


@dataclass(frozen=True)
class HostRemoved:
    conn_id: str


@dataclass(frozen=True)
class InventorySynced:
    """A full resync of one connection: replaces everything it held."""

    conn_id: str
    guests: tuple[Guest, ...]
    networks: tuple[Network, ...]
    pools: tuple[Pool, ...]


@dataclass(frozen=True)
class GuestChanged:
    guest: Guest


@dataclass(frozen=True)
class GuestsSized:
    """vCPUs, memory and maximum memory (KiB) of some of a host's guests, read after its list."""

    conn_id: str
    sizes: Mapping[str, tuple[int, int, int]]  # uuid -> (vcpus, memory_kib, max_memory_kib)


@dataclass(frozen=True)
class GuestRemoved:
    conn_id: str
    uuid: str


@dataclass(frozen=True)
class NetworkChanged:
    network: Network


@dataclass(frozen=True)
class NetworkRemoved:
    conn_id: str
    uuid: str


@dataclass(frozen=True)
class PoolChanged:
    pool: Pool


@dataclass(frozen=True)
class PoolRemoved:
    conn_id: str
    uuid: str


@dataclass(frozen=True)
class VolumesListed:
    conn_id: str
    pool_uuid: str
    volumes: tuple[Volume, ...]


@dataclass(frozen=True)
class StatsSampled:
    """One tick of one connection: rates for every running guest."""

    conn_id: str
    stats: tuple  # GuestStats, from backend.stats
    calls: int  # libvirt calls this tick took
    fetch_seconds: float
    host: HostStats | None = None
    # Only these guests were asked for (those on screen): the others keep their figures,
    # and those of them without a record have stopped. None: every running guest.
    asked: frozenset[str] | None = None


@dataclass(frozen=True)
class GuestNicsRead:
    """MACs and sources of guests' interfaces, read from their XML."""

    conn_id: str
    nics: dict  # uuid -> tuple[InterfaceInfo, ...]
    full: bool = True  # replaces every guest of the connection, else only these
    consoles: dict = field(default_factory=dict)  # uuid -> has a serial/console device a stream can open


@dataclass(frozen=True)
class LeasesRead:
    conn_id: str
    addresses: dict  # mac -> tuple[str, ...] (IPv4/IPv6 addresses from DHCP leases)


@dataclass(frozen=True)
class GuestAddressesRead:
    """A guest's addresses by source, as its NICs tab read them (agent, ARP, leases): read
    when a user looks, never per guest per tick. `domain_id` ties them to one run of the guest."""

    conn_id: str
    uuid: str
    domain_id: int | None
    by_source: dict  # source label ("lease", "agent", "arp") -> mac -> tuple[str, ...]


@dataclass(frozen=True)
class HostFactsRead:
    conn_id: str
    checks: VirtChecks | None  # None: unchanged
    provisioned: dict  # pool uuid -> sum of its volumes' capacities (bytes)
    pools: tuple[str, ...] | None = None  # the pools read; None: every pool of the connection


@dataclass(frozen=True)
class AgentChanged:
    conn_id: str
    uuid: str
    connected: bool


@dataclass(frozen=True)
class EventHappened:
    event: Event


@dataclass(frozen=True)
class ActionFailed:
    conn_id: str
    action: str
    error: str


@dataclass(frozen=True)
class ActionRecord:
    """One thing virtdeck did, for the action log: when, on which host, to what, the command
    line that does the same (secrets redacted) and how it ended."""

    at: float
    host: str  # its name
    uri: str
    kind: str  # guest, network, pool, volume, snapshot ...
    name: str
    what: str  # a short phrase: "start", "delete volume"
    command: str  # shell lines, one a line
    outcome: str  # "ok", "started", or the error in libvirt's words
    failed: bool = False
    conn_id: str = ""


@dataclass(frozen=True)
class ActionLogged:
    record: ActionRecord


Update = (
    HostChanged
    | HostRemoved
    | InventorySynced
    | GuestChanged
    | GuestsSized
    | GuestRemoved
    | NetworkChanged
    | NetworkRemoved
    | PoolChanged
    | PoolRemoved
    | VolumesListed
    | EventHappened
    | ActionFailed
    | ActionLogged
    | StatsSampled
    | GuestNicsRead
    | LeasesRead
    | GuestAddressesRead
    | HostFactsRead
    | AgentChanged
)
