"""The single libvirt event loop, run forever on one daemon thread.

libvirt needs an event implementation registered before the first connection
opens, or keepalive, close callbacks and domain events never fire. Callbacks
run on this thread and must only hand work over to a connection's worker.
"""

from __future__ import annotations

import logging
import threading

import libvirt

log = logging.getLogger(__name__)

_lock = threading.Lock()
_thread: threading.Thread | None = None


def _swallow_error(_ctx: object, err: tuple) -> None:
    # Without a handler libvirt prints every error straight onto the terminal.
    # libvirtError still carries the text to whoever made the failing call.
    log.debug("libvirt: %s", err[2] if len(err) > 2 else err)


def silence_libvirt_errors() -> None:
    libvirt.registerErrorHandler(_swallow_error, None)


def _run() -> None:
    while True:
        if libvirt.virEventRunDefaultImpl() < 0:
            log.warning("libvirt event loop iteration failed")


def start() -> None:
    """Register the default event implementation and start its thread, once."""
    global _thread
    with _lock:
        if _thread is not None:
            return
        silence_libvirt_errors()
        libvirt.virEventRegisterDefaultImpl()
        _thread = threading.Thread(target=_run, name="libvirt-events", daemon=True)
        _thread.start()


def running() -> bool:
    return _thread is not None and _thread.is_alive()
