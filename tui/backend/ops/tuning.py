"""Tuning a guest and giving it host devices: vCPU and emulator pinning, NUMA placement,
hugepage-backed memory, virtiofs shares, PCI and USB host devices.

The functions taking `conn` run on a connection's worker. A change to the next boot's
definition reads it with its secrets, changes only the elements it owns
(`xml.tuning`) and defines it again; pinning a running guest also goes live
(`pinVcpuFlags`, `pinEmulator`). The checks (`attach_checks`, `hugepage_problem`) are pure.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

import libvirt

from ..host_topology import read_topology
from ..validate import unwritable
from ..units import size_text
from ..xml import rewrite
from ..xml import tuning as tx
from ..xml.capabilities import parse_capabilities
from ..xml.host_topology import Topology
from ..xml.nodedev import NodeDevice, parse_node_device
from .hardware import Outcome

CURRENT = libvirt.VIR_DOMAIN_AFFECT_CURRENT  # the live guest, when it runs (the test driver takes no LIVE flag)
INACTIVE_SECURE = libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE
NODEDEV_FLAGS = libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV | libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV
ASSIGNABLE_DRIVERS = ("vfio-pci", "pci-stub", "pciback", None)  # a group member held by none of these is the host's
RUNNING_HOSTDEV = ("shut the guest off first: virtdeck attaches and detaches host devices only in the "
                   "definition of a shut-off guest")


# -- reading -------------------------------------------------------------------


@dataclass(frozen=True)
class TuningView:
    """What the Tuning tab shows: the running definition's tuning and the next boot's."""

    name: str
    active: bool
    persistent: bool
    live: tx.Tuning | None  # None when shut off
    config: tx.Tuning | None  # None when transient
    host_cpus: int
    topology: Topology | None

    @property
    def current(self) -> tx.Tuning:
        return self.live if self.live is not None else self.config

    @property
    def next_boot(self) -> tx.Tuning:
        return self.config if self.config is not None else self.live


def host_cpu_count(conn: libvirt.virConnect) -> int:
    try:
        return int(conn.getCPUMap(0)[0])
    except libvirt.libvirtError:
        return int(conn.getInfo()[2])


def read(conn: libvirt.virConnect, uuid: str) -> TuningView:
    dom = conn.lookupByUUIDString(uuid)
    active, persistent = bool(dom.isActive()), bool(dom.isPersistent())
    live = tx.parse_tuning(dom.XMLDesc(0)) if active else None
    config = tx.parse_tuning(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)) if persistent else None
    if live is None and config is None:
        config = tx.parse_tuning(dom.XMLDesc(0))
    return TuningView(dom.name(), active, persistent, live, config, host_cpu_count(conn), read_topology(conn))


# -- the next boot's definition ----------------------------------------------------


def _edit(conn: libvirt.virConnect, dom: libvirt.virDomain, change: Callable[[ET.Element], object]) -> object:
    """Change the persistent definition with `change(root)` and define it again; `change`'s answer."""
    if not dom.isPersistent():
        raise ValueError("this guest is transient: it has no definition for the next boot to change")
    root = rewrite.parse_domain(dom.XMLDesc(INACTIVE_SECURE))
    answer = change(root)
    conn.defineXML(rewrite.serialize(root))
    return answer


def _message(exc: libvirt.libvirtError) -> str:
    return exc.get_error_message() or str(exc)


# -- pinning -----------------------------------------------------------------------


@dataclass(frozen=True)
class PinRequest:
    vcpu_pins: dict[int, frozenset[int] | None]  # None: unpinned (any host CPU)
    emulator: frozenset[int] | None | bool = False  # False: unchanged, None: unpinned
    live: bool = True
    config: bool = True


