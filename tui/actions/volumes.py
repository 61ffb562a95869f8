"""What the volumes screen and its forms ask of a pool's host: list, info, create, the
users of a volume (the guard), delete, wipe, resize, clone, upload and download.

Each verb takes the screen the answer goes to and `then(result, error)`, and asks the pool's
host; a transfer or a copy is handed back as its job's `work(conn, progress)` for a `JobScreen`
to run through `actions.jobs`. The pure parts the forms need come from here too."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..backend.ops import volumes
from ..backend.ops.volumes import DELETE, SHRINK, WIPE, LocalImage, VolumeDetails, definition, probe_local
from ..backend.xml.volume import VolumeSpec
from ..calls import Then
from .jobs import JobWork
from .owner import OwnedActions

__all__ = ["DELETE", "SHRINK", "WIPE", "LocalImage", "VolumeActions", "VolumeDetails", "definition", "probe_local"]


class VolumeActions(OwnedActions):
    def list_volumes(self, conn_id: str, pool_uuid: str) -> None:
        """Read the pool's volumes again (they arrive as an inventory update)."""
        self.owner.fleet.list_volumes(conn_id, pool_uuid)

    def details(self, target, conn_id: str, pool_uuid: str, name: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: volumes.details(conn, pool_uuid, name), then, "volume info",
                  opens="volume info")

    def create(self, target, conn_id: str, pool_uuid: str, spec: VolumeSpec, then: Then) -> None:
        """Preallocating takes as long as the volume is big: that runs on a long-call thread."""
        self._ask(target, conn_id, lambda conn: volumes.create(conn, pool_uuid, spec), then, "create volume",
                  long=bool(spec.allocation))

    def guard(self, target, conn_id: str, action: str, pool_uuid: str, name: str, then: Then) -> None:
        """Who uses the volume and what that allows for `action` (DELETE, WIPE, SHRINK)."""
        def guard(conn):
            return volumes.guard(action, name, volumes.uses(conn, volumes.volume_of(conn, pool_uuid, name)))

        self._ask(target, conn_id, guard, then, "volume users", opens=f"{action} volume")

    def delete(self, target, conn_id: str, pool_uuid: str, name: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: volumes.delete(conn, pool_uuid, name), then, "delete volume")

    def wipe(self, target, conn_id: str, pool_uuid: str, name: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: volumes.wipe(conn, pool_uuid, name), then, "wipe volume", long=True)

    def resize(self, target, conn_id: str, pool_uuid: str, name: str, capacity: int, shrink: bool,
               then: Then) -> None:
        self._ask(target, conn_id, lambda conn: volumes.resize(conn, pool_uuid, name, capacity, shrink), then,
                  "resize volume", long=True)

    def clone(self, pool_uuid: str, name: str, target_pool_uuid: str, new_name: str) -> JobWork:
        return lambda conn, progress: volumes.clone(conn, pool_uuid, name, target_pool_uuid, new_name, progress)

    def upload(self, pool_uuid: str, name: str, local_path: str, new: bool, cancel: threading.Event) -> JobWork:
        return lambda conn, progress: volumes.upload(conn, pool_uuid, name, local_path, new, progress, cancel)

    def download(self, pool_uuid: str, name: str, local_path: str, cancel: threading.Event) -> JobWork:
        return lambda conn, progress: volumes.download(conn, pool_uuid, name, local_path, progress, cancel)

    def canceller(self, cancel: threading.Event) -> Callable[[Any], None]:
        """A transfer job's abort: stops the stream at its next chunk."""
        return volumes.canceller(cancel)
