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
                  "define XML", did=Did(kind, self.object_name(kind, conn_id, uuid),
                                        "restart from edited XML" if how == xml_edit.RESTART else "define edited XML",
                                        tuple(self.define_commands(kind, conn_id, uuid, how))))

    def object_name(self, kind: str, conn_id: str, uuid: str) -> str:
        return self.name_of({"guest": "guests", "network": "networks", "pool": "pools"}.get(kind, "guests"),
                            conn_id, uuid)

    def define_commands(self, kind: str, conn_id: str, uuid: str = "", how: str | None = None) -> list[CommandLine]:
        """Defining the edit (`how` RESTART: a transient guest forced off and started from it)."""
        uri = self.uri(conn_id)
        if how == xml_edit.RESTART:
            return [commands.virsh(uri, "destroy", self.object_name(kind, conn_id, uuid)),
                    commands.virsh(uri, "create", "guest.xml", note="guest.xml: the XML as edited")]
        return commands.define_xml(uri, kind if kind in ("guest", "network", "pool") else "guest")

    def transient_commands(self, conn_id: str, uuid: str) -> list[CommandLine]:
        """A transient guest's edit, either way (`p` defines, `r` restarts)."""
        persist, restart = (self.define_commands("guest", conn_id, uuid, how)
                            for how in (xml_edit.PERSIST, xml_edit.RESTART))
        return [commands.CommandLine((), "p:"), *persist, commands.CommandLine((), "r:"), *restart]
