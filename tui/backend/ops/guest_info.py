"""What the guest detail tabs show: read on the connection's worker, returned as
plain dataclasses (disks with sizes and backing chains, NICs with addresses by
source, consoles and graphics, the guest agent), and fsfreeze / thaw."""

from __future__ import annotations

import dataclasses
import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import libvirt

from .. import test_driver
from ..errors import error_text
from ..xml import domain as dx
from .common import domain_of

_MAX_CHAIN = 16


def read_overview(conn: libvirt.virConnect, uuid: str) -> dx.Overview:
    dom = domain_of(conn, uuid)
    overview = dx.parse_overview(dom.XMLDesc(0))
    if dom.isActive() and dom.isPersistent():  # the boot order of the next boot, not of this run
        overview = dataclasses.replace(overview, boot=read_boot(conn, uuid))
    return overview


def read_boot(conn: libvirt.virConnect, uuid: str) -> dx.BootPlan:
    """What the next boot starts from: the persistent definition's boot order (a transient
    guest's live one)."""
    dom = domain_of(conn, uuid)
    flags = libvirt.VIR_DOMAIN_XML_INACTIVE if dom.isPersistent() else 0
    return dx.parse_boot(dom.XMLDesc(flags))


@dataclass(frozen=True)
class Disk:
    device: dx.DiskDevice
    capacity: int | None
    allocation: int | None
    size_note: str | None  # why there are no sizes (libvirt's words)
    backing: tuple[dx.Layer, ...]
    backing_note: str | None  # where the chain came from, or why there is none


def _short(exc: BaseException) -> str:
    return error_text(exc).splitlines()[0] if error_text(exc) else type(exc).__name__


def _pool_chain(conn: libvirt.virConnect, path: str) -> tuple[tuple[dx.Layer, ...], str | None]:
    """The backing chain of a pool volume, as its pool describes it, following each layer."""
    chain: list[dx.Layer] = []
    current = path
    while len(chain) < _MAX_CHAIN:
        try:
            vol = conn.storageVolLookupByPath(current)
        except libvirt.libvirtError as exc:
            if not chain:
                return (), f"not in a pool libvirt knows ({_short(exc)})"
            chain.append(dx.Layer("…", None))
            return tuple(chain), "from the pools (the rest is outside them)"
        backing = dx.parse_volume_backing(vol.XMLDesc(0))
        if backing is None or not backing.path:
            break
        chain.append(dx.Layer(backing.path, backing.format))
        current = backing.path
    return tuple(chain), "from the storage pool"


def _volume_path(conn: libvirt.virConnect, source: str | None) -> str | None:
    pool, _, volume = (source or "").partition("/")
    try:
        return conn.storagePoolLookupByName(pool).storageVolLookupByName(volume).path()
    except libvirt.libvirtError:
        return None


def read_disks(conn: libvirt.virConnect, uuid: str) -> tuple[Disk, ...]:
    dom = domain_of(conn, uuid)
    xml = dom.XMLDesc(0)
    on_test_driver = test_driver.is_test_domain(ET.fromstring(xml))
    disks = []
    for device in dx.parse_disks(xml):
        capacity = allocation = None
        size_note = None
        sizes = test_driver.volume_sizes(conn, device.path) if on_test_driver else None
        if device.source is None:
            size_note = "no media"
        elif sizes is not None:  # its blockInfo is a constant 1 TiB; the volume holds the real figures
            capacity, allocation = sizes
        else:
            try:
                capacity, allocation, _physical = dom.blockInfo(device.target, 0)
            except libvirt.libvirtError as exc:
                size_note = f"n/a: {_short(exc)}"
        backing, backing_note = device.backing, "from the live XML" if device.backing else None
        path = device.path or (_volume_path(conn, device.source) if device.kind == "volume" else None)
        if not backing and path and device.kind in ("file", "block", "volume"):
            backing, backing_note = _pool_chain(conn, path)
            if not backing and backing_note == "from the storage pool":
                backing_note = "none"
        disks.append(Disk(device, capacity, allocation, size_note, backing, backing_note))
    return tuple(disks)


ADDRESS_SOURCES = (
    ("DHCP lease", libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE),
    ("guest agent", libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT),
    ("ARP", libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP),
)


@dataclass(frozen=True)
class AddressSource:
    label: str
    addresses: dict[str, tuple[str, ...]]  # MAC -> "addr/prefix" ...
    error: str | None  # why this source could not answer


@dataclass(frozen=True)
class Nics:
    nics: tuple[dx.NicDevice, ...]
    sources: tuple[AddressSource, ...]


def addresses_by_mac(answer: dict) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for iface in (answer or {}).values():
        mac = (iface.get("hwaddr") or "").lower()
        addrs = tuple(f"{a['addr']}/{a['prefix']}" for a in iface.get("addrs") or () if a.get("addr"))
        if mac:
            found[mac] = found.get(mac, ()) + addrs
    return found


