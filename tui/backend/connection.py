"""One libvirt URI: its own worker thread, keepalive, reconnect with backoff,
the resync and single-object reads. Its event callbacks are in `events.py`, its
stats tick in `sampler.py`.

Every libvirt call for this connection runs on its worker thread, so a host
that hangs only ever blocks itself. Updates leave through `sink`, a callable
that must be safe to call from any thread.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable
from typing import Any

import libvirt

from . import eventloop, handles, host_facts, inventory_reader as reader, opening
from .errors import error_text, log_failure
from .events import EventCallbacks
from .opening import OpenTimedOut
from .sampler import StatsSampler
from .xml.consoles import console_devices
from .xml.domain import parse_interfaces
from .model import (
    ActionFailed,
    GuestNicsRead,
    GuestsSized,
    HostFactsRead,
    ConnState,
    Event,
    EventHappened,
    GuestRemoved,
    Host,
    HostChanged,
    HostStats,
    InventorySynced,
    NetworkRemoved,
    PoolRemoved,
    Update,
    VolumesListed,
)
from .timers import Timer, timers
from .transport import Transport, TransportError
from .uri import effective_uri, is_remote

log = logging.getLogger(__name__)

Sink = Callable[[Update], None]

KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT = 2
# A background step that makes a call per guest (its XML for NIC MACs and consoles; the
# sizes a driver's bulk stats lack) makes at most BATCH of them, and no new one after
# STEP_SECONDS: locally a batch, through a slow link one round trip, so an action, an
# event or a tick waits for one call at most.
XML_BATCH = 4
SIZE_BATCH = 100
STEP_SECONDS = 0.02
# Threads one connection runs long calls on (migrate, backup, each guest of a bulk start);
# more calls wait their turn.
LONG_CALL_THREADS = 4

# A background task: each `next()` makes a few libvirt calls, then gives the worker back.
Steps = Generator[None, None, Any]


class FirstLists:
    """The hosts still opening and reading their first list. Guests' XML (NICs, consoles)
    and sizes wait until every host has listed, or has had WAIT seconds to, and until the
    UI has drawn those lists (or DRAW_WAIT seconds went by without a word from it):
    parsing thousands of documents, or a GetInfo a guest, on the worker threads would slow
    the other hosts' first lists and the UI drawing them (fifty threads asking for the GIL
    while it draws), for figures nobody can see yet."""

    WAIT = 5.0
    DRAW_WAIT = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}
        self._drawn = False
        self._last_listed = 0.0

    def opening(self, conn_id: str) -> None:
        with self._lock:
            self._until[conn_id] = time.monotonic() + self.WAIT

    def listed(self, conn_id: str) -> None:
        with self._lock:
            if self._until.pop(conn_id, None) is not None:
                self._last_listed = time.monotonic()

    def drawn(self) -> None:
        """The UI shows every host's first list (once, as it starts)."""
        self._drawn = True

    def all_listed(self) -> bool:
        now = time.monotonic()
        if not all(until <= now for until in list(self._until.values())):
            return False
        return self._drawn or now >= self._last_listed + self.DRAW_WAIT


first_lists = FirstLists()

_AUTH_ERRORS = {
    libvirt.VIR_ERR_AUTH_FAILED,
    libvirt.VIR_ERR_AUTH_CANCELLED,
    getattr(libvirt, "VIR_ERR_AUTH_UNAVAILABLE", 94),
    libvirt.VIR_ERR_NO_SUPPORT,
    libvirt.VIR_ERR_INVALID_ARG,
}
# "system bus": libvirtd asks polkit about a non-root user, and no polkit runs there: retrying cannot help.
_AUTH_WORDS = ("permission denied", "authentication failed", "host key verification failed",
               "unable to get system bus connection")

def _is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, TransportError):
        return exc.permanent
    if not isinstance(exc, libvirt.libvirtError):
        return False
    if exc.get_error_code() in _AUTH_ERRORS:
        return True
    text = error_text(exc).lower()
    return any(word in text for word in _AUTH_WORDS)


