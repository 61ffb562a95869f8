"""Events from a real libvirtd: an I/O error pause reaches the log, a toast and triage."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.app.conftest import table_rows, wait_for

from .conftest import Testbed, TinyGuest  # noqa: F401  (types only)

NAME = "vd-ioerror"


@pytest.fixture
def small_filesystem(testbed: Testbed):
    """An 8 MiB tmpfs: a guest writing 64 MiB to a qcow2 disk there runs out of space.

    Under the images dir, which QEMU's user can reach (pytest's tmp dirs are 0700)."""
    mount = Path(tempfile.mkdtemp(prefix="full-", dir=Path(testbed.kernel).parent))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], check=True)
    mount.chmod(0o777)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)
    mount.rmdir()


async def test_io_error_pause_is_logged_notified_and_triaged(tmp_path, testbed: Testbed, tiny_guest: TinyGuest,
                                                              small_filesystem: Path):
    from tui.app import VirtdeckApp
    from tui.cli import settings_from

    testbed.remove_domain(NAME)
    disk = small_filesystem / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    xml = tmp_path / "guest.xml"
    xml.write_text(testbed.guest_xml(NAME, cmdline="console=ttyS0 loglevel=4 panic=-1 vd.diskwrite", disk=str(disk)))
    config = tmp_path / "config.toml"
    config.write_text("resync = 86400\n")
    app = VirtdeckApp(settings_from(["--config", str(config), "-c", testbed.system_uri]))
    try:
        async with app.run_test(size=(200, 40)) as pilot:
            await wait_for(pilot, lambda: any(g.name == tiny_guest.name for g in app.inventory.guests.values()),
                           timeout=20, what="first sync")
            testbed.virsh("define", str(xml))
            testbed.virsh("start", NAME)
            await wait_for(pilot, lambda: any(g.name == NAME and g.state == "paused"
                                              for g in app.inventory.guests.values()),
                           timeout=60, what="the guest paused by ENOSPC")
            guest = next(g for g in app.inventory.guests.values() if g.name == NAME)
            assert guest.reason == "I/O error"
            row = next(c for c in table_rows(app.screen.table) if c["name"].plain == NAME)
            assert row["state"].plain == "paused (I/O error)"

            details = [e.detail for _, e in app.inventory.events if e.subject == NAME]
            assert any(d.startswith("I/O error on") and "enospc" in d and d.endswith("paused") for d in details), details
            assert any(d.startswith("suspended (I/O error)") for d in details), details
            toasts = [n.message for n in app._notifications]
            assert any(NAME in t and "I/O error" in t for t in toasts), toasts

            await pilot.press("5")
            await pilot.press("slash", *NAME)
            await wait_for(pilot, lambda: app.screen.table.row_count >= 3, what="the guest's events, filtered")
            await pilot.press("enter", "6")
            await wait_for(pilot, lambda: any(c["object"].plain == NAME for c in table_rows(app.screen.table)))
            problem = next(c for c in table_rows(app.screen.table) if c["object"].plain == NAME)
            assert (problem["severity"].plain, problem["problem"].plain) == ("critical", "paused by an I/O error")

            testbed.virsh("destroy", NAME)
            await wait_for(pilot, lambda: any(g.name == NAME and g.state == "shut off"
                                              for g in app.inventory.guests.values()), timeout=10)
            await wait_for(pilot, lambda: not any(c["object"].plain == NAME for c in table_rows(app.screen.table)),
                           what="the problem gone from triage")
    finally:
        testbed.remove_domain(NAME)
