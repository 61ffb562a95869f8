"""Opening a libvirt connection on a thread of its own, so a host that never answers
costs its waiter a timeout, not a thread; and opening the local hosts while the UI
loads, so their opens and the imports share the cores instead of following each other."""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

import libvirt

from . import eventloop
from .uri import driver_in_process, is_remote

# An in-process test driver parses its node file on the opening thread, in C. Fifty at
# once leave the UI thread one share in fifty-one of the cores (the kernel shares CPU
# per thread), so at most one opens per core and the first lists are drawn meanwhile.
IN_PROCESS_OPENS = threading.BoundedSemaphore(os.cpu_count() or 1)


class OpenTimedOut(Exception):
    pass


def _deny_credentials(_creds: list, _opaque: Any) -> int:
    # Nothing may ask on the terminal: an auth request fails cleanly (virtdeck's own
    # SSH asks in the app, before libvirt opens).
    return -1


class PendingOpen:
    """`libvirt.openAuth(uri)` running on its own thread. A connection that opens after
    its waiter gave up is closed."""

    def __init__(self, uri: str, flags: int) -> None:
        self.uri = uri
        self._began = threading.Event()  # past the in-process gate: the timeout runs from here
        self._done = threading.Event()
        self._guard = threading.Lock()
        self._abandoned = False
        self._conn: libvirt.virConnect | None = None
        self._error: BaseException | None = None
        eventloop.start()  # before any open, or keepalive and events never fire
        threading.Thread(target=self._open, args=(flags,), name="libvirt-open", daemon=True).start()

    def _open(self, flags: int) -> None:
        auth = [[libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE], _deny_credentials, None]
        conn, error = None, None
        try:
            with IN_PROCESS_OPENS if driver_in_process(self.uri) else contextlib.nullcontext():
                self._began.set()
                conn = libvirt.openAuth(self.uri, auth, flags)
        except Exception as exc:  # handed to the waiter
            error = exc
        with self._guard:
            if self._abandoned:
                if conn is not None:
                    _close_quietly(conn)
                return
            self._conn, self._error = conn, error
            self._done.set()

    def result(self, timeout: float, name: str) -> libvirt.virConnect:
        """The open connection, or the open's error, or OpenTimedOut after `timeout`
        seconds of the open's own time (a wait for the in-process gate not counted)."""
        self._began.wait()
        if not self._done.wait(timeout):
            with self._guard:
                if not self._done.is_set():
                    self._abandoned = True
                    raise OpenTimedOut(f"no answer from {name} within {timeout:g} s")
        if self._error is not None:
            raise self._error
        assert self._conn is not None
        return self._conn

    def abandon(self) -> None:
        with self._guard:
            self._abandoned = True
            conn, self._conn = self._conn, None
        if conn is not None:
            _close_quietly(conn)


def _close_quietly(conn: libvirt.virConnect) -> None:
    try:
        conn.close()
    except libvirt.libvirtError:
        pass


_early: dict[tuple[str, int], PendingOpen] = {}
_early_lock = threading.Lock()


def open_early(uris: list[str], read_only: bool) -> None:
    """Start opening the local URIs among `uris` now; `take` hands each to its connection.
    A remote host waits for its connection: virtdeck's own SSH may have to ask first."""
    flags = libvirt.VIR_CONNECT_RO if read_only else 0
    with _early_lock:
        for uri in dict.fromkeys(uris):
            if not is_remote(uri) and (uri, flags) not in _early:
                _early[(uri, flags)] = PendingOpen(uri, flags)


def take(uri: str, flags: int) -> PendingOpen | None:
    with _early_lock:
        return _early.pop((uri, flags), None)


def drop_early() -> None:
    """Close what was opened early and never taken."""
    with _early_lock:
        left = list(_early.values())
        _early.clear()
    for pending in left:
        pending.abandon()
