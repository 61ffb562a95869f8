"""View 5: what happened on every host, newest first."""

from __future__ import annotations

from ..render.columns import EVENT_COLUMNS, event_row
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
        inventory = self.ctx.inventory
        result = {}
        for seq, event in inventory.events:
            host = inventory.host_name(event.conn_id)
            if self.matches(host, event.kind, event.subject, event.detail):
                result[str(seq)] = seq
        return result

    def render_row(self, key: str):
        inventory = self.ctx.inventory
        seq = int(key)
        event = next(e for s, e in inventory.events if s == seq)
        return event_row(event, seq, inventory.host_name(event.conn_id))
