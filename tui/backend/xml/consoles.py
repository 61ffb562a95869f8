"""The consoles a domain XML offers that `openConsole` can open (serial ports and
`<console>` devices), read from the XML alone."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsoleDevice:
    """One console a guest offers: the alias `openConsole` takes, and what it is."""

    alias: str | None
    kind: str  # "serial" or "console"
    target: str  # "serial", "virtio", "sclp" ...
    port: int | None
    source: str  # "pty", "file", "tcp" ...

    @property
    def label(self) -> str:
        where = f"{self.kind} {self.port}" if self.port is not None else self.kind
        if self.kind == "console" and self.target != "serial":
            where = f"{self.target} console {self.port if self.port is not None else ''}".strip()
        return f"{where} ({self.alias})" if self.alias else where

    @property
    def openable(self) -> bool:
        return self.source in ("pty", "unix")


def console_devices(xml: str) -> list[ConsoleDevice]:
    """The consoles of a domain XML that `openConsole` can open, in libvirt's order.

    A `<console>` with target type serial mirrors the first `<serial>` (libvirt
    lists it twice); it is shown once, as the serial port.
    """
    root = ET.fromstring(xml)
    devices = root.find("devices")
    if devices is None:
        return []
    found: list[ConsoleDevice] = []
    serial_ports: set[int | None] = set()
    for kind in ("serial", "console"):
        for element in devices.findall(kind):
            target = element.find("target")
            target_type = (target.get("type") if target is not None else None) or "serial"
            port_text = target.get("port") if target is not None else None
            port = int(port_text) if port_text is not None and port_text.isdigit() else None
            alias_el = element.find("alias")
            alias = alias_el.get("name") if alias_el is not None else None
            source = element.get("type") or "pty"
            if kind == "serial":
                serial_ports.add(port)
            elif target_type == "serial" and (port in serial_ports or (port is None and serial_ports)):
                continue
            device = ConsoleDevice(alias, kind, target_type if kind == "console" else "serial", port, source)
            if device.openable:
                found.append(device)
    return found
