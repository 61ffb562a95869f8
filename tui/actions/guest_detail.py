"""What the guest detail screen's tabs and their forms ask of a guest's host: its definition
and devices, the agent, hardware changes, snapshots, saving, exporting and backing it up.

Each verb returns the work, `work(conn)` (a job's `work(conn, progress)`), for the tab to
`ask` with its own words; the pure checks and types the forms need come from here too."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..backend.ops import guest_info, jobs, recovery
from ..backend.ops import guests as guest_ops
from ..backend.ops import hardware, snapshots
from ..backend.ops.guest_info import Agent, Command, Disk, Nics, console_commands
from ..backend.ops.hardware import (DiskRequest, HardwareView, NewVolume, Outcome, check_mac, check_volume_name,
                                    overcommit_warning, parse_size)
from ..backend.ops.recovery import SAVE_DIR, default_export_path, default_save_path
from ..backend.ops.snapshots import (EXTERNAL_DISK, INTERNAL_MEMORY, KIND_LABELS, Snapshot, SnapshotPlan,
                                     default_name, mixing_warning)
from ..backend.ops.snapshots import check_name as check_snapshot_name
from ..calls import Then, ask

if TYPE_CHECKING:
    from ..app import VirtdeckApp

__all__ = [
    "Agent", "Command", "Disk", "DiskRequest", "EXTERNAL_DISK", "GuestDetailActions", "HardwareView", "INTERNAL_MEMORY",
    "KIND_LABELS", "NewVolume", "Nics", "Outcome", "SAVE_DIR", "Snapshot", "SnapshotPlan", "check_mac",
    "check_snapshot_name", "check_volume_name", "console_commands", "default_export_path", "default_name",
    "default_save_path", "mixing_warning", "overcommit_warning", "parse_size",
]

Work = Callable[[Any], Any]

READERS: dict[str, Callable[[Any, str], Any]] = {  # a devices tab's id -> what it reads
    "disks": guest_info.read_disks,
    "nics": guest_info.read_nics,
    "consoles": guest_info.read_consoles,
    "agent": guest_info.read_agent,
}


class GuestDetailActions:
    def __init__(self, app: VirtdeckApp) -> None:
        self.app = app

    # -- the connection --------------------------------------------------------

    def connection(self, conn_id: str):
        return self.app.fleet.get(conn_id) if self.app.fleet else None

    def ask(self, target, conn_id: str, work: Work, then: Then, action: str, long: bool = False,
            opens: str | None = None) -> None:
        """`work(conn)` off the UI loop on `conn_id`'s connection; `then(result, error)` back on it."""
        ask(target, self.connection(conn_id), work, then, action, long=long, opens=opens)

    def sample_vcpus(self, conn_id: str, on: bool) -> None:
        """Per-vCPU figures in the stats tick while a detail screen is open."""
        connection = self.connection(conn_id)
        if connection is not None:
            connection.set_sampling(vcpu=on)

    def read_guest_xml(self, conn_id: str, uuid: str) -> None:
        connection = self.connection(conn_id)
        if connection is not None:
            connection.read_guest_xml(uuid)

    def refresh_guest(self, conn_id: str, uuid: str) -> None:
        connection = self.connection(conn_id)
        if connection is not None:
            connection.refresh_guest(uuid)

    def list_volumes(self, conn_id: str) -> None:
        """Read the volumes of the host's active pools again (a disk or a CD-ROM is chosen from them)."""
        if self.app.fleet is not None:
            for (pool_conn, pool_uuid), pool in self.app.inventory.pools.items():
                if pool_conn == conn_id and pool.state == "active":
                    self.app.fleet.list_volumes(conn_id, pool_uuid)

    # -- reads -----------------------------------------------------------------

    def overview(self, uuid: str) -> Work:
        return lambda conn: guest_info.read_overview(conn, uuid)

    def devices(self, tab_id: str, uuid: str) -> Work:
        read = READERS[tab_id]
        return lambda conn: read(conn, uuid)

    def boot_order(self, uuid: str) -> Work:
        return lambda conn: guest_info.read_boot(conn, uuid)

    def hardware(self, uuid: str) -> Work:
        return lambda conn: hardware.read(conn, uuid)

    def vcpu_maximum(self, uuid: str) -> Work:
        return lambda conn: guest_ops.vcpu_maximum(conn, uuid=uuid)

    # -- the agent ---------------------------------------------------------------

    def fs_freeze(self, uuid: str) -> Work:
        return lambda conn: guest_info.fs_freeze(conn, uuid)

    def fs_thaw(self, uuid: str) -> Work:
        return lambda conn: guest_info.fs_thaw(conn, uuid)

    # -- hardware ----------------------------------------------------------------

    def set_cpu_memory(self, uuid: str, vcpus: int | None, memory_kib: int | None, live: bool,
                       config: bool) -> Work:
        """The outcomes of setting the vCPUs, then the memory (each only if given)."""
        def work(conn) -> list[Outcome]:
            outcomes = []
            if vcpus is not None:
                outcomes.append(hardware.set_vcpus(conn, uuid, vcpus, live, config))
            if memory_kib is not None:
                outcomes.append(hardware.set_memory(conn, uuid, memory_kib, live, config))
            return outcomes

        return work

    def change_media(self, uuid: str, target: str, path: str | None) -> Work:
        return lambda conn: hardware.change_media(conn, uuid, target, path)

    def add_cdrom(self, uuid: str, bus: str, path: str | None) -> Work:
        return lambda conn: hardware.add_cdrom(conn, uuid, bus, path)

    def attach_disk(self, uuid: str, request: DiskRequest) -> Work:
        return lambda conn: hardware.attach_disk(conn, uuid, request)

    def attach_nic(self, uuid: str, kind: str, source: str, model: str, mac: str | None, mode) -> Work:
        return lambda conn: hardware.attach_nic(conn, uuid, kind, source, model, mac, mode)

    def detach(self, uuid: str, ident: str) -> Work:
        return lambda conn: hardware.detach(conn, uuid, ident)

    def set_boot_order(self, uuid: str, order) -> Work:
        return lambda conn: hardware.set_boot_order(conn, uuid, order)

    # -- snapshots ---------------------------------------------------------------

    def snapshot_tree(self, uuid: str) -> Work:
        return lambda conn: snapshots.tree(conn, uuid)

    def snapshot_plan(self, uuid: str) -> Work:
        return lambda conn: snapshots.plan(conn, uuid)

    def create_snapshot(self, uuid: str, name: str, description: str, kind: str) -> Work:
        return lambda conn: snapshots.create(conn, uuid, name, description, kind)

    def revert_snapshot(self, uuid: str, name: str) -> Work:
        return lambda conn: snapshots.revert(conn, uuid, name)

    def delete_snapshot(self, uuid: str, name: str, with_children: bool) -> Work:
        return lambda conn: snapshots.delete(conn, uuid, name, with_children)

    def snapshot_children(self, uuid: str, name: str) -> Work:
        return lambda conn: snapshots.children_of(conn, uuid, name)

    # -- save, export, back up, restore, import ------------------------------------

    def save(self, uuid: str, path: str) -> Callable[[Any, Any], Any]:
        return lambda conn, progress: recovery.save(conn, uuid, path, progress)

    def push_backup(self, uuid: str, directory: str) -> Callable[[Any, Any], Any]:
        return lambda conn, progress: recovery.push_backup(conn, uuid, directory, progress)

    def abort_job(self, uuid: str) -> Work:
        return lambda conn: jobs.abort(conn, uuid)

    def export(self, uuid: str, path: str, replace: bool) -> Work:
        return lambda conn: recovery.export(conn, uuid, path, replace)

    def default_backup_dir(self, uuid: str) -> Work:
        return lambda conn: recovery.default_backup_dir(conn, uuid)

    def restore(self, path: str) -> Work:
        return lambda conn: recovery.restore(conn, path)

    def import_definition(self, path: str) -> Work:
        return lambda conn: recovery.import_definition(conn, path)
