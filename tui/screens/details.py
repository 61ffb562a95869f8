"""A read-only sheet of facts about one object."""

from __future__ import annotations

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

    def __init__(self, title: str, facts: list[tuple[str, str | None]]) -> None:
        super().__init__()
        self.sheet_title = title
        self.facts = facts

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for label, value in self.facts:
            if not label:
                table.add_row(Text(""), Text(""))
                continue
            table.add_row(Text(label), Text(value) if value not in (None, "") else Text("—", style="dim"))
        with self.frame(self.sheet_title):
            yield Static(table)
        yield KeyFooter()

    def action_dismiss(self) -> None:
        self.dismiss(None)
