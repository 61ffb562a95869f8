"""Migrate a guest to another connected host."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from ..backend.model import Guest
from ..backend.ops.migrate import MigrationRequest


@dataclass(frozen=True)
class MigrateChoice:
    target: str  # conn_id
    request: MigrationRequest


def mode_text(guest: Guest) -> str:
    if guest.state == "shut off":
        return "Offline: it is shut off, so its definition moves (its disks must already be reachable there)."
    if guest.state == "paused":
        return "It is paused: it moves paused, with its memory."
    return "Live: it keeps running while its memory is copied."


def address_problem(address: str) -> str | None:
    if not address:
        return None
    try:
        parts = urlsplit(address)
        parts.port
    except ValueError as exc:
        return f"Not an address: {exc}"
    if parts.scheme not in ("tcp", "rdma", "unix") or not (parts.hostname or parts.path):
        return "An address looks like tcp://10.0.0.2 or tcp://10.0.0.2:49152"
    return None


class MigrateGuestScreen(ModalScreen[MigrateChoice | None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Migrate", id="form.submit"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]
    DEFAULT_CSS = """
    MigrateGuestScreen { align: center middle; }
    MigrateGuestScreen > VerticalScroll {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    MigrateGuestScreen .error { color: $error; height: auto; }
    MigrateGuestScreen Checkbox { margin-top: 1; }
    MigrateGuestScreen Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, guest: Guest, host: str, targets: list[tuple[str, str]]) -> None:
        """`targets`: (label, conn_id) of every other connected, writable host."""
        super().__init__()
        self.guest = guest
        self.host = host
        self.targets = targets

    def compose(self) -> ComposeResult:
        with VerticalScroll() as form:
            form.border_title = "Migrate a guest"
            intro = Text("Move ")
            intro.append(self.guest.name, style="bold")
            intro.append(f" from {self.host}. {mode_text(self.guest)}")
            yield Static(intro, id="intro")
            yield Label("To host")
            if self.targets:
                yield Select(self.targets, value=self.targets[0][1], allow_blank=False, id="target")
            else:
                yield Static(Text("No other connected host can take it: connect one in view 4 (n).",
                                  style="bold red"), id="target")
            yield Checkbox("Remove it from this host afterwards (undefine the source)",
                           value=self.guest.persistent, id="undefine", disabled=not self.guest.persistent)
            yield Checkbox("Copy its disks too (storage not shared between the hosts)", value=False,
                           id="copy-storage", disabled=self.guest.state == "shut off")
            yield Label("Migration address on the target (optional)")
            yield Input(placeholder="tcp://10.0.0.2 — empty: libvirt uses the target's host name", id="address")
            yield Static(id="address-error", classes="error")
            yield Static(id="error", classes="error")
            with Horizontal():
                yield Button("Migrate", variant="primary", id="migrate", disabled=not self.targets)
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        (self.query_one("#target") if self.targets else self.query_one("#cancel", Button)).focus()

    def on_input_changed(self) -> None:
        self.query_one("#address-error", Static).update(Text(address_problem(self._address()) or ""))

    def _address(self) -> str:
        return self.query_one("#address", Input).value.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_submit() if event.button.id == "migrate" else self.action_cancel()

    def action_submit(self) -> None:
        if not self.targets:
            self.query_one("#error", Static).update(Text("There is no host to migrate to."))
            return
        problem = address_problem(self._address())
        if problem:
            self.query_one("#address-error", Static).update(Text(problem))
            self.query_one("#address", Input).focus()
            return
        self.dismiss(MigrateChoice(
            target=str(self.query_one("#target", Select).value),
            request=MigrationRequest(
                undefine_source=self.query_one("#undefine", Checkbox).value,
                copy_storage=self.query_one("#copy-storage", Checkbox).value,
                address=self._address(),
            ),
        ))

    def action_cancel(self) -> None:
        self.dismiss(None)
