"""The verbs on storage volumes: create, delete, wipe, resize, clone, upload and download.

Everything here runs off the UI loop, on a connection's worker or a thread of its own.
A step that fails after a volume or a local file was made removes what it made.
"""

from __future__ import annotations

import errno
import os
import struct
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

import libvirt

from ..xml.volume import VolumeSpec, build_volume_xml, parse_volume_spec
from .common import pool_of, pretty, transfer, volume_of
from .jobs import Progress

QCOW2_MAGIC = b"QFI\xfb"
CHUNK = 256 * 1024
PROGRESS_EVERY = 0.1  # seconds between progress reports


class VolumeInUse(ValueError):
    """A guest (or another volume) needs this volume, so the change is refused."""


class Cancelled(Exception):
    """The user aborted a transfer."""


# -- pure helpers -------------------------------------------------------------


def image_format(header: bytes) -> tuple[str, int | None]:
    """('qcow2', virtual size) when the bytes start a qcow2 image, else ('raw', None)."""
    if len(header) >= 32 and header[:4] == QCOW2_MAGIC:
        return "qcow2", struct.unpack(">Q", header[24:32])[0]
    return "raw", None


@dataclass(frozen=True)
class LocalImage:
    path: str
    size: int  # bytes in the file
    format: str
    capacity: int  # what a new volume for it needs: the qcow2 virtual size, else the file's size


def probe_local(path: str) -> LocalImage:
    """What a local file holds, for an upload. Raises OSError with the system's words."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        fmt, virtual = image_format(f.read(32))
    return LocalImage(path, size, fmt, virtual if virtual else size)


def disk_sources(domain_xml: str) -> set[str]:
    """Paths (file, block device, pool/volume) the guest's disks use."""
    root = ET.fromstring(domain_xml)
    found = set()
    for source in root.findall("devices/disk/source"):
        for attr in ("file", "dev"):
            if source.get(attr):
                found.add(source.get(attr))
        if source.get("pool") and source.get("volume"):
            found.add(f"{source.get('pool')}/{source.get('volume')}")
    return found


def differences(asked: VolumeSpec, got: VolumeSpec) -> list[str]:
    """What libvirt made differently from what was asked (allocation is reported apart)."""
    problems = []
    if got.name != asked.name:
        problems.append(f"name is {got.name!r}, not {asked.name!r}")
    if got.format != asked.format:
        problems.append(f"format is {got.format}, not {asked.format}")
    if got.capacity < asked.capacity:
        problems.append(f"capacity is {got.capacity} bytes, not {asked.capacity}")
    if (got.backing_path or None) != (asked.backing_path or None):
        problems.append(f"backing file is {got.backing_path!r}, not {asked.backing_path!r}")
    return problems


# -- who needs a volume -----------------------------------------------------------

_DEVICE_WORDS = {"disk": "disk", "cdrom": "CD-ROM", "floppy": "floppy", "lun": "LUN"}
_OS_ROLES = ("loader", "nvram", "kernel", "initrd", "dtb")
_STATE_WORDS = {
    libvirt.VIR_DOMAIN_RUNNING: "running", libvirt.VIR_DOMAIN_BLOCKED: "running", libvirt.VIR_DOMAIN_PAUSED: "paused",
    libvirt.VIR_DOMAIN_SHUTDOWN: "shutting down", libvirt.VIR_DOMAIN_CRASHED: "crashed",
    libvirt.VIR_DOMAIN_PMSUSPENDED: "suspended", libvirt.VIR_DOMAIN_SHUTOFF: "shut off",
}
_ROLE_WORDS = {"loader": "UEFI firmware (loader)", "nvram": "UEFI variables (nvram)", "kernel": "kernel",
               "initrd": "initrd", "dtb": "device tree (dtb)"}


