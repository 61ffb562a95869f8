"""View 1: every guest of every connection."""

from __future__ import annotations

import humanize
from textual.binding import Binding

from ..render.rows import GUEST_COLUMNS, guest_row, guest_state
from .base import InventoryScreen
from .details import DetailsScreen


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
        if key is None:
            return
        guest = self.vd.inventory.guests.get(self.split_key(key))
        if guest is None:
            return
        size = lambda kib: humanize.naturalsize(kib * 1024, binary=True)  # noqa: E731
        self.app.push_screen(
            DetailsScreen(
                f"guest {guest.name}",
                [
                    ("Name", guest.name),
                    ("Host", self.vd.inventory.host_name(guest.conn_id)),
                    ("State", guest_state(guest).plain),
                    ("Reason", guest.reason),
                    ("ID", str(guest.id) if guest.id is not None else None),
                    ("UUID", guest.uuid),
                    ("vCPUs", str(guest.vcpus)),
                    ("Memory", f"{size(guest.memory_kib)} of {size(guest.max_memory_kib)} max"),
                    ("Autostart", "yes" if guest.autostart else "no"),
                    ("Persistent", "yes" if guest.persistent else "no (transient)"),
                    ("Managed save", "yes" if guest.managed_save else "no"),
                ],
            )
        )
