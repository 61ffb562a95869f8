"""Delete a storage pool's storage: the pool's name typed, then `enter`, before anything goes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from ..widgets.footer import KeyFooter
from .dialog import DialogScreen, TypedName, yes_no_bindings

KEYS_HINT = "type the pool's name, then enter: delete    escape: cancel"


class DeletePoolScreen(DialogScreen):
    BINDINGS = yes_no_bindings("submit", "Delete", "Cancel")
    WIDTH, BORDER = 80, "error"
    DEFAULT_CSS = """
    DeletePoolScreen #error { color: $error; height: auto; }
    DeletePoolScreen Horizontal { height: auto; margin-top: 1; }
    """

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
            with Horizontal():
                yield Button("Delete", variant="error", id="delete")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        for button in self.query(Button):  # buttons are for the mouse; enter belongs to the name
            button.can_focus = False
        self.query_one("#name", TypedName).focus()

    def on_input_changed(self) -> None:
        self.query_one("#error", Static).update("")

    def on_input_submitted(self, event: TypedName.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_submit() if event.button.id == "delete" else self.action_cancel()

    def action_submit(self) -> None:
        box = self.query_one("#name", TypedName)
        if box.value != self.pool_name:
            self.query_one("#error", Static).update(Text(f"Type {self.pool_name} exactly, then enter, to delete it."))
            box.focus()
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_explain_keys(self) -> None:
        self.action_submit()
