"""The Hardware tab on a real TCG guest: every change checked with virsh."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import libvirt
import pytest

from tests.app.conftest import wait_for
from tests.testbed.domain import LOGIN_PROMPT
from tui.backend.xml import devices as dx

from .conftest import ISOLATED_BRIDGE, Testbed, VirshError
from .test_stats import app_for

NAME = "vd-h2 [x] <&>é"
SERIAL = "vd-h2"
POOL = "vd-h2-pool"
POOL_DIR = Path("/var/lib/libvirt/images/virtdeck-test") / POOL
DISC = "vd-h2 disc [1].iso"
NIC_MAC = "52:54:00:d2:00:01"


def _pool_volumes(testbed: Testbed) -> set[str]:
    """Names of the pool's volumes, read over a libvirt connection of its own (virsh 9.0's
    vol-list has no --name and its columns do not survive spaces in names)."""
    conn = libvirt.open(testbed.system_uri)
    try:
        pool = conn.storagePoolLookupByName(POOL)
        pool.refresh(0)
        return set(pool.listVolumes())
    except libvirt.libvirtError:
        return set()
    finally:
        conn.close()


def _remove_pool(testbed: Testbed) -> None:
    for name in _pool_volumes(testbed):
        try:
            testbed.virsh("vol-delete", name, "--pool", POOL)
        except VirshError:
            pass
    for args in (("pool-destroy", POOL), ("pool-delete", POOL), ("pool-undefine", POOL)):
        try:
            testbed.virsh(*args)
        except VirshError:
            pass


@pytest.fixture(scope="module")
def h2_pool(testbed: Testbed) -> str:
    _remove_pool(testbed)
    pool = ET.Element("pool", type="dir")
    ET.SubElement(pool, "name").text = POOL
    ET.SubElement(ET.SubElement(pool, "target"), "path").text = str(POOL_DIR)
    path = testbed.state_dir / f"{POOL}.xml"
    path.write_text(ET.tostring(pool, encoding="unicode"))
    testbed.virsh("pool-define", str(path))
    testbed.virsh("pool-build", POOL)
    testbed.virsh("pool-start", POOL)
    testbed.virsh("vol-create-as", POOL, DISC, "1M", "--format", "raw")
    yield POOL
    _remove_pool(testbed)


@pytest.fixture(scope="module")
def h2_guest(testbed: Testbed, isolated_network: str, h2_pool: str) -> str:
    """`vd-h2 [x] <&>é`: persistent, running, 256 MiB max with 192 in use, one vCPU, an empty
    SATA CD-ROM and a NIC on the isolated network."""
    testbed.remove_domain(NAME)
    testbed.serial_log(SERIAL).unlink(missing_ok=True)
    root = ET.fromstring(testbed.guest_xml(NAME, memory_mib=256, network=isolated_network,
                                           serial_log=str(testbed.serial_log(SERIAL))))
    root.find("currentMemory").text = "192"
    root.find("devices").append(dx.disk_element("sda", "sata", None, device="cdrom"))
    path = testbed.state_dir / "vd-h2.xml"
    path.write_text(ET.tostring(root, encoding="unicode"))
    testbed.virsh("define", str(path))
    testbed.virsh("start", NAME)
    testbed.wait_for_serial(SERIAL, LOGIN_PROMPT, timeout=180)
    yield NAME
    testbed.remove_domain(NAME)


def inactive(testbed: Testbed) -> dx.Hardware:
    return dx.parse_hardware(testbed.virsh("dumpxml", NAME, "--inactive"))


def blklist(testbed: Testbed) -> dict[str, str]:
    rows = [line.split(None, 1) for line in testbed.virsh("domblklist", NAME).splitlines() if line.strip()]
    return {row[0]: row[1].strip() if len(row) > 1 else "-" for row in rows}


def iflist(testbed: Testbed) -> str:
    return testbed.virsh("domiflist", NAME)


def volumes(testbed: Testbed) -> set[str]:
    return _pool_volumes(testbed)


async def open_hardware(app, pilot):
    await wait_for(pilot, lambda: any(c[0].plain.endswith(NAME) for c in app.screen.table._cells.values()),
                   timeout=30, what="the guest listed, its odd name intact")
    table = app.screen.table
    table.move_cursor(row=table.get_row_index(next(k for k, c in table._cells.items() if c[0].plain.endswith(NAME))))
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen", what="the detail screen")
    app.screen.show_tab("hardware")
    tab = app.screen.tab("hardware")
    await wait_for(pilot, lambda: tab.view is not None and tab.table.row_count > 0, timeout=20,
                   what="the hardware read")
    return tab


async def result(pilot, tab, before, timeout=60):
    await wait_for(pilot, lambda: tab.last_result is not None and tab.last_result is not before, timeout=timeout,
                   what="the change's result")
    return tab.last_result


async def form(app, pilot, key, name):
    await pilot.press(key)
    await wait_for(pilot, lambda: type(app.screen).__name__ == name, timeout=30, what=name)
    return app.screen


async def confirm(app, pilot, key):
    await pilot.press(key)
    await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", timeout=30, what="the confirmation")
    question = app.screen.question
    await pilot.press("y")
    return question


def select(tab, ident):
    tab.table.move_cursor(row=tab.table.get_row_index(ident))


async def test_vcpus_next_boot_and_memory_live_through_the_balloon(tmp_path, testbed: Testbed, h2_guest: str):
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot)
        screen = await form(app, pilot, "v", "CpuMemoryScreen")
        screen.query_one("#live").value = False
        screen.query_one("#vcpus").value = "2"
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert "maximum raised from 1 to 2" in text and severity == "information", text
        config = inactive(testbed)
        assert (config.vcpus, config.max_vcpus) == (2, 2)
        assert "CPU(s):         1" in testbed.virsh("dominfo", NAME)  # live unchanged

        screen = await form(app, pilot, "v", "CpuMemoryScreen")
        assert screen.query_one("#live").value and screen.query_one("#config").value
        screen.query_one("#memory").value = "160MiB"
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert "set live" in text and "set for next boot" in text and severity == "information", text
        assert inactive(testbed).memory_kib == 160 * 1024
        await wait_for(pilot, lambda: "Used memory:    163840 KiB" in testbed.virsh("dominfo", NAME), timeout=30,
                       what="the balloon to reach 160 MiB")
        await wait_for(pilot, lambda: "now 160 MiB / max 256 MiB" in tab.query_one("#hw-summary").render().plain,
                       timeout=20, what="the tab showing the balloon's new size")


async def test_cdrom_insert_and_eject_a_pool_volume(tmp_path, testbed: Testbed, h2_guest: str):
    disc = testbed.virsh("vol-path", DISC, "--pool", POOL).strip()
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot)
        select(tab, "disk:sda")
        await pilot.pause()
        await wait_for(pilot, lambda: any(v == disc for _, v in tab.volume_choices()), what="the pool's volumes")
        screen = await form(app, pilot, "i", "MediaScreen")
        screen.query_one("#volume").value = disc
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert "inserted (live and next boot)" in text, text
        assert blklist(testbed)["sda"] == disc
        assert next(d for d in inactive(testbed).disks if d.target == "sda").source == disc

        await wait_for(pilot, lambda: tab.check_action("eject", ()) is True, what="eject enabled")
        before = tab.last_result
        await pilot.press("e")
        text, severity = await result(pilot, tab, before)
        assert "ejected (live and next boot)" in text, text
        assert blklist(testbed)["sda"] == "-"
        assert next(d for d in inactive(testbed).disks if d.target == "sda").source is None


async def test_new_volume_attached_then_detached_and_kept(tmp_path, testbed: Testbed, h2_guest: str):
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot)
        await wait_for(pilot, lambda: any(p.name == POOL for p in app.inventory.pools.values()), what="the pool")
        screen = await form(app, pilot, "a", "AttachDiskScreen")
        screen.query_one("#kind").value = "new"
        screen.query_one("#pool").value = POOL
        screen.query_one("#name").value = "vd-h2 data <1>.qcow2"
        screen.query_one("#size").value = "64M"
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert "attached (live and next boot)" in text and severity == "information", text
        path = testbed.virsh("vol-path", "vd-h2 data <1>.qcow2", "--pool", POOL).strip()
        assert blklist(testbed)["vda"] == path
        vda = next(d for d in inactive(testbed).disks if d.target == "vda")
        assert (vda.source, vda.format, vda.bus) == (path, "qcow2", "virtio")

        await wait_for(pilot, lambda: "disk:vda" in tab.table.rows, what="vda listed")
        select(tab, "disk:vda")
        await pilot.pause()
        before = tab.last_result
        question = await confirm(app, pilot, "D")
        assert "The volume is kept" in question
        text, severity = await result(pilot, tab, before)
        assert "removed from the next boot's definition" in text
        # The tiny guest's kernel answers ACPI hot-unplug at once: released within the wait.
        assert "detached live" in text, text
        assert all(d.target != "vda" for d in inactive(testbed).disks)
        assert "vda" not in blklist(testbed)
        assert "vd-h2 data <1>.qcow2" in volumes(testbed)

        # the kept volume again, from the picker of existing volumes: its format read from the pool
        await wait_for(pilot, lambda: any(v == path for _, v in tab.volume_choices()), what="the volume listed")
        screen = await form(app, pilot, "a", "AttachDiskScreen")
        assert screen.query_one("#kind").value == "existing"
        screen.query_one("#volume").value = path
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert "attached (live and next boot)" in text and severity == "information", text
        disk = next(d for d in inactive(testbed).disks if d.source == path)
        assert (disk.format, disk.bus) == ("qcow2", "virtio")
        assert blklist(testbed)[disk.target] == path
        await wait_for(pilot, lambda: disk.ident in tab.table.rows, what="the disk listed")
        select(tab, disk.ident)
        await pilot.pause()
        before = tab.last_result
        await confirm(app, pilot, "D")
        await result(pilot, tab, before)
        assert all(d.source != path for d in inactive(testbed).disks)


async def test_refused_attach_leaves_no_new_volume(tmp_path, testbed: Testbed, h2_guest: str):
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    before_volumes = volumes(testbed)
    before_disks = blklist(testbed)
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot)
        await wait_for(pilot, lambda: any(p.name == POOL for p in app.inventory.pools.values()), what="the pool")
        screen = await form(app, pilot, "a", "AttachDiskScreen")
        screen.query_one("#bus").value = "ide"  # QEMU cannot hot-plug IDE disks
        screen.query_one("#kind").value = "new"
        screen.query_one("#pool").value = POOL
        screen.query_one("#name").value = "vd-h2 doomed.raw"
        screen.query_one("#format").value = "raw"
        screen.query_one("#size").value = "8M"
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert severity == "error" and "deleted again" in text, text
    assert volumes(testbed) == before_volumes
    assert blklist(testbed) == before_disks
    assert all(d.bus != "ide" for d in inactive(testbed).disks)


async def test_nic_attach_and_detach_on_the_isolated_network(tmp_path, testbed: Testbed, h2_guest: str,
                                                             isolated_network: str):
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot)
        await wait_for(pilot, lambda: any(n.name == isolated_network for n in app.inventory.networks.values()),
                       timeout=30, what="the isolated network")
        screen = await form(app, pilot, "n", "AttachNicScreen")
        screen.query_one("#network").value = isolated_network
        screen.query_one("#model").value = "e1000e"
        screen.query_one("#mac").value = NIC_MAC.upper()
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert "attached (live and next boot)" in text and NIC_MAC in text, text
        assert NIC_MAC in iflist(testbed) and "e1000e" in iflist(testbed)
        nic = next(n for n in inactive(testbed).nics if n.mac == NIC_MAC)
        assert (nic.source, nic.model) == (isolated_network, "e1000e")

        await wait_for(pilot, lambda: f"nic:{NIC_MAC}" in tab.table.rows, timeout=30, what="the NIC listed")
        select(tab, f"nic:{NIC_MAC}")
        await pilot.pause()
        before = tab.last_result
        await confirm(app, pilot, "D")
        text, severity = await result(pilot, tab, before)
        assert "removed from the next boot's definition" in text
        assert "detached live" in text, text
        assert all(n.mac != NIC_MAC for n in inactive(testbed).nics)
        assert NIC_MAC not in iflist(testbed)

        # straight onto a host bridge (the isolated network's), MAC made by libvirt
        macs_before = {n.mac for n in inactive(testbed).nics}
        screen = await form(app, pilot, "n", "AttachNicScreen")
        screen.query_one("#kind").value = "bridge"
        await pilot.pause()
        assert screen.query_one("#network").disabled and not screen.query_one("#device").disabled
        screen.query_one("#device").value = ISOLATED_BRIDGE
        screen.query_one("#model").value = "rtl8139"
        before = tab.last_result
        await pilot.press("ctrl+s")
        text, severity = await result(pilot, tab, before)
        assert "attached (live and next boot)" in text and severity == "information", text
        new = next(n for n in inactive(testbed).nics if n.mac not in macs_before)
        assert (new.kind, new.source, new.model) == ("bridge", ISOLATED_BRIDGE, "rtl8139")
        assert new.mac in text and new.mac in iflist(testbed)
        await wait_for(pilot, lambda: new.ident in tab.table.rows, timeout=30, what="the bridge NIC listed")
        select(tab, new.ident)
        await pilot.pause()
        before = tab.last_result
        await confirm(app, pilot, "D")
        await result(pilot, tab, before)
        assert all(n.mac != new.mac for n in inactive(testbed).nics)


async def test_boot_order_saved_for_next_boot(tmp_path, testbed: Testbed, h2_guest: str):
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    nic = next(n for n in inactive(testbed).nics if n.mac != NIC_MAC).mac
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_hardware(app, pilot)
        for ident in ("disk:sda", f"nic:{nic}", f"nic:{nic}"):
            await wait_for(pilot, lambda: ident in tab.table.rows)
            select(tab, ident)
            await pilot.pause()
            before = tab.last_result
            await pilot.press("plus")
            await result(pilot, tab, before)
        assert inactive(testbed).boot_order() == (f"nic:{nic}", "disk:sda")
        root = ET.fromstring(testbed.virsh("dumpxml", NAME, "--inactive"))
        assert root.find("os/boot") is None
        await wait_for(pilot, lambda: tab.table.get_row(f"nic:{nic}")[4].plain == "1", what="boot 1 shown")
        # The tiny guest boots a kernel directly: the device order is kept and said to be unused.
        assert f"device order, unused while it does: NIC {nic}, CD-ROM sda" in tab.query_one("#hw-summary").render().plain
