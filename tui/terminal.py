"""Keep the terminal for the app alone.

libvirt's ssh transport spawns ssh, which inherits our stderr; anything a
child process or a C library writes there would land on top of the TUI. The
real terminal is moved to a private descriptor that Textual draws on, and
descriptors 1 and 2 are pointed at a log file.

And the app leaves with its terminal: see TerminalWatch.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from textual.app import App


_terminal: TextIO | None = None


def terminal() -> TextIO | None:
    """The terminal isolate() kept for the app (None when it kept none), for a child that must
    have it, such as the editor: descriptors 1 and 2 go to the log."""
    return _terminal


def isolate(log_path: Path) -> TextIO | None:
    """Returns the terminal the app now draws on (None when stderr is no terminal)."""
    global _terminal
    if not (sys.__stderr__ and sys.__stderr__.isatty()):
        return None
    log_path.parent.mkdir(parents=True, exist_ok=True)
    terminal_fd = os.dup(sys.__stderr__.fileno())
    os.set_inheritable(terminal_fd, False)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    terminal = os.fdopen(terminal_fd, "w", encoding="utf-8", errors="replace", buffering=1)
    # Textual's driver writes to sys.__stderr__ and sizes itself from it.
    sys.__stderr__ = sys.stderr = terminal  # type: ignore[misc]
    sys.__stdout__ = sys.stdout = terminal  # type: ignore[misc]
    _terminal = terminal
    return terminal


# -- dying with the terminal --------------------------------------------------
#
# Only a terminal's session leader gets SIGHUP when the terminal goes away.
# Under `make run` (or a shell script) that is not virtdeck, and make passes
# no SIGHUP on to its child: nothing tells virtdeck. Its tty then reads as
# endless EOF, which Textual's input thread polls in a tight loop (40-75 % of
# a core, for ever).
# So the terminal is watched for the hang-up itself, and both signals ask the
# app to exit, with a hard exit behind them in case the orderly one sticks
# (a renderer blocked on a dead terminal, a host that does not answer).

HANGUP_STATUS = 128 + signal.SIGHUP  # the status a shell reports for a hung-up job
HARD_EXIT_AFTER = 1.5  # seconds from hang-up to os._exit; the promise is 2 s

log = logging.getLogger(__name__)


def terminal_hung_up() -> bool:
    stdin = sys.__stdin__
    if stdin is None or not stdin.isatty():
        return False
    poller = select.poll()
    poller.register(stdin.fileno(), 0)
    return bool(poller.poll(0))


class TerminalWatch:
    """Asks `app` to exit when its terminal hangs up or SIGHUP/SIGTERM arrive."""

    def __init__(self, app: App, terminal: TextIO | None = None) -> None:
        self.app = app
        self.terminal = terminal
        self._ending = threading.Lock()
        self._ended = False

    def start(self) -> None:
        signal.signal(signal.SIGHUP, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        stdin = sys.__stdin__
        if stdin is not None and stdin.isatty():
            threading.Thread(target=self._watch, args=(stdin.fileno(),), name="terminal-watch",
                             daemon=True).start()

    def _watch(self, fd: int) -> None:
        poller = select.poll()
        poller.register(fd, 0)  # no input events: only POLLHUP / POLLERR / POLLNVAL wake us
        while True:
            try:
                if poller.poll():
                    break
            except InterruptedError:
                continue
        self.hang_up("the terminal hung up", HANGUP_STATUS, terminal_gone=True)

    def _on_signal(self, signum: int, _frame: object) -> None:
        # A handler runs on the main thread, inside the app's event loop:
        # call_from_thread cannot be used from there.
        name = signal.Signals(signum).name
        threading.Thread(target=self.hang_up, args=(name, 128 + signum, terminal_hung_up()),
                         name="terminal-hangup", daemon=True).start()

    def hang_up(self, reason: str, status: int, terminal_gone: bool) -> None:
        with self._ending:
            if self._ended:
                return
            self._ended = True
        log.warning("%s: closing connections and exiting", reason)
        threading.Thread(target=self._hard_exit, args=(status,), name="hard-exit", daemon=True).start()
        if terminal_gone:
            self._silence_terminal()
        try:
            self.app.call_from_thread(self.app.exit, return_code=status)
        except Exception:  # noqa: BLE001 - not running yet or already gone: the hard exit follows
            log.exception("could not ask the app to exit")

    def _silence_terminal(self) -> None:
        """Point the drawing descriptor at /dev/null: writes to a hung-up tty fail
        with EIO, which would kill Textual's writer thread and block the renderer."""
        if self.terminal is None:
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.terminal.fileno())
            os.close(devnull)
        except OSError:
            log.exception("could not detach from the terminal")

    def _hard_exit(self, status: int) -> None:
        time.sleep(HARD_EXIT_AFTER)
        log.error("the orderly exit did not finish in %.1f s; exiting now", HARD_EXIT_AFTER)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(status)
