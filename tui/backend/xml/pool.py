"""Parse libvirt storage pool XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass


@dataclass(frozen=True)
class PoolInfo:
    type: str
    target_path: str | None
    source: str | None


def _root(xml: str | bytes) -> ET.Element:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"pool XML does not parse: {exc}") from exc
    if root.tag != "pool":
        raise ValueError(f"expected <pool> root element, got <{root.tag}>")
    return root


def _hosts(source: ET.Element) -> list[str]:
    hosts = []
    for host in source.findall("host"):
        name = host.get("name")
        if not name:
            continue
        port = host.get("port")
        hosts.append(f"{name}:{port}" if port else name)
    return hosts


def _devices(source: ET.Element) -> list[str]:
    return [d.get("path") for d in source.findall("device") if d.get("path")]


def _text(el: ET.Element, path: str) -> str | None:
    value = el.findtext(path)
    return (value.strip() or None) if value is not None else None


def _source_summary(pool_type: str, source: ET.Element | None) -> str | None:
    if source is None:
        return None
    hosts = _hosts(source)
    devices = _devices(source)
    name = _text(source, "name")
    dir_el = source.find("dir")
    directory = dir_el.get("path") if dir_el is not None else None

    if pool_type == "netfs":
        if hosts and directory:
            return f"{hosts[0]}:{directory}"
        return hosts[0] if hosts else directory
    if pool_type == "logical":
        if name:
            return name
        return ", ".join(devices) or None
    if pool_type in ("disk", "fs"):
        return ", ".join(devices) or None
    if pool_type == "rbd":
        return name
    if pool_type in ("iscsi", "iscsi-direct"):
        # device path is the target IQN
        target = ", ".join(devices)
        if hosts and target:
            return f"{hosts[0]} {target}"
        return (hosts[0] if hosts else target) or None
    if pool_type == "gluster":
        volume = name or directory
        if hosts and volume:
            return f"{hosts[0]}:{volume}"
        return (hosts[0] if hosts else volume) or None
    return None


def parse_pool(xml: str | bytes) -> PoolInfo:
    """Summarise a <pool> document.

    ``source`` is a short human description of where the pool lives:
    ``host:/dir`` for netfs, the volume group name (or its devices) for
    logical, the device path(s) for disk and fs, the Ceph pool name for rbd,
    ``host IQN`` for iSCSI, ``host:volume`` for gluster; None for dir and
    anything else.
    """
    root = _root(xml)
    pool_type = root.get("type")
    if not pool_type:
        raise ValueError("pool XML has no type attribute")
    return PoolInfo(
        type=pool_type,
        target_path=_text(root, "target/path"),
        source=_source_summary(pool_type, root.find("source")),
    )
