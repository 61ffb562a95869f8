"""The root element of a libvirt document, checked once for every parser here."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def root(xml: str | bytes, tag: str) -> ET.Element:
    """The root element, which must be ``<tag>``; ValueError in words otherwise
    ('domain XML does not parse: ...', 'expected <domain> root element, got <pool>')."""
    try:
        found = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"{tag} XML does not parse: {exc}") from exc
    if found.tag != tag:
        raise ValueError(f"expected <{tag}> root element, got <{found.tag}>")
    return found