def set_pinning(conn: libvirt.virConnect, uuid: str, request: PinRequest) -> Outcome:
    dom = conn.lookupByUUIDString(uuid)
    active, persistent = bool(dom.isActive()), bool(dom.isPersistent())
    cpus = host_cpu_count(conn)
    changed = ", ".join([f"vCPU {v} → {tx.format_cpuset(s) if s else 'any'}" for v, s in sorted(request.vcpu_pins.items())]
                        + ([f"emulator → {tx.format_cpuset(request.emulator) if request.emulator else 'any'}"]
                           if request.emulator is not False else []))
    outcome = Outcome(f"pinning ({changed})" if changed else "pinning")
    if request.config and persistent:
        pins = {v: tx.format_cpuset(s) if s else None for v, s in request.vcpu_pins.items()}
        emulator = request.emulator if request.emulator is False else (
            tx.format_cpuset(request.emulator) if request.emulator else None)
        try:
            _edit(conn, dom, lambda root: tx.with_vcpu_pins(root, pins, emulator))
            outcome.applied.append("set for next boot")
        except libvirt.libvirtError as exc:
            outcome.failed.append(("next boot", _message(exc)))
    if request.live and active:
        everything = frozenset(range(cpus))
        try:
            for vcpu, cpuset in sorted(request.vcpu_pins.items()):
                dom.pinVcpuFlags(vcpu, tx.cpumap(cpuset or everything, cpus), CURRENT)
            if request.emulator is not False:
                dom.pinEmulator(tx.cpumap(request.emulator or everything, cpus), CURRENT)
            outcome.applied.append("set live")
        except libvirt.libvirtError as exc:
            outcome.failed.append(("live", _message(exc)))
            outcome.live_refused = True
    return outcome


# -- NUMA placement ------------------------------------------------------------------


@dataclass(frozen=True)
class NumaRequest:
    mode: str | None  # None: no memory policy
    placement: str = "static"
    nodeset: str | None = None


def set_numa(conn: libvirt.virConnect, uuid: str, request: NumaRequest) -> Outcome:
    """The memory policy of the next boot (QEMU allocates the guest's memory at start)."""
    dom = conn.lookupByUUIDString(uuid)
    if request.mode is None:
        what = "NUMA placement → none"
    elif request.placement == "auto":
        what = f"NUMA placement → {request.mode}, automatic (numad)"
    else:
        what = f"NUMA placement → {request.mode} on nodes {request.nodeset}"
    outcome = Outcome(what)
    _edit(conn, dom, lambda root: tx.with_numatune(root, request.mode, request.placement, request.nodeset))
    outcome.applied.append("set for next boot" + (": restart the guest for it to apply" if dom.isActive() else ""))
    return outcome


# -- hugepages ------------------------------------------------------------------------


def hugepage_problem(topology: Topology | None, size_kib: int, memory_kib: int) -> str | None:
    """Why the host cannot back `memory_kib` with pages of `size_kib` now; None when it can
    (or when libvirt gives no figures to tell)."""
    if topology is None:
        return None
    if size_kib not in topology.page_sizes:
        offered = ", ".join(size_text(s * 1024) for s in topology.hugepage_sizes) or "none"
        return f"this host offers no {size_text(size_kib * 1024)} pages (hugepage sizes: {offered})"
    total, free = topology.pages(size_kib)
    needed = math.ceil(memory_kib / size_kib)
    have = free if free is not None else total
    if have < needed:
        words = f"{free} free of {total}" if free is not None else f"{total} in all"
        return (f"the guest's {size_text(memory_kib * 1024)} needs {needed} pages of {size_text(size_kib * 1024)}; "
                f"the host has {words} (raise vm.nr_hugepages on the host)")
    return None


def set_hugepages(conn: libvirt.virConnect, uuid: str, size_kib: int | None) -> Outcome:
    """Back the next boot's memory by hugepages of `size_kib` (None: ordinary pages). The
    host's free pages are read again first: too few is refused with how many it has."""
    dom = conn.lookupByUUIDString(uuid)
    if size_kib is not None:
        memory_kib = tx.parse_tuning(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)).memory_kib
        problem = hugepage_problem(read_topology(conn), size_kib, memory_kib)
        if problem is not None:
            raise ValueError(problem)
    what = f"memory on {size_text(size_kib * 1024)} hugepages" if size_kib else "memory on ordinary pages"
    outcome = Outcome(what)
    memfd = _edit(conn, dom, lambda root: tx.with_hugepages(root, size_kib))
    outcome.applied.append("set for next boot" + (": restart the guest for it to apply" if dom.isActive() else ""))
    if memfd:
        outcome.applied.append("from a memfd (<source type='memfd'/>): no hugetlbfs mount needed on the host")
    return outcome


