"""Path forms for saving, exporting and backing up a guest, and the two host-level
palette actions: restore a guest from a saved file, import a guest definition."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from ..actions.guest_detail import SAVE_DIR, GuestDetailActions
from ..backend.inventory import Inventory
from ..calls import AnswersCalls, Then
from .host_options import host_options
from ..widgets.footer import KeyFooter
from .form import FormScreen, host_select


@dataclass(frozen=True)
class ChosenPath:
    path: str
    replace: bool = False


def check_path(path: str) -> str | None:
    path = path.strip()
    if not path:
        return "Enter a path"
    if not (path.startswith("/") or path.startswith("~")):
        return "Give an absolute path (or one under ~)"
    if any(ord(c) < 32 for c in path):
        return "A path has no control characters"
    return None


def check_local_file(path: str) -> str | None:
    """A file to write on this machine: its folder exists, and it is not a folder itself."""
    problem = check_path(path)
    if problem:
        return problem
    path = os.path.expanduser(path.strip())
    folder = os.path.dirname(path) or "/"
    if not os.path.isdir(folder):
        return f"No folder {folder} here"
    if os.path.isdir(path):
        return "That is a folder: add a file name"
    return None


class PathScreen(FormScreen):
    """One path, checked as typed; optionally a 'replace an existing file' box. Its problem,
    the work going on and a failure all show on the line under the path."""

    WIDTH = 90
    ERROR_ROOM = True
    FIELDS = ("path",)
    FORM_LINE = "path-error"
    DEFAULT_CSS = """
    PathScreen Checkbox { margin-top: 0; }
    """

    def __init__(self, title: str, intro: Text, label: str, default: str, button: str,
                 offer_replace: bool = False, local: bool = False,
                 work: Callable[[ChosenPath, Callable[[str | None], None]], None] | None = None) -> None:
        """`local`: a file to write on this machine (its folder must exist); `work(chosen,
        finish)`: run the operation from the form, which closes once `finish(None)` says it
        worked and otherwise shows the error and keeps the path as typed."""
        super().__init__()
        self.form_title = title
        self.intro = intro
        self.label = label
        self.default = default
        self.button = button
        self.offer_replace = offer_replace
        self.local = local
        if work is not None:
            self.performing(work)

    def compose(self) -> ComposeResult:
        with self.frame(self.form_title):
            yield Static(self.intro)
            yield Label(self.label)
            yield Input(value=self.default, id="path")
            yield Static(classes="error", id="path-error")
            if self.offer_replace:
                yield Checkbox("Replace the file if it exists", value=False, id="replace")
            with Horizontal():
                yield Button(self.button, variant="primary", id="ok")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def problem(self, path: str) -> str | None:
        return check_local_file(path) if self.local else check_path(path)

    def errors(self) -> dict[str, str]:
        problem = self.problem(self.query_one("#path", Input).value)
        return {"path": problem} if problem else {}

    def result(self) -> ChosenPath:
        replace = self.offer_replace and self.query_one("#replace", Checkbox).value
        return ChosenPath(self.query_one("#path", Input).value.strip(), replace)


class HostPathScreen(AnswersCalls, FormScreen):
    """A host and a path; on submit asks that host through `work(screen, conn_id, path, then)` (an
    action's verb) and stays open with libvirt's (or virtdeck's) words next to the path when it
    fails. Dismisses with (host name, result)."""

    WIDTH = 90
    ERROR_ROOM = True
    FIELDS = ("path",)
    FORM_LINE = "path-error"

    def __init__(self, title: str, hosts: list[tuple[str, str]], label: str, default: str,
                 work: Callable[[AnswersCalls, str, str, Then], None]) -> None:
        super().__init__()
        self.form_title = title
        self.hosts = hosts  # (label, conn_id)
        self.label = label
        self.default = default
        self.work = work
        self.performing(self._run)

    def compose(self) -> ComposeResult:
        with self.frame(self.form_title):
            yield Label("Host")
            yield host_select(self.hosts)
            yield Label(self.label)
            yield Input(value=self.default, id="path")
            yield Static(classes="error", id="path-error")
            with Horizontal():
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def errors(self) -> dict[str, str]:
        problem = check_path(self.query_one("#path", Input).value)
        return {"path": problem} if problem else {}

    def result(self) -> tuple[str, str]:
        """(conn_id, path)"""
        return str(self.query_one("#host", Select).value), self.query_one("#path", Input).value.strip()

    def _run(self, chosen: tuple[str, str], finish) -> None:
        conn_id, path = chosen
        host = next(name for name, cid in self.hosts if cid == conn_id)

        def then(result, error: str | None) -> None:
            finish(error) if error is not None else finish(None, (host, result))

        self.work(self, conn_id, path, then)

    def failed(self, error: str) -> None:
        self.say(error)


def _open(app: App, inventory: Inventory, title: str, label: str, default: str, work, said, describe) -> None:
    hosts = host_options(inventory)
    if not hosts:
        app.notify("No connected host that may be written to (read-only hosts cannot).", title=title,
                   severity="warning", markup=False)
        return

    def done(answer) -> None:
        if answer is not None:
            app.notify(said(*answer), title=title, markup=False)

    app.push_screen(HostPathScreen(title, hosts, label, default, work).describing(lambda chosen: describe(*chosen)),
                    done)


def restore_from_file(app: App, inventory: Inventory, actions: GuestDetailActions) -> None:
    _open(app, inventory, "Restore a guest from a saved file", "Saved file on the host", SAVE_DIR + "/",
          actions.restore, lambda host, name: f"{name} restored on {host}", actions.restore_commands)


def import_definition(app: App, inventory: Inventory, actions: GuestDetailActions) -> None:
    _open(app, inventory, "Import a guest definition", "Definition file (XML) on this machine", "~/",
          actions.import_definition, lambda host, name: f"{name} defined on {host}", actions.import_commands)
