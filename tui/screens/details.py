"""A read-only sheet of facts about one object; a live one follows the inventory."""

from __future__ import annotations

from typing import Callable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..forms.dialog import DialogScreen
from ..forms.frame import Escape
from ..widgets.footer import KeyFooter


class DetailsScreen(DialogScreen):
    BINDINGS = [
        Binding("enter", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]
    ESCAPE = Escape("Close", id="details.close", action="dismiss")
    WIDTH, MAX_HEIGHT, BORDER, SCROLLS = 90, "90%", "round", True

    def __init__(
        self, title: str, facts: list[tuple[str, str | None]],
        facts_of: Callable[[], list[tuple[str, str | None]] | None] | None = None,
        watches: frozenset[str] = frozenset(),
    ) -> None:
        """`facts_of`, when given, reads the facts again whenever the app reports a
        change of a kind in `watches` (None: the object is gone; the last facts stay)."""
        super().__init__()
        self.sheet_title = title
        self.facts = facts
        self._facts_of = facts_of
        self._watches = watches

    def compose(self) -> ComposeResult:
        with self.frame(self.sheet_title):
            yield Static(self._table(), id="facts")
        yield KeyFooter()

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for label, value in self.facts:
            if not label:
                table.add_row(Text(""), Text(""))
                continue
            table.add_row(Text(label), Text(value) if value not in (None, "") else Text("—", style="dim"))
        return table

    def refresh_view(self, kinds: frozenset[str] | None = None) -> None:
        if self._facts_of is None or (kinds is not None and not kinds & self._watches):
            return
        facts = self._facts_of()
        if facts is not None and facts != self.facts:
            self.facts = facts
            self.query_one("#facts", Static).update(self._table())

    def action_dismiss(self) -> None:
        self.dismiss(None)
