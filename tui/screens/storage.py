"""View 3: storage pools; `enter` lists a pool's volumes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..backend.overcommit import provisioned_ratio
from ..render.rows import POOL_COLUMNS, VOLUME_COLUMNS, pool_row, volume_row
from ..widgets.inventory_table import InventoryTable
from ..widgets.status_bar import StatusBar
from .base import InventoryScreen
from .xml_view import XmlScreen


class StorageScreen(InventoryScreen):
    VIEW = "storage"
    COLUMNS = POOL_COLUMNS
    WATCHES = frozenset({"pools", "hosts"})
    BINDINGS = [
        Binding("enter", "volumes", "Volumes", id="details"),
        Binding("x", "xml", "XML", id="xml"),
    ]

    def action_xml(self) -> None:
        key = self.table.selected_key
        pool = self.vd.inventory.pools.get(self.split_key(key)) if key else None
        if pool is not None:
            self.app.push_screen(XmlScreen("pool", pool.conn_id, pool.uuid, pool.name))

    def entries(self) -> dict[str, object]:
        inventory = self.vd.inventory
        result = {}
        for pool in inventory.pools.values():
            host = inventory.host_name(pool.conn_id)
            if self.matches(pool.name, host):
                result[self.row_key(pool.conn_id, pool.uuid)] = (pool, host, inventory.provisioned.get(pool.key))
        return result

    def render_row(self, key: str):
        inventory = self.vd.inventory
        pool = inventory.pools[self.split_key(key)]
        return pool_row(pool, inventory.host_name(pool.conn_id), provisioned_ratio(inventory, pool.key),
                        self.vd.settings.config.thresholds)

    def action_volumes(self) -> None:
        key = self.table.selected_key
        if key is None:
            return
        conn_id, uuid = self.split_key(key)
        if (conn_id, uuid) in self.vd.inventory.pools:
            self.app.push_screen(VolumesScreen(conn_id, uuid))


class VolumesScreen(Screen):
    """The volumes of one pool."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
    ]
    WATCHES = frozenset({"volumes", "pools"})

    def __init__(self, conn_id: str, pool_uuid: str) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.pool_uuid = pool_uuid

    def compose(self) -> ComposeResult:
        yield StatusBar("storage")
        yield Static(id="pool-title")
        yield InventoryTable(VOLUME_COLUMNS, id="table")
        yield Footer()

    @property
    def table(self) -> InventoryTable:
        return self.query_one(InventoryTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.app.fleet.list_volumes(self.conn_id, self.pool_uuid)
        self.refresh_view()

    def refresh_view(self, kinds: frozenset[str] | None = None) -> None:
        inventory = self.app.inventory
        pool = inventory.pools.get((self.conn_id, self.pool_uuid))
        if kinds and "pools" in kinds and pool is not None and "volumes" not in kinds:
            self.app.fleet.list_volumes(self.conn_id, self.pool_uuid)
        self.query_one(StatusBar).show(inventory, self.app.settings.read_only)
        title = self.query_one("#pool-title", Static)
        volumes = inventory.volumes.get((self.conn_id, self.pool_uuid))
        if pool is None:
            title.update("This pool is gone.")
        else:
            from rich.text import Text

            line = Text(f" Pool {pool.name} on {inventory.host_name(self.conn_id)}", style="bold")
            state = "loading…" if volumes is None else f"{len(volumes)} volumes"
            if pool.state != "active":
                state = "inactive: start the pool to list its volumes"
            line.append(f"  {pool.target_path or ''}  {state}", style="dim")
            title.update(line)
        by_key = {vol.key: vol for vol in volumes or ()}
        with self.app.batch_update():
            self.table.sync({key: vol for key, vol in by_key.items()}, lambda key: volume_row(by_key[key]))

    def action_back(self) -> None:
        self.app.pop_screen()
