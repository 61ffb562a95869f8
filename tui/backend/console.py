"""Serial console sessions over libvirt streams.

A session opens `virDomainOpenConsole` on a non-blocking stream. Opening and
closing run on the connection's worker thread (they are RPCs); the stream is
then driven by the libvirt event-loop thread: its callback reads in large
chunks (`recv(65536)`: -2 means "try again", b"" the end of the stream) and
writes what the user typed, watching WRITABLE only while input is queued.

Nothing here blocks the UI. The UI thread only touches Python state and pokes
the event loop (`virEventAddTimeout`, the event loop's own thread-safe API)
when there is input to send. Bytes are collected in an inbox and announced
through `notify(session, kind)` at most once until the UI takes them, so a
flood becomes one message per UI drain, not one per chunk; when the inbox
holds more than HIGH_WATER bytes, reading pauses until the UI catches up
(the guest then waits, as it would on a slow terminal).

This module imports nothing from textual.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import libvirt

from .errors import error_text
from .xml.consoles import ConsoleDevice, console_devices
from .model import ConsoleState

if TYPE_CHECKING:
    from .connection import Connection

log = logging.getLogger(__name__)

CHUNK = 65536
READ_BUDGET = 1 << 20  # bytes read per callback before other callbacks get a turn
HIGH_WATER = 4 << 20  # stop reading while this much waits for the UI
LOW_WATER = 256 << 10

_R = libvirt.VIR_STREAM_EVENT_READABLE
_W = libvirt.VIR_STREAM_EVENT_WRITABLE
_EH = libvirt.VIR_STREAM_EVENT_ERROR | libvirt.VIR_STREAM_EVENT_HANGUP

BUSY_WORDS = ("active console session exists",)




def is_busy(exc: BaseException) -> bool:
    """libvirt's "another client has this console" error."""
    return any(word in error_text(exc).lower() for word in BUSY_WORDS)


Notify = Callable[["ConsoleSession", str], None]


