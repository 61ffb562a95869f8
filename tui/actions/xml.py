"""Reading and defining the XML of a guest, network or pool, for the XML view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..backend.ops import xml_edit
from ..backend.ops.xml_edit import EditProblem, EditScope, check_edit, unified_diff, with_reason, without_reason
from ..calls import Then, ask

if TYPE_CHECKING:
    from ..app import VirtdeckApp

__all__ = ["EditProblem", "EditScope", "XmlActions", "check_edit", "unified_diff", "with_reason", "without_reason"]


class XmlActions:
    def __init__(self, app: VirtdeckApp) -> None:
        self.app = app

    def _connection(self, conn_id: str):
        return self.app.fleet.get(conn_id) if self.app.fleet else None

    def read(self, target, kind: str, conn_id: str, uuid: str, then: Then) -> None:
        """`then((xml, EditScope), error)`."""
        def read(conn) -> tuple[str, EditScope]:
            return xml_edit.read_xml(conn, kind, uuid), xml_edit.edit_scope(conn, kind, uuid)

        ask(target, self._connection(conn_id), read, then, "read XML")

    def define(self, target, kind: str, conn_id: str, uuid: str, before: str, after: str, how: str | None,
               then: Then) -> None:
        """`then(what it did, error)`; refused if the object changed since `before` was read."""
        ask(target, self._connection(conn_id),
            lambda conn: xml_edit.define_edit(conn, kind, uuid, before, after, how), then, "define XML")
