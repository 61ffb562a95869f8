"""The domain XML of a new guest, from the choices of the create form.

``GuestSpec`` holds the choices, ``build_guest_xml`` writes them as libvirt
domain XML, ``parse_guest_spec`` reads the same choices back (from our XML,
or from what libvirt returns after defining it). ``spec_problems`` says what
does not go together (``spec_conflicts``: with the field each concerns),
``defaults_for_os`` fills choices from an osinfo entry.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from . import parse
from .domain import to_kib

if TYPE_CHECKING:
    from ..osinfo import OsVariant

LIBOSINFO_NS = "http://libosinfo.org/xmlns/libvirt/domain/1.0"
ET.register_namespace("libosinfo", LIBOSINFO_NS)

DOMAIN_TYPES = ("kvm", "qemu")  # and "test" for libvirt's test driver
FIRMWARES = ("bios", "efi")
CPU_MODES = ("host-passthrough", "host-model", "maximum", "custom")
DISK_BUSES = ("virtio", "sata", "scsi")
DISK_FORMATS = ("qcow2", "raw")
NIC_KINDS = ("network", "bridge", "direct")
NIC_MODELS = ("virtio", "e1000e", "e1000", "rtl8139")
DIRECT_MODES = ("bridge", "vepa", "private", "passthrough")
GRAPHICS = ("none", "vnc", "spice")
BOOT_DEVICES = ("cdrom", "hd", "network")
GUEST_AGENT_CHANNEL = "org.qemu.guest_agent.0"
# Device aliases a user may set start with "ua-"; they mark which CD-ROM is
# which so the choices read back.
CLOUD_INIT_ALIAS = "ua-cloud-init"
HYPERV_FEATURES = ("relaxed", "vapic", "spinlocks", "vpindex", "runtime", "synic", "stimer", "frequencies")
SPINLOCK_RETRIES = "8191"


@dataclass(frozen=True)
class DiskSpec:
    """A disk from a storage volume (``pool`` + ``volume``) or a host path
    (a file, or a block device under /dev)."""

    pool: str | None = None
    volume: str | None = None
    path: str | None = None
    bus: str = "virtio"
    format: str = "qcow2"


@dataclass(frozen=True)
class NicSpec:
    """``kind`` network (source = network name), bridge (host bridge) or
    direct (host interface, with ``mode`` one of DIRECT_MODES)."""

    kind: str = "network"
    source: str = "default"
    model: str = "virtio"
    mac: str | None = None
    mode: str | None = None


@dataclass(frozen=True)
class GuestSpec:
    """Every choice of the create-guest form. Memory in KiB (as libvirt
    stores it); ``machine`` None lets libvirt pick; ``boot`` in order."""

    name: str
    memory_kib: int = 1024 * 1024
    vcpus: int = 1
    domain_type: str = "kvm"
    arch: str = "x86_64"
    machine: str | None = "q35"
    firmware: str = "bios"
    secure_boot: bool = False
    cpu_mode: str = "host-passthrough"
    cpu_model: str | None = None  # for cpu_mode custom
    disks: tuple[DiskSpec, ...] = ()
    cdroms: tuple[str, ...] = ()  # install ISO first, then e.g. virtio-win
    cloud_init_iso: str | None = None
    nics: tuple[NicSpec, ...] = ()
    guest_agent: bool = True
    graphics: str = "none"
    boot: tuple[str, ...] = ("hd",)
    kernel: str | None = None
    initrd: str | None = None
    cmdline: str | None = None
    os_id: str | None = None  # libosinfo id, e.g. http://debian.org/debian/12
    hyperv: bool = False
    localtime: bool = False
    tpm: bool = False


def spec_problems(spec: GuestSpec) -> tuple[str, ...]:
    """Choices that do not go together, in words for the form."""
    return tuple(words for _field, words in spec_conflicts(spec))


def spec_conflicts(spec: GuestSpec) -> tuple[tuple[str, str], ...]:
    """``spec_problems`` with the GuestSpec field each one concerns: (field, words)."""
    problems: list[tuple[str, str]] = []
    if spec.domain_type not in DOMAIN_TYPES and spec.domain_type != "test":
        problems.append(("domain_type", f"Domain type is one of {', '.join(DOMAIN_TYPES)}"))
    if spec.firmware not in FIRMWARES:
        problems.append(("firmware", "Firmware is bios or efi"))
    if spec.secure_boot and spec.firmware != "efi":
        problems.append(("secure_boot", "Secure boot needs UEFI firmware"))
    if spec.secure_boot and spec.machine and "q35" not in spec.machine and spec.arch in ("x86_64", "i686"):
        problems.append(("secure_boot", "Secure boot needs the q35 machine type"))
    if spec.cpu_mode not in CPU_MODES:
        problems.append(("cpu_mode", f"CPU mode is one of {', '.join(CPU_MODES)}"))
    if spec.cpu_mode == "host-passthrough" and spec.domain_type == "qemu":
        problems.append(("cpu_mode", "host-passthrough needs KVM: use 'maximum' with plain QEMU (TCG)"))
    if spec.cpu_mode == "custom" and not spec.cpu_model:
        problems.append(("cpu_model", "A custom CPU needs a model name"))
    if spec.graphics not in GRAPHICS:
        problems.append(("graphics", f"Graphics is one of {', '.join(GRAPHICS)}"))
    for disk in spec.disks:
        if not ((disk.pool and disk.volume) or disk.path) or (disk.path and (disk.pool or disk.volume)):
            problems.append(("disks", "A disk is either a pool volume or a path"))
        if disk.bus not in DISK_BUSES:
            problems.append(("disks", f"Disk bus is one of {', '.join(DISK_BUSES)}"))
    for nic in spec.nics:
        if nic.kind not in NIC_KINDS:
            problems.append(("nics", f"Network interface type is one of {', '.join(NIC_KINDS)}"))
        if nic.kind == "direct" and (nic.mode or "bridge") not in DIRECT_MODES:
            problems.append(("nics", f"Direct mode is one of {', '.join(DIRECT_MODES)}"))
    for dev in spec.boot:
        if dev not in BOOT_DEVICES:
            problems.append(("boot", f"Boot device is one of {', '.join(BOOT_DEVICES)}"))
    if not spec.boot:
        problems.append(("boot", "Choose a boot device: cdrom, hd or network"))
    if "cdrom" in spec.boot and not spec.cdroms:
        problems.append(("cdroms", "Booting from CD-ROM needs an ISO"))
    if "network" in spec.boot and not spec.nics:
        problems.append(("boot", "Network (PXE) boot needs a network interface"))
    if "hd" in spec.boot and not spec.disks and not spec.kernel:
        problems.append(("disks", "Booting from disk needs a disk"))
    if (spec.initrd or spec.cmdline) and not spec.kernel:
        problems.append(("kernel", "An initrd or kernel command line needs a kernel"))
    return tuple(problems)


def defaults_for_os(name: str, variant: OsVariant, **choices) -> GuestSpec:
    """A GuestSpec with what ``variant`` needs and recommends; ``choices``
    (any GuestSpec field) override. Windows gets q35, Hyper-V
    enlightenments, local time and SPICE; Windows 11 UEFI + secure boot +
    TPM. Make disks and NICs with disk_for_os / nic_for_os."""
    windows = variant.is_windows
    base = GuestSpec(
        name=name,
        memory_kib=variant.memory // 1024,
        vcpus=variant.vcpus,
        machine="q35",
        firmware="efi" if variant.needs_uefi else "bios",
        secure_boot=variant.needs_secure_boot,
        os_id=variant.id,
        hyperv=windows,
        localtime=windows,
        tpm=variant.needs_tpm,
        graphics="spice" if windows else "none",
        guest_agent=True,
    )
    return replace(base, **choices)


def disk_for_os(variant: OsVariant, **choices) -> DiskSpec:
    """A disk on virtio where the OS has the driver, else SATA (Windows
    installs without the virtio-win drivers); ``choices`` override."""
    return DiskSpec(**{"bus": "virtio" if variant.virtio_disk else "sata", **choices})


def nic_for_os(variant: OsVariant, **choices) -> NicSpec:
    """A virtio NIC where the OS has the driver, else e1000e (Windows) or e1000."""
    model = "virtio" if variant.virtio_net else ("e1000e" if variant.is_windows else "e1000")
    return NicSpec(**{"model": model, **choices})


# ---------------------------------------------------------------------------
# building


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


class _Targets:
    """Hands out target device names per bus: vda.., sda.. (sata and scsi
    share the sd namespace), hda.."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    def next(self, bus: str) -> str:
        prefix = {"virtio": "vd", "ide": "hd"}.get(bus, "sd")
        index = self.used.get(prefix, 0)
        self.used[prefix] = index + 1
        return prefix + _letters(index)


