"""Parse libvirt domain XML into the facts the Guests view shows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from . import parse

_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}


@dataclass(frozen=True)
class DomainInfo:
    name: str
    uuid: str
    domain_type: str
    vcpus: int
    memory_kib: int
    max_memory_kib: int
    os_type: str | None
    arch: str | None
    machine: str | None
    title: str | None
    description: str | None


def unit_scale(unit: str | None) -> int:
    """Bytes per ``unit`` as libvirt reads memory units.

    No unit means KiB. ``b``/``byte``/``bytes`` is 1; a letter k m g t p e
    alone or followed by ``iB`` is a power of 1024, followed by ``B`` a power
    of 1000. Case does not matter (libvirt compares case-insensitively).
    """
    if unit is None or unit == "":
        return 1024
    u = unit.strip().lower()
    if u in ("b", "byte", "bytes"):
        return 1
    power = _POWERS.get(u[:1])
    rest = u[1:]
    if power is None or rest not in ("", "ib", "b"):
        raise ValueError(f"unknown memory unit {unit!r}")
    base = 1000 if rest == "b" else 1024
    return base**power


def to_kib(value: int, unit: str | None) -> int:
    """``value`` ``unit`` in KiB, rounded up as libvirt does."""
    return -(-(value * unit_scale(unit)) // 1024)


def _int(text: str | None, what: str) -> int:
    try:
        value = int((text or "").strip())
    except ValueError:
        raise ValueError(f"domain XML: {what} is not an integer: {text!r}") from None
    if value < 0:
        raise ValueError(f"domain XML: {what} is negative: {value}")
    return value


def _memory_kib(el: ET.Element | None, what: str) -> int | None:
    if el is None:
        return None
    return to_kib(_int(el.text, what), el.get("unit"))


def _optional_text(el: ET.Element | None) -> str | None:
    if el is None or not el.text:
        return None
    return el.text


def parse_domain(xml: str | bytes) -> DomainInfo:
    """Summarise a <domain> document.

    The name, title and description are returned exactly as written (no
    stripping). ``vcpus`` is <vcpu current=> when present, else the <vcpu>
    count (1 when absent, as libvirt defaults). ``memory_kib`` is
    <currentMemory> (else <memory>), ``max_memory_kib`` is <memory> (else
    <currentMemory>), both in KiB.
    """
    root = parse.root(xml, "domain")
    name_el = root.find("name")
    if name_el is None or not name_el.text:
        raise ValueError("domain XML has no <name>")

    vcpu_el = root.find("vcpu")
    if vcpu_el is None:
        vcpus = 1
    elif vcpu_el.get("current") is not None:
        vcpus = _int(vcpu_el.get("current"), "vcpu current")
    else:
        vcpus = _int(vcpu_el.text, "vcpu")

    maximum = _memory_kib(root.find("memory"), "memory")
    current = _memory_kib(root.find("currentMemory"), "currentMemory")
    if current is None:
        current = maximum
    if maximum is None:
        maximum = current

    os_type_el = root.find("os/type")
    return DomainInfo(
        name=name_el.text,
        uuid=(root.findtext("uuid") or "").strip(),
        domain_type=root.get("type", ""),
        vcpus=vcpus,
        memory_kib=current or 0,
        max_memory_kib=maximum or 0,
        os_type=((os_type_el.text or "").strip() or None) if os_type_el is not None else None,
        arch=os_type_el.get("arch") if os_type_el is not None else None,
        machine=os_type_el.get("machine") if os_type_el is not None else None,
        title=_optional_text(root.find("title")),
        description=_optional_text(root.find("description")),
    )


@dataclass(frozen=True)
class InterfaceInfo:
    mac: str | None
    kind: str  # network, bridge, direct, user, ...
    source: str | None  # network name, bridge or host device
    model: str | None
    target: str | None  # host-side device, e.g. vnet3


def parse_interfaces(xml: str) -> tuple[InterfaceInfo, ...]:
    """Every <interface> of a domain, in order."""
    root = parse.root(xml, "domain")
    found = []
    for iface in root.findall("devices/interface"):
        source = iface.find("source")
        value = None
        if source is not None:
            value = source.get("network") or source.get("bridge") or source.get("dev")
            if value is None and source.get("path"):
                value = vhost_user_text(source)
        mac = iface.find("mac")
        model = iface.find("model")
        target = iface.find("target")
        found.append(
            InterfaceInfo(
                mac=mac.get("address").lower() if mac is not None and mac.get("address") else None,
                kind=iface.get("type", "unknown"),
                source=value,
                model=model.get("type") if model is not None else None,
                target=target.get("dev") if target is not None else None,
            )
        )
    return tuple(found)


# -- the guest detail screen: overview, disks, NICs, consoles, agent --------

LIBOSINFO_NS = "http://libosinfo.org/xmlns/libvirt/domain/1.0"
AGENT_CHANNEL = "org.qemu.guest_agent.0"


@dataclass(frozen=True)
class Overview:
    domain_type: str
    arch: str | None
    machine: str | None
    firmware: str  # "BIOS", "UEFI", "UEFI (secure boot)", "direct kernel boot"
    os_id: str | None  # libosinfo id, e.g. http://debian.org/debian/12
    title: str | None
    description: str | None
    boot: BootPlan | None = None  # what the next boot starts from (see parse_boot)


def parse_overview(xml: str | bytes) -> Overview:
    root = parse.root(xml, "domain")
    os_el = root.find("os")
    type_el = os_el.find("type") if os_el is not None else None
    firmware = "BIOS"
    if os_el is not None:
        loader = os_el.find("loader")
        features = {f.get("name"): f.get("enabled") for f in os_el.findall("firmware/feature")}
        uefi = os_el.get("firmware") == "efi" or (loader is not None and loader.get("type") == "pflash")
        secure = (loader is not None and loader.get("secure") == "yes") or features.get("secure-boot") == "yes"
        if uefi:
            firmware = "UEFI (secure boot)" if secure else "UEFI"
        elif os_el.find("kernel") is not None:
            firmware = "direct kernel boot"
    os_info = root.find(f"metadata/{{{LIBOSINFO_NS}}}libosinfo/{{{LIBOSINFO_NS}}}os")
    return Overview(
        domain_type=root.get("type", ""),
        arch=type_el.get("arch") if type_el is not None else None,
        machine=type_el.get("machine") if type_el is not None else None,
        firmware=firmware,
        os_id=os_info.get("id") if os_info is not None else None,
        title=_optional_text(root.find("title")),
        description=_optional_text(root.find("description")),
        boot=boot_plan(root),
    )


@dataclass(frozen=True)
class Layer:
    """One image under a disk: its path (or volume, or network name) and format."""
    source: str
    format: str | None


@dataclass(frozen=True)
class DiskDevice:
    target: str
    bus: str | None
    device: str  # disk, cdrom, floppy, lun
    kind: str  # file, block, volume, network, dir
    source: str | None  # path, "pool/volume", protocol name; None for an empty drive
    path: str | None  # a host path, when the source is one
    format: str | None
    read_only: bool
    shareable: bool
    backing: tuple[Layer, ...]  # from the XML's <backingStore> chain, top first


def _source_of(kind: str, el: ET.Element | None) -> tuple[str | None, str | None]:
    if el is None:
        return None, None
    if kind == "volume":
        pool, volume = el.get("pool"), el.get("volume")
        return (f"{pool}/{volume}" if pool or volume else None), None
    if kind == "network":
        return network_source_text(el), None
    path = el.get("file") or el.get("dev") or el.get("dir")
    return path, path


# Protocols whose images a URL names (scheme://host:port/name); the rest are written their own way below.
_URL_PROTOCOLS = frozenset({"http", "https", "ftp", "ftps", "tftp", "nbd", "gluster", "iscsi", "nfs", "ssh",
                            "sheepdog", "vxhs"})
_DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21", "ftps": "990", "tftp": "69"}


def _host_port(host: ET.Element) -> str:
    name = host.get("name") or ""
    if ":" in name and not name.startswith("["):  # an IPv6 literal
        name = f"[{name}]"
    return f"{name}:{host.get('port')}" if host.get("port") else name


def network_source_text(el: ET.Element) -> str:
    """A network disk's <source> as one line that keeps every host, port and socket:
    ``nbd://nbd.example.org:10809/export``, ``nbd+unix:///export?socket=/run/nbd.sock``,
    ``rbd:pool/image @ mon1:6789,mon2:6789``, ``gluster://h:24007/vol/path``,
    ``iscsi://h:3260/iqn.../1``, ``https://h/iso?query``."""
    protocol = el.get("protocol") or "network"
    name = el.get("name") or ""
    hosts = el.findall("host")
    sockets = [h.get("socket") for h in hosts if h.get("transport") == "unix" and h.get("socket")]
    tcp = [h for h in hosts if h.get("transport", "tcp") != "unix" and h.get("name")]
    query = el.get("query")
    if protocol == "rbd" or protocol not in _URL_PROTOCOLS:
        text = f"{protocol}:{name}" if name else protocol
        if tcp:
            text += " @ " + ",".join(_host_port(h) for h in tcp)
        if sockets:
            text += " @ " + ",".join(f"unix:{s}" for s in sockets)
        return text
    path = name if name.startswith("/") or not name else f"/{name}"
    if sockets:
        text = f"{protocol}+unix://{path or '/'}?socket={sockets[0]}"
        return text + (f"&{query}" if query else "")
    authority = ",".join(_host_port(h) for h in tcp)
    text = f"{protocol}://{authority}{path}"
    return text + (f"?{query}" if query else "")


