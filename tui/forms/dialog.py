"""The one frame of every dialog, and the one confirmation convention: `y` confirms,
`n` / `escape` cancels; where a name must be typed, `enter` in that field confirms once
it matches. `enter` anywhere else says which keys answer, so it never answers by surprise.

A dialog asks yes or no (`ConfirmScreen`, the delete dialogs), for a typed name
(`TypedName`), for a choice (one key per answer, or a list), for a line of text (a
prompt), or shows a sheet to close."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from .frame import Escape, ModalFrame

YES_NO_HINT = "y: yes    n / escape: no"


def yes_no_bindings(yes: str = "submit", yes_label: str = "Yes", no_label: str = "No") -> list[Binding]:
    """`y` / `n` for a dialog (`escape` is the frame's, the same action as `n`); `enter`
    (hidden) says which keys answer."""
    return [
        Binding("y", yes, yes_label, id="confirm.yes"),
        Binding("n", "cancel", no_label, id="confirm.no"),
        Binding("enter", "explain_keys", "Say which keys answer", show=False),
    ]


class TypedName(Input):
    """The field where a name is typed to confirm: `enter` in it confirms once it matches
    (the dialog says why not when it does not)."""

    BINDINGS = [Binding("enter", "submit", "Delete")]


class DialogScreen(ModalFrame):
    """A dialog: a plain framed column (no scrolling unless `SCROLLS`), as tall as it needs.
    `escape` cancels (shown when `n` is not: a text field has it)."""

    FRAME_BASE = True
    ESCAPE = Escape("Cancel", id="confirm.cancel")
    WIDTH = 70
    MAX_HEIGHT = None
    BORDER = "thick"
    SCROLLS = False
    DEFAULT_CSS = """
    DialogScreen .answers { height: auto; margin-top: 1; }
    DialogScreen #error { color: $error; height: auto; }
    """

    def buttons(self, label: str) -> ComposeResult:
        """The answer and cancel buttons, for the mouse: they take no focus, so `enter` on
        one never answers by surprise."""
        with Horizontal(classes="answers"):
            for button in (Button(label, variant="error", id="delete"), Button("Cancel", id="cancel")):
                button.can_focus = False
                yield button

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_submit() if event.button.id == "delete" else self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, TypedName):
            event.stop()
            self.action_submit()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, TypedName):
            self.say("")

    def say(self, text: str) -> None:
        """The dialog's line (`#error`) saying why it does not go on yet, or which keys answer."""
        self.query_one("#error", Static).update(Text(text))