def _letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _cdrom_bus(spec: GuestSpec) -> str:
    """SATA on x86 (q35 has no IDE), IDE only where the i440fx 'pc' machine
    is asked for by name, SCSI elsewhere."""
    if spec.arch not in ("x86_64", "i686"):
        return "scsi"
    machine = spec.machine or ""
    return "ide" if machine.startswith("pc") and "q35" not in machine else "sata"


def _os(root: ET.Element, spec: GuestSpec) -> None:
    os_el = _sub(root, "os")
    type_attrs = {"arch": spec.arch}
    if spec.machine:
        type_attrs["machine"] = spec.machine
    _sub(os_el, "type", "hvm", **type_attrs)
    if spec.firmware == "efi":
        os_el.set("firmware", "efi")
        fw = _sub(os_el, "firmware")
        state = "yes" if spec.secure_boot else "no"
        _sub(fw, "feature", enabled=state, name="enrolled-keys")
        _sub(fw, "feature", enabled=state, name="secure-boot")
    if spec.kernel:
        _sub(os_el, "kernel", spec.kernel)
        if spec.initrd:
            _sub(os_el, "initrd", spec.initrd)
        if spec.cmdline:
            _sub(os_el, "cmdline", spec.cmdline)
    for dev in spec.boot:
        _sub(os_el, "boot", dev=dev)


