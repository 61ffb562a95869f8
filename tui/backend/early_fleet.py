"""Starting the local hosts before the UI's modules are imported: their opens and first
lists (libvirt's C code, the daemon's work, without the GIL) run while the UI loads, and
what they report is held until the UI takes the fleet."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable

from .connection import Sink
from .fleet import Fleet
from .uri import is_remote


class HeldUpdates:
    """A sink that keeps what arrives until `release(sink)`, then hands it all on, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: list = []
        self._sink: Sink | None = None

    def __call__(self, update) -> None:
        with self._lock:
            if self._sink is None:
                self._held.append(update)
                return
            sink = self._sink
        sink(update)

    def release(self, sink: Sink) -> None:
        with self._lock:  # an update arriving meanwhile waits: it must follow the held ones
            for update in self._held:
                sink(update)
            self._held.clear()
            self._sink = sink


class EarlyFleet:
    def __init__(self, hosts: Fleet, updates: HeldUpdates, started: int) -> None:
        self._hosts = hosts
        self._updates = updates
        self.started = started  # the hosts it opened: this many from the first of the targets
        self.taken = False

    def take(self, sink: Sink) -> Fleet:
        """The fleet, its updates so far and from now on going to `sink`."""
        self._updates.release(sink)
        self.taken = True
        return self._hosts

    def close(self) -> None:
        """For a UI that never took it."""
        self._hosts.close()


def start(
    targets: Iterable[tuple[str, str | None, dict]],
    *,
    read_only: bool,
    resync_interval: float,
    refresh: float,
) -> EarlyFleet | None:
    """Open the leading local hosts of `targets` (uri, name, Fleet.add's keywords) now.
    A remote host, and every host after it, waits for the UI (virtdeck's own SSH may
    have to ask first; the hosts keep their order). None when no host leads."""
    local = list(itertools.takewhile(lambda target: not is_remote(target[0]), targets))
    if not local:
        return None
    updates = HeldUpdates()
    hosts = Fleet(updates, read_only=read_only, resync_interval=resync_interval)
    hosts.set_sampling(interval=refresh, active=True)
    for uri, name, extra in local:
        hosts.add(uri, name, **extra)
    return EarlyFleet(hosts, updates, len(local))

