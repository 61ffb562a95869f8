"""Forms for the volumes of a pool: new, resize, clone, upload, download, and the info sheet."""

from __future__ import annotations

import os
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Checkbox, Input, Label, Select, Static

from ..backend import validate
from ..backend.model import Volume
from ..actions.volumes import LocalImage, VolumeDetails, definition, probe_local
from ..backend.xml.volume import VOLUME_FORMATS, VolumeSpec
from ..render.cells import size_text
from ..backend.units import size_input
from .dialog import DialogScreen
from .form import FormScreen
from .frame import Escape
from .pool_space import new_volume_space
from ..widgets.footer import KeyFooter

THIN, PREALLOCATED = "thin", "preallocated"


def _error(field: str) -> Static:
    return Static(classes="error", id=f"{field}-error")


class NewVolumeScreen(FormScreen):
    """Name, format, capacity, allocation and an optional backing volume; the XML it will create."""

    FIELDS = ("name", "format", "capacity", "allocation", "backing")
    SUBMIT = "Create"

    def __init__(self, pool: str, host: str, taken: set[str], backings: list[Volume],
                 available: int | None = None, allocates_in_full: bool = False) -> None:
        """`available`: the pool's free bytes; `allocates_in_full`: the host (libvirt's test
        driver) allocates a new volume's whole capacity, thin or not."""
        super().__init__()
        self.pool = pool
        self.host = host
        self.taken = taken
        self.backings = [vol for vol in backings if vol.path]
        self.available = available
        self.allocates_in_full = allocates_in_full

    def compose(self) -> ComposeResult:
        with self.frame("New volume"):
            intro = Text("In pool ")
            intro.append(self.pool, style="bold")
            intro.append(f" on {self.host}")
            yield Static(intro)
            yield Label("Name")
            yield Input(placeholder="disk.qcow2", id="name")
            yield _error("name")
            yield Label("Format")
            yield Select([(f, f) for f in VOLUME_FORMATS], value="qcow2", allow_blank=False, id="format")
            yield _error("format")
            yield Label("Capacity")
            yield Input(placeholder="e.g. 20G (G = GiB)", id="capacity")
            yield _error("capacity")
            yield Label("Allocation")
            yield Select([("thin: allocated as written", THIN),
                          ("preallocated: the whole capacity allocated now", PREALLOCATED)],
                         value=THIN, allow_blank=False, id="allocation")
            yield _error("allocation")
            yield Static(id="space-note", classes="note")
            yield Label("Backing volume (makes a qcow2 overlay)")
            yield Select([(Text(f"{vol.name} ({vol.format or '?'}, {size_text(vol.capacity)})"), index)
                          for index, vol in enumerate(self.backings)],
                         prompt="none", allow_blank=True, id="backing")
            yield _error("backing")
            yield Static(id="preview")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self.changed()

    @property
    def backing(self) -> Volume | None:
        value = self.query_one("#backing", Select).value
        return self.backings[value] if isinstance(value, int) else None

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "backing" and self.backing is not None:
            self.query_one("#format", Select).value = "qcow2"
            self.query_one("#allocation", Select).value = THIN
            self.query_one("#capacity", Input).value = size_input(self.backing.capacity)
        self.changed()

    def errors(self) -> dict[str, str]:
        found: dict[str, str | None] = {}
        found["name"] = validate.check_name(self.value("name"), "volume", self.taken)
        fmt = self.query_one("#format", Select).value
        capacity, found["capacity"] = validate.parse_volume_size(self.value("capacity"), str(fmt))
        backing = self.backing
        if backing is not None:
            if fmt != "qcow2":
                found["format"] = "An overlay on a backing volume is qcow2"
            if self.query_one("#allocation", Select).value == PREALLOCATED:
                found["allocation"] = "An overlay is thin: it holds only what differs from its backing volume"
            if capacity is not None and capacity < backing.capacity:
                found["capacity"] = f"At least the backing volume's {size_text(backing.capacity)}"
        if capacity is not None and not found.get("capacity"):
            preallocated = self.query_one("#allocation", Select).value == PREALLOCATED
            refused, _warning = new_volume_space(capacity, preallocated, self.available, self.allocates_in_full)
            if refused:
                found["allocation" if preallocated else "capacity"] = refused
        return {key: message for key, message in found.items() if message}

    def space_warning(self) -> str | None:
        capacity, problem = validate.parse_volume_size(self.value("capacity"),
                                                       str(self.query_one("#format", Select).value))
        if capacity is None or problem:
            return None
        preallocated = self.query_one("#allocation", Select).value == PREALLOCATED
        return new_volume_space(capacity, preallocated, self.available, self.allocates_in_full)[1]

    def spec(self) -> VolumeSpec | None:
        if self.errors():
            return None
        capacity, _ = validate.parse_volume_size(self.value("capacity"), str(self.query_one("#format", Select).value))
        backing = self.backing
        preallocate = self.query_one("#allocation", Select).value == PREALLOCATED
        return VolumeSpec(
            name=self.value("name"), capacity=capacity, format=str(self.query_one("#format", Select).value),
            allocation=capacity if preallocate else 0,
            backing_path=backing.path if backing else None,
            backing_format=(backing.format or "raw") if backing else None,
        )

    def changed(self) -> None:
        super().changed()
        self.query_one("#space-note", Static).update(Text(self.space_warning() or ""))
        spec = self.spec()
        preview = self.query_one("#preview", Static)
        if spec is None:
            preview.update(Text("The XML shows here once every field is right."))
        else:
            preview.update(Text("Will create:\n" + definition(spec)))

    def result(self) -> VolumeSpec:
        return self.spec()


