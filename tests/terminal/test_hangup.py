"""It dies with its terminal: when the pty closes (an SSH drop, a killed tmux),
virtdeck exits within 2 s, whatever started it."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.ptyharness import PtyApp, alive, process_state

from .conftest import ROOT, STARTUP

GRACE = 2.0  # seconds the issue allows from hang-up to exit


def virtdeck_pid(app: PtyApp) -> int:
    """The virtdeck process among the terminal's session (a python running a `virtdeck` script)."""
    found = [pid for pid, argv in app.session_processes().items()
             if "python" in Path(argv[0]).name and any(Path(part).name == "virtdeck" for part in argv[1:2])]
    assert len(found) == 1, f"virtdeck processes in the session: {app.session_processes()}"
    return found[0]


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("parent", ["make run", "sh -c"])
def test_virtdeck_exits_within_2_s_when_its_terminal_closes(start, installed, user_env, parent):
    if parent == "make run":
        make = shutil.which("make")
        assert make, "make not found"
        app = start([make, "--no-print-directory", "run", "ARGS=--demo"], cwd=ROOT, label="make run")
    else:
        app = start(["/bin/sh", "-c", f"{shlex.quote(str(installed))} --demo; exit $?"], label="sh -c")
    # make run may first bring the project's venv up to date
    app.wait_for(lambda a: a.contains("backup-vault"), "the demo guests", deadline=STARTUP + 120)
    pid = virtdeck_pid(app)
    assert pid != app.pid, "virtdeck should run under a parent, not lead the terminal's session itself"

    closed = app.hang_up()
    while alive(pid) and time.perf_counter() - closed < GRACE:
        time.sleep(0.01)
    lasted = time.perf_counter() - closed
    if alive(pid):
        state, cpu = process_state(pid), cpu_seconds(pid)
        time.sleep(1.0)
        busy = cpu_seconds(pid) - cpu
        os.kill(pid, signal.SIGKILL)
        pytest.fail(f"virtdeck (pid {pid}, state {state}) still ran {lasted:.1f} s after its terminal "
                    f"closed, using {busy:.0%} of a core")
    log = Path(user_env["XDG_STATE_HOME"]) / "virtdeck" / "virtdeck.log"
    # Whichever comes first says why: the tty's hang-up, or the SIGHUP a dying shell passes on.
    said = log.read_text()
    assert "the terminal hung up: closing connections" in said or "SIGHUP: closing connections" in said, said[-2000:]
