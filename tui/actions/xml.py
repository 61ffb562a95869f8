"""Reading and defining the XML of a guest, network or pool, for the XML view."""

from __future__ import annotations

from ..backend import commands
from ..backend.commands import CommandLine
from ..backend.ops import xml_edit
from ..backend.ops.xml_edit import EditProblem, EditScope, check_edit, unified_diff, with_reason, without_reason
from ..calls import Then
from .owner import OwnedActions
from .recorder import Did

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
                  "define XML", did=Did(kind, self.object_name(kind, conn_id, uuid), "define edited XML",
                                        tuple(self.define_commands(kind, conn_id))))

    def object_name(self, kind: str, conn_id: str, uuid: str) -> str:
        return self.name_of({"guest": "guests", "network": "networks", "pool": "pools"}.get(kind, "guests"),
                            conn_id, uuid)

    def define_commands(self, kind: str, conn_id: str) -> list[CommandLine]:
        return commands.define_xml(self.uri(conn_id), kind if kind in ("guest", "network", "pool") else "guest")