@dataclass(frozen=True)
class VolumeUse:
    """One way a guest, or another volume, needs a volume."""

    role: str  # disk, cdrom, floppy, lun, loader, nvram, kernel, initrd, dtb, backing
    guest: str | None  # the guest that needs it (at the end of a backing chain too); None: no guest
    active: bool  # that guest is running (or paused ...)
    state: str = ""  # that guest's state in words: running, paused, crashed ...
    target: str | None = None  # a disk's target (vda)
    volume: str | None = None  # backing: the volume whose backing file this is
    through: VolumeUse | None = None  # backing: how that volume (or disk) is used

    @property
    def text(self) -> str:
        """'disk vda of db', 'nvram of web-01', 'backing file of base.qcow2 (disk vda of db)'."""
        if self.role == "backing":
            if self.volume is None:
                return f"backing file of {self.through.text}" if self.through else "backing file"
            return f"backing file of {self.volume}" + (f" ({self.through.text})" if self.through else "")
        if self.role in _DEVICE_WORDS:
            return f"{_DEVICE_WORDS[self.role]} {self.target or '?'} of {self.guest}"
        return f"{self.role} of {self.guest}"

    @property
    def role_text(self) -> str:
        """What it is to its guest, in words: 'disk vda', 'UEFI variables (nvram)'."""
        if self.role in _DEVICE_WORDS:
            return f"{_DEVICE_WORDS[self.role]} {self.target or '?'}"
        return _ROLE_WORDS.get(self.role, self.role)


@dataclass(frozen=True)
class GuestDefinition:
    name: str
    active: bool
    state: str  # running, paused, shut off ...
    xmls: tuple[str, ...]  # the live definition and, when it differs, the next boot's


@dataclass(frozen=True)
class HostStorage:
    """What `uses_of` looks through: every guest's definitions and every volume's backing file."""

    guests: tuple[GuestDefinition, ...]
    backing: dict[str, tuple[tuple[str, str, str], ...]]  # backing path -> ((volume, pool, path) ...)


def _os_paths(root: ET.Element) -> list[tuple[str, str]]:
    found = []
    os_el = root.find("os")
    for role in _OS_ROLES:
        for el in os_el.findall(role) if os_el is not None else ():
            path = (el.text or "").strip()
            source = el.find("source")
            if source is not None:
                path = source.get("file") or source.get("dev") or path
            if path:
                found.append((role, path))
    return found


def _disk_keys(source: ET.Element | None) -> set[str]:
    if source is None:
        return set()
    keys = {source.get(attr) for attr in ("file", "dev") if source.get(attr)}
    if source.get("pool") and source.get("volume"):
        keys.add(f"{source.get('pool')}/{source.get('volume')}")
    return keys


def _guest_uses(guest: GuestDefinition, keys: set[str]) -> list[VolumeUse]:
    """How one guest's definitions use the volume known by `keys` (its path, pool/name)."""
    found = []
    for xml in guest.xmls:
        root = ET.fromstring(xml)
        for disk in root.findall("devices/disk"):
            target = disk.find("target")
            dev = target.get("dev") if target is not None else None
            use = VolumeUse(disk.get("device", "disk"), guest.name, guest.active, guest.state, target=dev)
            if _disk_keys(disk.find("source")) & keys:
                found.append(use)
            store = disk.find("backingStore")
            while store is not None:  # the chain under the disk, as the guest's XML tells it
                if _disk_keys(store.find("source")) & keys:
                    found.append(VolumeUse("backing", guest.name, guest.active, guest.state, through=use))
                store = store.find("backingStore")
        found += [VolumeUse(role, guest.name, guest.active, guest.state)
                  for role, path in _os_paths(root) if path in keys]
    return found


def uses_of(host: HostStorage, path: str, pool_volume: str | None = None, depth: int = 0) -> tuple[VolumeUse, ...]:
    """Every use of the volume at `path` (also named `pool_volume`, pool/name): guests' disks,
    CD-ROMs, firmware, kernels, and volumes whose backing chain holds it, with their own uses."""
    keys = {path} | ({pool_volume} if pool_volume else set())
    found: list[VolumeUse] = []
    for child, pool, child_path in host.backing.get(path, ()):
        if depth >= 16 or child_path == path:
            continue
        under = uses_of(host, child_path, f"{pool}/{child}", depth + 1)
        found += [VolumeUse("backing", use.guest, use.active, use.state, volume=child, through=use)
                  for use in under]
        if not under:
            found.append(VolumeUse("backing", None, False, volume=child))
    for guest in host.guests:
        for use in _guest_uses(guest, keys):
            if use.role == "backing" and any(
                    other.role == "backing" and other.through is not None and other.through.guest == use.guest
                    and other.through.target == use.through.target for other in found):
                continue  # the volumes' own chain said it already
            if use not in found:
                found.append(use)
    return tuple(found)


