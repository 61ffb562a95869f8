"""The Tuning tab against the test driver, on a node file of its own: two guests, and host
PCI and USB devices (`<device>` entries) shaped to trip every check of a host device
attach. The test driver pins vCPUs and the emulator live, defines XML, lists node devices
and has two NUMA cells with no hugepages reserved. Real QEMU: tests/system/test_tuning.py."""

from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET

import libvirt
import pytest

from tui.backend.xml import tuning as tx

from .conftest import cell_text, column_cells, make_app, wait_for
from .test_action_log import action_rows, logged

NAME = "tune [x] <&>'\"é"
OTHER = "gpu-owner"


def domain_xml(name: str, uuid: str, running: bool, hostdev: str | None = None) -> ET.Element:
    dom = ET.Element("domain", type="test")
    ET.SubElement(dom, "name").text = name
    ET.SubElement(dom, "uuid").text = uuid
    ET.SubElement(dom, "memory", unit="MiB").text = "512"
    ET.SubElement(dom, "vcpu").text = "2"
    os_el = ET.SubElement(dom, "os")
    ET.SubElement(os_el, "type").text = "hvm"
    devices = ET.SubElement(dom, "devices")
    unusual = ET.SubElement(devices, "watchdog", model="i6300esb", action="reset")  # must survive every edit
    unusual.tail = None
    if hostdev:
        devices.append(tx.hostdev_element(tx.HostdevRef("pci", hostdev)))
    if not running:
        ET.SubElement(dom, "{http://libvirt.org/schemas/domain/test/1.0}runstate").text = "5"
    return dom


def pci(address: str, group: int | None, members: tuple[str, ...], vendor: str, product: str) -> ET.Element:
    domain, bus, rest = address.split(":")
    slot, function = rest.split(".")
    dev = ET.Element("device")
    ET.SubElement(dev, "name").text = f"pci_{domain}_{bus}_{slot}_{function}"
    ET.SubElement(dev, "parent").text = "computer"
    cap = ET.SubElement(dev, "capability", type="pci")
    ET.SubElement(cap, "class").text = "0x030000"
    for tag, value in (("domain", domain), ("bus", bus), ("slot", slot), ("function", function)):
        ET.SubElement(cap, tag).text = str(int(value, 16))
    ET.SubElement(cap, "product", id="0x1b80").text = product
    ET.SubElement(cap, "vendor", id="0x10de").text = vendor
    if group is not None:
        el = ET.SubElement(cap, "iommuGroup", number=str(group))
        for member in members:
            d, b, r = member.split(":")
            s, f = r.split(".")
            ET.SubElement(el, "address", domain=f"0x{d}", bus=f"0x{b}", slot=f"0x{s}", function=f"0x{f}")
    return dev


def usb(bus: int, device: int) -> ET.Element:
    dev = ET.Element("device")
    ET.SubElement(dev, "name").text = f"usb_{bus}_{device}"
    ET.SubElement(dev, "parent").text = "computer"
    cap = ET.SubElement(dev, "capability", type="usb_device")
    ET.SubElement(cap, "bus").text = str(bus)
    ET.SubElement(cap, "device").text = str(device)
    ET.SubElement(cap, "product", id="0x5567").text = "Cruzer Blade"
    ET.SubElement(cap, "vendor", id="0x0781").text = "SanDisk Corp."
    return dev


@pytest.fixture
def node(tmp_path) -> str:
    ET.register_namespace("test", "http://libvirt.org/schemas/domain/test/1.0")
    root = ET.Element("node")
    root.append(domain_xml(NAME, "0c3a1c2e-0b1d-4c6e-9a01-000000000001", running=False))
    root.append(domain_xml("runner", "0c3a1c2e-0b1d-4c6e-9a01-000000000002", running=True))
    root.append(domain_xml(OTHER, "0c3a1c2e-0b1d-4c6e-9a01-000000000003", running=False, hostdev="0000:02:00.1"))
    group = ("0000:02:00.0", "0000:02:00.1")
    root.append(pci("0000:02:00.0", 13, group, "NVIDIA Corporation", "GP104 [GeForce GTX 1080]"))
    root.append(pci("0000:02:00.1", 13, group, "NVIDIA Corporation", "GP104 HD Audio"))
    root.append(pci("0000:03:00.0", None, (), "NVIDIA Corporation", "lonely"))
    root.append(usb(1, 2))
    root.append(usb(1, 3))
    path = tmp_path / "node.xml"
    path.write_text(ET.tostring(root, encoding="unicode"), encoding="utf-8")
    return f"test://{path}"


