"""Pick one of a guest's consoles (serial ports, virtio consoles)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..backend.console import ConsoleDevice
from ..widgets.footer import KeyFooter


class ConsoleChoiceScreen(ModalScreen[str | None]):
    """Dismisses with the chosen device's alias, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]
    DEFAULT_CSS = """
    ConsoleChoiceScreen { align: center middle; }
    ConsoleChoiceScreen > Vertical {
        width: 60; max-width: 95%; height: auto; max-height: 80%;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    ConsoleChoiceScreen OptionList { height: auto; max-height: 16; }
    """

    def __init__(self, title: str, devices: tuple[ConsoleDevice, ...]) -> None:
        super().__init__()
        self.title_text = title
        self.devices = devices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield OptionList(*(Option(Text(d.label), id=d.alias or f"#{i}") for i, d in enumerate(self.devices)))
            yield Static(Text("enter: open    escape: cancel", style="dim"))
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.devices[event.option_index].alias)

    def action_cancel(self) -> None:
        self.dismiss(None)
