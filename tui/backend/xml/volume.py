"""Parse libvirt storage volume XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass


@dataclass(frozen=True)
class VolumeInfo:
    format: str | None
    path: str | None
    backing_path: str | None


def _root(xml: str | bytes) -> ET.Element:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"volume XML does not parse: {exc}") from exc
    if root.tag != "volume":
        raise ValueError(f"expected <volume> root element, got <{root.tag}>")
    return root


def _text(el: ET.Element, path: str) -> str | None:
    value = el.findtext(path)
    return (value.strip() or None) if value is not None else None


def parse_volume(xml: str | bytes) -> VolumeInfo:
    """Format, path and backing file of a <volume> document."""
    root = _root(xml)
    fmt = root.find("target/format")
    return VolumeInfo(
        format=(fmt.get("type") or None) if fmt is not None else None,
        path=_text(root, "target/path"),
        backing_path=_text(root, "backingStore/path"),
    )
