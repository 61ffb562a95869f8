"""The set of connections: adding, removing, fan-out to each host."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping

import libvirt

from . import eventloop
from .connection import Connection, Sink, first_lists
from .model import HostRemoved
from .transport import Transport
from .uri import display_name

CLOSE_WAIT = 0.4  # seconds the process may linger after its UI is gone, for connections to close cleanly
OFF_SCREEN_SECONDS = 5.0  # how often the figures of guests nobody sees are sampled


class Fleet:
    def __init__(
        self,
        sink: Sink,
        *,
        read_only: bool = False,
        resync_interval: float = 60.0,
        open_timeout: float = 10.0,
    ) -> None:
        eventloop.start()
        self._sink = sink
        self.read_only = read_only
        self.resync_interval = resync_interval
        self.open_timeout = open_timeout
        self._connections: dict[str, Connection] = {}
        self._sampling: dict = {"interval": 2.0, "active": False, "vcpu": False, "host": False}
        self._shown: Mapping[str, frozenset[str]] | None = None  # conn -> guests on screen; None: all
        self._ids = itertools.count(1)
        self._watchdog_stop = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="fleet-watchdog", daemon=True)
        self._watchdog.start()

    @property
    def connections(self) -> list[Connection]:
        return list(self._connections.values())

    def get(self, conn_id: str) -> Connection | None:
        return self._connections.get(conn_id)

    def add(
        self,
        uri: str,
        name: str | None = None,
        *,
        demo: bool = False,
        prepare: Callable[[libvirt.virConnect], dict | None] | None = None,
        augment_stats: Callable[[list, float], list] | None = None,
        augment_host: Callable | None = None,
        transport: Transport | None = None,
    ) -> Connection:
        conn_id = f"c{next(self._ids)}"
        connection = Connection(
            conn_id,
            uri,
            name or display_name(uri),
            self._sink,
            read_only=self.read_only,
            demo=demo,
            resync_interval=self.resync_interval,
            open_timeout=self.open_timeout,
            prepare=prepare,
            augment_stats=augment_stats,
            augment_host=augment_host,
            transport=transport,
        )
        self._connections[conn_id] = connection
        connection.set_sampling(**self._sampling, **self._cadence(conn_id))
        connection.start()
        return connection

    def remove(self, conn_id: str) -> None:
        connection = self._connections.pop(conn_id, None)
        if connection is not None:
            connection.stop()
            self._sink(HostRemoved(conn_id))

    def reconnect(self, conn_id: str) -> None:
        if (connection := self._connections.get(conn_id)) is not None:
            connection.reconnect()

    def list_volumes(self, conn_id: str, pool_uuid: str) -> None:
        if (connection := self._connections.get(conn_id)) is not None:
            connection.list_volumes(pool_uuid)

    def set_sampling(self, **changes) -> None:
        """interval=, active=, vcpu=, host= for every connection, now and later."""
        self._sampling.update({k: v for k, v in changes.items() if v is not None})
        for connection in self.connections:
            connection.set_sampling(**changes, **self._cadence(connection.conn_id))

    @staticmethod
    def first_lists_drawn() -> None:
        """What shows the hosts (the UI) shows every host's first list: the reads held back
        for it (guests' XML and sizes) may start."""
        first_lists.drawn()

    def sample_closely(self, shown: Mapping[str, frozenset[str]] | None) -> None:
        """Sample the guests on screen (conn_id -> their UUIDs) at the interval, and every
        guest every OFF_SCREEN_SECONDS; None: every guest at the interval."""
        if shown == self._shown:
            return
        self._shown = shown
        for connection in self.connections:
            connection.set_sampling(**self._cadence(connection.conn_id))

    def _cadence(self, conn_id: str) -> dict:
        if self._shown is None:
            return {"every": 1, "closely": None}
        every = max(1, round(OFF_SCREEN_SECONDS / self._sampling["interval"]))
        return {"every": every, "closely": self._shown.get(conn_id, frozenset())}

    @property
    def sampling(self) -> dict:
        return dict(self._sampling)

    def resync_all(self) -> None:
        for connection in self.connections:
            connection.resync()

    def close(self, wait: float = CLOSE_WAIT, then: Callable[[], None] | None = None) -> threading.Thread:
        """Stop every connection and return at once; they close on a thread of their own.

        Closing cleanly deregisters events and closes the libvirt connections,
        then runs `then` (closing SSH sessions, whose tunnels carry them). That
        thread is not a daemon, so the interpreter waits for it at exit, but for
        `wait` seconds at most: a worker stuck in a call to a hung host (or a
        libvirt close that never returns) is a daemon and is left behind.
        `.join()` the returned thread to wait for the closing.
        """
        self._watchdog_stop.set()
        connections = self.connections
        for connection in connections:
            connection.stop()
        closer = threading.Thread(target=self._finish_close, args=(connections, time.monotonic() + wait, then),
                                  name="fleet-close")
        closer.start()
        return closer

    @staticmethod
    def _finish_close(connections: list[Connection], deadline: float, then: Callable[[], None] | None) -> None:
        for connection in connections:
            connection.join(max(0.0, deadline - time.monotonic()))
        if then is not None:
            last = threading.Thread(target=then, name="fleet-close-then", daemon=True)
            last.start()
            last.join(max(0.0, deadline - time.monotonic()))

    def _watch(self) -> None:
        while not self._watchdog_stop.wait(1.0):
            for connection in self.connections:
                connection.check_responsive()
