"""What every main view shares: status line, filter, keyed table, footer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from ..backend.inventory import Inventory
from ..backend.model import ConnState
from ..render.cells import Cell
from ..render.columns import Column
from ..widgets.footer import KeyFooter
from ..widgets.inventory_table import InventoryTable
from ..widgets.status_bar import StatusBar
from .context import ScreenContext

# What a view with no rows says about the hosts that are connected: (what is
# missing, how to make one, whether to mention the demo host). How to make one
# is said only where some connected host can take it.
EMPTY_VIEWS = {
    "guests": ("No guests on {hosts}.", "n creates one", True),
    "networks": ("No virtual networks on {hosts}.", "n creates one", False),
    "storage": ("No storage pools on {hosts}.", "n creates one", False),
    "events": ("Nothing has happened on {hosts} yet: guest, network and pool events show up here.", "", False),
    "triage": ("No problems found on {hosts}.", "", False),
}


def _names(names: list[str], most: int = 3) -> str:
    shown = ", ".join(names[:most])
    return f"{shown} and {len(names) - most} more" if len(names) > most else shown


def empty_view_text(view: str, inventory: Inventory, filter_text: str = "") -> Text:
    """Why a view shows no rows, and what to do about it. Names are data, never markup."""
    if filter_text:
        return Text.assemble("Nothing matches '", (filter_text, "bold"), "' (escape clears the filter)")
    hosts = list(inventory.hosts.values())
    demo = any(host.demo for host in hosts)
    add = "n adds one" if view == "hosts" else "4 then n adds one"
    if not hosts:
        return Text(f"No host connected. {add}" + ("" if demo else "; --demo shows the demo host") + ".")
    connected = [host for host in hosts if host.state == ConnState.CONNECTED]
    if not connected:
        if any(host.state == ConnState.CONNECTING for host in hosts):
            return Text(f"Connecting to {_names([host.name for host in hosts])}…")
        states = [f"{host.name}: {host.state.value}" + (f" ({host.last_error})" if host.last_error else "")
                  for host in hosts]
        return Text(f"No host connected ({_names(states, 2)}). 4 shows the hosts; n there adds one.")
    said, create, demo_hint = EMPTY_VIEWS.get(view, ("Nothing on {hosts}.", "", False))
    hints = []
    if create and any(not host.read_only for host in connected):
        hints.append(create)
    if demo_hint and not demo:
        hints.append("--demo shows the demo host")
    line = said.format(hosts=_names([host.name for host in connected]))
    return Text(line + (f" {'; '.join(hints)}." if hints else ""))


class InventoryScreen(Screen):
    """A view over one kind of object from every connection."""

    VIEW: ClassVar[str] = ""
    COLUMNS: ClassVar[list[Column]] = []
    WATCHES: ClassVar[frozenset[str]] = frozenset()
    FILTER_HINT: ClassVar[str] = "filter by name or host"

    BINDINGS = [
        Binding("slash", "start_filter", "Filter", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="filter.clear"),
    ]

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        yield StatusBar(self.VIEW)
        filter_input = Input(placeholder=self.FILTER_HINT, id="filter")
        filter_input.display = False
        yield filter_input
        yield InventoryTable(self.COLUMNS, live_columns=self.LIVE_COLUMNS, id="table")
        yield KeyFooter()

    @property
    def table(self) -> InventoryTable:
        return self.query_one(InventoryTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.refresh_view()

    def on_screen_resume(self) -> None:
        self.refresh_view()

    def refresh_view(self, kinds: frozenset[str] | None = None) -> None:
        if kinds is None or kinds & self.WATCHES:
            with self.app.batch_update():
                self.table.sync(self.entries(), self.render_row, self.live_only)
        if kinds is None or "hosts" in kinds or kinds & self.WATCHES:
            self.query_one(StatusBar).show(self.ctx.inventory, self.ctx.settings.read_only)
            # What an empty view says depends on the hosts too.
            self.table.empty_text = self.empty_text() if self.table.row_count == 0 else None

    def empty_text(self) -> Text:
        return empty_view_text(self.VIEW, self.ctx.inventory, self.filter_text)

    def guests_shown(self) -> dict[str, frozenset[str]] | None:
        """The guests whose figures this view shows, by host (None: every guest's): they
        are sampled at the refresh interval, the others slower (Fleet.sample_closely)."""
        return {}

    # Subclasses say what rows exist and how each one looks; a view with live
    # columns says which, and when two row tokens differ only there.
    LIVE_COLUMNS: frozenset[str] = frozenset()
    live_only: Callable[[Any, Any], bool] | None = None

    def entries(self) -> dict[str, Any]:
        raise NotImplementedError

    def render_row(self, key: str) -> tuple[Cell, ...]:
        raise NotImplementedError

    def matches(self, *fields: str | None) -> bool:
        if not self.filter_text:
            return True
        needle = self.filter_text.casefold()
        return any(needle in field.casefold() for field in fields if field)

    # -- filter ------------------------------------------------------------

    def action_start_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if not box.display and not self.filter_text:
            return
        # Focus moves first, so it never rests on the box being hidden; the
        # table keeps its cursor on the same row as the other rows come back.
        self.table.focus()
        box.value = ""
        box.display = False
        self.filter_text = ""
        self.refresh_view()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            event.stop()
            self.filter_text = event.value.strip()
            self.refresh_view()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            event.stop()
            if not self.filter_text:
                event.input.display = False
            self.table.focus()

    # -- helpers for subclasses -------------------------------------------

    @staticmethod
    def row_key(conn_id: str, uuid: str) -> str:
        return f"{conn_id}|{uuid}"

    @staticmethod
    def split_key(key: str) -> tuple[str, str]:
        conn_id, _, rest = key.partition("|")
        return conn_id, rest
