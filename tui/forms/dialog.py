"""The one frame of every dialog, and the one confirmation convention: `y` confirms,
`n` / `escape` cancels; where a name must be typed, `enter` in that field confirms once
it matches. `enter` anywhere else says which keys answer, so it never answers by surprise.

A dialog asks yes or no (`ConfirmScreen`, the delete dialogs), for a typed name
(`TypedName`), for a choice (one key per answer, or a list), for a line of text (a
prompt), or shows a sheet to close."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

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