def host_storage(conn: libvirt.virConnect) -> HostStorage:
    """Every guest's definitions and every volume's backing file on this host."""
    guests = []
    for dom in conn.listAllDomains(0):
        try:
            active = bool(dom.isActive())
            xmls = [dom.XMLDesc(0)]
            if active and dom.isPersistent():
                xmls.append(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
            state = _STATE_WORDS.get(dom.info()[0], "active") if active else "shut off"
            guests.append(GuestDefinition(dom.name(), active, state, tuple(xmls)))
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                continue
            raise
    backing: dict[str, list[tuple[str, str, str]]] = {}
    for pool in conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE):
        try:
            volumes = pool.listAllVolumes(0)
        except libvirt.libvirtError:
            continue
        for vol in volumes:
            try:
                store = ET.fromstring(vol.XMLDesc(0)).find("backingStore")
                path = (store.findtext("path") or "").strip() if store is not None else ""
                if path:
                    backing.setdefault(path, []).append((vol.name(), pool.name(), vol.path()))
            except libvirt.libvirtError:
                continue
    return HostStorage(tuple(guests), {path: tuple(found) for path, found in backing.items()})


def uses(conn: libvirt.virConnect, vol: libvirt.virStorageVol) -> tuple[VolumeUse, ...]:
    return uses_of(host_storage(conn), vol.path(), f"{vol.storagePoolLookupByVolume().name()}/{vol.name()}")


def users(conn: libvirt.virConnect, vol: libvirt.virStorageVol) -> list[str]:
    """Names of the guests of this host that need the volume (live or next boot, any way)."""
    return sorted({use.guest for use in uses(conn, vol) if use.guest is not None})


# -- what a use allows ---------------------------------------------------------------

DELETE, WIPE, SHRINK = "delete", "wipe", "shrink"


@dataclass(frozen=True)
class Guard:
    """Whether a delete, wipe or shrink may go ahead: refused (why), or asked with what breaks."""

    refusal: str | None
    warnings: tuple[str, ...]


def _loss(action: str, use: VolumeUse) -> str:
    """What a shut-off guest loses when this is done to a volume it needs."""
    guest, role = use.guest, use.role
    if role in _DEVICE_WORDS:
        where = f"{_DEVICE_WORDS[role]} {use.target or '?'} of {guest} (shut off)"
        if action == DELETE:
            return f"it is the {where}: {guest} will not start until that drive is changed"
        if action == WIPE:
            return f"it is the {where}: what {guest} keeps on it is lost"
        return f"it is the {where}: whatever lies past the new end is cut from {guest}'s disk"
    words = _ROLE_WORDS.get(role, role)
    if role == "nvram":
        return (f"it holds the {words} of {guest} (shut off): boot entries and secure-boot keys set in {guest} "
                "are lost; libvirt makes a fresh file from the template when it next starts"
                + ("" if action == DELETE else ", if the file is gone"))
    return f"it is the {words} of {guest} (shut off): {guest} will not start until it names another file"


def guard(action: str, name: str, found: tuple[VolumeUse, ...] | list[VolumeUse]) -> Guard:
    """The rules: a volume another volume is built on is never deleted, wiped or shrunk; a guest
    that runs keeps everything it uses; a shut-off guest's disk is not deleted (detach it first);
    the rest of what a shut-off guest needs is asked about, naming the guest and what breaks."""
    refusals: list[str] = []
    warnings: list[str] = []
    for use in found:
        if use.role == "backing":
            refusals.append(f"{name} is the {use.text}: that image reads its data from {name}")
        elif use.active:
            refusals.append(f"{use.guest} is {use.state or 'running'} with {name} as its {use.role_text}: "
                            "shut it off first")
        elif use.role in ("disk", "lun") and action == DELETE:
            refusals.append(f"{name} is a disk of {use.guest} ({use.target or '?'}): remove it from the guest first")
        else:
            warnings.append(_loss(action, use))
    unique = lambda items: tuple(dict.fromkeys(items))  # noqa: E731
    refused = unique(refusals)
    return Guard("; ".join(refused) if refused else None, unique(warnings))


def check(conn: libvirt.virConnect, vol: libvirt.virStorageVol, action: str) -> Guard:
    """`guard` on the volume's uses now; raises VolumeInUse when it is refused."""
    verdict = guard(action, vol.name(), uses(conn, vol))
    if verdict.refusal is not None:
        raise VolumeInUse(verdict.refusal)
    return verdict


