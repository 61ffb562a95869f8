"""View 3: storage pools; `enter` lists a pool's volumes."""

from __future__ import annotations

from textual.binding import Binding

from ..backend.overcommit import provisioned_ratio
from ..calls import AnswersCalls
from ..render.columns import POOL_COLUMNS, pool_row
from .base import InventoryScreen
from .pool_actions import POOL_BINDINGS, PoolActions
from .volumes import VolumesScreen
from .xml_view import XmlScreen


class StorageScreen(AnswersCalls, PoolActions, InventoryScreen):
    VIEW = "storage"
    COLUMNS = POOL_COLUMNS
    WATCHES = frozenset({"pools", "hosts"})
    BINDINGS = [
        Binding("enter", "volumes", "Volumes", id="details"),
        Binding("x", "xml", "XML", id="xml"),
        *POOL_BINDINGS,
    ]

    def action_xml(self) -> None:
        pool = self.selected()
        if pool is not None:
            self.app.push_screen(XmlScreen(self.ctx, "pool", pool.conn_id, pool.uuid, pool.name))

    def entries(self) -> dict[str, object]:
        inventory = self.ctx.inventory
        result = {}
        for pool in inventory.pools.values():
            host = inventory.host_name(pool.conn_id)
            if self.matches(pool.name, host):
                result[self.row_key(pool.conn_id, pool.uuid)] = (pool, host, inventory.provisioned.get(pool.key))
        return result

    def render_row(self, key: str):
        inventory = self.ctx.inventory
        pool = inventory.pools[self.split_key(key)]
        return pool_row(pool, inventory.host_name(pool.conn_id), provisioned_ratio(inventory, pool.key),
                        self.ctx.settings.config.thresholds)

    def action_volumes(self) -> None:
        key = self.table.selected_key
        if key is None:
            return
        conn_id, uuid = self.split_key(key)
        if (conn_id, uuid) in self.ctx.inventory.pools:
            self.app.push_screen(VolumesScreen(self.ctx, conn_id, uuid))
