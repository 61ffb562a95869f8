"""Reading and defining the XML of a guest, network or pool, for the XML view."""

from __future__ import annotations

from ..backend.ops import xml_edit
from ..backend.ops.xml_edit import EditProblem, EditScope, check_edit, unified_diff, with_reason, without_reason
from ..calls import Then
from .owner import OwnedActions

__all__ = ["EditProblem", "EditScope", "XmlActions", "check_edit", "unified_diff", "with_reason", "without_reason"]


class XmlActions(OwnedActions):
    def read(self, target, kind: str, conn_id: str, uuid: str, then: Then) -> None:
        """`then((xml, EditScope), error)`."""
        def read(conn) -> tuple[str, EditScope]:
            return xml_edit.read_xml(conn, kind, uuid), xml_edit.edit_scope(conn, kind, uuid)

        self._ask(target, conn_id, read, then, "read XML")

    def define(self, target, kind: str, conn_id: str, uuid: str, before: str, after: str, how: str | None,
               then: Then) -> None:
        """`then(what it did, error)`; refused if the object changed since `before` was read."""
        self._ask(target, conn_id, lambda conn: xml_edit.define_edit(conn, kind, uuid, before, after, how), then,
                  "define XML")
