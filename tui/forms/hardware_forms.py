"""Forms of the Hardware tab: vCPUs and memory, CD-ROM media, a new disk, a new NIC."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Label, Select, Static

from ..backend import validate
from ..actions import guest_detail as ops
from ..backend.xml import devices as dx
from ..backend.units import size_text
from ..widgets.footer import KeyFooter
from .form import FormScreen

Choices = list[tuple[str, str]]  # (label, value)


class HardwareForm(FormScreen):
    """A form of the Hardware tab: `fields()` yields its widgets (`field()`: a label, the
    widget, its problem line), `errors()` says what is wrong per field id (shown as typed once
    the field has text, every one after a submit), `result()` builds what it dismisses with or
    hands to `performing`."""

    TITLE_TEXT = ""
    SUBMIT = "Apply"
    WIDTH, MAX_HEIGHT, BORDER = 90, "90%", "thick"
    ERROR_ROOM = True
    DEFAULT_CSS = """
    HardwareForm .warning { color: $warning; height: auto; }
    HardwareForm Label { margin-top: 1; }
    HardwareForm Checkbox { margin-top: 0; }
    """

    def compose(self) -> ComposeResult:
        with self.frame(self.TITLE_TEXT):
            yield from self.fields()
            yield from self.buttons()
        yield KeyFooter()

    def fields(self) -> ComposeResult:
        yield from ()

    @staticmethod
    def field(label: str, widget, field_id: str) -> ComposeResult:
        yield Label(Text(label))
        yield widget
        yield Static(id=f"{field_id}-error", classes="error")

    def on_mount(self) -> None:
        first = self.query("Input, Select, Checkbox").first()
        first.focus()

    def shows_problem(self, field: str) -> bool:
        """As typed, an Input's problem shows once it holds more than spaces; after a submit,
        every problem shows."""
        if self.submitted:
            return True
        found = self.query(f"#{field}")
        return bool(found) and isinstance(found.first(), Input) and bool(found.first().value.strip())


# -- vCPUs and memory -----------------------------------------------------------


@dataclass(frozen=True)
class CpuMemoryRequest:
    vcpus: int | None  # None: unchanged
    memory_kib: int | None
    live: bool
    config: bool


class CpuMemoryScreen(HardwareForm):
    TITLE_TEXT = "vCPUs and memory"

    def __init__(self, view: ops.HardwareView, warn: Callable[[int | None, int | None], str | None],
                 max_vcpus: int | None = None, memory_limit: tuple[int, str] | None = None) -> None:
        """`max_vcpus`: the most this hypervisor takes (None: unknown); `memory_limit`: the most
        memory a guest may have on this host, and why (validate.memory_limit)."""
        super().__init__()
        self.view = view
        self.warn = warn
        self.max_vcpus = max_vcpus
        self.memory_limit = memory_limit or (validate.MEMORY_MAX, "libvirt's ceiling on guest memory")

    def fields(self) -> ComposeResult:
        base = self.view.next_boot
        yield Static(Text(f"Now: {self.view.current.vcpus} of {self.view.current.max_vcpus} vCPUs, "
                          f"{size_text(self.view.current.memory_kib * 1024)} of {size_text(self.view.current.max_memory_kib * 1024)}"
                          + ("" if self.view.active else " (shut off)")))
        yield Static(Text("The fields start at the next boot's values; only what you change applies.", style="dim"))
        yield from self.field("vCPUs", Input(str(base.vcpus), id="vcpus"), "vcpus")
        yield from self.field("Memory (512M, 2G, 1.5GiB; a bare number is MiB)",
                              Input(f"{base.memory_kib // 1024}M", id="memory"), "memory")
        yield Label(Text("Apply"))
        live = Checkbox("now (live)", value=self.view.active, id="live", disabled=not self.view.active)
        config = Checkbox("next boot (config)", value=self.view.persistent, id="config",
                          disabled=not self.view.persistent)
        yield live
        yield config
        if not self.view.active:
            yield Static(Text("The guest is not running: only the next boot can change.", style="dim"))
        yield Static(id="scope-error", classes="error")
        yield Static(id="overcommit", classes="warning")

    def on_mount(self) -> None:
        super().on_mount()
        self.changed()

    def _vcpus(self) -> int | None:
        return validate.parse_vcpus(self.value("vcpus"), self.max_vcpus)[0]

    def _memory_kib(self) -> int | None:
        limit, why = self.memory_limit
        memory = validate.parse_memory(self.value("memory"), limit, why=why)[0]
        return memory // 1024 if memory is not None else None

    def changed(self) -> None:
        super().changed()
        warning = self.warn(self._vcpus(), self._memory_kib())
        self.query_one("#overcommit", Static).update(Text(warning or ""))

    def errors(self) -> dict[str, str]:
        problems = {}
        if (problem := validate.parse_vcpus(self.value("vcpus"), self.max_vcpus)[1]) is not None:
            problems["vcpus"] = problem
        limit, why = self.memory_limit
        if (problem := validate.parse_memory(self.value("memory"), limit, why=why)[1]) is not None:
            problems["memory"] = problem
        if not (self.value("live") and self.view.active) and not (self.value("config") and self.view.persistent):
            problems["scope"] = "Choose now (live) and/or next boot"
        return problems

    def result(self) -> CpuMemoryRequest:
        """Only what was edited applies: the fields start at the next boot's values."""
        base = self.view.next_boot
        vcpus_text, memory_text = self.value("vcpus").strip(), self.value("memory").strip()
        return CpuMemoryRequest(
            None if vcpus_text == str(base.vcpus) else self._vcpus(),
            None if memory_text == f"{base.memory_kib // 1024}M" else self._memory_kib(),
            bool(self.value("live") and self.view.active),
            bool(self.value("config") and self.view.persistent),
        )