def _backing_chain(el: ET.Element) -> tuple[Layer, ...]:
    chain = []
    store = el.find("backingStore")
    while store is not None and store.find("source") is not None:  # an empty <backingStore/> ends it
        source, _ = _source_of(store.get("type", "file"), store.find("source"))
        fmt = store.find("format")
        chain.append(Layer(source or "?", fmt.get("type") if fmt is not None else None))
        store = store.find("backingStore")
    return tuple(chain)


def parse_disks(xml: str | bytes) -> tuple[DiskDevice, ...]:
    """Every <disk> of a domain, in order."""
    found = []
    for disk in parse.root(xml, "domain").findall("devices/disk"):
        kind = disk.get("type", "file")
        source, path = _source_of(kind, disk.find("source"))
        target = disk.find("target")
        driver = disk.find("driver")
        found.append(DiskDevice(
            target=target.get("dev", "?") if target is not None else "?",
            bus=target.get("bus") if target is not None else None,
            device=disk.get("device", "disk"),
            kind=kind,
            source=source,
            path=path,
            format=driver.get("type") if driver is not None else None,
            read_only=disk.find("readonly") is not None,
            shareable=disk.find("shareable") is not None,
            backing=_backing_chain(disk),
        ))
    return tuple(found)


@dataclass(frozen=True)
class VolumeBacking:
    path: str | None
    format: str | None


