"""Guest hardware in domain XML: disks, CD-ROMs, NICs and the boot order.

Builders return ElementTree elements (`device_xml` makes the string libvirt
takes); `parse_hardware` reads a <domain> back. Nothing here talks to libvirt.
"""

from __future__ import annotations

import copy
import string
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .domain import to_kib

DISK_BUSES = ("virtio", "sata", "scsi", "usb", "ide")
CDROM_BUSES = ("sata", "scsi", "ide", "usb")
NIC_MODELS = ("virtio", "e1000e", "rtl8139")
NIC_KINDS = ("network", "bridge", "direct")
DIRECT_MODES = ("vepa", "bridge", "private", "passthrough")
DISK_FORMATS = ("qcow2", "raw")
_PREFIX = {"virtio": "vd", "sata": "sd", "scsi": "sd", "usb": "sd", "ide": "hd", "xen": "xvd"}
# Which devices an <os><boot dev=...> entry names.
_BOOT_DEVS = {"hd": "disk", "cdrom": "cdrom", "network": "nic"}


@dataclass(frozen=True)
class DiskDevice:
    device: str  # disk, cdrom, floppy, lun
    target: str  # vda, sdb ...
    bus: str | None
    source: str | None  # file, block device, pool/volume, network name; None: no media
    source_type: str  # file, block, volume, network ...
    format: str | None
    boot_order: int | None
    readonly: bool

    @property
    def ident(self) -> str:
        return f"disk:{self.target}"


@dataclass(frozen=True)
class NicDevice:
    mac: str | None
    kind: str  # network, bridge, direct, user ...
    source: str | None  # network name, bridge or host device
    mode: str | None  # macvtap mode of a direct NIC
    model: str | None
    boot_order: int | None

    @property
    def ident(self) -> str:
        return f"nic:{self.mac}"


@dataclass(frozen=True)
class Hardware:
    name: str
    vcpus: int  # current
    max_vcpus: int
    memory_kib: int  # currentMemory
    max_memory_kib: int  # memory
    os_boot: tuple[str, ...]  # <os><boot dev=...> in order (empty when devices carry <boot order=>)
    disks: tuple[DiskDevice, ...]
    nics: tuple[NicDevice, ...]

    def boot_order(self) -> tuple[str, ...]:
        """Device idents in boot order, from per-device orders or else from <os><boot dev>."""
        devices = [*self.disks, *self.nics]
        ordered = sorted((d for d in devices if d.boot_order is not None), key=lambda d: d.boot_order)
        if ordered:
            return tuple(d.ident for d in ordered)
        found = []
        for dev in self.os_boot:
            kind = _BOOT_DEVS.get(dev)
            first = next((d for d in devices if _kind(d) == kind and d.ident not in found), None)
            if first is not None:
                found.append(first.ident)
        return tuple(found)


def _kind(device: DiskDevice | NicDevice) -> str:
    return "nic" if isinstance(device, NicDevice) else ("cdrom" if device.device == "cdrom" else "disk")


def device_xml(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode")


def _root(xml: str | bytes) -> ET.Element:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"domain XML does not parse: {exc}") from exc
    if root.tag != "domain":
        raise ValueError(f"expected <domain> root element, got <{root.tag}>")
    return root


def _int(text: str | None, default: int = 0) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        return default


def _boot(el: ET.Element) -> int | None:
    boot = el.find("boot")
    return _int(boot.get("order"), 0) or None if boot is not None else None


def disk_source(disk: ET.Element) -> tuple[str | None, str]:
    """(what the source names, source type) of a <disk>."""
    kind = disk.get("type", "file")
    source = disk.find("source")
    if source is None:
        return None, kind
    if kind == "volume" or (source.get("pool") and source.get("volume")):
        return f"{source.get('pool')}/{source.get('volume')}", kind
    if kind == "network":
        return source.get("name") or source.get("protocol"), kind
    return source.get("file") or source.get("dev") or source.get("dir") or None, kind


def parse_disk(disk: ET.Element) -> DiskDevice:
    target = disk.find("target")
    driver = disk.find("driver")
    source, kind = disk_source(disk)
    return DiskDevice(
        device=disk.get("device", "disk"),
        target=target.get("dev", "") if target is not None else "",
        bus=target.get("bus") if target is not None else None,
        source=source,
        source_type=kind,
        format=driver.get("type") if driver is not None else None,
        boot_order=_boot(disk),
        readonly=disk.find("readonly") is not None,
    )


def parse_nic(iface: ET.Element) -> NicDevice:
    source = iface.find("source")
    mac = iface.find("mac")
    model = iface.find("model")
    value = mode = None
    if source is not None:
        value = source.get("network") or source.get("bridge") or source.get("dev")
        mode = source.get("mode")
    return NicDevice(
        mac=mac.get("address").lower() if mac is not None and mac.get("address") else None,
        kind=iface.get("type", "unknown"),
        source=value,
        mode=mode,
        model=model.get("type") if model is not None else None,
        boot_order=_boot(iface),
    )


def parse_hardware(xml: str | bytes) -> Hardware:
    root = _root(xml)
    vcpu = root.find("vcpu")
    max_vcpus = _int(vcpu.text, 1) if vcpu is not None else 1
    vcpus = _int(vcpu.get("current"), max_vcpus) if vcpu is not None and vcpu.get("current") else max_vcpus
    memory = root.find("memory")
    current = root.find("currentMemory")
    max_kib = to_kib(_int(memory.text), memory.get("unit")) if memory is not None else 0
    cur_kib = to_kib(_int(current.text), current.get("unit")) if current is not None else max_kib
    return Hardware(
        name=root.findtext("name") or "",
        vcpus=vcpus,
        max_vcpus=max_vcpus,
        memory_kib=cur_kib,
        max_memory_kib=max_kib or cur_kib,
        os_boot=tuple(b.get("dev", "") for b in root.findall("os/boot")),
        disks=tuple(parse_disk(d) for d in root.findall("devices/disk")),
        nics=tuple(parse_nic(i) for i in root.findall("devices/interface")),
    )