def _features(root: ET.Element, spec: GuestSpec) -> None:
    features = _sub(root, "features")
    _sub(features, "acpi")
    _sub(features, "apic")
    if spec.hyperv:
        hyperv = _sub(features, "hyperv", mode="custom")
        for name in HYPERV_FEATURES:
            el = _sub(hyperv, name, state="on")
            if name == "spinlocks":
                el.set("retries", SPINLOCK_RETRIES)
    if spec.secure_boot:
        _sub(features, "smm", state="on")


def _cpu(root: ET.Element, spec: GuestSpec) -> None:
    if spec.cpu_mode == "custom":
        cpu = _sub(root, "cpu", mode="custom", match="exact")
        _sub(cpu, "model", spec.cpu_model or "", fallback="allow")
    elif spec.cpu_mode == "host-passthrough":
        _sub(root, "cpu", mode="host-passthrough", check="none", migratable="on")
    else:
        _sub(root, "cpu", mode=spec.cpu_mode)


def _clock(root: ET.Element, spec: GuestSpec) -> None:
    clock = _sub(root, "clock", offset="localtime" if spec.localtime else "utc")
    _sub(clock, "timer", name="rtc", tickpolicy="catchup")
    _sub(clock, "timer", name="pit", tickpolicy="delay")
    _sub(clock, "timer", name="hpet", present="no")
    if spec.hyperv:
        _sub(clock, "timer", name="hypervclock", present="yes")


def _disk(devices: ET.Element, disk: DiskSpec, targets: _Targets) -> None:
    if disk.path:
        block = disk.path.startswith("/dev/")
        el = _sub(devices, "disk", type="block" if block else "file", device="disk")
        _sub(el, "driver", name="qemu", type=disk.format)
        _sub(el, "source", **({"dev": disk.path} if block else {"file": disk.path}))
    else:
        el = _sub(devices, "disk", type="volume", device="disk")
        _sub(el, "driver", name="qemu", type=disk.format)
        _sub(el, "source", pool=disk.pool or "", volume=disk.volume or "")
    _sub(el, "target", dev=targets.next(disk.bus), bus=disk.bus)


def _cdrom(devices: ET.Element, path: str, bus: str, targets: _Targets, alias: str | None = None) -> None:
    el = _sub(devices, "disk", type="file", device="cdrom")
    _sub(el, "driver", name="qemu", type="raw")
    _sub(el, "source", file=path)
    _sub(el, "target", dev=targets.next(bus), bus=bus)
    _sub(el, "readonly")
    if alias:
        _sub(el, "alias", name=alias)


