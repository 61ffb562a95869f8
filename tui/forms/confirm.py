"""The one confirmation convention of every dialog: `y` confirms, `n` / `escape` cancels;
where a name must be typed, `enter` in that field confirms once it matches."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..widgets.footer import KeyFooter

YES_NO_HINT = "y: yes    n / escape: no"


def yes_no_bindings(yes: str = "answer(True)", no: str = "answer(False)",
                    yes_label: str = "Yes", no_label: str = "No") -> list[Binding]:
    """`y` / `n` / `escape` for a dialog; `enter` (hidden) says which keys answer, so it never
    answers by surprise."""
    return [
        Binding("y", yes, yes_label, id="confirm.yes"),
        Binding("n", no, no_label, id="confirm.no"),
        # Shown when `n` is not (a text field has it): the footer keeps one key per action.
        Binding("escape", no, "Cancel", id="confirm.cancel"),
        Binding("enter", "explain_keys", "Say which keys answer", show=False),
    ]


class TypedName(Input):
    """The field where a name is typed to confirm: `enter` in it confirms once it matches
    (the dialog says why not when it does not)."""

    BINDINGS = [Binding("enter", "submit", "Delete")]


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = yes_no_bindings()
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 70; max-width: 95%; height: auto;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question))
            yield Static(Text(YES_NO_HINT, style="dim"), id="keys-hint")
        yield KeyFooter()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_explain_keys(self) -> None:
        self.query_one("#keys-hint", Static).update(Text(YES_NO_HINT, style="bold"))
        self.notify("y answers yes; n or escape answers no", timeout=3)