# -- virtiofs shares ---------------------------------------------------------------------


def check_tag(tag: str, taken: set[str]) -> str | None:
    if not tag.strip():
        return "The tag the guest mounts it by (mount -t virtiofs TAG /mnt)"
    if tag != tag.strip():
        return "No spaces at the ends"
    if unwritable(tag):
        return "No control characters (tab, newline ...) and no U+FFFE or U+FFFF"
    if len(tag.encode()) > 36:
        return "At most 36 bytes (the virtio-fs tag field)"
    if tag in taken:
        return "This guest has a share with that tag"
    return None


def check_share_dir(path: str) -> str | None:
    if not path.strip():
        return "The host directory to share"
    if not path.startswith("/"):
        return "A host path starts with /"
    if unwritable(path):
        return "No control characters (tab, newline ...) and no U+FFFE or U+FFFF"
    return None


def add_share(conn: libvirt.virConnect, uuid: str, source: str, tag: str) -> Outcome:
    """A virtiofs share in the next boot's definition, with the shared memory backing it
    needs (added when missing, and said so)."""
    dom = conn.lookupByUUIDString(uuid)
    taken = {share.tag for share in tx.parse_tuning(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)).shares}
    if (problem := check_tag(tag, taken)) is not None:
        raise ValueError(problem)
    outcome = Outcome(f"shared folder {source} as {tag}")
    memory_added = _edit(conn, dom, lambda root: tx.with_share(root, source, tag))
    outcome.applied.append("added for next boot" + (": restart the guest for it to appear" if dom.isActive() else ""))
    if memory_added:
        outcome.applied.append("the guest's memory is now shared (memfd), which virtiofs needs")
    return outcome


def remove_share(conn: libvirt.virConnect, uuid: str, tag: str) -> Outcome:
    dom = conn.lookupByUUIDString(uuid)
    outcome = Outcome(f"shared folder {tag}")
    if not _edit(conn, dom, lambda root: tx.without_share(root, tag)):
        raise ValueError(f"{tag} is not a shared folder of this guest's next boot")
    outcome.applied.append("removed from the next boot" + (": restart the guest for it to go" if dom.isActive() else ""))
    return outcome


# -- host devices ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HostDevices:
    """A host's PCI and USB devices and which guests use each (by device name)."""

    devices: tuple[NodeDevice, ...]
    used_by: dict[str, tuple[str, ...]] = field(default_factory=dict)  # node device name -> guest names
    iommu: bool | None = None  # whether the host has an IOMMU, where libvirt says

    def by_address(self, kind: str = "pci") -> dict[str, NodeDevice]:
        return {d.address: d for d in self.devices if d.kind == kind}


def _matches(device: NodeDevice, ref: tx.HostdevRef) -> bool:
    if device.kind != ref.kind:
        return False
    if ref.kind == "usb" and ref.vendor_id:
        return (device.vendor_id or "").lower() == ref.vendor_id.lower() and (
            device.product_id or "").lower() == (ref.product_id or "").lower()
    return device.address == ref.address


def list_host_devices(conn: libvirt.virConnect) -> HostDevices:
    devices = []
    for dev in conn.listAllDevices(NODEDEV_FLAGS):
        try:
            parsed = parse_node_device(dev.XMLDesc(0))
        except (libvirt.libvirtError, ValueError):
            continue
        if parsed is not None:
            devices.append(parsed)
    used: dict[str, list[str]] = {}
    for dom in conn.listAllDomains(0):
        refs: set[tx.HostdevRef] = set()
        try:
            flags = [0] if not dom.isPersistent() else [libvirt.VIR_DOMAIN_XML_INACTIVE] + ([0] if dom.isActive() else [])
            for flag in flags:
                refs |= set(tx.parse_tuning(dom.XMLDesc(flag)).hostdevs)
            name = dom.name()
        except (libvirt.libvirtError, ValueError):
            continue
        for device in devices:
            if any(_matches(device, ref) for ref in refs):
                used.setdefault(device.name, []).append(name)
    try:
        iommu = parse_capabilities(conn.getCapabilities()).iommu
    except (libvirt.libvirtError, ValueError):
        iommu = None
    devices.sort(key=lambda d: (d.kind, d.address))
    return HostDevices(tuple(devices), {k: tuple(sorted(v)) for k, v in used.items()}, iommu)


