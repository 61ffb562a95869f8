"""The XML of a guest, network or pool: highlighted, scrollable, read-only;
`e` edits the persistent definition in $EDITOR (which gets the terminal), shows
the diff and defines it after `y`. A transient guest's edit asks first whether to
define it persistent or restart it from the edit. An edit that can't be defined
goes back to the editor as the user left it, with the reason on top."""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from .. import terminal
from ..actions import xml as xml_edit
from ..calls import AnswersCalls
from ..forms.xml_edit import XmlDiffScreen, XmlProblemScreen, XmlTransientScreen
from ..widgets.footer import KeyFooter
from .context import ScreenContext


class XmlScreen(AnswersCalls, Screen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("e", "edit", "Edit", id="xml.edit"),
    ]
    DEFAULT_CSS = """
    XmlScreen #xml-title { height: 1; background: $panel; padding: 0 1; }
    XmlScreen #xml-box { padding: 0 1; }
    """

    def __init__(self, ctx: ScreenContext, kind: str, conn_id: str, uuid: str, name: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.kind = kind  # guest, network or pool
        self.conn_id = conn_id
        self.uuid = uuid
        self.object_name = name
        self.xml: str | None = None
        self.scope: xml_edit.EditScope | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="xml-title")
        with VerticalScroll(id="xml-box"):
            yield Static(Text("reading the XML…", style="dim"), id="xml-text")
        yield KeyFooter()

    @property
    def read_only(self) -> bool:
        host = self.ctx.inventory.hosts.get(self.conn_id)
        return host is None or host.read_only

    def on_mount(self) -> None:
        self.query_one("#xml-box").focus()
        self.load()

    def title_line(self) -> Text:
        line = Text(f"{self.kind} ", style="bold")
        line.append(self.object_name, style="bold")
        if self.scope is not None:
            line.append(f"  — {self.scope.header}", style="dim")
        if self.read_only:
            line.append("   read-only host: view only", style="bold yellow")
        return line

    def load(self) -> None:
        self.query_one("#xml-title", Static).update(self.title_line())
        self.ctx.actions.xml.read(self, self.kind, self.conn_id, self.uuid, self.loaded)

    def loaded(self, result: tuple[str, xml_edit.EditScope] | None, error: str | None) -> None:
        box = self.query_one("#xml-text", Static)
        if error is not None:
            box.update(Text(f"Could not read the XML: {error}", style="red"))
            self.notify(f"{self.object_name}: {error}", severity="error", markup=False)
            return
        xml, self.scope = result
        self.query_one("#xml-title", Static).update(self.title_line())
        self.xml = xml
        from rich.syntax import Syntax  # pygments' lexers: loaded when XML first shows

        box.update(Syntax(xml, "xml", theme="ansi_dark", line_numbers=True, word_wrap=False))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit":
            return True if self.xml is not None and not self.read_only else None
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_key(self, event) -> None:
        # A disabled binding never reaches its action: say why here instead.
        if event.key == "e" and self.read_only:
            event.stop()
            self.notify("This host is read-only: the XML can only be viewed.", severity="warning")

    # -- edit ------------------------------------------------------------

    def action_edit(self, text: str | None = None) -> None:
        """Edit the XML shown, or `text` (the user's last edit, with why it was refused on top)."""
        if self.xml is None or self.read_only:
            self.notify("This host is read-only: the XML can only be viewed.", severity="warning")
            return
        before = self.xml
        edited = run_editor(self.app, text if text is not None else before)
        if edited is None:
            return
        after, reason_lines = xml_edit.without_reason(edited)
        if after == before:
            self.notify("No change: nothing defined.", markup=False)
            return
        problem = xml_edit.check_edit(self.kind, before, after)
        if problem is not None:
            if problem.line is not None:  # where the user saw it, the reason line included
                problem = dataclasses.replace(problem, line=problem.line + reason_lines)
            self.refused(after, problem)
            return
        diff = xml_edit.unified_diff(before, after, self.object_name)
        scope = self.scope
        if scope is not None and scope.transient:
            def chosen(how: str | None) -> None:
                if how:
                    self.define(before, after, how)
                else:
                    self.notify("Edit dropped: nothing changed.")

            self.app.push_screen(XmlTransientScreen(self.object_name, scope.choices, diff).describing(
                lambda: self.ctx.actions.xml.transient_commands(self.conn_id, self.uuid)), chosen)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.define(before, after)
            else:
                self.notify("Edit dropped: nothing defined.")

        self.app.push_screen(XmlDiffScreen(f"Define this change to {self.kind} {self.object_name}?", diff).describing(
            lambda: self.ctx.actions.xml.define_commands(self.kind, self.conn_id)), answered)

    def refused(self, after: str, problem: xml_edit.EditProblem) -> None:
        """Offer the edit back to the editor, as the user left it, with the reason on top."""
        def again(yes: bool | None) -> None:
            if yes:
                self.call_later(self.action_edit, xml_edit.with_reason(after, problem_text(problem)))
            else:
                self.notify("Edit dropped: nothing defined.")

        self.app.push_screen(XmlProblemScreen(problem), again)

    def define(self, before: str, after: str, how: str | None = None) -> None:
        def done(said: str | None, error: str | None) -> None:
            self.load()  # show what is defined now
            if error is not None:
                if "changed since it was shown" in error:
                    self.notify(f"{self.object_name}: {error}", title="Define failed", severity="error",
                                markup=False)
                    return
                self.refused(after, xml_edit.EditProblem(f"libvirt refused it: {error}"))
                return
            self.notify(f"{self.object_name}: {said}.", markup=False)

        self.ctx.actions.xml.define(self, self.kind, self.conn_id, self.uuid, before, after, how, done)


def problem_text(problem: xml_edit.EditProblem) -> str:
    where = f"line {problem.line}, column {problem.column}: " if problem.line is not None else ""
    return where + problem.text


def editor_command() -> list[str]:
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


def run_editor(app, text: str) -> str | None:
    """Edit `text` in the user's editor with the app suspended and the terminal the editor's
    stdin, stdout and stderr (descriptors 1 and 2 of the app go to its log); None if the editor failed."""
    with tempfile.TemporaryDirectory(prefix="virtdeck-") as tmp:
        path = Path(tmp) / "definition.xml"
        path.write_text(text, encoding="utf-8")
        command = [*editor_command(), str(path)]
        tty = terminal.terminal()
        streams = {} if tty is None else {"stdin": tty, "stdout": tty, "stderr": tty}
        try:
            try:
                with app.suspend():
                    proc = subprocess.run(command, **streams)
            except SuspendNotSupported:  # headless (tests) or web: the editor runs without the terminal
                proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True)
        except OSError as exc:
            app.notify(f"Could not run {command[0]}: {exc}", severity="error", markup=False)
            return None
        if proc.returncode != 0:
            app.notify(f"{command[0]} exited with status {proc.returncode}: nothing defined.",
                       severity="error", markup=False)
            return None
        return path.read_text(encoding="utf-8")