def parse_volume_backing(xml: str | bytes) -> VolumeBacking | None:
    """The <backingStore> of a storage volume's XML, if it has one."""
    store = parse.root(xml, "volume").find("backingStore")
    if store is None or not (store.findtext("path") or "").strip():
        return None
    fmt = store.find("format")
    return VolumeBacking((store.findtext("path") or "").strip(), fmt.get("type") if fmt is not None else None)


@dataclass(frozen=True)
class NicDevice:
    mac: str | None
    kind: str  # network, bridge, direct, user ...
    source: str | None  # "network default", "bridge br0", "direct eth0 (vepa)"
    model: str | None
    link: str  # up / down (libvirt's default is up)
    target: str | None


def parse_nics(xml: str | bytes) -> tuple[NicDevice, ...]:
    found = []
    for iface in parse.root(xml, "domain").findall("devices/interface"):
        kind = iface.get("type", "unknown")
        src = iface.find("source")
        source = None
        if src is not None:
            if src.get("network"):
                source = f"network {src.get('network')}"
                if src.get("portgroup"):
                    source += f" (portgroup {src.get('portgroup')})"
            elif src.get("bridge"):
                source = f"bridge {src.get('bridge')}"
            elif src.get("dev"):
                source = f"{kind} {src.get('dev')}" + (f" ({src.get('mode')})" if src.get("mode") else "")
            elif src.get("path"):
                source = vhost_user_text(src)
        mac, model, link, target = (iface.find(t) for t in ("mac", "model", "link", "target"))
        found.append(NicDevice(
            mac=mac.get("address").lower() if mac is not None and mac.get("address") else None,
            kind=kind,
            source=source,
            model=model.get("type") if model is not None else None,
            link=link.get("state", "up") if link is not None else "up",
            target=target.get("dev") if target is not None else None,
        ))
    return tuple(found)


def vhost_user_text(src: ET.Element) -> str:
    """A vhost-user NIC's <source type='unix' path=... mode=...>: the socket and who creates it."""
    mode = src.get("mode")
    role = {"client": "QEMU connects", "server": "QEMU listens"}.get(mode or "", mode)
    return f"socket {src.get('path')}" + (f" ({mode}: {role})" if mode else "")


