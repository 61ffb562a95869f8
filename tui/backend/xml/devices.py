"""Guest hardware in domain XML: disks, CD-ROMs, NICs and the boot order.

Builders return ElementTree elements (`device_xml` makes the string libvirt
takes); `parse_hardware` reads a <domain> back. Nothing here talks to libvirt.
"""

from __future__ import annotations

import copy
import string
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from . import parse, rewrite
from .domain import network_source_text, to_kib

DISK_BUSES = ("virtio", "sata", "scsi", "usb", "ide")
CDROM_BUSES = ("sata", "scsi", "ide", "usb")
NIC_MODELS = ("virtio", "e1000e", "rtl8139")
NIC_KINDS = ("network", "bridge", "direct")
DIRECT_MODES = ("vepa", "bridge", "private", "passthrough")
DISK_FORMATS = ("qcow2", "raw")
_PREFIX = {"virtio": "vd", "sata": "sd", "scsi": "sd", "usb": "sd", "ide": "hd", "xen": "xvd"}
# Which devices an <os><boot dev=...> entry names.
_BOOT_DEVS = {"hd": "disk", "cdrom": "cdrom", "network": "nic", "fd": "floppy"}
# Devices that may carry a <boot order=N/> (libvirt's schema: deviceBoot).
BOOT_TAGS = ("disk", "interface", "hostdev", "redirdev", "filesystem")
# Those the Hardware tab lists as rows; the others keep their boot entry through every change.
_LISTED = ("disk", "interface")


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
    # (ident, order) of the host devices, USB redirections and filesystems that carry a boot order
    boot_others: tuple[tuple[str, int], ...] = ()

    def boot_order(self) -> tuple[str, ...]:
        """Device idents in boot order, from per-device orders (every device that carries one)
        or else from <os><boot dev>."""
        devices = [*self.disks, *self.nics]
        entries = [(d.boot_order, d.ident) for d in devices if d.boot_order is not None]
        entries += [(order, ident) for ident, order in self.boot_others]
        if entries:
            return tuple(ident for _order, ident in sorted(entries, key=lambda entry: entry[0]))
        found = []
        for dev in self.os_boot:
            kind = _BOOT_DEVS.get(dev)
            first = next((d for d in devices if _kind(d) == kind and d.ident not in found), None)
            if first is not None:
                found.append(first.ident)
        return tuple(found)


def _kind(device: DiskDevice | NicDevice) -> str:
    if isinstance(device, NicDevice):
        return "nic"
    return device.device if device.device in ("cdrom", "floppy") else "disk"


def device_xml(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode")


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
        return network_source_text(source), kind  # as the Disks tab says it: protocol, hosts, ports, sockets
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
    root = parse.root(xml, "domain")
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
        boot_others=tuple((ident, _boot(el)) for ident, el in boot_devices(root)
                          if el.tag not in _LISTED and _boot(el) is not None),
    )


# -- devices that carry a boot order -------------------------------------------


def _hex(value: str | None) -> str:
    text = (value or "?").strip().lower()
    return text[2:] if text.startswith("0x") else text


def _hostdev_label(el: ET.Element) -> str:
    kind = el.get("type", "?")
    source = el.find("source")
    if source is None:
        return f"{kind.upper()} host device"
    vendor, product, address = source.find("vendor"), source.find("product"), source.find("address")
    if kind == "usb" and vendor is not None and product is not None:
        return f"USB host device {_hex(vendor.get('id'))}:{_hex(product.get('id'))}"
    if kind == "usb" and address is not None:
        return f"USB host device bus {address.get('bus', '?')} device {address.get('device', '?')}"
    if kind == "pci" and address is not None:
        try:
            parts = [int(address.get(key) or "0", 0) for key in ("domain", "bus", "slot", "function")]
            return "PCI host device {:04x}:{:02x}:{:02x}.{:x}".format(*parts)
        except ValueError:
            pass
    if kind == "mdev" and address is not None and address.get("uuid"):
        return f"mediated device {address.get('uuid')}"
    adapter = source.find("adapter")
    if kind == "scsi" and adapter is not None and address is not None:
        return (f"SCSI host device {adapter.get('name', '?')} "
                f"{address.get('bus', '?')}:{address.get('target', '?')}:{address.get('unit', '?')}")
    return f"{kind.upper()} host device"


