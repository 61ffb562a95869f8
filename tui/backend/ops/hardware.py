"""Changing a guest's hardware: vCPUs, memory, CD-ROM media, disks, NICs, boot order.

The functions taking `conn` run on a connection's worker (or a thread of
their own); they return an `Outcome` that says what applied where. The
checks (`parse_size`, `check_mac`, `overcommit_warning`, `scope`) are pure.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import libvirt

from ..units import size_text
from .. import validate
from ..inventory import Inventory
from ..overcommit import ACTIVE_STATES, Thresholds, host_load
from ..xml import devices as dx
from ..xml import rewrite

LIVE = libvirt.VIR_DOMAIN_AFFECT_LIVE
CONFIG = libvirt.VIR_DOMAIN_AFFECT_CONFIG
RELEASE_WAIT = 3.0  # seconds to wait for a guest to let go of a detached device



# -- checks -------------------------------------------------------------------


def parse_size(text: str, default_unit: str = "MiB") -> int:
    """Bytes from '2G', '512MiB', '4096' (in `default_unit`); ValueError with the user's message."""
    value, error = validate.parse_size(text, default_unit=default_unit)
    if error is not None:
        raise ValueError(error)
    return value


def check_size(text: str) -> str | None:
    return validate.parse_size(text, default_unit="MiB")[1]


def check_count(text: str, most: int | None = None) -> str | None:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        return "A whole number, at least 1"
    if most is not None and int(text) > most:
        return f"At most {most}"
    return None


def check_mac(text: str) -> str | None:
    """Empty is fine (libvirt makes one); else a unicast MAC."""
    return validate.parse_mac(text)[1] if text.strip() else None


def check_volume_name(text: str) -> str | None:
    return validate.check_name(text, "volume")


@dataclass(frozen=True)
class Scope:
    flags: int
    words: str  # "live and next boot", "next boot", "live only"


def scope(active: bool, persistent: bool, live: bool = True, config: bool = True) -> Scope:
    """Where a change applies: live when the guest runs, config when it is persistent."""
    flags = (LIVE if active and live else 0) | (CONFIG if persistent and config else 0)
    words = {LIVE | CONFIG: "live and next boot", CONFIG: "next boot", LIVE: "live only"}.get(flags, "nowhere")
    return Scope(flags, words)


def overcommit_warning(inventory: Inventory, key: tuple[str, str], vcpus: int | None, memory_kib: int | None,
                       thresholds: Thresholds = Thresholds()) -> str | None:
    """A warning when the host's running guests would claim more than the thresholds allow
    once this guest runs with `vcpus` and `memory_kib` (None: unchanged)."""
    guest = inventory.guests.get(key)
    host = inventory.hosts.get(key[0])
    if guest is None or host is None:
        return None
    load = host_load(inventory, key[0])
    counted = guest.state in ACTIVE_STATES
    total_vcpus = load.vcpus - (guest.vcpus if counted else 0) + (vcpus if vcpus is not None else guest.vcpus)
    total_memory = load.memory - (guest.memory_kib * 1024 if counted else 0) + (
        (memory_kib if memory_kib is not None else guest.memory_kib) * 1024)
    problems = []
    if host.cpus and total_vcpus / host.cpus > thresholds.vcpu_ratio:
        problems.append(f"{total_vcpus} vCPUs on {host.cpus} host CPUs "
                        f"(more than {thresholds.vcpu_ratio:g} per CPU)")
    if host.memory_kib and total_memory / (host.memory_kib * 1024) > thresholds.memory_ratio:
        problems.append(f"{size_text(total_memory)} of guest memory on {size_text(host.memory_kib * 1024)} "
                        f"({total_memory / (host.memory_kib * 1024):.1%})")
    if not problems:
        return None
    return "The host would be overcommitted: " + "; ".join(problems)


# -- reading ------------------------------------------------------------------


@dataclass(frozen=True)
class HardwareView:
    """What the Hardware tab shows: the running definition and the next boot's."""

    active: bool
    persistent: bool
    live: dx.Hardware | None  # None when shut off
    config: dx.Hardware | None  # None when transient

    @property
    def current(self) -> dx.Hardware:
        return self.live if self.live is not None else self.config

    @property
    def next_boot(self) -> dx.Hardware:
        return self.config if self.config is not None else self.live


