"""Unit tests for the pure XML parsers in tui.backend.xml."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.backend.xml.domain import DomainInfo, parse_domain
from tui.backend.xml.network import NetworkInfo, parse_network
from tui.backend.xml.pool import PoolInfo, parse_pool
from tui.backend.xml.volume import VolumeInfo, parse_volume

DEMO_NODE = Path(__file__).resolve().parents[2] / "tui" / "demo" / "node.xml"


def _xml(el: ET.Element) -> str:
    return ET.tostring(el, encoding="unicode")


# --------------------------------------------------------------------------
# networks


NETWORK_CASES = {
    "isolated": (
        "<network><name>iso</name><bridge name='virbr2'/>"
        "<ip address='172.16.0.1' netmask='255.255.255.0'/></network>",
        NetworkInfo("isolated", "virbr2", "172.16.0.0/24", None, None),
    ),
    "nat": (
        "<network><name>default</name><forward mode='nat'/>"
        "<bridge name='virbr0' stp='on' delay='0'/>"
        "<ip address='192.168.122.1' netmask='255.255.255.0'><dhcp>"
        "<range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip></network>",
        NetworkInfo("nat", "virbr0", "192.168.122.0/24", "192.168.122.2 - 192.168.122.254", None),
    ),
    "nat-without-mode": (
        "<network><name>n</name><forward/><bridge name='virbr9'/></network>",
        NetworkInfo("nat", "virbr9", None, None, None),
    ),
    "nat-with-dev": (
        "<network><name>n</name><forward mode='nat' dev='eth0'/><bridge name='virbr9'/></network>",
        NetworkInfo("nat", "virbr9", None, None, "eth0"),
    ),
    "routed": (
        "<network><name>r</name><forward mode='route'/><bridge name='virbr1'/>"
        "<ip address='10.10.0.1' prefix='16'/></network>",
        NetworkInfo("routed", "virbr1", "10.10.0.0/16", None, None),
    ),
    "open": (
        "<network><name>o</name><forward mode='open'/><bridge name='virbr3'/>"
        "<ip address='10.20.0.1' prefix='24'/></network>",
        NetworkInfo("open", "virbr3", "10.20.0.0/24", None, None),
    ),
    "bridge": (
        "<network><name>b</name><forward mode='bridge'/><bridge name='br0'/></network>",
        NetworkInfo("bridge", "br0", None, None, None),
    ),
    "macvtap-interfaces": (
        "<network><name>m</name><forward mode='bridge'>"
        "<interface dev='eth0'/><interface dev='eth1'/></forward></network>",
        NetworkInfo("macvtap", None, None, None, "eth0,eth1"),
    ),
    "macvtap-as-libvirt-writes-it": (
        # libvirt repeats the first interface as forward@dev
        "<network><name>m</name><forward dev='eth0' mode='bridge'>"
        "<interface dev='eth0'/></forward></network>",
        NetworkInfo("macvtap", None, None, None, "eth0"),
    ),
    "macvtap-forward-dev-only": (
        "<network><name>m</name><forward mode='bridge' dev='eth3'/></network>",
        NetworkInfo("macvtap", None, None, None, "eth3"),
    ),
    "private": (
        "<network><name>p</name><forward mode='private'><interface dev='eth1'/></forward></network>",
        NetworkInfo("macvtap", None, None, None, "eth1"),
    ),
    "vepa": (
        "<network><name>v</name><forward mode='vepa'><interface dev='eth2'/>"
        "<interface dev='eth3'/></forward></network>",
        NetworkInfo("macvtap", None, None, None, "eth2,eth3"),
    ),
    "passthrough": (
        "<network><name>pt</name><forward mode='passthrough'><interface dev='eth4'/></forward></network>",
        NetworkInfo("macvtap", None, None, None, "eth4"),
    ),
    "hostdev": (
        "<network><name>h</name><forward mode='hostdev' managed='yes'>"
        "<address type='pci' domain='0' bus='4' slot='0' function='1'/></forward></network>",
        NetworkInfo("hostdev", None, None, None, None),
    ),
    "hostdev-pf": (
        "<network><name>h</name><forward mode='hostdev' managed='yes'><pf dev='enp3s0'/></forward></network>",
        NetworkInfo("hostdev", None, None, None, "enp3s0"),
    ),
    "unknown-mode-as-is": (
        "<network><name>x</name><forward mode='futuristic'/><bridge name='virbr7'/></network>",
        NetworkInfo("futuristic", "virbr7", None, None, None),
    ),
}


@pytest.mark.parametrize("case", sorted(NETWORK_CASES))
def test_network_modes(case: str) -> None:
    xml, expected = NETWORK_CASES[case]
    assert parse_network(xml) == expected


def _demo_elements(tag: str) -> dict[str, ET.Element]:
    root = ET.parse(DEMO_NODE).getroot()
    return {el.findtext("name"): el for el in root.findall(tag)}


def test_demo_node_networks() -> None:
    nets = {name: parse_network(_xml(el)) for name, el in _demo_elements("network").items()}
    assert nets["default"] == NetworkInfo(
        "nat", "virbr0", "192.168.122.0/24", "192.168.122.2 - 192.168.122.254", None
    )
    assert nets["dmz"].mode == "routed"
    assert nets["dmz"].ipv4_subnet == "10.10.0.0/24"
    assert nets["storage-backend"].mode == "isolated"
    assert nets["storage-backend"].ipv4_subnet == "172.16.50.0/24"
    assert nets["lab-open"].mode == "open"
    assert nets["host-bridge"] == NetworkInfo("bridge", "br0", None, None, None)
    assert nets["direct-eth1"] == NetworkInfo("macvtap", None, None, None, "eth1,eth2")


@pytest.mark.parametrize(
    ("attrs", "subnet"),
    [
        ({"address": "192.168.122.1", "netmask": "255.255.255.0"}, "192.168.122.0/24"),
        ({"address": "10.1.2.3", "netmask": "255.255.240.0"}, "10.1.0.0/20"),
        ({"address": "192.168.122.1", "prefix": "24"}, "192.168.122.0/24"),
        ({"address": "172.16.5.9", "prefix": "12"}, "172.16.0.0/12"),
        ({"address": "10.0.0.1", "prefix": "32"}, "10.0.0.1/32"),
        ({"address": "10.0.0.1", "family": "ipv4", "prefix": "8"}, "10.0.0.0/8"),
        # neither netmask nor prefix: libvirt falls back to the classful mask
        ({"address": "10.9.8.7"}, "10.0.0.0/8"),
        ({"address": "172.20.1.1"}, "172.20.0.0/16"),
        ({"address": "192.168.7.1"}, "192.168.7.0/24"),
        ({"address": "not-an-ip", "prefix": "24"}, None),
    ],
)
def test_ipv4_subnet(attrs: dict[str, str], subnet: str | None) -> None:
    net = ET.Element("network")
    ET.SubElement(net, "name").text = "n"
    ET.SubElement(net, "ip", attrs)
    assert parse_network(_xml(net)).ipv4_subnet == subnet


def test_ipv4_subnet_skips_ipv6() -> None:
    xml = (
        "<network><name>dual</name><bridge name='virbr5'/>"
        "<ip family='ipv6' address='2001:db8::1' prefix='64'>"
        "<dhcp><range start='2001:db8::100' end='2001:db8::1ff'/></dhcp></ip>"
        "<ip address='192.168.50.1' netmask='255.255.255.0'>"
        "<dhcp><range start='192.168.50.10' end='192.168.50.20'/></dhcp></ip>"
        "</network>"
    )
    info = parse_network(xml)
    assert info.ipv4_subnet == "192.168.50.0/24"
    assert info.dhcp_range == "192.168.50.10 - 192.168.50.20"


def test_ipv6_only_network() -> None:
    xml = (
        "<network><name>v6</name><bridge name='virbr6'/>"
        "<ip family='ipv6' address='2001:db8::1' prefix='64'>"
        "<dhcp><range start='2001:db8::100' end='2001:db8::1ff'/></dhcp></ip></network>"
    )
    info = parse_network(xml)
    assert info.ipv4_subnet is None
    assert info.dhcp_range == "2001:db8::100 - 2001:db8::1ff"


def test_dhcp_range_first_range() -> None:
    xml = (
        "<network><name>n</name><ip address='10.0.0.1' prefix='24'><dhcp>"
        "<range start='10.0.0.10' end='10.0.0.19'/><range start='10.0.0.50' end='10.0.0.59'/>"
        "</dhcp></ip></network>"
    )
    assert parse_network(xml).dhcp_range == "10.0.0.10 - 10.0.0.19"


def test_no_ip_no_dhcp() -> None:
    info = parse_network("<network><name>n</name><bridge name='virbr0'/></network>")
    assert info.ipv4_subnet is None
    assert info.dhcp_range is None


# --------------------------------------------------------------------------
# malformed input


@pytest.mark.parametrize("parse", [parse_network, parse_pool, parse_volume, parse_domain])
@pytest.mark.parametrize("xml", ["", "<network>", "not xml at all", "<a><b></a>"])
def test_malformed_xml_raises_value_error(parse, xml: str) -> None:
    with pytest.raises(ValueError, match="does not parse"):
        parse(xml)


@pytest.mark.parametrize(
    ("parse", "wrong"),
    [
        (parse_network, "<pool type='dir'/>"),
        (parse_pool, "<network/>"),
        (parse_volume, "<domain/>"),
        (parse_domain, "<volume/>"),
    ],
)
def test_wrong_root_raises_value_error(parse, wrong: str) -> None:
    with pytest.raises(ValueError, match="root element"):
        parse(wrong)


def test_domain_without_name_raises() -> None:
    with pytest.raises(ValueError, match="name"):
        parse_domain("<domain type='kvm'><memory>1024</memory></domain>")


def test_pool_without_type_raises() -> None:
    with pytest.raises(ValueError, match="type"):
        parse_pool("<pool><name>p</name></pool>")


def test_bad_vcpu_raises() -> None:
    with pytest.raises(ValueError, match="vcpu"):
        parse_domain("<domain type='kvm'><name>x</name><vcpu>many</vcpu></domain>")


def test_bad_memory_unit_raises() -> None:
    with pytest.raises(ValueError, match="unit"):
        parse_domain("<domain type='kvm'><name>x</name><memory unit='furlongs'>1</memory></domain>")


# --------------------------------------------------------------------------
# pools and volumes


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (
            "<pool type='dir'><name>default</name><target><path>/var/lib/libvirt/images</path>"
            "</target></pool>",
            PoolInfo("dir", "/var/lib/libvirt/images", None),
        ),
        (
            "<pool type='netfs'><name>nfs</name><source><host name='nas.example.com'/>"
            "<dir path='/export/vms'/><format type='nfs'/></source>"
            "<target><path>/mnt/nfs</path></target></pool>",
            PoolInfo("netfs", "/mnt/nfs", "nas.example.com:/export/vms"),
        ),
        (
            "<pool type='logical'><name>vg</name><source><device path='/dev/sdb1'/>"
            "<name>vg_guests</name><format type='lvm2'/></source>"
            "<target><path>/dev/vg_guests</path></target></pool>",
            PoolInfo("logical", "/dev/vg_guests", "vg_guests"),
        ),
        (
            "<pool type='logical'><name>vg</name><source><device path='/dev/sdb1'/>"
            "<device path='/dev/sdc1'/></source></pool>",
            PoolInfo("logical", None, "/dev/sdb1, /dev/sdc1"),
        ),
        (
            "<pool type='disk'><name>d</name><source><device path='/dev/sdd'/>"
            "<format type='gpt'/></source><target><path>/dev</path></target></pool>",
            PoolInfo("disk", "/dev", "/dev/sdd"),
        ),
        (
            "<pool type='rbd'><name>ceph</name><source><name>rbdpool</name>"
            "<host name='mon1.example.com' port='6789'/></source></pool>",
            PoolInfo("rbd", None, "rbdpool"),
        ),
        (
            "<pool type='iscsi'><name>i</name><source><host name='san.example.com'/>"
            "<device path='iqn.2013-06.com.example:iscsi-pool'/></source>"
            "<target><path>/dev/disk/by-path</path></target></pool>",
            PoolInfo("iscsi", "/dev/disk/by-path", "san.example.com iqn.2013-06.com.example:iscsi-pool"),
        ),
        (
            "<pool type='zfs'><name>z</name><source><name>tank</name></source></pool>",
            PoolInfo("zfs", None, None),
        ),
    ],
)
def test_parse_pool(xml: str, expected: PoolInfo) -> None:
    assert parse_pool(xml) == expected


def test_demo_node_pools() -> None:
    pools = {name: parse_pool(_xml(el)) for name, el in _demo_elements("pool").items()}
    assert pools == {
        "default": PoolInfo("dir", "/var/lib/libvirt/images", None),
        "iso": PoolInfo("dir", "/var/lib/libvirt/iso", None),
    }


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (
            "<volume type='file'><name>web.qcow2</name><capacity unit='bytes'>21474836480</capacity>"
            "<target><path>/var/lib/libvirt/images/web.qcow2</path><format type='qcow2'/></target>"
            "<backingStore><path>/var/lib/libvirt/images/base.qcow2</path>"
            "<format type='qcow2'/></backingStore></volume>",
            VolumeInfo("qcow2", "/var/lib/libvirt/images/web.qcow2", "/var/lib/libvirt/images/base.qcow2"),
        ),
        (
            "<volume type='file'><name>d.raw</name><target><path>/images/d.raw</path>"
            "<format type='raw'/></target></volume>",
            VolumeInfo("raw", "/images/d.raw", None),
        ),
        (
            "<volume type='block'><name>lv</name><target><path>/dev/vg/lv</path></target></volume>",
            VolumeInfo(None, "/dev/vg/lv", None),
        ),
        ("<volume><name>bare</name></volume>", VolumeInfo(None, None, None)),
    ],
)
def test_parse_volume(xml: str, expected: VolumeInfo) -> None:
    assert parse_volume(xml) == expected


def test_demo_node_volumes() -> None:
    pool = _demo_elements("pool")["default"]
    vols = {v.findtext("name"): parse_volume(_xml(v)) for v in pool.findall("volume")}
    # paths are filled in by libvirt, not written in the node file
    assert vols["web-02.qcow2"] == VolumeInfo(
        "qcow2", None, "/var/lib/libvirt/images/debian-12-base.qcow2"
    )
    assert vols["db-primary-data.raw"].format == "raw"


# --------------------------------------------------------------------------
# domains

# Bytes per unit, written out independently of the parser's own table.
UNIT_BYTES = {
    None: 1024,
    "b": 1,
    "bytes": 1,
    "k": 1024,
    "KiB": 1024,
    "KB": 1000,
    "M": 1024**2,
    "MiB": 1024**2,
    "MB": 1000**2,
    "G": 1024**3,
    "GiB": 1024**3,
    "GB": 1000**3,
    "T": 1024**4,
    "TiB": 1024**4,
    "TB": 1000**4,
}


def _domain(name: str = "vm") -> ET.Element:
    dom = ET.Element("domain", type="kvm")
    ET.SubElement(dom, "name").text = name
    return dom


def _expected_kib(value: int, unit: str | None) -> int:
    total = value * UNIT_BYTES[unit]
    return total // 1024 + (1 if total % 1024 else 0)


@given(
    unit=st.sampled_from(sorted(UNIT_BYTES, key=str)),
    value=st.integers(min_value=0, max_value=2**40),
    current_unit=st.sampled_from(sorted(UNIT_BYTES, key=str)),
    current_value=st.integers(min_value=0, max_value=2**40),
)
def test_memory_units(unit: str | None, value: int, current_unit: str | None, current_value: int) -> None:
    dom = _domain()
    mem = ET.SubElement(dom, "memory")
    mem.text = str(value)
    if unit is not None:
        mem.set("unit", unit)
    cur = ET.SubElement(dom, "currentMemory")
    cur.text = str(current_value)
    if current_unit is not None:
        cur.set("unit", current_unit)
    info = parse_domain(_xml(dom))
    assert info.max_memory_kib == _expected_kib(value, unit)
    assert info.memory_kib == _expected_kib(current_value, current_unit)


@pytest.mark.parametrize(
    ("unit", "value", "kib"),
    [
        ("KiB", "2097152", 2097152),
        ("MiB", "512", 524288),
        ("GiB", "16", 16777216),
        ("GB", "1", 976563),  # 10**9 bytes, rounded up to whole KiB
        ("b", "1", 1),
        ("bytes", "2048", 2),
        ("mib", "1", 1024),  # libvirt reads units case-insensitively
        ("TiB", "1", 1024**3),
    ],
)
def test_memory_unit_examples(unit: str, value: str, kib: int) -> None:
    xml = f"<domain type='kvm'><name>x</name><memory unit='{unit}'>{value}</memory></domain>"
    info = parse_domain(xml)
    assert info.memory_kib == info.max_memory_kib == kib


def test_memory_only_current_falls_back() -> None:
    info = parse_domain("<domain type='kvm'><name>x</name><memory unit='MiB'>1024</memory></domain>")
    assert info.memory_kib == info.max_memory_kib == 1048576
    info = parse_domain("<domain type='kvm'><name>x</name></domain>")
    assert info.memory_kib == info.max_memory_kib == 0


def test_parse_domain_full() -> None:
    xml = (
        "<domain type='kvm' id='3'>"
        "<name>db-primary</name><uuid>5f3a1c2e-0b1d-4c6e-9a01-000000000003</uuid>"
        "<title>PostgreSQL</title><description>line one\nline two  </description>"
        "<memory unit='KiB'>16777216</memory><currentMemory unit='KiB'>8388608</currentMemory>"
        "<vcpu placement='static' current='2'>8</vcpu>"
        "<os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>"
        "</domain>"
    )
    assert parse_domain(xml) == DomainInfo(
        name="db-primary",
        uuid="5f3a1c2e-0b1d-4c6e-9a01-000000000003",
        domain_type="kvm",
        vcpus=2,
        memory_kib=8388608,
        max_memory_kib=16777216,
        os_type="hvm",
        arch="x86_64",
        machine="pc-q35-7.2",
        title="PostgreSQL",
        description="line one\nline two  ",
    )


def test_parse_domain_minimal() -> None:
    info = parse_domain("<domain type='qemu'><name>tiny</name><vcpu>3</vcpu></domain>")
    assert info.vcpus == 3
    assert info.uuid == ""
    assert info.os_type is info.arch is info.machine is None
    assert info.title is info.description is None
    assert parse_domain("<domain type='qemu'><name>t</name></domain>").vcpus == 1


def test_demo_node_domains() -> None:
    doms = {name: parse_domain(_xml(el)) for name, el in _demo_elements("domain").items()}
    assert doms["db-primary"].vcpus == 8
    assert doms["db-primary"].memory_kib == 16 * 1024 * 1024
    assert doms["mail-relay"].memory_kib == 512 * 1024
    assert doms["ci-runner-01"].vcpus == 4
    assert doms["ci-runner-01"].max_memory_kib == 6 * 1024 * 1024
    odd = [d for d in doms.values() if "<&>" in d.name]
    assert len(odd) == 1
    assert odd[0].name == "lab [bold] [test] <&> 'q' \"é\" ü"


def _xml10_char(c: str) -> bool:
    cp = ord(c)
    return (
        cp in (0x9, 0xA, 0xD)
        or 0x20 <= cp <= 0xD7FF
        or 0xE000 <= cp <= 0xFFFD
        or 0x10000 <= cp <= 0x10FFFF
    )


# Any text XML 1.0 can carry, except U+000D: ElementTree writes a carriage
# return in element text unescaped and every XML parser turns it into
# U+000A, so no ElementTree text round-trips it (attributes are fine).
XML_TEXT = st.text(
    alphabet=st.characters(codec="utf-8").filter(lambda c: _xml10_char(c) and c != "\r"),
    min_size=1,
)


@given(name=XML_TEXT, title=XML_TEXT)
def test_name_round_trip(name: str, title: str) -> None:
    dom = _domain(name)
    ET.SubElement(dom, "title").text = title
    ET.SubElement(dom, "memory", unit="MiB").text = "512"
    info = parse_domain(ET.tostring(dom, encoding="unicode"))
    assert info.name == name
    assert info.title == title
    # and through bytes, as libvirt hands out UTF-8
    assert parse_domain(ET.tostring(dom, encoding="utf-8")).name == name


@pytest.mark.parametrize(
    "name",
    ["a<b&c>'\"", "lab [bold] [test] <&> 'q' \"é\" ü", " lead and trail ", "tab\there", "日本語 🚀", "[/]"],
)
def test_hostile_names(name: str) -> None:
    assert parse_domain(_xml(_domain(name))).name == name


def test_escaped_carriage_return_is_kept() -> None:
    # libvirt (libxml2) writes U+000D as &#13;, which parses back exactly.
    assert parse_domain("<domain type='kvm'><name>a&#13;b</name></domain>").name == "a\rb"