class ConsoleSession:
    """One console of one guest over one connection.

    `notify(session, kind)` is called from backend threads with kind "data"
    (bytes wait in the inbox: call `take()`) or "state" (read `state`,
    `message`, `devices`). It must be thread-safe (App.post_message is).
    """

    def __init__(self, connection: Connection, uuid: str, device: str | None, notify: Notify) -> None:
        self.connection = connection
        self.uuid = uuid
        self.device = device
        self._notify = notify
        self._lock = threading.Lock()
        self._generation = 0
        self._stream: libvirt.virStream | None = None
        self._watching = 0  # the event mask the stream callback is registered with
        self._inbox = bytearray()
        self._announced = False
        self._paused = False  # READABLE dropped: the inbox is full
        self._outbox = bytearray()
        self._kick_timer: int | None = None
        self.state = ConsoleState.CLOSED
        self.message = ""
        self.devices: tuple[ConsoleDevice, ...] = ()
        self.received = 0  # bytes read from the guest, for tests and benchmarks
        self.sent = 0

    # -- UI thread -----------------------------------------------------------

    def open(self, force: bool = False) -> None:
        """Open (again). With `force`, take the console over from another client."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            old, self._stream = self._stream, None
            self._outbox.clear()
            self._paused = False
        if old is not None:
            self.connection.submit(self._dispose, old, False)
        self._set_state(ConsoleState.OPENING, "opening the console")
        self.connection.call(
            lambda conn: self._open(conn, generation, force),
            lambda result, error: self._opened(generation, error),
            action="open console",
        )

    def close(self) -> None:
        """Detach for good (the UI closed the pane)."""
        with self._lock:
            self._generation += 1
            old, self._stream = self._stream, None
            self._outbox.clear()
        if old is not None:
            self.connection.submit(self._dispose, old, False)
        self._set_state(ConsoleState.CLOSED, "closed", announce=False)

    def detach(self, reason: str) -> None:
        """The connection is gone: drop the stream and say why (a new open reattaches)."""
        with self._lock:
            if self._stream is None:
                return
            self._generation += 1
            old, self._stream = self._stream, None
            self._outbox.clear()
        self.connection.submit(self._dispose, old, False)
        self._set_state(ConsoleState.CLOSED, reason)

    def write(self, data: bytes) -> None:
        """Queue input for the guest; the event-loop thread sends it."""
        if not data:
            return
        with self._lock:
            if self._stream is None:
                return
            self._outbox += data
            self._kick_locked()

    def take(self) -> bytes:
        """Everything read since the last call; re-arms the data notification."""
        with self._lock:
            data = bytes(self._inbox)
            self._inbox.clear()
            self._announced = False
            if self._paused and self._stream is not None:
                self._kick_locked()
        return data

    @property
    def pending(self) -> int:
        return len(self._inbox)

    # -- worker thread ---------------------------------------------------------

    def _open(self, conn: libvirt.virConnect, generation: int, force: bool) -> None:
        dom = conn.lookupByUUIDString(self.uuid)
        if self.device is None:
            devices = tuple(console_devices(dom.XMLDesc(0)))
            self.devices = devices
            if len(devices) > 1:
                self._set_state(ConsoleState.CHOOSE, "this guest has several consoles")
                return
            if devices:
                self.device = devices[0].alias
        stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
        flags = libvirt.VIR_DOMAIN_CONSOLE_FORCE if force else 0
        try:
            dom.openConsole(self.device, stream, flags)
        except libvirt.libvirtError:
            self._dispose(stream, False)
            raise
        with self._lock:
            if generation != self._generation:  # closed or reopened meanwhile
                stale = True
            else:
                stale = False
                self._stream = stream
                self._watching = _R | _EH
                stream.eventAddCallback(self._watching, self._on_event, generation)
        if stale:
            self._dispose(stream, False)
            return
        self._set_state(ConsoleState.OPEN, "attached")

    def _opened(self, generation: int, error: BaseException | None) -> None:
        if error is None or generation != self._generation:
            return
        if is_busy(error):
            self._set_state(ConsoleState.BUSY, error_text(error))
        else:
            self._set_state(ConsoleState.FAILED, error_text(error))

    def _dispose(self, stream: libvirt.virStream, finish: bool) -> None:
        try:
            stream.eventRemoveCallback()
        except libvirt.libvirtError:
            pass
        try:
            if finish:
                stream.finish()
            else:
                stream.abort()
        except libvirt.libvirtError:
            pass

    # -- event-loop thread -------------------------------------------------------

    def _kick_locked(self) -> None:
        """Have the event-loop thread look at the outbox / re-arm reading."""
        if self._kick_timer is None:
            self._kick_timer = libvirt.virEventAddTimeout(0, self._on_kick, self._generation)

    def _on_kick(self, timer: int, generation: int) -> None:
        libvirt.virEventRemoveTimeout(timer)
        with self._lock:
            self._kick_timer = None
            stream = self._stream
            if stream is None or generation != self._generation:
                if self._outbox or self._paused:
                    if stream is not None:
                        self._kick_locked()  # reopened meanwhile: look again for the new stream
                return
            if self._paused and len(self._inbox) < LOW_WATER:
                self._paused = False
            ended = self._flush_locked(stream)
            if ended is None:
                self._watch_locked(stream)
        if ended is not None:
            self._end(stream, generation, ended)

    def _flush_locked(self, stream: libvirt.virStream) -> str | None:
        """Send what is queued; returns an error text if the stream broke."""
        while self._outbox:
            try:
                sent = stream.send(bytes(self._outbox[:CHUNK]))
            except libvirt.libvirtError as exc:
                return error_text(exc)
            if sent == -2:
                return None
            if sent < 0:
                return "the console stream could not be written"
            del self._outbox[:sent]
            self.sent += sent
        return None

    def _watch_locked(self, stream: libvirt.virStream) -> None:
        wanted = _EH | (0 if self._paused else _R) | (_W if self._outbox else 0)
        if wanted != self._watching:
            try:
                stream.eventUpdateCallback(wanted)
                self._watching = wanted
            except libvirt.libvirtError as exc:
                log.debug("console: eventUpdateCallback: %s", error_text(exc))

    def _on_event(self, stream: libvirt.virStream, events: int, generation: int) -> None:
        if generation != self._generation:
            try:
                stream.eventRemoveCallback()
            except libvirt.libvirtError:
                pass
            return
        ended: str | None = None
        fresh = False
        if events & _R:
            got = 0
            while got < READ_BUDGET:
                try:
                    data = stream.recv(CHUNK)
                except libvirt.libvirtError as exc:
                    ended = error_text(exc)
                    break
                if data == -2:
                    break
                if not data:
                    ended = "end of stream"
                    break
                got += len(data)
                with self._lock:
                    self._inbox += data
                    self.received += len(data)
                    fresh = fresh or not self._announced
                    self._announced = True
                    if len(self._inbox) >= HIGH_WATER:
                        self._paused = True
                        break
        if fresh:
            self._notify(self, "data")
        if ended is None and events & _EH:
            ended = "the console stream hung up" if events & libvirt.VIR_STREAM_EVENT_HANGUP else "console stream error"
        if ended is None:
            with self._lock:
                if events & _W:
                    ended = self._flush_locked(stream)
                if ended is None and generation == self._generation:
                    self._watch_locked(stream)
        if ended is not None:
            self._end(stream, generation, ended)

    def _end(self, stream: libvirt.virStream, generation: int, reason: str) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._generation += 1
            self._stream = None
            self._outbox.clear()
        try:
            stream.eventRemoveCallback()  # or a broken stream calls back forever
        except libvirt.libvirtError:
            pass
        # finish/abort are RPCs on a remote stream: the worker does them
        self.connection.submit(self._dispose, stream, reason == "end of stream")
        self._set_state(ConsoleState.CLOSED, reason)

    # -- any thread --------------------------------------------------------------

    def _set_state(self, state: ConsoleState, message: str, announce: bool = True) -> None:
        self.state = state
        self.message = message
        if announce:
            self._notify(self, "state")
