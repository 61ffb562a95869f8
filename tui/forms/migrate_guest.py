"""Migrate a guest to another connected host."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Label, Select, Static

from ..backend.model import Guest
from ..actions.guests import MigrationRequest
from .form import FormScreen
from ..widgets.footer import KeyFooter


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


class MigrateGuestScreen(FormScreen):
    SUBMIT = "Migrate"
    FIELDS = ("address",)

    def __init__(self, guest: Guest, host: str, targets: list[tuple[str, str]]) -> None:
        """`targets`: (label, conn_id) of every other connected, writable host."""
        super().__init__()
        self.guest = guest
        self.host = host
        self.targets = targets

    def compose(self) -> ComposeResult:
        with self.frame("Migrate a guest"):
            intro = Text("Move ")
            intro.append(self.guest.name, style="bold")
            intro.append(f" from {self.host}. {mode_text(self.guest)}")
            yield Static(intro, id="intro")
            yield Label("To host")
            if self.targets:
                yield Select([(Text(label), c) for label, c in self.targets], value=self.targets[0][1], allow_blank=False, id="target")
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
            yield Static(id="error", classes="error shown")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        (self.query_one("#target") if self.targets else self.query_one("#cancel")).focus()

    def errors(self) -> dict[str, str]:
        problem = address_problem(self.value("address").strip())
        return {"address": problem} if problem else {}

    def action_submit(self) -> None:
        if not self.targets:
            self.query_one("#error", Static).update(Text("There is no host to migrate to."))
            return
        super().action_submit()

    def result(self) -> MigrateChoice:
        return MigrateChoice(
            target=str(self.query_one("#target", Select).value),
            request=MigrationRequest(
                undefine_source=self.query_one("#undefine", Checkbox).value,
                copy_storage=self.query_one("#copy-storage", Checkbox).value,
                address=self.value("address").strip(),
            ),
        )
