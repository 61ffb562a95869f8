"""Backup XML: a push-mode <domainbackup> (each disk copied to a file on the host) and reading one back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass


@dataclass(frozen=True)
class BackupDisk:
    target: str  # vda ...
    file: str | None  # where its copy goes; None: not backed up
    format: str = "qcow2"


def push_backup_xml(disks: tuple[BackupDisk, ...]) -> str:
    root = ET.Element("domainbackup", mode="push")
    listed = ET.SubElement(root, "disks")
    for disk in disks:
        if disk.file is None:
            ET.SubElement(listed, "disk", name=disk.target, backup="no")
            continue
        element = ET.SubElement(listed, "disk", name=disk.target, backup="yes", type="file")
        ET.SubElement(element, "driver", type=disk.format)
        ET.SubElement(element, "target", file=disk.file)
    return ET.tostring(root, encoding="unicode")


def parse_backup(xml: str) -> tuple[str, tuple[BackupDisk, ...]]:
    """(mode, disks) of a <domainbackup>."""
    root = ET.fromstring(xml)
    disks = []
    for disk in root.findall("disks/disk"):
        target = disk.find("target")
        driver = disk.find("driver")
        backed_up = disk.get("backup", "yes") == "yes"
        disks.append(BackupDisk(
            target=disk.get("name", ""),
            file=target.get("file") if backed_up and target is not None else None,
            format=driver.get("type", "qcow2") if driver is not None else "qcow2",
        ))
    return root.get("mode", "push"), tuple(disks)
