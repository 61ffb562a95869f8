"""Long work (migrate, clone, backup, save to a file) on a connection's long-call threads,
and asking it to stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..backend.ops.jobs import Progress
from ..calls import Then, ask
from .owner import OwnedActions

__all__ = ["JobActions", "JobWork", "Progress"]

JobWork = Callable[[Any, Progress], Any]  # (conn, progress) -> result, on a long-call thread


class JobActions(OwnedActions):
    """`connection(conn_id)`: the connection a job runs on (None: not connected; the job then says so)."""

    def run(self, target, connection, work: JobWork, progress: Progress, then: Then,
            title: str) -> None:
        """`work(conn, progress)` on a long-call thread; `then(result, error)`."""
        ask(target, connection, lambda conn: work(conn, progress), then, title, long=True)

    def abort(self, target, connection, abort: Callable[[Any], None]) -> None:
        """`abort(conn)` on the connection's worker: the long-call threads may all be busy."""
        ask(target, connection, abort, lambda _r, _e: None, "abort job")
