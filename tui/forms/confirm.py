"""A yes/no question."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from ..widgets.footer import KeyFooter
from .dialog import YES_NO_HINT, DialogScreen, yes_no_bindings


class ConfirmScreen(DialogScreen):
    BINDINGS = yes_no_bindings("answer(True)")
    BORDER = "warning"
    PADDED = True

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with self.frame():
            yield Static(Text(self.question))
            yield Static(Text(YES_NO_HINT, style="dim"), id="keys-hint")
        yield KeyFooter()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_explain_keys(self) -> None:
        self.query_one("#keys-hint", Static).update(Text(YES_NO_HINT, style="bold"))
        self.notify("y answers yes; n or escape answers no", timeout=3)
