"""Rename a shut-off guest: the new name is checked as it is typed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from ..backend.model import Guest
from ..backend.ops.guests import name_problem


class RenameGuestScreen(ModalScreen[str | None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Rename", id="form.submit"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]
    DEFAULT_CSS = """
    RenameGuestScreen { align: center middle; }
    RenameGuestScreen > VerticalScroll {
        width: 80; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    RenameGuestScreen .error { color: $error; height: auto; }
    RenameGuestScreen Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, guest: Guest, host: str, taken: set[str]) -> None:
        super().__init__()
        self.guest = guest
        self.host = host
        self.taken = taken

    def compose(self) -> ComposeResult:
        with VerticalScroll() as form:
            form.border_title = "Rename a guest"
            intro = Text("Rename ")
            intro.append(self.guest.name, style="bold")
            intro.append(f" on {self.host}.")
            yield Static(intro)
            yield Label("New name")
            yield Input(value=self.guest.name, id="name")
            yield Static(id="name-error", classes="error")
            with Horizontal():
                yield Button("Rename", variant="primary", id="rename")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def problem(self) -> str | None:
        return name_problem(self.query_one("#name", Input).value, self.taken, current=self.guest.name)

    def on_input_changed(self) -> None:
        self.query_one("#name-error", Static).update(Text(self.problem() or ""))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_submit() if event.button.id == "rename" else self.action_cancel()

    def action_submit(self) -> None:
        problem = self.problem()
        if problem:
            self.query_one("#name-error", Static).update(Text(problem))
            return
        self.dismiss(self.query_one("#name", Input).value)

    def action_cancel(self) -> None:
        self.dismiss(None)
