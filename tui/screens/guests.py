"""View 1: every guest of every connection."""

from __future__ import annotations

from textual.binding import Binding

from ..render.rows import GUEST_COLUMNS, guest_row
from .base import InventoryScreen
from .guest_detail import GuestDetailScreen


class GuestsScreen(InventoryScreen):
    VIEW = "guests"
    COLUMNS = GUEST_COLUMNS
    WATCHES = frozenset({"guests", "hosts", "stats"})
    BINDINGS = [Binding("enter", "details", "Details", id="details")]

    def entries(self) -> dict[str, object]:
        inventory = self.vd.inventory
        result = {}
        stats = inventory.stats
        for key, guest in inventory.guests.items():
            host = inventory.host_name(guest.conn_id)
            if self.matches(guest.name, host):
                result[self.row_key(*key)] = (guest, host, stats.get(key), inventory.addresses(*key))
        return result

    def render_row(self, key: str):
        inventory = self.vd.inventory
        pair = self.split_key(key)
        guest = inventory.guests[pair]
        return guest_row(guest, inventory.host_name(guest.conn_id), inventory.stats.get(pair), inventory.addresses(*pair))

    def action_details(self) -> None:
        key = self.table.selected_key
        if key is None or self.split_key(key) not in self.vd.inventory.guests:
            return
        self.app.push_screen(GuestDetailScreen(*self.split_key(key)))