def read(conn: libvirt.virConnect, uuid: str) -> HardwareView:
    dom = conn.lookupByUUIDString(uuid)
    active, persistent = bool(dom.isActive()), bool(dom.isPersistent())
    live = dx.parse_hardware(dom.XMLDesc(0)) if active else None
    config = dx.parse_hardware(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)) if persistent else None
    if live is None and config is None:
        config = dx.parse_hardware(dom.XMLDesc(0))
    return HardwareView(active, persistent, live, config)


def host_networks(conn: libvirt.virConnect) -> tuple[str, ...]:
    return tuple(sorted(net.name() for net in conn.listAllNetworks()))


# -- changing -----------------------------------------------------------------


@dataclass
class Outcome:
    """What a change did: `applied` lines for the user, `failed` (scope words, libvirt's text)."""

    what: str
    applied: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    live_refused: bool = False  # the live part failed: next boot may still be offered
    pending: bool = False  # a live detach the guest has not finished yet

    def text(self) -> str:
        lines = [f"{self.what}: {line}" for line in self.applied]
        lines += [f"{self.what} ({where}) failed: {error}" for where, error in self.failed]
        return "\n".join(lines) or f"{self.what}: nothing to do"

    @property
    def severity(self) -> str:
        if self.failed:
            return "error" if not self.applied else "warning"
        return "warning" if self.pending else "information"


def _message(exc: libvirt.libvirtError) -> str:
    return exc.get_error_message() or str(exc)


def _each_scope(outcome: Outcome, active: bool, persistent: bool, live: bool, config: bool, call) -> None:
    """`call(flags)` once for next boot and once live, recording each result."""
    if config and persistent:
        try:
            call(CONFIG)
            outcome.applied.append("set for next boot")
        except libvirt.libvirtError as exc:
            outcome.failed.append(("next boot", _message(exc)))
    if live and active:
        try:
            call(LIVE)
            outcome.applied.append("set live")
        except libvirt.libvirtError as exc:
            outcome.failed.append(("live", _message(exc)))
            outcome.live_refused = True


def set_vcpus(conn: libvirt.virConnect, uuid: str, count: int, live: bool, config: bool) -> Outcome:
    dom = conn.lookupByUUIDString(uuid)
    active, persistent = bool(dom.isActive()), bool(dom.isPersistent())
    outcome = Outcome(f"vCPUs → {count}")
    if config and persistent:
        maximum = dom.vcpusFlags(CONFIG | libvirt.VIR_DOMAIN_VCPU_MAXIMUM)
        if count > maximum:
            try:
                dom.setVcpusFlags(count, CONFIG | libvirt.VIR_DOMAIN_VCPU_MAXIMUM)
                outcome.applied.append(f"maximum raised from {maximum} to {count} for next boot")
            except libvirt.libvirtError as exc:
                outcome.failed.append(("maximum, next boot", _message(exc)))
                config = False
    _each_scope(outcome, active, persistent, live, config, lambda flags: dom.setVcpusFlags(count, flags))
    return outcome


def set_memory(conn: libvirt.virConnect, uuid: str, kib: int, live: bool, config: bool) -> Outcome:
    dom = conn.lookupByUUIDString(uuid)
    active, persistent = bool(dom.isActive()), bool(dom.isPersistent())
    outcome = Outcome(f"memory → {size_text(kib * 1024)}")
    if config and persistent:
        maximum = dx.parse_hardware(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)).max_memory_kib
        if kib > maximum:
            try:
                dom.setMemoryFlags(kib, CONFIG | libvirt.VIR_DOMAIN_MEM_MAXIMUM)
                outcome.applied.append(f"maximum raised from {size_text(maximum * 1024)} to {size_text(kib * 1024)} for next boot")
            except libvirt.libvirtError as exc:
                outcome.failed.append(("maximum, next boot", _message(exc)))
                config = False
    _each_scope(outcome, active, persistent, live, config, lambda flags: dom.setMemoryFlags(kib, flags))
    return outcome


def _scoped_call(outcome: Outcome, dom: libvirt.virDomain, call, words_done: str) -> Scope:
    """`call(flags)` with live + config where they apply, in one call."""
    where = scope(bool(dom.isActive()), bool(dom.isPersistent()))
    call(where.flags)
    outcome.applied.append(f"{words_done} ({where.words})")
    return where


def _xml(dom: libvirt.virDomain, inactive: bool) -> ET.Element:
    """The definition (next boot's or live) to take a device from: a device sent back to libvirt
    (media change, detach) goes as written, namespaced parts and all."""
    return rewrite.parse_domain(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0))