def select(app, name):
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name").endswith(name))
    table.move_cursor(row=table.get_row_index(key))


async def open_tuning(app, pilot, name):
    await wait_for(pilot, lambda: any(c.plain.endswith(name) for c in column_cells(app.screen.table, "name")),
                   what="the guest listed")
    select(app, name)
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen", what="the detail screen")
    app.screen.show_tab("tuning")
    tab = app.screen.tab("tuning")
    await wait_for(pilot, lambda: tab.view is not None, what="the tuning read")
    return tab


def definition(app, name) -> ET.Element:
    """The guest's next-boot definition, read on the app's own connection (the test driver's
    node file lives in that connection only)."""
    conn = app.fleet.connections[0]._conn
    return ET.fromstring(conn.lookupByName(name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))


def live(app, name) -> ET.Element:
    return ET.fromstring(app.fleet.connections[0]._conn.lookupByName(name).XMLDesc(0))


def summary(tab) -> str:
    return tab.query_one("#tune-summary").render().plain


async def form(app, pilot, key, name):
    await pilot.press(key)
    await wait_for(pilot, lambda: type(app.screen).__name__ == name, what=name)
    return app.screen


async def closed(app, pilot):
    await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen", what="the form closed")


async def test_pinning_live_and_next_boot_with_problems_at_the_field(tmp_path, node):
    app = make_app(tmp_path, "-c", node)
    async with app.run_test(size=(200, 50)) as pilot:
        tab = await open_tuning(app, pilot, "runner")
        assert "none (any host CPU)" in summary(tab)
        pinning = await form(app, pilot, "p", "PinningScreen")
        pinning.query_one("#vcpu-0").value = "2-40"
        pinning.query_one("#vcpu-1").value = "1,x"
        await pilot.press("ctrl+s")
        assert type(app.screen).__name__ == "PinningScreen"
        assert "this host has CPUs 0-7" in pinning.query_one("#vcpu-0-error").render().plain
        assert "'x' is not a CPU id" in pinning.query_one("#vcpu-1-error").render().plain
        pinning.query_one("#vcpu-0").value = "0-3,^2"
        pinning.query_one("#vcpu-1").value = ""
        pinning.query_one("#emulator").value = "7"
        await pilot.press("f2")  # the command lines that do the same
        await wait_for(pilot, lambda: app.screen is not pinning, what="the command sheet")
        lines = app.screen.query_one("#command-lines").render().plain
        assert "virsh -c test:///" in lines and "vcpupin runner 0 0,1,3 --live --config" in lines
        assert "vcpupin runner 1" not in lines and "emulatorpin runner 7 --live --config" in lines  # only what changed
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is pinning, what="back in the form")
        await pilot.press("ctrl+s")
        await closed(app, pilot)
        await wait_for(pilot, lambda: "vCPU 0→0-1,3" in summary(tab), what="the pin shown",)
        config = definition(app, "runner")
        assert [(p.get("vcpu"), p.get("cpuset")) for p in config.findall("cputune/vcpupin")] == [("0", "0-1,3")]
        assert config.find("cputune/emulatorpin").get("cpuset") == "7"
        assert config.find("devices/watchdog") is not None  # the rest of the definition stayed
        now = live(app, "runner")
        assert [(p.get("vcpu"), p.get("cpuset")) for p in now.findall("cputune/vcpupin")] == [("0", "0-1,3")]
        assert now.find("cputune/emulatorpin").get("cpuset") == "7"

        # Host devices go to a shut-off guest only: the key says why here.
        await pilot.press("H")
        await wait_for(pilot, lambda: "Shut the guest off first" in " ".join(
            str(n.message) for n in app._notifications), what="the reason")

        # The change is in the action log, with the command lines the sheet showed.
        records = [r for r in logged() if r["what"] == "pin vCPUs"]
        assert len(records) == 1 and not records[0]["failed"] and records[0]["outcome"] == "ok"
        assert (records[0]["kind"], records[0]["name"]) == ("guest", "runner")
        assert [shlex.split(line) for line in records[0]["command"].splitlines()] == [
            ["virsh", "-c", node, "vcpupin", "runner", "0", "0,1,3", "--live", "--config"],
            ["virsh", "-c", node, "emulatorpin", "runner", "7", "--live", "--config"]]
        await pilot.press("escape", "5")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "EventsScreen" and any(
            r["detail"] == "virtdeck: pin vCPUs — ok" for r in action_rows(app).values()), what="the Events row")


