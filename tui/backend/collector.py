"""The hosts' inventory without a UI: a Fleet whose updates are folded into an `Inventory`
on the calling thread, until every host has listed (or failed) and, where asked, its live
figures have had one stats interval. What `virtdeck --export` reads."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .fleet import Fleet
from .inventory import Inventory
from .model import ConnState, HostChanged, InventorySynced, StatsSampled, VolumesListed

GAVE_UP = (ConnState.RETRYING, ConnState.LOST, ConnState.FAILED)
SAMPLES = 2  # a rate is the difference of two samples: the first one has none


@dataclass
class Outcome:
    """How the hosts answered: conn_id -> why it did not list (its error, or a time-out)."""

    inventory: Inventory
    failed: dict[str, str] = field(default_factory=dict)


class Collector:
    def __init__(self, *, read_only: bool = False, refresh: float = 2.0, timeout: float = 20.0) -> None:
        self.inventory = Inventory()
        self.refresh = refresh
        self.timeout = timeout
        self._updates: queue.Queue = queue.Queue()
        self._fleet = Fleet(self._updates.put, read_only=read_only, resync_interval=3600.0,
                            open_timeout=min(10.0, timeout))
        self._fleet.first_lists_drawn()  # nothing to draw: the reads after the lists need not wait

    def add(self, uri: str, name: str | None = None, **options) -> None:
        """A host to read; `options` as `Fleet.add` takes them (the demo's hooks)."""
        self._fleet.add(uri, name, **options)

    def collect(self, *, volumes: bool = False, stats: bool = False, host_stats: bool = False,
                addresses: bool = False) -> Outcome:
        """Wait until every host listed or failed (within `timeout`) and its guests' sizes are
        read, then, with `volumes`, for every active pool's volumes, with `addresses`, for the
        DHCP leases and the running guests' NICs (what the IP column is made of; a host that
        does not say within the timeout gets its rows without them), and with `stats`, for one
        stats interval of figures."""
        fleet = self._fleet
        fleet.set_sampling(interval=self.refresh, active=stats, host=host_stats)
        ids = [connection.conn_id for connection in fleet.connections]
        synced: set[str] = set()
        failed: dict[str, str] = {}
        pending_pools: set[tuple[str, str]] = set()
        samples: dict[str, int] = {}

        def fold(update) -> None:
            self.inventory.apply(update)
            if isinstance(update, InventorySynced) and update.conn_id not in synced:
                synced.add(update.conn_id)
                failed.pop(update.conn_id, None)
                if volumes:
                    for pool in update.pools:
                        if pool.state == "active":
                            pending_pools.add(pool.key)
                            fleet.list_volumes(pool.conn_id, pool.uuid)
            elif isinstance(update, HostChanged) and update.host.conn_id not in synced:
                if update.host.state in GAVE_UP:
                    failed[update.host.conn_id] = update.host.last_error or update.host.state.value
            elif isinstance(update, VolumesListed):
                pending_pools.discard((update.conn_id, update.pool_uuid))
            elif isinstance(update, StatsSampled) and update.conn_id in synced:
                samples[update.conn_id] = samples.get(update.conn_id, 0) + 1

        deadline = time.monotonic() + self.timeout
        self._until(fold, deadline, lambda: all(c in synced or c in failed for c in ids) and not pending_pools)
        for conn_id in ids:
            if conn_id not in synced and conn_id not in failed:
                failed[conn_id] = f"no answer within {self.timeout:g} s"
        # Sizes a driver's bulk stats lack are read after its list.
        self._until(fold, deadline, lambda: all(guest.sized for guest in self.inventory.guests.values()))
        if addresses:
            self._until(fold, deadline, lambda: all(self._addresses_known(c) for c in synced))
        if stats and synced:
            # Up to two intervals (and a little): the tick after the first sample gives the rates.
            wait = time.monotonic() + SAMPLES * self.refresh + 2.0
            self._until(fold, wait, lambda: all(samples.get(c, 0) >= SAMPLES for c in synced))
        self._drain(fold)
        return Outcome(self.inventory, failed)

    def _addresses_known(self, conn_id: str) -> bool:
        inventory = self.inventory
        if conn_id not in inventory.leases:
            return False
        return all((conn_id, guest.uuid) in inventory.nics for guest in inventory.guests.values()
                   if guest.conn_id == conn_id and guest.id is not None)

    def _until(self, fold: Callable, deadline: float, done: Callable[[], bool]) -> None:
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                update = self._updates.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            fold(update)

    def _drain(self, fold: Callable) -> None:
        while True:
            try:
                fold(self._updates.get_nowait())
            except queue.Empty:
                return

    def close(self) -> None:
        """Close every connection, waiting a moment for them to close cleanly."""
        self._fleet.close().join()