@dataclass(frozen=True)
class VolumeDetails:
    name: str
    pool: str
    format: str | None
    capacity: int
    allocation: int
    path: str | None
    backing_chain: tuple[tuple[str, str | None], ...]  # (path, format), nearest first
    uses: tuple[VolumeUse, ...]  # who needs it, and how
    xml: str


def _backing_chain(conn: libvirt.virConnect, xml: str) -> tuple[tuple[str, str | None], ...]:
    chain: list[tuple[str, str | None]] = []
    seen = set()
    root = ET.fromstring(xml)
    while (backing := root.find("backingStore")) is not None and backing.findtext("path"):
        path = backing.findtext("path")
        fmt = backing.find("format")
        chain.append((path, fmt.get("type") if fmt is not None else None))
        if path in seen or len(chain) > 16:
            break
        seen.add(path)
        try:  # a backing file that is itself a volume may have a backing file of its own
            root = ET.fromstring(conn.storageVolLookupByPath(path).XMLDesc(0))
        except libvirt.libvirtError:
            break
    return tuple(chain)


def details(conn: libvirt.virConnect, pool_uuid: str, name: str) -> VolumeDetails:
    vol = volume_of(conn, pool_uuid, name)
    xml = vol.XMLDesc(0)
    root = ET.fromstring(xml)
    fmt = root.find("target/format")
    _type, capacity, allocation = vol.info()
    return VolumeDetails(
        name=vol.name(), pool=vol.storagePoolLookupByVolume().name(),
        format=fmt.get("type") if fmt is not None else None,
        capacity=capacity, allocation=allocation, path=root.findtext("target/path"),
        backing_chain=_backing_chain(conn, xml), uses=uses(conn, vol), xml=xml,
    )


# -- create, delete, wipe, resize -----------------------------------------------


@dataclass(frozen=True)
class VolumeMade:
    spec: VolumeSpec  # as read back from libvirt
    path: str


def create_flags(spec: VolumeSpec) -> int:
    """qcow2 with an allocation asked for needs this flag, or libvirt ignores the allocation:
    with it, qemu-img preallocates in full (falloc) when allocation = capacity, else metadata."""
    if spec.format == "qcow2" and spec.allocation and not spec.backing_path:
        return libvirt.VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA
    return 0


def definition(spec: VolumeSpec) -> str:
    """The XML `create` sends, one element a line: what the form shows before it is sent."""
    return pretty(build_volume_xml(spec))


def create(conn: libvirt.virConnect, pool_uuid: str, spec: VolumeSpec) -> VolumeMade:
    """pool.createXML, then the volume read back and compared; a mismatch deletes it."""
    pool = pool_of(conn, pool_uuid)
    vol = pool.createXML(definition(spec), create_flags(spec))
    try:
        got = parse_volume_spec(vol.XMLDesc(0))
        problems = differences(spec, got)
        if problems:
            raise ValueError("libvirt made a different volume (deleted again): " + "; ".join(problems))
        return VolumeMade(got, vol.path())
    except BaseException:
        _delete_quietly(vol)
        raise


def _delete_quietly(vol: libvirt.virStorageVol) -> None:
    try:
        vol.delete(0)
    except libvirt.libvirtError:
        pass


def delete(conn: libvirt.virConnect, pool_uuid: str, name: str) -> None:
    """Delete the volume unless `guard` refuses it now (what it asks about was asked before)."""
    vol = volume_of(conn, pool_uuid, name)
    check(conn, vol, DELETE)
    vol.delete(0)


def wipe(conn: libvirt.virConnect, pool_uuid: str, name: str) -> None:
    vol = volume_of(conn, pool_uuid, name)
    check(conn, vol, WIPE)
    vol.wipe(0)


def resize(conn: libvirt.virConnect, pool_uuid: str, name: str, capacity: int, shrink: bool = False) -> int:
    """Set the capacity; returns the capacity libvirt reports afterwards. A shrink is checked
    against the volume's uses like a delete."""
    vol = volume_of(conn, pool_uuid, name)
    if shrink:
        check(conn, vol, SHRINK)
    vol.resize(capacity, libvirt.VIR_STORAGE_VOL_RESIZE_SHRINK if shrink else 0)
    return vol.info()[1]


# -- clone ----------------------------------------------------------------------


