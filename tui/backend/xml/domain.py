"""Parse libvirt domain XML into the facts the Guests view shows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}


@dataclass(frozen=True)
class DomainInfo:
    name: str
    uuid: str
    domain_type: str
    vcpus: int
    memory_kib: int
    max_memory_kib: int
    os_type: str | None
    arch: str | None
    machine: str | None
    title: str | None
    description: str | None


def _root(xml: str | bytes) -> ET.Element:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"domain XML does not parse: {exc}") from exc
    if root.tag != "domain":
        raise ValueError(f"expected <domain> root element, got <{root.tag}>")
    return root


def unit_scale(unit: str | None) -> int:
    """Bytes per ``unit`` as libvirt reads memory units.

    No unit means KiB. ``b``/``byte``/``bytes`` is 1; a letter k m g t p e
    alone or followed by ``iB`` is a power of 1024, followed by ``B`` a power
    of 1000. Case does not matter (libvirt compares case-insensitively).
    """
    if unit is None or unit == "":
        return 1024
    u = unit.strip().lower()
    if u in ("b", "byte", "bytes"):
        return 1
    power = _POWERS.get(u[:1])
    rest = u[1:]
    if power is None or rest not in ("", "ib", "b"):
        raise ValueError(f"unknown memory unit {unit!r}")
    base = 1000 if rest == "b" else 1024
    return base**power


def to_kib(value: int, unit: str | None) -> int:
    """``value`` ``unit`` in KiB, rounded up as libvirt does."""
    return -(-(value * unit_scale(unit)) // 1024)


def _int(text: str | None, what: str) -> int:
    try:
        value = int((text or "").strip())
    except ValueError:
        raise ValueError(f"domain XML: {what} is not an integer: {text!r}") from None
    if value < 0:
        raise ValueError(f"domain XML: {what} is negative: {value}")
    return value


def _memory_kib(el: ET.Element | None, what: str) -> int | None:
    if el is None:
        return None
    return to_kib(_int(el.text, what), el.get("unit"))


def _optional_text(el: ET.Element | None) -> str | None:
    if el is None or not el.text:
        return None
    return el.text


def parse_domain(xml: str | bytes) -> DomainInfo:
    """Summarise a <domain> document.

    The name, title and description are returned exactly as written (no
    stripping). ``vcpus`` is <vcpu current=> when present, else the <vcpu>
    count (1 when absent, as libvirt defaults). ``memory_kib`` is
    <currentMemory> (else <memory>), ``max_memory_kib`` is <memory> (else
    <currentMemory>), both in KiB.
    """
    root = _root(xml)
    name_el = root.find("name")
    if name_el is None or not name_el.text:
        raise ValueError("domain XML has no <name>")

    vcpu_el = root.find("vcpu")
    if vcpu_el is None:
        vcpus = 1
    elif vcpu_el.get("current") is not None:
        vcpus = _int(vcpu_el.get("current"), "vcpu current")
    else:
        vcpus = _int(vcpu_el.text, "vcpu")

    maximum = _memory_kib(root.find("memory"), "memory")
    current = _memory_kib(root.find("currentMemory"), "currentMemory")
    if current is None:
        current = maximum
    if maximum is None:
        maximum = current

    os_type_el = root.find("os/type")
    return DomainInfo(
        name=name_el.text,
        uuid=(root.findtext("uuid") or "").strip(),
        domain_type=root.get("type", ""),
        vcpus=vcpus,
        memory_kib=current or 0,
        max_memory_kib=maximum or 0,
        os_type=((os_type_el.text or "").strip() or None) if os_type_el is not None else None,
        arch=os_type_el.get("arch") if os_type_el is not None else None,
        machine=os_type_el.get("machine") if os_type_el is not None else None,
        title=_optional_text(root.find("title")),
        description=_optional_text(root.find("description")),
    )


@dataclass(frozen=True)
class InterfaceInfo:
    mac: str | None
    kind: str  # network, bridge, direct, user, ...
    source: str | None  # network name, bridge or host device
    model: str | None
    target: str | None  # host-side device, e.g. vnet3


def parse_interfaces(xml: str) -> tuple[InterfaceInfo, ...]:
    """Every <interface> of a domain, in order."""
    root = _root(xml)
    found = []
    for iface in root.findall("devices/interface"):
        source = iface.find("source")
        value = None
        if source is not None:
            value = source.get("network") or source.get("bridge") or source.get("dev")
        mac = iface.find("mac")
        model = iface.find("model")
        target = iface.find("target")
        found.append(
            InterfaceInfo(
                mac=mac.get("address").lower() if mac is not None and mac.get("address") else None,
                kind=iface.get("type", "unknown"),
                source=value,
                model=model.get("type") if model is not None else None,
                target=target.get("dev") if target is not None else None,
            )
        )
    return tuple(found)
