"""Guest detail tab: hardware. vCPUs, memory, boot order and every disk, CD-ROM and NIC,
with keys to change them."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from ...backend import validate
from ...actions import guest_detail as ops
from ...backend.xml import devices as dx
from ...forms.confirm import ConfirmScreen
from ...forms.hardware_forms import (AttachDiskScreen, AttachNicScreen, CpuMemoryRequest, CpuMemoryScreen,
                                    MediaRequest, MediaScreen, NicRequest)
from ...render.cells import size_text, visible
from ...render.device_text import PathText
from ...render.guest_sheet import boot_text
from ..context import ScreenContext
from .tab import GuestTab
from ...widgets.says_why import SaysWhyDisabled

WRITES = ("cpu_memory", "insert_media", "eject", "attach_disk", "attach_nic", "detach", "boot", "boot_toggle")


class HardwareTab(SaysWhyDisabled, GuestTab):
    TAB_ID = "hardware"
    TAB_TITLE = "Hardware"
    BINDINGS = [
        Binding("v", "cpu_memory", "vCPUs/memory", id="hw.cpu_memory"),
        Binding("i", "insert_media", "Insert CD", id="hw.insert_media"),
        Binding("e", "eject", "Eject CD", id="hw.eject"),
        Binding("a", "attach_disk", "Attach disk", id="hw.attach_disk"),
        Binding("n", "attach_nic", "Attach NIC", id="hw.attach_nic"),
        Binding("D", "detach", "Detach", id="hw.detach"),
        Binding("plus", "boot(-1)", "Boot earlier", id="hw.boot_earlier"),
        Binding("minus", "boot(1)", "Boot later", id="hw.boot_later"),
        Binding("b", "boot_toggle", "Boot on/off", id="hw.boot_toggle"),
    ]
    DEFAULT_CSS = """
    HardwareTab #hw-summary { height: auto; padding: 0 1; }
    HardwareTab #hw-devices { height: auto; margin-top: 1; }
    """

    def __init__(self, ctx: ScreenContext, conn_id: str, uuid: str) -> None:
        super().__init__(ctx, conn_id, uuid)
        self.view: ops.HardwareView | None = None
        self.read_error: str | None = None
        self.last_result: tuple[str, str] | None = None  # (text, severity) of the last change
        self.boot = None  # xml.domain.BootPlan of the next boot, read after the hardware
        self._seen: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("loading…", style="dim"), id="hw-summary")
        table = DataTable(cursor_type="row", zebra_stripes=True, id="hw-devices")
        table.add_columns("Device", "Target / MAC", "Bus / model", "Source", "Boot", "Where")
        yield table

    @property
    def table(self) -> DataTable:
        return self.query_one("#hw-devices", DataTable)

    def focus_target(self) -> DataTable:
        return self.table

    # -- reading -------------------------------------------------------------

    def activated(self) -> None:
        self.reload()
        self.actions.list_volumes(self.key[0])

    def reload(self) -> None:
        self.actions.hardware(self, *self.key, self._read)

    def refresh_view(self, kinds: frozenset[str] | None) -> None:
        if self.view is None or (kinds is not None and not kinds & {"guests", "hosts"}):
            return
        seen = self.definition_seen()
        if seen != self._seen:
            self._seen = seen
            self.reload()
        else:
            self.render_summary()

    def _read(self, view: ops.HardwareView | None, error: str | None) -> None:
        self.read_error = error
        if view is not None:
            self.view = view
            self.actions.boot_order(self, *self.key, self._read_boot)
            self._seen = self.definition_seen()
        self.render_summary()
        self.render_devices()
        self.refresh_bindings()

    def _read_boot(self, plan, error: str | None) -> None:
        self.boot = plan if error is None else None
        self.render_summary()

    def render_summary(self) -> None:
        view = self.view
        text = Text()
        if self.read_error:
            text.append(f"Could not read the guest: {self.read_error}\n", style="bold red")
        if view is None:
            self.query_one("#hw-summary", Static).update(text or Text("loading…", style="dim"))
            return
        live, config = view.live, view.config

        def pair(hw: dx.Hardware | None, what: Callable[[dx.Hardware], str]) -> str:
            return what(hw) if hw is not None else "—"

        def vcpus(hw: dx.Hardware) -> str:
            return f"{hw.vcpus} / max {hw.max_vcpus}"

        def memory(hw: dx.Hardware) -> str:
            return f"{size_text(hw.memory_kib * 1024)} / max {size_text(hw.max_memory_kib * 1024)}"

        text.append("vCPUs   ", style="bold")
        text.append(f"now {pair(live, vcpus)}    next boot {pair(config, vcpus)}\n")
        text.append("Memory  ", style="bold")
        text.append(f"now {pair(live, memory)}    next boot {pair(config, memory)}\n")
        text.append("Boot    ", style="bold")
        if self.boot is not None:  # as libvirt will boot: every device kind, <os><boot dev>, the default
            text.append(visible(boot_text(self.boot)))
        else:
            order = view.next_boot.boot_order()
            text.append(", ".join(visible(self._describe(ident)) for ident in order) or "(none set)")
        text.append("  next boot" if view.persistent else "  (transient: cannot change)", style="dim")
        if self.read_only:
            text.append("\nThis host is read-only: no changes.", style="bold yellow")
        self.query_one("#hw-summary", Static).update(text)

    def _describe(self, ident: str) -> str:
        kind, _, key = ident.partition(":")
        return f"NIC {key}" if kind == "nic" else key

    def devices(self) -> dict[str, tuple[dx.DiskDevice | dx.NicDevice, str]]:
        """ident -> (device, where it exists: both, live only, next boot only)."""
        view = self.view
        if view is None:
            return {}
        live = {d.ident: d for d in (*view.live.disks, *view.live.nics)} if view.live else {}
        config = {d.ident: d for d in (*view.config.disks, *view.config.nics)} if view.config else {}
        found = {}
        for ident, device in {**config, **live}.items():
            if view.live is None or view.config is None:
                where = ""
            elif ident not in config:
                where = "live only"
            elif ident not in live:
                where = "next boot only"
            else:
                where = ""
            found[ident] = (device, where)
        return found

    def render_devices(self) -> None:
        table = self.table
        selected = self.selected_ident()
        order = self.view.next_boot.boot_order() if self.view else ()
        with self.app.batch_update():
            table.clear()
            for ident, (device, where) in self.devices().items():
                boot = str(order.index(ident) + 1) if ident in order else ""
                if isinstance(device, dx.NicDevice):
                    source = device.source or ""
                    if device.mode:
                        source += f" ({device.mode})"
                    cells = ("NIC", device.mac or "?", f"{device.kind} / {device.model or '?'}")
                else:
                    source = device.source or ("(empty)" if device.device == "cdrom" else "")
                    kind = "CD-ROM" if device.device == "cdrom" else device.device
                    cells = (kind, device.target, device.bus or "")
                table.add_row(*(Text(visible(c)) for c in cells), PathText(visible(source)), Text(boot), Text(where),
                              key=ident)
            if selected is not None and selected in table.rows:
                table.move_cursor(row=table.get_row_index(selected))

    def selected_ident(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        except Exception:  # cursor out of range while rows change
            return None

    def selected(self) -> dx.DiskDevice | dx.NicDevice | None:
        ident = self.selected_ident()
        entry = self.devices().get(ident) if ident else None
        return entry[0] if entry else None

    def cdroms(self) -> list[dx.DiskDevice]:
        return [d for d, _ in self.devices().values() if isinstance(d, dx.DiskDevice) and d.device == "cdrom"]

    def target_cdrom(self) -> dx.DiskDevice | None:
        """The selected CD-ROM, else the guest's only one."""
        device = self.selected()
        if isinstance(device, dx.DiskDevice) and device.device == "cdrom":
            return device
        cdroms = self.cdroms()
        return cdroms[0] if len(cdroms) == 1 else None

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    # -- what applies --------------------------------------------------------

    def why_not(self, action: str) -> str | None:
        """None when `action` applies now, else why not."""
        guest = self.guest
        if guest is None:
            return "This guest is gone"
        if self.read_only:
            return f"{self.ctx.inventory.host_name(self.key[0])} is read-only"
        if self.view is None:
            return "The guest's hardware is not read yet"
        device = self.selected()
        if action == "insert_media":
            if self.cdroms() and self.target_cdrom() is None:
                return "Select a CD-ROM drive"
        elif action == "eject":
            cdrom = self.target_cdrom()
            if cdrom is None:
                return "Select a CD-ROM drive" if self.cdroms() else "This guest has no CD-ROM drive"
            if cdrom.source is None:
                return f"{cdrom.target} is empty"
        elif action == "detach":
            if device is None:
                return "Select a disk or NIC"
        elif action in ("boot", "boot_toggle"):
            if not self.view.persistent:
                return "The boot order is kept in the persistent definition; this guest is transient"
            if device is None:
                return "Select a disk, CD-ROM or NIC"
            if device.ident not in {d.ident for d in (*self.view.next_boot.disks, *self.view.next_boot.nics)}:
                return "This device is not in the next boot's definition"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITES:
            return True if self.why_not(action) is None else None
        return super().check_action(action, parameters)

    def why_disabled(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        return self.why_not(action) if action in WRITES else None

    # -- results -------------------------------------------------------------

    def _report(self, outcomes, error: str | None, after: Callable[[list[ops.Outcome]], None] | None = None,
                finish: Callable[[str | None], None] | None = None) -> None:
        name = self.guest.name if self.guest else "guest"
        if finish is not None:
            # The form that asked stays open, its input kept, when nothing of it was applied.
            failed = error or "\n".join(o.text() for o in (outcomes if isinstance(outcomes, list) else [outcomes])
                                         if o.severity == "error" and not o.live_refused)
            finish(failed or None)
        if error is not None:
            self.last_result = (error, "error")
            self.app.notify(error, title=name, severity="error", markup=False)
        else:
            outcomes = outcomes if isinstance(outcomes, list) else [outcomes]
            text = "\n".join(o.text() for o in outcomes)
            severities = [o.severity for o in outcomes]
            severity = "error" if "error" in severities else "warning" if "warning" in severities else "information"
            self.last_result = (text, severity)
            self.app.notify(text, title=name, severity=severity, markup=False)
            if after is not None:
                after(outcomes)
        self.actions.refresh_guest(*self.key)
        self.reload()

    def _reported(self, after=None, finish=None) -> Callable[[object, str | None], None]:
        """A `then` for a change: its outcomes said (`_report`), then `after(outcomes)` and `finish(error)`."""
        return lambda result, error: self._report(result, error, after, finish)

    # -- vCPUs and memory ----------------------------------------------------

    def action_cpu_memory(self) -> None:
        def warn(vcpus: int | None, kib: int | None) -> str | None:
            return ops.overcommit_warning(self.ctx.inventory, self.key, vcpus, kib)

        host = self.ctx.inventory.hosts.get(self.key[0])
        memory_limit = validate.memory_limit(host.memory_kib * 1024 if host and host.memory_kib else None,
                                             self.ctx.settings.config.thresholds.memory_ratio)
        view = self.view

        def opened(max_vcpus: int | None, _error: str | None) -> None:
            form = CpuMemoryScreen(view, warn, max_vcpus, memory_limit)
            self.app.push_screen(form.performing(self._cpu_memory_chosen).describing(
                lambda r: self.actions.commands(*self.key, self.actions.cpu_memory_commands(
                    r.vcpus, r.memory_kib, r.live, r.config))))

        self.actions.vcpu_maximum(self, *self.key, opened)

    def _cpu_memory_chosen(self, request: CpuMemoryRequest | None, finish=None) -> None:
        if request is None:
            return
        if request.vcpus is None and request.memory_kib is None:
            self.app.notify("Nothing changed", severity="information")
            if finish is not None:
                finish(None)
            return
        warning = ops.overcommit_warning(self.ctx.inventory, self.key, request.vcpus, request.memory_kib)
        if warning:
            self.app.notify(warning, title="Overcommit", severity="warning", markup=False)

        def after(outcomes: list[ops.Outcome]) -> None:
            if request.live and request.memory_kib is not None:
                for delay in (2, 6, 15):  # the guest's balloon driver gets there in its own time
                    self.set_timer(delay, self.reload)
            refused = [o for o in outcomes if o.live_refused]
            if refused and not request.config and self.view is not None and self.view.persistent:
                words = "; ".join(error for o in refused for where, error in o.failed if where == "live")
                question = f"The hypervisor refused the live change: {words}\nApply it for the next boot instead?"

                def answered(yes: bool | None) -> None:
                    if yes:
                        self._cpu_memory_chosen(CpuMemoryRequest(request.vcpus, request.memory_kib, False, True))

                self.app.push_screen(ConfirmScreen(question).describing(
                    lambda: self.actions.commands(*self.key, self.actions.cpu_memory_commands(
                        request.vcpus, request.memory_kib, False, True))), answered)

        self.actions.set_cpu_memory(self, *self.key, request.vcpus, request.memory_kib, request.live, request.config,
                                    self._reported(after, finish))

    # -- CD-ROM --------------------------------------------------------------

    def volume_choices(self) -> list[tuple[str, str]]:
        inventory = self.ctx.inventory
        choices = []
        for (conn_id, pool_uuid), pool in sorted(inventory.pools.items(), key=lambda item: item[1].name):
            if conn_id != self.key[0]:
                continue
            for vol in inventory.volumes.get((conn_id, pool_uuid), ()):
                if vol.path:
                    choices.append((visible(f"{pool.name}/{vol.name}"), vol.path))
        return choices

    def action_insert_media(self) -> None:
        cdrom = self.target_cdrom()
        if cdrom is not None:
            def inserted(request: MediaRequest, finish) -> None:
                self.actions.insert_media(self, *self.key, cdrom.target, request.path, self._reported(finish=finish))

            self.app.push_screen(MediaScreen(self.volume_choices(), False, cdrom.target).performing(inserted).describing(
                lambda r: self.actions.commands(*self.key, self.actions.media_commands(cdrom.target, r.path))))
            return

        def added(request: MediaRequest, finish) -> None:
            self.actions.add_cdrom(self, *self.key, request.bus, request.path, self._reported(finish=finish))

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.push_screen(MediaScreen(self.volume_choices(), True).performing(added).describing(
                    lambda _r: self.actions.commands(*self.key, self.actions.add_cdrom_commands())))

        question = "This guest has no CD-ROM drive. Add one? (for the next boot; QEMU does not hot-plug IDE or SATA CD-ROMs)"
        self.app.push_screen(ConfirmScreen(question).describing(lambda: self.actions.commands(
            *self.key, self.actions.add_cdrom_commands())), answered)

    def action_eject(self) -> None:
        cdrom = self.target_cdrom()
        self.actions.eject(self, *self.key, cdrom.target, self._reported())

    # -- disks and NICs ----------------------------------------------------------

    def action_attach_disk(self) -> None:
        inventory = self.ctx.inventory
        pools = sorted(p.name for (c, _), p in inventory.pools.items() if c == self.key[0] and p.state == "active")
        taken = {d.target for d, _ in self.devices().values() if isinstance(d, dx.DiskDevice)}

        def chosen(request: ops.DiskRequest, finish) -> None:
            def after(_outcomes) -> None:
                self.activated()  # the new volume shows in the pickers

            self.actions.attach_disk(self, *self.key, request, self._reported(after, finish))

        self.app.push_screen(AttachDiskScreen(self.volume_choices(), pools, taken).performing(chosen).describing(
            lambda r: self.actions.commands(*self.key, self.actions.attach_disk_commands(r))))

    def action_attach_nic(self) -> None:
        inventory = self.ctx.inventory
        networks = sorted(n.name for (c, _), n in inventory.networks.items() if c == self.key[0])

        def chosen(request: NicRequest, finish) -> None:
            self.actions.attach_nic(self, *self.key, request.kind, request.source, request.model, request.mac,
                                    request.mode, self._reported(finish=finish))

        self.app.push_screen(AttachNicScreen(networks).performing(chosen).describing(
            lambda r: self.actions.commands(*self.key, self.actions.attach_nic_commands(r.kind, r.source, r.model,
                                                                                        r.mac))))

    def action_detach(self) -> None:
        device = self.selected()
        name = self.guest.name if self.guest else "the guest"
        if isinstance(device, dx.NicDevice):
            question = f"Detach the NIC {device.mac} ({device.kind} {device.source or ''}) from {name}?"
        else:
            kept = " The volume is kept." if device.source and device.device != "cdrom" else ""
            question = f"Detach {device.target} ({device.source or 'empty'}) from {name}?{kept}"

        def answered(yes: bool | None) -> None:
            if not yes:
                return

            def after(_outcomes) -> None:
                if isinstance(device, dx.DiskDevice) and device.source and device.device != "cdrom":
                    self.app.notify(f"{device.source} is kept", severity="information", markup=False)

            self.actions.detach(self, *self.key, device.ident, self._reported(after))

        self.app.push_screen(ConfirmScreen(question).describing(lambda: self.actions.commands(
            *self.key, self.actions.detach_commands(device.ident))), answered)

    # -- boot order ------------------------------------------------------------

    def _save_order(self, order: tuple[str, ...]) -> None:
        self.actions.set_boot_order(self, *self.key, order, self._reported())

    def action_boot(self, step: int) -> None:
        order = self.view.next_boot.boot_order()
        self._save_order(dx.moved(order, self.selected().ident, step))

    def action_boot_toggle(self) -> None:
        order = self.view.next_boot.boot_order()
        ident = self.selected().ident
        self._save_order(tuple(i for i in order if i != ident) if ident in order else (*order, ident))


TABS: list[type[GuestTab]] = [HardwareTab]
