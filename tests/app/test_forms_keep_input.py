"""A form whose operation fails stays on screen (or comes back after its job's progress bar)
with the input as typed and the reason in the failure's own words, on libvirt's test driver."""

from __future__ import annotations

import os

import libvirt
import pytest

from .conftest import cell_text, column_cells, make_app, wait_for
from .test_guest_copy import drop_volumes
from .test_guest_delete import define_with_disk
from .test_limits_and_states import open_guest_tab
from .test_volume_forms import make_volume, open_volumes
from .test_volume_forms import select as select_volume

SHUT_OFF = "<domain type='test'><name>{}</name><memory>65536</memory><os><type>hvm</type></os></domain>"


def screen_name(app) -> str:
    return type(app.screen).__name__


def said(form) -> str:
    return form.query_one("#form-error").render().plain


def select(app, name: str) -> None:
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name").endswith(name))
    table.move_cursor(row=table.get_row_index(key))


async def failed_in(pilot, form, text=said, timeout: float = 20) -> str:
    """Wait until `form` is the screen again and says it failed; what it says."""
    app = pilot.app
    await wait_for(pilot, lambda: app.screen is form and "Failed:" in text(form), timeout=timeout,
                   what=lambda: f"the failure in the form ({screen_name(app)}: {text(form)!r})")
    return text(form)


@pytest.fixture
def pool(fresh_default):
    pool = fresh_default.storagePoolLookupByName("default-pool")
    yield pool
    for vol in pool.listAllVolumes():
        if vol.name().startswith("vd15"):
            vol.delete(0)


async def test_rename_to_a_name_taken_behind_the_forms_back(tmp_path, fresh_default):
    fresh_default.defineXML(SHUT_OFF.format("vd15-old"))
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 45)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="two guests")
        select(app, "vd15-old")
        await pilot.press("R")
        await wait_for(pilot, lambda: screen_name(app) == "RenameGuestScreen", what="the rename form")
        form = app.screen
        form.query_one("#name").value = "vd15-new"
        await pilot.pause()
        fresh_default.defineXML(SHUT_OFF.format("vd15-new"))  # another client takes the name meanwhile
        await pilot.press("ctrl+s")
        text = await failed_in(pilot, form)
        assert "already exists" in text
        assert form.query_one("#name").value == "vd15-new"
        fresh_default.lookupByName("vd15-new").undefine()
        await pilot.press("ctrl+s")  # the same input, submitted again, goes through
        await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen", what="the form closed")
        await wait_for(pilot, lambda: any(g.name == "vd15-new" for g in app.inventory.guests.values()),
                       what="the new name listed")
    assert "vd15-old" not in {d.name() for d in fresh_default.listAllDomains()}


async def test_clone_into_a_pool_filled_behind_the_forms_back(tmp_path, fresh_default, pool):
    define_with_disk(fresh_default, "vd15-src", "vd15-src.img", start=False)
    app = make_app(tmp_path, "-c", "test:///default")
    try:
        async with app.run_test(size=(200, 45)) as pilot:
            await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="two guests")
            select(app, "vd15-src")
            await pilot.press("C")
            await wait_for(pilot, lambda: screen_name(app) == "CloneGuestScreen", what="the clone form")
            form = app.screen
            form.query_one("#name").value = "vd15-copy"
            await pilot.pause()
            assert not form.query_one("#name-error").render().plain  # it fitted when the form opened
            free = pool.info()[3]
            make_volume(pool, "vd15-filler.img", free - (512 << 20))  # the test driver allocates it in full
            before = set(pool.listVolumes())
            await pilot.press("ctrl+s")
            text = await failed_in(pilot, form)
            assert "space" in text.lower(), text
            assert form.query_one("#name").value == "vd15-copy"
            assert set(pool.listVolumes()) == before
            assert "vd15-copy" not in {d.name() for d in fresh_default.listAllDomains()}
    finally:
        drop_volumes(fresh_default, "vd15-src.img")


async def test_migrate_refused_keeps_the_choices(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default", "-c", "test:///default?second")
    async with app.run_test(size=(200, 45)) as pilot:
        await wait_for(pilot, lambda: len([h for h in app.inventory.hosts.values()
                                           if h.state.value == "connected"]) == 2, what="two hosts")
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1)
        select(app, "test")
        await pilot.press("M")
        await wait_for(pilot, lambda: screen_name(app) == "MigrateGuestScreen", what="the migrate form")
        form = app.screen
        form.query_one("#address").value = "tcp://127.0.0.1:49152"
        form.query_one("#undefine").value = False
        await pilot.pause()
        await pilot.press("ctrl+s")
        text = await failed_in(pilot, form)
        assert "same libvirt host" in text
        assert form.query_one("#address").value == "tcp://127.0.0.1:49152"
        assert form.query_one("#undefine").value is False
        assert fresh_default.lookupByName("test").isActive()


