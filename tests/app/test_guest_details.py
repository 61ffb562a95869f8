"""The guest detail screen's overview and device tabs against the test driver,
with a guest whose name is full of markup and shell metacharacters."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

from rich.console import Console

from .conftest import cell_text, column_cells, make_app, wait_for

NAME = "vd-h1 [1] <&>'\"é"
OS_ID = "http://debian.org/debian/12"
LIBOSINFO = "http://libosinfo.org/xmlns/libvirt/domain/1.0"


def odd_guest_xml(agent: bool = True) -> str:
    dom = ET.Element("domain", type="test")
    ET.SubElement(dom, "name").text = NAME
    ET.SubElement(dom, "memory").text = "131072"
    ET.SubElement(dom, "currentMemory").text = "65536"
    ET.SubElement(dom, "vcpu").text = "2"
    metadata = ET.SubElement(dom, "metadata")
    osinfo = ET.SubElement(metadata, f"{{{LIBOSINFO}}}libosinfo")
    ET.SubElement(osinfo, f"{{{LIBOSINFO}}}os", id=OS_ID)
    ET.SubElement(ET.SubElement(dom, "os"), "type").text = "hvm"
    devices = ET.SubElement(dom, "devices")
    disk = ET.SubElement(devices, "disk", type="file", device="disk")
    ET.SubElement(disk, "driver", name="qemu", type="qcow2")
    ET.SubElement(disk, "source", file="/guest/top.qcow2")
    store = ET.SubElement(disk, "backingStore", type="file")
    ET.SubElement(store, "format", type="qcow2")
    ET.SubElement(store, "source", file="/guest/base.qcow2")
    ET.SubElement(disk, "target", dev="vda", bus="virtio")
    cdrom = ET.SubElement(devices, "disk", type="file", device="cdrom")
    ET.SubElement(cdrom, "target", dev="sda", bus="sata")
    ET.SubElement(cdrom, "readonly")
    nic = ET.SubElement(devices, "interface", type="network")
    ET.SubElement(nic, "mac", address="52:54:00:AA:BB:01")
    ET.SubElement(nic, "source", network="default")
    ET.SubElement(nic, "model", type="virtio")
    ET.SubElement(nic, "link", state="down")
    serial = ET.SubElement(devices, "serial", type="pty")
    ET.SubElement(serial, "target", port="0")
    if agent:
        channel = ET.SubElement(devices, "channel", type="unix")
        ET.SubElement(channel, "target", type="virtio", name="org.qemu.guest_agent.0")
    ET.SubElement(devices, "graphics", type="vnc", port="5907", autoport="no", listen="127.0.0.1")
    return ET.tostring(dom, encoding="unicode")


def shown(widget) -> str:
    """The text a Static (or any widget's render()) puts on screen."""
    console = Console(width=250, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()


def select(app, name):
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name").endswith(name))
    table.move_cursor(row=table.get_row_index(key))


async def open_details(app, pilot):
    await wait_for(pilot, lambda: any(c.plain.endswith(NAME) for c in column_cells(app.screen.table, "name")),
                   what="the odd guest listed")
    select(app, NAME)
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen", what="the detail screen")


async def test_overview_and_device_tabs(tmp_path, fresh_default):
    fresh_default.defineXML(odd_guest_xml()).create()
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(220, 50)) as pilot:
        await open_details(app, pilot)
        screen = app.screen
        facts = screen.query_one("#facts-text")
        await wait_for(pilot, lambda: OS_ID in shown(facts), what="the overview's XML facts")
        text = shown(facts)
        assert NAME in text and "debian 12" in text and "Firmware" in text and "BIOS" in text
        assert "test" in text.split("Domain type", 1)[1].splitlines()[0]

        await pilot.press("right_square_bracket")
        disks = screen.tab("disks")
        await wait_for(pilot, lambda: disks.data is not None, what="the disks read")
        text = shown(disks.body)
        assert "vda" in text and "/guest/top.qcow2" in text and "qcow2" in text
        assert "/guest/top.qcow2 (qcow2) → /guest/base.qcow2 (qcow2)" in text and "from the live XML" in text
        # capacity and allocation from the test driver's blockInfo: about 1 TiB each
        assert all(abs(n / (1 << 40) - 1) < 0.001 for n in fresh_default.lookupByName(NAME).blockInfo("vda")[:2])
        vda_row = next(line for line in text.splitlines() if line.startswith("vda "))
        assert re.search(r"\bqcow2\s+1 TiB\s+1 TiB\s", vda_row), vda_row
        assert "cdrom" in text and "no media" in text and "read-only" in text

        await pilot.press("right_square_bracket")
        nics = screen.tab("nics")
        await wait_for(pilot, lambda: nics.data is not None, what="the NICs read")
        text = shown(nics.body)
        assert "52:54:00:aa:bb:01" in text and "network default" in text and "down" in text
        for label in ("DHCP lease", "guest agent", "ARP"):
            assert f"{label}: " in text

        await pilot.press("right_square_bracket")
        consoles = screen.tab("consoles")
        await wait_for(pilot, lambda: consoles.data is not None, what="the consoles read")
        text = shown(consoles.body)
        assert "serial" in text and "vnc" in text and "127.0.0.1" in text and "5907" in text
        commands = [c.text for c in consoles.commands]
        quoted = "'vd-h1 [1] <&>'\"'\"'\"é'"
        assert f"virt-viewer --connect test:///default {quoted}" in commands
        assert not any("ssh" in c for c in commands)  # a local host needs no tunnel
        copied = []
        app.copy_to_clipboard = copied.append
        await pilot.press("y")
        assert copied == [commands[0]]

        await pilot.press("right_square_bracket")
        agent = screen.tab("agent")
        await wait_for(pilot, lambda: agent.data is not None, what="the agent read")
        text = shown(agent.body)
        assert "org.qemu.guest_agent.0" in text and "not answering" in text
        assert "unavailable" in text
        assert agent.check_action("freeze", ()) is None and agent.check_action("thaw", ()) is None
        await pilot.press("f")  # disabled: says why, asks nothing
        await wait_for(pilot, lambda: any("Can't freeze: the guest agent does not answer" in str(n.message)
                                          for n in app._notifications), what="why freeze is off")
        assert type(app.screen).__name__ == "GuestDetailScreen"

        await pilot.press("x")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "XmlScreen", what="the XML view")
        await wait_for(pilot, lambda: app.screen.xml is not None)
        assert "org.qemu.guest_agent.0" in app.screen.xml


