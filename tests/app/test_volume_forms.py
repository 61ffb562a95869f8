"""The volumes of a pool on the test driver: the forms, what reaches libvirt, and libvirt's words."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt
import pytest

from tui.backend.xml.volume import parse_volume_spec

from .conftest import cell_text, column_cells, make_app, wait_for, worker_drained

ODD = "vd-h7 [x] <&>'\"é.qcow2"
POOL = "default-pool"


@pytest.fixture
def pool(fresh_default):
    """default-pool of test:///default, seen through a connection of the test's own."""
    pool = fresh_default.storagePoolLookupByName(POOL)
    yield pool
    for vol in pool.listAllVolumes():
        if vol.name().startswith("vd-h7"):
            vol.delete(0)


def names(pool) -> set[str]:
    return {vol.name() for vol in pool.listAllVolumes()}


def make_volume(pool, name: str, capacity: int = 1 << 20, fmt: str = "raw"):
    root = ET.Element("volume")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "capacity").text = str(capacity)
    ET.SubElement(ET.SubElement(root, "target"), "format", type=fmt)
    return pool.createXML(ET.tostring(root, encoding="unicode"), 0)


async def open_volumes(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: bool(app.inventory.pools), what="pools")
    await pilot.press("3")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "StorageScreen" and app.screen.table.row_count == 1,
                   what="the storage view")
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen"
                   and app.screen.volumes is not None and app.inventory.volumes.get(
                       (app.screen.conn_id, app.screen.pool_uuid)) is not None, what="the volumes screen")


def select(app, name: str) -> None:
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name") == name)
    table.move_cursor(row=table.get_row_index(key))


def shown(app, name: str) -> bool:
    return any(c.plain == name for c in column_cells(app.screen.table, "name"))


def error_of(form, field: str) -> str:
    return form.query_one(f"#{field}-error").render().plain


def notices(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def test_new_volume_validates_then_creates_an_odd_name(tmp_path, pool):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await open_volumes(pilot)
        before = names(pool)
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewVolumeScreen", what="the form")
        form = app.screen
        form.query_one("#name").value = "a/b"
        form.query_one("#capacity").value = "12 parsecs"
        await pilot.pause()
        assert "cannot contain '/'" in error_of(form, "name")
        assert "Unknown unit" in error_of(form, "capacity")
        assert "once every field is right" in form.query_one("#preview").render().plain
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and names(pool) == before  # bad input never reached libvirt
        form.query_one("#name").value = ODD
        form.query_one("#capacity").value = "0"
        await pilot.pause()
        assert error_of(form, "name") == ""
        assert "more than 0" in error_of(form, "capacity")
        form.query_one("#capacity").value = "1.5M"
        await pilot.pause()
        preview = form.query_one("#preview").render().plain
        assert "&lt;&amp;&gt;" in preview and "1572864" in preview
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: ODD in names(pool), what="the volume made")
        spec = parse_volume_spec(pool.storageVolLookupByName(ODD).XMLDesc(0))
        assert (spec.name, spec.format, spec.capacity) == (ODD, "qcow2", 1572864)
        await wait_for(pilot, lambda: shown(app, ODD), what="the new row, its name intact")
        await wait_for(pilot, lambda: "1.5 MiB" in notices(app), what="what was made, said")


async def test_a_name_taken_is_refused_next_to_the_field(tmp_path, pool):
    make_volume(pool, "vd-h7-taken")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await open_volumes(pilot)
        await wait_for(pilot, lambda: shown(app, "vd-h7-taken"))
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewVolumeScreen")
        form = app.screen
        form.query_one("#name").value = "vd-h7-taken"
        form.query_one("#capacity").value = "1M"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "exists already" in error_of(form, "name")
        await pilot.press("escape")
        await worker_drained(pilot, app)
        assert names(pool) >= {"vd-h7-taken"} and len([n for n in names(pool) if n.startswith("vd-h7")]) == 1


async def test_overlay_takes_format_and_size_from_its_backing_volume(tmp_path, pool):
    base = make_volume(pool, "vd-h7-base.raw", 3 << 20, "raw")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await open_volumes(pilot)
        await wait_for(pilot, lambda: shown(app, "vd-h7-base.raw"))
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewVolumeScreen")
        form = app.screen
        form.query_one("#format").value = "raw"
        form.query_one("#backing").value = next(i for i, v in enumerate(form.backings) if v.name == "vd-h7-base.raw")
        await pilot.pause()
        assert form.query_one("#format").value == "qcow2"
        assert form.query_one("#capacity").value == "3M"
        form.query_one("#capacity").value = "1M"
        form.query_one("#name").value = "vd-h7-top.qcow2"
        await pilot.pause()
        assert "At least the backing volume's 3 MiB" in error_of(form, "capacity")
        form.query_one("#capacity").value = "3M"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "vd-h7-top.qcow2" in names(pool))
        spec = parse_volume_spec(pool.storageVolLookupByName("vd-h7-top.qcow2").XMLDesc(0))
        assert spec.backing_path == base.path() and spec.backing_format == "raw"