# -- CD-ROM media -------------------------------------------------------------------


@dataclass(frozen=True)
class MediaRequest:
    path: str | None  # None: an empty drive
    bus: str | None  # a new drive's bus, None when inserting into an existing one


class MediaScreen(HardwareForm):
    """Media for a CD-ROM: a pool volume or a host path; with `new_drive`, also a bus."""

    def __init__(self, volumes: Choices, new_drive: bool, target: str | None = None) -> None:
        super().__init__()
        self.volumes = volumes
        self.new_drive = new_drive
        self.TITLE_TEXT = "Add a CD-ROM drive" if new_drive else f"Insert media into {target}"

    def fields(self) -> ComposeResult:
        if self.new_drive:
            yield from self.field("Bus (QEMU hot-plugs none of IDE/SATA: those apply at next boot)",
                                  Select([(b, b) for b in dx.CDROM_BUSES], value="sata", allow_blank=False,
                                         id="bus"), "bus")
        yield from self.field("Pool volume", Select([(Text(label), v) for label, v in self.volumes], prompt="(none: use the path below)", id="volume"),
                              "volume")
        yield from self.field("or a path on the host" + (" (both empty: an empty drive)" if self.new_drive else ""),
                              Input(placeholder="/var/lib/libvirt/images/disc.iso", id="path"), "path")

    def _path(self) -> str | None:
        volume = self.value("volume")
        if volume not in (Select.NULL, None):
            return volume
        return self.value("path").strip() or None

    def errors(self) -> dict[str, str]:
        volume = self.value("volume")
        path = self.value("path").strip()
        if volume not in (Select.NULL, None) and path:
            return {"path": "Choose a pool volume or a path, not both"}
        if path and not path.startswith("/"):
            return {"path": "A host path starts with /"}
        if not self.new_drive and self._path() is None:
            return {"volume": "Choose a pool volume or type a path"}
        return {}

    def result(self) -> MediaRequest:
        return MediaRequest(self._path(), self.value("bus") if self.new_drive else None)


# -- attach a disk ------------------------------------------------------------------