def read_nics(conn: libvirt.virConnect, uuid: str) -> Nics:
    dom = domain_of(conn, uuid)
    xml = dom.XMLDesc(0)
    nics = dx.parse_nics(xml)
    running = dom.isActive()
    no_agent = dx.parse_agent_channel(xml) is None
    on_test_driver = test_driver.is_test_domain(ET.fromstring(xml))
    sources = []
    for label, flag in ADDRESS_SOURCES:
        if not running:
            sources.append(AddressSource(label, {}, "the guest is not running"))
            continue
        if flag == libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT and no_agent:
            sources.append(AddressSource(label, {}, "the guest has no guest agent channel"))
            continue
        if flag == libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE and on_test_driver:
            # the test driver answers every source alike; a lease needs a network that runs DHCP
            leases = test_driver.lease_addresses(conn, with_prefix=True)
            ours = {nic.mac.lower() for nic in nics if nic.mac}
            found = {mac: tuple(ips) for mac, ips in leases.items() if mac in ours}
            sources.append(AddressSource(label, found, None))
            continue
        try:
            sources.append(AddressSource(label, addresses_by_mac(dom.interfaceAddresses(flag, 0)), None))
        except libvirt.libvirtError as exc:
            sources.append(AddressSource(label, {}, _short(exc)))
    return Nics(nics, tuple(sources))


def read_consoles(conn: libvirt.virConnect, uuid: str):
    return dx.parse_consoles(domain_of(conn, uuid).XMLDesc(0))


GUEST_INFO_TYPES = (
    libvirt.VIR_DOMAIN_GUEST_INFO_OS | libvirt.VIR_DOMAIN_GUEST_INFO_HOSTNAME
    | libvirt.VIR_DOMAIN_GUEST_INFO_TIMEZONE | libvirt.VIR_DOMAIN_GUEST_INFO_USERS
    | libvirt.VIR_DOMAIN_GUEST_INFO_FILESYSTEM
)


@dataclass(frozen=True)
class Agent:
    channel: str | None  # None: no org.qemu.guest_agent.0 channel; else its state in the XML
    facts: dx.AgentFacts | None  # when the agent answered
    error: str | None  # why it did not
    frozen: bool = False  # the agent refused because the filesystems are frozen: only thaw works


# qemu-ga's words for a command it refuses while the guest's filesystems are frozen
FROZEN_REFUSAL = "frozen state"


def read_agent(conn: libvirt.virConnect, uuid: str) -> Agent:
    dom = domain_of(conn, uuid)
    channel = dx.parse_agent_channel(dom.XMLDesc(0))
    if channel is None:
        return Agent(None, None, "the guest has no guest agent channel")
    if not dom.isActive():
        return Agent(channel, None, "the guest is not running")
    try:
        info = dom.guestInfo(GUEST_INFO_TYPES, 0)
    except libvirt.libvirtError as exc:
        return Agent(channel, None, _short(exc), frozen=FROZEN_REFUSAL in str(exc))
    return Agent(channel, dx.parse_guest_info(info), None)


def fs_freeze(conn: libvirt.virConnect, uuid: str) -> int:
    return domain_of(conn, uuid).fsFreeze(None, 0)


def fs_thaw(conn: libvirt.virConnect, uuid: str) -> int:
    return domain_of(conn, uuid).fsThaw(None, 0)


@dataclass(frozen=True)
class Command:
    label: str
    text: str  # ready to paste into a shell


def _tunnel_target(listen: str | None) -> str:
    if not listen or listen in ("0.0.0.0", "::", "[::]") or "/" in listen:
        return "127.0.0.1"
    return f"[{listen}]" if ":" in listen else listen


def console_commands(uri: str, name: str, graphics: tuple[dx.Graphics, ...],
                     has_serial: bool) -> tuple[Command, ...]:
    """Commands to reach a guest's screen and serial console, every word quoted for a shell."""
    from urllib.parse import urlsplit

    from ..uri import is_ssh

    q = shlex.quote
    commands = []
    if has_serial:
        commands.append(Command("serial console", f"virsh -c {q(uri)} console {q(name)}"))
    if graphics:
        commands.append(Command("viewer", f"virt-viewer --connect {q(uri)} {q(name)}"))
    parts = urlsplit(uri)
    if is_ssh(uri) and parts.hostname:
        login = f"{parts.username}@{parts.hostname}" if parts.username else parts.hostname
        for g in graphics:
            if g.port is None:
                continue
            ssh = f"ssh -N -L {g.port}:{_tunnel_target(g.listen)}:{g.port}"
            if parts.port:
                ssh += f" -p {parts.port}"
            commands.append(Command(f"{g.kind} tunnel", f"{ssh} {q(login)}"))
            commands.append(Command(f"{g.kind} viewer over the tunnel",
                                    f"remote-viewer {q(f'{g.kind}://127.0.0.1:{g.port}')}"))
    return tuple(commands)