def _redirdev_label(el: ET.Element) -> str:
    label = f"{el.get('bus', 'usb').upper()} redirection ({el.get('type', '?')}"
    source = el.find("source")
    if source is not None and source.get("host"):
        label += f" {source.get('host')}:{source.get('service', '?')}"
    return label + ")"


def _filesystem_label(el: ET.Element) -> str:
    target = el.find("target")
    return f"filesystem {target.get('dir', '?') if target is not None else '?'}"


def boot_devices(root: ET.Element) -> list[tuple[str, ET.Element]]:
    """(ident, element) of every device that may carry a <boot order=>, in document order:
    disk:vda, nic:52:54:..., hostdev:PCI host device 0000:06:02.0, redirdev:USB redirection
    (spicevmc), filesystem:filesystem share; a label that repeats gets ' #2', ' #3' ..."""
    found = []
    seen: dict[str, int] = {}
    devices = root.find("devices")
    for el in list(devices) if devices is not None else []:
        if el.tag == "disk":
            target = el.find("target")
            ident = f"disk:{target.get('dev', '') if target is not None else ''}"
        elif el.tag == "interface":
            mac = el.find("mac")
            ident = f"nic:{mac.get('address').lower() if mac is not None and mac.get('address') else None}"
        elif el.tag in ("hostdev", "redirdev", "filesystem"):
            label = {"hostdev": _hostdev_label, "redirdev": _redirdev_label,
                     "filesystem": _filesystem_label}[el.tag](el)
            ident = f"{el.tag}:{label}"
            seen[ident] = seen.get(ident, 0) + 1
            if seen[ident] > 1:
                ident = f"{ident} #{seen[ident]}"
        else:
            continue
        found.append((ident, el))
    return found


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
    """The device element an ident (disk:vdb, nic:52:54:..., hostdev:..., see `boot_devices`) names."""
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
    else:
        return next((el for found, el in boot_devices(root) if found == ident), None)
    return None


def set_boot_order(xml: str | bytes, order: list[str] | tuple[str, ...]) -> str:
    """The domain with `order` (device idents) as per-device <boot order=1..n>.

    Every element and attribute it does not own stays as written. <os><boot dev> goes
    (libvirt refuses both at once). A disk or NIC not in `order` loses its boot entry (that is
    how one is taken out); a host device, USB redirection or filesystem that carries one and is
    not in `order` keeps it, in its old place among the others. A <boot> that stays keeps its
    other attributes (loadparm) and its place in the device.
    """
    root = rewrite.parse_domain(xml)
    devices = boot_devices(root)
    known = {ident for ident, _el in devices}
    for ident in order:
        if ident not in known:
            raise ValueError(f"no device {ident} in the domain")
    if len(set(order)) != len(order):
        raise ValueError("a device is named twice in the boot order")
    old = {ident: _boot(el) for ident, el in devices if _boot(el) is not None}
    final = list(order)
    kept = sorted((ident for ident, el in devices if el.tag not in _LISTED and ident in old and ident not in order),
                  key=lambda ident: old[ident])
    for ident in kept:  # right after the last one that booted before it, else first
        earlier = [n for n, other in enumerate(final) if other in old and old[other] < old[ident]]
        final.insert(earlier[-1] + 1 if earlier else 0, ident)
    position = {ident: number for number, ident in enumerate(final, start=1)}
    os_el = root.find("os")
    if os_el is not None:
        for boot in os_el.findall("boot"):
            os_el.remove(boot)
    for ident, el in devices:
        boots = el.findall("boot")
        if ident not in position:
            for boot in boots:
                el.remove(boot)
            continue
        if boots:
            boots[0].set("order", str(position[ident]))
            for extra in boots[1:]:
                el.remove(extra)
            continue
        boot = ET.Element("boot", {"order": str(position[ident])})
        # libvirt's schema does not care about position, but keep it after <target> like libvirt writes it
        children = list(el)
        index = next((i + 1 for i, child in enumerate(children) if child.tag in ("target", "model", "source")),
                     len(children))
        el.insert(index, boot)
    return rewrite.serialize(root)


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
