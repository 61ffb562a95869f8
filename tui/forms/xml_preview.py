"""The exact XML a create form is about to define, highlighted: `y`/`enter`
defines it, `n`/`escape` goes back to the form."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..widgets.footer import KeyFooter
from .dialog import DialogScreen
from .frame import Escape


class XmlPreviewScreen(DialogScreen):
    BINDINGS = [
        Binding("y", "answer(True)", "Define", id="confirm.yes"),
        Binding("enter", "answer(True)", "Define", show=False),
        Binding("n", "answer(False)", "Back to the form", id="confirm.no"),
    ]
    ESCAPE = Escape("Back", action="answer(False)", show=False)
    WIDTH, MAX_HEIGHT = 110, "90%"
    DEFAULT_CSS = """
    XmlPreviewScreen VerticalScroll { height: auto; max-height: 32; }
    XmlPreviewScreen #steps { margin-top: 1; }
    """

    def __init__(self, title: str, xml: str, steps: str | Text = "", plan: object = None) -> None:
        super().__init__()
        self.sheet_title = title
        self.xml = xml
        self.steps = steps
        self.plan = plan  # what the form will do when the answer is yes

    def compose(self) -> ComposeResult:
        from rich.syntax import Syntax  # pygments' lexers: loaded when a sheet first shows

        with self.frame(self.sheet_title):
            with VerticalScroll(id="xml"):
                yield Static(Syntax(self.xml, "xml", theme="ansi_dark", line_numbers=True, word_wrap=True),
                             id="xml-text")
            if self.steps:
                yield Static(self.steps if isinstance(self.steps, Text) else Text(self.steps), id="steps")
            yield Static(Text("y / enter: define    n / escape: back to the form", style="dim"))
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#xml").focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
