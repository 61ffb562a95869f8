"""Forms of the Tuning tab: pinning, NUMA placement, hugepages, a virtiofs share, and the
host's PCI and USB devices to pick one from."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Checkbox, DataTable, Input, Label, Select, Static

from ..actions import tuning as ops
from ..backend.units import size_text
from ..widgets.footer import KeyFooter
from .dialog import DialogScreen
from .frame import Escape
from .hardware_forms import HardwareForm

NONE = "none"


# -- pinning ---------------------------------------------------------------------


class PinningScreen(HardwareForm):
    """A cpuset per vCPU and one for QEMU's emulator threads; empty: any host CPU."""

    TITLE_TEXT = "vCPU and emulator pinning"

    def __init__(self, view: ops.TuningView) -> None:
        super().__init__()
        self.view = view

    def fields(self) -> ComposeResult:
        base = self.view.next_boot
        yield Static(Text(f"Host CPUs 0-{self.view.host_cpus - 1}. A cpuset per vCPU (0-3,6; ^2 leaves one out); "
                          "empty: any host CPU.", style="dim"))
        for vcpu in range(base.vcpus):
            yield from self.field(f"vCPU {vcpu}", Input(base.pin_of(vcpu) or "", id=f"vcpu-{vcpu}"), f"vcpu-{vcpu}")
        yield from self.field("Emulator threads", Input(base.emulator_pin or "", id="emulator"), "emulator")
        yield Label(Text("Apply"))
        yield Checkbox("now (live)", value=self.view.active, id="live", disabled=not self.view.active)
        yield Checkbox("next boot (config)", value=self.view.persistent, id="config", disabled=not self.view.persistent)
        yield Static(id="scope-error", classes="error")

    def _cpuset(self, field: str) -> tuple[frozenset[int] | None, str | None]:
        text = self.value(field).strip()
        return (None, None) if not text else ops.parse_cpuset(text, self.view.host_cpus)

    def errors(self) -> dict[str, str]:
        problems = {}
        for field in (*(f"vcpu-{v}" for v in range(self.view.next_boot.vcpus)), "emulator"):
            if (problem := self._cpuset(field)[1]) is not None:
                problems[field] = problem
        if not (self.value("live") and self.view.active) and not (self.value("config") and self.view.persistent):
            problems["scope"] = "Choose now (live) and/or next boot"
        return problems

    def result(self) -> ops.PinRequest:
        """Only what was edited: a field still as it started changes nothing."""
        base = self.view.next_boot
        pins = {}
        for vcpu in range(base.vcpus):
            text = self.value(f"vcpu-{vcpu}").strip()
            if text != (base.pin_of(vcpu) or ""):
                pins[vcpu] = self._cpuset(f"vcpu-{vcpu}")[0]
        text = self.value("emulator").strip()
        emulator = self._cpuset("emulator")[0] if text != (base.emulator_pin or "") else False
        return ops.PinRequest(pins, emulator, bool(self.value("live") and self.view.active),
                              bool(self.value("config") and self.view.persistent))


# -- NUMA placement ---------------------------------------------------------------------


class NumaScreen(HardwareForm):
    TITLE_TEXT = "NUMA placement of the guest's memory"

    def __init__(self, view: ops.TuningView) -> None:
        super().__init__()
        self.view = view
        self.cells = len(view.topology.cells) if view.topology is not None else None

    def fields(self) -> ComposeResult:
        base = self.view.next_boot
        cells = f"this host has NUMA nodes 0-{self.cells - 1}" if self.cells else "the host's NUMA nodes are not known"
        yield Static(Text(f"Where QEMU allocates the guest's memory ({cells}). Applies from the next start.",
                          style="dim"))
        yield from self.field("Mode", Select([("no memory policy", NONE), *((m, m) for m in ops.NUMA_MODES)],
                                             value=base.numa_mode or NONE, allow_blank=False, id="mode"), "mode")
        yield from self.field("Placement", Select([("static: the nodes below", "static"),
                                                   ("auto: numad picks them at start", "auto")],
                                                  value=base.numa_placement or "static", allow_blank=False,
                                                  id="placement"), "placement")
        yield from self.field("Nodes (0, 0-1, 0,2)", Input(base.numa_nodeset or "0", id="nodeset"), "nodeset")

    def on_mount(self) -> None:
        super().on_mount()
        self.changed()

    def changed(self) -> None:
        super().changed()
        mode = self.value("mode")
        self.query_one("#placement").disabled = mode == NONE
        self.query_one("#nodeset").disabled = mode == NONE or self.value("placement") == "auto"

    def errors(self) -> dict[str, str]:
        if self.value("mode") == NONE or self.value("placement") == "auto":
            return {}
        problem = ops.parse_cpuset(self.value("nodeset"), self.cells)[1]
        if problem is not None:
            return {"nodeset": problem.replace("CPU", "node").replace("this host has nodes", "this host has NUMA nodes")}
        return {}

    def result(self) -> ops.NumaRequest:
        mode = self.value("mode")
        if mode == NONE:
            return ops.NumaRequest(None)
        placement = self.value("placement")
        nodes = ops.parse_cpuset(self.value("nodeset"), self.cells)[0]
        return ops.NumaRequest(mode, placement, ops.format_cpuset(nodes) if placement == "static" else None)


# -- hugepages ----------------------------------------------------------------------------


