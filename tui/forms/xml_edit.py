"""The two questions of an XML edit: define this diff (y/n)? and, when the
edited XML can't be defined, edit again or drop the change?"""

from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..backend.ops.xml_edit import EditProblem
from ..widgets.footer import KeyFooter

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 110; max-width: 95%; height: auto; max-height: 90%;
    border: thick $warning; background: $surface; padding: 0 1;
}}
{name} VerticalScroll {{ height: auto; max-height: 30; }}
"""


class XmlDiffScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Define", id="confirm.yes"),
        Binding("n", "answer(False)", "Drop", id="confirm.no"),
        Binding("escape", "answer(False)", "Cancel", show=False),
    ]
    DEFAULT_CSS = _CSS.format(name="XmlDiffScreen")

    def __init__(self, title: str, diff: str) -> None:
        super().__init__()
        self.sheet_title = title
        self.diff = diff

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(self.sheet_title)
            with VerticalScroll(id="diff"):
                yield Static(Syntax(self.diff, "diff", theme="ansi_dark", word_wrap=True), id="diff-text")
            yield Static(Text("y: define this    n / escape: drop the change", style="dim"))
        yield KeyFooter()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class XmlProblemScreen(ModalScreen[bool]):
    """Dismissed with True to edit again, False to drop the change."""

    BINDINGS = [
        Binding("e", "answer(True)", "Edit again", id="xml.reedit"),
        Binding("n", "answer(False)", "Drop", id="confirm.no"),
        Binding("escape", "answer(False)", "Drop", show=False),
    ]
    DEFAULT_CSS = _CSS.format(name="XmlProblemScreen").replace("$warning", "$error")

    def __init__(self, problem: EditProblem) -> None:
        super().__init__()
        self.problem = problem

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "This edit can't be defined"
            where = ""
            if self.problem.line is not None:
                where = f"line {self.problem.line}, column {self.problem.column}: "
            yield Static(Text(where + self.problem.text), id="problem")
            yield Static(Text("e: edit again    n / escape: drop the change", style="dim"))
        yield KeyFooter()

    def action_answer(self, again: bool) -> None:
        self.dismiss(again)