@dataclass(frozen=True)
class ResizeRequest:
    capacity: int
    shrink: bool


class ResizeVolumeScreen(FormScreen):
    FIELDS = ("capacity", "shrink")
    SUBMIT = "Resize"

    def __init__(self, volume: Volume) -> None:
        super().__init__()
        self.volume = volume

    def compose(self) -> ComposeResult:
        with self.frame("Resize a volume"):
            intro = Text()
            intro.append(self.volume.name, style="bold")
            intro.append(f": now {size_text(self.volume.capacity)} ({self.volume.capacity} bytes), "
                         f"{size_text(self.volume.allocation)} allocated")
            yield Static(intro)
            yield Label("New capacity")
            yield Input(value=size_input(self.volume.capacity), id="capacity")
            yield _error("capacity")
            yield Checkbox("shrink: make it smaller (what lies past the new end is lost)", value=False, id="shrink")
            yield _error("shrink")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#capacity", Input).focus()

    def errors(self) -> dict[str, str]:
        capacity, error = validate.parse_volume_size(self.value("capacity"), self.volume.format)
        if error:
            return {"capacity": error}
        shrink = self.query_one("#shrink", Checkbox).value
        if capacity == self.volume.capacity:
            return {"capacity": "That is its size now"}
        if capacity < self.volume.capacity and not shrink:
            return {"capacity": "Smaller than it is: tick shrink to make it smaller"}
        if capacity > self.volume.capacity and shrink:
            return {"shrink": "Shrink is ticked but the new capacity is larger"}
        return {}

    def result(self) -> ResizeRequest:
        capacity, _ = validate.parse_size(self.value("capacity"))
        return ResizeRequest(capacity, self.query_one("#shrink", Checkbox).value)


@dataclass(frozen=True)
class CloneRequest:
    pool_uuid: str
    name: str


def default_copy_name(name: str, taken: set[str]) -> str:
    stem, ext = os.path.splitext(name)
    candidate, n = f"{stem}-copy{ext}", 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-copy{n}{ext}"
    return candidate


