"""`virtdeck --export guests` on the real libvirtd: the guests virsh lists, in virsh's words,
with live figures for the running ones."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import Testbed, TinyGuest

OFF_GUEST = "vd-export-off"


def test_export_lists_the_guests_virsh_lists(testbed: Testbed, tiny_guest: TinyGuest, tmp_path):
    testbed.remove_domain(OFF_GUEST)
    path = tmp_path / f"{OFF_GUEST}.xml"
    path.write_text(testbed.guest_xml(OFF_GUEST, network=tiny_guest.network))
    testbed.virsh("define", str(path))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tui", "--config", str(tmp_path / "config.toml"), "--export", "guests",
             "--format", "json", "--connect", testbed.system_uri, "--refresh", "1"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, start_new_session=True,
        )
        assert done.returncode == 0, done.stderr
        rows = json.loads(done.stdout)["rows"]
        names = [line for line in testbed.virsh("list", "--all", "--name").splitlines() if line.strip()]
        assert sorted(row["name"] for row in rows) == sorted(names)
        for row in rows:
            assert row["state"] == testbed.virsh("domstate", row["name"]).strip(), row["name"]
            assert row["uuid"] == testbed.virsh("domuuid", row["name"]).strip()
        by_name = {row["name"]: row for row in rows}
        running, off = by_name[tiny_guest.name], by_name[OFF_GUEST]
        assert running["state"] == "running" and off["state"] == "shut off"
        # One stats interval was waited for: the running guest has its figures, as numbers.
        assert isinstance(running["cpu"], float) and isinstance(running["memory"], int)
        assert running["net"] is not None and all(isinstance(rate, int) for rate in running["net"])  # no disk: a kernel and an initramfs
        assert off["cpu"] is None and off["memory"] == 128 << 20  # what it was given, in bytes
    finally:
        testbed.remove_domain(OFF_GUEST)