def change_media(conn: libvirt.virConnect, uuid: str, target: str, path: str | None) -> Outcome:
    """Insert `path` into the CD-ROM at `target`, or eject it (None)."""
    dom = conn.lookupByUUIDString(uuid)
    active, persistent = bool(dom.isActive()), bool(dom.isPersistent())
    where = scope(active, persistent)
    disk = dx.find_device(_xml(dom, inactive=not active), f"disk:{target}")
    if disk is None and active and persistent:  # a drive added for the next boot only
        disk, where = dx.find_device(_xml(dom, inactive=True), f"disk:{target}"), scope(False, True)
    if disk is None or disk.get("device") != "cdrom":
        raise ValueError(f"{target} is not a CD-ROM drive of this guest")
    source_type = "block" if path is not None and path.startswith("/dev/") else "file"
    new = dx.device_xml(dx.with_media(disk, path, source_type))
    outcome = Outcome(f"{target}: {'insert ' + path if path else 'eject'}")
    dom.updateDeviceFlags(new, where.flags)
    outcome.applied.append(f"{'inserted' if path else 'ejected'} ({where.words})")
    return outcome


def add_cdrom(conn: libvirt.virConnect, uuid: str, bus: str, path: str | None) -> Outcome:
    """A new CD-ROM drive (with media, or empty) for next boot, and live where the hypervisor
    allows it (QEMU refuses to hot-plug IDE and SATA CD-ROMs: that refusal is reported)."""
    dom = conn.lookupByUUIDString(uuid)
    active, persistent = bool(dom.isActive()), bool(dom.isPersistent())
    target = dx.free_target(bus, _taken_targets(dom))
    xml = dx.device_xml(dx.disk_element(target, bus, path, device="cdrom", fmt="raw"))
    outcome = Outcome(f"CD-ROM drive {target} ({bus})")
    _each_scope(outcome, active, persistent, True, True, lambda flags: dom.attachDeviceFlags(xml, flags))
    outcome.applied = [line.replace("set", "added") for line in outcome.applied]
    return outcome


@dataclass(frozen=True)
class NewVolume:
    pool: str
    name: str
    capacity: int  # bytes
    format: str  # qcow2, raw


@dataclass(frozen=True)
class DiskRequest:
    bus: str
    path: str | None = None  # an existing volume (or file) ...
    new: NewVolume | None = None  # ... or a volume to create first


def volume_xml(new: NewVolume) -> str:
    vol = ET.Element("volume")
    ET.SubElement(vol, "name").text = new.name
    ET.SubElement(vol, "capacity", {"unit": "bytes"}).text = str(new.capacity)
    ET.SubElement(vol, "allocation", {"unit": "bytes"}).text = "0"
    target = ET.SubElement(vol, "target")
    ET.SubElement(target, "format", {"type": new.format})
    return ET.tostring(vol, encoding="unicode")


def _taken_targets(dom: libvirt.virDomain) -> set[str]:
    taken = set()
    if dom.isActive():
        taken |= {d.target for d in dx.parse_hardware(dom.XMLDesc(0)).disks}
    if dom.isPersistent():
        taken |= {d.target for d in dx.parse_hardware(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)).disks}
    return taken


def _volume_format(conn: libvirt.virConnect, path: str) -> tuple[str | None, str]:
    """(format, source type) of the volume at `path`, from its pool when it is one."""
    try:
        vol = conn.storageVolLookupByPath(path)
    except libvirt.libvirtError:
        return None, "block" if path.startswith("/dev/") else "file"
    root = ET.fromstring(vol.XMLDesc(0))
    fmt = root.find("target/format")
    kind = "block" if vol.info()[0] == libvirt.VIR_STORAGE_VOL_BLOCK else "file"
    fmt_type = fmt.get("type") if fmt is not None else None
    return (fmt_type if fmt_type in ("qcow2", "raw", "qed", "vmdk", "vdi", "vpc") else None), kind


