"""Lifecycle keys on a real TCG guest, each result checked with virsh."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import wait_for

from .conftest import Testbed, TinyGuest  # noqa: F401  (types only)
from .test_stats import app_for

NAME = "vd-life [1] <&>"


@pytest.fixture
def life_guest(testbed: Testbed, tiny_guest: TinyGuest):
    testbed.remove_domain(NAME)
    path = testbed.state_dir / "vd-life.xml"
    testbed.serial_log("vd-life").unlink(missing_ok=True)
    path.write_text(testbed.guest_xml(NAME, serial_log=str(testbed.serial_log("vd-life"))))
    testbed.virsh("define", str(path))
    testbed.virsh("start", NAME)
    yield NAME
    testbed.remove_domain(NAME)


def domstate(testbed: Testbed) -> str:
    return testbed.virsh("domstate", NAME).strip()


async def test_pause_save_restore_force_off_on_a_real_guest(tmp_path, testbed: Testbed, life_guest: str):
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: any(c[0].plain == NAME for c in app.screen.table._cells.values()),
                       timeout=30, what="the guest, its odd name intact")
        table = app.screen.table
        table.move_cursor(row=table.get_row_index(next(k for k, c in table._cells.items() if c[0].plain == NAME)))

        await pilot.press("p")
        await wait_for(pilot, lambda: domstate(testbed) == "paused", timeout=20, what="paused")
        await pilot.press("p")
        await wait_for(pilot, lambda: domstate(testbed) == "running", timeout=20, what="resumed")

        await pilot.press("m")
        await wait_for(pilot, lambda: domstate(testbed) == "shut off", timeout=60, what="managed save")
        assert "Managed save:   yes" in testbed.virsh("dominfo", NAME)
        await wait_for(pilot, lambda: any(c[0].plain == NAME and c[2].plain == "saved"
                                          for c in table._cells.values()), what="shown as saved")
        await pilot.press("s")
        await wait_for(pilot, lambda: domstate(testbed) == "running", timeout=60, what="restored")
        assert "Managed save:   no" in testbed.virsh("dominfo", NAME)

        await pilot.press("a")
        await wait_for(pilot, lambda: "Autostart:      enable" in testbed.virsh("dominfo", NAME), what="autostart")
        await pilot.press("a")
        await wait_for(pilot, lambda: "Autostart:      disable" in testbed.virsh("dominfo", NAME))

        await pilot.press("F")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("n")  # no: nothing happens
        assert domstate(testbed) == "running"
        await pilot.press("F", "y")
        await wait_for(pilot, lambda: domstate(testbed) == "shut off", timeout=20, what="forced off")
        await pilot.press("s")
        await wait_for(pilot, lambda: domstate(testbed) == "running", timeout=20, what="started")
        # ACPI shutdown needs the guest's acpid: wait for it to boot (the serial log starts afresh).
        await wait_for(pilot, lambda: "tiny login:" in testbed.serial_text("vd-life"), timeout=60, what="booted")
        await pilot.press("d")
        await wait_for(pilot, lambda: domstate(testbed) == "shut off", timeout=60, what="ACPI shutdown")
        assert app.last_batch.verb == "shutdown" and not app.last_batch.failed


@pytest.fixture
def delete_pool(testbed: Testbed):
    with testbed.dir_pool("vd-delete-pool", Path(testbed.kernel).parent / "delete-pool") as pool_dir:
        yield pool_dir


async def test_delete_a_saved_guest_with_its_volume(tmp_path, testbed: Testbed, tiny_guest: TinyGuest,
                                                    delete_pool: Path):
    name = "vd-delete é"
    testbed.remove_domain(name)
    pool_dir = delete_pool
    testbed.virsh("vol-create-as", "vd-delete-pool", "disk.qcow2", "16M", "--format", "qcow2")
    volume = str(pool_dir / "disk.qcow2")
    path = testbed.state_dir / "vd-delete.xml"
    path.write_text(testbed.guest_xml(name, disk=volume))
    testbed.virsh("define", str(path))
    testbed.virsh("start", name)
    testbed.virsh("managedsave", name)
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    try:
        async with app.run_test(size=(200, 45)) as pilot:
            await wait_for(pilot, lambda: any(c[0].plain == name and c[2].plain == "saved"
                                              for c in app.screen.table._cells.values()), timeout=30)
            table = app.screen.table
            table.move_cursor(row=table.get_row_index(next(k for k, c in table._cells.items() if c[0].plain == name)))
            await pilot.press("D")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "DeleteGuestScreen", what="the delete form")
            form = app.screen
            assert [(d.target, d.path, d.pool) for d in form.disks] == [("vda", volume, "vd-delete-pool")]
            form.query_one("#disk-0-0").value = True
            form.query_one("#name-0").value = name
            await pilot.press("y")
            await wait_for(pilot, lambda: not any(g.name == name for g in app.inventory.guests.values()),
                           timeout=20, what="the guest gone")
        assert name not in testbed.virsh("list", "--all", "--name")
        assert "disk.qcow2" not in testbed.virsh("vol-list", "vd-delete-pool")
        assert not any(p.name.startswith(name) for p in Path("/var/lib/libvirt/qemu/save").glob("*"))
    finally:
        testbed.remove_domain(name)
