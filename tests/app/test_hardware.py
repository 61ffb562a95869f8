"""The Hardware tab against the test driver.

The test driver does setVcpusFlags, setMemoryFlags and defineXML (the boot
order) but not attachDeviceFlags / detachDeviceFlags / updateDeviceFlags:
for those the tab must show libvirt's refusal, and a new volume made for a
refused attach must be gone again. Device changes on a real QEMU guest are in
tests/system/test_hardware.py.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt
import pytest

from tui.backend.xml import devices as dx

from .conftest import cell_text, column_cells, make_app, wait_for, worker_drained

NAME = "vd-h2 [x] <&>'\"é"


def odd_guest(conn: libvirt.virConnect) -> libvirt.virDomain:
    dom = ET.Element("domain", type="test")
    ET.SubElement(dom, "name").text = NAME
    ET.SubElement(dom, "memory", unit="MiB").text = "512"
    ET.SubElement(dom, "vcpu").text = "2"
    os_el = ET.SubElement(dom, "os")
    ET.SubElement(os_el, "type").text = "hvm"
    ET.SubElement(os_el, "boot", dev="hd")
    devices = ET.SubElement(dom, "devices")
    devices.append(dx.disk_element("vda", "virtio", "/guest/odd [1].img"))
    devices.append(dx.disk_element("sda", "sata", None, device="cdrom"))
    devices.append(dx.nic_element("network", "default", "virtio", "52:54:00:aa:bb:01"))
    return conn.defineXML(ET.tostring(dom, encoding="unicode"))


@pytest.fixture(autouse=True)
def restore_test_guest(fresh_default):
    """The tests change the shared "test" guest's vCPUs and memory: put them back."""
    dom = fresh_default.lookupByName("test")
    config = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    live_kib = dx.parse_hardware(dom.XMLDesc(0)).memory_kib
    yield
    dom = fresh_default.lookupByName("test")
    fresh_default.defineXML(config)
    if dom.isActive():
        dom.setMemoryFlags(live_kib, libvirt.VIR_DOMAIN_AFFECT_LIVE)


def select(app, name):
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name").endswith(name))
    table.move_cursor(row=table.get_row_index(key))


async def open_hardware(app, pilot, name):
    await wait_for(pilot, lambda: any(c.plain.endswith(name) for c in column_cells(app.screen.table, "name")),
                   what="the guest listed")
    select(app, name)
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen", what="the detail screen")
    app.screen.show_tab("hardware")
    tab = app.screen.tab("hardware")
    await wait_for(pilot, lambda: tab.view is not None and tab.table.row_count > 0, what="the hardware read")
    return tab


def row_of(tab, ident):
    tab.table.move_cursor(row=tab.table.get_row_index(ident))


async def result(pilot, tab, before):
    await wait_for(pilot, lambda: tab.last_result is not None and tab.last_result is not before, what="a result")
    return tab.last_result


def inactive(conn, name):
    return dx.parse_hardware(conn.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))


async def test_lists_devices_and_sets_vcpus_and_memory_on_a_running_guest(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot, "test")
        assert set(tab.table.rows) == {"disk:vda", "nic:aa:bb:cc:dd:ee:ff"}
        summary = tab.query_one("#hw-summary").render().plain
        assert "now 2 / max 2" in summary and "Boot" in summary and "vda" in summary

        await pilot.press("v")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CpuMemoryScreen", what="the form")
        form = app.screen
        assert form.query_one("#live").value and form.query_one("#config").value
        form.query_one("#vcpus").value = "two"
        form.query_one("#memory").value = "lots"
        await pilot.press("ctrl+s")
        assert type(app.screen).__name__ == "CpuMemoryScreen"
        assert "whole number" in form.query_one("#vcpus-error").render().plain
        assert "size" in form.query_one("#memory-error").render().plain
        form.query_one("#vcpus").value = "3"  # above the maximum: raised for next boot, refused live
        form.query_one("#memory").value = "1GiB"
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert "maximum raised from 2 to 3" in text
        assert "vCPUs → 3 (live) failed" in text
        assert severity == "warning"
        config = inactive(fresh_default, "test")
        assert (config.vcpus, config.max_vcpus, config.memory_kib) == (3, 3, 1024 * 1024)
        live = dx.parse_hardware(fresh_default.lookupByName("test").XMLDesc(0))
        assert live.vcpus == 2 and live.memory_kib == 1024 * 1024  # memory went live (balloon)
        await wait_for(pilot, lambda: "next boot 3 / max 3" in tab.query_one("#hw-summary").render().plain)


