"""Snapshot forms: take one (name, description, kind) and delete one (with or without its children)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Select, Static

from ..actions import guest_detail as ops
from ..widgets.footer import KeyFooter
from .dialog import DialogScreen, yes_no_bindings
from .form import FormScreen


@dataclass(frozen=True)
class NewSnapshot:
    name: str
    description: str
    kind: str


class CreateSnapshotScreen(FormScreen):
    SUBMIT = "Take snapshot"
    SUBMIT_BUTTONS = ("create",)
    FIELDS = ("name", "description")
    WIDTH = 90
    ERROR_ROOM = True
    DEFAULT_CSS = """
    CreateSnapshotScreen #warning { color: $warning; height: auto; }
    """

    def __init__(self, guest_name: str, plan: ops.SnapshotPlan, kind: str | None = None) -> None:
        super().__init__()
        self.guest_name = guest_name
        self.plan = plan
        self.first_kind = kind if kind in plan.kinds else plan.kinds[0]
        self.warned_for: str | None = None  # the kind whose mixing warning was shown once

    def compose(self) -> ComposeResult:
        with self.frame("Take a snapshot"):
            intro = Text("Snapshot of ")
            intro.append(self.guest_name, style="bold")
            intro.append(" (running)" if self.plan.running else " (shut off)")
            yield Static(intro)
            yield Label("Name")
            yield Input(value=ops.default_name(), id="name")
            yield Static(classes="error", id="name-error")
            yield Label("Description (optional)")
            yield Input(id="description")
            yield Static(classes="error", id="description-error")
            yield Label("Kind")
            yield Select([(ops.KIND_LABELS[k], k) for k in self.plan.kinds], value=self.first_kind,
                         allow_blank=False, id="kind")
            if self.plan.internal_problem:
                yield Static(Text(f"No internal snapshot: {self.plan.internal_problem}."), classes="note")
            yield Static(id="warning")
            with Horizontal():
                yield Button("Take snapshot", variant="primary", id="create")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self._show_warning()

    @property
    def kind(self) -> str:
        return str(self.query_one("#kind", Select).value)

    def _show_warning(self) -> str | None:
        warning = ops.mixing_warning(self.plan, self.kind)
        self.query_one("#warning", Static).update(Text(warning or ""))
        return warning

    def on_select_changed(self, _event: Select.Changed) -> None:
        self._show_warning()

    def errors(self) -> dict[str, str]:
        problems = {"name": ops.check_snapshot_name(self.query_one("#name", Input).value, self.plan.taken),
                    "description": ops.check_snapshot_description(self.query_one("#description", Input).value)}
        return {field: problem for field, problem in problems.items() if problem}

    def result(self) -> NewSnapshot:
        return NewSnapshot(self.query_one("#name", Input).value, self.query_one("#description", Input).value,
                           self.kind)

    def confirm(self, result: NewSnapshot, go) -> None:
        """A kind that mixes badly with the guest's other snapshots is taken at the second ctrl+s."""
        warning = self._show_warning()
        if warning and self.warned_for != self.kind:
            self.warned_for = self.kind
            self.query_one("#warning", Static).update(Text(f"{warning} Press ctrl+s again to take it anyway."))
            return
        go()


KEEP, WITH_CHILDREN = "keep", "children"


class DeleteSnapshotScreen(DialogScreen):
    """Dismisses with True: delete its children too, False: only it, None: cancelled."""

    BINDINGS = yes_no_bindings("submit", "Delete", "Cancel")
    WIDTH, MAX_HEIGHT, BORDER, SCROLLS = 90, "90%", "error", True
    DEFAULT_CSS = """
    DeleteSnapshotScreen Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, guest_name: str, snapshot: str, descendants: tuple[str, ...]) -> None:
        super().__init__()
        self.guest_name = guest_name
        self.snapshot = snapshot
        self.descendants = descendants

    def compose(self) -> ComposeResult:
        with self.frame("Delete a snapshot"):
            intro = Text("Delete snapshot ")
            intro.append(self.snapshot, style="bold")
            intro.append(" of ")
            intro.append(self.guest_name, style="bold")
            intro.append("?")
            yield Static(intro)
            if self.descendants:
                yield Static(Text(f"It has {len(self.descendants)} snapshot(s) below it: "
                                  + ", ".join(self.descendants)))
                yield Select([("keep them (they move up to this one's parent)", KEEP),
                              ("delete them too", WITH_CHILDREN)], value=KEEP, allow_blank=False, id="children")
            yield Static(Text("y: delete    n / escape: cancel", style="dim"), id="keys-hint")
            yield from self.buttons("Delete")
        yield KeyFooter()

    def on_mount(self) -> None:
        selects = self.query(Select)
        if selects:
            selects.first().focus()

    def action_submit(self) -> None:
        self.dismiss(self.with_children())

    def with_children(self) -> bool:
        selects = self.query(Select)
        return bool(selects) and selects.first().value == WITH_CHILDREN

    def command(self) -> list | None:
        """`describing`'s `describe(with_children)`, as chosen now."""
        return self.describe(self.with_children()) if self.describe is not None else None

    def action_explain_keys(self) -> None:
        self.notify("y deletes the snapshot; n or escape cancels", timeout=3)
