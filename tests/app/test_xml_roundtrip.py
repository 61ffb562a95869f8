"""Every change that rewrites a guest's definition keeps what it does not own.

On the zoo (tests/zoo.py), each action that changes a definition runs against
libvirt's test driver, and the inactive XML before and after (canonical, read
with secrets) differ only in what the action owns: boot order values, <vcpu>,
<memory>, <description>, a clone's identity. The test driver refuses
attach/detach/update of devices, so for those the device XML virtdeck sends is
checked against the definition it came from. The reported case, host devices
and a USB redirection carrying boot orders 9, 6 and 7, is run through the
Hardware tab's keys as well.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt
import pytest

from tests import zoo
from tui.backend.ops import clone as clone_ops
from tui.backend.ops import guests as guest_ops
from tui.backend.ops import hardware as ops
from tui.backend.ops import xml_edit
from tui.backend.xml import devices as dx
from tui.backend.xml import rewrite

from .conftest import cell_text, wait_for

SECURE = libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE
PERSISTENT = tuple(name for name in zoo.GUESTS if name != zoo.GUEST_TRANSIENT)
METADATA = ('<metadata><libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">'
            '<libosinfo:os id="http://debian.org/debian/12"/></libosinfo:libosinfo>'
            '<app xmlns="http://vd.example/ns"><a k="é☃">1</a></app></metadata>')


@pytest.fixture
def conn():
    """A zoo of its own (each test:/// connection holds its own copy of the node file)."""
    connection = zoo.open_zoo_conn()
    yield connection
    connection.close()


def definition(conn, name: str) -> str:
    return conn.lookupByName(name).XMLDesc(SECURE)


def canonical(root: ET.Element) -> str:
    return ET.canonicalize(rewrite.serialize(root), strip_text=True)


def stripped(xml: str, *, boot: bool = False, elements: tuple[str, ...] = (), identity: bool = False,
             disks: tuple[str, ...] = ()) -> str:
    """The canonical definition without the parts an action owns."""
    root = rewrite.parse_domain(xml)
    if boot:
        os_el = root.find("os")
        for el in os_el.findall("boot") if os_el is not None else ():
            os_el.remove(el)
        for _ident, device in dx.boot_devices(root):
            for el in device.findall("boot"):
                device.remove(el)
    for path in elements:
        parent_path, _, tag = path.rpartition("/")
        parent = root.find(parent_path) if parent_path else root
        for el in parent.findall(tag) if parent is not None else ():
            parent.remove(el)
    if identity:  # what makes a clone itself
        for tag in ("name", "uuid"):
            root.remove(root.find(tag))
        for nvram in root.findall("os/nvram"):
            nvram.text = None
        for iface in root.findall("devices/interface"):
            for tag in ("mac", "target"):
                for el in iface.findall(tag):
                    iface.remove(el)
        for graphics in root.findall("devices/graphics"):
            graphics.attrib.pop("port", None)
            graphics.attrib.pop("autoport", None)
        for disk in root.findall("devices/disk"):
            target = disk.find("target")
            if target is not None and target.get("dev") in disks:
                disk.remove(disk.find("source"))
    return canonical(root)


def boots(xml: str) -> dict[str, str]:
    """Device ident -> its <boot order>, for every device that carries one."""
    root = rewrite.parse_domain(xml)
    return {ident: el.find("boot").get("order") for ident, el in dx.boot_devices(root) if el.find("boot") is not None}


def dress(conn) -> None:
    """The every-device guest with what a rewrite most easily loses: a graphics password and
    namespaced metadata (a prefix and a default namespace)."""
    root = rewrite.parse_domain(definition(conn, zoo.GUEST_EVERY_DEVICE))
    root.find("devices/graphics").set("passwd", "pa[ss]<&>'\"")
    root.insert(4, rewrite.parse(METADATA))
    conn.defineXML(rewrite.serialize(root))
    again = definition(conn, zoo.GUEST_EVERY_DEVICE)
    assert "pa[ss]" in again and "libosinfo:os" in again and 'xmlns="http://vd.example/' in again


def kept_secrets(xml: str) -> bool:
    return ("pa[ss]&lt;&amp;&gt;" in xml and '<libosinfo:os id="http://debian.org/debian/12"' in xml
            and '<app xmlns="http://vd.example/ns">' in xml)


# -- boot order ------------------------------------------------------------------


def test_moving_a_disk_keeps_the_host_devices_and_redirection_boot_orders(conn):
    dress(conn)
    name = zoo.GUEST_EVERY_DEVICE
    before = definition(conn, name)
    assert set(boots(before).values()) >= {"9", "6", "7"}
    usb, pci, redir = ("hostdev:USB host device 046d:c52b", "hostdev:PCI host device 0000:06:02.0",
                       "redirdev:USB redirection (spicevmc)")
    order = dx.parse_hardware(before).boot_order()
    assert order == ("disk:vda", "disk:sda", "nic:52:54:00:20:a0:01", pci, redir, usb)

    outcome = ops.set_boot_order(conn, conn.lookupByName(name).UUIDString(), dx.moved(order, "disk:vda", 1))
    after = definition(conn, name)
    assert boots(after) == {"disk:sda": "1", "disk:vda": "2", "nic:52:54:00:20:a0:01": "3",
                            pci: "4", redir: "5", usb: "6"}
    assert stripped(after, boot=True) == stripped(before, boot=True)
    assert kept_secrets(after)
    assert "converted" not in outcome.text()

    # Taking a disk out of the order, with a stale order that does not name the host devices:
    # they keep their entries, in their old places.
    ops.set_boot_order(conn, conn.lookupByName(name).UUIDString(), ("disk:vda", "nic:52:54:00:20:a0:01"))
    again = definition(conn, name)
    assert boots(again) == {"disk:vda": "1", "nic:52:54:00:20:a0:01": "2", pci: "3", redir: "4", usb: "5"}
    assert stripped(again, boot=True) == stripped(before, boot=True)


@pytest.mark.parametrize("name", PERSISTENT)
def test_every_boot_order_action_changes_only_boot_entries(conn, name):
    uuid = conn.lookupByName(name).UUIDString()
    before = definition(conn, name)
    hardware = dx.parse_hardware(before)
    listed = [d.ident for d in (*hardware.disks, *hardware.nics)]
    if not listed:
        with pytest.raises(ValueError):
            ops.set_boot_order(conn, uuid, ("disk:vda",))
        assert definition(conn, name) == before
        return
    others = {ident: order for ident, order in boots(before).items() if ident.split(":")[0] not in ("disk", "nic")}
    order = hardware.boot_order()
    actions = {
        "earlier": dx.moved(order, listed[-1], -1),
        "later": dx.moved(order, order[0] if order else listed[0], 1),
        "off": tuple(i for i in order if i != (order[0] if order else None)),
        "on": order if all(i in order for i in listed) else (*order, next(i for i in listed if i not in order)),
    }
    for action, new in actions.items():
        current = definition(conn, name)
        outcome = ops.set_boot_order(conn, uuid, new)
        after = definition(conn, name)
        assert stripped(after, boot=True) == stripped(before, boot=True), (name, action)
        saved = dx.parse_hardware(after).boot_order()
        if new or others:
            assert [i for i in saved if i in listed] == [i for i in new if i in listed], (name, action)
            assert rewrite.parse_domain(after).find("os/boot") is None
        else:  # no device boots: libvirt's default, and the outcome says so
            assert dx.parse_hardware(after).os_boot == ("hd",) and "first disk" in outcome.text()
        assert {i for i in saved if i not in listed} == set(others), (name, action)  # none dropped
        assert sorted(others, key=lambda i: int(others[i])) == [i for i in saved if i not in listed]
        if dx.parse_hardware(current).os_boot:
            assert "converted from <os><boot dev=...>" in outcome.text(), (name, action)
        else:
            assert "converted" not in outcome.text()


def test_the_boot_order_of_a_transient_guest_is_refused_and_nothing_changes(conn):
    dom = conn.lookupByName(zoo.GUEST_TRANSIENT)
    before = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE)
    with pytest.raises(ValueError, match="transient"):
        ops.set_boot_order(conn, dom.UUIDString(), ("disk:vda",))
    assert dom.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE) == before and not dom.isPersistent()


