"""Guest snapshots: the tree, what kinds can be taken, create / revert / delete.

Everything here runs on a connection's worker (or a thread of its own for a
snapshot with memory, which takes a while).
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace

import libvirt

from ..validate import unwritable
from ..xml.snapshot import SnapshotDisk, SnapshotFacts, SnapshotSpec, parse_snapshot, snapshot_xml
from .recovery import safe_file_name

# What the create form offers.
INTERNAL_MEMORY = "internal-memory"  # a full checkpoint of a running guest, in its qcow2 files
INTERNAL_DISK = "internal-disk"  # a shut-off guest's disks, in its qcow2 files
EXTERNAL_DISK = "external-disk"  # new overlay files take the writes; the old files are the snapshot

KIND_LABELS = {
    INTERNAL_MEMORY: "internal, with memory (the running state)",
    INTERNAL_DISK: "internal, disks only",
    EXTERNAL_DISK: "external, disks only (new overlay files)",
}


@dataclass(frozen=True)
class Snapshot:
    facts: SnapshotFacts
    current: bool
    depth: int  # 0 for a root
    children: int

    @property
    def name(self) -> str:
        return self.facts.name


@dataclass(frozen=True)
class SnapshotPlan:
    """What the create form may offer for a guest, read before it opens."""

    running: bool  # running or paused: memory can be saved
    kinds: tuple[str, ...]
    internal_problem: str | None  # why an internal snapshot is impossible, if it is
    has_internal: bool
    has_external: bool
    taken: frozenset[str]  # existing snapshot names


def check_name(name: str, taken: frozenset[str] | set[str] = frozenset()) -> str | None:
    if not name.strip():
        return "Give the snapshot a name"
    if name != name.strip():
        return "A snapshot name has no leading or trailing spaces"
    if "/" in name:
        return "A snapshot name has no '/' (it becomes part of file names)"
    if unwritable(name):
        return "A snapshot name has no control characters, U+FFFE or U+FFFF"
    if len(name) > 200:
        return "Keep the name under 200 characters"
    if name in taken:
        return "This guest already has a snapshot of that name"
    return None


def check_description(text: str) -> str | None:
    if unwritable(text):
        return "A description has no control characters, U+FFFE or U+FFFF (libvirt keeps it as XML)"
    return None


def default_name() -> str:
    return time.strftime("snap-%Y%m%d-%H%M%S")


def _facts(snap: libvirt.virDomainSnapshot) -> SnapshotFacts:
    facts = parse_snapshot(snap.getXMLDesc(0))
    if facts.parent is None:
        try:
            parent = snap.getParent(0)
        except libvirt.libvirtError:
            parent = None
        if parent is not None:
            facts = replace(facts, parent=parent.getName())
    return facts


def tree(conn: libvirt.virConnect, uuid: str) -> tuple[Snapshot, ...]:
    """Every snapshot of the guest, parents before their children (depth-first, oldest first)."""
    dom = conn.lookupByUUIDString(uuid)
    snaps = dom.listAllSnapshots(0)
    facts = {s.getName(): _facts(s) for s in snaps}
    current = {s.getName() for s in snaps if s.isCurrent(0)}
    children: dict[str | None, list[str]] = {}
    for name, fact in facts.items():
        parent = fact.parent if fact.parent in facts else None
        children.setdefault(parent, []).append(name)
    for names in children.values():
        names.sort(key=lambda n: (facts[n].created or 0, n))
    ordered: list[Snapshot] = []

    def walk(parent: str | None, depth: int) -> None:
        for name in children.get(parent, []):
            ordered.append(Snapshot(facts[name], name in current, depth, len(children.get(name, []))))
            walk(name, depth + 1)

    walk(None, 0)
    return tuple(ordered)


def _disks(root: ET.Element) -> list[ET.Element]:
    """The guest's writable disks (no CD-ROMs, floppies or read-only disks)."""
    return [d for d in root.findall("devices/disk")
            if d.get("device", "disk") == "disk" and d.find("readonly") is None]


