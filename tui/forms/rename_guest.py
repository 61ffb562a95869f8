"""Rename a shut-off guest: the new name is checked as it is typed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Label, Static

from ..backend.model import Guest
from ..actions.guests import name_problem
from .form import FormScreen
from ..widgets.footer import KeyFooter


class RenameGuestScreen(FormScreen):
    SUBMIT = "Rename"
    FIELDS = ("name",)

    def __init__(self, guest: Guest, host: str, taken: set[str]) -> None:
        super().__init__()
        self.guest = guest
        self.host = host
        self.taken = taken

    def compose(self) -> ComposeResult:
        with self.frame("Rename a guest"):
            intro = Text("Rename ")
            intro.append(self.guest.name, style="bold")
            intro.append(f" on {self.host}.")
            yield Static(intro)
            yield Label("New name")
            yield Input(value=self.guest.name, id="name")
            yield Static(id="name-error", classes="error")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def errors(self) -> dict[str, str]:
        problem = name_problem(self.value("name"), self.taken, current=self.guest.name)
        return {"name": problem} if problem else {}

    def result(self) -> str:
        return self.value("name")
