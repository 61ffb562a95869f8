"""Parse and build libvirt storage volume XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from . import parse
from .domain import unit_scale


@dataclass(frozen=True)
class VolumeInfo:
    format: str | None
    path: str | None
    backing_path: str | None


def _text(el: ET.Element, path: str) -> str | None:
    value = el.findtext(path)
    return (value.strip() or None) if value is not None else None


def parse_volume(xml: str | bytes) -> VolumeInfo:
    """Format, path and backing file of a <volume> document."""
    root = parse.root(xml, "volume")
    fmt = root.find("target/format")
    return VolumeInfo(
        format=(fmt.get("type") or None) if fmt is not None else None,
        path=_text(root, "target/path"),
        backing_path=_text(root, "backingStore/path"),
    )


VOLUME_FORMATS = ("qcow2", "raw")


@dataclass(frozen=True)
class VolumeSpec:
    """What the new-volume form asks for. Sizes in bytes: ``allocation`` 0 is
    thin, = ``capacity`` preallocates (see ``preallocated``).
    ``backing_path``/``backing_format`` make an overlay on another volume."""

    name: str
    capacity: int
    format: str = "qcow2"
    allocation: int = 0
    backing_path: str | None = None
    backing_format: str | None = None


def preallocated(name: str, capacity: int, format: str = "raw") -> VolumeSpec:
    """A volume whose whole capacity is allocated up front."""
    return VolumeSpec(name=name, capacity=capacity, format=format, allocation=capacity)


def build_volume_xml(spec: VolumeSpec) -> str:
    root = ET.Element("volume")
    ET.SubElement(root, "name").text = spec.name
    ET.SubElement(root, "capacity", unit="bytes").text = str(spec.capacity)
    ET.SubElement(root, "allocation", unit="bytes").text = str(spec.allocation)
    target = ET.SubElement(root, "target")
    ET.SubElement(target, "format", type=spec.format)
    if spec.backing_path:
        backing = ET.SubElement(root, "backingStore")
        ET.SubElement(backing, "path").text = spec.backing_path
        ET.SubElement(backing, "format", type=spec.backing_format or "qcow2")
    return ET.tostring(root, encoding="unicode")


def _bytes(el: ET.Element | None) -> int | None:
    if el is None or el.text is None:
        return None
    return int(el.text.strip()) * unit_scale(el.get("unit") or "bytes")


def _exact(el: ET.Element, path: str) -> str | None:
    """Element text as written: a path may end in a space."""
    return el.findtext(path) or None


def parse_volume_spec(xml: str | bytes) -> VolumeSpec:
    """Read a <volume> back into the choices of a VolumeSpec."""
    root = parse.root(xml, "volume")
    name = root.findtext("name")
    if not name:
        raise ValueError("volume XML has no <name>")
    capacity = _bytes(root.find("capacity"))
    if capacity is None:
        raise ValueError("volume XML has no <capacity>")
    fmt = root.find("target/format")
    backing_fmt = root.find("backingStore/format")
    return VolumeSpec(
        name=name,
        capacity=capacity,
        format=(fmt.get("type") if fmt is not None else None) or "raw",
        allocation=_bytes(root.find("allocation")) or 0,
        backing_path=_exact(root, "backingStore/path"),
        backing_format=backing_fmt.get("type") if backing_fmt is not None else None,
    )
