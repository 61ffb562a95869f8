"""What every main view shares: status line, filter, keyed table, footer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from ..render.cells import Cell
from ..render.rows import Column
from ..widgets.inventory_table import InventoryTable
from ..widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from ..app import VirtdeckApp
from ..widgets.footer import KeyFooter


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

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""

    @property
    def vd(self) -> VirtdeckApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield StatusBar(self.VIEW)
        filter_input = Input(placeholder=self.FILTER_HINT, id="filter")
        filter_input.display = False
        yield filter_input
        yield InventoryTable(self.COLUMNS, id="table")
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
        if kinds is None or "hosts" in kinds or kinds & self.WATCHES:
            self.query_one(StatusBar).show(self.vd.inventory, self.vd.settings.read_only)
        if kinds is None or kinds & self.WATCHES:
            with self.app.batch_update():
                self.table.sync(self.entries(), self.render_row)

    # Subclasses say what rows exist and how each one looks.
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
        box.value = ""
        box.display = False
        self.filter_text = ""
        self.refresh_view()
        self.table.focus()

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
