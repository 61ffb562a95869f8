"""View 4: every connection, its state and the host behind it."""

from __future__ import annotations

from textual.binding import Binding

from ..backend import commands
from ..backend.model import ConnState
from ..backend.overcommit import host_load
from ..forms.add_connection import AddConnectionScreen, NewConnection
from ..forms.confirm import ConfirmScreen
from ..render.host_sheet import host_sheet
from ..render.columns import HOST_COLUMNS, host_row
from ..render.rows import host_state_text
from .base import InventoryScreen
from .details import DetailsScreen


class HostsScreen(InventoryScreen):
    VIEW = "hosts"
    COLUMNS = HOST_COLUMNS
    WATCHES = frozenset({"hosts", "guests", "stats"})
    FILTER_HINT = "filter by name or URI"
    BINDINGS = [
        Binding("enter", "details", "Details", id="details"),
        Binding("n", "add_connection", "Add connection", id="new"),
        Binding("r", "reconnect", "Reconnect", id="host.reconnect"),
        Binding("D", "remove_connection", "Remove", id="delete"),
    ]

    def on_mount(self) -> None:
        super().on_mount()
        self.ctx.actions.hosts.sample_hosts(True)
        # Retry countdowns and "not responding" ages tick without any event.
        self.set_interval(1.0, self._tick)
        self.set_interval(30.0, self._read_facts)
        self.ctx.read_host_facts()

    def _read_facts(self) -> None:
        if self.is_current:
            self.ctx.read_host_facts()

    def _tick(self) -> None:
        if self.is_current:
            self.ctx.read_host_facts(missing_only=True)
        if self.is_current and any(h.state != ConnState.CONNECTED or h.unresponsive_since for h in self.ctx.inventory.hosts.values()):
            self.refresh_view()

    def entries(self) -> dict[str, object]:
        inventory = self.ctx.inventory
        result = {}
        self._loads = {}
        for host in inventory.hosts.values():
            if self.matches(host.name, host.uri, host.hostname):
                load = self._loads[host.conn_id] = host_load(inventory, host.conn_id)
                result[host.conn_id] = (host, load, host_state_text(host), inventory.host_stats.get(host.conn_id),
                                        self.ctx.stats_paused)
        return result

    def render_row(self, key: str):
        inventory = self.ctx.inventory
        load = self._loads.get(key) or host_load(inventory, key)
        return host_row(inventory.hosts[key], load, stats=inventory.host_stats.get(key),
                        thresholds=self.ctx.settings.config.thresholds, paused=self.ctx.stats_paused)

    def guests_shown(self) -> dict[str, frozenset[str]] | None:
        return None  # each host's load is its guests' figures

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.ctx.actions.hosts.sample_hosts(True)

    def on_screen_suspend(self) -> None:
        if not isinstance(self.app.screen, HostSheet):
            self.ctx.actions.hosts.sample_hosts(False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reconnect", "remove_connection", "details"):
            return True if self.table.selected_key is not None else None
        return True

    def on_data_table_row_highlighted(self) -> None:
        self.refresh_bindings()

    def action_details(self) -> None:
        key = self.table.selected_key
        host = self.ctx.inventory.hosts.get(key) if key else None
        if host is None:
            return

        def facts():
            if key not in self.ctx.inventory.hosts:
                return None
            return host_sheet(self.ctx.inventory, key, self.ctx.settings.config.thresholds,
                              shell=self.ctx.shell_facts.get(key))

        self.app.push_screen(HostSheet(f"host {host.name}", facts(), facts, watches=self.WATCHES | {"pools"}))

    def action_add_connection(self) -> None:
        def added(result: NewConnection | None) -> None:
            if result is not None:
                self.ctx.add_connection(result)

        self.app.push_screen(AddConnectionScreen().describing(lambda new: commands.connect(new.uri)), added)

    def action_reconnect(self) -> None:
        key = self.table.selected_key
        if key is not None:
            self.ctx.actions.hosts.reconnect(key)

    def action_remove_connection(self) -> None:
        key = self.table.selected_key
        host = self.ctx.inventory.hosts.get(key) if key else None
        if host is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.ctx.remove_connection(host.conn_id)

        self.app.push_screen(ConfirmScreen(f"Remove the connection {host.name} ({host.uri})?").describing(
            lambda: [commands.no_equivalent("virConnectClose", "and takes the host out of its config file")]),
            confirmed)


class HostSheet(DetailsScreen):
    """A host's facts, kept current: the Hosts view keeps its figures sampled under it."""