async def test_agent_tab_without_a_channel(tmp_path, fresh_default):
    fresh_default.defineXML(odd_guest_xml(agent=False)).create()
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(220, 50)) as pilot:
        await open_details(app, pilot)
        app.screen.show_tab("agent")
        agent = app.screen.tab("agent")
        await wait_for(pilot, lambda: agent.data is not None, what="the agent read")
        assert agent.data.channel is None
        text = shown(agent.body)
        assert "none: add an org.qemu.guest_agent.0 channel" in text and "unavailable" in text


async def test_answering_agent_freeze_and_thaw(tmp_path, fresh_default, monkeypatch):
    """The test driver has no guestInfo (and no guest answers here), but it has fsFreeze/fsThaw:
    stand in for the agent's answer, then freeze (after y) and thaw through the driver."""
    from tui.backend.ops import guest_info
    from tui.backend.xml.domain import parse_guest_info
    from tui.actions.guest_detail import READERS

    answer = parse_guest_info({"os.pretty-name": "Debian 12", "hostname": "h [1]", "timezone.name": "UTC",
                               "timezone.offset": 0, "user.count": 1, "user.0.name": "ann", "fs.count": 1,
                               "fs.0.mountpoint": "/", "fs.0.name": "vda1", "fs.0.fstype": "ext4",
                               "fs.0.total-bytes": 4 << 30, "fs.0.used-bytes": 1 << 30})
    calls = []

    def answering(conn, uuid):
        agent = guest_info.read_agent(conn, uuid)
        calls.append(agent.error)
        return guest_info.Agent(agent.channel, answer, None)

    monkeypatch.setitem(READERS, "agent", answering)
    fresh_default.defineXML(odd_guest_xml()).create()
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(220, 50)) as pilot:
        await open_details(app, pilot)
        app.screen.show_tab("agent")
        agent = app.screen.tab("agent")
        await wait_for(pilot, lambda: agent.data is not None, what="the agent read")
        assert calls and "not supported" in calls[0]  # the real call was made and failed on this driver
        text = shown(agent.body)
        assert "answering" in text and "Debian 12" in text and "h [1]" in text and "UTC (UTC+00:00)" in text
        assert "ann" in text and "vda1" in text and "4 GiB" in text and "1 GiB (25%)" in text
        assert agent.check_action("freeze", ()) is True
        await pilot.press("f")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the freeze question")
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen")
        assert not any("frozen" in str(n.message) for n in app._notifications)
        await pilot.press("f")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: any(" frozen." in str(n.message) and "filesystem" in str(n.message) for n in app._notifications),
                       what="frozen")
        await pilot.press("t")
        await wait_for(pilot, lambda: any(" thawed." in str(n.message) and "filesystem" in str(n.message) for n in app._notifications),
                       what="thawed")