class CloneVolumeScreen(FormScreen):
    FIELDS = ("pool", "name")
    SUBMIT = "Clone"

    def __init__(self, volume: Volume, pools: list[tuple[str, str]], taken: dict[str, set[str]]) -> None:
        """`pools`: (name, uuid) of the active pools of the volume's host; `taken`: names per pool uuid."""
        super().__init__()
        self.volume = volume
        self.pools = pools
        self.taken = taken

    def compose(self) -> ComposeResult:
        with self.frame("Clone a volume"):
            intro = Text("Copy ")
            intro.append(self.volume.name, style="bold")
            intro.append(f" ({self.volume.format or '?'}, {size_text(self.volume.capacity)}) into a new volume")
            yield Static(intro)
            yield Label("Pool")
            yield Select([(Text(name), uuid) for name, uuid in self.pools], value=self.volume.pool_uuid,
                         allow_blank=False, id="pool")
            yield _error("pool")
            yield Label("Name of the copy")
            yield Input(value=default_copy_name(self.volume.name, self.taken.get(self.volume.pool_uuid, set())),
                        id="name")
            yield _error("name")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def errors(self) -> dict[str, str]:
        pool = str(self.query_one("#pool", Select).value)
        error = validate.check_name(self.value("name"), "volume", self.taken.get(pool, set()))
        return {"name": error} if error else {}

    def result(self) -> CloneRequest:
        return CloneRequest(str(self.query_one("#pool", Select).value), self.value("name"))


@dataclass(frozen=True)
class UploadRequest:
    local_path: str
    name: str
    new: bool
    image: LocalImage


NEW_VOLUME = "__new__"


def local_problem(path: str) -> tuple[LocalImage | None, str | None]:
    if not path:
        return None, "Enter the path of a file on this machine"
    if not os.path.isfile(path):
        return None, "No such file here" if not os.path.exists(path) else "Not a regular file"
    try:
        return probe_local(path), None
    except OSError as exc:
        return None, exc.strerror or str(exc)


class UploadVolumeScreen(FormScreen):
    FIELDS = ("path", "target", "name")
    SUBMIT = "Upload"

    def __init__(self, pool: str, host: str, volumes: list[Volume]) -> None:
        super().__init__()
        self.pool = pool
        self.host = host
        self.volumes = sorted(volumes, key=lambda vol: vol.name)

    def compose(self) -> ComposeResult:
        with self.frame("Upload a file into a volume"):
            intro = Text("From this machine to pool ")
            intro.append(self.pool, style="bold")
            intro.append(f" on {self.host}")
            yield Static(intro)
            yield Label("Local file")
            yield Input(placeholder="/path/to/disk.qcow2 or image.iso", id="path")
            yield _error("path")
            yield Static(id="detected", classes="note")
            yield Label("Into")
            yield Select([("a new volume", NEW_VOLUME)]
                         + [(Text(f"{vol.name} ({size_text(vol.capacity)})"), vol.name) for vol in self.volumes],
                         value=NEW_VOLUME, allow_blank=False, id="target")
            yield _error("target")
            yield Label("Name of the new volume", classes="new-field")
            yield Input(id="name", classes="new-field")
            yield _error("name")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @property
    def new(self) -> bool:
        return self.query_one("#target", Select).value == NEW_VOLUME

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "path":
            name = self.query_one("#name", Input)
            if not name.value or name.value == getattr(self, "_suggested", None):
                self._suggested = os.path.basename(event.value)
                name.value = self._suggested
        # FormScreen's own handler follows and calls changed()

    def changed(self) -> None:
        for widget in self.query(".new-field"):
            widget.set_class(not self.new, "hidden")
        image, _error_text = local_problem(self.value("path"))
        note = ""
        if image is not None:
            note = f"{image.format}, {size_text(image.size)}"
            if image.format == "qcow2":
                note += f", virtual size {size_text(image.capacity)}"
        self.query_one("#detected", Static).update(Text(note))
        super().changed()

    def errors(self) -> dict[str, str]:
        found: dict[str, str | None] = {}
        image, found["path"] = local_problem(self.value("path"))
        if self.new:
            found["name"] = validate.check_name(self.value("name"), "volume", {v.name for v in self.volumes})
        elif image is not None:
            target = next(v for v in self.volumes if v.name == self.query_one("#target", Select).value)
            if image.format == "raw" and image.size > target.capacity:
                found["target"] = f"The file ({size_text(image.size)}) is larger than {target.name}"
        return {key: message for key, message in found.items() if message}

    def result(self) -> UploadRequest:
        image, _ = local_problem(self.value("path"))
        name = self.value("name") if self.new else str(self.query_one("#target", Select).value)
        return UploadRequest(self.value("path"), name, self.new, image)