def clone(conn: libvirt.virConnect, pool_uuid: str, name: str, target_pool_uuid: str, new_name: str,
          progress: Progress | None = None) -> VolumeMade:
    """Copy a volume into a new one (same or another pool of the host) with createXMLFrom.

    Progress comes from polling the new volume's allocation; a failure deletes a partial copy.
    """
    source = volume_of(conn, pool_uuid, name)
    spec = parse_volume_spec(source.XMLDesc(0))
    asked = VolumeSpec(name=new_name, capacity=spec.capacity, format=spec.format, allocation=0,
                       backing_path=spec.backing_path, backing_format=spec.backing_format)
    target = pool_of(conn, target_pool_uuid)
    total = source.info()[2] or spec.capacity
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.3):
            try:
                done = target.storageVolLookupByName(new_name).info()[2]
            except libvirt.libvirtError:
                continue
            if progress is not None:
                progress(min(done, total), total, "Copy")

    watcher = threading.Thread(target=watch, name=f"watch clone {new_name}", daemon=True)
    watcher.start()
    try:
        vol = target.createXMLFrom(build_volume_xml(asked), source, 0)
    except BaseException:
        stop.set()
        watcher.join(timeout=2)
        _remove_partial(target, new_name)
        raise
    stop.set()
    watcher.join(timeout=2)
    if progress is not None:
        progress(total, total, "Copy")
    return VolumeMade(parse_volume_spec(vol.XMLDesc(0)), vol.path())


def _remove_partial(pool: libvirt.virStoragePool, name: str) -> None:
    try:
        pool.refresh(0)
        _delete_quietly(pool.storageVolLookupByName(name))
    except libvirt.libvirtError:
        pass


# -- upload and download --------------------------------------------------------


class Meter:
    """Counts bytes through a stream and reports at most every PROGRESS_EVERY seconds;
    raises Cancelled once `cancel` is set."""

    def __init__(self, total: int, what: str, progress: Progress | None, cancel: threading.Event) -> None:
        self.total = total
        self.what = what
        self.progress = progress
        self.cancel = cancel
        self.done = 0
        self._last = 0.0

    def add(self, count: int) -> None:
        if self.cancel.is_set():
            raise Cancelled(f"{self.what} cancelled")
        self.done += count
        now = time.monotonic()
        if self.progress is not None and (now - self._last >= PROGRESS_EVERY or self.done >= self.total):
            self._last = now
            self.progress(self.done, self.total, self.what)


def _section(fd: int) -> tuple[bool, int]:
    """(in data?, length) of the stretch of the file at the current offset."""
    cur = os.lseek(fd, 0, os.SEEK_CUR)
    end = os.fstat(fd).st_size
    if cur >= end:
        return False, 0
    try:
        data = os.lseek(fd, cur, os.SEEK_DATA)
    except OSError as exc:
        if exc.errno != errno.ENXIO:
            raise
        data = end  # a hole up to the end
    if data > cur:
        result = (False, data - cur)
    else:
        try:
            hole = os.lseek(fd, cur, os.SEEK_HOLE)
        except OSError:
            hole = end
        result = (True, hole - cur)
    os.lseek(fd, cur, os.SEEK_SET)
    return result


def read_chunk(fd: int, size: int) -> bytes:
    return os.read(fd, size)


def write_chunk(fd: int, data: bytes) -> int:
    return os.write(fd, data)


def _no_support(exc: libvirt.libvirtError) -> bool:
    return exc.get_error_code() in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_INVALID_ARG,
                                    libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED)


def _send(conn: libvirt.virConnect, vol: libvirt.virStorageVol, fd: int, meter: Meter, sparse: bool) -> bool:
    """Stream the file into the volume, sparse when asked and libvirt takes it; returns whether it was."""
    stream = conn.newStream(0)
    try:
        vol.upload(stream, 0, meter.total, libvirt.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM if sparse else 0)
    except libvirt.libvirtError as exc:
        if not (sparse and _no_support(exc)):
            raise
        sparse = False
        stream = conn.newStream(0)
        vol.upload(stream, 0, meter.total, 0)

    def data(_stream, nbytes, _fd):
        chunk = read_chunk(fd, min(nbytes, CHUNK))
        meter.add(len(chunk))
        return chunk

    def hole(_stream, _fd):
        return list(_section(fd))

    def skip(_stream, length, _fd):
        meter.add(length)
        return os.lseek(fd, length, os.SEEK_CUR)

    if sparse:
        transfer(stream, lambda: stream.sparseSendAll(data, hole, skip, fd))
    else:
        transfer(stream, lambda: stream.sendAll(data, fd))
    return sparse