@dataclass(frozen=True)
class CharDevice:
    element: str  # serial, console, channel, parallel
    kind: str  # pty, file, unix, tcp ...
    target: str  # e.g. "isa-serial port 0", "serial port 0", "virtio org.qemu.guest_agent.0"
    source: str | None  # pty path, file, socket ...


@dataclass(frozen=True)
class Graphics:
    kind: str  # vnc, spice, ...
    listen: str | None  # an address, or a socket path; None when there is neither
    port: int | None  # None until the guest runs (autoport) or when there is none
    tls_port: int | None
    autoport: bool
    listen_type: str = "address"  # address, network, socket, none (libvirt's <listen type>)
    listen_network: str | None = None  # the network of a listen type='network'
    port_attr: str | None = None  # <graphics port=...> as written: "-1" on a running guest means no port


def _port(value: str | None) -> int | None:
    try:
        port = int(value or "")
    except ValueError:
        return None
    return port if port > 0 else None


def parse_consoles(xml: str | bytes) -> tuple[tuple[CharDevice, ...], tuple[Graphics, ...]]:
    root = parse.root(xml, "domain")
    chars = []
    for element in ("serial", "console", "parallel"):
        for dev in root.findall(f"devices/{element}"):
            target = dev.find("target")
            words = []
            if target is not None:
                words = [target.get("type") or "", "port", target.get("port") or "0"]
            src = dev.find("source")
            source = None
            if src is not None:
                source = src.get("path") or src.get("host") and f"{src.get('host')}:{src.get('service')}"
            if source is None and dev.get("tty"):
                source = dev.get("tty")
            chars.append(CharDevice(element, dev.get("type", "?"), " ".join(w for w in words if w), source))
    graphics = [parse_graphics(g) for g in root.findall("devices/graphics")]
    return tuple(chars), tuple(graphics)


def parse_graphics(g: ET.Element) -> Graphics:
    """One <graphics>: its first <listen> (or the legacy listen= / socket= attributes) and ports."""
    listen = g.get("listen")
    listen_type = "socket" if g.get("socket") else "address"
    network = None
    listen_el = g.find("listen")
    if g.get("socket"):
        listen = g.get("socket")
    if listen_el is not None:
        listen_type = listen_el.get("type") or listen_type
        network = listen_el.get("network")
        listen = listen_el.get("socket") or listen_el.get("address") or (listen if listen_type == "address" else None)
    if listen_type == "none":
        listen = None
    return Graphics(g.get("type", "?"), listen, _port(g.get("port")), _port(g.get("tlsPort")),
                    g.get("autoport") == "yes", listen_type, network, g.get("port"))


# <os><boot dev=...> words, as a user reads them.
BOOT_DEVS = {"hd": "hard disk", "cdrom": "CD-ROM", "network": "network (PXE)", "fd": "floppy"}


@dataclass(frozen=True)
class BootPlan:
    """What the guest boots from, in order, and where that order comes from."""
    source: str  # "devices" (per-device <boot order>), "os" (<os><boot dev>), "default", "kernel"
    entries: tuple[str, ...]
    menu: bool = False  # <bootmenu enable='yes'>
    device_order: tuple[str, ...] = ()  # per-device orders a direct kernel boot leaves unused


def _boot_label(el: ET.Element) -> str:
    tag = el.tag
    if tag == "disk":
        target = el.find("target")
        dev = target.get("dev") if target is not None else "?"
        return f"{'CD-ROM' if el.get('device') == 'cdrom' else el.get('device', 'disk')} {dev}"
    if tag == "interface":
        mac = el.find("mac")
        return f"NIC {mac.get('address') if mac is not None else '?'}"
    if tag == "hostdev":
        kind = el.get("type", "")
        vendor, product = el.find("source/vendor"), el.find("source/product")
        if vendor is not None and product is not None:
            return f"USB host device {vendor.get('id')}:{product.get('id')}"
        address = el.find("source/address")
        if address is not None and kind == "pci":
            parts = [address.get(a, "0").removeprefix("0x") for a in ("domain", "bus", "slot", "function")]
            return f"PCI host device {parts[0]:0>4}:{parts[1]:0>2}:{parts[2]:0>2}.{parts[3]}"
        return f"{kind.upper() or 'host'} host device"
    if tag == "redirdev":
        return f"USB redirection ({el.get('type', '?')})"
    return tag


_BOOT_DEVICES = {"hd": ("disk", "lun"), "cdrom": ("cdrom",), "fd": ("floppy",)}