async def test_live_refusal_offers_next_boot(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot, "test")
        await pilot.press("v")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CpuMemoryScreen")
        form = app.screen
        form.query_one("#config").value = False
        form.query_one("#vcpus").value = "4"
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, _ = await result(pilot, tab, before)
        assert "(live) failed" in text
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the offer")
        assert "next boot" in app.screen.question
        before = tab.last_result
        await pilot.press("y")
        text, severity = await result(pilot, tab, before)
        assert "set for next boot" in text and severity == "information"
        assert inactive(fresh_default, "test").vcpus == 4


async def test_overcommit_warns_but_does_not_refuse(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot, "test")
        await wait_for(pilot, lambda: app.inventory.hosts[tab.key[0]].cpus is not None, what="host facts")
        await pilot.press("v")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CpuMemoryScreen")
        form = app.screen
        form.query_one("#live").value = False
        host_mib = app.inventory.hosts[tab.key[0]].memory_kib // 1024
        form.query_one("#memory").value = f"{host_mib * 2}M"
        await wait_for(pilot, lambda: "overcommitted" in form.query_one("#overcommit").render().plain,
                       what="the warning")
        form.query_one("#memory").value = "64M"
        await wait_for(pilot, lambda: form.query_one("#overcommit").render().plain == "")
        form.query_one("#memory").value = f"{host_mib * 2}M"
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, _ = await result(pilot, tab, before)
        assert "set for next boot" in text
        assert any("overcommitted" in n.message for n in app._notifications)
        assert inactive(fresh_default, "test").memory_kib == host_mib * 2 * 1024


