"""The command lines F2 shows are real: the sheet's `virsh -c qemu:///system vol-create-as ...`
run in a shell makes the same volume the form makes through libvirt's API, on a real
libvirtd, into a real dir pool; the action log holds the same line."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.app.conftest import wait_for
from tui.config import state_dir

from .conftest import Testbed
from .test_stats import app_for

POOL = "vd-b14-pool"
POOL_DIR = Path("/var/lib/libvirt/images/virtdeck-test") / POOL
BY_VIRTDECK = "vd-b14 by virtdeck.qcow2"
BY_SHELL = "vd-b14 by the shell's $copy.qcow2"


@pytest.fixture
def pool(testbed: Testbed):
    with testbed.dir_pool(POOL, POOL_DIR):
        yield POOL


def screen_name(app) -> str:
    return type(app.screen).__name__


def volume_facts(testbed: Testbed, name: str) -> dict:
    """What libvirt and qemu-img say of a volume, but its name and path."""
    root = ET.fromstring(testbed.virsh("vol-dumpxml", "--pool", POOL, name))
    path = root.findtext("target/path")
    info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", path], check=True,
                                     capture_output=True, text=True).stdout)
    return {"format": root.find("target/format").get("type"), "capacity": root.findtext("capacity"),
            "virtual-size": info["virtual-size"], "qemu-format": info["format"],
            "allocated-kib": int(root.findtext("allocation")) // 1024}


async def sheet_for(pilot, form, name: str) -> str:
    """The sheet's command for the form filled in with `name` (F2 from the name field)."""
    app = pilot.app
    form.query_one("#name").value = name
    form.query_one("#name").focus()
    await pilot.pause()
    await pilot.press("f2")
    await wait_for(pilot, lambda: screen_name(app) == "CommandSheet", what="the command sheet")
    text = app.screen.query_one("#command-lines").render().plain
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen is form)
    return text


async def test_the_sheets_vol_create_as_does_what_the_form_does(tmp_path, testbed: Testbed, pool: str):
    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: any(p.name == POOL for p in app.inventory.pools.values()), timeout=30,
                       what="the test pool")
        await pilot.press("3")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen"
                       and any(c[0].plain == POOL for c in app.screen.table._cells.values()), what="storage view")
        table = app.screen.table
        table.move_cursor(row=table.get_row_index(next(k for k, c in table._cells.items() if c[0].plain == POOL)))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "VolumesScreen", what="the volumes screen")
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "NewVolumeScreen", what="the new-volume form")
        form = app.screen
        form.query_one("#format").value = "qcow2"
        form.query_one("#capacity").value = "64 MiB"
        form.query_one("#allocation").value = "preallocated"
        await pilot.pause()
        shell_line = await sheet_for(pilot, form, BY_SHELL)
        ours = await sheet_for(pilot, form, BY_VIRTDECK)
        assert shell_line.startswith(f"virsh -c {testbed.system_uri} vol-create-as {POOL} ")
        form.query_one("#name").value = BY_VIRTDECK
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "VolumesScreen" and any(
            v.name == BY_VIRTDECK for v in app.inventory.volumes.get((app.screen.conn_id, app.screen.pool_uuid), ())),
            timeout=60, what="the volume virtdeck made")

    done = subprocess.run(["bash", "-c", shell_line], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    made = volume_facts(testbed, BY_VIRTDECK)
    copied = volume_facts(testbed, BY_SHELL)
    assert made == copied, (made, copied)
    assert made["format"] == "qcow2" and made["virtual-size"] == 64 << 20
    assert made["allocated-kib"] >= (64 << 20) // 1024  # preallocated in full, both ways
    logged = [json.loads(line) for line in (state_dir() / "actions.jsonl").read_text().splitlines()]
    assert [(r["what"], r["command"], r["outcome"]) for r in logged] == [("create volume", ours, "ok")]
