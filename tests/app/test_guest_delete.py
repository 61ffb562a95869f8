"""Deleting a guest, with and without its storage, against the test driver."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt

from .conftest import cell_text, make_app, wait_for

NAME = "doomed <&> [x]"


def define_with_disk(conn: libvirt.virConnect, name: str = NAME, volume: str = "doomed.img",
                     start: bool = True, mac: str | None = None) -> str:
    """A test-driver guest with one 1 GiB volume of default-pool (and a NIC with `mac`)."""
    pool = conn.storagePoolLookupByName("default-pool")
    vol_xml = ET.Element("volume")
    ET.SubElement(vol_xml, "name").text = volume
    ET.SubElement(vol_xml, "capacity").text = str(1 << 30)
    vol = pool.createXML(ET.tostring(vol_xml, encoding="unicode"), 0)
    dom = ET.Element("domain", type="test")
    ET.SubElement(dom, "name").text = name
    ET.SubElement(dom, "memory").text = "65536"
    ET.SubElement(ET.SubElement(dom, "os"), "type").text = "hvm"
    devices = ET.SubElement(dom, "devices")
    disk = ET.SubElement(devices, "disk", type="file", device="disk")
    ET.SubElement(disk, "source", file=vol.path())
    ET.SubElement(disk, "target", dev="vda", bus="virtio")
    if mac is not None:
        nic = ET.SubElement(devices, "interface", type="network")
        ET.SubElement(nic, "mac", address=mac)
        ET.SubElement(nic, "source", network="default")
    dom = conn.defineXML(ET.tostring(dom, encoding="unicode"))
    if start:
        dom.create()
    return vol.path()


def select(app, name):
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name") == name)
    table.move_cursor(row=table.get_row_index(key))


async def test_delete_with_storage_needs_the_name_typed(tmp_path, fresh_default):
    path = define_with_disk(fresh_default)
    app = make_app(tmp_path, "-c", "test:///default")
    try:
        async with app.run_test(size=(200, 45)) as pilot:
            await wait_for(pilot, lambda: app.screen.table.row_count == 2)
            select(app, NAME)
            await pilot.press("D")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "DeleteGuestScreen", what="the delete form")
            form = app.screen
            assert [d.path for d in form.disks] == [path]
            form.query_one("#disk-0-0").value = True
            await pilot.press("y")  # name not typed: refused, nothing deleted, the name field has focus
            assert type(app.screen).__name__ == "DeleteGuestScreen"
            assert f"Type {NAME} exactly" in form.query_one("#error").render().plain
            assert fresh_default.lookupByName(NAME)
            form.query_one("#name-0").value = NAME
            await pilot.press("enter")
            await wait_for(pilot, lambda: not any(g.name == NAME for g in app.inventory.guests.values()),
                           what="the guest gone")
            await wait_for(pilot, lambda: app.screen.table.row_count == 1)
            names = [v.name() for v in fresh_default.storagePoolLookupByName("default-pool").listAllVolumes()]
            assert "doomed.img" not in names
    finally:
        try:
            fresh_default.storageVolLookupByPath(path).delete(0)
        except libvirt.libvirtError:
            pass


async def test_delete_keeps_storage_unless_asked_and_cancel_does_nothing(tmp_path, fresh_default):
    path = define_with_disk(fresh_default)
    app = make_app(tmp_path, "-c", "test:///default")
    try:
        async with app.run_test(size=(200, 45)) as pilot:
            await wait_for(pilot, lambda: app.screen.table.row_count == 2)
            select(app, NAME)
            await pilot.press("D")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "DeleteGuestScreen")
            await pilot.press("escape")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestsScreen")
            assert fresh_default.lookupByName(NAME)
            await pilot.press("D")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "DeleteGuestScreen")
            await pilot.press("y")  # no storage ticked: no name needed
            await wait_for(pilot, lambda: not any(g.name == NAME for g in app.inventory.guests.values()))
            assert fresh_default.storageVolLookupByPath(path)  # the volume stays
    finally:
        try:
            fresh_default.storageVolLookupByPath(path).delete(0)
        except libvirt.libvirtError:
            pass


async def test_bulk_delete_of_marked_guests_asks_each_name_for_its_storage(tmp_path, fresh_default):
    second = "doomed two é"
    paths = [define_with_disk(fresh_default), define_with_disk(fresh_default, second, "doomed-two.img")]
    app = make_app(tmp_path, "-c", "test:///default")
    try:
        async with app.run_test(size=(200, 45)) as pilot:
            await wait_for(pilot, lambda: app.screen.table.row_count == 3)
            for name in (NAME, second):
                select(app, name)
                await pilot.press("space")
            await pilot.press("D")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "DeleteGuestScreen", what="the delete form")
            form = app.screen
            assert {entry.guest.name for entry in form.doomed} == {NAME, second}
            order = [entry.guest.name for entry in form.doomed]
            g_second = order.index(second)
            form.query_one(f"#disk-{g_second}-0").value = True  # only the second guest's volume goes
            await pilot.press("y")
            assert type(app.screen).__name__ == "DeleteGuestScreen"
            assert f"Type {second} exactly" in form.query_one("#error").render().plain
            form.query_one(f"#name-{g_second}").value = second
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.last_batch is not None and app.last_batch.verb == "delete",
                           what="the bulk report")
            assert sorted(app.last_batch.done) == sorted([NAME, second]) and not app.last_batch.failed
            assert any("1 volume(s) deleted" in note for note in app.last_batch.notes)
            await wait_for(pilot, lambda: app.screen.table.row_count == 1)
            names = [v.name() for v in fresh_default.storagePoolLookupByName("default-pool").listAllVolumes()]
            assert "doomed.img" in names and "doomed-two.img" not in names
    finally:
        for path in paths:
            try:
                fresh_default.storageVolLookupByPath(path).delete(0)
            except libvirt.libvirtError:
                pass
