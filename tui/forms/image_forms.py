"""qemu-img on a volume's file: convert to a new file next to it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Label, Select, Static

from ..backend import validate
from ..backend.ssh_images import FORMATS
from .form import FormScreen
from ..widgets.footer import KeyFooter


@dataclass(frozen=True)
class ConvertRequest:
    name: str
    target_format: str
    compress: bool


def default_name(volume: str, target_format: str) -> str:
    stem = volume.rsplit(".", 1)[0] if "." in volume else volume
    return f"{stem}-converted.{'img' if target_format == 'raw' else target_format}"


class ConvertImageScreen(FormScreen):
    SUBMIT = "Convert"
    FIELDS = ("compress", "name")

    def __init__(self, volume: str, source_format: str | None, taken: set[str]) -> None:
        super().__init__()
        self.volume = volume
        self.source_format = source_format
        self.taken = taken

    def compose(self) -> ComposeResult:
        target = "raw" if self.source_format == "qcow2" else "qcow2"
        with self.frame("Convert with qemu-img"):
            intro = Text("Convert ")
            intro.append(self.volume, style="bold")
            intro.append(f" ({self.source_format or 'format unknown'}) into a new file in the same directory, "
                         "on the host. The original stays.")
            yield Static(intro)
            yield Label("Format")
            yield Select([(f, f) for f in FORMATS], value=target, allow_blank=False, id="format")
            yield Checkbox("Compress (qcow2 only)", value=False, id="compress")
            yield Static(id="compress-error", classes="error")
            yield Label("New file name")
            yield Input(value=default_name(self.volume, target), id="name")
            yield Static(id="name-error", classes="error")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#format", Select).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        box = self.query_one("#name", Input)
        if box.value == default_name(self.volume, "raw" if event.value == "qcow2" else "qcow2"):
            box.value = default_name(self.volume, str(event.value))
        self.changed()

    def result(self) -> ConvertRequest:
        return ConvertRequest(self.value("name"), str(self.query_one("#format", Select).value),
                              self.query_one("#compress", Checkbox).value)

    def errors(self) -> dict[str, str]:
        request = self.result()
        found = {}
        if request.compress and request.target_format != "qcow2":
            found["compress"] = "Only qcow2 images can be compressed"
        if problem := validate.check_name(request.name, "volume", self.taken):
            found["name"] = problem
        return found
