"""qemu-img info, check and convert from the Volumes view on the real host (local here;
over virtdeck's own SSH connection the same code runs remotely: see test_ssh.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.app.conftest import wait_for

from .conftest import Testbed  # noqa: F401  (types only)
from .test_stats import app_for

POOL = "vd-img-pool"


@pytest.fixture
def image_pool(testbed: Testbed):
    with testbed.dir_pool(POOL, Path(testbed.kernel).parent / "img-pool") as pool_dir:
        yield pool_dir


def screen_name(app) -> str:
    return type(app.screen).__name__


async def test_info_check_and_convert_a_volume(tmp_path, testbed: Testbed, image_pool: Path):
    source = image_pool / "disk é [1].qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(source), "24M"], check=True)
    subprocess.run(["qemu-io", "-c", "write -P 0x5a 1M 2M", str(source)], check=True, capture_output=True)
    testbed.virsh("pool-refresh", POOL)
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(200, 45)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: any(p.name == POOL for p in app.inventory.pools.values()), timeout=30)
        table = app.screen.table
        pool = next(p for p in app.inventory.pools.values() if p.name == POOL)
        table.move_cursor(row=table.get_row_index(f"{pool.conn_id}|{pool.uuid}"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "VolumesScreen" and app.screen.table.row_count == 1,
                       timeout=20, what="the volume listed")

        await pilot.press("I")
        await wait_for(pilot, lambda: screen_name(app) == "DetailsScreen", timeout=20, what="qemu-img info")
        facts = dict(app.screen.facts)
        assert facts["Format"] == "qcow2" and facts["Virtual size"] == "24 MiB"
        await pilot.press("escape")

        await pilot.press("c")
        await wait_for(pilot, lambda: screen_name(app) == "DetailsScreen", timeout=30,
                       what=lambda: f"qemu-img check ({screen_name(app)}, {[str(n.message) for n in app._notifications]})")
        assert dict(app.screen.facts)["Verdict"] == "no errors"
        await pilot.press("escape")

        await pilot.press("K")
        await wait_for(pilot, lambda: screen_name(app) == "ConvertImageScreen", what="the convert form")
        form = app.screen
        assert str(form.query_one("#format").value) == "raw"
        form.query_one("#name").value = "disk é [1].qcow2"
        await pilot.pause()
        assert "exists already" in form.query_one("#name-error").render().plain
        form.query_one("#name").value = "converted é.img"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.table.row_count == 2 if screen_name(app) == "VolumesScreen" else False,
                       timeout=60, what="the converted volume listed")
    target = image_pool / "converted é.img"
    info = subprocess.run(["qemu-img", "info", "--output=json", str(target)], capture_output=True, text=True, check=True)
    assert '"format": "raw"' in info.stdout
    subprocess.run(["qemu-img", "compare", "-q", str(source), str(target)], check=True)
