"""Guest lifecycle verbs: which apply to a guest in a given state, and doing them.

`applies` is pure (the UI asks it to enable keys); `run` makes the libvirt
call and runs on the connection's worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import libvirt

from .. import validate
from ..model import Guest
from ..states import domain_state
from .volumes import VolumeUse, host_storage, uses, uses_of

CRASHED = domain_state(libvirt.VIR_DOMAIN_CRASHED)
PM_SUSPENDED = domain_state(libvirt.VIR_DOMAIN_PMSUSPENDED)
ACTIVE = ("running", "paused", "blocked", "shutting down", PM_SUSPENDED, CRASHED)


@dataclass(frozen=True)
class Verb:
    name: str  # action id: start, shutdown, ...
    label: str  # what the user sees: "start", "shut down", ...
    past: str  # for results: "started", ...


VERBS = {
    "start": Verb("start", "start", "started"),
    "shutdown": Verb("shutdown", "shut down", "asked to shut down"),
    "reboot": Verb("reboot", "reboot", "asked to reboot"),
    "reset": Verb("reset", "reset", "reset"),
    "force_off": Verb("force_off", "force off", "forced off"),
    "pause": Verb("pause", "pause", "paused"),
    "resume": Verb("resume", "resume", "resumed"),
    "wakeup": Verb("wakeup", "wake up", "woken up"),
    "restart": Verb("restart", "restart (force off, then start)", "restarted"),
    "managed_save": Verb("managed_save", "save (managed)", "saved"),
    "autostart_on": Verb("autostart_on", "turn autostart on", "set to autostart"),
    "autostart_off": Verb("autostart_off", "turn autostart off", "set not to autostart"),
    "rename": Verb("rename", "rename", "renamed"),
    "clone": Verb("clone", "clone", "cloned"),
    "migrate": Verb("migrate", "migrate", "migrated"),
    "delete": Verb("delete", "delete", "deleted"),
}


def why_not(verb: str, guest: Guest) -> str | None:
    """None when `verb` applies to `guest`, else the reason it does not."""
    state = guest.state
    if verb == "start":
        if state == CRASHED:
            return f"{guest.name} crashed: F forces it off, then s starts it (or r restarts it)"
        if state == PM_SUSPENDED:
            return f"{guest.name} is suspended to memory: s wakes it up"
        return None if state == "shut off" else f"{guest.name} is {state}"
    if verb == "wakeup":
        return None if state == PM_SUSPENDED else f"{guest.name} is {state}, not suspended to memory"
    if verb == "restart":
        return None if state == CRASHED else f"{guest.name} is {state}, not crashed"
    if verb in ("shutdown", "reboot"):
        if state == CRASHED:
            return f"{guest.name} crashed: r restarts it (forced off, then started), F forces it off"
        return None if state == "running" else f"{guest.name} is {state}, not running"
    if verb == "reset":
        return None if state in ("running", "paused", "blocked") else f"{guest.name} is {state}"
    if verb == "force_off":
        return None if state in ACTIVE else f"{guest.name} is not running"
    if verb == "pause":
        return None if state in ("running", "blocked") else f"{guest.name} is {state}, not running"
    if verb == "resume":
        if state == PM_SUSPENDED:
            return f"{guest.name} is suspended to memory, not paused: s wakes it up"
        return None if state == "paused" else f"{guest.name} is {state}, not paused"
    if verb == "managed_save":
        if not guest.persistent:
            return f"{guest.name} is transient: a managed save needs a persistent guest"
        return None if state in ("running", "paused", "blocked") else f"{guest.name} is {state}"
    if verb in ("autostart_on", "autostart_off"):
        if not guest.persistent:
            return f"{guest.name} is transient: only persistent guests autostart"
        return None
    if verb == "rename":
        if not guest.persistent:
            return f"{guest.name} is transient: only a defined guest can be renamed"
        return None if state == "shut off" else f"{guest.name} is {state}: shut it off to rename it"
    if verb == "clone":
        if not guest.persistent:
            return f"{guest.name} is transient: only a defined guest can be cloned"
        return None if state in ("shut off", "paused") else f"{guest.name} is {state}: shut it off or pause it to clone it"
    if verb == "migrate":
        if state in ("running", "paused", "blocked"):
            return None
        if state == "shut off":
            return None if guest.persistent else f"{guest.name} is transient and shut off"
        return f"{guest.name} is {state}"
    if verb == "delete":
        return None
    return f"unknown action {verb}"


def _caps_max_vcpus(xml: str) -> int | None:
    import xml.etree.ElementTree as ET

    vcpu = ET.fromstring(xml).find("vcpu")
    value = vcpu.get("max", "") if vcpu is not None else ""
    return int(value) if value.isdigit() else None


def vcpu_maximum(conn: libvirt.virConnect, domain_type: str | None = None, arch: str | None = None,
                 machine: str | None = None, uuid: str | None = None) -> int | None:
    """The most vCPUs a guest may have on this host: the domain capabilities' <vcpu max=...>
    for its type, arch and machine (read from the guest `uuid` when given), else the
    hypervisor's virConnectGetMaxVcpus (libvirt's older answer: 16 for TCG, which the domain
    capabilities correct). None when the host says neither."""
    if uuid is not None:
        import xml.etree.ElementTree as ET

        root = ET.fromstring(conn.lookupByUUIDString(uuid).XMLDesc(0))
        domain_type = root.get("type") or domain_type
        os_type = root.find("os/type")
        if os_type is not None:
            arch, machine = os_type.get("arch") or arch, os_type.get("machine") or machine
    try:
        caps = _caps_max_vcpus(conn.getDomainCapabilities(None, arch, machine, domain_type, 0))
    except libvirt.libvirtError:
        caps = None
    if caps:
        return caps
    try:
        hypervisor = conn.getMaxVcpus(domain_type)
    except libvirt.libvirtError:
        return None
    return hypervisor if hypervisor > 0 else None


def name_problem(name: str, taken: set[str] | frozenset[str] = frozenset(), current: str | None = None) -> str | None:
    """What is wrong with `name` as a new guest name on a host whose guests are `taken`."""
    if current is not None and name == current:
        return "That is its name already"
    return validate.check_name(name, "guest", taken)


def rename(conn: libvirt.virConnect, uuid: str, new_name: str) -> None:
    conn.lookupByUUIDString(uuid).rename(new_name, 0)


def run(conn: libvirt.virConnect, uuid: str, verb: str) -> None:
    run_on(conn.lookupByUUIDString(uuid), verb)


def run_on(dom: libvirt.virDomain, verb: str) -> None:
    if verb == "start":
        dom.create()  # restores a managed save when there is one
    elif verb == "shutdown":
        dom.shutdown()
    elif verb == "reboot":
        dom.reboot(0)
    elif verb == "reset":
        dom.reset(0)
    elif verb == "force_off":
        dom.destroy()
    elif verb == "pause":
        dom.suspend()
    elif verb == "resume":
        dom.resume()
    elif verb == "wakeup":
        dom.pMWakeup(0)
    elif verb == "restart":
        if dom.isActive():
            dom.destroy()
        dom.create()
    elif verb == "managed_save":
        dom.managedSave(0)
    elif verb == "autostart_on":
        dom.setAutostart(1)
    elif verb == "autostart_off":
        dom.setAutostart(0)
    else:
        raise ValueError(f"unknown action {verb}")


@dataclass(frozen=True)
class DiskFile:
    """A guest disk backed by something that can be deleted with it."""

    target: str  # vda, sdb, ...
    path: str
    pool: str | None  # the pool holding it as a volume, if any
    capacity: int | None
    kept: str | None = None  # why it stays whatever is ticked: "also a disk of db (vda)", "backing file of x.qcow2"


def kept_because(guest: str, found: tuple[VolumeUse, ...]) -> str | None:
    """Why a volume of `guest` must outlive it: what another guest or volume needs it for
    (`found`: its VolumeUse list), or None when only `guest` uses it."""
    reasons = []
    for use in found:
        if use.role == "backing" and use.volume is not None:
            reasons.append(f"backing file of {use.volume}")
        elif use.guest is None or use.guest == guest:
            continue
        elif use.role == "backing":
            reasons.append(f"backing file of a disk of {use.guest}" + (f" ({use.through.target})"
                                                                       if use.through and use.through.target else ""))
        elif use.role in ("disk", "lun"):
            reasons.append(f"also a {use.role} of {use.guest} ({use.target or '?'})")
        else:
            reasons.append(f"also the {use.role_text} of {use.guest}")
    return "; ".join(dict.fromkeys(reasons)) or None


def deletable_disks(conn: libvirt.virConnect, uuid: str) -> tuple[DiskFile, ...]:
    """The guest's disks (not CD-ROMs) and, where libvirt knows one, the volume behind each."""
    import xml.etree.ElementTree as ET

    dom = conn.lookupByUUIDString(uuid)
    root = ET.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE) if dom.isPersistent() else dom.XMLDesc(0))
    storage = host_storage(conn)
    found = []
    for disk in root.findall("devices/disk"):
        if disk.get("device", "disk") != "disk":
            continue
        source = disk.find("source")
        target = disk.find("target")
        if source is None:
            continue
        path = source.get("file") or source.get("dev")
        pool = capacity = name = None
        if source.get("pool") and source.get("volume"):
            try:
                vol = conn.storagePoolLookupByName(source.get("pool")).storageVolLookupByName(source.get("volume"))
                path, pool, capacity, name = vol.path(), source.get("pool"), vol.info()[1], vol.name()
            except libvirt.libvirtError:
                pass
        elif path:
            try:
                vol = conn.storageVolLookupByPath(path)
                pool, capacity, name = vol.storagePoolLookupByVolume().name(), vol.info()[1], vol.name()
            except libvirt.libvirtError:
                pass
        if path:
            kept = None
            if pool is not None:
                kept = kept_because(dom.name(), uses_of(storage, path, f"{pool}/{name}"))
            found.append(DiskFile(target.get("dev") if target is not None else "?", path, pool, capacity, kept))
    return tuple(found)