def attach_disk(conn: libvirt.virConnect, uuid: str, request: DiskRequest) -> Outcome:
    """Attach an existing volume, or create one and attach it; a volume made here is deleted
    again when the attach fails, so nothing half-made stays."""
    dom = conn.lookupByUUIDString(uuid)
    target = dx.free_target(request.bus, _taken_targets(dom))
    created = None
    if request.new is not None:
        pool = conn.storagePoolLookupByName(request.new.pool)
        created = pool.createXML(volume_xml(request.new), 0)
        path, fmt, kind = created.path(), request.new.format, "file"
        if created.info()[0] == libvirt.VIR_STORAGE_VOL_BLOCK:
            kind = "block"
    else:
        path = request.path
        fmt, kind = _volume_format(conn, path)
    xml = dx.device_xml(dx.disk_element(target, request.bus, path, fmt=fmt, source_type=kind))
    outcome = Outcome(f"disk {target} ({request.bus}): {path}")
    if created is not None:
        outcome.applied.append(f"volume {request.new.name} created in pool {request.new.pool}")
    try:
        _scoped_call(outcome, dom, lambda flags: dom.attachDeviceFlags(xml, flags), "attached")
    except libvirt.libvirtError as exc:
        if created is not None:
            try:
                created.delete(0)
                exc_note = f" (the new volume {request.new.name} was deleted again)"
            except libvirt.libvirtError as cleanup:
                exc_note = f" (and the new volume could not be deleted: {_message(cleanup)})"
            raise libvirt.libvirtError(_message(exc) + exc_note) from exc
        raise
    return outcome


def attach_nic(conn: libvirt.virConnect, uuid: str, kind: str, source: str, model: str, mac: str | None,
               mode: str | None = None) -> Outcome:
    dom = conn.lookupByUUIDString(uuid)
    before = _macs(dom)
    xml = dx.device_xml(dx.nic_element(kind, source, model, mac or None, mode))
    outcome = Outcome(f"NIC on {kind} {source}")
    where = scope(bool(dom.isActive()), bool(dom.isPersistent()))
    dom.attachDeviceFlags(xml, where.flags)
    new = sorted(_macs(dom) - before)
    outcome.applied.append(f"attached ({where.words}), MAC {', '.join(new) or mac or '?'}")
    return outcome


def _macs(dom: libvirt.virDomain) -> set[str]:
    inactive = not dom.isActive()
    return {n.mac for n in dx.parse_hardware(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0)).nics
            if n.mac}


def detach(conn: libvirt.virConnect, uuid: str, ident: str, wait: float = RELEASE_WAIT) -> Outcome:
    """Detach a disk or NIC (by ident) live and from the next boot's definition. A live detach
    needs the guest to let go: when it has not within `wait` seconds, the outcome says so."""
    dom = conn.lookupByUUIDString(uuid)
    active, persistent = bool(dom.isActive()), bool(dom.isPersistent())
    outcome = Outcome(f"detach {ident.partition(':')[2]}")
    live_el = dx.find_device(_xml(dom, False), ident) if active else None
    config_el = dx.find_device(_xml(dom, True), ident) if persistent else None
    if live_el is None and config_el is None:
        raise ValueError(f"{ident.partition(':')[2]} is not a device of this guest any more")
    if config_el is not None:
        dom.detachDeviceFlags(dx.device_xml(config_el), CONFIG)
        outcome.applied.append("removed from the next boot's definition")
    if live_el is not None:
        try:
            dom.detachDeviceFlags(dx.device_xml(live_el), LIVE)
        except libvirt.libvirtError as exc:
            outcome.failed.append(("live", _message(exc)))
            return outcome
        deadline = time.monotonic() + wait
        while (still := dx.find_device(_xml(dom, False), ident) is not None) and time.monotonic() < deadline:
            time.sleep(0.2)
        if still:
            outcome.applied.append("detach requested; the guest has not released it yet")
            outcome.pending = True
        else:
            outcome.applied.append("detached live")
    return outcome


def set_boot_order(conn: libvirt.virConnect, uuid: str, order: tuple[str, ...]) -> Outcome:
    """Save `order` (device idents) to the persistent definition: it applies from the next boot.

    The definition is read with its secrets (graphics and disk passwords stay) and only the
    boot entries change. A guest that boots by <os><boot dev=...> is converted to per-device
    orders (libvirt takes one or the other), and the outcome says so."""
    dom = conn.lookupByUUIDString(uuid)
    if not dom.isPersistent():
        raise ValueError("the boot order is kept in the persistent definition; this guest is transient")
    before = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE)
    old = dx.parse_hardware(before)
    xml = dx.set_boot_order(before, order)
    conn.defineXML(xml)
    saved = dx.parse_hardware(xml).boot_order()
    names = [ident.partition(":")[2] for ident in saved]
    outcome = Outcome("boot order", [f"{', '.join(names) or 'none'} (next boot)"])
    if not names:
        outcome.applied.append("with no device in the boot order libvirt boots from the first disk")
    if old.os_boot:
        outcome.applied.append(
            "converted from <os><boot dev=...> (" + ", ".join(old.os_boot) + ") to per-device boot orders: "
            "libvirt takes one or the other")
    return outcome
