"""A domain's tuning and host-side devices, read and changed in its definition:
vCPU and emulator pinning (`<cputune>`), NUMA placement (`<numatune>`), memory
backing (`<memoryBacking>`: hugepages, the shared memfd virtiofs needs), virtiofs
shares (`<filesystem>`) and host devices (`<hostdev>`).

Each `with_*` / `without_*` takes a definition (as `rewrite.parse_domain` reads it)
and changes only the elements it owns, in place; everything else stays as written.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from . import rewrite

NUMA_MODES = ("strict", "preferred", "interleave", "restrictive")
PLACEMENTS = ("static", "auto")
UNIT_KIB = {"b": 1 / 1024, "bytes": 1 / 1024, "k": 1, "kib": 1, "kb": 1000 / 1024, "m": 1024, "mib": 1024,
            "mb": 1000 ** 2 / 1024, "g": 1024 ** 2, "gib": 1024 ** 2, "gb": 1000 ** 3 / 1024}


# -- cpusets --------------------------------------------------------------------


def parse_cpuset(text: str, cpus: int | None = None) -> tuple[frozenset[int] | None, str | None]:
    """The CPU ids of a libvirt cpuset ('0-3,^2,6'), or None and what is wrong with it.
    `cpus`: how many CPUs the host has (ids 0 .. cpus-1), None when not known."""
    chosen: set[int] = set()
    removed: set[int] = set()
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        return None, "CPU ids or ranges, e.g. 0-3,6 (^2 leaves one out)"
    for item in items:
        into = chosen
        if item.startswith("^"):
            into, item = removed, item[1:].strip()
        first, dash, last = item.partition("-")
        if not (first.isascii() and first.isdigit()) or (dash and not (last.isascii() and last.isdigit())):
            return None, f"'{item}' is not a CPU id or a range (0-3)"
        low, high = int(first), int(last) if dash else int(first)
        if high < low:
            return None, f"'{item}': a range goes from low to high"
        if into is removed and dash:
            return None, f"'^{item}': leave out one CPU at a time"
        if cpus is not None and high >= cpus:
            return None, f"this host has CPUs 0-{cpus - 1}" if cpus > 1 else "this host has only CPU 0"
        into.update(range(low, high + 1))
    result = frozenset(chosen - removed)
    if not result:
        return None, "that leaves no CPU"
    return result, None


def format_cpuset(ids: frozenset[int] | set[int] | tuple[int, ...]) -> str:
    """'0-3,6' for {0, 1, 2, 3, 6}: ranges of three or more, single ids otherwise."""
    ordered = sorted(set(ids))
    parts: list[str] = []
    start = previous = None
    for cpu in [*ordered, None]:
        if start is not None and (cpu is None or cpu != previous + 1):
            if previous - start >= 2:
                parts.append(f"{start}-{previous}")
            else:
                parts.extend(str(n) for n in range(start, previous + 1))
            start = None
        if cpu is not None and start is None:
            start = cpu
        previous = cpu
    return ",".join(parts)


def cpumap(ids: frozenset[int], cpus: int) -> tuple[bool, ...]:
    """What `pinVcpuFlags` / `pinEmulator` take: one flag per host CPU."""
    return tuple(cpu in ids for cpu in range(cpus))


# -- what a definition says -------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """A virtiofs shared folder: the host directory and the tag the guest mounts."""

    source: str
    tag: str

    @property
    def ident(self) -> str:
        return f"fs:{self.tag}"


@dataclass(frozen=True)
class HostdevRef:
    """A host device assigned to the guest: PCI by address, USB by vendor/product or bus/device."""

    kind: str  # pci, usb
    address: str | None = None  # PCI 0000:02:00.0, USB bus 1 device 2 as '1:2'
    vendor_id: str | None = None  # USB: 0x0781
    product_id: str | None = None

    @property
    def ident(self) -> str:
        if self.kind == "usb" and self.vendor_id:
            return f"hostdev:usb:{self.vendor_id}:{self.product_id}"
        return f"hostdev:{self.kind}:{self.address}"

    @property
    def label(self) -> str:
        if self.kind == "usb" and self.vendor_id:
            return f"USB {self.vendor_id[2:] if self.vendor_id.startswith('0x') else self.vendor_id}:" \
                   f"{(self.product_id or '')[2:] if (self.product_id or '').startswith('0x') else self.product_id}"
        return f"{self.kind.upper()} {self.address}"


@dataclass(frozen=True)
class Tuning:
    vcpus: int
    memory_kib: int
    vcpu_pins: tuple[tuple[int, str], ...] = ()  # (vcpu, cpuset)
    emulator_pin: str | None = None
    numa_mode: str | None = None  # None: no <numatune><memory>
    numa_nodeset: str | None = None
    numa_placement: str | None = None  # static, auto
    hugepage_kib: int | None = None  # None: no hugepages; 0: hugepages of the host's default size
    memfd_shared: bool = False  # <source type='memfd'/> with <access mode='shared'/>
    shared_access: bool = False  # <access mode='shared'/> (with any source)
    shares: tuple[Share, ...] = ()
    other_filesystems: int = 0  # filesystems that are not virtiofs mounts (kept, not shown)
    hostdevs: tuple[HostdevRef, ...] = ()

    def pin_of(self, vcpu: int) -> str | None:
        return dict(self.vcpu_pins).get(vcpu)


def _kib(value: str | None, unit: str | None) -> int:
    factor = UNIT_KIB.get((unit or "KiB").lower(), 1)
    return int(int(value or 0) * factor)


def _hex(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value, 16) if value.lower().startswith("0x") else int(value)
    except ValueError:
        return None


def pci_address(domain: int, bus: int, slot: int, function: int) -> str:
    return f"{domain:04x}:{bus:02x}:{slot:02x}.{function:x}"


def hostdev_ref(el: ET.Element) -> HostdevRef | None:
    if el.get("mode", "subsystem") != "subsystem" or el.get("type") not in ("pci", "usb"):
        return None
    kind = el.get("type")
    source = el.find("source")
    if source is None:
        return HostdevRef(kind)
    if kind == "usb":
        vendor, product = source.find("vendor"), source.find("product")
        address = source.find("address")
        at = f"{_hex(address.get('bus'))}:{_hex(address.get('device'))}" if address is not None else None
        return HostdevRef("usb", at, vendor.get("id") if vendor is not None else None,
                          product.get("id") if product is not None else None)
    address = source.find("address")
    if address is None:
        return HostdevRef("pci")
    parts = [_hex(address.get(key, "0")) for key in ("domain", "bus", "slot", "function")]
    return HostdevRef("pci", pci_address(*[p or 0 for p in parts]))


def parse_tuning(xml: str | bytes) -> Tuning:
    root = rewrite.parse_domain(xml)
    memory = root.find("currentMemory")
    if memory is None:
        memory = root.find("memory")
    pins = []
    for pin in root.findall("cputune/vcpupin"):
        vcpu = pin.get("vcpu", "")
        if vcpu.isdigit():
            pins.append((int(vcpu), pin.get("cpuset", "")))
    emulator = root.find("cputune/emulatorpin")
    numa = root.find("numatune/memory")
    backing = root.find("memoryBacking")
    hugepage = None
    memfd = shared = False
    if backing is not None:
        huge = backing.find("hugepages")
        if huge is not None:
            page = huge.find("page")
            hugepage = _kib(page.get("size"), page.get("unit")) if page is not None else 0
        source, access = backing.find("source"), backing.find("access")
        shared = access is not None and access.get("mode") == "shared"
        memfd = shared and source is not None and source.get("type") == "memfd"
    shares, others = [], 0
    for fs in root.findall("devices/filesystem"):
        driver = fs.find("driver")
        if fs.get("type", "mount") == "mount" and driver is not None and driver.get("type") == "virtiofs":
            source, target = fs.find("source"), fs.find("target")
            shares.append(Share(source.get("dir", "") if source is not None else "",
                                target.get("dir", "") if target is not None else ""))
        else:
            others += 1
    hostdevs = tuple(ref for ref in (hostdev_ref(el) for el in root.findall("devices/hostdev")) if ref is not None)
    vcpu = root.find("vcpu")
    vcpus = int(vcpu.get("current") or vcpu.text or 1) if vcpu is not None else 1
    return Tuning(
        vcpus=vcpus,
        memory_kib=_kib(memory.text, memory.get("unit")) if memory is not None else 0,
        vcpu_pins=tuple(sorted(pins)),
        emulator_pin=emulator.get("cpuset") if emulator is not None else None,
        numa_mode=(numa.get("mode") or "strict") if numa is not None else None,
        numa_nodeset=numa.get("nodeset") if numa is not None else None,
        numa_placement=(numa.get("placement") or ("auto" if numa.get("nodeset") is None else "static"))
        if numa is not None else None,
        hugepage_kib=hugepage,
        memfd_shared=memfd,
        shared_access=shared,
        shares=tuple(shares),
        other_filesystems=others,
        hostdevs=hostdevs,
    )


# -- changing a definition ----------------------------------------------------------


def _child(parent: ET.Element, tag: str) -> ET.Element:
    found = parent.find(tag)
    return found if found is not None else ET.SubElement(parent, tag)


def _drop_if_empty(parent: ET.Element, el: ET.Element) -> None:
    if len(el) == 0 and not el.attrib and not (el.text or "").strip():
        parent.remove(el)


def with_vcpu_pins(root: ET.Element, pins: dict[int, str | None], emulator: str | None | bool = False) -> None:
    """Set (cpuset) or clear (None) each vCPU's pin in `pins`; `emulator`: a cpuset, None to
    clear it, False to leave it. Other `<cputune>` children (shares, quotas, iothreads) stay."""
    cputune = _child(root, "cputune")
    existing = {pin.get("vcpu"): pin for pin in cputune.findall("vcpupin")}
    for vcpu, cpuset in sorted(pins.items()):
        pin = existing.get(str(vcpu))
        if cpuset is None:
            if pin is not None:
                cputune.remove(pin)
        elif pin is not None:
            pin.set("cpuset", cpuset)
        else:
            after = [i for i, child in enumerate(cputune) if child.tag == "vcpupin"]
            cputune.insert(after[-1] + 1 if after else 0, ET.Element("vcpupin", {"vcpu": str(vcpu), "cpuset": cpuset}))
    if emulator is not False:
        pin = cputune.find("emulatorpin")
        if emulator is None:
            if pin is not None:
                cputune.remove(pin)
        elif pin is not None:
            pin.set("cpuset", emulator)
        else:
            after = [i for i, child in enumerate(cputune) if child.tag == "vcpupin"]
            cputune.insert(after[-1] + 1 if after else 0, ET.Element("emulatorpin", {"cpuset": emulator}))
    _drop_if_empty(root, cputune)


def with_numatune(root: ET.Element, mode: str | None, placement: str = "static", nodeset: str | None = None) -> None:
    """`<numatune><memory mode placement nodeset>`; mode None removes it (per-cell
    `<memnode>` entries stay). Automatic placement asks numad for the nodes when the guest starts."""
    numatune = _child(root, "numatune")
    memory = numatune.find("memory")
    if mode is None:
        if memory is not None:
            numatune.remove(memory)
        _drop_if_empty(root, numatune)
        return
    if memory is None:
        memory = ET.Element("memory")
        numatune.insert(0, memory)
    memory.attrib.clear()
    memory.set("mode", mode)
    if placement == "auto":
        memory.set("placement", "auto")
    else:
        memory.set("nodeset", nodeset or "0")


def with_hugepages(root: ET.Element, size_kib: int | None) -> bool:
    """Back the memory by hugepages of `size_kib` (0: the host's default size), or not (None).
    Hugepages come from a memfd (`<source type='memfd'/>`, added when there is no source),
    which needs no hugetlbfs mount on the host. The rest of `<memoryBacking>` (access,
    locked ...) stays. True when the memfd source was added."""
    backing = _child(root, "memoryBacking")
    huge = backing.find("hugepages")
    if huge is not None:
        backing.remove(huge)
    added = False
    if size_kib is not None:
        huge = ET.Element("hugepages")
        if size_kib:
            ET.SubElement(huge, "page", {"size": str(size_kib), "unit": "KiB"})
        backing.insert(0, huge)
        if backing.find("source") is None:
            ET.SubElement(backing, "source", {"type": "memfd"})
            added = True
    _drop_if_empty(root, backing)
    return added


def with_shared_memory(root: ET.Element) -> bool:
    """The shared memory virtiofs needs: `<access mode='shared'/>`, and `<source type='memfd'/>`
    unless the memory is hugepage-backed (from hugetlbfs files or a memfd: shareable either
    way). True when anything was added."""
    backing = _child(root, "memoryBacking")
    added = False
    source = backing.find("source")
    if backing.find("hugepages") is None and (source is None or source.get("type") != "memfd"):
        if source is None:
            source = ET.SubElement(backing, "source")
        source.set("type", "memfd")
        added = True
    access = backing.find("access")
    if access is None:
        ET.SubElement(backing, "access", {"mode": "shared"})
        added = True
    elif access.get("mode") != "shared":
        access.set("mode", "shared")
        added = True
    return added


def needs_shared_memory(tuning: Tuning) -> bool:
    return not tuning.shared_access or (tuning.hugepage_kib is None and not tuning.memfd_shared)


def share_element(source: str, tag: str) -> ET.Element:
    fs = ET.Element("filesystem", {"type": "mount", "accessmode": "passthrough"})
    ET.SubElement(fs, "driver", {"type": "virtiofs"})
    ET.SubElement(fs, "source", {"dir": source})
    ET.SubElement(fs, "target", {"dir": tag})
    return fs


def _devices(root: ET.Element) -> ET.Element:
    return _child(root, "devices")


def with_share(root: ET.Element, source: str, tag: str) -> bool:
    """Add a virtiofs share (and the shared memory it needs). True when the memory backing changed."""
    added = with_shared_memory(root)
    _devices(root).append(share_element(source, tag))
    return added


def find_share(root: ET.Element, tag: str) -> ET.Element | None:
    for fs in root.findall("devices/filesystem"):
        driver, target = fs.find("driver"), fs.find("target")
        if driver is not None and driver.get("type") == "virtiofs" and target is not None and target.get("dir") == tag:
            return fs
    return None


def without_share(root: ET.Element, tag: str) -> bool:
    """Remove the share with this tag (the memory backing stays). False when there was none."""
    fs = find_share(root, tag)
    if fs is None:
        return False
    _devices(root).remove(fs)
    return True


def hostdev_element(ref: HostdevRef) -> ET.Element:
    el = ET.Element("hostdev", {"mode": "subsystem", "type": ref.kind, "managed": "yes"})
    source = ET.SubElement(el, "source")
    if ref.kind == "usb":
        if ref.vendor_id:
            ET.SubElement(source, "vendor", {"id": ref.vendor_id})
            ET.SubElement(source, "product", {"id": ref.product_id or "0x0000"})
        else:
            bus, _, device = (ref.address or "0:0").partition(":")
            ET.SubElement(source, "address", {"bus": bus, "device": device})
        return el
    domain, bus, rest = (ref.address or "0000:00:00.0").split(":")
    slot, _, function = rest.partition(".")
    ET.SubElement(source, "address", {"domain": f"0x{domain}", "bus": f"0x{bus}", "slot": f"0x{slot}",
                                      "function": f"0x{function}"})
    return el


def find_hostdev(root: ET.Element, ident: str) -> ET.Element | None:
    for el in root.findall("devices/hostdev"):
        ref = hostdev_ref(el)
        if ref is not None and ref.ident == ident:
            return el
    return None


def with_hostdev(root: ET.Element, ref: HostdevRef) -> None:
    _devices(root).append(hostdev_element(ref))


def without_hostdev(root: ET.Element, ident: str) -> bool:
    el = find_hostdev(root, ident)
    if el is None:
        return False
    _devices(root).remove(el)
    return True