async def test_what_the_test_driver_cannot_do_says_libvirts_words(tmp_path, pool):
    make_volume(pool, "vd-h7-a.raw")
    local = tmp_path / "up.raw"
    local.write_bytes(b"x" * 4096)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await open_volumes(pilot)
        await wait_for(pilot, lambda: shown(app, "vd-h7-a.raw"))
        select(app, "vd-h7-a.raw")
        await pilot.press("r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ResizeVolumeScreen")
        form = app.screen
        form.query_one("#capacity").value = "512K"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "tick shrink" in error_of(form, "capacity")
        form.query_one("#capacity").value = "2M"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "virStorageVolResize" in notices(app), what="libvirt's refusal")
        assert "not supported by the connection driver" in notices(app)
        # the form stays, libvirt's words in it and the capacity as typed
        assert app.screen is form and "virStorageVolResize" in form.query_one("#form-error").render().plain
        assert form.query_one("#capacity").value == "2M"
        await pilot.press("escape")

        await pilot.press("W")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: "virStorageVolWipe" in notices(app))

        await pilot.press("u")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "UploadVolumeScreen")
        form = app.screen
        form.query_one("#path").value = str(tmp_path / "missing")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "No such file" in error_of(form, "path")
        form.query_one("#path").value = str(local)
        await pilot.pause()
        assert form.query_one("#name").value == "up.raw"
        form.query_one("#name").value = "vd-h7-up.raw"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "virStorageVolUpload" in notices(app), what="libvirt's refusal")
        await wait_for(pilot, lambda: app.screen is form, what="back to the upload form")
        assert "virStorageVolUpload" in form.query_one("#form-error").render().plain
        assert form.query_one("#name").value == "vd-h7-up.raw"
        assert "vd-h7-up.raw" not in names(pool)  # the volume made for it is gone again
        await pilot.press("escape")

        select(app, "vd-h7-a.raw")
        await pilot.press("w")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DownloadVolumeScreen")
        form = app.screen
        form.query_one("#path").value = str(tmp_path / "down.raw")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "virStorageVolDownload" in notices(app))
        await wait_for(pilot, lambda: app.screen is form, what="back to the download form")
        assert "virStorageVolDownload" in form.query_one("#form-error").render().plain
        assert not (tmp_path / "down.raw").exists()  # the new file is removed


async def test_delete_refuses_a_guests_disk_and_confirms_otherwise(tmp_path, pool, fresh_default):
    used = make_volume(pool, "vd-h7-used.img")
    make_volume(pool, ODD)
    dom = ET.Element("domain", type="test")
    ET.SubElement(dom, "name").text = "vd-h7 guest <&>"
    ET.SubElement(dom, "memory").text = "65536"
    ET.SubElement(ET.SubElement(dom, "os"), "type").text = "hvm"
    disk = ET.SubElement(ET.SubElement(dom, "devices"), "disk", type="file", device="disk")
    ET.SubElement(disk, "source", file=used.path())
    ET.SubElement(disk, "target", dev="vda", bus="virtio")
    fresh_default.defineXML(ET.tostring(dom, encoding="unicode"))
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await open_volumes(pilot)
        await wait_for(pilot, lambda: shown(app, "vd-h7-used.img") and shown(app, ODD))
        select(app, "vd-h7-used.img")
        await pilot.press("D")
        await wait_for(pilot, lambda: "is a disk of vd-h7 guest <&>" in notices(app), what="refused, with the guest")
        assert type(app.screen).__name__ == "VolumesScreen"
        assert "vd-h7-used.img" in names(pool)

        select(app, ODD)
        await pilot.press("D")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("n")
        await worker_drained(pilot, app)
        assert ODD in names(pool)
        await pilot.press("D")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: ODD not in names(pool), what="deleted")
        await wait_for(pilot, lambda: not shown(app, ODD), what="its row gone")


async def test_clone_and_info(tmp_path, pool):
    make_volume(pool, ODD, 2 << 20, "qcow2")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await open_volumes(pilot)
        await wait_for(pilot, lambda: shown(app, ODD))
        select(app, ODD)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumeInfoScreen")
        sheet = app.screen.query_one("#sheet").render().plain
        assert ODD in sheet and "qcow2" in sheet and "2 MiB" in sheet and "no guest" in sheet
        await pilot.press("escape")
        await pilot.press("C")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CloneVolumeScreen")
        form = app.screen
        copy = "vd-h7 [x] <&>'\"é-copy.qcow2"
        assert form.query_one("#name").value == copy
        form.query_one("#name").value = ODD
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "exists already" in error_of(form, "name")
        form.query_one("#name").value = copy
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: copy in names(pool), what="the copy")
        await wait_for(pilot, lambda: shown(app, copy))
        assert parse_volume_spec(pool.storageVolLookupByName(copy).XMLDesc(0)).capacity == 2 << 20


async def test_read_only_dims_every_write_and_says_why(tmp_path, pool):
    make_volume(pool, "vd-h7-ro.raw")
    app = make_app(tmp_path, "-c", "test:///default", "--read-only")
    async with app.run_test(size=(160, 50)) as pilot:
        await open_volumes(pilot)
        await wait_for(pilot, lambda: shown(app, "vd-h7-ro.raw"))
        screen = app.screen
        select(app, "vd-h7-ro.raw")
        await pilot.pause()
        for action in ("new", "delete", "wipe", "resize", "clone", "upload"):
            assert screen.check_action(action, ()) is None, action
        assert screen.check_action("info", ()) and screen.check_action("download", ())
        await pilot.press("n")
        await wait_for(pilot, lambda: "read-only" in notices(app), what="why not")
        assert app.screen is screen


async def test_without_a_selection_volume_keys_are_dimmed(tmp_path, pool):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await open_volumes(pilot)
        screen = app.screen
        assert screen.table.row_count == 0
        assert screen.check_action("delete", ()) is None and screen.check_action("new", ())
        await pilot.press("D")
        await wait_for(pilot, lambda: "no volume is selected" in notices(app))
