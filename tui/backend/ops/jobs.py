"""Watching a libvirt domain job (migration, backup, save) while the call that runs it blocks."""

from __future__ import annotations

import threading
from collections.abc import Callable

import libvirt

Progress = Callable[[int, int, str], None]  # (done, total, what) -- bytes; 0 of 0 when unknown


def job_progress(dom: libvirt.virDomain) -> tuple[int, int] | None:
    """(processed, total) bytes of the guest's running job, or None when none runs."""
    try:
        stats = dom.jobStats(0)
    except libvirt.libvirtError:
        return None
    if stats.get("type", libvirt.VIR_DOMAIN_JOB_NONE) == libvirt.VIR_DOMAIN_JOB_NONE:
        return None
    total = stats.get("data_total") or stats.get("disk_total") or stats.get("memory_total") or 0
    done = stats.get("data_processed") or stats.get("disk_processed") or stats.get("memory_processed") or 0
    return int(done), int(total)


class JobWatcher:
    """Polls a guest's job on a thread of its own until stopped; use as a context manager
    around the blocking call."""

    def __init__(self, dom: libvirt.virDomain, progress: Progress, what: str, every: float = 0.5) -> None:
        self.dom = dom
        self.progress = progress
        self.what = what
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch {what}", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            figures = job_progress(self.dom)
            if figures is not None:
                self.progress(figures[0], figures[1], self.what)

    def __enter__(self) -> JobWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def abort(conn: libvirt.virConnect, uuid: str) -> None:
    conn.lookupByUUIDString(uuid).abortJob()