class AttachDiskScreen(HardwareForm):
    TITLE_TEXT = "Attach a disk"

    def __init__(self, volumes: Choices, pools: list[str], taken: set[str]) -> None:
        super().__init__()
        self.volumes = volumes
        self.pools = pools
        self.taken = taken

    def fields(self) -> ComposeResult:
        yield from self.field("Bus", Select([(b, b) for b in dx.DISK_BUSES], value="virtio", allow_blank=False,
                                            id="bus"), "bus")
        yield Static(id="target")
        yield from self.field("Disk", Select([("an existing volume", "existing"), ("a new volume", "new")],
                                             value="existing" if self.volumes else "new", allow_blank=False,
                                             id="kind"), "kind")
        yield from self.field("Existing volume", Select([(Text(label), v) for label, v in self.volumes], prompt="choose a volume", id="volume"),
                              "volume")
        yield from self.field("New volume: pool", Select([(Text(p), p) for p in self.pools], prompt="choose a pool",
                                                         value=self.pools[0] if self.pools else Select.NULL,
                                                         id="pool"), "pool")
        yield from self.field("name", Input(placeholder="data.qcow2", id="name"), "name")
        yield from self.field("size (10G, 512M)", Input("1G", id="size"), "size")
        yield from self.field("format", Select([(f, f) for f in dx.DISK_FORMATS], value="qcow2", allow_blank=False,
                                               id="format"), "format")

    def on_mount(self) -> None:
        super().on_mount()
        self.changed()

    def changed(self) -> None:
        super().changed()
        bus = self.value("bus")
        target = dx.free_target(bus, self.taken) if bus not in (Select.NULL, None) else "?"
        self.query_one("#target", Static).update(Text(f"Target: {target} (the first free name)", style="dim"))
        new = self.value("kind") == "new"
        self.query_one("#volume").disabled = new
        for field_id in ("pool", "name", "size", "format"):
            self.query_one(f"#{field_id}").disabled = not new

    def errors(self) -> dict[str, str]:
        if self.value("kind") == "existing":
            return {"volume": "Choose a volume"} if self.value("volume") in (Select.NULL, None) else {}
        problems = {}
        if self.value("pool") in (Select.NULL, None):
            problems["pool"] = "Choose a pool (an active one of this host)"
        if (problem := ops.check_volume_name(self.value("name"))) is not None:
            problems["name"] = problem
        fmt = self.value("format")
        if (problem := validate.parse_volume_size(self.value("size"), str(fmt), default_unit="MiB")[1]) is not None:
            problems["size"] = problem
        return problems

    def result(self) -> ops.DiskRequest:
        bus = self.value("bus")
        if self.value("kind") == "existing":
            return ops.DiskRequest(bus, path=self.value("volume"))
        new = ops.NewVolume(self.value("pool"), self.value("name"), ops.parse_size(self.value("size")),
                            self.value("format"))
        return ops.DiskRequest(bus, new=new)


# -- attach a NIC -------------------------------------------------------------------


@dataclass(frozen=True)
class NicRequest:
    kind: str
    source: str
    model: str
    mac: str | None
    mode: str | None


class AttachNicScreen(HardwareForm):
    TITLE_TEXT = "Attach a network interface"

    def __init__(self, networks: list[str]) -> None:
        super().__init__()
        self.networks = networks

    def fields(self) -> ComposeResult:
        yield from self.field("Connect to", Select([("a virtual network", "network"), ("a host bridge", "bridge"),
                                                    ("a host device (macvtap)", "direct")],
                                                   value="network", allow_blank=False, id="kind"), "kind")
        yield from self.field("Network", Select([(Text(n), n) for n in self.networks], prompt="choose a network",
                                                value=self.networks[0] if self.networks else Select.NULL,
                                                id="network"), "network")
        yield from self.field("Bridge or host device", Input(placeholder="br0 / eth0", id="device"), "device")
        yield from self.field("macvtap mode", Select([(m, m) for m in dx.DIRECT_MODES], value="vepa",
                                                     allow_blank=False, id="mode"), "mode")
        yield from self.field("Model", Select([(m, m) for m in dx.NIC_MODELS], value="virtio", allow_blank=False,
                                              id="model"), "model")
        yield from self.field("MAC (empty: libvirt makes one)", Input(placeholder="52:54:00:…", id="mac"), "mac")

    def on_mount(self) -> None:
        super().on_mount()
        self.changed()

    def changed(self) -> None:
        super().changed()
        kind = self.value("kind")
        self.query_one("#network").disabled = kind != "network"
        self.query_one("#device").disabled = kind == "network"
        self.query_one("#mode").disabled = kind != "direct"

    def errors(self) -> dict[str, str]:
        problems = {}
        kind = self.value("kind")
        if kind == "network" and self.value("network") in (Select.NULL, None):
            problems["network"] = "Choose a network"
        if kind != "network" and not self.value("device").strip():
            problems["device"] = "Enter the bridge" if kind == "bridge" else "Enter the host device"
        if (problem := ops.check_mac(self.value("mac"))) is not None:
            problems["mac"] = problem
        return problems

    def result(self) -> NicRequest:
        kind = self.value("kind")
        source = self.value("network") if kind == "network" else self.value("device").strip()
        return NicRequest(kind, source, self.value("model"), self.value("mac").strip().lower() or None,
                          self.value("mode") if kind == "direct" else None)