# -- vCPUs, memory, rename ----------------------------------------------------------------


@pytest.mark.parametrize("name", PERSISTENT)
def test_vcpus_and_memory_change_only_their_elements(conn, name):
    uuid = conn.lookupByName(name).UUIDString()
    before = definition(conn, name)
    hardware = dx.parse_hardware(before)
    outcome = ops.set_vcpus(conn, uuid, hardware.max_vcpus + 1, live=False, config=True)
    assert not outcome.failed, outcome.text()
    after = definition(conn, name)
    assert dx.parse_hardware(after).vcpus == hardware.max_vcpus + 1
    assert stripped(after, elements=("vcpu",)) == stripped(before, elements=("vcpu",))

    outcome = ops.set_memory(conn, uuid, hardware.max_memory_kib + 1024, live=False, config=True)
    assert not outcome.failed, outcome.text()
    memory = definition(conn, name)
    assert dx.parse_hardware(memory).memory_kib == hardware.max_memory_kib + 1024
    owned = ("memory", "currentMemory")
    assert stripped(memory, elements=owned) == stripped(after, elements=owned)


@pytest.mark.parametrize("name", (zoo.GUEST_BACKED, zoo.GUEST_NET_DISKS, zoo.GUEST_SAVED))
def test_rename_changes_only_the_name(conn, name):
    dom = conn.lookupByName(name)
    before = definition(conn, name)
    guest_ops.rename(conn, dom.UUIDString(), f"{name} [renamed]<&>")
    after = conn.lookupByUUIDString(dom.UUIDString()).XMLDesc(SECURE)
    assert rewrite.parse_domain(after).findtext("name") == f"{name} [renamed]<&>"
    assert stripped(after, elements=("name",)) == stripped(before, elements=("name",))


