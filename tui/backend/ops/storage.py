"""Storage pool verbs: creating a pool (define, build, start, autostart, with
rollback), start, stop, refresh, autostart, delete and undefine.

Every function here runs on a connection's worker thread.
"""

from __future__ import annotations

import os
from dataclasses import replace

import libvirt

from .. import inventory_reader as reader
from ..errors import error_text
from ..model import Pool, PoolRemoved
from ..xml.pool import PoolSpec, build_pool_xml, parse_pool_spec
from .common import Created, StepFailed, inactive_xml, pool_of

# What pool.build does to each type, for the form's warning.
BUILD_EFFECT = {
    "dir": "creates the target directory",
    "netfs": "creates the mount point directory",
    "logical": "creates the volume group: FORMATS the source devices, erasing what is on them",
    "disk": "writes a new partition table: ERASES the device",
    "iscsi": "",
}
# Types where building may destroy data: the form leaves build off for them.
DESTRUCTIVE_BUILD = frozenset({"logical", "disk"})


def _norm(spec: PoolSpec) -> PoolSpec:
    """Drop what libvirt fills in by itself so a comparison sees only real differences."""
    target = spec.target_path.rstrip("/") if spec.target_path and spec.target_path != "/" else spec.target_path
    fmt = spec.source_format
    if spec.type == "netfs" and fmt in (None, "auto"):
        fmt = None
    if spec.type == "disk" and fmt in (None, "unknown"):
        fmt = None
    if spec.type == "logical" and fmt in (None, "lvm2"):
        fmt = None
    return replace(spec, target_path=target, source_format=fmt)


def pool_differences(asked: PoolSpec, defined: PoolSpec) -> tuple[str, ...]:
    a, d = _norm(asked), _norm(defined)
    found = []
    for label in ("name", "type", "target_path", "host", "port", "source_path", "source_name", "devices",
                  "source_format", "iqn"):
        want, got = getattr(a, label), getattr(d, label)
        if label == "target_path" and want is None:
            continue  # libvirt's own default
        if want != got:
            found.append(f"{label.replace('_', ' ')}: asked {want!r}, defined {got!r}")
    return tuple(found)


def create(conn: libvirt.virConnect, conn_id: str, spec: PoolSpec, build: bool, start: bool, autostart: bool,
           local: bool = False, xml: str | None = None) -> Created:
    """Define the pool, then build, start and set autostart as asked. If a later
    step fails, what the build made is removed (a directory it created, a volume
    group) and the pool undefined again; StepFailed says why."""
    xml = xml or build_pool_xml(spec)
    pool = conn.storagePoolDefineXML(xml, 0)
    # Whether the build made the directory; unknown on a remote host, where
    # pool.delete only removes an empty directory anyway.
    existed = os.path.isdir(spec.target_path) if local and spec.type in ("dir", "netfs") and spec.target_path else False
    built = False
    step = "define"
    try:
        if build:
            step = "build"
            pool.build(0)
            built = True
        if start:
            step = "start"
            pool.create(0)
        if autostart:
            step = "autostart"
            pool.setAutostart(1)
        step = "read back"
        defined = inactive_xml(pool, libvirt.VIR_STORAGE_XML_INACTIVE)
    except libvirt.libvirtError as exc:
        raise StepFailed(step, error_text(exc), _undo(pool, spec, built and not existed)) from exc
    uuid = pool.UUIDString()
    return Created(pool.name(), uuid, defined, pool_differences(spec, parse_pool_spec(defined)),
                   _changed(conn, conn_id, uuid))


def _undo(pool: libvirt.virStoragePool, spec: PoolSpec, remove_built: bool) -> tuple[str, ...]:
    left = []
    try:
        if pool.isActive():
            pool.destroy()
    except libvirt.libvirtError as exc:
        left.append(f"could not stop it: {error_text(exc)}")
    # A partition table written to a disk cannot be taken back: say so.
    if remove_built and spec.type == "disk":
        left.append("the new partition table on the device")
    elif remove_built:
        try:
            pool.delete(0)
        except libvirt.libvirtError as exc:
            what = "the volume group" if spec.type == "logical" else f"the directory {spec.target_path}"
            left.append(f"{what}: {error_text(exc)}")
    try:
        pool.undefine()
    except libvirt.libvirtError as exc:
        left.append(f"could not undefine it: {error_text(exc)}")
    return tuple(left)


# -- verbs on an existing pool --------------------------------------------------


def why_not(verb: str, pool: Pool) -> str | None:
    active = pool.state not in ("inactive",)
    if verb == "start":
        return None if not active else f"{pool.name} is {pool.state} already"
    if verb in ("stop", "refresh"):
        return None if active else f"{pool.name} is not active"
    if verb in ("autostart", "undefine"):
        return None if pool.persistent else f"{pool.name} is transient: it has no definition"
    return None


def _changed(conn: libvirt.virConnect, conn_id: str, uuid: str):
    return reader.read_pool(conn, conn_id, uuid) or PoolRemoved(conn_id, uuid)


def start(conn: libvirt.virConnect, conn_id: str, uuid: str):
    pool_of(conn, uuid).create(0)
    return _changed(conn, conn_id, uuid)


def stop(conn: libvirt.virConnect, conn_id: str, uuid: str):
    pool_of(conn, uuid).destroy()
    return _changed(conn, conn_id, uuid)


def refresh(conn: libvirt.virConnect, conn_id: str, uuid: str):
    pool_of(conn, uuid).refresh(0)
    return _changed(conn, conn_id, uuid)


def set_autostart(conn: libvirt.virConnect, conn_id: str, uuid: str, on: bool):
    pool_of(conn, uuid).setAutostart(1 if on else 0)
    return _changed(conn, conn_id, uuid)


def delete(conn: libvirt.virConnect, conn_id: str, uuid: str):
    """Stop the pool, delete its storage (pool.delete: the directory, the volume
    group ...) and undefine it. A failed step stops there: the pool stays."""
    pool = pool_of(conn, uuid)
    if pool.isActive():
        pool.destroy()
    try:
        pool.delete(0)
    except libvirt.libvirtError as exc:
        raise StepFailed("delete", error_text(exc), ("the pool, stopped and still defined",)) from exc
    if pool.isPersistent():
        pool.undefine()
    return PoolRemoved(conn_id, uuid)


def undefine(conn: libvirt.virConnect, conn_id: str, uuid: str):
    """Stop the pool and forget its definition; its storage stays as it is."""
    pool = pool_of(conn, uuid)
    if pool.isActive():
        pool.destroy()
    pool.undefine()
    return PoolRemoved(conn_id, uuid)
