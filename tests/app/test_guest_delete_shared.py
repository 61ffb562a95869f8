"""Deleting a guest with its storage never takes a volume another guest or volume needs:
the dialog says why it stays and offers no box for it, and the delete itself refuses it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt

from tests import zoo
from tui.backend.ops import guests as ops

from .conftest import cell_text, wait_for

SHARER = "sharer [b]<&>"
BASE = f"{zoo.IMAGES}/{zoo.VOLUME_BACKING}"  # the backing file of overlay.qcow2
PLAIN = f"{zoo.IMAGES}/plain.raw"  # the disk of plain
ORPHAN = f"{zoo.IMAGES}/{zoo.VOLUME_ORPHAN}"  # used by no guest


def define_sharer(conn: libvirt.virConnect) -> str:
    """A shut-off guest whose disks are a backing file, another guest's disk and a free volume."""
    dom = ET.Element("domain", type="test")
    ET.SubElement(dom, "name").text = SHARER
    ET.SubElement(dom, "memory").text = "65536"
    ET.SubElement(ET.SubElement(dom, "os"), "type").text = "hvm"
    devices = ET.SubElement(dom, "devices")
    for dev, path in (("vda", BASE), ("vdb", PLAIN), ("vdc", ORPHAN)):
        disk = ET.SubElement(devices, "disk", type="file", device="disk")
        ET.SubElement(disk, "source", file=path)
        ET.SubElement(disk, "target", dev=dev, bus="virtio")
    return conn.defineXML(ET.tostring(dom, encoding="unicode")).UUIDString()


def default_volumes(conn: libvirt.virConnect) -> set[str]:
    return {vol.path() for vol in conn.storagePoolLookupByName(zoo.POOL_DEFAULT).listAllVolumes()}


def test_the_disks_say_why_they_stay_and_delete_refuses_them():
    conn = zoo.open_zoo_conn()
    uuid = define_sharer(conn)
    disks = {disk.target: disk for disk in ops.deletable_disks(conn, uuid)}
    assert disks["vda"].kept == f"backing file of {zoo.VOLUME_OVERLAY}"
    assert disks["vdb"].kept == "also a disk of plain (vda)"
    assert disks["vdc"].kept is None and disks["vdc"].pool == zoo.POOL_DEFAULT
    # Asked for all three anyway (a stale dialog, another client): only the free one goes.
    problems = ops.delete(conn, uuid, (BASE, PLAIN, ORPHAN))
    assert problems == [f"{BASE}: kept, backing file of {zoo.VOLUME_OVERLAY}",
                        f"{PLAIN}: kept, also a disk of plain (vda)"]
    left = default_volumes(conn)
    assert BASE in left and PLAIN in left and ORPHAN not in left
    assert SHARER not in conn.listDefinedDomains()


async def test_the_delete_dialog_offers_only_what_no_one_else_needs(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        conn_id = await zoo.open_zoo(pilot)
        connection = app.fleet.get(conn_id)
        answers: list = []
        connection.call(define_sharer, lambda result, error: answers.append((result, error)),
                        action="define the sharer")
        await wait_for(pilot, lambda: any(g.name == SHARER for g in app.inventory.guests.values()),
                       what="the sharer listed")
        assert answers[0][1] is None
        table = app.screen.table
        key = next(k for k in table._cells if cell_text(table, k, "name").endswith(SHARER))
        table.move_cursor(row=table.get_row_index(key))
        await pilot.press("D")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DeleteGuestScreen", what="the delete dialog")
        form = app.screen
        kept = [static.render().plain for static in form.query(".kept")]
        assert kept == [f"vda: {BASE} stays: backing file of {zoo.VOLUME_OVERLAY}",
                        f"vdb: {PLAIN} stays: also a disk of plain (vda)"]
        boxes = list(form.query("Checkbox"))
        assert [box.id for box in boxes] == ["disk-0-2"] and ORPHAN in str(boxes[0].label)
        boxes[0].value = True
        form.query_one("#name-0").value = SHARER
        form.query_one("#name-0").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not any(g.name == SHARER for g in app.inventory.guests.values()),
                       what="the sharer gone")
        left: list = []
        connection.call(default_volumes, lambda result, error: left.append(result), action="list volumes")
        await wait_for(pilot, lambda: bool(left), what="the default pool's volumes")
        assert BASE in left[0] and PLAIN in left[0] and ORPHAN not in left[0]
        assert app.return_code is None