def internal_problem(root: ET.Element) -> str | None:
    """Why the guest's disks cannot hold an internal snapshot, or None."""
    if root.get("type") == "test":
        return None
    for disk in _disks(root):
        driver = disk.find("driver")
        fmt = driver.get("type") if driver is not None else None
        target = disk.find("target")
        name = target.get("dev") if target is not None else "a disk"
        if fmt != "qcow2":
            return f"{name} is {fmt or 'raw'}: internal snapshots need qcow2 disks"
    if root.find("os/loader[@type='pflash']") is not None:
        return "the guest boots UEFI from pflash: libvirt takes no internal snapshots of it"
    return None


def plan(conn: libvirt.virConnect, uuid: str) -> SnapshotPlan:
    dom = conn.lookupByUUIDString(uuid)
    running = dom.isActive() == 1
    root = ET.fromstring(dom.XMLDesc(0))
    problem = internal_problem(root)
    snaps = [_facts(s) for s in dom.listAllSnapshots(0)]
    kinds = []
    if problem is None:
        kinds.append(INTERNAL_MEMORY if running else INTERNAL_DISK)
    if _disks(root):
        kinds.append(EXTERNAL_DISK)
    return SnapshotPlan(
        running=running,
        kinds=tuple(kinds),
        internal_problem=problem,
        has_internal=any(not s.external for s in snaps),
        has_external=any(s.external for s in snaps),
        taken=frozenset(s.name for s in snaps),
    )


def mixing_warning(plan_: SnapshotPlan, kind: str) -> str | None:
    external = kind == EXTERNAL_DISK
    if external and plan_.has_internal:
        return ("This guest has internal snapshots: after an external one, libvirt 9 cannot revert to or "
                "delete those older internal snapshots cleanly.")
    if not external and plan_.has_external:
        return ("This guest has external snapshots: an internal one now lands in the overlay files, and "
                "libvirt 9 cannot revert or delete external snapshots: mixing them makes the chain hard to undo.")
    return None


def overlay_path(path: str, snapshot_name: str) -> str:
    """Where an external snapshot's overlay of the disk at `path` goes: beside it, named safely."""
    directory, base = os.path.split(path)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return os.path.join(directory, f"{stem}.{safe_file_name(snapshot_name)}.qcow2")


def spec_for(root: ET.Element, name: str, description: str, kind: str) -> SnapshotSpec:
    if kind == INTERNAL_MEMORY:
        return SnapshotSpec(name, description, memory="internal")
    if kind == INTERNAL_DISK:
        return SnapshotSpec(name, description, memory="no")
    disks = []
    for disk in root.findall("devices/disk"):
        target = disk.find("target")
        source = disk.find("source")
        dev = target.get("dev") if target is not None else None
        if dev is None:
            continue
        path = source.get("file") if source is not None else None
        if disk in _disks(root) and path:
            disks.append(SnapshotDisk(dev, "external", overlay_path(path, name), "qcow2"))
        else:
            disks.append(SnapshotDisk(dev, "no"))
    return SnapshotSpec(name, description, memory="no", disks=tuple(disks))


def create(conn: libvirt.virConnect, uuid: str, name: str, description: str, kind: str) -> str:
    dom = conn.lookupByUUIDString(uuid)
    root = ET.fromstring(dom.XMLDesc(0))
    flags = 0
    if kind == EXTERNAL_DISK:
        flags = libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
    elif kind == INTERNAL_DISK and dom.isActive():
        raise ValueError("an internal disk-only snapshot needs a shut-off guest")
    return dom.snapshotCreateXML(snapshot_xml(spec_for(root, name, description, kind)), flags).getName()


def revert(conn: libvirt.virConnect, uuid: str, name: str) -> None:
    """Back to the snapshot; the guest ends running, paused or shut off as the snapshot was."""
    dom = conn.lookupByUUIDString(uuid)
    dom.revertToSnapshot(dom.snapshotLookupByName(name, 0), 0)


def children_of(conn: libvirt.virConnect, uuid: str, name: str) -> tuple[str, ...]:
    snap = conn.lookupByUUIDString(uuid).snapshotLookupByName(name, 0)
    return tuple(s.getName() for s in snap.listAllChildren(libvirt.VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS))


def delete(conn: libvirt.virConnect, uuid: str, name: str, with_children: bool) -> None:
    """Delete one snapshot; its children are re-parented to its parent unless deleted with it."""
    snap = conn.lookupByUUIDString(uuid).snapshotLookupByName(name, 0)
    snap.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN if with_children else 0)
