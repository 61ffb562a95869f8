"""View 5: what happened on every host, newest first: libvirt's events and the actions
virtdeck took (kind `virtdeck`, from its action log, earlier sessions' too); `a` shows only
those, `enter` on one shows its command."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable

from ..forms.dialog import CommandSheet
from ..render.columns import EVENT_COLUMNS, event_row
from ..render.rows import action_event
from ..widgets.says_why import SaysWhyDisabled
from .base import InventoryScreen

ACTION_KEY = "a"  # row keys of virtdeck's actions start with it


class EventsScreen(SaysWhyDisabled, InventoryScreen):
    VIEW = "events"
    COLUMNS = EVENT_COLUMNS
    WATCHES = frozenset({"events"})
    FILTER_HINT = "filter by host, object or text"
    BINDINGS = [
        Binding("a", "actions_only", "virtdeck's actions", id="events.actions"),
        Binding("enter", "command", "Command", id="events.command"),
    ]
    actions_only = False

    def on_mount(self) -> None:
        self.table.sort_column, self.table.sort_reverse = "time", True
        super().on_mount()

    def entries(self) -> dict[str, object]:
        inventory = self.ctx.inventory
        result: dict[str, object] = {}
        if not self.actions_only:
            for seq, event in inventory.events:
                host = inventory.host_name(event.conn_id)
                if self.matches(host, event.kind, event.subject, event.detail):
                    result[str(seq)] = seq
        for seq, record in inventory.actions:
            if self.matches(record.host, "virtdeck", record.kind, record.name, record.what, record.outcome,
                            record.command):
                result[f"{ACTION_KEY}{seq}"] = (seq, record.outcome)
        return result

    def render_row(self, key: str):
        inventory = self.ctx.inventory
        if key.startswith(ACTION_KEY):
            seq = int(key[1:])
            record = next(r for s, r in inventory.actions if s == seq)
            return event_row(action_event(record), seq, record.host)
        seq = int(key)
        event = next(e for s, e in inventory.events if s == seq)
        return event_row(event, seq, inventory.host_name(event.conn_id))

    def selected_action(self):
        key = self.table.selected_key
        if not key or not key.startswith(ACTION_KEY):
            return None
        seq = int(key[1:])
        return next((r for s, r in self.ctx.inventory.actions if s == seq), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "command":
            return True if self.selected_action() is not None else None
        return True

    def why_disabled(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        if action == "command" and self.selected_action() is None:
            return "enter shows the command of one of virtdeck's own actions (kind virtdeck)"
        return None

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def action_actions_only(self) -> None:
        self.actions_only = not self.actions_only
        self.notify("only virtdeck's actions" if self.actions_only else "every event", timeout=2)
        self.refresh_view()

    def action_command(self) -> None:
        record = self.selected_action()
        if record is None:
            return
        title = f"{record.what}, {record.kind} {record.name} on {record.host}"
        outcome = f"failed: {record.outcome}" if record.failed else record.outcome
        self.app.push_screen(CommandSheet(title, [], text=record.command, outcome=f"{record.uri}: {outcome}"))
