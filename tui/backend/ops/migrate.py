"""Move a guest to another connected host: live when it runs, offline when shut off."""

from __future__ import annotations

from dataclasses import dataclass

import libvirt

from .jobs import JobWatcher, Progress


@dataclass(frozen=True)
class MigrationRequest:
    undefine_source: bool = True
    copy_storage: bool = False  # non-shared storage: copy the disks too
    address: str = ""  # where the target's QEMU listens, e.g. tcp://10.0.0.2 ("" lets libvirt choose)


def host_uuid(conn: libvirt.virConnect) -> str | None:
    import xml.etree.ElementTree as ET

    return ET.fromstring(conn.getCapabilities()).findtext("host/uuid")


def preflight(source: libvirt.virConnect, uuid: str, target: libvirt.virConnect) -> str | None:
    """Why the target cannot take this guest, when that can be told before trying."""
    dom = source.lookupByUUIDString(uuid)
    name = dom.name()
    if host_uuid(source) == host_uuid(target):
        return ("both connections reach the same libvirt host (the same host UUID): libvirt migrates "
                "only between different hosts")
    try:
        other = target.lookupByName(name)
    except libvirt.libvirtError:
        other = None
    if other is not None:
        return f"the target already has a guest named {name}"
    try:
        if target.lookupByUUIDString(uuid) is not None:
            return f"the target already has a guest with this UUID ({uuid})"
    except libvirt.libvirtError:
        pass
    if not dom.isActive() and not dom.isPersistent():
        return f"{name} is transient and not running: there is nothing to move"
    return None


def flags_for(active: bool, paused: bool, persistent: bool, request: MigrationRequest) -> int:
    flags = libvirt.VIR_MIGRATE_PERSIST_DEST if persistent or not active else 0
    if active:
        if not paused:
            flags |= libvirt.VIR_MIGRATE_LIVE
        if request.copy_storage:
            flags |= libvirt.VIR_MIGRATE_NON_SHARED_DISK
    else:
        flags |= libvirt.VIR_MIGRATE_OFFLINE
    if request.undefine_source and persistent:
        flags |= libvirt.VIR_MIGRATE_UNDEFINE_SOURCE
    return flags


def migrate(source: libvirt.virConnect, uuid: str, target: libvirt.virConnect, request: MigrationRequest,
            progress: Progress) -> str:
    """Returns the guest's state on the target ("running", "paused", "shut off")."""
    problem = preflight(source, uuid, target)
    if problem:
        raise RuntimeError(problem)
    dom = source.lookupByUUIDString(uuid)
    active = bool(dom.isActive())
    paused = active and dom.info()[0] == libvirt.VIR_DOMAIN_PAUSED
    flags = flags_for(active, paused, bool(dom.isPersistent()), request)
    params = {}
    if request.address and active:
        params[libvirt.VIR_MIGRATE_PARAM_URI] = request.address
    progress(0, 0, "live migration" if flags & libvirt.VIR_MIGRATE_LIVE else "migration")
    if active:
        with JobWatcher(dom, progress, "copying memory"):
            moved = dom.migrate3(target, params, flags)
    else:
        moved = dom.migrate3(target, params, flags)
    if not moved.isActive():
        return "shut off"
    return "paused" if moved.info()[0] == libvirt.VIR_DOMAIN_PAUSED else "running"
