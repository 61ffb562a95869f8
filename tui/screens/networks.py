"""View 2: every virtual network of every connection."""

from __future__ import annotations

from textual.binding import Binding

from ..calls import AnswersCalls
from ..render.columns import NETWORK_COLUMNS, network_row
from .base import InventoryScreen
from .network_actions import NETWORK_BINDINGS, NetworkActions
from .xml_view import XmlScreen


class NetworksScreen(AnswersCalls, NetworkActions, InventoryScreen):
    VIEW = "networks"
    COLUMNS = NETWORK_COLUMNS
    WATCHES = frozenset({"networks", "hosts"})
    BINDINGS = [
        Binding("enter", "details", "Details", id="details"),
        Binding("x", "xml", "XML", id="xml"),
        *NETWORK_BINDINGS,
    ]

    def action_xml(self) -> None:
        net = self.selected()
        if net is not None:
            self.app.push_screen(XmlScreen(self.ctx, "network", net.conn_id, net.uuid, net.name))

    def entries(self) -> dict[str, object]:
        inventory = self.ctx.inventory
        result = {}
        for net in inventory.networks.values():
            host = inventory.host_name(net.conn_id)
            if self.matches(net.name, host):
                result[self.row_key(net.conn_id, net.uuid)] = (net, host)
        return result

    def render_row(self, key: str):
        net = self.ctx.inventory.networks[self.split_key(key)]
        return network_row(net, self.ctx.inventory.host_name(net.conn_id))