@dataclass(frozen=True)
class Transferred:
    name: str
    size: int
    sparse: bool
    created: bool  # a new volume or file was made


def upload(conn: libvirt.virConnect, pool_uuid: str, name: str, local_path: str, new: bool,
           progress: Progress | None = None, cancel: threading.Event | None = None) -> Transferred:
    """Stream a local file into a volume. `new`: create it first (format from the file's
    magic, capacity its qcow2 virtual size or its size), and delete it again if anything
    after that fails or the user cancels."""
    cancel = cancel or threading.Event()
    image = probe_local(local_path)
    pool = pool_of(conn, pool_uuid)
    vol = None
    sparse = True
    if new:
        created = create(conn, pool_uuid, VolumeSpec(name=name, capacity=max(image.capacity, 1), format=image.format))
        vol = pool.storageVolLookupByName(created.spec.name)
    try:
        if vol is None:
            vol = pool.storageVolLookupByName(name)
            capacity = vol.info()[1]
            if image.size > capacity and image.format == "raw":
                raise ValueError(f"{local_path} ({image.size} bytes) is larger than {name} ({capacity} bytes)")
            # libvirt cuts the volume's file at a hole that ends the stream: into a larger
            # volume, send every byte so that what lies past the file's end stays.
            sparse = image.size >= _physical_size(vol)
        fd = os.open(local_path, os.O_RDONLY)
        try:
            sparse = _send(conn, vol, fd, Meter(image.size, "Upload", progress, cancel), sparse)
        finally:
            os.close(fd)
        pool.refresh(0)
    except BaseException:
        if new and vol is not None:
            _delete_quietly(vol)
        raise
    return Transferred(name, image.size, sparse, new)


def download(conn: libvirt.virConnect, pool_uuid: str, name: str, local_path: str,
             progress: Progress | None = None, cancel: threading.Event | None = None) -> Transferred:
    """Stream a volume into a local file (made or overwritten), sparse when libvirt can; a
    file this made is removed again when the download fails or is cancelled."""
    cancel = cancel or threading.Event()
    vol = volume_of(conn, pool_uuid, name)
    new = not os.path.exists(local_path)
    fd = os.open(local_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        size, sparse = _receive(conn, vol, fd, cancel, progress)
    except BaseException:
        os.close(fd)
        if new:
            try:
                os.unlink(local_path)
            except OSError:
                pass
        raise
    os.close(fd)
    return Transferred(name, size, sparse, new)


def _receive(conn: libvirt.virConnect, vol: libvirt.virStorageVol, fd: int, cancel: threading.Event,
             progress: Progress | None) -> tuple[int, bool]:
    # What a download streams: the file as it is on the host (for qcow2 that is the
    # file, not the virtual disk), whose size is the physical size libvirt reports.
    total = _physical_size(vol)
    meter = Meter(total, "Download", progress, cancel)
    stream = conn.newStream(0)
    sparse = True
    try:
        vol.download(stream, 0, 0, libvirt.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM)
    except libvirt.libvirtError as exc:
        if not _no_support(exc):
            raise
        sparse = False
        stream = conn.newStream(0)
        vol.download(stream, 0, 0, 0)

    def data(_stream, buf, _fd):
        meter.add(len(buf))
        return write_chunk(fd, buf)

    def hole(_stream, length, _fd):
        meter.add(length)
        os.ftruncate(fd, os.lseek(fd, length, os.SEEK_CUR))

    if sparse:
        transfer(stream, lambda: stream.sparseRecvAll(data, hole, fd))
    else:
        transfer(stream, lambda: stream.recvAll(data, fd))
    return meter.done, sparse


def _physical_size(vol: libvirt.virStorageVol) -> int:
    try:
        return vol.infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[1]
    except (libvirt.libvirtError, AttributeError):
        return vol.info()[1]


Abort = Callable[[object], None]


def canceller(cancel: threading.Event) -> Abort:
    """The JobScreen abort callable for a transfer: stops the stream at its next chunk."""
    return lambda _conn: cancel.set()
