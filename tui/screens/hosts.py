"""View 4: every connection, its state and the host behind it."""

from __future__ import annotations

from collections import Counter

import humanize
from textual.binding import Binding

from ..backend.model import ConnState
from ..forms.add_connection import AddConnectionScreen, NewConnection
from ..forms.confirm import ConfirmScreen
from ..render.rows import HOST_COLUMNS, host_row, host_state_text
from .base import InventoryScreen
from .details import DetailsScreen


class HostsScreen(InventoryScreen):
    VIEW = "hosts"
    COLUMNS = HOST_COLUMNS
    WATCHES = frozenset({"hosts", "guests"})
    FILTER_HINT = "filter by name or URI"
    BINDINGS = [
        Binding("enter", "details", "Details", id="details"),
        Binding("n", "add_connection", "Add connection", id="new"),
        Binding("r", "reconnect", "Reconnect", id="host.reconnect"),
        Binding("D", "remove_connection", "Remove", id="delete"),
    ]

    def on_mount(self) -> None:
        super().on_mount()
        # Retry countdowns and "not responding" ages tick without any event.
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.is_current and any(h.state != ConnState.CONNECTED or h.unresponsive_since for h in self.vd.inventory.hosts.values()):
            self.refresh_view()

    def entries(self) -> dict[str, object]:
        inventory = self.vd.inventory
        counts = Counter(guest.conn_id for guest in inventory.guests.values())
        result = {}
        for host in inventory.hosts.values():
            if self.matches(host.name, host.uri, host.hostname):
                result[host.conn_id] = (host, counts[host.conn_id], host_state_text(host))
        return result

    def render_row(self, key: str):
        inventory = self.vd.inventory
        count = sum(1 for guest in inventory.guests.values() if guest.conn_id == key)
        return host_row(inventory.hosts[key], count)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reconnect", "remove_connection", "details"):
            return True if self.table.selected_key is not None else None
        return True

    def on_data_table_row_highlighted(self) -> None:
        self.refresh_bindings()

    def action_details(self) -> None:
        key = self.table.selected_key
        host = self.vd.inventory.hosts.get(key) if key else None
        if host is None:
            return
        memory = humanize.naturalsize(host.memory_kib * 1024, binary=True) if host.memory_kib else None
        self.app.push_screen(
            DetailsScreen(
                f"host {host.name}",
                [
                    ("Name", host.name),
                    ("URI", host.uri),
                    ("State", host.state.value),
                    ("Last error", host.last_error),
                    ("Attempts", str(host.attempts) if host.attempts else None),
                    ("Read-only", "yes" if host.read_only else "no"),
                    ("Demo host", "yes: libvirt's test driver, nothing here is a real machine" if host.demo else "no"),
                    ("Hostname", host.hostname),
                    ("Hypervisor", f"{host.hypervisor or ''} {host.hypervisor_version or ''}".strip()),
                    ("libvirt", host.libvirt_version),
                    ("Architecture", host.arch),
                    ("CPU model", host.cpu_model),
                    ("CPUs", str(host.cpus) if host.cpus else None),
                    ("Memory", memory),
                ],
            )
        )

    def action_add_connection(self) -> None:
        def added(result: NewConnection | None) -> None:
            if result is not None:
                self.vd.add_connection(result)

        self.app.push_screen(AddConnectionScreen(), added)

    def action_reconnect(self) -> None:
        key = self.table.selected_key
        if key is not None:
            self.vd.fleet.reconnect(key)

    def action_remove_connection(self) -> None:
        key = self.table.selected_key
        host = self.vd.inventory.hosts.get(key) if key else None
        if host is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.vd.remove_connection(host.conn_id)

        self.app.push_screen(ConfirmScreen(f"Remove the connection {host.name} ({host.uri})?"), confirmed)
