"""Nothing libvirt, ssh or Python prints lands on the terminal outside the app."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from tests.ptyharness import PtyApp

from .conftest import Testbed

ROOT = Path(__file__).resolve().parents[2]


def test_failing_hosts_print_nothing_over_the_screen(tmp_path, testbed: Testbed):
    wrapper = testbed.state_dir / "ssh-wrapper"
    port = testbed.ssh_uri.split("@127.0.0.1:", 1)[1].split("/", 1)[0]
    refused = f"qemu+ssh://nobody@127.0.0.1:{port}/system?command={wrapper}"
    unreachable = "qemu+tcp://127.0.0.1:1/system"
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    argv = [sys.executable, "-m", "tui", "-c", refused, "-c", unreachable, "-c", testbed.system_uri]
    with PtyApp(argv, env=env, cwd=str(ROOT), size=(160, 40), label="virtdeck") as app:
        app.wait_for(lambda a: "failed" in a.lines_text()[0] and "retrying" in a.lines_text()[0],
                     what="status line with a failed and a retrying host", deadline=30)
        app.send("4")
        app.wait_for(lambda a: a.contains("Permission denied"), what="the refused host's error in the table")
        screen = app.lines_text()
        app.quit()
    raw = bytes(app.raw)
    # Textual ends every line it draws with an escape sequence before CR LF;
    # a stray write from ssh or libvirt is plain text ending in CR LF.
    assert b"libvirt: " not in raw
    escape_at_end = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]$")
    stray = [m.start() for m in re.finditer(rb"\r\n", raw) if not escape_at_end.search(raw[max(0, m.start() - 24):m.start()])]
    assert not stray, [raw[max(0, i - 80):i + 2] for i in stray[:3]]
    assert screen[0].startswith(" virtdeck"), screen[0]
    log = tmp_path / "state" / "virtdeck" / "virtdeck.log"
    assert log.exists()
