"""Read a libvirt definition for a rewrite and write it back with nothing lost.

ElementTree's own parser resolves namespaces, and its writer then names them
ns0, ns1 ...: a `<metadata>` child written `<libosinfo:os>` or with a default
`xmlns` comes back under another prefix. The parser here does no namespace
processing, so prefixed names and `xmlns` attributes stay exactly as written;
the elements libvirt defines carry no namespace, so `find("devices/disk")`
works as usual. Use it where a definition is changed and defined again.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.parsers import expat


def parse(xml: str | bytes) -> ET.Element:
    """The root element; ValueError with the parser's words when it is not XML."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()  # no namespace_separator: names stay as written
    parser.buffer_text = True
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as exc:
        raise ValueError(f"the XML does not parse: {exc}") from exc
    return builder.close()


def serialize(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode")


def parse_domain(xml: str | bytes) -> ET.Element:
    root = parse(xml)
    if root.tag != "domain":
        raise ValueError(f"expected <domain> root element, got <{root.tag}>")
    return root