def _nic(devices: ET.Element, nic: NicSpec) -> None:
    el = _sub(devices, "interface", type=nic.kind)
    if nic.mac:
        _sub(el, "mac", address=nic.mac)
    if nic.kind == "network":
        _sub(el, "source", network=nic.source)
    elif nic.kind == "bridge":
        _sub(el, "source", bridge=nic.source)
    else:
        _sub(el, "source", dev=nic.source, mode=nic.mode or "bridge")
    _sub(el, "model", type=nic.model)


def _graphics(devices: ET.Element, spec: GuestSpec) -> None:
    if spec.graphics == "none":
        return
    gfx = _sub(devices, "graphics", type=spec.graphics, autoport="yes")
    _sub(gfx, "listen", type="address", address="127.0.0.1")
    if spec.graphics == "spice":
        chan = _sub(devices, "channel", type="spicevmc")
        _sub(chan, "target", type="virtio", name="com.redhat.spice.0")
    video = _sub(devices, "video")
    _sub(video, "model", type="qxl" if spec.graphics == "spice" else "virtio" if not spec.hyperv else "vga")
    _sub(devices, "input", type="tablet", bus="usb")


def build_guest_xml(spec: GuestSpec) -> str:
    """Domain XML for ``spec`` (check ``spec_problems`` first).

    Disks get targets in order per bus (vda.., sda..); libvirt keeps them
    sorted by bus, so the first disk of a bus is the one 'hd' boots from.
    The cloud-init seed is a CD-ROM marked with the user alias
    ``ua-cloud-init``; the serial console is always there."""
    root = ET.Element("domain", type=spec.domain_type)
    _sub(root, "name", spec.name)
    if spec.os_id:
        metadata = _sub(root, "metadata")
        info = _sub(metadata, f"{{{LIBOSINFO_NS}}}libosinfo")
        _sub(info, f"{{{LIBOSINFO_NS}}}os", id=spec.os_id)
    _sub(root, "memory", str(spec.memory_kib), unit="KiB")
    _sub(root, "currentMemory", str(spec.memory_kib), unit="KiB")
    _sub(root, "vcpu", str(spec.vcpus), placement="static")
    _os(root, spec)
    _features(root, spec)
    _cpu(root, spec)
    _clock(root, spec)
    _sub(root, "on_poweroff", "destroy")
    _sub(root, "on_reboot", "restart")
    _sub(root, "on_crash", "destroy")

    devices = _sub(root, "devices")
    targets = _Targets()
    for disk in spec.disks:
        _disk(devices, disk, targets)
    bus = _cdrom_bus(spec)
    for path in spec.cdroms:
        _cdrom(devices, path, bus, targets)
    if spec.cloud_init_iso:
        _cdrom(devices, spec.cloud_init_iso, bus, targets, alias=CLOUD_INIT_ALIAS)
    for nic in spec.nics:
        _nic(devices, nic)
    serial = _sub(devices, "serial", type="pty")
    _sub(serial, "target", port="0")
    console = _sub(devices, "console", type="pty")
    _sub(console, "target", type="serial", port="0")
    if spec.guest_agent:
        channel = _sub(devices, "channel", type="unix")
        _sub(channel, "target", type="virtio", name=GUEST_AGENT_CHANNEL)
    _graphics(devices, spec)
    if spec.tpm:
        tpm = _sub(devices, "tpm", model="tpm-crb")
        _sub(tpm, "backend", type="emulator", version="2.0")
    _sub(devices, "memballoon", model="virtio")
    return ET.tostring(root, encoding="unicode")


# ---------------------------------------------------------------------------
# reading back


def _memory_kib(root: ET.Element) -> int:
    el = root.find("memory")
    if el is None or not (el.text or "").strip().isdigit():
        raise ValueError("domain XML has no <memory>")
    return to_kib(int(el.text.strip()), el.get("unit"))


