"""Guest details on a real TCG guest: a qcow2 overlay over a qcow2 base in a pool of
our own, a CD-ROM, a NIC on the isolated network, VNC and a guest agent channel
(nothing answers on it: the tiny guest has no agent). Every figure is checked
against virsh."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from tests.app.conftest import wait_for

from .conftest import Testbed, VirshError
from .test_stats import app_for

NAME = "vd-h1 [x] <&>é"
POOL = "vd-h1-pool"
POOL_DIR = Path("/var/lib/libvirt/images/virtdeck-test/vd-h1-pool")
BASE = POOL_DIR / "vd-h1-base.qcow2"
OVERLAY = POOL_DIR / "vd-h1-overlay.qcow2"


def shown(widget) -> str:
    console = Console(width=300, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()


def guest_xml(testbed: Testbed, network: str) -> str:
    root = ET.fromstring(testbed.guest_xml(NAME, network=network, disk=str(OVERLAY),
                                           serial_log=str(testbed.serial_log("vd-h1"))))
    devices = root.find("devices")
    cdrom = ET.SubElement(devices, "disk", type="file", device="cdrom")
    ET.SubElement(cdrom, "driver", name="qemu", type="raw")
    ET.SubElement(cdrom, "target", dev="hdc", bus="ide")
    ET.SubElement(cdrom, "readonly")
    channel = ET.SubElement(devices, "channel", type="unix")
    ET.SubElement(channel, "target", type="virtio", name="org.qemu.guest_agent.0")
    graphics = ET.SubElement(devices, "graphics", type="vnc", autoport="yes", listen="127.0.0.1")
    ET.SubElement(graphics, "listen", type="address", address="127.0.0.1")
    video = devices.find("video/model")
    video.set("type", "vga")
    return ET.tostring(root, encoding="unicode")


def _quiet(testbed: Testbed, *args: str) -> None:
    try:
        testbed.virsh(*args)
    except VirshError:
        pass


def _cleanup(testbed: Testbed) -> None:
    testbed.remove_domain(NAME)
    _quiet(testbed, "pool-destroy", POOL)
    _quiet(testbed, "pool-undefine", POOL)
    shutil.rmtree(POOL_DIR, ignore_errors=True)


@pytest.fixture(scope="module")
def h1_guest(testbed: Testbed, isolated_network: str):
    _cleanup(testbed)
    POOL_DIR.mkdir(parents=True)
    pool = ET.Element("pool", type="dir")
    ET.SubElement(pool, "name").text = POOL
    ET.SubElement(ET.SubElement(pool, "target"), "path").text = str(POOL_DIR)
    (testbed.state_dir / "vd-h1-pool.xml").write_text(ET.tostring(pool, encoding="unicode"))
    testbed.virsh("pool-define", str(testbed.state_dir / "vd-h1-pool.xml"))
    testbed.virsh("pool-start", POOL)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(BASE), "64M"], check=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(BASE), "-F", "qcow2", str(OVERLAY), "96M"],
                   check=True)
    testbed.virsh("pool-refresh", POOL)
    path = testbed.state_dir / "vd-h1.xml"
    path.write_text(guest_xml(testbed, isolated_network))
    testbed.virsh("define", str(path))
    yield NAME
    _cleanup(testbed)


def domblkinfo(testbed: Testbed, target: str) -> dict[str, int]:
    out = testbed.virsh("domblkinfo", NAME, target)
    return {k.strip(): int(v) for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def select(app):
    table = app.screen.table
    table.move_cursor(row=table.get_row_index(next(k for k, c in table._cells.items() if c[0].plain == NAME)))


async def open_tab(app, pilot, tab_id: str):
    if type(app.screen).__name__ != "GuestDetailScreen":
        await wait_for(pilot, lambda: any(c[0].plain == NAME for c in app.screen.table._cells.values()),
                       timeout=30, what="the guest listed")
        select(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen")
    app.screen.show_tab(tab_id)
    tab = app.screen.tab(tab_id)
    await wait_for(pilot, lambda: tab.data is not None or tab.error is not None, timeout=30, what=f"{tab_id} read")
    assert tab.error is None, tab.error
    return tab


async def test_shut_off_guest(tmp_path, testbed: Testbed, h1_guest: str):
    assert testbed.virsh("domstate", NAME).strip() == "shut off"
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(220, 50)) as pilot:
        disks = await open_tab(app, pilot, "disks")
        facts = app.screen.query_one("#facts-text")
        await wait_for(pilot, lambda: app.screen.overview is not None, what="the overview read")
        machine = ET.fromstring(testbed.virsh("dumpxml", NAME)).find("os/type").get("machine")
        text = shown(facts)
        assert machine and f"x86_64 {machine}" in text and "direct kernel boot" in text and "qemu" in text
        assert NAME in text
        vda = next(d for d in disks.data if d.device.target == "vda")
        info = domblkinfo(testbed, "vda")
        assert (vda.capacity, vda.allocation) == (info["Capacity"], info["Allocation"])
        assert vda.capacity == 96 * 1024 * 1024
        # Shut off, the XML has no chain: the pool's volume gives it.
        assert [layer.source for layer in vda.backing] == [str(BASE)]
        assert vda.backing_note == "from the storage pool"
        cdrom = next(d for d in disks.data if d.device.device == "cdrom")
        assert cdrom.capacity is None and cdrom.size_note == "no media" and cdrom.device.read_only
        text = shown(disks.body)
        assert str(OVERLAY) in text and f"{BASE} (qcow2)" in text

        nics = await open_tab(app, pilot, "nics")
        assert [s.error for s in nics.data.sources] == ["the guest is not running"] * 3

        consoles = await open_tab(app, pilot, "consoles")
        _chars, graphics = consoles.data
        assert graphics[0].kind == "vnc" and graphics[0].port is None and graphics[0].autoport

        agent = await open_tab(app, pilot, "agent")
        assert agent.data.channel is not None and agent.data.facts is None
        assert agent.data.error == "the guest is not running"
        assert agent.check_action("freeze", ()) is None


async def test_running_guest_over_ssh(tmp_path, testbed: Testbed, h1_guest: str):
    testbed.serial_log("vd-h1").unlink(missing_ok=True)
    testbed.virsh("start", NAME)
    testbed.wait_for_serial("vd-h1", testbed.login_prompt, timeout=180)
    app = app_for(tmp_path, testbed.ssh_uri, refresh="60")
    async with app.run_test(size=(220, 50)) as pilot:
        disks = await open_tab(app, pilot, "disks")
        vda = next(d for d in disks.data if d.device.target == "vda")
        info = domblkinfo(testbed, "vda")
        assert (vda.capacity, vda.allocation) == (info["Capacity"], info["Allocation"])
        live = ET.fromstring(testbed.virsh("dumpxml", NAME))
        chain = [s.get("file") for s in live.findall("devices/disk/backingStore/source")]
        assert [layer.source for layer in vda.backing] == chain == [str(BASE)]
        assert vda.backing_note == "from the live XML"

        consoles = await open_tab(app, pilot, "consoles")
        _chars, graphics = consoles.data
        display = testbed.virsh("vncdisplay", NAME).strip()  # "127.0.0.1:0"
        port = 5900 + int(display.rsplit(":", 1)[1])
        assert graphics[0].port == port and graphics[0].listen == "127.0.0.1"
        assert testbed.virsh("domdisplay", NAME).strip().endswith(f":{port - 5900}")
        commands = {c.label: c.text for c in consoles.commands}
        assert commands["vnc tunnel"] == f"ssh -N -L {port}:127.0.0.1:{port} -p {testbed.ssh_port} root@127.0.0.1"
        assert commands["viewer"].endswith(" 'vd-h1 [x] <&>é'")
        text = shown(consoles.body)
        assert str(port) in text and "/dev/pts/" in text

        nics = await open_tab(app, pilot, "nics")
        mac = ET.fromstring(testbed.virsh("dumpxml", NAME)).find("devices/interface/mac").get("address")
        assert nics.data.nics[0].mac == mac and nics.data.nics[0].link == "up"
        by_label = {s.label: s for s in nics.data.sources}
        assert by_label["DHCP lease"].error is None  # answers: no lease on an isolated net without DHCP
        assert by_label["guest agent"].error is not None  # no agent in the tiny guest
        text = shown(nics.body)
        assert "guest agent: could not answer" in text

        agent = await open_tab(app, pilot, "agent")
        virsh_state = ET.fromstring(testbed.virsh("dumpxml", NAME)).find(
            "devices/channel/target[@name='org.qemu.guest_agent.0']").get("state")
        assert agent.data.channel == virsh_state == "disconnected"
        assert agent.data.facts is None and agent.data.error
        with pytest.raises(VirshError, match="agent"):
            testbed.virsh("guestinfo", NAME)
        assert re.search(r"not answering: .*agent", shown(agent.body), re.I)
        assert agent.check_action("freeze", ()) is None and agent.check_action("thaw", ()) is None
    testbed.virsh("destroy", NAME)
