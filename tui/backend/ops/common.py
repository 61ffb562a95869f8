"""What the verbs share: the result of a create and its failed step, a definition
indented for the preview, whether a URI is this machine, looking up what a UUID
names, a free name beside the taken ones, and a stream moved in full or aborted.

Every function here runs on a connection's worker thread (or a thread of its own).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

import libvirt

# -- a create's result ----------------------------------------------------------


@dataclass(frozen=True)
class Created:
    name: str
    uuid: str
    xml: str  # as libvirt defined it
    differences: tuple[str, ...]  # what libvirt defined differently from what was asked
    update: object  # NetworkChanged / PoolChanged for the inventory


class StepFailed(libvirt.libvirtError):
    """A step of a create failed; whatever the earlier steps made was removed again
    (``left`` says what could not be). A libvirtError, so the connection's worker
    reports it as the libvirt failure it is."""

    def __init__(self, step: str, error: str, left: tuple[str, ...] = ()) -> None:
        self.step = step
        self.error = error
        self.left = left
        tail = "; left behind: " + "; ".join(left) if left else "; nothing was left behind"
        Exception.__init__(self, f"{step} failed: {error}{tail}")
        self.err = None

    def get_error_message(self) -> str:
        return str(self)


def pretty(xml: str) -> str:
    """The same document, indented for reading (what the preview shows and what is defined)."""
    root = ET.fromstring(xml)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def is_local(uri: str) -> bool:
    """A URI that reaches this machine's own libvirtd (whose routes and interfaces we can read)."""
    parts = urlsplit(uri)
    driver = parts.scheme.partition("+")[0]
    return driver not in ("test",) and not parts.hostname


# -- lookups --------------------------------------------------------------------


def domain_of(conn: libvirt.virConnect, uuid: str) -> libvirt.virDomain:
    return conn.lookupByUUIDString(uuid)


def network_of(conn: libvirt.virConnect, uuid: str) -> libvirt.virNetwork:
    return conn.networkLookupByUUIDString(uuid)


def pool_of(conn: libvirt.virConnect, pool_uuid: str) -> libvirt.virStoragePool:
    return conn.storagePoolLookupByUUIDString(pool_uuid)


def volume_of(conn: libvirt.virConnect, pool_uuid: str, name: str) -> libvirt.virStorageVol:
    return pool_of(conn, pool_uuid).storageVolLookupByName(name)


def inactive_xml(obj: libvirt.virDomain | libvirt.virNetwork | libvirt.virStoragePool, flag: int) -> str:
    """The definition (``flag``: the object's XML_INACTIVE flag); where the driver knows
    no such flag (the test driver's networks and pools) its XML is the definition."""
    try:
        return obj.XMLDesc(flag)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() not in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_INVALID_ARG):
            raise
        return obj.XMLDesc(0)


# -- names ----------------------------------------------------------------------


def free_name(stem: str, taken: Collection[str], ext: str = "", sep: str = "-") -> str:
    """``stem + ext`` unless taken, else the first free ``stem + sep + n + ext`` from n = 2."""
    candidate, n = f"{stem}{ext}", 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}{sep}{n}{ext}"
    return candidate


# -- streams --------------------------------------------------------------------


def transfer(stream: libvirt.virStream, move: Callable[[], object]) -> None:
    """Run ``move`` (a sendAll, recvAll, their sparse forms, or sends of its own) on the
    stream, then finish it; when anything fails the stream is aborted and the failure raised."""
    try:
        move()
        stream.finish()
    except BaseException:
        try:
            stream.abort()
        except libvirt.libvirtError:
            pass
        raise
