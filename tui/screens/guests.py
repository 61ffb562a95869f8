"""View 1: every guest of every connection."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable

from .. import guest_actions
from ..backend.connection import error_text
from ..backend.ops import guests as ops
from ..forms.confirm import ConfirmScreen
from ..forms.delete_guest import DeleteGuestScreen, DeleteRequest
from ..messages import DisksListed, GuestDeleted
from ..render.rows import GUEST_COLUMNS, guest_live_cells, guest_static_cells, merge_guest_cells
from ..widgets.console_pane import CONSOLE_BINDINGS, CONSOLE_STATES, ConsoleDeck
from ..widgets.inventory_table import InventoryTable
from .base import InventoryScreen
from .guest_detail import GuestDetailScreen


class GuestsScreen(InventoryScreen):
    VIEW = "guests"
    COLUMNS = GUEST_COLUMNS
    WATCHES = frozenset({"guests", "hosts", "stats"})
    BINDINGS = [
        Binding("enter", "details", "Details", id="details"),
        *CONSOLE_BINDINGS,
        Binding("s", "lifecycle('start')", "Start", id="guest.start"),
        Binding("d", "lifecycle('shutdown')", "Shut down", id="guest.shutdown"),
        Binding("r", "lifecycle('reboot')", "Reboot", id="guest.reboot"),
        Binding("F", "force_off", "Force off", id="guest.force_off"),
        Binding("p", "pause_resume", "Pause/resume", id="guest.pause"),
        Binding("m", "lifecycle('managed_save')", "Save", id="guest.save"),
        Binding("a", "autostart", "Autostart", id="guest.autostart"),
        Binding("D", "delete", "Delete", id="delete"),
        Binding("space", "mark", "Mark", id="mark"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._static: dict[str, tuple] = {}
        self.marked: set[str] = set()

    def entries(self) -> dict[str, object]:
        inventory = self.vd.inventory
        result = {}
        stats = inventory.stats
        for key, guest in inventory.guests.items():
            host = inventory.host_name(guest.conn_id)
            if self.matches(guest.name, host):
                row = self.row_key(*key)
                result[row] = (guest, host, stats.get(key), inventory.addresses(*key), row in self.marked)
        return result

    def render_row(self, key: str):
        # A stats tick changes four cells of a row: the other seven are kept
        # per row and rebuilt only when the guest, its host name or IPs change.
        inventory = self.vd.inventory
        pair = self.split_key(key)
        guest = inventory.guests[pair]
        static_token = (guest, inventory.host_name(guest.conn_id), inventory.addresses(*pair), key in self.marked)
        cached = self._static.get(key)
        if cached is None or cached[0] != static_token:
            cached = self._static[key] = (static_token, guest_static_cells(*static_token))
        return merge_guest_cells(cached[1], guest_live_cells(guest, inventory.stats.get(pair)))

    def forget_static_cells(self) -> None:
        if len(self._static) > 2 * max(len(self.vd.inventory.guests), 64):
            self._static = {k: v for k, v in self._static.items() if self.split_key(k) in self.vd.inventory.guests}

    def action_details(self) -> None:
        key = self.table.selected_key
        if key is None or self.split_key(key) not in self.vd.inventory.guests:
            return
        self.app.push_screen(GuestDetailScreen(*self.split_key(key)))

    # -- serial consoles (issue 5): tabs beside the guest list ---------------

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, InventoryTable):
                widget = Horizontal(widget, ConsoleDeck(id="consoles"), id="guests-body")
            yield widget

    @property
    def consoles(self) -> ConsoleDeck:
        return self.query_one(ConsoleDeck)

    def refresh_view(self, kinds: frozenset[str] | None = None) -> None:
        super().refresh_view(kinds)
        self.forget_static_cells()
        if kinds is None or kinds & {"guests", "hosts"}:
            self.consoles.follow(self.vd.inventory)
            self.refresh_bindings()

    def console_target(self):
        """The selected guest, if its console can be opened."""
        key = self.table.selected_key
        guest = self.vd.inventory.guests.get(self.split_key(key)) if key else None
        host = self.vd.inventory.hosts.get(guest.conn_id) if guest else None
        if guest is None or guest.state not in CONSOLE_STATES or host is None or host.read_only:
            return None
        return guest

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "console":
            return self.console_target() is not None
        if action == "delete":
            guest = self._selected_guest()
            return True if guest is not None and not self._read_only(guest) else None
        verbs = {
            "lifecycle": parameters[:1],
            "force_off": ("force_off",),
            "pause_resume": ("pause", "resume"),
            "autostart": ("autostart_on", "autostart_off"),
        }.get(action)
        if verbs is not None:
            # Dimmed in the footer unless it applies to one of the guests it would act on.
            targets = [g for g in self.targets() if not self._read_only(g)]
            return True if any(ops.why_not(v, g) is None for v in verbs for g in targets) else None
        return super().check_action(action, parameters)

    # -- lifecycle on the selected guest or every marked one -----------------

    def targets(self) -> list:
        inventory = self.vd.inventory
        keys = [k for k in self.marked if self.split_key(k) in inventory.guests] or (
            [self.table.selected_key] if self.table.selected_key else [])
        return [inventory.guests[self.split_key(k)] for k in keys if self.split_key(k) in inventory.guests]

    def _read_only(self, guest) -> bool:
        host = self.vd.inventory.hosts.get(guest.conn_id)
        return host is None or host.read_only

    def action_lifecycle(self, verb: str) -> None:
        guest_actions.launch(self.vd, verb, self.targets())

    def action_pause_resume(self) -> None:
        targets = self.targets()
        verb = "resume" if targets and all(g.state == "paused" for g in targets) else "pause"
        guest_actions.launch(self.vd, verb, targets)

    def action_autostart(self) -> None:
        targets = self.targets()
        verb = "autostart_off" if targets and all(g.autostart for g in targets) else "autostart_on"
        guest_actions.launch(self.vd, verb, targets)

    def action_force_off(self) -> None:
        targets = [g for g in self.targets() if ops.why_not("force_off", g) is None]
        if not targets:
            return
        names = ", ".join(g.name for g in targets)

        def answered(yes: bool | None) -> None:
            if yes:
                guest_actions.launch(self.vd, "force_off", targets)

        self.app.push_screen(ConfirmScreen(f"Force off {names}? Like pulling the power cord: unsaved data is lost."),
                             answered)

    def _selected_guest(self):
        key = self.table.selected_key
        return self.vd.inventory.guests.get(self.split_key(key)) if key else None

    def action_delete(self) -> None:
        """One guest at a time: deleting storage asks for the guest's name."""
        guest = self._selected_guest()
        connection = self.vd.fleet.get(guest.conn_id) if guest is not None else None
        if guest is None or connection is None:
            return
        host = self.vd.inventory.host_name(guest.conn_id)

        def listed(disks, error) -> None:  # on the worker: hand over, never wait on the UI
            self.post_message(DisksListed(guest, host, disks, None if error is None else error_text(error)))

        connection.call(lambda conn: ops.deletable_disks(conn, guest.uuid), listed, action="list disks")

    def on_disks_listed(self, message: DisksListed) -> None:
        guest, connection = message.guest, self.vd.fleet.get(message.guest.conn_id)
        if message.error is not None or connection is None:
            self.notify(f"{guest.name}: {message.error or 'not connected'}", severity="error", markup=False)
            return

        def answered(request: DeleteRequest | None) -> None:
            if request is None:
                return

            def done(problems, error) -> None:  # on the worker
                self.app.post_message(GuestDeleted(guest.name, request.volumes, problems or [],
                                                   None if error is None else error_text(error)))

            connection.call(lambda conn: ops.delete(conn, guest.uuid, request.volumes), done, action="delete")

        self.app.push_screen(DeleteGuestScreen(guest, message.host, message.disks), answered)

    def action_mark(self) -> None:
        key = self.table.selected_key
        if key is None:
            return
        self.marked ^= {key}
        self.refresh_view(frozenset({"guests"}))
        self.refresh_bindings()
        if self.table.cursor_row < self.table.row_count - 1:
            self.table.move_cursor(row=self.table.cursor_row + 1)

    @on(DataTable.RowHighlighted)
    def _console_key_follows_cursor(self) -> None:
        self.refresh_bindings()

    async def action_console(self) -> None:
        guest = self.console_target()
        if guest is not None:
            await self.consoles.open_console(guest.conn_id, guest.uuid, guest.name,
                                             self.vd.inventory.host_name(guest.conn_id))
