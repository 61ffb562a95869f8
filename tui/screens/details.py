"""A read-only sheet of facts about one object."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..widgets.footer import KeyFooter


class DetailsScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="details.close"),
        Binding("enter", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]
    DEFAULT_CSS = """
    DetailsScreen { align: center middle; }
    DetailsScreen > VerticalScroll {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """

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
        with VerticalScroll() as scroll:
            scroll.border_title = Text(self.sheet_title)
            yield Static(table)
        yield KeyFooter()

    def action_dismiss(self) -> None:
        self.dismiss(None)
