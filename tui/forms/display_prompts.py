"""A graphical console's questions: the display's password, and which key combination
(one a terminal cannot type: ctrl+alt+del, ctrl+alt+F1 ...) to send to the guest."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..widgets.footer import KeyFooter
from .dialog import DialogScreen
from .frame import Escape
from .ssh_prompts import SecretScreen


class DisplayPasswordScreen(SecretScreen):
    """The display's (VNC) password; dismisses with what was typed, or None."""

    ESCAPE = Escape("Cancel", id="display.password.cancel")
    HINT = "enter: connect    escape: cancel"

    def __init__(self, title: str, reason: str) -> None:
        super().__init__(title, "password", reason)

    @property
    def reason(self) -> str:
        return self.prompt

    def heading(self) -> str:
        return f"Password: {self.host}"


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