@pytest.fixture
def restore_test_guest(fresh_default):
    dom = fresh_default.lookupByName("test")
    config = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    yield fresh_default
    fresh_default.defineXML(config)


async def test_numa_and_hugepages_against_the_hosts_cells_and_pages(tmp_path, restore_test_guest):
    """test:///default has two NUMA cells and offers 2 MiB pages, none reserved."""
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        tab = await open_tuning(app, pilot, "test")
        numa = await form(app, pilot, "u", "NumaScreen")
        numa.query_one("#mode").value = "interleave"
        await pilot.pause()
        numa.query_one("#nodeset").value = "0-2"
        await pilot.press("ctrl+s")
        assert "this host has NUMA nodes 0-1" in numa.query_one("#nodeset-error").render().plain
        numa.query_one("#nodeset").value = "0-1"
        await pilot.press("ctrl+s")
        await closed(app, pilot)
        await wait_for(pilot, lambda: "next boot interleave, nodes 0-1" in summary(tab), what="the NUMA policy shown")
        memory = ET.fromstring(restore_test_guest.lookupByName("test").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
                               ).find("numatune/memory")
        assert memory.attrib == {"mode": "interleave", "nodeset": "0-1"}

        huge = await form(app, pilot, "h", "HugepagesScreen")
        huge.query_one("#size").value = "2048"
        await pilot.pause()
        problem = huge.query_one("#size-error").render().plain
        assert "needs 1024 pages of 2 MiB; the host has 0 in all" in problem
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "HugepagesScreen"
        config = ET.fromstring(restore_test_guest.lookupByName("test").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        assert config.find("memoryBacking") is None


async def test_a_share_on_a_shut_off_guest(tmp_path, node):
    app = make_app(tmp_path, "-c", node)
    async with app.run_test(size=(200, 50)) as pilot:
        tab = await open_tuning(app, pilot, NAME)
        share = await form(app, pilot, "f", "ShareScreen")
        assert "<source type='memfd'/>" in share.query_one("#share-notes").render().plain
        share.query_one("#source").value = "/srv/a b [1] <&>"
        share.query_one("#tag").value = "tag [é]"
        await pilot.press("ctrl+s")
        await closed(app, pilot)
        await wait_for(pilot, lambda: "fs:tag [é]" in tab.table.rows, what="the share listed")
        root = definition(app, NAME)
        fs = root.find("devices/filesystem")
        assert (fs.find("source").get("dir"), fs.find("target").get("dir")) == ("/srv/a b [1] <&>", "tag [é]")
        assert fs.find("driver").get("type") == "virtiofs"
        assert root.find("memoryBacking/source").get("type") == "memfd"
        assert root.find("memoryBacking/access").get("mode") == "shared"
        assert root.find("devices/watchdog") is not None

        tab.table.move_cursor(row=tab.table.get_row_index("fs:tag [é]"))
        await pilot.press("D")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: tab.table.row_count == 0, what="the share gone")
        assert definition(app, NAME).find("devices/filesystem") is None


async def pick_device(app, pilot, tab, name):
    await pilot.press("H")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "HostDevicesScreen", what="the device list")
    table = app.screen.query_one("#host-devices")
    table.move_cursor(row=table.get_row_index(name))
    await pilot.pause()
    return app.screen


