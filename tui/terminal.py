"""Keep the terminal for the app alone.

libvirt's ssh transport spawns ssh, which inherits our stderr; anything a
child process or a C library writes there would land on top of the TUI. The
real terminal is moved to a private descriptor that Textual draws on, and
descriptors 1 and 2 are pointed at a log file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def isolate(log_path: Path) -> None:
    if not (sys.__stderr__ and sys.__stderr__.isatty()):
        return
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