@dataclass(frozen=True)
class DownloadRequest:
    local_path: str


class DownloadVolumeScreen(FormScreen):
    FIELDS = ("path", "overwrite")
    SUBMIT = "Download"

    def __init__(self, volume: Volume, directory: str | None = None) -> None:
        super().__init__()
        self.volume = volume
        self.directory = directory or os.getcwd()

    def compose(self) -> ComposeResult:
        with self.frame("Download a volume"):
            intro = Text()
            intro.append(self.volume.name, style="bold")
            intro.append(f" ({self.volume.format or '?'}, {size_text(self.volume.allocation)} allocated) "
                         "to a file on this machine")
            yield Static(intro)
            yield Label("Local file")
            yield Input(value=os.path.join(self.directory, self.volume.name), id="path")
            yield _error("path")
            yield Checkbox("overwrite the file if it exists", value=False, id="overwrite")
            yield _error("overwrite")
            yield from self.buttons()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()
        self.changed()

    def errors(self) -> dict[str, str]:
        path = self.value("path")
        if not path:
            return {"path": "Enter the path of the file to write"}
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            return {"path": f"No folder {folder} here"}
        if os.path.isdir(path):
            return {"path": "That is a folder: add a file name"}
        if os.path.exists(path) and not self.query_one("#overwrite", Checkbox).value:
            return {"overwrite": "The file exists: tick overwrite to replace it"}
        return {}

    def result(self) -> DownloadRequest:
        return DownloadRequest(self.value("path"))


class VolumeInfoScreen(DialogScreen):
    BINDINGS = [Binding("enter", "close", "Close", show=False)]
    ESCAPE = Escape("Close", id="info.close", action="close")
    WIDTH, MAX_HEIGHT, BORDER, SCROLLS = 100, "90%", "round", True

    def __init__(self, info: VolumeDetails) -> None:
        super().__init__()
        self.info = info

    def sheet(self) -> Text:
        info = self.info
        text = Text()
        rows = [
            ("Name", info.name), ("Pool", info.pool), ("Format", info.format or "?"),
            ("Capacity", f"{size_text(info.capacity)} ({info.capacity} bytes)"),
            ("Allocation", f"{size_text(info.allocation)} ({info.allocation} bytes)"),
            ("Path", info.path or "?"),
        ]
        for label, value in rows:
            text.append(f"{label:<12}", style="bold")
            text.append(f"{value}\n")
        text.append(f"{'Backing':<12}", style="bold")
        if not info.backing_chain:
            text.append("none\n")
        for depth, (path, fmt) in enumerate(info.backing_chain):
            text.append(("" if depth == 0 else " " * 12) + "└" * (depth > 0) + f"{path} ({fmt or '?'})\n")
        text.append(f"{'Used by':<12}", style="bold")
        if not info.uses:
            text.append("no guest or volume of this host")
        for index, use in enumerate(info.uses):
            text.append(("\n" + " " * 12) * (index > 0) + use.text)
            if use.guest is not None:
                text.append(f" ({use.state or ('running' if use.active else 'shut off')})", style="dim")
        return text

    def compose(self) -> ComposeResult:
        with self.frame("Volume"):
            yield Static(self.sheet(), id="sheet")
        yield KeyFooter()

    def action_close(self) -> None:
        self.dismiss(None)
