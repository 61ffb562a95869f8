"""Delete a guest: what goes with it, and its name typed before any storage goes."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Static

from ..backend.model import Guest
from ..backend.ops.guests import DiskFile
from ..render.cells import size_text


@dataclass(frozen=True)
class DeleteRequest:
    volumes: tuple[str, ...]  # paths of the volumes to delete with the guest


class DeleteGuestScreen(ModalScreen[DeleteRequest | None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Delete", id="form.submit"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]
    DEFAULT_CSS = """
    DeleteGuestScreen { align: center middle; }
    DeleteGuestScreen > VerticalScroll {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    DeleteGuestScreen .error { color: $error; }
    DeleteGuestScreen Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, guest: Guest, host: str, disks: tuple[DiskFile, ...]) -> None:
        super().__init__()
        self.guest = guest
        self.host = host
        self.disks = disks

    def compose(self) -> ComposeResult:
        guest = self.guest
        with VerticalScroll() as box:
            box.border_title = "Delete a guest"
            intro = Text("Delete ")
            intro.append(guest.name, style="bold")
            intro.append(f" on {self.host}: its definition, managed save, snapshot metadata and NVRAM.")
            if guest.state != "shut off":
                intro.append(f" It is {guest.state}: it will be forced off first.", style="bold")
            yield Static(intro)
            for index, disk in enumerate(self.disks):
                size = f", {size_text(disk.capacity)}" if disk.capacity is not None else ""
                if disk.pool is not None:
                    yield Checkbox(Text(f"also delete {disk.target}: {disk.path} (pool {disk.pool}{size})"),
                                   value=False, id=f"disk-{index}")
                else:
                    yield Static(Text(f"{disk.target}: {disk.path} is not a pool volume: it stays", style="dim"))
            if not self.disks:
                yield Static(Text("It has no disks.", style="dim"))
            yield Static(Text("To delete storage too, type the guest's name:"), id="name-label")
            yield Input(placeholder=guest.name, id="name")
            yield Static(id="error", classes="error")
            with Horizontal():
                yield Button("Delete", variant="error", id="delete")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        boxes = self.query(Checkbox)
        (boxes.first() if boxes else self.query_one("#cancel", Button)).focus()

    def chosen(self) -> tuple[str, ...]:
        return tuple(
            disk.path for index, disk in enumerate(self.disks)
            if disk.pool is not None and self.query_one(f"#disk-{index}", Checkbox).value
        )

    def problem(self) -> str | None:
        if self.chosen() and self.query_one("#name", Input).value != self.guest.name:
            return "Type the guest's name exactly to delete its storage."
        return None

    def on_input_changed(self) -> None:
        self.query_one("#error", Static).update(Text(""))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_submit() if event.button.id == "delete" else self.action_cancel()

    def action_submit(self) -> None:
        problem = self.problem()
        if problem:
            self.query_one("#error", Static).update(Text(problem))
            self.query_one("#name", Input).focus()
            return
        self.dismiss(DeleteRequest(self.chosen()))

    def action_cancel(self) -> None:
        self.dismiss(None)