# -- builders ---------------------------------------------------------------


def disk_element(target: str, bus: str, path: str | None, *, device: str = "disk", fmt: str | None = None,
                 source_type: str = "file") -> ET.Element:
    """A <disk> (device disk or cdrom) backed by a file or block device; a CD-ROM may have no media."""
    disk = ET.Element("disk", {"type": source_type, "device": device})
    if fmt:
        ET.SubElement(disk, "driver", {"name": "qemu", "type": fmt})
    if path is not None:
        ET.SubElement(disk, "source", {"dev" if source_type == "block" else "file": path})
    ET.SubElement(disk, "target", {"dev": target, "bus": bus})
    if device == "cdrom":
        ET.SubElement(disk, "readonly")
    return disk


def with_media(disk: ET.Element, path: str | None, source_type: str = "file") -> ET.Element:
    """A copy of a CD-ROM's <disk> holding `path` (None: ejected), for updateDeviceFlags."""
    new = copy.deepcopy(disk)
    for stale in (*new.findall("source"), *new.findall("backingStore")):
        new.remove(stale)
    new.set("type", source_type)
    driver = new.find("driver")
    if driver is not None and driver.get("type") not in (None, "raw"):
        driver.set("type", "raw")
    if path is not None:
        source = ET.Element("source", {"dev" if source_type == "block" else "file": path})
        children = list(new)
        index = next((i + 1 for i, child in enumerate(children) if child.tag == "driver"), 0)
        new.insert(index, source)
    return new


def nic_element(kind: str, source: str, model: str, mac: str | None = None, mode: str | None = None) -> ET.Element:
    """An <interface> on a virtual network, a bridge, or a host device (macvtap, `mode`)."""
    if kind not in NIC_KINDS:
        raise ValueError(f"unknown interface type {kind!r}")
    iface = ET.Element("interface", {"type": kind})
    if mac:
        ET.SubElement(iface, "mac", {"address": mac.lower()})
    attrs = {"network": source} if kind == "network" else {"bridge": source} if kind == "bridge" else {"dev": source}
    if kind == "direct":
        attrs["mode"] = mode or "vepa"
    ET.SubElement(iface, "source", attrs)
    ET.SubElement(iface, "model", {"type": model})
    return iface


def find_device(root: ET.Element, ident: str) -> ET.Element | None:
    """The <disk> or <interface> element an ident (disk:vdb, nic:52:54:...) names."""
    kind, _, key = ident.partition(":")
    if kind == "disk":
        for disk in root.findall("devices/disk"):
            target = disk.find("target")
            if target is not None and target.get("dev") == key:
                return disk
    elif kind == "nic":
        for iface in root.findall("devices/interface"):
            mac = iface.find("mac")
            if mac is not None and (mac.get("address") or "").lower() == key.lower():
                return iface
    return None


def set_boot_order(xml: str | bytes, order: list[str] | tuple[str, ...]) -> str:
    """The domain with `order` (device idents) as per-device <boot order=>; <os><boot> goes
    (libvirt refuses both at once) and devices not listed get no boot entry."""
    root = _root(xml)
    os_el = root.find("os")
    if os_el is not None:
        for boot in os_el.findall("boot"):
            os_el.remove(boot)
    for el in [*root.findall("devices/disk"), *root.findall("devices/interface"),
               *root.findall("devices/hostdev"), *root.findall("devices/redirdev")]:
        for boot in el.findall("boot"):
            el.remove(boot)
    for number, ident in enumerate(order, start=1):
        el = find_device(root, ident)
        if el is None:
            raise ValueError(f"no device {ident} in the domain")
        boot = ET.Element("boot", {"order": str(number)})
        # libvirt's schema does not care about position, but keep it after <target> like libvirt writes it
        children = list(el)
        index = next((i + 1 for i, child in enumerate(children) if child.tag in ("target", "model", "source")),
                     len(children))
        el.insert(index, boot)
    return ET.tostring(root, encoding="unicode")


def moved(order: tuple[str, ...], ident: str, step: int) -> tuple[str, ...]:
    """`order` with `ident` one place earlier (step -1) or later (+1); a device not in it joins at the end."""
    items = list(order)
    if ident not in items:
        return (*items, ident)
    index = items.index(ident)
    new = max(0, min(len(items) - 1, index + step))
    items.insert(new, items.pop(index))
    return tuple(items)


# -- target names -------------------------------------------------------------


def target_name(prefix: str, index: int) -> str:
    """vda ... vdz, vdaa ... as libvirt names disks (index 0 is 'a')."""
    letters = ""
    index += 1
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = string.ascii_lowercase[rest] + letters
    return prefix + letters


def free_target(bus: str, taken: set[str] | frozenset[str] | tuple[str, ...]) -> str:
    """The first target name of `bus`'s family (vd* for virtio, sd* for sata/scsi/usb, hd* for ide) not in use."""
    prefix = _PREFIX.get(bus, "sd")
    index = 0
    while target_name(prefix, index) in taken:
        index += 1
    return target_name(prefix, index)