async def test_host_devices_checks_and_attach(tmp_path, node):
    app = make_app(tmp_path, "-c", node)
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_tuning(app, pilot, NAME)
        dialog = await pick_device(app, pilot, tab, "pci_0000_02_00_0")
        table = dialog.query_one("#host-devices")
        assert set(table.rows) == {"pci_0000_02_00_0", "pci_0000_02_00_1", "pci_0000_03_00_0", "usb_1_2", "usb_1_3"}
        row = [cell.plain for cell in table.get_row("pci_0000_02_00_1")]
        assert row[1] == "0000:02:00.1" and "13 (+ 0000:02:00.0)" in row[3] and row[5] == OTHER
        await pilot.press("f2")  # the highlighted device's attach, as a command line
        await wait_for(pilot, lambda: app.screen is not dialog, what="the command sheet")
        assert f"attach-device {shlex.quote(NAME)} hostdev.xml --config" in app.screen.query_one("#command-lines").render().plain
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is dialog, what="back in the list")
        # The group's other member is assigned to another guest: asked first; "no" leaves it.
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the question")
        question = app.screen.query_one("#question").render().plain if app.screen.query("#question") else \
            " ".join(s.render().plain for s in app.screen.query("Static"))
        assert "0000:02:00.1 of the same IOMMU group 13 is assigned to gpu-owner" in question
        await pilot.press("n")
        await closed(app, pilot)
        assert definition(app, NAME).find("devices/hostdev") is None

        # The device another guest has: asked; yes assigns it.
        await pick_device(app, pilot, tab, "pci_0000_02_00_1")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the question")
        question = " ".join(s.render().plain for s in app.screen.query("Static"))
        assert "already assigned to gpu-owner" in question
        await pilot.press("y")
        await wait_for(pilot, lambda: "hostdev:pci:0000:02:00.1" in tab.table.rows, what="the device listed")
        hostdev = definition(app, NAME).find("devices/hostdev")
        assert hostdev.attrib == {"mode": "subsystem", "type": "pci", "managed": "yes"}
        assert hostdev.find("source/address").attrib == {"domain": "0x0000", "bus": "0x02", "slot": "0x00",
                                                          "function": "0x1"}

        # No IOMMU group: the host has no IOMMU.
        await pick_device(app, pilot, tab, "pci_0000_03_00_0")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the question")
        assert "in no IOMMU group: the host has no IOMMU" in " ".join(
            s.render().plain for s in app.screen.query("Static"))
        await pilot.press("n")
        await closed(app, pilot)

        # Two identical sticks: by ids is ambiguous (asked); by bus/device is not.
        await pick_device(app, pilot, tab, "usb_1_3")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the question")
        assert "2 USB devices have the ids 0x0781:0x5567" in " ".join(
            s.render().plain for s in app.screen.query("Static"))
        await pilot.press("n")
        await closed(app, pilot)
        await pick_device(app, pilot, tab, "usb_1_3")
        await pilot.press("b")
        await wait_for(pilot, lambda: "hostdev:usb:1:3" in tab.table.rows, what="the USB device listed")
        usb_dev = [h for h in definition(app, NAME).findall("devices/hostdev") if h.get("type") == "usb"][0]
        assert usb_dev.find("source/address").attrib == {"bus": "1", "device": "3"}
        assert definition(app, NAME).find("devices/watchdog") is not None

        # Detach: asked, then gone from the definition.
        tab.table.move_cursor(row=tab.table.get_row_index("hostdev:pci:0000:02:00.1"))
        await pilot.press("D")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: "hostdev:pci:0000:02:00.1" not in tab.table.rows, what="the device gone")
        assert [h.get("type") for h in definition(app, NAME).findall("devices/hostdev")] == ["usb"]


async def test_the_host_sheet_shows_numa_cells_hugepages_and_cpu_topology(tmp_path):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: app.screen.table.row_count == 1, what="the host listed")
        await wait_for(pilot, lambda: any(c.topology for c in app.inventory.checks.values()), what="host facts read")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HostSheet", what="the host sheet")
        lines = dict(app.screen.facts)  # what the sheet's table shows, label by label
        assert lines["NUMA cell 0"] == "2 GiB, 2 MiB free"  # the test driver's figures (bytes, as it says)
        assert lines["NUMA cell 1"] == "4 GiB, 4 MiB free"
        assert lines["Cell 1 CPUs"] == "socket 1: 8 cores, 1 thread per core, CPUs 8-15"
        assert lines["Hugepages 2 MiB"] == "0 total, free n/a; cell 0: 0, cell 1: 0"
