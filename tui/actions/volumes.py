"""What the volumes screen and its forms ask of a pool's host: list, info, create, the
users of a volume (the guard), delete, wipe, resize, clone, upload and download.

Each verb returns the work, `work(conn)` (a job's `work(conn, progress)`), for the screen
to `ask` or run as a job with its own words; the pure parts the forms need come from here too."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..backend.ops import volumes
from ..backend.ops.volumes import DELETE, SHRINK, WIPE, LocalImage, VolumeDetails, definition, probe_local
from ..backend.xml.volume import VolumeSpec
from ..calls import Then, ask

if TYPE_CHECKING:
    from ..app import VirtdeckApp

__all__ = ["DELETE", "SHRINK", "WIPE", "LocalImage", "VolumeActions", "VolumeDetails", "definition", "probe_local"]

Work = Callable[[Any], Any]
JobWork = Callable[[Any, Any], Any]  # (conn, progress)


class VolumeActions:
    def __init__(self, app: VirtdeckApp) -> None:
        self.app = app

    def connection(self, conn_id: str):
        return self.app.fleet.get(conn_id) if self.app.fleet else None

    def ask(self, target, conn_id: str, work: Work, then: Then, action: str, long: bool = False,
            opens: str | None = None) -> None:
        """`work(conn)` off the UI loop on `conn_id`'s connection; `then(result, error)` back on it."""
        ask(target, self.connection(conn_id), work, then, action, long=long, opens=opens)

    def list_volumes(self, conn_id: str, pool_uuid: str) -> None:
        """Read the pool's volumes again (they arrive as an inventory update)."""
        self.app.fleet.list_volumes(conn_id, pool_uuid)

    def details(self, pool_uuid: str, name: str) -> Work:
        return lambda conn: volumes.details(conn, pool_uuid, name)

    def create(self, pool_uuid: str, spec: VolumeSpec) -> Work:
        return lambda conn: volumes.create(conn, pool_uuid, spec)

    def guard(self, action: str, pool_uuid: str, name: str) -> Work:
        """Who uses the volume and what that allows for `action` (DELETE, WIPE, SHRINK)."""
        return lambda conn: volumes.guard(action, name, volumes.uses(conn, volumes.volume_of(conn, pool_uuid, name)))

    def delete(self, pool_uuid: str, name: str) -> Work:
        return lambda conn: volumes.delete(conn, pool_uuid, name)

    def wipe(self, pool_uuid: str, name: str) -> Work:
        return lambda conn: volumes.wipe(conn, pool_uuid, name)

    def resize(self, pool_uuid: str, name: str, capacity: int, shrink: bool) -> Work:
        return lambda conn: volumes.resize(conn, pool_uuid, name, capacity, shrink)

    def clone(self, pool_uuid: str, name: str, target_pool_uuid: str, new_name: str) -> JobWork:
        return lambda conn, progress: volumes.clone(conn, pool_uuid, name, target_pool_uuid, new_name, progress)

    def upload(self, pool_uuid: str, name: str, local_path: str, new: bool, cancel: threading.Event) -> JobWork:
        return lambda conn, progress: volumes.upload(conn, pool_uuid, name, local_path, new, progress, cancel)

    def download(self, pool_uuid: str, name: str, local_path: str, cancel: threading.Event) -> JobWork:
        return lambda conn, progress: volumes.download(conn, pool_uuid, name, local_path, progress, cancel)

    def canceller(self, cancel: threading.Event) -> Work:
        """A transfer job's abort: stops the stream at its next chunk."""
        return volumes.canceller(cancel)
