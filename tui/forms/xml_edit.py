"""The questions of an XML edit: define this diff (y/n)? for a transient guest, define it
persistent or restart it from the edit? and, when the edited XML can't be defined, edit
again or drop the change?"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..actions.xml import EditProblem
from ..widgets.footer import KeyFooter
from .dialog import DialogScreen
from .frame import Escape

class XmlDialog(DialogScreen):
    """The frame the XML edit's questions share."""

    FRAME_BASE = True
    WIDTH, MAX_HEIGHT, BORDER = 110, "90%", "warning"
    DEFAULT_CSS = """
    XmlDialog VerticalScroll { height: auto; max-height: 30; }
    """


class XmlDiffScreen(XmlDialog):
    BINDINGS = [
        Binding("y", "answer(True)", "Define", id="confirm.yes"),
        Binding("n", "answer(False)", "Drop", id="confirm.no"),
    ]
    ESCAPE = Escape("Cancel", action="answer(False)", show=False)

    def __init__(self, title: str, diff: str) -> None:
        super().__init__()
        self.sheet_title = title
        self.diff = diff

    def compose(self) -> ComposeResult:
        from rich.syntax import Syntax  # pygments' lexers: loaded when a diff first shows

        with self.frame(self.sheet_title):
            with VerticalScroll(id="diff"):
                yield Static(Syntax(self.diff, "diff", theme="ansi_dark", word_wrap=True), id="diff-text")
            yield Static(Text("y: define this    n / escape: drop the change", style="dim"))
        yield KeyFooter()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class XmlProblemScreen(XmlDialog):
    """Dismissed with True to edit again, False to drop the change."""

    BINDINGS = [
        Binding("e", "answer(True)", "Edit again", id="xml.reedit"),
        Binding("n", "answer(False)", "Drop", id="confirm.no"),
    ]
    ESCAPE = Escape("Drop", action="answer(False)", show=False)
    BORDER = "error"

    def __init__(self, problem: EditProblem) -> None:
        super().__init__()
        self.problem = problem

    def compose(self) -> ComposeResult:
        with self.frame("This edit can't be defined"):
            where = ""
            if self.problem.line is not None:
                where = f"line {self.problem.line}, column {self.problem.column}: "
            yield Static(Text(where + self.problem.text), id="problem")
            yield Static(Text("e: edit again (your text, this reason on its first line)    n / escape: drop the change",
                              style="dim"))
        yield KeyFooter()

    def action_answer(self, again: bool) -> None:
        self.dismiss(again)


class XmlTransientScreen(XmlDialog):
    """A transient guest's edit: what each way of applying it does; dismissed with the way, or None."""

    BINDINGS = [
        Binding("p", "choose('p')", "Define persistent", id="xml.persist"),
        Binding("r", "choose('r')", "Restart from edit", id="xml.restart"),
        Binding("n", "choose('')", "Drop", id="confirm.no"),
    ]
    ESCAPE = Escape("Drop", action="choose('')", show=False)

    def __init__(self, name: str, choices: tuple[tuple[str, str, str], ...], diff: str) -> None:
        super().__init__()
        self.guest_name = name
        self.choices = {key: (how, said) for key, how, said in choices}
        self.diff = diff

    def compose(self) -> ComposeResult:
        from rich.syntax import Syntax  # pygments' lexers: loaded when a diff first shows

        with self.frame(f"{self.guest_name} is transient: how should this edit apply?"):
            with VerticalScroll(id="diff"):
                yield Static(Syntax(self.diff, "diff", theme="ansi_dark", word_wrap=True), id="diff-text")
            lines = Text()
            for key, (_how, said) in self.choices.items():
                lines.append(f"{key}: ", style="bold")
                lines.append(said + "\n")
            lines.append("n / escape: drop the change; nothing happens", style="dim")
            yield Static(lines, id="choices")
        yield KeyFooter()

    def action_choose(self, key: str) -> None:
        if not key:
            self.dismiss(None)
        elif key in self.choices:
            self.dismiss(self.choices[key][0])
