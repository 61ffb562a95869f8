"""qemu-img on a volume's file: convert to a new file next to it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from ..backend import validate
from ..backend.ssh_images import FORMATS


@dataclass(frozen=True)
class ConvertRequest:
    name: str
    target_format: str
    compress: bool


def default_name(volume: str, target_format: str) -> str:
    stem = volume.rsplit(".", 1)[0] if "." in volume else volume
    return f"{stem}-converted.{'img' if target_format == 'raw' else target_format}"


class ConvertImageScreen(ModalScreen[ConvertRequest | None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Convert", id="form.submit"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]
    DEFAULT_CSS = """
    ConvertImageScreen { align: center middle; }
    ConvertImageScreen > VerticalScroll {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ConvertImageScreen .error { color: $error; height: auto; }
    ConvertImageScreen Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, volume: str, source_format: str | None, taken: set[str]) -> None:
        super().__init__()
        self.volume = volume
        self.source_format = source_format
        self.taken = taken

    def compose(self) -> ComposeResult:
        target = "raw" if self.source_format == "qcow2" else "qcow2"
        with VerticalScroll() as form:
            form.border_title = "Convert with qemu-img"
            intro = Text("Convert ")
            intro.append(self.volume, style="bold")
            intro.append(f" ({self.source_format or 'format unknown'}) into a new file in the same directory, "
                         "on the host. The original stays.")
            yield Static(intro)
            yield Label("Format")
            yield Select([(f, f) for f in FORMATS], value=target, allow_blank=False, id="format")
            yield Checkbox("Compress (qcow2 only)", value=False, id="compress")
            yield Label("New file name")
            yield Input(value=default_name(self.volume, target), id="name")
            yield Static(id="name-error", classes="error")
            with Horizontal():
                yield Button("Convert", variant="primary", id="convert")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#format", Select).focus()

    def request(self) -> ConvertRequest:
        return ConvertRequest(self.query_one("#name", Input).value, str(self.query_one("#format", Select).value),
                              self.query_one("#compress", Checkbox).value)

    def problem(self) -> str | None:
        request = self.request()
        if request.compress and request.target_format != "qcow2":
            return "Only qcow2 images can be compressed"
        return validate.check_name(request.name, "volume", self.taken)

    def on_select_changed(self, event: Select.Changed) -> None:
        box = self.query_one("#name", Input)
        if box.value == default_name(self.volume, "raw" if event.value == "qcow2" else "qcow2"):
            box.value = default_name(self.volume, str(event.value))
        self._show()

    def on_checkbox_changed(self) -> None:
        self._show()

    def on_input_changed(self) -> None:
        self._show()

    def _show(self) -> None:
        self.query_one("#name-error", Static).update(Text(self.problem() or ""))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_submit() if event.button.id == "convert" else self.action_cancel()

    def action_submit(self) -> None:
        problem = self.problem()
        if problem:
            self._show()
            return
        self.dismiss(self.request())

    def action_cancel(self) -> None:
        self.dismiss(None)
