"""Long work (migrate, clone, backup, save to a file) on a connection's long-call threads,
and asking it to stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..backend.ops.jobs import Progress
from ..calls import Then, ask

if TYPE_CHECKING:
    from ..app import VirtdeckApp

__all__ = ["JobActions", "Progress"]


class JobActions:
    def __init__(self, app: VirtdeckApp) -> None:
        self.app = app

    def connection(self, conn_id: str):
        """The connection a job runs on (None: not connected; the job then says so)."""
        return self.app.fleet.get(conn_id) if self.app.fleet else None

    def run(self, target, connection, work: Callable[[Any, Progress], Any], progress: Progress, then: Then,
            title: str) -> None:
        """`work(conn, progress)` on a long-call thread; `then(result, error)`."""
        ask(target, connection, lambda conn: work(conn, progress), then, title, long=True)

    def abort(self, target, connection, abort: Callable[[Any], None]) -> None:
        """`abort(conn)` on the connection's worker: the long-call threads may all be busy."""
        ask(target, connection, abort, lambda _r, _e: None, "abort job")
