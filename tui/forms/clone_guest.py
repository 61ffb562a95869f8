"""Clone a guest: its new name, and which disks are copied to which new volumes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Label, Static

from ..backend.model import Guest
from ..actions.guests import ClonePlan, name_problem, new_volume_name
from ..render.cells import size_text
from .form import FormScreen
from .pool_space import copy_need, shortfalls
from ..widgets.footer import KeyFooter


def default_clone_name(name: str, taken: set[str]) -> str:
    candidate, n = f"{name}-clone", 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-clone{n}"
    return candidate


class CloneGuestScreen(FormScreen):
    SUBMIT = "Clone"
    FIELDS = ("name",)

    def __init__(self, guest: Guest, host: str, taken: set[str], plan: ClonePlan,
                 available: dict[str, int] | None = None, allocates_in_full: bool = False) -> None:
        """`available`: free bytes of the host's pools by name; `allocates_in_full`: the host
        (libvirt's test driver) allocates each copy's whole capacity."""
        super().__init__()
        self.guest = guest
        self.host = host
        self.taken = taken
        self.plan = plan
        self.needs = [copy_need(c.target, c.pool, c.capacity, c.allocation, c.format, allocates_in_full)
                      for c in plan.copies]
        self.space_problems = shortfalls(self.needs, available or {})

    def compose(self) -> ComposeResult:
        with self.frame("Clone a guest"):
            intro = Text("Clone ")
            intro.append(self.guest.name, style="bold")
            intro.append(f" on {self.host}: a new UUID and new MACs; the clone stays shut off.")
            yield Static(intro)
            yield Label("Name of the clone")
            yield Input(value=default_clone_name(self.guest.name, self.taken), id="name")
            yield Static(id="name-error", classes="error")
            yield Static(id="copies")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self._show_copies()
        self.show_errors(only_touched=True)

    def _show_copies(self) -> None:
        name = self.value("name")
        lines = Text()
        for copy, need in zip(self.plan.copies, self.needs):
            new = new_volume_name(copy.volume, self.guest.name, name, copy.target, set()) if name else "?"
            lines.append(f"{copy.target}: {copy.volume} → {new} in pool {copy.pool} ({size_text(copy.capacity)}; "
                         f"needs {need.what.partition(': ')[2]})\n")
        for problem in self.space_problems:
            lines.append(f"Does not fit: {problem}\n", style="bold red")
        for target in self.plan.shared:
            lines.append(f"{target}: shared as it is (read-only, shareable or removable)\n", style="dim")
        for problem in self.plan.problems:
            lines.append(problem + "\n", style="bold red")
        if not (self.plan.copies or self.plan.shared or self.plan.problems):
            lines.append("It has no disks.", style="dim")
        self.query_one("#copies", Static).update(lines)

    def changed(self) -> None:
        super().changed()
        self._show_copies()

    def errors(self) -> dict[str, str]:
        if self.plan.problems:
            return {"name": "This guest cannot be cloned: " + "; ".join(self.plan.problems)}
        if self.space_problems:
            return {"name": "The copies do not fit: " + "; ".join(self.space_problems)}
        problem = name_problem(self.value("name"), self.taken)
        return {"name": problem} if problem else {}

    def result(self) -> str:
        return self.value("name")
