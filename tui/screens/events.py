"""View 5: what happened on every host, newest first."""

from __future__ import annotations

import time

from ..render.cells import Cell
from ..render.rows import EVENT_COLUMNS
from .base import InventoryScreen


class EventsScreen(InventoryScreen):
    VIEW = "events"
    COLUMNS = EVENT_COLUMNS
    WATCHES = frozenset({"events"})
    FILTER_HINT = "filter by host, object or text"

    def on_mount(self) -> None:
        self.table.sort_column, self.table.sort_reverse = "time", True
        super().on_mount()

    def entries(self) -> dict[str, object]:
        inventory = self.vd.inventory
        result = {}
        for seq, event in inventory.events:
            host = inventory.host_name(event.conn_id)
            if self.matches(host, event.kind, event.subject, event.detail):
                result[str(seq)] = seq
        return result

    def render_row(self, key: str):
        inventory = self.vd.inventory
        seq = int(key)
        event = next(e for s, e in inventory.events if s == seq)
        stamp = time.strftime("%H:%M:%S", time.localtime(event.at))
        style = "bold red" if event.kind == "error" or "crash" in event.detail or "lost" in event.detail else ""
        return (
            Cell(stamp, sort_key=(event.at, seq)),
            Cell(inventory.host_name(event.conn_id)),
            Cell(event.kind),
            Cell(event.subject),
            Cell(event.detail, style=style),
        )
