"""Device XML builders parsed back, boot order, free target names, size and MAC checks."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import xml_chars
from tui.backend.inventory import Inventory
from tui.backend.model import ConnState, Guest, Host
from tui.backend.ops import hardware as ops
from tui.backend.xml import devices as dx

# Anything XML 1.0 can carry (no control characters, no surrogates, no U+FFFE or U+FFFF), odd characters included.
odd_text = st.text(xml_chars, min_size=1, max_size=40)
paths = odd_text.map(lambda s: "/" + s)
targets = st.from_regex(r"\A(vd|sd|hd)[a-z]{1,2}\Z")
macs = st.lists(st.integers(0, 255), min_size=5, max_size=5).map(
    lambda rest: ":".join(f"{b:02x}" for b in [0x52, *rest]))


def domain(*devices: ET.Element, boot: tuple[str, ...] = ("hd",)) -> str:
    root = ET.Element("domain", type="qemu")
    ET.SubElement(root, "name").text = "vd-h2 [x] <&>é"
    ET.SubElement(root, "memory", unit="MiB").text = "256"
    ET.SubElement(root, "currentMemory", unit="KiB").text = "196608"
    ET.SubElement(root, "vcpu", current="1").text = "2"
    os_el = ET.SubElement(root, "os")
    ET.SubElement(os_el, "type").text = "hvm"
    for dev in boot:
        ET.SubElement(os_el, "boot", dev=dev)
    holder = ET.SubElement(root, "devices")
    for device in devices:
        holder.append(device)
    return ET.tostring(root, encoding="unicode")


@settings(deadline=None)  # a busy 2-core machine is no reason to fail
@given(path=paths, target=targets, bus=st.sampled_from(dx.DISK_BUSES), fmt=st.sampled_from((None, "qcow2", "raw")),
       kind=st.sampled_from(("file", "block")))
def test_disk_round_trip(path, target, bus, fmt, kind):
    xml = dx.device_xml(dx.disk_element(target, bus, path, fmt=fmt, source_type=kind))
    disk = dx.parse_disk(ET.fromstring(xml))
    assert (disk.device, disk.target, disk.bus, disk.source, disk.source_type, disk.format, disk.readonly) == (
        "disk", target, bus, path, kind, fmt, False)


@settings(deadline=None)  # a busy 2-core machine is no reason to fail
@given(path=st.one_of(st.none(), paths), new=st.one_of(st.none(), paths))
def test_cdrom_media_changes_keep_the_drive(path, new):
    drive = dx.disk_element("sda", "sata", path, device="cdrom", fmt="raw")
    ET.SubElement(drive, "address", type="drive", controller="0", bus="0", target="0", unit="0")
    ET.SubElement(drive, "backingStore")
    changed = dx.with_media(drive, new)
    parsed = dx.parse_disk(ET.fromstring(dx.device_xml(changed)))
    assert (parsed.device, parsed.target, parsed.bus, parsed.source, parsed.readonly) == (
        "cdrom", "sda", "sata", new, True)
    assert changed.find("address").attrib == drive.find("address").attrib
    assert changed.find("backingStore") is None
    assert dx.parse_disk(drive).source == path  # the original is untouched


@settings(deadline=None)  # a busy 2-core machine is no reason to fail
@given(kind=st.sampled_from(dx.NIC_KINDS), source=odd_text, model=st.sampled_from(dx.NIC_MODELS),
       mac=st.one_of(st.none(), macs), mode=st.sampled_from(dx.DIRECT_MODES))
def test_nic_round_trip(kind, source, model, mac, mode):
    xml = dx.device_xml(dx.nic_element(kind, source, model, mac.upper() if mac else None, mode))
    nic = dx.parse_nic(ET.fromstring(xml))
    assert (nic.kind, nic.source, nic.model, nic.mac) == (kind, source, model, mac)
    assert nic.mode == (mode if kind == "direct" else None)


def test_unknown_nic_type_is_refused():
    with pytest.raises(ValueError):
        dx.nic_element("user", "x", "virtio")


@settings(deadline=None)  # a busy 2-core machine is no reason to fail
@given(disk_paths=st.lists(paths, min_size=1, max_size=4), nic_macs=st.lists(macs, max_size=3, unique=True),
       data=st.data())
def test_boot_order_round_trip(disk_paths, nic_macs, data):
    disks = [dx.disk_element(dx.target_name("vd", i), "virtio", p) for i, p in enumerate(disk_paths)]
    nics = [dx.nic_element("network", "default", "virtio", m) for m in nic_macs]
    xml = domain(*disks, *nics, boot=("network", "hd"))
    hardware = dx.parse_hardware(xml)
    idents = [d.ident for d in (*hardware.disks, *hardware.nics)]
    order = tuple(data.draw(st.permutations(idents)))[: data.draw(st.integers(0, len(idents)))]
    saved = dx.set_boot_order(xml, order)
    again = dx.parse_hardware(saved)
    assert again.boot_order() == order
    assert again.os_boot == ()
    assert again.name == "vd-h2 [x] <&>é"
    assert [d.source for d in again.disks] == disk_paths


def test_os_boot_devs_map_to_the_first_device_of_each_kind():
    xml = domain(dx.disk_element("vda", "virtio", "/a"), dx.disk_element("vdb", "virtio", "/b"),
                 dx.disk_element("sda", "sata", None, device="cdrom"),
                 dx.nic_element("network", "default", "virtio", "52:54:00:00:00:01"),
                 boot=("cdrom", "hd", "network"))
    hardware = dx.parse_hardware(xml)
    assert hardware.boot_order() == ("disk:sda", "disk:vda", "nic:52:54:00:00:00:01")
    assert (hardware.vcpus, hardware.max_vcpus, hardware.memory_kib, hardware.max_memory_kib) == (
        1, 2, 196608, 262144)


def test_moved():
    assert dx.moved(("a", "b", "c"), "c", -1) == ("a", "c", "b")
    assert dx.moved(("a", "b", "c"), "a", -1) == ("a", "b", "c")
    assert dx.moved(("a", "b", "c"), "a", 1) == ("b", "a", "c")
    assert dx.moved(("a", "b"), "x", -1) == ("a", "b", "x")


def test_free_target_names():
    assert dx.free_target("virtio", {"vda"}) == "vdb"
    assert dx.free_target("virtio", set()) == "vda"
    assert dx.free_target("sata", {"vda", "sda", "sdb"}) == "sdc"
    assert dx.free_target("scsi", {"sda"}) == "sdb"
    assert dx.free_target("ide", {"hda", "hdc"}) == "hdb"
    taken = {dx.target_name("vd", i) for i in range(26)}
    assert dx.free_target("virtio", taken) == "vdaa"
    assert dx.target_name("sd", 27) == "sdab"


@settings(deadline=None)  # a busy 2-core machine is no reason to fail
@given(st.sets(targets))
def test_free_target_is_free_and_of_the_bus_family(taken):
    for bus, prefix in (("virtio", "vd"), ("sata", "sd"), ("ide", "hd")):
        name = dx.free_target(bus, taken)
        assert name not in taken and name.startswith(prefix)


@pytest.mark.parametrize(("text", "size"), [
    ("2G", 2 * 2**30), ("512MiB", 512 * 2**20), ("1.5 GiB", 3 * 2**29), ("1000MB", 10**9), ("4096", 4096 * 2**20),
    ("64k", 64 * 1024), ("100B", 100),
])
def test_parse_size(text, size):
    assert ops.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "2X", "-1G", "0", "5iB", "1 parsec"])
def test_bad_sizes(text):
    assert ops.check_size(text) is not None


def test_mac_and_count_checks():
    assert ops.check_mac("") is None
    assert ops.check_mac("52:54:00:AB:cd:01") is None
    assert "multicast" in ops.check_mac("01:00:5e:00:00:01")
    assert ops.check_mac("52:54:00:ab:cd") is not None
    assert ops.check_count("0") is not None and ops.check_count("two") is not None
    assert ops.check_count("3") is None and ops.check_count("9", most=8) == "At most 8"


def test_scope_words():
    assert ops.scope(True, True).words == "live and next boot"
    assert ops.scope(False, True).flags == ops.CONFIG
    assert ops.scope(True, False).words == "live only"


def test_overcommit_warning():
    inv = Inventory()
    inv.hosts["c"] = Host("c", "test:///", "h", ConnState.CONNECTED, cpus=2, memory_kib=1024 * 1024)
    inv.guests[("c", "a")] = Guest("c", "a", "a", "running", vcpus=2, memory_kib=512 * 1024)
    inv.guests[("c", "b")] = Guest("c", "b", "b", "shut off", vcpus=1, memory_kib=256 * 1024)
    assert ops.overcommit_warning(inv, ("c", "a"), 8, None) is None  # 8 per 2 CPUs: at the threshold
    assert "9 vCPUs on 2 host CPUs" in ops.overcommit_warning(inv, ("c", "a"), 9, None)
    assert ops.overcommit_warning(inv, ("c", "b"), None, 512 * 1024) is None  # 512 + 512 of 1024 MiB
    assert "1 GiB of guest memory on 1 GiB (100.1%)" in ops.overcommit_warning(inv, ("c", "b"), None, 513 * 1024)


class FakeDomain:
    """A running persistent domain whose guest never lets go of a detached device."""

    def __init__(self, xml: str) -> None:
        self.live = self.config = xml
        self.calls = []

    def isActive(self):
        return True

    def isPersistent(self):
        return True

    def XMLDesc(self, flags):
        return self.config if flags & libvirt.VIR_DOMAIN_XML_INACTIVE else self.live

    def detachDeviceFlags(self, xml, flags):
        self.calls.append(flags)
        if flags == ops.CONFIG:
            root = ET.fromstring(self.config)
            root.find("devices").remove(dx.find_device(root, "nic:52:54:00:00:00:01"))
            self.config = ET.tostring(root, encoding="unicode")


class FakeConn:
    def __init__(self, dom):
        self.dom = dom

    def lookupByUUIDString(self, _uuid):
        return self.dom


def test_a_device_the_guest_keeps_is_reported_as_requested_not_detached():
    dom = FakeDomain(domain(dx.nic_element("network", "default", "virtio", "52:54:00:00:00:01")))
    outcome = ops.detach(FakeConn(dom), "u", "nic:52:54:00:00:00:01", wait=0.3)
    assert dom.calls == [ops.CONFIG, ops.LIVE]
    assert outcome.pending and outcome.severity == "warning"
    assert "detach requested; the guest has not released it yet" in outcome.text()
    assert "detached live" not in outcome.text()
