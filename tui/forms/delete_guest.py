"""Delete one guest or every marked guest: what goes with each, and a guest's name typed
before any of its storage goes. `y` deletes (with no volume ticked, that is all it takes);
with volumes ticked, `enter` in the name field deletes once the name matches."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Checkbox, Static

from ..backend.model import Guest
from ..actions.guests import DiskFile
from ..render.cells import size_text
from ..widgets.footer import KeyFooter
from .dialog import DialogScreen, TypedName, yes_no_bindings


@dataclass(frozen=True)
class Doomed:
    guest: Guest
    host: str
    disks: tuple[DiskFile, ...]


@dataclass(frozen=True)
class DeleteRequest:
    volumes: dict[tuple[str, str], tuple[str, ...]]  # guest key -> paths of the volumes to delete with it


def deletable(disk: DiskFile) -> bool:
    """A volume that may go with its guest: no other guest or volume needs it."""
    return disk.pool is not None and disk.kept is None


KEYS_HINT = "y: delete    n / escape: cancel    volumes ticked: type the guest's name, then enter"


class DeleteGuestScreen(DialogScreen):
    BINDINGS = yes_no_bindings("submit", "Delete", "Cancel")
    WIDTH, MAX_HEIGHT, BORDER, SCROLLS = 100, "90%", "error", True
    DEFAULT_CSS = """
    DeleteGuestScreen .guest { margin-top: 1; }
    """

    def __init__(self, doomed: list[Doomed]) -> None:
        super().__init__()
        self.doomed = doomed

    @property
    def disks(self) -> tuple[DiskFile, ...]:
        return tuple(disk for entry in self.doomed for disk in entry.disks)

    def compose(self) -> ComposeResult:
        with self.frame("Delete a guest" if len(self.doomed) == 1 else f"Delete {len(self.doomed)} guests"):
            yield Static(Text("Each guest goes with its definition, managed save, snapshot metadata and NVRAM. "
                              "Its volumes stay unless ticked; to delete a guest's volumes, type its name."))
            for g, entry in enumerate(self.doomed):
                guest = entry.guest
                head = Text()
                head.append(guest.name, style="bold")
                head.append(f" on {entry.host}")
                if guest.state != "shut off":
                    head.append(f": {guest.state}, it will be forced off first", style="bold")
                yield Static(head, classes="guest")
                for index, disk in enumerate(entry.disks):
                    size = f", {size_text(disk.capacity)}" if disk.capacity is not None else ""
                    if disk.kept is not None:
                        yield Static(Text(f"{disk.target}: {disk.path} stays: {disk.kept}", style="dim"),
                                     classes="kept")
                    elif disk.pool is not None:
                        yield Checkbox(Text(f"also delete {disk.target}: {disk.path} (pool {disk.pool}{size})"),
                                       value=False, id=f"disk-{g}-{index}")
                    else:
                        yield Static(Text(f"{disk.target}: {disk.path} is not a pool volume: it stays", style="dim"))
                if not entry.disks:
                    yield Static(Text("It has no disks.", style="dim"))
                if any(deletable(disk) for disk in entry.disks):
                    yield TypedName(placeholder=f"type {guest.name}, then enter, to delete it with its ticked volumes",
                                    id=f"name-{g}")
            yield Static(id="error", classes="error")
            yield Static(Text(KEYS_HINT, style="dim"), id="keys-hint")
            yield from self.buttons("Delete")
        yield KeyFooter()

    def on_mount(self) -> None:
        boxes = self.query(Checkbox)
        if boxes:
            boxes.first().focus()

    def chosen(self, g: int) -> tuple[str, ...]:
        return tuple(
            disk.path for index, disk in enumerate(self.doomed[g].disks)
            if deletable(disk) and self.query_one(f"#disk-{g}-{index}", Checkbox).value
        )

    def problem(self) -> tuple[str, TypedName] | None:
        for g, entry in enumerate(self.doomed):
            if self.chosen(g):
                box = self.query_one(f"#name-{g}", TypedName)
                if box.value != entry.guest.name:
                    return f"Type {entry.guest.name} exactly, then enter, to delete it with its ticked volumes.", box
        return None

    def request(self) -> DeleteRequest:
        return DeleteRequest({entry.guest.key: self.chosen(g) for g, entry in enumerate(self.doomed)})

    def command(self) -> list | None:
        """`describing`'s `describe(the request as ticked now)`."""
        return self.describe(self.request()) if self.describe is not None else None

    def action_submit(self) -> None:
        problem = self.problem()
        if problem:
            self.say(problem[0])
            problem[1].focus()
            return
        self.dismiss(self.request())

    def action_explain_keys(self) -> None:
        self.say(KEYS_HINT)
