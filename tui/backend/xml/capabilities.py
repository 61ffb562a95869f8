"""Host facts from the capabilities XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass


@dataclass(frozen=True)
class HostCapabilities:
    arch: str | None
    cpu_model: str | None
    cpu_vendor: str | None


def parse_capabilities(xml: str) -> HostCapabilities:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"capabilities XML does not parse: {exc}") from exc
    if root.tag != "capabilities":
        raise ValueError(f"expected <capabilities>, got <{root.tag}>")
    cpu = root.find("host/cpu")
    if cpu is None:
        return HostCapabilities(None, None, None)
    return HostCapabilities(
        arch=cpu.findtext("arch"),
        cpu_model=cpu.findtext("model"),
        cpu_vendor=cpu.findtext("vendor"),
    )
