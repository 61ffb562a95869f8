"""Clone a guest the way virt-clone does: new name and UUID, new MACs, each disk copied
into a new volume of the same pool; the clone stays shut off. A failure removes what
was made."""

from __future__ import annotations

import os
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import libvirt

from ..xml import rewrite
from .common import free_name
from .jobs import Progress


@dataclass(frozen=True)
class DiskCopy:
    target: str
    source: str  # path of the volume copied
    pool: str
    volume: str  # its name in the pool
    new_volume: str  # the copy's name in the same pool
    capacity: int
    allocation: int
    format: str | None = None  # qcow2, raw ... as the pool describes the volume


@dataclass(frozen=True)
class ClonePlan:
    copies: tuple[DiskCopy, ...]
    shared: tuple[str, ...]  # read-only / shareable disks and CD-ROMs the clone uses as they are
    problems: tuple[str, ...]  # why it cannot be cloned; empty when it can


def new_volume_name(old: str, guest: str, new_guest: str, target: str, taken: set[str]) -> str:
    stem, ext = os.path.splitext(old)
    base = stem.replace(guest, new_guest) if guest and guest in stem else f"{new_guest}-{target}"
    return free_name(base.replace("/", "_"), taken, ext)


def plan(conn: libvirt.virConnect, uuid: str, new_name: str) -> ClonePlan:
    dom = conn.lookupByUUIDString(uuid)
    root = ET.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    guest = root.findtext("name") or ""
    copies, shared, problems = [], [], []
    taken: dict[str, set[str]] = {}
    for disk in root.findall("devices/disk"):
        target = disk.find("target")
        dev = target.get("dev", "?") if target is not None else "?"
        source = disk.find("source")
        if disk.get("device", "disk") != "disk" or disk.find("readonly") is not None or disk.find("shareable") is not None:
            shared.append(dev)
            continue
        if source is None:
            continue
        try:
            if source.get("pool") and source.get("volume"):
                pool = conn.storagePoolLookupByName(source.get("pool"))
                vol = pool.storageVolLookupByName(source.get("volume"))
            else:
                path = source.get("file") or source.get("dev") or ""
                vol = conn.storageVolLookupByPath(path)
                pool = vol.storagePoolLookupByVolume()
        except libvirt.libvirtError:
            where = source.get("file") or source.get("dev") or source.get("volume") or "?"
            problems.append(f"{dev}: {where} is not a volume of a storage pool, so it cannot be copied")
            continue
        pool_name = pool.name()
        if pool_name not in taken:
            pool.refresh(0)
            taken[pool_name] = set(pool.listVolumes())
        info = vol.info()
        new = new_volume_name(vol.name(), guest, new_name, dev, taken[pool_name])
        taken[pool_name].add(new)
        fmt = ET.fromstring(vol.XMLDesc(0)).find("target/format")
        copies.append(DiskCopy(dev, vol.path(), pool_name, vol.name(), new, info[1], info[2],
                               fmt.get("type") if fmt is not None else None))
    return ClonePlan(tuple(copies), tuple(shared), tuple(problems))


def _volume_xml(name: str, capacity: int, fmt: str | None) -> str:
    volume = ET.Element("volume")
    ET.SubElement(volume, "name").text = name
    ET.SubElement(volume, "capacity", unit="bytes").text = str(capacity)
    if fmt:
        ET.SubElement(ET.SubElement(volume, "target"), "format", type=fmt)
    return ET.tostring(volume, encoding="unicode")


def clone_xml(xml: str, new_name: str, new_paths: dict[str, tuple[str, str, str]]) -> str:
    """The definition of the clone: `new_paths` maps a disk target to (pool, volume, path).

    What makes a guest itself goes (UUID, MACs, host-side NIC names, fixed graphics ports,
    the NVRAM file's path); everything else stays as written, namespaced metadata included."""
    root = rewrite.parse_domain(xml)
    root.find("name").text = new_name
    for tag in ("uuid",):
        for element in root.findall(tag):
            root.remove(element)
    os_element = root.find("os")
    if os_element is not None:
        for nvram in os_element.findall("nvram"):
            # The clone gets a file of its own, made by libvirt from the template, which stays.
            nvram.text = None
            for source in nvram.findall("source"):
                nvram.remove(source)
            nvram.attrib.pop("type", None)
    devices = root.find("devices")
    for interface in devices.findall("interface") if devices is not None else []:
        for mac in interface.findall("mac"):
            interface.remove(mac)
        target = interface.find("target")
        if target is not None:
            interface.remove(target)
    for graphics in devices.findall("graphics") if devices is not None else []:
        if graphics.get("autoport") == "no" or graphics.get("port") not in (None, "-1"):
            graphics.attrib.pop("port", None)
            graphics.set("autoport", "yes")
    for disk in devices.findall("disk") if devices is not None else []:
        target = disk.find("target")
        dev = target.get("dev") if target is not None else None
        if dev not in new_paths:
            continue
        pool, volume, path = new_paths[dev]
        source = disk.find("source")
        if source.get("pool") and source.get("volume"):
            source.set("pool", pool)
            source.set("volume", volume)
        elif disk.get("type") == "block":
            source.set("dev", path)
        else:
            source.set("file", path)
        for backing in disk.findall("backingStore"):
            disk.remove(backing)
    return rewrite.serialize(root)


def _watch_allocation(vol_lookup, total: int, progress: Progress, what: str, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        try:
            progress(vol_lookup().info()[2], total, what)
        except libvirt.libvirtError:
            pass


def clone(conn: libvirt.virConnect, uuid: str, new_name: str, progress: Progress) -> str:
    """Copy the disks, define the clone; returns its UUID. Runs for as long as the copies take."""
    dom = conn.lookupByUUIDString(uuid)
    if dom.isActive() and dom.info()[0] != libvirt.VIR_DOMAIN_PAUSED:
        raise RuntimeError(f"{dom.name()} is running: shut it off or pause it to clone it")
    made = plan(conn, uuid, new_name)
    if made.problems:
        raise ValueError("; ".join(made.problems))
    created: list[libvirt.virStorageVol] = []
    new_paths: dict[str, tuple[str, str, str]] = {}
    try:
        for index, copy in enumerate(made.copies, 1):
            pool = conn.storagePoolLookupByName(copy.pool)
            source = pool.storageVolLookupByName(copy.volume)
            fmt = ET.fromstring(source.XMLDesc(0)).find("target/format")
            xml = _volume_xml(copy.new_volume, copy.capacity, fmt.get("type") if fmt is not None else None)
            what = f"copying {copy.target} ({index} of {len(made.copies)}) to {copy.new_volume}"
            progress(0, copy.allocation, what)
            stop = threading.Event()
            watcher = threading.Thread(
                target=_watch_allocation,
                args=(lambda: pool.storageVolLookupByName(copy.new_volume), copy.allocation, progress, what, stop),
                daemon=True,
            )
            watcher.start()
            try:
                vol = pool.createXMLFrom(xml, source, 0)
            finally:
                stop.set()
                watcher.join(timeout=2)
            created.append(vol)
            new_paths[copy.target] = (copy.pool, copy.new_volume, vol.path())
        progress(0, 0, "defining the clone")
        new = conn.defineXML(clone_xml(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE),
                                       new_name, new_paths))
        return new.UUIDString()
    except BaseException:
        for vol in created:
            try:
                vol.delete(0)
            except libvirt.libvirtError:
                pass
        raise
