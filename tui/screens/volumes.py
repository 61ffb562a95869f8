"""A pool's volumes (from the Storage view's `enter`): info, new, delete, wipe, resize, clone,
upload, download and the qemu-img image actions."""

from __future__ import annotations

import threading

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from ..actions.volumes import DELETE, SHRINK, WIPE
from ..calls import AnswersCalls
from ..forms.confirm import ConfirmScreen
from ..forms.job import JobScreen, run_for_form
from ..forms.volume_forms import (
    CloneVolumeScreen,
    DownloadVolumeScreen,
    NewVolumeScreen,
    ResizeVolumeScreen,
    UploadVolumeScreen,
    VolumeInfoScreen,
)
from ..render.cells import size_text
from ..render.columns import VOLUME_COLUMNS, volume_row
from ..render.rows import available_is_underflow
from ..backend.units import count_text
from ..widgets.inventory_table import InventoryTable
from ..widgets.says_why import SaysWhyDisabled
from ..widgets.status_bar import StatusBar
from .context import ScreenContext
from .builder_actions import BuilderActions
from .image_actions import IMAGE_ACTIONS, ImageActions
from ..widgets.footer import KeyFooter


class VolumesScreen(SaysWhyDisabled, ImageActions, BuilderActions, AnswersCalls, Screen):
    """The volumes of one pool, and what can be done to them."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("enter", "info", "Info", id="details"),
        Binding("i", "info", "Info", show=False, id="volume.info"),
        Binding("n", "new", "New", id="new"),
        Binding("D", "delete", "Delete", id="delete"),
        Binding("W", "wipe", "Wipe", id="volume.wipe"),
        Binding("plus,r", "resize", "Resize", id="volume.resize"),
        Binding("C", "clone", "Clone", id="clone"),
        Binding("u", "upload", "Upload", id="volume.upload"),
        Binding("w", "download", "Download", id="volume.download"),
        Binding("I", "image_info", "qemu-img info", id="image.info"),
        Binding("c", "image_check", "qemu-img check", id="image.check"),
        Binding("K", "image_convert", "Convert", id="image.convert"),
        Binding("b", "build_image", "virt-builder", id="volume.build"),
    ]
    WATCHES = frozenset({"volumes", "pools"})
    ON_VOLUME = frozenset({"info", "delete", "wipe", "resize", "clone", "download"})
    WRITES = frozenset({"new", "delete", "wipe", "resize", "clone", "upload"})

    def __init__(self, ctx: ScreenContext, conn_id: str, pool_uuid: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.conn_id = conn_id
        self.pool_uuid = pool_uuid

    def compose(self) -> ComposeResult:
        yield StatusBar("storage")
        yield Static(id="pool-title")
        yield InventoryTable(VOLUME_COLUMNS, id="table")
        yield KeyFooter()

    @property
    def table(self) -> InventoryTable:
        return self.query_one(InventoryTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.actions.list_volumes(self.conn_id, self.pool_uuid)
        self.refresh_view()

    def refresh_view(self, kinds: frozenset[str] | None = None) -> None:
        inventory = self.ctx.inventory
        pool = inventory.pools.get((self.conn_id, self.pool_uuid))
        if kinds and "pools" in kinds and pool is not None and "volumes" not in kinds:
            self.actions.list_volumes(self.conn_id, self.pool_uuid)
        self.query_one(StatusBar).show(inventory, self.ctx.settings.read_only)
        title = self.query_one("#pool-title", Static)
        volumes = inventory.volumes.get((self.conn_id, self.pool_uuid))
        if pool is None:
            title.update("This pool is gone.")
        else:
            line = Text(f" Pool {pool.name} on {inventory.host_name(self.conn_id)}", style="bold")
            state = "loading…" if volumes is None else count_text(len(volumes), "volume")
            if pool.state != "active":
                state = "inactive: start the pool to list its volumes"
            line.append(f"  {pool.target_path or ''}  {state}", style="dim")
            title.update(line)
        by_key = {vol.key: vol for vol in volumes or ()}
        with self.app.batch_update():
            self.table.sync({key: vol for key, vol in by_key.items()}, lambda key: volume_row(by_key[key]))
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, _event) -> None:
        self.refresh_bindings()

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- what applies ------------------------------------------------------

    @property
    def pool(self):
        return self.ctx.inventory.pools.get((self.conn_id, self.pool_uuid))

    @property
    def volumes(self) -> tuple:
        return self.ctx.inventory.volumes.get((self.conn_id, self.pool_uuid)) or ()

    def selected(self):
        key = self.table.selected_key
        return next((vol for vol in self.volumes if vol.key == key), None) if key else None

    def why_disabled(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        if action in IMAGE_ACTIONS:
            return self.image_why_disabled(action)
        if action == "build_image":
            return self.builder_why_disabled()
        if action not in self.ON_VOLUME | self.WRITES:
            return None
        host = self.ctx.inventory.hosts.get(self.conn_id)
        if action in self.WRITES and (host is None or host.read_only):
            return f"{self.ctx.inventory.host_name(self.conn_id)} is a read-only connection"
        pool = self.pool
        if pool is None or pool.state != "active":
            return "the pool is not active"
        if action in self.ON_VOLUME and self.selected() is None:
            return "no volume is selected"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return True if self.why_disabled(action) is None else None

    # -- doing it ------------------------------------------------------------

    @property
    def actions(self):
        return self.ctx.actions.volumes

    @property
    def connection(self):
        return self.actions.connection(self.conn_id)

    def _done(self, title: str, success: str | None = None, finish=None):
        """A `then` that reports how it went and lists the pool again; `finish(error)` tells
        the form that asked for it (which stays open, showing the error, when it failed)."""

        def then(result, error: str | None) -> None:
            self.actions.list_volumes(self.conn_id, self.pool_uuid)
            if finish is not None:
                finish(error)
            if error is not None:
                self.notify(error, title=f"{title}: failed", severity="error", markup=False, timeout=10)
            else:
                text = success(result) if callable(success) else success
                self.notify(text or "done", title=title, markup=False)

        return then

    def action_info(self) -> None:
        vol = self.selected()
        if vol is None:
            return

        def shown(details, error) -> None:
            if error is not None:
                self.notify(error, title=f"{vol.name}: info", severity="error", markup=False)
            else:
                self.app.push_screen(VolumeInfoScreen(details))

        self.actions.details(self, self.conn_id, self.pool_uuid, vol.name, shown)

    def action_new(self) -> None:
        pool = self.pool
        if pool is None or self.why_disabled("new"):
            return

        def create(spec, finish) -> None:
            def success(created) -> str:
                got = created.spec
                made = (f"{got.name}: {got.format}, {size_text(got.capacity)}, "
                        f"{size_text(got.allocation)} allocated")
                if spec.allocation:
                    made += (" (preallocated in full)" if got.allocation >= got.capacity
                             else " (only metadata preallocated)")
                if got.backing_path:
                    made += f", overlay on {got.backing_path}"
                return made

            self.actions.create(self, self.conn_id, self.pool_uuid, spec, self._done("New volume", success, finish))

        host = self.ctx.inventory.hosts.get(self.conn_id)
        self.app.push_screen(NewVolumeScreen(pool.name, self.ctx.inventory.host_name(self.conn_id),
                                             {vol.name for vol in self.volumes}, list(self.volumes),
                                             available=None if available_is_underflow(pool) else pool.available,
                                             allocates_in_full=bool(host and (host.hypervisor or "").lower()
                                                                    == "test")).performing(create).describing(
            lambda spec: self.actions.create_commands(self.conn_id, self.pool_uuid, spec)))

    def _guarded(self, vol, action: str, title: str, go, refused=None) -> None:
        """Ask the worker who needs `vol` and what that allows for `action`; a refusal is said
        (or handed to `refused`), else `go(warnings)` runs with what breaks, guests named."""

        def checked(verdict, error) -> None:
            if error is not None:
                self.notify(error, title=f"{title} {vol.name}", severity="error", markup=False)
                return
            if verdict.refusal is not None:
                if refused is not None:
                    refused(verdict.refusal)
                else:
                    self.notify(f"{verdict.refusal}.", title=f"{title}: refused", severity="error", markup=False,
                                timeout=10)
                return
            go(verdict.warnings)

        self.actions.guard(self, self.conn_id, action, self.pool_uuid, vol.name, checked)

    @staticmethod
    def _question(head: str, warnings: tuple[str, ...]) -> str:
        return head + "".join(f"\n• {warning}" for warning in warnings)

    def action_delete(self) -> None:
        vol = self.selected()
        if vol is None or self.why_disabled("delete"):
            return

        def go(warnings) -> None:
            def answered(yes: bool | None) -> None:
                if yes:
                    self.actions.delete(self, self.conn_id, self.pool_uuid, vol.name,
                                        self._done("Delete", f"{vol.name} deleted"))

            self.app.push_screen(ConfirmScreen(self._question(
                f"Delete the volume {vol.name} ({size_text(vol.capacity)})? Its data is lost.", warnings)).describing(
                lambda: self.actions.delete_commands(self.conn_id, self.pool_uuid, vol.name)), answered)

        self._guarded(vol, DELETE, "Delete", go)

    def action_wipe(self) -> None:
        vol = self.selected()
        if vol is None or self.why_disabled("wipe"):
            return

        def go(warnings) -> None:
            def answered(yes: bool | None) -> None:
                if yes:
                    self.notify(f"{vol.name}: wiping…", title="Wipe", markup=False, timeout=3)
                    self.actions.wipe(self, self.conn_id, self.pool_uuid, vol.name,
                                      self._done("Wipe", f"{vol.name} wiped"))

            self.app.push_screen(ConfirmScreen(self._question(
                f"Wipe {vol.name}? Every byte of it is overwritten with zeros.", warnings)).describing(
                lambda: self.actions.wipe_commands(self.conn_id, self.pool_uuid, vol.name)), answered)

        self._guarded(vol, WIPE, "Wipe", go)

    def action_resize(self) -> None:
        vol = self.selected()
        if vol is None or self.why_disabled("resize"):
            return

        def run(request, finish) -> None:
            said = self._done("Resize", lambda capacity: f"{vol.name} is now {size_text(capacity)}", finish)
            self.actions.resize(self, self.conn_id, self.pool_uuid, vol.name, request.capacity, request.shrink, said)

        def resize(request, finish) -> None:
            if not request.shrink:
                run(request, finish)
                return

            def go(warnings) -> None:
                def answered(yes: bool | None) -> None:
                    if yes:
                        run(request, finish)
                    else:
                        finish("not shrunk: answered no")

                self.app.push_screen(ConfirmScreen(self._question(
                    f"Shrink {vol.name} from {size_text(vol.capacity)} to {size_text(request.capacity)}? "
                    "Whatever lies past the new end is lost.", warnings)).describing(
                    lambda: self.actions.resize_commands(self.conn_id, self.pool_uuid, vol.name, request.capacity,
                                                         True)), answered)

            self._guarded(vol, SHRINK, "Shrink", go, refused=lambda why: finish(f"not shrunk: {why}"))

        self.app.push_screen(ResizeVolumeScreen(vol).performing(resize).describing(
            lambda request: self.actions.resize_commands(self.conn_id, self.pool_uuid, vol.name, request.capacity,
                                                         request.shrink)))

    def action_clone(self) -> None:
        vol = self.selected()
        if vol is None or self.why_disabled("clone"):
            return
        inventory = self.ctx.inventory
        pools = sorted(((pool.name, pool.uuid) for pool in inventory.pools.values()
                        if pool.conn_id == self.conn_id and pool.state == "active"), key=lambda p: p[0])
        taken = {uuid: {v.name for v in inventory.volumes.get((self.conn_id, uuid)) or ()} for _name, uuid in pools}

        def perform(request, finish) -> None:
            def ended(created, error: str | None) -> None:
                for uuid in {self.pool_uuid, request.pool_uuid}:
                    self.actions.list_volumes(self.conn_id, uuid)
                if error is not None:
                    self.notify(f"{vol.name} not cloned: {error}", title="Clone", severity="error", markup=False,
                                timeout=10)
                else:
                    self.notify(f"{vol.name} copied to {created.spec.name}", title="Clone", markup=False)

            run_for_form(self.app, JobScreen(
                self.ctx.actions.jobs, f"Clone {vol.name} to {request.name}", self.connection,
                self.actions.clone(self.pool_uuid, vol.name, request.pool_uuid, request.name)), finish, ended)

        self.app.push_screen(CloneVolumeScreen(vol, pools, taken).performing(perform).describing(
            lambda request: self.actions.clone_commands(self.pool_uuid, vol.name, request.pool_uuid, request.name)))

    def action_upload(self) -> None:
        pool = self.pool
        if pool is None or self.why_disabled("upload"):
            return

        def perform(request, finish) -> None:
            cancel = threading.Event()

            def ended(done, error: str | None) -> None:
                self.actions.list_volumes(self.conn_id, self.pool_uuid)
                if error is not None:
                    self.notify(f"{request.name}: {error}", title="Upload: failed", severity="error", markup=False,
                                timeout=10)
                else:
                    how = "sparse" if done.sparse else "whole"
                    self.notify(f"{request.local_path} → {done.name}: {size_text(done.size)} ({how})",
                                title="Upload", markup=False)

            run_for_form(self.app, JobScreen(
                self.ctx.actions.jobs, f"Upload into {request.name}", self.connection,
                self.actions.upload(self.pool_uuid, request.name, request.local_path, request.new, cancel),
                self.actions.canceller(cancel)), finish, ended)

        self.app.push_screen(UploadVolumeScreen(pool.name, self.ctx.inventory.host_name(self.conn_id),
                                                list(self.volumes)).performing(perform).describing(
            lambda request: self.actions.upload_commands(self.pool_uuid, request.name, request.local_path, request.new,
                                                         request.image.capacity, request.image.format)))

    def action_download(self) -> None:
        vol = self.selected()
        if vol is None or self.why_disabled("download"):
            return

        def perform(request, finish) -> None:
            cancel = threading.Event()

            def ended(done, error: str | None) -> None:
                if error is not None:
                    self.notify(f"{vol.name}: {error}", title="Download: failed", severity="error", markup=False,
                                timeout=10)
                else:
                    self.notify(f"{vol.name} → {request.local_path}: {size_text(done.size)}", title="Download",
                                markup=False)

            run_for_form(self.app, JobScreen(
                self.ctx.actions.jobs, f"Download {vol.name}", self.connection,
                self.actions.download(self.pool_uuid, vol.name, request.local_path, cancel),
                self.actions.canceller(cancel)), finish, ended)

        self.app.push_screen(DownloadVolumeScreen(vol).performing(perform).describing(
            lambda request: self.actions.download_commands(self.pool_uuid, vol.name, request.local_path)))