class LongCalls:
    """Up to `limit` daemon threads named `{prefix}-N` that run queued calls in order and
    end when none is left. Daemon threads, not a ThreadPoolExecutor: that one's threads
    are joined at exit, so quitting would wait for a migration, or for a hung host."""

    def __init__(self, prefix: str, limit: int = LONG_CALL_THREADS) -> None:
        self.prefix = prefix
        self.limit = limit
        self._calls: deque[tuple[str, Callable[[], None]]] = deque()
        self._threads = 0
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def run(self, label: str, call: Callable[[], None]) -> None:
        with self._lock:
            self._calls.append((label, call))
            if self._threads >= self.limit:
                return
            self._threads += 1
            name = f"{self.prefix}-{next(self._numbers)}"
        threading.Thread(target=self._drain, name=name, daemon=True).start()

    def _drain(self) -> None:
        thread = threading.current_thread()
        base = thread.name
        while True:
            with self._lock:
                if not self._calls:
                    self._threads -= 1
                    return
                label, call = self._calls.popleft()
            thread.name = f"{base}: {label}"  # what the log's thread column says
            try:
                call()
            except Exception:
                log.exception("%s failed", label)
            finally:
                thread.name = base


class Connection(EventCallbacks, StatsSampler):
    def __init__(
        self,
        conn_id: str,
        uri: str,
        name: str,
        sink: Sink,
        *,
        read_only: bool = False,
        demo: bool = False,
        resync_interval: float = 60.0,
        open_timeout: float = 10.0,
        backoff_base: float = 0.25,
        backoff_cap: float | None = None,
        unresponsive_after: float = 3.0,
        prepare: Callable[[libvirt.virConnect], dict | None] | None = None,
        augment_stats: Callable[[list, float], list] | None = None,
        augment_host: Callable[[HostStats, tuple, Host], HostStats] | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.conn_id = conn_id
        self.transport = transport
        self.uri = uri
        self.name = name
        self._sink = sink
        self.read_only = read_only
        self.resync_interval = resync_interval
        self.open_timeout = open_timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap if backoff_cap is not None else (10.0 if is_remote(uri) else 2.0)
        self.unresponsive_after = unresponsive_after
        self._prepare = prepare
        self._augment_stats = augment_stats
        self._augment_host = augment_host
        self._jobs: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]] | None] = queue.SimpleQueue()
        # The worker's second level: long reads cut into steps, run only while no job waits
        # (actions, events and stats ticks always go first). Touched by the worker alone.
        self._background: deque[tuple[int, Steps, bool]] = deque()  # (generation, steps, waits for first lists)
        # Between the two: objects an event re-reads, a call a step, one object after another
        # (in order: a later event's read lands last). Touched by the worker alone.
        self._refreshes: deque[tuple[int, tuple[str, str], Steps]] = deque()  # (generation, (kind, uuid), steps)
        self._resyncing = False
        self._touched: set[tuple[str, str]] = set()  # objects an event re-read while a resync ran
        self._nics_wanted: dict[str, None] = {}  # guests whose XML is still to read, in order
        self._nics_task = False
        self._nics_read: dict[str, int | None] = {}  # uuid -> the domain ID it was read at
        self._domains: dict[str, libvirt.virDomain] = {}  # uuid -> handle, from the last resync
        self._thread = threading.Thread(target=self._work, name=f"libvirt-{conn_id}", daemon=True)
        self._long_calls = LongCalls(f"long-{conn_id}")
        self._lock = threading.Lock()
        self._host_lock = threading.Lock()
        self._conn: libvirt.virConnect | None = None
        self._generation = 0
        self._timers: list[Timer] = []
        self._busy_since: float | None = None
        self._attempts = 0
        self._ever_connected = False
        self._stopped = False
        self._host = Host(conn_id, uri, name, ConnState.CONNECTING, read_only=read_only, demo=demo)
        EventCallbacks.__init__(self)
        StatsSampler.__init__(self)

    # -- public, any thread ------------------------------------------------

    @property
    def host(self) -> Host:
        return self._host

    def start(self) -> None:
        eventloop.start()
        first_lists.opening(self.conn_id)
        self._thread.start()
        self._emit(HostChanged(self._host))
        self.submit(self._open)

    def stop(self) -> None:
        self._stopped = True
        first_lists.listed(self.conn_id)
        self._cancel_timers()
        self.submit(self._close)
        self._jobs.put(None)

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        self._jobs.put((fn, args))

    def reconnect(self) -> None:
        self.submit(self._reconnect_now)

    def resync(self) -> None:
        self.submit(self._resync)

    def list_volumes(self, pool_uuid: str) -> None:
        self.submit(self._list_volumes, pool_uuid)

    def call(
        self,
        fn: Callable[[libvirt.virConnect], Any],
        done: Callable[[Any, BaseException | None], None] | None = None,
        action: str = "call",
    ) -> None:
        """Run `fn(conn)` on this connection's worker; `done(result, error)` follows there.

        Without `done`, a failure is reported as ActionFailed with libvirt's text.
        """

        def job() -> None:
            conn = self._conn
            if conn is None:
                error: BaseException = ConnectionError(f"{self.name} is not connected")
                if done is not None:
                    done(None, error)
                else:
                    self._emit(ActionFailed(self.conn_id, action, str(error)))
                return
            try:
                result = fn(conn)
            except libvirt.libvirtError as exc:
                if done is None:
                    self._call_failed(action, exc)
                else:
                    done(None, exc)
                return
            except Exception as exc:
                if done is None:
                    raise
                log_failure(self.uri, action, exc)
                done(None, exc)
                return
            if done is not None:
                done(result, None)

        job.__name__ = action
        self.submit(job)

    def run_long(
        self,
        fn: Callable[[libvirt.virConnect], Any],
        done: Callable[[Any, BaseException | None], None],
        action: str = "call",
    ) -> None:
        """Run `fn(conn)` off the worker, for work that takes long (migrate, backup,
        copying a volume): the worker stays free for events and stats. It runs on one of
        this connection's few long-call threads, after the long calls queued before it.

        A libvirt connection may be used from several threads at once. `done(result,
        error)` follows on that thread.
        """

        def job() -> None:
            conn = self._conn
            if conn is None:
                done(None, ConnectionError(f"{self.name} is not connected"))
                return
            try:
                result = fn(conn)
            except Exception as exc:
                if not isinstance(exc, libvirt.libvirtError):
                    log_failure(self.uri, action, exc)
                done(None, exc)
                return
            done(result, None)

        self._long_calls.run(f"{action} on {self.name}", job)

    def refresh_guest(self, uuid: str) -> None:
        """Read one guest again, for changes that raise no event (autostart)."""
        self.submit(self._refresh_one, "guest", uuid, self._generation)

    def domain(self, conn: libvirt.virConnect, uuid: str) -> libvirt.virDomain:
        """The guest's handle from the last resync, else a lookup: through a slow link the
        lookup is a round trip before the action's own call. libvirt finds a guest by its
        UUID, so a handle outlives a rename; its ID may be old (`ID()` asks nothing)."""
        dom = self._domains.get(uuid)
        if dom is not None and dom.connect() is conn:
            return dom
        return conn.lookupByUUIDString(uuid)

    def handle(self) -> libvirt.virConnect | None:
        """The open libvirt connection, for calls that need two hosts (migration)."""
        return self._conn

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def busy_for(self, now: float | None = None) -> float:
        started = self._busy_since
        if started is None:
            return 0.0
        return (now if now is not None else time.monotonic()) - started

    def check_responsive(self) -> None:
        """Called about once a second: flag a worker stuck in one call."""
        stuck = self.busy_for() >= self.unresponsive_after
        flagged = self._host.unresponsive_since is not None
        if stuck and not flagged:
            self._set_host(unresponsive_since=time.time() - self.busy_for())
        elif not stuck and flagged:
            self._set_host(unresponsive_since=None)

    # -- worker thread -----------------------------------------------------

    def _work(self) -> None:
        while True:
            if self._refreshes or self._background:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    if self._refreshes:
                        self._run(self._refresh_step, ())
                        continue
                    if self._background_ready():
                        self._run(self._background_step, ())
                        continue
                    try:
                        job = self._jobs.get(timeout=0.1)
                    except queue.Empty:
                        continue
            else:
                job = self._jobs.get()
            if job is None:
                return
            self._run(*job)
            job = None  # hold nothing of it while waiting: its callback may keep a closed screen alive

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self._busy_since = time.monotonic()
        try:
            fn(*args)
        except libvirt.libvirtError as exc:
            self._call_failed(getattr(fn, "__name__", "call"), exc)
        except Exception as exc:  # a refusal, or a bug: neither may kill the worker
            log_failure(self.uri, getattr(fn, "__name__", repr(fn)), exc)
            self._emit(ActionFailed(self.conn_id, getattr(fn, "__name__", "call"), error_text(exc)))
        finally:
            self._busy_since = None
            if self._host.unresponsive_since is not None:
                self._set_host(unresponsive_since=None)

    def _emit(self, update: Update) -> None:
        if self._stopped:
            return  # removed: the fleet has told the UI, nothing may bring it back
        try:
            self._sink(update)
        except Exception:
            log.exception("sink failed for %r", update)

    def _set_host(self, **changes: Any) -> None:
        if "state" in changes:
            changes.setdefault("changed_at", time.time())
        with self._host_lock:  # the worker and the fleet's watchdog both report
            self._host = dataclasses.replace(self._host, **changes)
            self._emit(HostChanged(self._host))

    def _call_failed(self, action: str, exc: libvirt.libvirtError) -> None:
        conn = self._conn
        alive = False
        if conn is not None:
            try:
                alive = bool(conn.isAlive())
            except libvirt.libvirtError:
                alive = False
        if conn is not None and not alive:
            self._lost(self._generation, error_text(exc))
        else:
            self._emit(ActionFailed(self.conn_id, action, error_text(exc)))

    def _open_with_timeout(self, uri: str) -> libvirt.virConnect:
        flags = libvirt.VIR_CONNECT_RO if self.read_only else 0
        pending = opening.take(uri, flags) or opening.PendingOpen(uri, flags)
        return pending.result(self.open_timeout, self.uri)

    def _open(self) -> None:
        if self._stopped or self._conn is not None:
            return
        self._set_host(
            state=ConnState.CONNECTING if not self._ever_connected and self._attempts == 0 else ConnState.RETRYING,
            next_retry=None,
            attempts=self._attempts,
        )
        try:
            # A transport may wait for the user (a password, a host key): no open timeout for that part.
            uri = self.transport.libvirt_uri(self.uri) if self.transport is not None else effective_uri(self.uri)
            conn = self._open_with_timeout(uri)
        except (libvirt.libvirtError, OpenTimedOut, TransportError) as exc:
            first_lists.listed(self.conn_id)  # nothing to wait for from this one
            self._attempts += 1
            if _is_permanent(exc) and not self._ever_connected:
                self._set_host(state=ConnState.FAILED, last_error=error_text(exc), attempts=self._attempts)
                return
            self._schedule_reconnect(ConnState.RETRYING, error_text(exc))
            return
        self._generation += 1
        generation = self._generation
        self._conn = conn
        try:
            conn.setKeepAlive(KEEPALIVE_INTERVAL, KEEPALIVE_COUNT)
        except libvirt.libvirtError:
            pass  # drivers without a network link (test:///) have none
        self._register_events(conn, generation)
        overrides = self._prepare(conn) if self._prepare is not None else None
        facts = {**reader.read_host(conn), **(overrides or {})}  # the demo says what its node file cannot
        healed = self._ever_connected
        self._emit(EventHappened(Event(self.conn_id, "connection", self.name,
                                       f"healed after {self._attempts} attempt(s)" if healed else "connected")))
        self._attempts = 0
        self._ever_connected = True
        self._set_host(state=ConnState.CONNECTED, last_error=None, attempts=0, next_retry=None, **facts)
        self._arm_resync(generation)
        self._reset_samples()
        self._drop_background()
        self._nics_read = {}
        self._nics_wanted = {}
        self._domains = {}
        self._start_resync(details=True)
        self._ensure_tick()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        self._generation += 1
        if conn is not None:
            self._deregister_events(conn)
            try:
                conn.close()
            except libvirt.libvirtError:
                pass

    def _reconnect_now(self) -> None:
        self._cancel_timers()
        self._close()
        self._attempts = 0
        self._open()

    def _lost(self, generation: int, reason: str) -> None:
        if generation != self._generation or self._conn is None:
            return
        conn, self._conn = self._conn, None
        self._generation += 1
        self._callback_ids = []
        try:
            conn.close()
        except libvirt.libvirtError:
            pass
        if self.transport is not None:
            self.transport.dropped(self.uri)
        self._emit(EventHappened(Event(self.conn_id, "connection", self.name, f"lost: {reason}")))
        self._schedule_reconnect(ConnState.LOST, reason)

    def _schedule_reconnect(self, state: ConnState, reason: str) -> None:
        if self._stopped:
            return
        delay = min(self.backoff_base * (2 ** max(self._attempts - 1, 0)), self.backoff_cap)
        self._set_host(state=state, last_error=reason, attempts=self._attempts, next_retry=time.time() + delay)
        self._start_timer(delay, self._open)

    def _start_timer(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        timer = timers.call_later(delay, self.submit, fn, *args)
        with self._lock:
            self._timers = [t for t in self._timers if t.pending()]
            self._timers.append(timer)

    def _cancel_timers(self) -> None:
        with self._lock:
            for timer in self._timers:
                timer.cancel()
            self._timers = []

    def _arm_resync(self, generation: int) -> None:
        if self.resync_interval > 0:
            self._start_timer(self.resync_interval, self._periodic_resync, generation)

    def _periodic_resync(self, generation: int) -> None:
        if generation != self._generation or self._conn is None:
            return
        self._start_resync()
        self._arm_resync(generation)

    def _resync(self) -> None:
        self._start_resync()

    # -- the worker's background level ---------------------------------------

    def _background_ready(self) -> bool:
        if any(not waits for _generation, _task, waits in self._background):
            return True
        return first_lists.all_listed()

    def _background_step(self) -> None:
        # The first task that may run: first come, first finished.
        waiting = not first_lists.all_listed()
        index = next((i for i, (_g, _t, waits) in enumerate(self._background) if not (waits and waiting)), None)
        if index is None:
            return  # a host was added since the worker looked
        generation, task, waits = self._background[index]
        del self._background[index]
        if generation != self._generation:
            task.close()  # read for a connection that is gone
            return
        try:
            next(task)
        except StopIteration:
            return
        except BaseException:
            task.close()
            raise
        self._background.insert(index, (generation, task, waits))

    def _refresh_step(self) -> None:
        generation, key, task = self._refreshes[0]
        if generation == self._generation:
            try:
                next(task)
                return
            except StopIteration:
                self._refreshes.popleft()
                return
            except BaseException:
                self._refreshes.popleft()
                self._unmark(key)
                raise
        self._refreshes.popleft()  # read for a connection that is gone
        task.close()
        self._unmark(key)

    def _unmark(self, key: tuple[str, str]) -> None:
        """A re-read that ends before reading: the next event about the object queues one."""
        with self._lock:
            self._pending.discard(key)

    def _drop_background(self) -> None:
        for _generation, task, _waits in self._background:
            task.close()
        self._background.clear()
        for _generation, key, task in self._refreshes:
            task.close()
            self._unmark(key)
        self._refreshes.clear()
        self._resyncing = self._nics_task = False

    def _start_resync(self, details: bool = False) -> None:
        """Re-read every guest, network and pool in steps of one call: a fixed number of
        calls for the guests (bulk lists and one bulk stats call), filtered lists for the
        networks' and pools' flags, and one or two per network and pool."""
        if self._conn is None or self._resyncing and not details:
            return  # the resync under way reports what this one would
        self._resyncing = True
        self._touched = set()
        self._background.append((self._generation, self._resync_steps(self._generation, details), False))

    def _resync_steps(self, generation: int, details: bool) -> Steps:
        try:
            conn = self._conn
            if conn is None:
                return
            guests, domains = yield from reader.guest_steps(conn, self.conn_id)
            replaced, self._domains = self._domains, domains
            handles.release_all(replaced)
            del replaced
            networks = yield from reader.network_steps(conn, self.conn_id)
            pools = yield from reader.pool_steps(conn, self.conn_id)
            if generation != self._generation:
                return
            self._vcpus = {guest.uuid: guest.vcpus for guest in guests if guest.sized}
            self._emit(InventorySynced(self.conn_id, guests, networks, pools))
            first_lists.listed(self.conn_id)
        finally:
            self._resyncing = False
        unsized = [guest.uuid for guest in guests if not guest.sized]
        if unsized:
            self._background.append((generation, self._size_steps(generation, unsized), True))
        # What an event re-read while this ran may be newer than what this read: again.
        touched, self._touched = self._touched, set()
        for kind, uuid in touched:
            self._queue_refresh(kind, uuid, generation)
        # Only a running guest has addresses or a console to open; one whose XML was read
        # during this run of it (same domain ID) is not read again.
        self._want_nics(guest.uuid for guest in guests
                        if guest.id is not None and self._nics_read.get(guest.uuid, -1) != guest.id)
        if details:
            yield
            checks = host_facts.read_virt_checks(conn)
            provisioned = yield from host_facts.provisioned_steps(conn)
            if generation != self._generation:
                return
            self._emit(HostFactsRead(self.conn_id, checks, provisioned))
            yield
            self._read_leases(conn)

    def _size_steps(self, generation: int, uuids: list[str]) -> Steps:
        """The listed guests' vCPUs and memory, a GetInfo each, as many a step as fit in
        STEP_SECONDS (one through a slow link, a hundred locally)."""
        pending = deque(uuids)
        while pending:
            if generation != self._generation or self._conn is None:
                return
            sizes: dict[str, tuple[int, int, int]] = {}
            began = time.monotonic()
            while pending and len(sizes) < SIZE_BATCH and time.monotonic() - began < STEP_SECONDS:
                sizes.update(reader.read_sizes(self._domains, (pending.popleft(),)))
            if sizes:
                self._vcpus.update((uuid, size[0]) for uuid, size in sizes.items())
                self._emit(GuestsSized(self.conn_id, sizes))
            yield

    def _want_nics(self, uuids: Iterable[str]) -> None:
        """Read these guests' XML (NICs for the IP column, console presence) in the
        background, a few at a time."""
        for uuid in uuids:
            self._nics_wanted[uuid] = None
        if self._nics_wanted and not self._nics_task:
            self._nics_task = True
            self._background.append((self._generation, self._nic_steps(self._generation), True))

    def _nic_steps(self, generation: int) -> Steps:
        try:
            while self._nics_wanted and generation == self._generation and self._conn is not None:
                conn, nics, consoles = self._conn, {}, {}
                began, batch = time.monotonic(), 0
                while self._nics_wanted and batch < XML_BATCH and (
                        not batch or time.monotonic() - began < STEP_SECONDS):
                    uuid = next(iter(self._nics_wanted))
                    del self._nics_wanted[uuid]
                    batch += 1
                    self._read_nic(conn, uuid, nics, consoles)
                if nics or consoles:
                    self._emit(GuestNicsRead(self.conn_id, nics, full=False, consoles=consoles))
                yield
        finally:
            self._nics_task = False

    def read_guest_xml(self, uuid: str) -> None:
        """Read one guest's NICs and consoles soon (its detail opened), behind actions and ticks."""
        self.submit(self._want_nics, [uuid])

    # -- single-object refreshes, on the worker ----------------------------

    def _refresh_one(self, kind: str, uuid: str, generation: int) -> None:
        """Read one object again after an event: queued as steps behind actions and ticks
        (a burst of events through a slow link is many round trips)."""
        if generation != self._generation or self._conn is None:
            self._unmark((kind, uuid))
            return
        self._refreshes.append((generation, (kind, uuid), self._refresh_steps(kind, uuid, generation)))

    def _refresh_steps(self, kind: str, uuid: str, generation: int) -> Steps:
        self._unmark((kind, uuid))  # an event from here on reads it again
        conn = self._conn
        if generation != self._generation or conn is None:
            return
        if self._resyncing:
            self._touched.add((kind, uuid))
        if kind == "guest":
            guest = yield from reader.guest_refresh_steps(conn, self.conn_id, uuid)
            self._emit(guest if guest is not None else GuestRemoved(self.conn_id, uuid))
            if guest is not None:
                self._vcpus[uuid] = guest.guest.vcpus
                self._nics_read.pop(uuid, None)
                self._want_nics([uuid])
        elif kind == "network":
            network = yield from reader.network_refresh_steps(conn, self.conn_id, uuid)
            self._emit(network if network is not None else NetworkRemoved(self.conn_id, uuid))
        elif kind == "pool":
            pool = yield from reader.pool_refresh_steps(conn, self.conn_id, uuid)
            self._emit(pool if pool is not None else PoolRemoved(self.conn_id, uuid))
            self._background.append((generation, self._provisioned_steps(generation, uuid), False))

    def _provisioned_steps(self, generation: int, pool_uuid: str) -> Steps:
        conn = self._conn
        if conn is None:
            return
        provisioned = yield from host_facts.provisioned_steps(conn, only=pool_uuid)
        if generation == self._generation:
            self._emit(HostFactsRead(self.conn_id, None, provisioned, pools=(pool_uuid,)))

    def _list_volumes(self, pool_uuid: str) -> None:
        conn = self._conn
        if conn is None:
            self._emit(ActionFailed(self.conn_id, "list volumes", f"{self.name} is not connected"))
            return
        volumes = reader.read_volumes(conn, self.conn_id, pool_uuid)
        self._emit(VolumesListed(self.conn_id, pool_uuid, volumes))

    # -- details read after a sync: interfaces, host checks, provisioning --

    def _read_nic(self, conn: libvirt.virConnect, uuid: str, nics: dict, consoles: dict) -> None:
        """One guest's NICs and console presence, into `nics` and `consoles` (nothing if it is gone)."""
        try:
            dom = self._domains.get(uuid) or conn.lookupByUUIDString(uuid)  # the resync's: no lookup
            xml = dom.XMLDesc(0)
            nics[uuid] = parse_interfaces(xml)
            consoles[uuid] = bool(console_devices(xml))
            self._nics_read[uuid] = dom.ID() if dom.ID() >= 0 else None
        except (libvirt.libvirtError, ValueError):
            pass
