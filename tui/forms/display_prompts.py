"""A graphical console's questions: the display's password, and which key combination
(one a terminal cannot type: ctrl+alt+del, ctrl+alt+F1 ...) to send to the guest."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..widgets.footer import KeyFooter
from .dialog import DialogScreen
from .frame import Escape


class DisplayPasswordScreen(DialogScreen):
    """Dismisses with the password typed, or None."""

    ESCAPE = Escape("Cancel", id="display.password.cancel")
    WIDTH, PADDED = 76, True
    DEFAULT_CSS = """
    DisplayPasswordScreen Input { margin-top: 1; }
    """

    def __init__(self, title: str, reason: str) -> None:
        super().__init__()
        self.title_text, self.reason = title, reason

    def compose(self) -> ComposeResult:
        with self.frame(f"Password: {self.title_text}"):
            yield Static(Text(self.reason))
            yield Input(password=True, placeholder="the display's (VNC) password", id="display-password")
            yield Static(Text("enter: connect    escape: cancel", style="dim"))
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)


class KeyCombosScreen(DialogScreen):
    """Dismisses with the chosen combination's keysyms, or None."""

    ESCAPE = Escape("Cancel", id="display.keys.cancel")
    WIDTH, MAX_HEIGHT, BORDER, PADDED = 50, "80%", "accent", True
    DEFAULT_CSS = """
    KeyCombosScreen OptionList { height: auto; max-height: 24; }
    """

    def __init__(self, title: str, combos: list[tuple[str, tuple[int, ...]]]) -> None:
        super().__init__()
        self.title_text = title
        self.combos = combos

    def compose(self) -> ComposeResult:
        with self.frame(f"Send keys: {self.title_text}"):
            yield OptionList(*(Option(Text(label), id=f"combo-{i}") for i, (label, _) in enumerate(self.combos)))
            yield Static(Text("enter: send    escape: cancel", style="dim"))
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.combos[event.option_index][1])
