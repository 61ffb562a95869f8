"""Pick one of a guest's consoles (serial ports, virtio consoles)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..backend.console import ConsoleDevice
from ..widgets.footer import KeyFooter
from .dialog import DialogScreen
from .frame import Escape


class ConsoleChoiceScreen(DialogScreen):
    """Dismisses with the chosen device's alias, or None."""

    ESCAPE = Escape("Cancel", id="form.cancel")
    WIDTH, MAX_HEIGHT, BORDER, PADDED = 60, "80%", "accent", True
    DEFAULT_CSS = """
    ConsoleChoiceScreen OptionList { height: auto; max-height: 16; }
    """

    def __init__(self, title: str, devices: tuple[ConsoleDevice, ...]) -> None:
        super().__init__()
        self.title_text = title
        self.devices = devices

    def compose(self) -> ComposeResult:
        with self.frame():
            yield Static(Text(self.title_text, style="bold"))
            yield OptionList(*(Option(Text(d.label), id=d.alias or f"#{i}") for i, d in enumerate(self.devices)))
            yield Static(Text("enter: open    escape: cancel", style="dim"))
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.devices[event.option_index].alias)
