"""One test run at a time on a machine, and no test user left behind.

The system and terminal tiers share the machine's libvirtd (its guests, networks,
pools), the test bed's sshd and the Unix users it creates. A run takes `LOCK` for
its whole life; a second run says who holds it and waits. Users in `TEST_USERS` are
removed when a run ends (normally, on Ctrl-C or SIGTERM through the finalizer, or at
exit), and at the start of the next run when an earlier one was killed outright.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import pwd
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

LOCK = Path("/run/virtdeck-testbed.lock")
# vdmig: the second libvirt host (services.sh); vdh5user: SSH password logins (test_ssh.py)
TEST_USERS = ("vdmig", "vdh5user")

_held: IO[str] | None = None


def begin_run(say: Callable[[str], None]) -> None:
    """Once per process: the lock, Ctrl-C-like SIGTERM, and the users an earlier
    (killed) run left removed; the users this run makes go when it ends."""
    if _held is not None:
        return
    hold_run_lock(say)
    interrupt_on_sigterm()
    leftovers = remove_test_users()
    if leftovers:
        say(f"virtdeck test bed: removed test user(s) an earlier run left: {', '.join(leftovers)}")
    atexit.register(remove_test_users)


def hold_run_lock(say: Callable[[str], None], timeout: float = 3600.0) -> None:
    """Take the machine's test-run lock for the life of this process (once; later calls
    return at once). Waits, saying so, while another run holds it."""
    global _held
    if _held is not None:
        return
    handle = open(LOCK, "a+", encoding="utf-8")
    if not _try_lock(handle):
        holder = _holder(handle)
        say(f"virtdeck test bed: another test run holds {LOCK} ({holder}); waiting up to {timeout:.0f} s for it")
        started = time.monotonic()
        while not _try_lock(handle):
            if time.monotonic() - started > timeout:
                handle.close()
                raise TimeoutError(f"another test run held {LOCK} for more than {timeout:.0f} s ({holder})")
            time.sleep(0.5)
        say(f"virtdeck test bed: the other run finished; this one goes on after {time.monotonic() - started:.0f} s")
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} since {time.strftime('%H:%M:%S')}: {' '.join(sys.argv)[:200]}\n")
    handle.flush()
    _held = handle


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    return handle.read().strip() or "a run that has not said who it is yet"


def interrupt_on_sigterm() -> None:
    """SIGTERM and SIGHUP end the run like Ctrl-C, so finalizers (and the user
    removal) run; Python's default would end it on the spot."""

    def interrupt(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, interrupt)


def remove_test_users() -> list[str]:
    """Remove every user in TEST_USERS that exists, its processes and home first;
    the names removed."""
    removed = []
    for user in TEST_USERS:
        try:
            uid = pwd.getpwnam(user).pw_uid
        except KeyError:
            continue
        _end_processes_of(uid)
        done = subprocess.run(["userdel", "-r", user], capture_output=True, text=True)
        if done.returncode not in (0, 12):  # 12: the home could not be removed (already gone)
            subprocess.run(["userdel", "-f", "-r", user], capture_output=True, text=True)
        try:
            pwd.getpwnam(user)
        except KeyError:
            removed.append(user)
        else:
            raise RuntimeError(f"could not remove test user {user}: {done.stderr.strip()}")
    return removed


def _pids_of(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("Uid:"):
                if int(line.split()[1]) == uid:
                    pids.append(int(entry.name))
                break
    return pids


def _end_processes_of(uid: int, timeout: float = 10.0) -> None:
    """TERM, then KILL, each process (by its id) the user still runs: their session
    libvirtd, its QEMU guests."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _pids_of(uid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_running(p) for p in _pids_of(uid)):
            time.sleep(0.1)
        if not any(_running(p) for p in _pids_of(uid)):
            return


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
