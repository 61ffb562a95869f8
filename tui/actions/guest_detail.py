"""What the guest detail screen's tabs and their forms ask of a guest's host: its definition
and devices, the agent, hardware changes, snapshots, saving, exporting and backing it up.

Each verb takes the widget the answer goes to and `then(result, error)`, and asks the guest's
host; a job (save, back up) is handed back as its `work(conn, progress)` for a `JobScreen` to
run through `actions.jobs`. The pure checks and types the forms need come from here too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..backend import commands
from ..backend.commands import CommandLine
from ..backend.ops import guest_info, jobs, recovery
from ..backend.ops import guests as guest_ops
from ..backend.ops import hardware, snapshots
from ..backend.ops.guest_info import Agent, Command, Disk, Nics, console_commands
from ..backend.ops.hardware import (DiskRequest, HardwareView, NewVolume, Outcome, check_mac, check_volume_name,
                                    overcommit_warning, parse_size)
from ..backend.ops.recovery import SAVE_DIR, default_export_path, default_save_path
from ..backend.ops.snapshots import (EXTERNAL_DISK, INTERNAL_MEMORY, KIND_LABELS, Snapshot, SnapshotPlan,
                                     default_name, mixing_warning)
from ..backend.ops.snapshots import check_description as check_snapshot_description
from ..backend.ops.snapshots import check_name as check_snapshot_name
from ..calls import Then
from .jobs import JobWork
from .owner import OwnedActions
from .recorder import Did

__all__ = [
    "Agent", "Command", "Disk", "DiskRequest", "EXTERNAL_DISK", "GuestDetailActions", "HardwareView", "INTERNAL_MEMORY",
    "KIND_LABELS", "NewVolume", "Nics", "Outcome", "SAVE_DIR", "Snapshot", "SnapshotPlan", "check_mac",
    "check_snapshot_description", "check_snapshot_name", "check_volume_name", "console_commands",
    "default_export_path", "default_name", "default_save_path", "mixing_warning", "overcommit_warning", "parse_size",
]

Build = Callable[[str, str], list[CommandLine]]  # (the host's URI, the guest's name) -> a change's command lines

READERS: dict[str, Callable[[Any, str], Any]] = {  # a devices tab's id -> what it reads
    "disks": guest_info.read_disks,
    "nics": guest_info.read_nics,
    "consoles": guest_info.read_consoles,
    "agent": guest_info.read_agent,
}


class GuestDetailActions(OwnedActions):
    # -- what a change does, as command lines (the sheet's and the log's) ----------------

    def commands(self, conn_id: str, uuid: str, build: Callable[[str, str], list[CommandLine]]) -> list[CommandLine]:
        """`build(uri, the guest's name)`: the command lines of a change to the guest `uuid`."""
        return build(self.uri(conn_id), self.name_of("guests", conn_id, uuid))

    def _did(self, conn_id: str, uuid: str, what: str, build: Callable[[str, str], list[CommandLine]]) -> Did:
        return Did("guest", self.name_of("guests", conn_id, uuid), what, tuple(self.commands(conn_id, uuid, build)))

    @staticmethod
    def cpu_memory_commands(vcpus: int | None, memory_kib: int | None, live: bool, config: bool):
        """A `build(uri, name)` for setting the vCPUs and the memory."""
        def build(uri: str, name: str) -> list[CommandLine]:
            lines = commands.setvcpus(uri, name, vcpus, live, config) if vcpus is not None else []
            return lines + (commands.setmem(uri, name, memory_kib, live, config) if memory_kib is not None else [])
        return build

    # -- the connection --------------------------------------------------------

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
        if self.owner.fleet is not None:
            for (pool_conn, pool_uuid), pool in self.owner.inventory.pools.items():
                if pool_conn == conn_id and pool.state == "active":
                    self.owner.fleet.list_volumes(conn_id, pool_uuid)

    # -- reads -----------------------------------------------------------------

    def overview(self, target, conn_id: str, uuid: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: guest_info.read_overview(conn, uuid), then, "read the guest's XML")

    def devices(self, target, conn_id: str, uuid: str, tab_id: str, label: str, then: Then) -> None:
        """What the devices tab `tab_id` (called `label`) shows."""
        read = READERS[tab_id]
        self._ask(target, conn_id, lambda conn: read(conn, uuid), then, f"read {label}", opens=f"the {label} tab")

    def boot_order(self, target, conn_id: str, uuid: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: guest_info.read_boot(conn, uuid), then, "read the boot order")

    def hardware(self, target, conn_id: str, uuid: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: hardware.read(conn, uuid), then, "read hardware",
                  opens="the hardware list")

    def vcpu_maximum(self, target, conn_id: str, uuid: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: guest_ops.vcpu_maximum(conn, uuid=uuid), then, "vCPU maximum",
                  opens="cpu memory")

    # -- the agent ---------------------------------------------------------------

    def fs_freeze(self, target, conn_id: str, uuid: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: guest_info.fs_freeze(conn, uuid), then, "freeze filesystems",
                  did=self._did(conn_id, uuid, "freeze filesystems", commands.fs_freeze))

    def fs_thaw(self, target, conn_id: str, uuid: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: guest_info.fs_thaw(conn, uuid), then, "thaw filesystems",
                  did=self._did(conn_id, uuid, "thaw filesystems", commands.fs_thaw))

    # -- hardware ----------------------------------------------------------------

    def set_cpu_memory(self, target, conn_id: str, uuid: str, vcpus: int | None, memory_kib: int | None, live: bool,
                       config: bool, then: Then) -> None:
        """`then(the outcomes of setting the vCPUs, then the memory (each only if given), error)`."""
        def work(conn) -> list[Outcome]:
            outcomes = []
            if vcpus is not None:
                outcomes.append(hardware.set_vcpus(conn, uuid, vcpus, live, config))
            if memory_kib is not None:
                outcomes.append(hardware.set_memory(conn, uuid, memory_kib, live, config))
            return outcomes

        self._ask(target, conn_id, work, then, "set vCPUs / memory",
                  did=self._did(conn_id, uuid, "set vCPUs / memory",
                                self.cpu_memory_commands(vcpus, memory_kib, live, config)))

    def insert_media(self, target, conn_id: str, uuid: str, drive: str, path: str | None, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: hardware.change_media(conn, uuid, drive, path), then, "insert media",
                  did=self._did(conn_id, uuid, f"insert media into {drive}",
                                self.media_commands(drive, path)))

    def eject(self, target, conn_id: str, uuid: str, drive: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: hardware.change_media(conn, uuid, drive, None), then, "eject",
                  did=self._did(conn_id, uuid, f"eject {drive}",
                                self.media_commands(drive, None)))

    def add_cdrom(self, target, conn_id: str, uuid: str, bus: str, path: str | None, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: hardware.add_cdrom(conn, uuid, bus, path), then, "add a CD-ROM drive",
                  did=self._did(conn_id, uuid, "add a CD-ROM drive",
                                self.add_cdrom_commands()))

    def attach_disk(self, target, conn_id: str, uuid: str, request: DiskRequest, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: hardware.attach_disk(conn, uuid, request), then, "attach a disk",
                  long=True, did=self._did(conn_id, uuid, "attach a disk", self.attach_disk_commands(request)))

    def attach_nic(self, target, conn_id: str, uuid: str, kind: str, source: str, model: str, mac: str | None, mode,
                   then: Then) -> None:
        self._ask(target, conn_id, lambda conn: hardware.attach_nic(conn, uuid, kind, source, model, mac, mode), then,
                  "attach a NIC", did=self._did(conn_id, uuid, "attach a NIC", self.attach_nic_commands(kind, source,
                                                                                                         model, mac)))

    def detach(self, target, conn_id: str, uuid: str, ident: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: hardware.detach(conn, uuid, ident), then, "detach", long=True,
                  did=self._did(conn_id, uuid, f"detach {ident}",
                                self.detach_commands(ident)))

    def set_boot_order(self, target, conn_id: str, uuid: str, order, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: hardware.set_boot_order(conn, uuid, order), then, "boot order",
                  did=self._did(conn_id, uuid, "set the boot order",
                                lambda uri, name: commands.guest_define(uri, "guest.xml",
                                                                        "guest.xml: the definition with the new boot order")))

    # -- snapshots ---------------------------------------------------------------

    def snapshot_tree(self, target, conn_id: str, uuid: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: snapshots.tree(conn, uuid), then, "list snapshots",
                  opens="the snapshot list")

    def snapshot_plan(self, target, conn_id: str, uuid: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: snapshots.plan(conn, uuid), then, "read snapshot options",
                  opens="new snapshot")

    def create_snapshot(self, target, conn_id: str, uuid: str, name: str, description: str, kind: str,
                        then: Then) -> None:
        """Saving the memory takes as long as the guest is big: that runs on a long-call thread."""
        self._ask(target, conn_id, lambda conn: snapshots.create(conn, uuid, name, description, kind), then,
                  "take a snapshot", long=kind == INTERNAL_MEMORY,
                  did=self._did(conn_id, uuid, f"take snapshot {name}",
                                self.snapshot_commands(name, description, kind)))

    def revert_snapshot(self, target, conn_id: str, uuid: str, name: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: snapshots.revert(conn, uuid, name), then, "revert to a snapshot",
                  long=True, did=self._did(conn_id, uuid, f"revert to snapshot {name}",
                                           self.revert_commands(name)))

    def delete_snapshot(self, target, conn_id: str, uuid: str, name: str, with_children: bool, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: snapshots.delete(conn, uuid, name, with_children), then,
                  "delete a snapshot", long=True,
                  did=self._did(conn_id, uuid, f"delete snapshot {name}",
                                self.delete_snapshot_commands(name, with_children)))

    def snapshot_children(self, target, conn_id: str, uuid: str, name: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: snapshots.children_of(conn, uuid, name), then, "list child snapshots")

    # -- save, export, back up, restore, import ------------------------------------

    def guest_conn(self, uuid: str) -> str:
        return next((conn_id for conn_id, key in self.owner.inventory.guests if key == uuid), "")

    def save(self, uuid: str, path: str) -> JobWork:
        conn_id = self.guest_conn(uuid)
        did = self._did(conn_id, uuid, f"save to {path}", self.save_commands(path))
        return self.logged(conn_id, did, lambda conn, progress: recovery.save(conn, uuid, path, progress))

    def push_backup(self, uuid: str, directory: str) -> JobWork:
        conn_id = self.guest_conn(uuid)
        did = self._did(conn_id, uuid, f"back up into {directory}",
                        self.backup_commands(directory))
        return self.logged(conn_id, did, lambda conn, progress: recovery.push_backup(conn, uuid, directory, progress))

    def abort_job(self, uuid: str) -> Callable[[Any], None]:
        """The abort (conn) of a job on the guest `uuid`."""
        return lambda conn: jobs.abort(conn, uuid)

    def export(self, target, conn_id: str, uuid: str, path: str, replace: bool, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: recovery.export(conn, uuid, path, replace), then, "export definition",
                  did=self._did(conn_id, uuid, f"export the definition to {path}",
                                self.export_commands(path)))

    def default_backup_dir(self, target, conn_id: str, uuid: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: recovery.default_backup_dir(conn, uuid), then, "read disks",
                  opens="backup")

    def restore(self, target, conn_id: str, path: str, then: Then) -> None:
        """`then(the guest's name, error)`."""
        self._ask(target, conn_id, lambda conn: recovery.restore(conn, path), then, "Restore a guest from a saved file",
                  long=True, did=Did("guest", path, "restore from a saved file",
                                     tuple(self.restore_commands(conn_id, path))))

    def restore_commands(self, conn_id: str, path: str) -> list[CommandLine]:
        return commands.restore(self.uri(conn_id), path)

    def import_commands(self, conn_id: str, path: str) -> list[CommandLine]:
        return commands.import_definition(self.uri(conn_id), path)

    def import_definition(self, target, conn_id: str, path: str, then: Then) -> None:
        """`then(the guest's name, error)`."""
        self._ask(target, conn_id, lambda conn: recovery.import_definition(conn, path), then,
                  "Import a guest definition", did=Did("guest", path, "import a definition",
                                                       tuple(self.import_commands(conn_id, path))))

    # -- builders the forms' sheets share with the verbs above -----------------------

    @staticmethod
    def attach_disk_commands(request: DiskRequest) -> Callable[[str, str], list[CommandLine]]:
        def build(uri: str, name: str) -> list[CommandLine]:
            new = getattr(request, "new", None)
            made = commands.volume_create(uri, new.pool, new.name, new.capacity, new.format) if new else []
            return made + commands.attach_device(uri, name, "disk.xml",
                                                 note=f"disk.xml: a <disk> on the {request.bus} bus")
        return build

    @staticmethod
    def attach_nic_commands(kind: str, source: str, model: str, mac: str | None
                            ) -> Callable[[str, str], list[CommandLine]]:
        if kind == "direct":
            return lambda uri, name: commands.attach_device(uri, name, "interface.xml",
                                                            note=f"interface.xml: a macvtap <interface> on {source}")
        return lambda uri, name: commands.attach_interface(uri, name, kind, source, model, mac)

    @staticmethod
    def media_commands(drive: str, path: str | None) -> Build:
        return lambda uri, name: commands.change_media(uri, name, drive, path)

    @staticmethod
    def add_cdrom_commands() -> Build:
        return lambda uri, name: commands.attach_device(uri, name, "cdrom.xml", False, True)

    @staticmethod
    def detach_commands(ident: str) -> Build:
        return lambda uri, name: commands.detach_device(uri, name, f"{ident}.xml")

    @staticmethod
    def revert_commands(snapshot: str) -> Build:
        return lambda uri, name: commands.snapshot_revert(uri, name, snapshot)

    @staticmethod
    def delete_snapshot_commands(snapshot: str, with_children: bool) -> Build:
        return lambda uri, name: commands.snapshot_delete(uri, name, snapshot, with_children)

    @staticmethod
    def save_commands(path: str) -> Build:
        return lambda uri, name: commands.save(uri, name, path)

    @staticmethod
    def export_commands(path: str) -> Build:
        return lambda uri, name: commands.export(uri, name, path)

    @staticmethod
    def backup_commands(directory: str) -> Build:
        return lambda uri, name: commands.backup(uri, name, directory)

    @staticmethod
    def snapshot_commands(name: str, description: str, kind: str) -> Callable[[str, str], list[CommandLine]]:
        return lambda uri, guest: commands.snapshot_create(uri, guest, name, description, kind == EXTERNAL_DISK)