# -- clone ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", (zoo.GUEST_EVERY_DEVICE, zoo.GUEST_KERNEL_BOOT, zoo.GUEST_BACKED))
def test_a_clone_differs_only_in_what_makes_it_itself(conn, name):
    if name == zoo.GUEST_EVERY_DEVICE:
        dress(conn)
        conn.lookupByName(name).destroy()  # a running guest is not cloned
        # The zoo's vg0 pool is full: its 16 GiB volume, vdc, is shared by the clone, not copied.
        root = rewrite.parse_domain(definition(conn, name))
        ET.SubElement(dx.find_device(root, "disk:vdc"), "shareable")
        conn.defineXML(rewrite.serialize(root))
    before = definition(conn, name)
    uuid = clone_ops.clone(conn, conn.lookupByName(name).UUIDString(), f"{name} copy", lambda *_: None)
    after = conn.lookupByUUIDString(uuid).XMLDesc(SECURE)
    copied = tuple(copy.target for copy in clone_ops.plan(conn, conn.lookupByName(name).UUIDString(), "x").copies)
    assert copied
    assert stripped(after, identity=True, disks=copied) == stripped(before, identity=True, disks=copied)
    old, new = rewrite.parse_domain(before), rewrite.parse_domain(after)
    assert new.findtext("name") == f"{name} copy"
    for target in copied:
        assert dx.find_device(new, f"disk:{target}").find("source").attrib != \
            dx.find_device(old, f"disk:{target}").find("source").attrib
    if name == zoo.GUEST_EVERY_DEVICE:
        assert kept_secrets(after)
        nvram = new.find("os/nvram")
        assert nvram.get("template") == "/usr/share/OVMF/OVMF_VARS.ms.fd"  # the template stays
        assert (nvram.text or "").strip() != "/var/lib/libvirt/images/a-b_VARS.fd"  # a file of its own


# -- XML edit ------------------------------------------------------------------------------


def described(xml: str, text: str) -> str:
    root = rewrite.parse_domain(xml)
    description = root.find("description")
    if description is None:
        description = ET.Element("description")
        root.insert(2, description)
    description.text = text
    return rewrite.serialize(root)


@pytest.mark.parametrize("name", PERSISTENT)
def test_an_xml_edit_changes_only_what_was_edited(conn, name):
    if name == zoo.GUEST_EVERY_DEVICE:
        dress(conn)
    uuid = conn.lookupByName(name).UUIDString()
    before = xml_edit.read_xml(conn, "guest", uuid)
    assert before == definition(conn, name)  # with its secrets
    edited = described(before, "edited [b]<&>")
    words = xml_edit.define_edit(conn, "guest", uuid, before, edited)
    after = definition(conn, name)
    assert rewrite.parse_domain(after).findtext("description") == "edited [b]<&>"
    assert stripped(after, elements=("description",)) == stripped(before, elements=("description",))
    assert "saved" in words
    if name == zoo.GUEST_EVERY_DEVICE:
        assert kept_secrets(after)


