"""The one frame of every dialog, and the one confirmation convention: `y` confirms,
`n` / `escape` cancels; where a name must be typed, `enter` in that field confirms once
it matches. `enter` anywhere else says which keys answer, so it never answers by surprise.

A dialog asks yes or no (`ConfirmScreen`, the delete dialogs), for a typed name
(`TypedName`), for a choice (one key per answer, or a list), for a line of text (a
prompt), or shows a sheet to close.

`F2` in every form and dialog that does something opens the `CommandSheet`: the command
lines that do the same (`ModalFrame.command`), to copy with `c`."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, Static

from ..backend.commands import CommandLine, rendered
from .frame import Escape, ModalFrame
from ..widgets.footer import KeyFooter

YES_NO_HINT = "y: yes    n / escape: no"


def yes_no_bindings(yes: str = "submit", yes_label: str = "Yes", no_label: str = "No") -> list[Binding]:
    """`y` / `n` for a dialog (`escape` is the frame's, the same action as `n`); `enter`
    (hidden) says which keys answer."""
    return [
        Binding("y", yes, yes_label, id="confirm.yes"),
        Binding("n", "cancel", no_label, id="confirm.no"),
        Binding("enter", "explain_keys", "Say which keys answer", show=False),
    ]


class TypedName(Input):
    """The field where a name is typed to confirm: `enter` in it confirms once it matches
    (the dialog says why not when it does not)."""

    BINDINGS = [Binding("enter", "submit", "Delete")]


class DialogScreen(ModalFrame):
    """A dialog: a plain framed column (no scrolling unless `SCROLLS`), as tall as it needs.
    `escape` cancels (shown when `n` is not: a text field has it)."""

    FRAME_BASE = True
    ESCAPE = Escape("Cancel", id="confirm.cancel")
    WIDTH = 70
    MAX_HEIGHT = None
    BORDER = "thick"
    SCROLLS = False
    DEFAULT_CSS = """
    DialogScreen .answers { height: auto; margin-top: 1; }
    DialogScreen #error { color: $error; height: auto; }
    """

    def buttons(self, label: str) -> ComposeResult:
        """The answer and cancel buttons, for the mouse: they take no focus, so `enter` on
        one never answers by surprise."""
        with Horizontal(classes="answers"):
            for button in (Button(label, variant="error", id="delete"), Button("Cancel", id="cancel")):
                button.can_focus = False
                yield button

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_submit() if event.button.id == "delete" else self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, TypedName):
            event.stop()
            self.action_submit()

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, TypedName):
            self.say("")

    def say(self, text: str) -> None:
        """The dialog's line (`#error`) saying why it does not go on yet, or which keys answer."""
        self.query_one("#error", Static).update(Text(text))

    def action_show_command(self) -> None:
        show_command_sheet(self)


def show_command_sheet(modal: ModalFrame) -> None:
    """`F2`: the sheet with the command lines of what `modal` does (or what to fix first)."""
    if not modal.has_command():
        return
    title = modal.border_title_text()
    problem = modal.command_problem()
    if problem:
        modal.app.push_screen(CommandSheet(title, [], problem=problem))
    else:
        modal.app.push_screen(CommandSheet(title, modal.command() or [], xml=modal.command_xml()))


NOTHING = "nothing to run: as it stands, this changes nothing"


class CommandSheet(DialogScreen):
    BINDINGS = [
        Binding("c", "copy", "Copy", id="command.copy"),
        Binding("enter", "cancel", "Close", show=False),
    ]
    ESCAPE = Escape("Close", id="command.close")
    WIDTH = 110
    MAX_HEIGHT = "90%"
    SCROLLS = True
    DEFAULT_CSS = """
    CommandSheet #command-lines { height: auto; }
    CommandSheet #command-xml { height: auto; margin-top: 1; color: $text-muted; }
    CommandSheet #command-problem { height: auto; color: $warning; }
    CommandSheet #command-outcome { height: auto; margin-top: 1; color: $text-muted; }
    """

    def __init__(self, title: str, commands: list[CommandLine], xml: str | None = None,
                 problem: str | None = None, text: str | None = None, outcome: str | None = None) -> None:
        """`text`: the lines as already rendered (the action log's); `outcome`: how it ended."""
        super().__init__()
        self.title_text = title
        self.text = text if text is not None else rendered(commands)  # what `c` copies
        self.xml = xml
        self.problem = problem
        self.outcome = outcome

    def compose(self) -> ComposeResult:
        with self.frame(f"The command: {self.title_text}" if self.title_text else "The command"):
            if self.problem:
                yield Static(Text(self.problem), id="command-problem")
            else:
                yield Static(Text(self.text or NOTHING), id="command-lines")
            if self.outcome:
                yield Static(Text(self.outcome), id="command-outcome")
            if self.xml:
                yield Static(Text(self.xml), id="command-xml")
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy":
            return bool(self.text)
        return super().check_action(action, parameters)

    def has_command(self) -> bool:
        return False

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify("copied to the clipboard (OSC 52)", timeout=3)

