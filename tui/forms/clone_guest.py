"""Clone a guest: its new name, and which disks are copied to which new volumes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from ..backend.model import Guest
from ..backend.ops.clone import ClonePlan, new_volume_name
from ..backend.ops.guests import name_problem
from ..render.cells import size_text


def default_clone_name(name: str, taken: set[str]) -> str:
    candidate, n = f"{name}-clone", 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-clone{n}"
    return candidate


class CloneGuestScreen(ModalScreen[str | None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Clone", id="form.submit"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]
    DEFAULT_CSS = """
    CloneGuestScreen { align: center middle; }
    CloneGuestScreen > VerticalScroll {
        width: 100; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    CloneGuestScreen .error { color: $error; height: auto; }
    CloneGuestScreen #copies { margin-top: 1; height: auto; }
    CloneGuestScreen Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, guest: Guest, host: str, taken: set[str], plan: ClonePlan) -> None:
        super().__init__()
        self.guest = guest
        self.host = host
        self.taken = taken
        self.plan = plan

    def compose(self) -> ComposeResult:
        with VerticalScroll() as form:
            form.border_title = "Clone a guest"
            intro = Text("Clone ")
            intro.append(self.guest.name, style="bold")
            intro.append(f" on {self.host}: a new UUID and new MACs; the clone stays shut off.")
            yield Static(intro)
            yield Label("Name of the clone")
            yield Input(value=default_clone_name(self.guest.name, self.taken), id="name")
            yield Static(id="name-error", classes="error")
            yield Static(id="copies")
            with Horizontal():
                yield Button("Clone", variant="primary", id="clone")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self._show_copies()

    def _show_copies(self) -> None:
        name = self.query_one("#name", Input).value
        lines = Text()
        for copy in self.plan.copies:
            new = new_volume_name(copy.volume, self.guest.name, name, copy.target, set()) if name else "?"
            lines.append(f"{copy.target}: {copy.volume} → {new} in pool {copy.pool} ({size_text(copy.capacity)})\n")
        for target in self.plan.shared:
            lines.append(f"{target}: shared as it is (read-only, shareable or removable)\n", style="dim")
        for problem in self.plan.problems:
            lines.append(problem + "\n", style="bold red")
        if not (self.plan.copies or self.plan.shared or self.plan.problems):
            lines.append("It has no disks.", style="dim")
        self.query_one("#copies", Static).update(lines)

    def problem(self) -> str | None:
        if self.plan.problems:
            return "This guest cannot be cloned: " + "; ".join(self.plan.problems)
        return name_problem(self.query_one("#name", Input).value, self.taken)

    def on_input_changed(self) -> None:
        self.query_one("#name-error", Static).update(Text(self.problem() or ""))
        self._show_copies()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_submit() if event.button.id == "clone" else self.action_cancel()

    def action_submit(self) -> None:
        problem = self.problem()
        if problem:
            self.query_one("#name-error", Static).update(Text(problem))
            return
        self.dismiss(self.query_one("#name", Input).value)

    def action_cancel(self) -> None:
        self.dismiss(None)