def _first_target(root: ET.Element, dev: str) -> str | None:
    """The target of the first disk an <os><boot dev> word names (vda for hd, sda for cdrom ...)."""
    for disk in root.findall("devices/disk"):
        if disk.get("device", "disk") in _BOOT_DEVICES.get(dev, ()):
            target = disk.find("target")
            return target.get("dev") if target is not None else "?"
    return None


def parse_boot(xml: str | bytes) -> BootPlan:
    """The boot order libvirt follows: a direct-boot kernel; else per-device <boot order> when any
    device has one (disks, NICs, host devices, USB redirection); else the <os><boot dev> list; else
    the first hard disk, libvirt's default."""
    return boot_plan(parse.root(xml, "domain"))


def boot_plan(root: ET.Element) -> BootPlan:
    """parse_boot on a parsed <domain>."""
    menu = root.find("os/bootmenu")
    menu_on = menu is not None and menu.get("enable") == "yes"
    ordered = []
    for el in root.find("devices") if root.find("devices") is not None else ():
        boot = el.find("boot")
        if boot is not None and boot.get("order"):
            try:
                ordered.append((int(boot.get("order")), _boot_label(el)))
            except ValueError:
                continue
    if root.find("os/kernel") is not None:  # QEMU loads the kernel whatever the boot order says
        return BootPlan("kernel", (f"kernel {root.findtext('os/kernel')}",), menu_on,
                        tuple(label for _, label in sorted(ordered)))
    if ordered:
        return BootPlan("devices", tuple(label for _, label in sorted(ordered)), menu_on)
    devs = [b.get("dev", "") for b in root.findall("os/boot")]
    source = "os" if devs else "default"
    entries = []
    for dev in devs or ["hd"]:
        label = BOOT_DEVS.get(dev, dev)
        if dev == "network":
            nic = root.find("devices/interface/mac")
            entries.append(f"{label}, NIC {nic.get('address')}" if nic is not None else f"{label}: no NIC")
            continue
        first = _first_target(root, dev)
        entries.append(f"{label} {first}" if first else f"{label}: none attached")
    return BootPlan(source, tuple(entries), menu_on)


def parse_agent_channel(xml: str | bytes) -> str | None:
    """The state of the guest agent channel ("connected", "disconnected", or "" when
    libvirt does not say), or None when the guest has no such channel."""
    for channel in parse.root(xml, "domain").findall("devices/channel"):
        target = channel.find("target")
        if target is not None and target.get("name") == AGENT_CHANNEL:
            return target.get("state", "")
    return None


@dataclass(frozen=True)
class GuestFilesystem:
    mountpoint: str
    name: str | None
    fstype: str | None
    total_bytes: int | None
    used_bytes: int | None


@dataclass(frozen=True)
class AgentFacts:
    os_name: str | None
    kernel: str | None
    hostname: str | None
    timezone: str | None
    users: tuple[str, ...]
    filesystems: tuple[GuestFilesystem, ...]


def parse_guest_info(info: dict) -> AgentFacts:
    """What dom.guestInfo() returned, as facts (missing keys are None)."""
    def count(prefix: str) -> int:
        try:
            return int(info.get(f"{prefix}.count", 0))
        except (TypeError, ValueError):
            return 0

    def number(key: str) -> int | None:
        try:
            return int(info[key])
        except (KeyError, TypeError, ValueError):
            return None

    os_name = info.get("os.pretty-name") or info.get("os.name")
    if os_name and info.get("os.version") and not info.get("os.pretty-name"):
        os_name = f"{os_name} {info['os.version']}"
    timezone = info.get("timezone.name")
    if "timezone.offset" in info:
        offset = number("timezone.offset") or 0
        sign = "+" if offset >= 0 else "-"
        utc = f"UTC{sign}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}"
        timezone = f"{timezone} ({utc})" if timezone else utc
    users = tuple(str(info[f"user.{i}.name"]) for i in range(count("user")) if f"user.{i}.name" in info)
    filesystems = tuple(
        GuestFilesystem(
            mountpoint=str(info.get(f"fs.{i}.mountpoint", "?")),
            name=info.get(f"fs.{i}.name"),
            fstype=info.get(f"fs.{i}.fstype"),
            total_bytes=number(f"fs.{i}.total-bytes"),
            used_bytes=number(f"fs.{i}.used-bytes"),
        )
        for i in range(count("fs"))
    )
    return AgentFacts(os_name, info.get("os.kernel-release"), info.get("hostname"), timezone, users, filesystems)
