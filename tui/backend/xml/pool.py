"""Parse and build libvirt storage pool XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from . import parse


@dataclass(frozen=True)
class PoolInfo:
    type: str
    target_path: str | None
    source: str | None


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
    root = parse.root(xml, "pool")
    pool_type = root.get("type")
    if not pool_type:
        raise ValueError("pool XML has no type attribute")
    return PoolInfo(
        type=pool_type,
        target_path=_text(root, "target/path"),
        source=_source_summary(pool_type, root.find("source")),
    )


POOL_TYPES = ("dir", "netfs", "logical", "disk", "iscsi")
ISCSI_TARGET_PATH = "/dev/disk/by-path"


@dataclass(frozen=True)
class PoolSpec:
    """What the new-pool form asks for; which fields apply depends on ``type``:

    dir: target_path.  netfs: host, source_path (the NFS export), target_path,
    source_format (nfs).  logical: source_name (the volume group), devices
    (physical volumes to build it from), target_path (/dev/<vg>).  disk:
    devices (one block device), source_format (dos, gpt ...), target_path
    (/dev).  iscsi: host, port, iqn (the target), target_path
    (/dev/disk/by-path).
    """

    name: str
    type: str = "dir"
    target_path: str | None = None
    host: str | None = None
    port: int | None = None
    source_path: str | None = None
    source_name: str | None = None
    devices: tuple[str, ...] = ()
    source_format: str | None = None
    iqn: str | None = None


def build_pool_xml(spec: PoolSpec) -> str:
    if spec.type not in POOL_TYPES:
        raise ValueError(f"unsupported pool type {spec.type!r}")
    root = ET.Element("pool", type=spec.type)
    ET.SubElement(root, "name").text = spec.name
    if spec.type != "dir":
        source = ET.SubElement(root, "source")
        if spec.host:
            host = ET.SubElement(source, "host", name=spec.host)
            if spec.port:
                host.set("port", str(spec.port))
        if spec.type == "iscsi" and spec.iqn:
            ET.SubElement(source, "device", path=spec.iqn)
        for device in spec.devices:
            ET.SubElement(source, "device", path=device)
        if spec.source_path:
            ET.SubElement(source, "dir", path=spec.source_path)
        if spec.source_name:
            ET.SubElement(source, "name").text = spec.source_name
        if spec.source_format:
            ET.SubElement(source, "format", type=spec.source_format)
    target_path = spec.target_path
    if target_path is None and spec.type == "iscsi":
        target_path = ISCSI_TARGET_PATH
    if target_path is None and spec.type == "logical" and spec.source_name:
        target_path = f"/dev/{spec.source_name}"
    if target_path:
        target = ET.SubElement(root, "target")
        ET.SubElement(target, "path").text = target_path
    return ET.tostring(root, encoding="unicode")


def _exact(el: ET.Element, path: str) -> str | None:
    """Element text as written: a path may end in a space."""
    return el.findtext(path) or None


def parse_pool_spec(xml: str | bytes) -> PoolSpec:
    """Read a <pool> back into the choices of a PoolSpec."""
    root = parse.root(xml, "pool")
    pool_type = root.get("type") or ""
    name = root.findtext("name")
    if not name:
        raise ValueError("pool XML has no <name>")
    source = root.find("source")
    if source is None:
        source = ET.Element("source")
    host = source.find("host")
    port = host.get("port") if host is not None else None
    devices = tuple(_devices(source))
    iqn = None
    if pool_type == "iscsi" and devices:
        iqn, devices = devices[0], devices[1:]
    dir_el = source.find("dir")
    fmt = source.find("format")
    return PoolSpec(
        name=name,
        type=pool_type,
        target_path=_exact(root, "target/path"),
        host=host.get("name") if host is not None else None,
        port=int(port) if port else None,
        source_path=dir_el.get("path") if dir_el is not None else None,
        source_name=_exact(source, "name"),
        devices=devices,
        source_format=fmt.get("type") if fmt is not None else None,
        iqn=iqn,
    )