async def test_upload_from_a_file_that_disappears(tmp_path, pool):
    local = tmp_path / "vd15-up.raw"
    local.write_bytes(b"x" * 4096)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await open_volumes(pilot)
        await pilot.press("u")
        await wait_for(pilot, lambda: screen_name(app) == "UploadVolumeScreen", what="the upload form")
        form = app.screen
        form.query_one("#path").value = str(local)
        await pilot.pause()
        assert form.query_one("#name").value == "vd15-up.raw" and not form.errors()
        form.action_submit()  # what ctrl+s does: checked, then the job is on its way ...
        local.unlink()  # ... and the file goes before it reads it
        text = await failed_in(pilot, form)
        assert "No such file" in text and str(local) in text
        assert form.query_one("#path").value == str(local)
        assert form.query_one("#name").value == "vd15-up.raw"
        assert "vd15-up.raw" not in {vol.name() for vol in pool.listAllVolumes()}


async def test_download_into_a_missing_directory(tmp_path, pool):
    make_volume(pool, "vd15-down.raw")
    folder = tmp_path / "downloads"
    folder.mkdir()
    target = folder / "vd15-down.raw"
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await open_volumes(pilot)
        await wait_for(pilot, lambda: any(c.plain == "vd15-down.raw" for c in column_cells(app.screen.table, "name")))
        select_volume(app, "vd15-down.raw")
        await pilot.press("w")
        await wait_for(pilot, lambda: screen_name(app) == "DownloadVolumeScreen", what="the download form")
        form = app.screen
        form.query_one("#path").value = str(target)
        await pilot.pause()
        assert not form.errors()
        form.action_submit()
        folder.rmdir()  # the directory goes before the download opens its file
        text = await failed_in(pilot, form)
        assert "No such file" in text
        assert form.query_one("#path").value == str(target)
        assert not folder.exists()


async def test_convert_refused_by_qemu_img(tmp_path, pool):
    make_volume(pool, "vd15-conv.qcow2", fmt="qcow2")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await open_volumes(pilot)
        await wait_for(pilot, lambda: any(c.plain == "vd15-conv.qcow2" for c in column_cells(app.screen.table, "name")))
        select_volume(app, "vd15-conv.qcow2")
        screen = app.screen
        assert screen.image_why_disabled("image_convert") == "qemu-img works on QEMU hosts only"
        # The test driver's volumes are no files: qemu-img itself is asked, and refuses.
        screen.image_why_disabled = lambda action: None
        screen.action_image_convert()
        await wait_for(pilot, lambda: screen_name(app) == "ConvertImageScreen", what="the convert form")
        form = app.screen
        form.query_one("#name").value = "vd15-conv [1].img"
        await pilot.pause()
        await pilot.press("ctrl+s")
        text = await failed_in(pilot, form, timeout=30)
        assert "vd15-conv.qcow2" in text and ("No such file" in text or "Could not open" in text), text
        assert form.query_one("#name").value == "vd15-conv [1].img"
        assert not os.path.exists(os.path.join(os.path.dirname(pool.storageVolLookupByName("vd15-conv.qcow2").path()),
                                               "vd15-conv [1].img"))


async def test_save_to_a_missing_directory(tmp_path, fresh_default):
    missing = str(tmp_path / "missing" / "test.save")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        await open_guest_tab(app, pilot, "test", "backup")
        await pilot.press("S")
        await wait_for(pilot, lambda: screen_name(app) == "PathScreen", what="the save form")
        form = app.screen
        form.query_one("#path").value = missing
        await pilot.pause()
        await pilot.press("ctrl+s")
        text = await failed_in(pilot, form, lambda f: f.query_one("#path-error").render().plain)
        assert "open failed: No such file or directory" in text and missing in text
        assert form.query_one("#path").value == missing
    assert fresh_default.lookupByName("test").isActive()


async def test_backup_refused_keeps_its_directory(tmp_path, fresh_default, pool):
    define_with_disk(fresh_default, "vd15-run", "vd15-run.img", start=True)
    directory = str(tmp_path / "backups")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        await open_guest_tab(app, pilot, "vd15-run", "backup")
        await pilot.press("B")
        await wait_for(pilot, lambda: screen_name(app) == "PathScreen", what="the backup form")
        form = app.screen
        form.query_one("#path").value = directory
        await pilot.pause()
        await pilot.press("ctrl+s")
        text = await failed_in(pilot, form, lambda f: f.query_one("#path-error").render().plain)
        assert "not supported" in text, text
        assert form.query_one("#path").value == directory
