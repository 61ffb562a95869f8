"""Snapshot XML: building a <domainsnapshot> request and reading one back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

MEMORY_KINDS = ("internal", "external", "no")


@dataclass(frozen=True)
class SnapshotDisk:
    target: str  # vda, sdb ...
    snapshot: str  # internal, external, no, manual
    file: str | None = None  # the overlay, for an external snapshot
    driver: str | None = None  # its format: qcow2


@dataclass(frozen=True)
class SnapshotSpec:
    name: str
    description: str = ""
    memory: str | None = None  # internal / external / no; None lets libvirt choose
    disks: tuple[SnapshotDisk, ...] = ()


@dataclass(frozen=True)
class SnapshotFacts:
    """What a snapshot's XML says about it."""

    name: str
    description: str
    state: str  # running, paused, shutoff, disk-snapshot ...
    created: int | None  # seconds since the epoch
    memory: str | None
    disks: tuple[SnapshotDisk, ...]
    parent: str | None

    @property
    def external(self) -> bool:
        return self.memory == "external" or any(d.snapshot == "external" for d in self.disks)

    @property
    def with_memory(self) -> bool:
        return self.memory in ("internal", "external")


def snapshot_xml(spec: SnapshotSpec) -> str:
    root = ET.Element("domainsnapshot")
    ET.SubElement(root, "name").text = spec.name
    if spec.description:
        ET.SubElement(root, "description").text = spec.description
    if spec.memory is not None:
        ET.SubElement(root, "memory", snapshot=spec.memory)
    if spec.disks:
        disks = ET.SubElement(root, "disks")
        for disk in spec.disks:
            element = ET.SubElement(disks, "disk", name=disk.target, snapshot=disk.snapshot)
            if disk.driver:
                ET.SubElement(element, "driver", type=disk.driver)
            if disk.file:
                element.set("type", "file")
                ET.SubElement(element, "source", file=disk.file)
    return ET.tostring(root, encoding="unicode")


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def parse_snapshot(xml: str) -> SnapshotFacts:
    root = ET.fromstring(xml)
    memory = root.find("memory")
    disks = []
    for disk in root.findall("disks/disk"):
        source = disk.find("source")
        driver = disk.find("driver")
        disks.append(SnapshotDisk(
            target=disk.get("name", ""),
            snapshot=disk.get("snapshot", ""),
            file=source.get("file") if source is not None else None,
            driver=driver.get("type") if driver is not None else None,
        ))
    return SnapshotFacts(
        name=root.findtext("name") or "",
        description=root.findtext("description") or "",
        state=root.findtext("state") or "",
        created=_int(root.findtext("creationTime")),
        memory=memory.get("snapshot") if memory is not None else None,
        disks=tuple(disks),
        parent=root.findtext("parent/name"),
    )
