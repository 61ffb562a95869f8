"""What the volumes screen and its forms ask of a pool's host: list, info, create, the
users of a volume (the guard), delete, wipe, resize, clone, upload and download.

Each verb takes the screen the answer goes to and `then(result, error)`, and asks the pool's
host; a transfer or a copy is handed back as its job's `work(conn, progress)` for a `JobScreen`
to run through `actions.jobs`. The pure parts the forms need come from here too."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..backend import commands
from ..backend.commands import CommandLine
from ..backend.ops import volumes
from ..backend.ops.volumes import DELETE, SHRINK, WIPE, LocalImage, VolumeDetails, definition, probe_local
from ..backend.xml.volume import VolumeSpec
from ..calls import Then
from .jobs import JobWork
from .owner import OwnedActions
from .recorder import Did

__all__ = ["DELETE", "SHRINK", "WIPE", "LocalImage", "VolumeActions", "VolumeDetails", "definition", "probe_local"]


class VolumeActions(OwnedActions):
    def pool_host(self, pool_uuid: str, conn_id: str | None = None) -> tuple[str, str, str]:
        """(conn_id, the host's URI, the pool's name) of the pool `pool_uuid`."""
        for (pool_conn, uuid), pool in self.owner.inventory.pools.items():
            if uuid == pool_uuid and conn_id in (None, pool_conn):
                return pool_conn, self.uri(pool_conn), pool.name
        return conn_id or "", self.uri(conn_id), pool_uuid

    def _did(self, what: str, pool_uuid: str, name: str, build, conn_id: str | None = None) -> tuple[str, Did]:
        """(conn_id, what `build(uri, pool name)` does to the volume `name`)."""
        conn, uri, pool = self.pool_host(pool_uuid, conn_id)
        return conn, Did("volume", f"{pool}/{name}", what, tuple(build(uri, pool)))

    def create_commands(self, conn_id: str, pool_uuid: str, spec: VolumeSpec) -> list[CommandLine]:
        _conn, uri, pool = self.pool_host(pool_uuid, conn_id)
        return commands.volume_create(uri, pool, spec.name, spec.capacity, spec.format, spec.allocation,
                                      spec.backing_path, spec.backing_format)

    def delete_commands(self, conn_id: str, pool_uuid: str, name: str) -> list[CommandLine]:
        return list(self._did("delete volume", pool_uuid, name,
                         lambda uri, pool: commands.volume_delete(uri, pool, name), conn_id)[1].commands)

    def wipe_commands(self, conn_id: str, pool_uuid: str, name: str) -> list[CommandLine]:
        return list(self._did("wipe volume", pool_uuid, name,
                         lambda uri, pool: commands.volume_wipe(uri, pool, name), conn_id)[1].commands)

    def resize_commands(self, conn_id: str, pool_uuid: str, name: str, capacity: int, shrink: bool
                        ) -> list[CommandLine]:
        return list(self._did("resize volume", pool_uuid, name,
                         lambda uri, pool: commands.volume_resize(uri, pool, name, capacity, shrink), conn_id)[1].commands)

    def clone_commands(self, pool_uuid: str, name: str, target_pool_uuid: str, new_name: str) -> list[CommandLine]:
        conn, uri, pool = self.pool_host(pool_uuid)
        target = self.pool_host(target_pool_uuid, conn)[2]
        return commands.volume_clone(uri, pool, name, target, new_name)

    def upload_commands(self, pool_uuid: str, name: str, local_path: str, new: bool, capacity: int = 0,
                        format: str = "raw") -> list[CommandLine]:
        _conn, uri, pool = self.pool_host(pool_uuid)
        return commands.volume_upload(uri, pool, name, local_path, new, capacity, format)

    def download_commands(self, pool_uuid: str, name: str, local_path: str) -> list[CommandLine]:
        _conn, uri, pool = self.pool_host(pool_uuid)
        return commands.volume_download(uri, pool, name, local_path)

    def list_volumes(self, conn_id: str, pool_uuid: str) -> None:
        """Read the pool's volumes again (they arrive as an inventory update)."""
        self.owner.fleet.list_volumes(conn_id, pool_uuid)

    def details(self, target, conn_id: str, pool_uuid: str, name: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: volumes.details(conn, pool_uuid, name), then, "volume info",
                  opens="volume info")

    def create(self, target, conn_id: str, pool_uuid: str, spec: VolumeSpec, then: Then) -> None:
        """Preallocating takes as long as the volume is big: that runs on a long-call thread."""
        pool = self.pool_host(pool_uuid, conn_id)[2]
        self._ask(target, conn_id, lambda conn: volumes.create(conn, pool_uuid, spec), then, "create volume",
                  long=bool(spec.allocation),
                  did=Did("volume", f"{pool}/{spec.name}", "create volume",
                          tuple(self.create_commands(conn_id, pool_uuid, spec))))

    def guard(self, target, conn_id: str, action: str, pool_uuid: str, name: str, then: Then) -> None:
        """Who uses the volume and what that allows for `action` (DELETE, WIPE, SHRINK)."""
        def guard(conn):
            return volumes.guard(action, name, volumes.uses(conn, volumes.volume_of(conn, pool_uuid, name)))

        self._ask(target, conn_id, guard, then, "volume users", opens=f"{action} volume")

    def delete(self, target, conn_id: str, pool_uuid: str, name: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: volumes.delete(conn, pool_uuid, name), then, "delete volume",
                  did=self._did("delete volume", pool_uuid, name,
                                lambda uri, pool: commands.volume_delete(uri, pool, name), conn_id)[1])

    def wipe(self, target, conn_id: str, pool_uuid: str, name: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: volumes.wipe(conn, pool_uuid, name), then, "wipe volume", long=True,
                  did=self._did("wipe volume", pool_uuid, name,
                                lambda uri, pool: commands.volume_wipe(uri, pool, name), conn_id)[1])

    def resize(self, target, conn_id: str, pool_uuid: str, name: str, capacity: int, shrink: bool,
               then: Then) -> None:
        self._ask(target, conn_id, lambda conn: volumes.resize(conn, pool_uuid, name, capacity, shrink), then,
                  "resize volume", long=True,
                  did=self._did("resize volume", pool_uuid, name,
                                lambda uri, pool: commands.volume_resize(uri, pool, name, capacity, shrink),
                                conn_id)[1])

    def clone(self, pool_uuid: str, name: str, target_pool_uuid: str, new_name: str) -> JobWork:
        conn_id, _uri, pool = self.pool_host(pool_uuid)
        did = Did("volume", f"{pool}/{name}", f"clone to {new_name}",
                  tuple(self.clone_commands(pool_uuid, name, target_pool_uuid, new_name)))
        return self.logged(conn_id, did, lambda conn, progress: volumes.clone(conn, pool_uuid, name, target_pool_uuid,
                                                                             new_name, progress))

    def upload(self, pool_uuid: str, name: str, local_path: str, new: bool, cancel: threading.Event) -> JobWork:
        conn_id, _uri, pool = self.pool_host(pool_uuid)
        did = Did("volume", f"{pool}/{name}", f"upload {local_path}",
                  tuple(self.upload_commands(pool_uuid, name, local_path, new)))
        return self.logged(conn_id, did, lambda conn, progress: volumes.upload(conn, pool_uuid, name, local_path, new,
                                                                              progress, cancel))

    def download(self, pool_uuid: str, name: str, local_path: str, cancel: threading.Event) -> JobWork:
        conn_id, _uri, pool = self.pool_host(pool_uuid)
        did = Did("volume", f"{pool}/{name}", f"download to {local_path}",
                  tuple(self.download_commands(pool_uuid, name, local_path)))
        return self.logged(conn_id, did, lambda conn, progress: volumes.download(conn, pool_uuid, name, local_path,
                                                                                progress, cancel))

    def canceller(self, cancel: threading.Event) -> Callable[[Any], None]:
        """A transfer job's abort: stops the stream at its next chunk."""
        return volumes.canceller(cancel)