def delete(conn: libvirt.virConnect, uuid: str, volumes: tuple[str, ...]) -> list[str]:
    """Force off if running, undefine with its managed save, snapshot and checkpoint
    metadata and NVRAM, then delete the given volume paths. Returns what could not be
    deleted (the guest itself is gone by then): a volume another guest or volume needs stays."""
    dom = conn.lookupByUUIDString(uuid)
    problems = []
    doomed = []
    for path in volumes:
        try:
            kept = kept_because(dom.name(), uses(conn, conn.storageVolLookupByPath(path)))
        except libvirt.libvirtError:
            kept = None  # not a volume (any more): its delete below says so
        if kept:
            problems.append(f"{path}: kept, {kept}")
        else:
            doomed.append(path)
    if dom.isActive():
        dom.destroy()
    if dom.isPersistent():
        flags = (
            libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
            | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
            | getattr(libvirt, "VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA", 0)
            | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM
        )
        basic = libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
        for attempt in (flags, basic, 0):  # drivers that know fewer flags refuse the whole call
            try:
                dom.undefineFlags(attempt)
                break
            except libvirt.libvirtError as exc:
                if attempt == 0 or exc.get_error_code() not in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_INVALID_ARG):
                    raise
    for path in doomed:
        try:
            conn.storageVolLookupByPath(path).delete(0)
        except libvirt.libvirtError as exc:
            problems.append(f"{path}: {exc.get_error_message()}")
    return problems
