"""Guest detail tab: tuning. vCPU and emulator pinning, NUMA placement, hugepages, virtiofs
shares and host devices, now and at the next boot, with keys to change them."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from ...actions import tuning as ops
from ...forms.confirm import ConfirmScreen
from ...forms.tuning_forms import (DeviceChoice, HostDevicesScreen, HugepagesScreen, NumaScreen, PinningScreen,
                                   ShareRequest, ShareScreen)
from ...render.cells import size_text, visible
from ...render.device_text import PathText
from ...widgets.says_why import SaysWhyDisabled
from .tab import GuestTab

WRITES = ("pinning", "numa", "hugepages", "share", "hostdev", "remove")


def pins_text(tuning: ops.Tuning | None) -> str:
    if tuning is None:
        return "—"
    pins = [f"vCPU {vcpu}→{cpuset}" for vcpu, cpuset in tuning.vcpu_pins]
    return ", ".join(pins) if pins else "none (any host CPU)"


def numa_text(tuning: ops.Tuning | None) -> str:
    if tuning is None:
        return "—"
    if tuning.numa_mode is None:
        return "no memory policy"
    where = "auto (numad)" if tuning.numa_placement == "auto" else f"nodes {tuning.numa_nodeset}"
    return f"{tuning.numa_mode}, {where}"


def memory_text(tuning: ops.Tuning | None) -> str:
    if tuning is None:
        return "—"
    if tuning.hugepage_kib is None:
        text = "ordinary pages"
    elif tuning.hugepage_kib == 0:
        text = "hugepages of the host's default size"
    else:
        text = f"{size_text(tuning.hugepage_kib * 1024)} hugepages"
    if tuning.shared_access:
        text += ", shared" + (" (memfd)" if tuning.memfd_shared else "")
    return text


class TuningTab(SaysWhyDisabled, GuestTab):
    TAB_ID = "tuning"
    TAB_TITLE = "Tuning"
    BINDINGS = [
        Binding("p", "pinning", "Pinning", id="tune.pinning"),
        Binding("u", "numa", "NUMA", id="tune.numa"),
        Binding("h", "hugepages", "Hugepages", id="tune.hugepages"),
        Binding("f", "share", "Share folder", id="tune.share"),
        Binding("H", "hostdev", "Host device", id="tune.hostdev"),
        Binding("D", "remove", "Remove", id="tune.remove"),
    ]
    DEFAULT_CSS = """
    TuningTab #tune-summary { height: auto; padding: 0 1; }
    TuningTab #tune-devices { height: auto; margin-top: 1; }
    """

    def __init__(self, ctx, conn_id: str, uuid: str) -> None:
        super().__init__(ctx, conn_id, uuid)
        self.view: ops.TuningView | None = None
        self.read_error: str | None = None
        self._seen: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("loading…", style="dim"), id="tune-summary")
        table = DataTable(cursor_type="row", zebra_stripes=True, id="tune-devices")
        table.add_columns("Kind", "Host side", "Guest side", "Where")
        yield table

    @property
    def table(self) -> DataTable:
        return self.query_one("#tune-devices", DataTable)

    @property
    def tuning(self):
        return self.ctx.actions.tuning

    def focus_target(self) -> DataTable:
        return self.table

    # -- reading -------------------------------------------------------------------

    def activated(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.tuning.read(self, *self.key, self._read)

    def refresh_view(self, kinds: frozenset[str] | None) -> None:
        if self.view is None or (kinds is not None and "guests" not in kinds):
            return
        seen = self.definition_seen()
        if seen != self._seen:
            self._seen = seen
            self.reload()

    def _read(self, view: ops.TuningView | None, error: str | None) -> None:
        self.read_error = error
        if view is not None:
            self.view = view
            self._seen = self.definition_seen()
        self.render_summary()
        self.render_devices()
        self.refresh_bindings()

    def render_summary(self) -> None:
        view = self.view
        text = Text()
        if self.read_error:
            text.append(f"Could not read the guest: {self.read_error}\n", style="bold red")
        if view is None:
            self.query_one("#tune-summary", Static).update(text or Text("loading…", style="dim"))
            return

        def line(label: str, what: Callable[[ops.Tuning | None], str]) -> None:
            text.append(f"{label:<10}", style="bold")
            now, later = what(view.live), what(view.config)
            if view.live is None or view.config is None or now == later:
                text.append(visible(what(view.current)))
                text.append("" if view.live is None else "  (now and next boot)" if view.config else "  (now)",
                            style="dim")
            else:
                text.append(f"now {visible(now)}    next boot {visible(later)}")
            text.append("\n")

        line("vCPU pins", pins_text)
        line("Emulator", lambda t: "—" if t is None else (t.emulator_pin or "any host CPU"))
        line("NUMA", numa_text)
        line("Memory", memory_text)
        text.append(f"Host: {view.host_cpus} CPUs", style="dim")
        if view.topology is not None:
            text.append(f", {len(view.topology.cells)} NUMA node{'s' if len(view.topology.cells) != 1 else ''}",
                        style="dim")
        if self.read_only:
            text.append("\nThis host is read-only: no changes.", style="bold yellow")
        self.query_one("#tune-summary", Static).update(text)

    def items(self) -> dict[str, tuple[str, ops.Share | ops.HostdevRef, str]]:
        """ident -> (kind, the share or host device, where it exists)."""
        view = self.view
        if view is None:
            return {}

        def of(tuning: ops.Tuning | None) -> dict:
            if tuning is None:
                return {}
            return {**{s.ident: ("virtiofs", s) for s in tuning.shares},
                    **{h.ident: ("hostdev", h) for h in tuning.hostdevs}}

        live, config = of(view.live), of(view.config)
        found = {}
        for ident, (kind, item) in {**config, **live}.items():
            if view.live is None or view.config is None:
                where = ""
            elif ident not in config:
                where = "live only"
            elif ident not in live:
                where = "next boot only"
            else:
                where = ""
            found[ident] = (kind, item, where)
        return found

    def render_devices(self) -> None:
        table = self.table
        selected = self.selected_ident()
        with self.app.batch_update():
            table.clear()
            for ident, (kind, item, where) in self.items().items():
                if isinstance(item, ops.Share):
                    cells = (Text("Shared folder"), PathText(visible(item.source)), Text(visible(item.tag)))
                else:
                    cells = (Text("Host device"), Text(item.label), Text(""))
                table.add_row(*cells, Text(where), key=ident)
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

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    # -- what applies --------------------------------------------------------------

    def why_not(self, action: str) -> str | None:
        if self.guest is None:
            return "This guest is gone"
        if self.read_only:
            return f"{self.ctx.inventory.host_name(self.key[0])} is read-only"
        if self.view is None:
            return "The guest's tuning is not read yet"
        if action != "pinning" and not self.view.persistent:
            return "This guest is transient: it has no next boot's definition to change"
        if action == "hostdev" and self.view.active:
            return "Shut the guest off first: host devices are assigned to a shut-off guest's definition"
        if action == "remove":
            ident = self.selected_ident()
            if ident is None:
                return "Select a shared folder or host device"
            if ident.startswith("hostdev:") and self.view.active:
                return "Shut the guest off first: host devices are removed from a shut-off guest's definition"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITES:
            return True if self.why_not(action) is None else None
        return super().check_action(action, parameters)

    def why_disabled(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        return self.why_not(action) if action in WRITES else None

    # -- results -------------------------------------------------------------------

    def _reported(self, finish=None) -> Callable[[object, str | None], None]:
        name = self.guest.name if self.guest else "guest"

        def then(outcome, error: str | None) -> None:
            failed = error or (outcome.text() if outcome is not None and outcome.severity == "error" else None)
            if finish is not None:
                finish(failed)
            if error is not None:
                self.app.notify(error, title=name, severity="error", markup=False)
            else:
                self.app.notify(outcome.text(), title=name, severity=outcome.severity, markup=False)
            self.ctx.actions.guest_detail.refresh_guest(*self.key)
            self.reload()

        return then

    # -- the changes -------------------------------------------------------------------

    def action_pinning(self) -> None:
        def chosen(request: ops.PinRequest, finish) -> None:
            if not request.vcpu_pins and request.emulator is False:
                self.app.notify("Nothing changed", severity="information")
                finish(None)
                return
            self.tuning.set_pinning(self, *self.key, request, self.view.host_cpus, self._reported(finish))

        self.app.push_screen(PinningScreen(self.view).performing(chosen).describing(
            lambda r: self.tuning.commands(*self.key, ops.pinning_commands(r, self.view.host_cpus))))

    def action_numa(self) -> None:
        def chosen(request: ops.NumaRequest, finish) -> None:
            self.tuning.set_numa(self, *self.key, request, self._reported(finish))

        self.app.push_screen(NumaScreen(self.view).performing(chosen).describing(
            lambda r: self.tuning.commands(*self.key, ops.numa_commands(r))))

    def action_hugepages(self) -> None:
        def chosen(size_kib: int | None, finish) -> None:
            self.tuning.set_hugepages(self, *self.key, size_kib, self._reported(finish))

        # The host's free pages now, not as they were when the tab was read.
        def read(view: ops.TuningView | None, error: str | None) -> None:
            if view is not None:
                self.view = view
            self.app.push_screen(HugepagesScreen(self.view).performing(chosen).describing(
                lambda size: self.tuning.commands(*self.key, ops.hugepages_commands(size))))

        self.tuning.read(self, *self.key, read)

    def action_share(self) -> None:
        def chosen(request: ShareRequest, finish) -> None:
            self.tuning.add_share(self, *self.key, request.source, request.tag, self._reported(finish))

        self.app.push_screen(ShareScreen(self.view).performing(chosen).describing(
            lambda r: self.tuning.commands(*self.key, ops.share_commands(r.source, r.tag))))

    def action_hostdev(self) -> None:
        name = self.guest.name if self.guest else "the guest"
        refs = self.view.next_boot.hostdevs

        def listed(host: ops.HostDevices | None, error: str | None) -> None:
            if host is None:
                self.app.notify(error or "could not list the host's devices", severity="error", markup=False)
                return

            def picked(choice: DeviceChoice | None) -> None:
                if choice is None:
                    return
                checks = ops.attach_checks(choice.device, host, name, refs, choice.by_id)
                if checks.errors:
                    self.app.notify("\n".join(checks.errors), title=name, severity="error", markup=False)
                    return

                def attach(yes: bool | None = True) -> None:
                    if yes:
                        self.tuning.attach_hostdev(self, *self.key, choice.device, choice.by_id, self._reported())

                if checks.warnings:
                    question = "\n".join(checks.warnings) + f"\n\nAssign {choice.device.description} to {name} anyway?"
                    self.app.push_screen(ConfirmScreen(question).describing(lambda: self.tuning.commands(
                        *self.key, ops.hostdev_commands(choice.device, choice.by_id))), attach)
                else:
                    attach()

            devices = HostDevicesScreen(name, host)
            devices.describing(lambda: self.tuning.commands(*self.key, ops.hostdev_commands(
                devices.selected(), True)) if devices.selected() is not None else [])
            self.app.push_screen(devices, picked)

        self.tuning.host_devices(self, self.key[0], listed)

    def action_remove(self) -> None:
        ident = self.selected_ident()
        entry = self.items().get(ident) if ident else None
        if entry is None:
            return
        kind, item, _where = entry
        name = self.guest.name if self.guest else "the guest"
        if isinstance(item, ops.Share):
            question = f"Remove the shared folder {item.source} ({item.tag}) from {name}'s next boot?"
        else:
            question = f"Remove the host device {item.label} from {name}?"

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if isinstance(item, ops.Share):
                self.tuning.remove_share(self, *self.key, item.tag, self._reported())
            else:
                self.tuning.detach_hostdev(self, *self.key, ident, self._reported())

        build = ops.unshare_commands(item.tag) if isinstance(item, ops.Share) else ops.unhostdev_commands()
        self.app.push_screen(ConfirmScreen(question).describing(lambda: self.tuning.commands(*self.key, build)),
                             answered)


TABS: list[type[GuestTab]] = [TuningTab]
