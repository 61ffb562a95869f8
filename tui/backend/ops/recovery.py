"""Getting a guest back: save its memory to a file and restore it, export and import its
definition, push-mode disk backups. Runs on a connection's worker or a thread of its own."""

from __future__ import annotations

import os
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import libvirt

from ..xml.backup import BackupDisk, push_backup_xml
from .jobs import JobWatcher, Progress

SAVE_DIR = "/var/lib/libvirt/qemu/save"
IMAGES_DIR = "/var/lib/libvirt/images"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class Refused(ValueError):
    """virtdeck will not do it; the message says why."""


def safe_file_name(name: str) -> str:
    """`name` as one file-name component: letters, digits, `.`, `_`, `-` only, no leading dot."""
    safe = _UNSAFE.sub("_", name).lstrip("._").rstrip("_")
    return safe[:120] or "guest"


def default_save_path(guest_name: str) -> str:
    return os.path.join(SAVE_DIR, f"{safe_file_name(guest_name)}.save")


def default_export_path(guest_name: str) -> str:
    return str(Path.home() / f"{safe_file_name(guest_name)}.xml")


# -- save to a file / restore ------------------------------------------------------

def save(conn: libvirt.virConnect, uuid: str, path: str, progress: Progress) -> None:
    """Write the running guest's memory to `path` on the host; the guest stops."""
    dom = conn.lookupByUUIDString(uuid)
    if not dom.isActive():
        raise Refused(f"{dom.name()} is not running: there is no memory to save")
    with JobWatcher(dom, progress, "saving memory"):
        try:
            dom.saveFlags(path, None, 0)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() != libvirt.VIR_ERR_NO_SUPPORT:
                raise
            dom.save(path)


def saved_guest_name(conn: libvirt.virConnect, path: str) -> str | None:
    try:
        return ET.fromstring(conn.saveImageGetXMLDesc(path, 0)).findtext("name")
    except libvirt.libvirtError:
        return None


def restore(conn: libvirt.virConnect, path: str) -> str:
    """Start the guest saved in `path` (a file on the host); returns its name when libvirt tells it."""
    path = path.strip()
    if not path:
        raise Refused("Enter the path of a saved guest on the host")
    name = saved_guest_name(conn, path)
    conn.restore(path)
    return name or path


# -- export / import a definition ---------------------------------------------------

def definition(conn: libvirt.virConnect, uuid: str) -> str:
    """The guest's inactive XML, with secrets (VNC passwords ...) when the connection may read them."""
    dom = conn.lookupByUUIDString(uuid)
    flags = libvirt.VIR_DOMAIN_XML_INACTIVE
    try:
        return dom.XMLDesc(flags | libvirt.VIR_DOMAIN_XML_SECURE)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() not in (libvirt.VIR_ERR_OPERATION_DENIED, libvirt.VIR_ERR_ACCESS_DENIED):
            raise
        return dom.XMLDesc(flags)


def export(conn: libvirt.virConnect, uuid: str, path: str, replace: bool = False) -> str:
    """Write the guest's definition to `path` on this machine (the one running virtdeck)."""
    target = Path(path).expanduser()
    if target.exists() and not replace:
        raise Refused(f"{target} exists")
    text = definition(conn, uuid)
    target.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return str(target)


def import_definition(conn: libvirt.virConnect, path: str) -> str:
    """Define the guest described in the local file `path`; refuses a name or UUID the host has."""
    source = Path(path.strip()).expanduser()
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused(f"cannot read {source}: {exc}") from exc
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise Refused(f"{source} is not XML: {exc}") from exc
    if root.tag != "domain":
        raise Refused(f"{source} holds a <{root.tag}>, not a guest definition (<domain>)")
    name = root.findtext("name") or ""
    uuid = (root.findtext("uuid") or "").strip()
    for lookup, key, what in ((conn.lookupByName, name, "name"), (conn.lookupByUUIDString, uuid, "UUID")):
        if not key:
            continue
        try:
            existing = lookup(key)
        except libvirt.libvirtError:
            continue
        raise Refused(f"this host already has a guest with that {what}: {existing.name()}")
    return conn.defineXML(text).name()


# -- push-mode backup ---------------------------------------------------------------

def backup_disks(root: ET.Element, directory: str, guest_name: str, stamp: str) -> tuple[BackupDisk, ...]:
    """Each writable disk's copy: <directory>/<guest>-<target>-<stamp>.qcow2; the rest are left out."""
    disks = []
    for disk in root.findall("devices/disk"):
        target = disk.find("target")
        if target is None or target.get("dev") is None:
            continue
        dev = target.get("dev")
        if disk.get("device", "disk") != "disk" or disk.find("readonly") is not None or disk.find("source") is None:
            disks.append(BackupDisk(dev, None))
            continue
        name = f"{safe_file_name(guest_name)}-{safe_file_name(dev)}-{stamp}.qcow2"
        disks.append(BackupDisk(dev, os.path.join(directory, name)))
    return tuple(disks)


def default_backup_dir(conn: libvirt.virConnect, uuid: str) -> str:
    """The directory of the guest's first disk file, else the images directory."""
    root = ET.fromstring(conn.lookupByUUIDString(uuid).XMLDesc(0))
    for disk in root.findall("devices/disk"):
        source = disk.find("source")
        if disk.get("device", "disk") == "disk" and source is not None and source.get("file"):
            return os.path.dirname(source.get("file"))
    return IMAGES_DIR


def _job_type(dom: libvirt.virDomain, flags: int = 0) -> int:
    try:
        return dom.jobStats(flags).get("type", libvirt.VIR_DOMAIN_JOB_NONE)
    except libvirt.libvirtError:
        return libvirt.VIR_DOMAIN_JOB_NONE


def push_backup(conn: libvirt.virConnect, uuid: str, directory: str, progress: Progress,
                poll: float = 0.5) -> tuple[str, ...]:
    """Copy every disk into `directory` on the host as qcow2; blocks until the job ends.
    Returns the files written."""
    dom = conn.lookupByUUIDString(uuid)
    if not dom.isActive():
        raise Refused(f"{dom.name()} is shut off: a push-mode backup needs a running guest (QEMU copies the disks)")
    directory = directory.strip().rstrip("/") or "/"
    if not directory.startswith("/"):
        raise Refused("Give an absolute directory on the host")
    root = ET.fromstring(dom.XMLDesc(0))
    disks = backup_disks(root, directory, dom.name(), time.strftime("%Y%m%d-%H%M%S"))
    files = tuple(d.file for d in disks if d.file is not None)
    if not files:
        raise Refused(f"{dom.name()} has no disk to back up")
    dom.backupBegin(push_backup_xml(disks), None, 0)
    with JobWatcher(dom, progress, "backing up", every=poll):
        while _job_type(dom) != libvirt.VIR_DOMAIN_JOB_NONE:
            time.sleep(poll)
    try:
        ended = dom.jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
    except libvirt.libvirtError:
        ended = {}
    outcome = ended.get("type")
    if outcome == libvirt.VIR_DOMAIN_JOB_CANCELLED:
        raise Refused("the backup was aborted")
    if outcome == libvirt.VIR_DOMAIN_JOB_FAILED:
        raise Refused(ended.get("errmsg") or "the backup failed (libvirt gave no reason)")
    return files