class HugepagesScreen(HardwareForm):
    TITLE_TEXT = "Hugepage-backed memory"

    def __init__(self, view: ops.TuningView) -> None:
        super().__init__()
        self.view = view

    def _label(self, size: int) -> str:
        topology = self.view.topology
        total, free = topology.pages(size) if topology is not None else (0, None)
        return f"{size_text(size * 1024)} pages ({free if free is not None else '?'} free of {total})"

    def fields(self) -> ComposeResult:
        base = self.view.next_boot
        sizes = self.view.topology.hugepage_sizes if self.view.topology is not None else ()
        choices = [("ordinary pages (no hugepages)", NONE), *((self._label(s), str(s)) for s in sizes)]
        current = str(base.hugepage_kib) if base.hugepage_kib and base.hugepage_kib in sizes else NONE
        yield Static(Text(f"The guest's {size_text(base.memory_kib * 1024)} comes from the host's reserved "
                          "hugepages (vm.nr_hugepages); applies from the next start.", style="dim"))
        yield from self.field("Page size", Select(choices, value=current, allow_blank=False, id="size"), "size")

    def errors(self) -> dict[str, str]:
        size = self.value("size")
        if size == NONE:
            return {}
        problem = ops.hugepage_problem(self.view.topology, int(size), self.view.next_boot.memory_kib)
        return {"size": problem[0].upper() + problem[1:]} if problem else {}

    def shows_problem(self, field: str) -> bool:
        return True  # a page size is chosen, not typed: say at once that the host has too few

    def result(self) -> int | None:
        size = self.value("size")
        return None if size == NONE else int(size)


# -- a virtiofs share ----------------------------------------------------------------------


@dataclass(frozen=True)
class ShareRequest:
    source: str
    tag: str


class ShareScreen(HardwareForm):
    TITLE_TEXT = "Share a host folder (virtiofs)"

    def __init__(self, view: ops.TuningView) -> None:
        super().__init__()
        self.view = view

    def fields(self) -> ComposeResult:
        base = self.view.next_boot
        yield from self.field("Host directory", Input(placeholder="/srv/share", id="source"), "source")
        yield from self.field("Tag (in the guest: mount -t virtiofs TAG /mnt)", Input(placeholder="share", id="tag"),
                              "tag")
        notes = []
        if not base.shared_access or (base.hugepage_kib is None and not base.memfd_shared):
            notes.append("virtiofs needs the guest's memory shared with virtiofsd: <memoryBacking> gets "
                         "<source type='memfd'/> and <access mode='shared'/>.")
        if self.view.active:
            notes.append("The guest runs: the share is added to the next boot's definition; restart the guest "
                         "for it to appear.")
        yield Static(Text("\n".join(notes)), classes="warning", id="share-notes")

    def errors(self) -> dict[str, str]:
        problems = {}
        if (problem := ops.check_share_dir(self.value("source"))) is not None:
            problems["source"] = problem
        if (problem := ops.check_tag(self.value("tag"), {s.tag for s in self.view.next_boot.shares})) is not None:
            problems["tag"] = problem
        return problems

    def result(self) -> ShareRequest:
        return ShareRequest(self.value("source").strip(), self.value("tag"))


# -- the host's devices ----------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceChoice:
    device: ops.NodeDevice
    by_id: bool  # USB: by vendor/product (True) or by bus/device


def device_cells(device: ops.NodeDevice, host: ops.HostDevices) -> tuple[str, ...]:
    if device.kind == "pci":
        group = "none" if device.iommu_group is None else str(device.iommu_group)
        others = [a for a in device.group_members if a != device.address]
        if others:
            group += f" (+ {', '.join(others)})"
    else:
        group = "—"
    return (device.kind.upper(), device.address, device.description, group, device.driver or "none",
            ", ".join(host.used_by.get(device.name, ())))


class HostDevicesScreen(DialogScreen):
    """The host's PCI and USB devices; `enter` picks one for the guest (a USB device by its
    ids), `b` a USB device by bus/device. Dismisses with a `DeviceChoice` or None."""

    ESCAPE = Escape("Cancel", id="form.cancel")
    WIDTH, MAX_HEIGHT, BORDER = 130, "90%", "accent"
    BINDINGS = [
        Binding("enter", "pick(True)", "Attach", id="hostdev.attach"),
        Binding("b", "pick(False)", "Attach USB by bus/device", id="hostdev.attach_bus"),
    ]
    DEFAULT_CSS = """
    HostDevicesScreen DataTable { height: auto; max-height: 24; }
    """

    def __init__(self, guest: str, host: ops.HostDevices) -> None:
        super().__init__()
        self.guest = guest
        self.host = host

    def compose(self) -> ComposeResult:
        with self.frame(f"Host devices for {self.guest}"):
            iommu = {True: "the host has an IOMMU", False: "the host reports no IOMMU: PCI passthrough will fail",
                     None: "whether the host has an IOMMU is not known"}[self.host.iommu]
            yield Static(Text(f"{len(self.host.devices)} PCI and USB devices; {iommu}. Assigned to the guest's "
                              "definition while it is shut off (managed: libvirt binds vfio-pci at start).",
                              style="dim"))
            table = DataTable(cursor_type="row", zebra_stripes=True, id="host-devices")
            table.add_columns("Kind", "Address", "Device", "IOMMU group", "Driver", "Used by")
            for device in self.host.devices:
                table.add_row(*(Text(cell) for cell in device_cells(device, self.host)), key=device.name)
            yield table
            yield Static(id="error")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def selected(self) -> ops.NodeDevice | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        name = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((d for d in self.host.devices if d.name == name), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pick":
            device = self.selected()
            if device is None:
                return None
            if parameters == (False,) and device.kind != "usb":
                return None
        return super().check_action(action, parameters)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_pick(True)

    def action_pick(self, by_id: bool) -> None:
        device = self.selected()
        if device is not None:
            self.dismiss(DeviceChoice(device, by_id))
