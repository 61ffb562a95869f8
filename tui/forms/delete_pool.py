"""Delete a storage pool's storage: the pool's name typed, then `enter`, before anything goes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from ..widgets.footer import KeyFooter
from .dialog import DialogScreen, TypedName, yes_no_bindings

KEYS_HINT = "type the pool's name, then enter: delete    escape: cancel"


class DeletePoolScreen(DialogScreen):
    BINDINGS = yes_no_bindings("submit", "Delete", "Cancel")
    WIDTH, BORDER = 80, "error"

    def __init__(self, name: str, host: str, what: str) -> None:
        super().__init__()
        self.pool_name = name
        self.host = host
        self.what = what

    def compose(self) -> ComposeResult:
        with self.frame("Delete a storage pool"):
            text = Text("Delete pool ")
            text.append(self.pool_name, style="bold")
            text.append(f" on {self.host}: it is stopped, {self.what} and its definition removed. "
                        "Type its name, then enter, to go on.")
            yield Static(text)
            yield TypedName(placeholder="the pool's name", id="name")
            yield Static(id="error")
            yield Static(Text(KEYS_HINT, style="dim"), id="keys-hint")
            yield from self.buttons("Delete")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#name", TypedName).focus()

    def action_submit(self) -> None:
        box = self.query_one("#name", TypedName)
        if box.value != self.pool_name:
            self.say(f"Type {self.pool_name} exactly, then enter, to delete it.")
            box.focus()
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_explain_keys(self) -> None:
        self.action_submit()