def test_a_transient_guests_edit_asks_then_persists_or_restarts(conn):
    name = zoo.GUEST_TRANSIENT
    uuid = conn.lookupByName(name).UUIDString()
    scope = xml_edit.edit_scope(conn, "guest", uuid)
    assert scope.transient and "transient" in scope.header and "persistent definition" not in scope.header
    assert [how for _key, how, _words in scope.choices] == [xml_edit.PERSIST, xml_edit.RESTART]
    before = xml_edit.read_xml(conn, "guest", uuid)

    with pytest.raises(xml_edit.TransientEdit):  # no choice made: nothing happens
        xml_edit.define_edit(conn, "guest", uuid, before, described(before, "x"))
    assert not conn.lookupByName(name).isPersistent()

    # Restart from an edit libvirt refuses: started again as it was, and said so.
    broken = before.replace("<memory unit='KiB'>", "<memory unit='parsecs'>")
    with pytest.raises(RuntimeError, match="started again as it was"):
        xml_edit.define_edit(conn, "guest", uuid, before, broken, xml_edit.RESTART)
    dom = conn.lookupByName(name)
    assert dom.isActive() and not dom.isPersistent()
    assert stripped(dom.XMLDesc(SECURE)) == stripped(before)

    words = xml_edit.define_edit(conn, "guest", uuid, before, described(before, "restarted"), xml_edit.RESTART)
    dom = conn.lookupByName(name)
    assert "transient" in words and dom.isActive() and not dom.isPersistent()
    restarted = dom.XMLDesc(SECURE)
    assert rewrite.parse_domain(restarted).findtext("description") == "restarted"
    assert stripped(restarted, elements=("description",)) == stripped(before, elements=("description",))

    again = xml_edit.read_xml(conn, "guest", uuid)
    words = xml_edit.define_edit(conn, "guest", uuid, again, described(again, "kept"), xml_edit.PERSIST)
    dom = conn.lookupByName(name)
    assert "persistent" in words and dom.isActive() and dom.isPersistent()
    assert rewrite.parse_domain(dom.XMLDesc(SECURE)).findtext("description") == "kept"
    assert not xml_edit.edit_scope(conn, "guest", uuid).transient


# -- device changes the test driver refuses: what virtdeck sends ------------------------------


@pytest.mark.parametrize("name", (zoo.GUEST_EVERY_DEVICE, zoo.GUEST_NET_DISKS, zoo.GUEST_BACKED))
def test_media_changes_send_the_drive_as_defined_but_its_source(conn, name):
    """A file, a network and an empty CD-ROM."""
    root = rewrite.parse_domain(definition(conn, name))
    drives = [disk for disk in root.findall("devices/disk") if disk.get("device") == "cdrom"]
    assert drives
    for drive in drives:
        target = drive.find("target").get("dev")
        assert dx.find_device(root, f"disk:{target}") is drive  # detach sends the element as defined
        for path in ("/isos/new [1]<&>.iso", None):
            sent = ET.fromstring(dx.device_xml(dx.with_media(drive, path)))
            assert dx.parse_disk(sent).source == path
            for el in (sent, drive):
                for tag in ("source", "backingStore"):
                    for child in el.findall(tag):
                        el.remove(child)
            assert canonical(sent).replace(" type=\"file\"", "", 1) == \
                canonical(drive).replace(f" type=\"{drive.get('type')}\"", "", 1)


# -- the Hardware tab's keys on the reported guest -------------------------------------------


async def test_the_hardware_tab_moves_a_disk_and_keeps_the_boot_orders_9_6_7(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=(220, 60)) as pilot:
        conn_id = await zoo.open_zoo(pilot)
        connection = app.fleet.get(conn_id)
        table = app.screen.table
        key = next(k for k in table._cells if cell_text(table, k, "name").endswith(zoo.GUEST_EVERY_DEVICE))
        table.move_cursor(row=table.get_row_index(key))
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen", what="the detail screen")
        app.screen.show_tab("hardware")
        tab = app.screen.tab("hardware")
        await wait_for(pilot, lambda: tab.view is not None and tab.table.row_count > 0, what="the hardware read")
        assert "PCI host device 0000:06:02.0" in str(tab.query_one("#hw-summary").render())

        read: list = []
        connection.call(lambda c: c.lookupByName(zoo.GUEST_EVERY_DEVICE).XMLDesc(SECURE),
                        lambda result, error: read.append((result, error)), action="read the definition")
        await wait_for(pilot, lambda: bool(read), what="the definition before")
        before = read.pop()[0]

        tab.table.move_cursor(row=tab.table.get_row_index("disk:vda"))
        await pilot.pause()
        last = tab.last_result
        await pilot.press("minus")  # boot later
        await wait_for(pilot, lambda: tab.last_result is not None and tab.last_result is not last, what="a result")
        text, _severity = tab.last_result
        assert "sda, vda, 52:54:00:20:a0:01, PCI host device 0000:06:02.0" in text

        connection.call(lambda c: c.lookupByName(zoo.GUEST_EVERY_DEVICE).XMLDesc(SECURE),
                        lambda result, error: read.append((result, error)), action="read the definition")
        await wait_for(pilot, lambda: bool(read), what="the definition after")
        after = read.pop()[0]
        assert boots(after) == {"disk:sda": "1", "disk:vda": "2", "nic:52:54:00:20:a0:01": "3",
                                "hostdev:PCI host device 0000:06:02.0": "4",
                                "redirdev:USB redirection (spicevmc)": "5",
                                "hostdev:USB host device 046d:c52b": "6"}
        assert stripped(after, boot=True) == stripped(before, boot=True)