def _parse_disk(el: ET.Element) -> DiskSpec:
    source = el.find("source")
    source = source if source is not None else ET.Element("source")
    driver = el.find("driver")
    target = el.find("target")
    kind = el.get("type")
    return DiskSpec(
        pool=source.get("pool") if kind == "volume" else None,
        volume=source.get("volume") if kind == "volume" else None,
        path=source.get("file") or source.get("dev") if kind in ("file", "block") else None,
        bus=target.get("bus", "virtio") if target is not None else "virtio",
        format=(driver.get("type") if driver is not None else None) or "raw",
    )


def _parse_nic(el: ET.Element) -> NicSpec:
    source = el.find("source")
    source = source if source is not None else ET.Element("source")
    mac = el.find("mac")
    model = el.find("model")
    kind = el.get("type", "network")
    return NicSpec(
        kind=kind,
        source=source.get("network") or source.get("bridge") or source.get("dev") or "",
        model=model.get("type") if model is not None else "",
        mac=mac.get("address").lower() if mac is not None and mac.get("address") else None,
        mode=source.get("mode") if kind == "direct" else None,
    )


def _firmware(os_el: ET.Element) -> tuple[str, bool]:
    features = {f.get("name"): f.get("enabled") == "yes" for f in os_el.findall("firmware/feature")}
    loader = os_el.find("loader")
    efi = os_el.get("firmware") == "efi" or (loader is not None and loader.get("type") == "pflash")
    secure = features.get("secure-boot", False) or (loader is not None and loader.get("secure") == "yes")
    return ("efi" if efi else "bios"), secure


def parse_guest_spec(xml: str | bytes) -> GuestSpec:
    """The GuestSpec choices in a domain XML: the inverse of build_guest_xml
    (also for the XML libvirt gives back after defining it)."""
    root = parse.root(xml, "domain")
    name_el = root.find("name")
    if name_el is None or not name_el.text:
        raise ValueError("domain XML has no <name>")
    os_el = root.find("os")
    os_el = os_el if os_el is not None else ET.Element("os")
    type_el = os_el.find("type")
    firmware, secure = _firmware(os_el)
    cpu = root.find("cpu")
    cpu_mode = cpu.get("mode", "custom") if cpu is not None else "custom"
    disks, cdroms, cloud_init = [], [], None
    for el in root.findall("devices/disk"):
        if el.get("device", "disk") == "disk":
            disks.append(_parse_disk(el))
        elif el.get("device") == "cdrom":
            source = el.find("source")
            path = source.get("file") if source is not None else None
            alias = el.find("alias")
            if alias is not None and alias.get("name") == CLOUD_INIT_ALIAS:
                cloud_init = path
            elif path:
                cdroms.append(path)
    graphics = root.find("devices/graphics")
    clock = root.find("clock")
    osinfo = root.find(f"metadata/{{{LIBOSINFO_NS}}}libosinfo/{{{LIBOSINFO_NS}}}os")
    vcpu = root.find("vcpu")
    return GuestSpec(
        name=name_el.text,
        memory_kib=_memory_kib(root),
        vcpus=int((vcpu.text or "1").strip()) if vcpu is not None else 1,
        domain_type=root.get("type", ""),
        arch=type_el.get("arch", "") if type_el is not None else "",
        machine=type_el.get("machine") if type_el is not None else None,
        firmware=firmware,
        secure_boot=secure,
        cpu_mode=cpu_mode,
        cpu_model=cpu.findtext("model") if cpu is not None and cpu_mode == "custom" else None,
        disks=tuple(disks),
        cdroms=tuple(cdroms),
        cloud_init_iso=cloud_init,
        nics=tuple(_parse_nic(el) for el in root.findall("devices/interface")),
        guest_agent=any(
            t.get("name") == GUEST_AGENT_CHANNEL for t in root.findall("devices/channel/target")
        ),
        graphics=graphics.get("type", "none") if graphics is not None else "none",
        boot=tuple(b.get("dev", "") for b in os_el.findall("boot")),
        kernel=os_el.findtext("kernel"),
        initrd=os_el.findtext("initrd"),
        cmdline=os_el.findtext("cmdline"),
        os_id=osinfo.get("id") if osinfo is not None else None,
        hyperv=root.find("features/hyperv") is not None,
        localtime=clock is not None and clock.get("offset") == "localtime",
        tpm=root.find("devices/tpm") is not None,
    )