async def test_boot_order_moves_and_odd_name_survives(tmp_path, fresh_default):
    odd_guest(fresh_default)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot, NAME)
        assert tab.view.next_boot.boot_order() == ("disk:vda",)
        assert set(tab.table.rows) == {"disk:vda", "disk:sda", "nic:52:54:00:aa:bb:01"}
        row_of(tab, "nic:52:54:00:aa:bb:01")
        await pilot.pause()
        before = tab.last_result
        await pilot.press("plus")  # not in the order: joins at the end
        await result(pilot, tab, before)
        assert inactive(fresh_default, NAME).boot_order() == ("disk:vda", "nic:52:54:00:aa:bb:01")
        await wait_for(pilot, lambda: tab.view.next_boot.boot_order() == ("disk:vda", "nic:52:54:00:aa:bb:01"))
        row_of(tab, "nic:52:54:00:aa:bb:01")
        before = tab.last_result
        await pilot.press("plus")
        await result(pilot, tab, before)
        root = ET.fromstring(fresh_default.lookupByName(NAME).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        assert root.find("os/boot") is None
        assert root.find("devices/interface/boot").get("order") == "1"
        assert root.find("devices/disk/boot").get("order") == "2"
        await wait_for(pilot, lambda: tab.view.next_boot.boot_order() == ("nic:52:54:00:aa:bb:01", "disk:vda"))
        row_of(tab, "disk:sda")
        await pilot.pause()
        before = tab.last_result
        await pilot.press("b")
        await result(pilot, tab, before)
        assert inactive(fresh_default, NAME).boot_order() == ("nic:52:54:00:aa:bb:01", "disk:vda", "disk:sda")
        row_of(tab, "disk:vda")
        await pilot.pause()
        before = tab.last_result
        await pilot.press("b")
        await result(pilot, tab, before)
        assert inactive(fresh_default, NAME).boot_order() == ("nic:52:54:00:aa:bb:01", "disk:sda")
        assert fresh_default.lookupByName(NAME).name() == NAME
        await wait_for(pilot, lambda: tab.table.get_row("disk:sda")[3].text == "(empty)")

        # shut off: the form offers next boot only
        await pilot.press("v")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CpuMemoryScreen")
        assert app.screen.query_one("#live").disabled
        app.screen.query_one("#memory").value = "768M"
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, _ = await result(pilot, tab, before)
        assert "maximum raised from 512 MiB to 768 MiB" in text  # above the maximum: raised first
        assert inactive(fresh_default, NAME).memory_kib == 768 * 1024
        assert inactive(fresh_default, NAME).max_memory_kib == 768 * 1024


async def test_device_changes_show_libvirt_refusal_and_leave_no_volume(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    pool = fresh_default.storagePoolLookupByName("default-pool")
    volumes_before = set(pool.listVolumes())
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot, "test")
        await pilot.press("a")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "AttachDiskScreen", what="the disk form")
        form = app.screen
        form.query_one("#kind").value = "new"
        await pilot.pause()
        assert "Target: vdb" in form.query_one("#target").render().plain
        form.query_one("#bus").value = "sata"
        await pilot.pause()
        assert "Target: sda" in form.query_one("#target").render().plain
        form.query_one("#size").value = "1 parsec"
        await pilot.press("ctrl+s")
        assert "Enter a volume name" in form.query_one("#name-error").render().plain
        assert "Unknown unit" in form.query_one("#size-error").render().plain
        form.query_one("#name").value = "vd-h2 new [1].qcow2"
        form.query_one("#size").value = "64M"
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert severity == "error"
        assert "not supported" in text and "deleted again" in text
        assert set(pool.listVolumes()) == volumes_before
        # refused: the form stays, libvirt's words under it, the input as typed
        assert app.screen is form and "not supported" in form.query_one("#form-error").render().plain
        assert form.query_one("#name").value == "vd-h2 new [1].qcow2"
        await pilot.press("escape")

        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "AttachNicScreen", what="the NIC form")
        form = app.screen
        assert form.query_one("#network").value == "default"
        form.query_one("#mac").value = "01:00:00:00:00:01"
        await pilot.press("ctrl+s")
        assert "multicast" in form.query_one("#mac-error").render().plain
        form.query_one("#mac").value = "52:54:00:zz:00:01"
        await pilot.press("ctrl+s")
        assert "six hex octets" in form.query_one("#mac-error").render().plain
        form.query_one("#mac").value = ""
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert "virDomainAttachDeviceFlags" in text and severity == "error"
        assert app.screen is form and "virDomainAttachDeviceFlags" in form.query_one("#form-error").render().plain
        await pilot.press("escape")

        row_of(tab, "nic:aa:bb:cc:dd:ee:ff")
        await pilot.pause()
        await pilot.press("D")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen")
        await pilot.press("D")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        before = tab.last_result
        await pilot.press("y")
        text, severity = await result(pilot, tab, before)
        assert "virDomainDetachDeviceFlags" in text and severity == "error"
        assert len(dx.parse_hardware(fresh_default.lookupByName("test").XMLDesc(0)).nics) == 1

        # no CD-ROM drive: eject says so, insert offers to add one
        await pilot.press("e")
        await wait_for(pilot, lambda: any("no CD-ROM drive" in n.message for n in app._notifications))
        await pilot.press("i")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MediaScreen")
        app.screen.query_one("#path").value = "relative.iso"
        await pilot.press("ctrl+s")
        assert "starts with /" in app.screen.query_one("#path-error").render().plain
        app.screen.query_one("#path").value = "/srv/iso/odd [1] é.iso"
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert "virDomainAttachDeviceFlags" in text and severity == "error"


async def test_read_only_disables_every_key(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default", "--read-only")
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot, "test")
        for action, params in (("cpu_memory", ()), ("insert_media", ()), ("eject", ()), ("attach_disk", ()),
                               ("attach_nic", ()), ("detach", ()), ("boot", (-1,)), ("boot_toggle", ())):
            assert tab.check_action(action, params) is None, action
        assert "read-only" in tab.query_one("#hw-summary").render().plain
        await pilot.press("v")
        await wait_for(pilot, lambda: any("read-only" in n.message for n in app._notifications),
                       what="the read-only notice")
        assert type(app.screen).__name__ == "GuestDetailScreen"
        await pilot.press("plus")
        await worker_drained(pilot, app)
        assert inactive(fresh_default, "test").boot_order() == ("disk:vda",)
