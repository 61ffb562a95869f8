"""The XML of a guest, network or pool: read its persistent definition, check an
edit (it parses, keeps name and UUID, changed something) and define it."""

from __future__ import annotations

import difflib
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import libvirt

KINDS = {"guest": "domain", "network": "network", "pool": "pool"}


def _lookup(conn: libvirt.virConnect, kind: str, uuid: str):
    if kind == "guest":
        return conn.lookupByUUIDString(uuid)
    if kind == "network":
        return conn.networkLookupByUUIDString(uuid)
    if kind == "pool":
        return conn.storagePoolLookupByUUIDString(uuid)
    raise ValueError(f"no XML for a {kind}")


def read_xml(conn: libvirt.virConnect, kind: str, uuid: str) -> str:
    """The persistent (inactive) definition: what an edit changes."""
    obj = _lookup(conn, kind, uuid)
    flag = {"guest": libvirt.VIR_DOMAIN_XML_INACTIVE, "network": libvirt.VIR_NETWORK_XML_INACTIVE,
            "pool": libvirt.VIR_STORAGE_XML_INACTIVE}[kind]
    try:
        return obj.XMLDesc(flag)
    except libvirt.libvirtError as exc:
        # Some drivers (the test driver's networks) know no INACTIVE flag: their XML is the definition.
        if exc.get_error_code() not in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_INVALID_ARG):
            raise
        return obj.XMLDesc(0)


def define_xml(conn: libvirt.virConnect, kind: str, xml: str) -> None:
    if kind == "network":
        conn.networkDefineXML(xml)
    elif kind == "pool":
        conn.storagePoolDefineXML(xml, 0)
    else:
        define_domain(conn, xml)


class ChangedMeanwhile(Exception):
    """The definition changed since it was read for the edit."""


def define_edit(conn: libvirt.virConnect, kind: str, uuid: str, before: str, after: str) -> None:
    """Define `after` unless the definition is no longer `before` (someone else changed it)."""
    if read_xml(conn, kind, uuid) != before:
        raise ChangedMeanwhile("the definition changed since it was shown: nothing defined; look again and re-edit")
    define_xml(conn, kind, after)


def define_domain(conn: libvirt.virConnect, xml: str) -> None:
    """Define with schema validation where the driver has it, else plainly."""
    flags = getattr(libvirt, "VIR_DOMAIN_DEFINE_VALIDATE", 0)
    if flags and hasattr(conn, "defineXMLFlags"):
        try:
            conn.defineXMLFlags(xml, flags)
            return
        except libvirt.libvirtError as exc:
            if exc.get_error_code() not in (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_INVALID_ARG):
                raise
    conn.defineXML(xml)


@dataclass(frozen=True)
class EditProblem:
    text: str
    line: int | None = None
    column: int | None = None


def _identity(root: ET.Element) -> tuple[str, str]:
    return (root.findtext("name") or ""), (root.findtext("uuid") or "").strip().lower()


def check_edit(kind: str, before: str, after: str) -> EditProblem | None:
    """None when `after` may be defined in place of `before`."""
    try:
        root = ET.fromstring(after)
    except ET.ParseError as exc:
        line, column = exc.position
        return EditProblem(f"the XML does not parse: {exc}", line, column + 1)
    expected = KINDS[kind]
    if root.tag != expected:
        return EditProblem(f"the root element must stay <{expected}>, not <{root.tag}>")
    old_name, old_uuid = _identity(ET.fromstring(before))
    new_name, new_uuid = _identity(root)
    if new_name != old_name:
        return EditProblem(f"the name changed ({old_name!r} to {new_name!r}): use rename, not an edit")
    if new_uuid != old_uuid:
        return EditProblem("the UUID changed: an edit keeps the UUID (use rename or clone)")
    return None


def unified_diff(before: str, after: str, label: str) -> str:
    return "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), f"{label} (defined)",
                                          f"{label} (edited)", lineterm=""))
