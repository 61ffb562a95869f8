"""The XML of a guest, network or pool: read its persistent definition, check an
edit (it parses, keeps name and UUID, changed something) and define it.

A guest's definition is read with its secrets (graphics and disk passwords), or
defining an edit would drop them. A transient guest has no persistent definition:
its edit either defines it persistent or restarts it from the edit, as the user
chooses (`edit_scope` says which applies and in what words).
"""

from __future__ import annotations

import difflib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import libvirt

from .common import domain_of, inactive_xml, network_of, pool_of

KINDS = {"guest": "domain", "network": "network", "pool": "pool"}


def _lookup(conn: libvirt.virConnect, kind: str, uuid: str):
    if kind == "guest":
        return domain_of(conn, uuid)
    if kind == "network":
        return network_of(conn, uuid)
    if kind == "pool":
        return pool_of(conn, uuid)
    raise ValueError(f"no XML for a {kind}")


def read_xml(conn: libvirt.virConnect, kind: str, uuid: str) -> str:
    """The persistent (inactive) definition: what an edit changes. A guest's comes with its
    secrets where the connection may read them."""
    obj = _lookup(conn, kind, uuid)
    flag = {"guest": libvirt.VIR_DOMAIN_XML_INACTIVE, "network": libvirt.VIR_NETWORK_XML_INACTIVE,
            "pool": libvirt.VIR_STORAGE_XML_INACTIVE}[kind]
    if kind == "guest":
        try:
            return obj.XMLDesc(flag | libvirt.VIR_DOMAIN_XML_SECURE)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() not in (libvirt.VIR_ERR_OPERATION_DENIED, libvirt.VIR_ERR_ACCESS_DENIED):
                raise
    return inactive_xml(obj, flag)


def define_xml(conn: libvirt.virConnect, kind: str, xml: str) -> None:
    if kind == "network":
        conn.networkDefineXML(xml)
    elif kind == "pool":
        conn.storagePoolDefineXML(xml, 0)
    else:
        define_domain(conn, xml)


class ChangedMeanwhile(ValueError):
    """The definition changed since it was read for the edit."""


class TransientEdit(ValueError):
    """A transient guest's edit needs the user's choice: define it persistent, or restart it."""


PERSIST = "persist"  # a transient guest: define it persistent with the edit
RESTART = "restart"  # a transient guest: force it off and start it from the edit; it stays transient


@dataclass(frozen=True)
class EditScope:
    """What an edit of this object changes, in words for the XML view's header and question."""

    kind: str
    persistent: bool
    active: bool

    @property
    def transient(self) -> bool:
        return self.kind == "guest" and not self.persistent

    @property
    def header(self) -> str:
        if self.transient:
            return "transient guest: its running definition (it has no persistent one)"
        if self.kind == "guest" and self.active:
            return "persistent definition (an edit applies from the next start)"
        return "persistent definition"

    @property
    def choices(self) -> tuple[tuple[str, str, str], ...]:
        """(key, how, what it does) for the question after a transient guest's edit; empty otherwise."""
        if not self.transient:
            return ()
        return (
            ("p", PERSIST, "define it persistent with this XML: the running guest is unchanged until it next "
                           "starts, and it stays defined when it stops"),
            ("r", RESTART, "restart it from this XML: it is forced off (no shutdown) and started again from "
                           "the edit; it stays transient"),
        )


def edit_scope(conn: libvirt.virConnect, kind: str, uuid: str) -> EditScope:
    obj = _lookup(conn, kind, uuid)
    return EditScope(kind, bool(obj.isPersistent()), bool(obj.isActive()))


def define_edit(conn: libvirt.virConnect, kind: str, uuid: str, before: str, after: str,
                how: str | None = None) -> str:
    """Define `after` unless the definition is no longer `before` (someone else changed it).
    A transient guest needs `how` (PERSIST or RESTART); without it nothing happens and
    TransientEdit says why. Returns what was done, in words."""
    scope = edit_scope(conn, kind, uuid)
    if scope.transient and how not in (PERSIST, RESTART):
        raise TransientEdit(
            "this guest is transient: an edit either defines it persistent (the running guest is unchanged "
            "until it next starts) or restarts it from the edit (forced off, it stays transient); "
            "nothing was defined")
    if read_xml(conn, kind, uuid) != before:
        raise ChangedMeanwhile("the definition changed since it was shown: nothing defined; look again and re-edit")
    if scope.transient and how == RESTART:
        return restart_from(conn, uuid, before, after)
    define_xml(conn, kind, after)
    if scope.transient:
        return "defined persistent; the running guest is unchanged until it next starts"
    if kind == "guest" and scope.active:
        return "new definition saved; it applies from the next start"
    return "new definition saved"


def restart_from(conn: libvirt.virConnect, uuid: str, before: str, after: str) -> str:
    """Force the transient guest off and start it from `after`; when libvirt refuses that,
    start it again from `before` and say both."""
    dom = conn.lookupByUUIDString(uuid)
    if dom.isPersistent():
        raise ValueError("this guest is persistent: its edit is defined, not restarted")
    dom.destroy()
    try:
        conn.createXML(after, getattr(libvirt, "VIR_DOMAIN_START_VALIDATE", 0))
    except libvirt.libvirtError as exc:
        refusal = exc.get_error_message() or str(exc)
        try:
            conn.createXML(before, 0)
            back = "it was started again as it was"
        except libvirt.libvirtError as again:
            back = f"and it could not be started again as it was: {again.get_error_message() or again}"
        raise RuntimeError(f"libvirt refused the edit: {refusal}; {back}") from exc
    return "restarted from the edit; it stays transient"


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
        # expat's text ends in its own 0-based ", line L, column C": the position is said once, 1-based.
        what = re.sub(r":? line \d+, column \d+$", "", str(exc))
        return EditProblem(f"the XML does not parse: {what}", line, column + 1)
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


# -- the reason, given back to the editor ------------------------------------

REASON_MARK = "<!-- virtdeck: "
_REASON = re.compile(re.escape(REASON_MARK) + r".*?-->\n?", re.S)


def with_reason(text: str, reason: str) -> str:
    """`text` to edit again, with why it was refused as one comment line on top."""
    line = " ".join(reason.split()).replace("--", "- -")
    return f"{REASON_MARK}not defined: {line} (this line is dropped before defining) -->\n{text}"


def without_reason(text: str) -> tuple[str, int]:
    """`text` without the reason line on top, and how many lines that took."""
    match = _REASON.match(text)
    if match is None:
        return text, 0
    return text[match.end():], match.group().count("\n")