@dataclass(frozen=True)
class AttachChecks:
    errors: tuple[str, ...]  # refused
    warnings: tuple[str, ...]  # asked about first (virt-manager's questions)


def attach_checks(device: NodeDevice, host: HostDevices, guest: str, guest_refs: tuple[tx.HostdevRef, ...],
                  by_id: bool = True) -> AttachChecks:
    """What virt-manager checks before it assigns a host device to a guest."""
    errors, warnings = [], []
    if any(_matches(device, ref) for ref in guest_refs):
        errors.append(f"{guest} has this device already")
    others = [name for name in host.used_by.get(device.name, ()) if name != guest]
    if others:
        warnings.append(f"The device is already assigned to {', '.join(others)}; only one running guest can use it")
    if device.kind == "pci":
        if device.iommu_group is None:
            warnings.append("The device is in no IOMMU group: the host has no IOMMU (or it is off: intel_iommu=on / "
                            "amd_iommu), and PCI passthrough will fail when the guest starts")
        else:
            peers = host.by_address("pci")
            for address in device.group_members:
                if address == device.address:
                    continue
                peer = peers.get(address)
                if peer is None:
                    continue
                if peer.driver not in ASSIGNABLE_DRIVERS:
                    warnings.append(f"{address} (IOMMU group {device.iommu_group}) is held by the host driver "
                                    f"{peer.driver}: every device of a group must be free for passthrough")
                elif host.used_by.get(peer.name):
                    warnings.append(f"{address} of the same IOMMU group {device.iommu_group} is assigned to "
                                    f"{', '.join(host.used_by[peer.name])}")
    elif device.kind == "usb" and by_id:
        same = [d for d in host.devices if d.kind == "usb" and d.name != device.name
                and d.vendor_id == device.vendor_id and d.product_id == device.product_id]
        if same:
            warnings.append(f"{len(same) + 1} USB devices have the ids {device.vendor_id}:{device.product_id}; "
                            "by vendor/product the guest gets the first one found: choose bus/device instead")
    return AttachChecks(tuple(errors), tuple(warnings))


def attach_hostdev(conn: libvirt.virConnect, uuid: str, device_name: str, by_id: bool = True) -> Outcome:
    """Assign a host device to a shut-off guest's definition (managed: libvirt binds it to
    vfio-pci when the guest starts and gives it back after). The errors of `attach_checks`
    refuse; its warnings were asked about before this is called."""
    dom = conn.lookupByUUIDString(uuid)
    if dom.isActive():
        raise ValueError(RUNNING_HOSTDEV)
    device = parse_node_device(conn.nodeDeviceLookupByName(device_name).XMLDesc(0))
    if device is None:
        raise ValueError(f"{device_name} is not a PCI or USB device")
    refs = tx.parse_tuning(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)).hostdevs
    checks = attach_checks(device, HostDevices((device,)), dom.name(), refs, by_id)
    if checks.errors:
        raise ValueError("; ".join(checks.errors))
    ref = device.ref(by_id)
    outcome = Outcome(f"host device {ref.label} ({device.description})")
    _edit(conn, dom, lambda root: tx.with_hostdev(root, ref))
    outcome.applied.append("assigned for next boot")
    return outcome


def detach_hostdev(conn: libvirt.virConnect, uuid: str, ident: str) -> Outcome:
    dom = conn.lookupByUUIDString(uuid)
    if dom.isActive():
        raise ValueError(RUNNING_HOSTDEV)
    outcome = Outcome(f"host device {ident.split(':', 2)[-1]}")
    if not _edit(conn, dom, lambda root: tx.without_hostdev(root, ident)):
        raise ValueError("this host device is not in the guest's definition any more")
    outcome.applied.append("removed from the definition")
    return outcome
