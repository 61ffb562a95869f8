"""Snapshots, save to a file / restore, and a push-mode backup on a real TCG guest with a qcow2 disk
in a dir pool of its own; every result checked with virsh (and qemu-img)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.app.conftest import wait_for
from tui.backend.ops import snapshots as ops
from tui.forms import recovery_forms

from .conftest import Testbed, VirshError, wait_until
from .test_stats import app_for

NAME = "vd-h3 [x] <&>é"
POOL = "vd-h3-pool"
DISK_MIB = 64


def screen_name(app) -> str:
    return type(app.screen).__name__


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def _quiet(testbed: Testbed, *args: str) -> None:
    try:
        testbed.virsh(*args)
    except VirshError:
        pass


class H3Guest:
    def __init__(self, testbed: Testbed, uuid: str, disk: str, work: Path, log: Path) -> None:
        self.testbed = testbed
        self.uuid = uuid
        self.disk = disk
        self.work = work
        self.log = log

    def virsh(self, *args: str) -> str:
        return self.testbed.virsh(*args)

    def state(self) -> str:
        return self.virsh("domstate", self.uuid).strip()

    def snapshot_names(self) -> list[str]:
        return [line for line in self.virsh("snapshot-list", self.uuid, "--name").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def h3_guest(testbed: Testbed):
    base = Path(testbed.kernel).parent
    pool_dir, work = base / POOL, base / "vd-h3-work"

    def clean() -> None:
        testbed.remove_domain(NAME)
        _quiet(testbed, "pool-destroy", POOL)
        _quiet(testbed, "pool-undefine", POOL)
        shutil.rmtree(pool_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    clean()
    pool_dir.mkdir()
    work.mkdir()
    testbed.virsh("pool-define-as", POOL, "dir", "--target", str(pool_dir))
    testbed.virsh("pool-start", POOL)
    testbed.virsh("vol-create-as", POOL, "vd-h3-disk.qcow2", f"{DISK_MIB}M", "--format", "qcow2")
    disk = str(pool_dir / "vd-h3-disk.qcow2")
    log = testbed.state_dir / "serial-vd-h3.log"
    log.unlink(missing_ok=True)
    xml = testbed.state_dir / "vd-h3.xml"
    xml.write_text(testbed.guest_xml(NAME, serial_log=str(log), disk=disk))
    try:
        testbed.virsh("define", str(xml))
        testbed.virsh("start", NAME)
        wait_until(lambda: testbed.login_prompt in log.read_text(errors="replace") if log.exists() else False,
                   180, what="the vd-h3 guest's login prompt")
        yield H3Guest(testbed, testbed.virsh("domuuid", NAME).strip(), disk, work, log)
    finally:
        clean()


async def open_tab(app, pilot, tab_id: str):
    await wait_for(pilot, lambda: any(c[0].plain == NAME for c in app.screen.table._cells.values()),
                   timeout=30, what="the guest, its odd name intact")
    table = app.screen.table
    table.move_cursor(row=table.get_row_index(next(k for k, c in table._cells.items() if c[0].plain == NAME)))
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen", what="the detail screen")
    app.screen.show_tab(tab_id)
    tab = app.screen.tab(tab_id)
    await wait_for(pilot, lambda: tab.has_focus_within, what=f"the {tab_id} tab")
    return tab


def select_snapshot(tab, name: str) -> None:
    tab.snapshot_tree.move_cursor(next(n for n in tab.snapshot_tree._tree_nodes.values() if n.data == name))


async def test_snapshot_with_memory_revert_and_delete(tmp_path, h3_guest: H3Guest):
    first, second = "vd-h3 one <&>", "vd-h3 two [b]"
    app = app_for(tmp_path, h3_guest.testbed.system_uri, refresh="60")
    async with app.run_test(size=(200, 45)) as pilot:
        tab = await open_tab(app, pilot, "snapshots")
        await wait_for(pilot, lambda: tab.loaded, timeout=20, what="the snapshots read")
        for name in (first, second):
            await pilot.press("n")
            await wait_for(pilot, lambda: screen_name(app) == "CreateSnapshotScreen", timeout=20)
            form = app.screen
            assert form.kind == ops.INTERNAL_MEMORY  # running, qcow2: a full checkpoint is the default
            form.query_one("#name").value = name
            form.query_one("#description").value = f"about {name}"
            await pilot.press("ctrl+s")
            # taken: the list can show a snapshot still being taken; the take's end selects it
            await wait_for(pilot, lambda: tab.selected_name() == name and any(s.name == name for s in tab.snapshots),
                           timeout=120, what=f"snapshot {name} taken")
        tree = h3_guest.virsh("snapshot-list", h3_guest.uuid, "--tree")
        assert first in tree and second in tree
        assert tree.index(first) < tree.index(second)  # the second is the first's child
        assert h3_guest.virsh("snapshot-parent", h3_guest.uuid, second).strip() == first
        info = h3_guest.virsh("snapshot-info", h3_guest.uuid, first)
        assert "running" in info and "internal" in info.lower()
        assert [s.facts.with_memory for s in tab.snapshots] == [True, True]

        select_snapshot(tab, first)
        await pilot.pause()
        await pilot.press("v")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the revert question")
        await pilot.press("y")
        await wait_for(pilot, lambda: h3_guest.virsh("snapshot-current", "--name", h3_guest.uuid).strip() == first,
                       timeout=120, what="the revert")
        assert h3_guest.state() == "running"  # as the snapshot had it

        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "DeleteSnapshotScreen", what="the delete form")
        app.screen.query_one("#children").value = "children"
        await pilot.press("y")
        await wait_for(pilot, lambda: h3_guest.snapshot_names() == [], timeout=120, what="both deleted")
        await wait_for(pilot, lambda: tab.snapshots == (), what="the tree emptied")
        assert h3_guest.state() == "running"


async def test_save_to_a_file_and_restore_from_it(tmp_path, h3_guest: H3Guest):
    saved = h3_guest.work / "vd-h3.save"
    app = app_for(tmp_path, h3_guest.testbed.system_uri, refresh="60")
    async with app.run_test(size=(200, 45)) as pilot:
        await open_tab(app, pilot, "backup")
        await pilot.press("S")
        await wait_for(pilot, lambda: screen_name(app) == "PathScreen", what="the save form")
        assert app.screen.query_one("#path").value == "/var/lib/libvirt/qemu/save/vd-h3_x.save"
        app.screen.query_one("#path").value = str(saved)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("saved to" in n for n in notes(app)), timeout=120, what="the save")
        assert h3_guest.state() == "shut off" and saved.stat().st_size > 0

        recovery_forms.restore_from_file(app, app.inventory, app.actions.guest_detail)
        await wait_for(pilot, lambda: screen_name(app) == "HostPathScreen", what="the restore form")
        app.screen.query_one("#path").value = str(saved)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("restored on" in n for n in notes(app)), timeout=120, what="the restore")
        assert h3_guest.state() == "running"
        assert any(f"{NAME} restored" in n for n in notes(app))


async def test_push_backup_into_a_directory(tmp_path, h3_guest: H3Guest):
    target = h3_guest.work / "backups"
    target.mkdir()
    app = app_for(tmp_path, h3_guest.testbed.system_uri, refresh="60")
    async with app.run_test(size=(200, 45)) as pilot:
        await open_tab(app, pilot, "backup")
        await pilot.press("B")
        await wait_for(pilot, lambda: screen_name(app) == "PathScreen", timeout=20, what="the backup form")
        assert app.screen.query_one("#path").value == str(Path(h3_guest.disk).parent)
        app.screen.query_one("#path").value = str(target)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("backed up to" in n or "backup failed" in n for n in notes(app)),
                       timeout=180, what="the backup")
        assert not any("backup failed" in n for n in notes(app)), notes(app)
    files = list(target.glob("vd-h3_x-vda-*.qcow2"))
    assert len(files) == 1, files
    info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", str(files[0])],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["format"] == "qcow2" and info["virtual-size"] == DISK_MIB << 20
    assert h3_guest.state() == "running"


async def test_external_disk_only_snapshot(tmp_path, h3_guest: H3Guest):
    name = "vd-h3 ext <&>"
    app = app_for(tmp_path, h3_guest.testbed.system_uri, refresh="60")
    async with app.run_test(size=(200, 45)) as pilot:
        tab = await open_tab(app, pilot, "snapshots")
        await wait_for(pilot, lambda: tab.loaded, timeout=20)
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "CreateSnapshotScreen", timeout=20)
        form = app.screen
        form.query_one("#name").value = name
        form.query_one("#kind").value = ops.EXTERNAL_DISK
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: tab.selected_name() == name and any(s.name == name for s in tab.snapshots),
                       timeout=60, what="taken")
        assert tab.snapshots[0].facts.external and not tab.snapshots[0].facts.with_memory
        assert "external" in str(next(iter(n.label for n in tab.snapshot_tree._tree_nodes.values() if n.data == name)))
        assert name in h3_guest.virsh("snapshot-list", h3_guest.uuid, "--tree")
        overlay = str(Path(h3_guest.disk).parent / "vd-h3-disk.vd-h3_ext.qcow2")
        assert overlay in h3_guest.virsh("domblklist", h3_guest.uuid)
        assert h3_guest.state() == "running"

        # libvirt 9.0 cannot revert to an external snapshot: the user reads its words, the guest runs on
        select_snapshot(tab, name)
        await pilot.pause()
        await pilot.press("v")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the revert question")
        await pilot.press("y")
        await wait_for(pilot, lambda: any(f"revert to {name}" in n for n in notes(app)), timeout=60,
                       what="the outcome of the revert")
        reverted = next(n for n in notes(app) if f"revert to {name}" in n)
        print("external snapshot revert:", reverted)
        assert "failed" in reverted and "external" in reverted
        assert h3_guest.state() == "running"

        # libvirt 9.0 deletes an external disk-only snapshot that is the guest's current leaf (the
        # overlay is merged back into its base by a block commit): deleted, and the guest runs on
        select_snapshot(tab, name)
        await pilot.pause()
        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "DeleteSnapshotScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: any(f"snapshot {name}" in n and ("deleted" in n or "failed" in n)
                                          for n in notes(app)), timeout=60, what="the outcome of the delete")
        outcome = next(n for n in notes(app) if f"snapshot {name}" in n and ("deleted" in n or "failed" in n))
        assert "deleted" in outcome and "failed" not in outcome, outcome
        await wait_for(pilot, lambda: tab.snapshots == (), what="the tree emptied")
        assert h3_guest.snapshot_names() == []
        assert h3_guest.state() == "running"
        assert overlay not in h3_guest.virsh("domblklist", h3_guest.uuid)
        print("external snapshot delete:", outcome)
