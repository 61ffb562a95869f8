"""Parsers and pure helpers behind the guest detail tabs and the XML edit."""

from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET

from hypothesis import given, strategies as st

from tests.strategies import xml_chars
from tui.backend.ops.guest_info import addresses_by_mac, console_commands
from tui.backend.ops.xml_edit import check_edit, unified_diff
from tui.backend.xml import domain as dx

LIBOSINFO = "http://libosinfo.org/xmlns/libvirt/domain/1.0"

names = st.text(xml_chars, min_size=1, max_size=30).filter(str.strip)


def domain(*devices: ET.Element, os_children=(), os_attrs=None, name="g") -> str:
    dom = ET.Element("domain", type="kvm")
    ET.SubElement(dom, "name").text = name
    ET.SubElement(dom, "uuid").text = "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
    os_el = ET.SubElement(dom, "os", os_attrs or {})
    ET.SubElement(os_el, "type", arch="x86_64", machine="pc-q35-7.2").text = "hvm"
    for child in os_children:
        os_el.append(child)
    devs = ET.SubElement(dom, "devices")
    for dev in devices:
        devs.append(dev)
    return ET.tostring(dom, encoding="unicode")


def el(tag: str, *children: ET.Element, text: str | None = None, **attrs: str) -> ET.Element:
    e = ET.Element(tag, attrs)
    e.text = text
    e.extend(children)
    return e


def test_overview_firmware_and_libosinfo():
    xml = domain()
    assert dx.parse_overview(xml).firmware == "BIOS"
    assert dx.parse_overview(xml).machine == "pc-q35-7.2"
    assert dx.parse_overview(domain(os_attrs={"firmware": "efi"})).firmware == "UEFI"
    secure = domain(os_children=[el("loader", text="/x/OVMF_CODE.secboot.fd", readonly="yes", secure="yes",
                                    type="pflash")])
    assert dx.parse_overview(secure).firmware == "UEFI (secure boot)"
    feature = domain(os_attrs={"firmware": "efi"},
                     os_children=[el("firmware", el("feature", enabled="yes", name="secure-boot"))])
    assert dx.parse_overview(feature).firmware == "UEFI (secure boot)"
    assert dx.parse_overview(domain(os_children=[el("kernel", text="/k")])).firmware == "direct kernel boot"
    root = ET.fromstring(domain())
    meta = ET.SubElement(root, "metadata")
    ET.SubElement(ET.SubElement(meta, f"{{{LIBOSINFO}}}libosinfo"), f"{{{LIBOSINFO}}}os",
                  id="http://fedoraproject.org/fedora/40")
    assert dx.parse_overview(ET.tostring(root, encoding="unicode")).os_id == "http://fedoraproject.org/fedora/40"
    assert dx.parse_overview(domain()).os_id is None


def test_disks_with_backing_chain_volume_and_empty_cdrom():
    top = el("disk",
             el("driver", name="qemu", type="qcow2"),
             el("source", file="/p/top.qcow2"),
             el("backingStore",
                el("format", type="qcow2"), el("source", file="/p/mid.qcow2"),
                el("backingStore", el("format", type="raw"), el("source", file="/p/base.raw"), el("backingStore")),
                type="file", index="1"),
             el("target", dev="vda", bus="virtio"),
             el("shareable"),
             type="file", device="disk")
    vol = el("disk", el("source", pool="p<&>", volume="v 1"), el("target", dev="vdb", bus="virtio"),
             type="volume", device="disk")
    cdrom = el("disk", el("target", dev="sda", bus="sata"), el("readonly"), type="file", device="cdrom")
    a, b, c = dx.parse_disks(domain(top, vol, cdrom))
    assert (a.target, a.bus, a.format, a.path, a.shareable, a.read_only) == ("vda", "virtio", "qcow2",
                                                                             "/p/top.qcow2", True, False)
    assert a.backing == (dx.Layer("/p/mid.qcow2", "qcow2"), dx.Layer("/p/base.raw", "raw"))
    assert b.source == "p<&>/v 1" and b.path is None and b.kind == "volume"
    assert c.device == "cdrom" and c.source is None and c.read_only


def test_volume_backing():
    vol = el("volume", el("name", text="o"), el("backingStore", el("path", text="/p/b.qcow2"),
                                                 el("format", type="qcow2")))
    assert dx.parse_volume_backing(ET.tostring(vol)) == dx.VolumeBacking("/p/b.qcow2", "qcow2")
    assert dx.parse_volume_backing("<volume><name>x</name></volume>") is None


def test_nics_sources_and_link_state():
    nics = dx.parse_nics(domain(
        el("interface", el("mac", address="52:54:00:AB:CD:EF"), el("source", network="n1", portgroup="pg"),
           el("model", type="virtio"), el("link", state="down"), type="network"),
        el("interface", el("source", bridge="br0"), type="bridge"),
        el("interface", el("source", dev="eth0", mode="vepa"), type="direct"),
        el("interface", type="user"),
    ))
    assert [n.source for n in nics] == ["network n1 (portgroup pg)", "bridge br0", "direct eth0 (vepa)", None]
    assert nics[0].mac == "52:54:00:ab:cd:ef" and nics[0].link == "down" and nics[1].link == "up"


def test_consoles_and_graphics():
    chars, graphics = dx.parse_consoles(domain(
        el("serial", el("source", path="/dev/pts/4"), el("target", type="isa-serial", port="0"), type="pty"),
        el("console", el("target", type="serial", port="0"), type="pty", tty="/dev/pts/4"),
        el("graphics", el("listen", type="address", address="127.0.0.1"), type="vnc", port="5901",
           autoport="yes", listen="127.0.0.1"),
        el("graphics", type="spice", port="-1", autoport="yes"),
    ))
    assert [(c.element, c.target, c.source) for c in chars] == [
        ("serial", "isa-serial port 0", "/dev/pts/4"), ("console", "serial port 0", "/dev/pts/4")]
    assert graphics[0] == dx.Graphics("vnc", "127.0.0.1", 5901, None, True, "address", None, "5901")
    assert graphics[1].port is None


def test_agent_channel_states():
    def with_channel(state=None):
        target = el("target", type="virtio", name="org.qemu.guest_agent.0")
        if state:
            target.set("state", state)
        return domain(el("channel", target, type="unix"))

    assert dx.parse_agent_channel(domain()) is None
    assert dx.parse_agent_channel(with_channel("connected")) == "connected"
    assert dx.parse_agent_channel(with_channel("disconnected")) == "disconnected"
    assert dx.parse_agent_channel(with_channel()) == ""


def test_guest_info():
    facts = dx.parse_guest_info({
        "os.pretty-name": "Debian GNU/Linux 12 (bookworm)", "os.kernel-release": "6.1.0",
        "hostname": "web1", "timezone.name": "CET", "timezone.offset": 3600,
        "user.count": 2, "user.0.name": "root", "user.1.name": "ann",
        "fs.count": 1, "fs.0.mountpoint": "/", "fs.0.name": "vda1", "fs.0.fstype": "ext4",
        "fs.0.total-bytes": 1000, "fs.0.used-bytes": 250,
    })
    assert facts.os_name.startswith("Debian") and facts.hostname == "web1"
    assert facts.timezone == "CET (UTC+01:00)" and facts.users == ("root", "ann")
    assert facts.filesystems[0] == dx.GuestFilesystem("/", "vda1", "ext4", 1000, 250)
    empty = dx.parse_guest_info({})
    assert empty.users == () and empty.filesystems == () and empty.timezone is None


def test_addresses_by_mac():
    answer = {"vnet0": {"hwaddr": "52:54:00:AA:00:01", "addrs": [{"addr": "10.0.0.5", "prefix": 24, "type": 0}]},
              "lo": {"hwaddr": None, "addrs": []}}
    assert addresses_by_mac(answer) == {"52:54:00:aa:00:01": ("10.0.0.5/24",)}
    assert addresses_by_mac(None) == {}


@given(names, st.integers(5900, 65535))
def test_console_commands_quote_names_and_tunnel_remote_hosts(name, port):
    graphics = (dx.Graphics("vnc", "0.0.0.0", port, None, True),)
    commands = {c.label: c.text for c in console_commands("qemu+ssh://ann@h.example:2222/system", name,
                                                          graphics, True)}
    assert shlex.split(commands["viewer"]) == ["virt-viewer", "--connect", "qemu+ssh://ann@h.example:2222/system",
                                               name]
    assert shlex.split(commands["serial console"])[-1] == name
    assert shlex.split(commands["vnc tunnel"]) == ["ssh", "-N", "-L", f"{port}:127.0.0.1:{port}", "-p", "2222",
                                                  "ann@h.example"]
    assert commands["vnc viewer over the tunnel"] == f"remote-viewer vnc://127.0.0.1:{port}"
    local = console_commands("qemu:///system", name, graphics, False)
    assert [c.label for c in local] == ["viewer"]


def test_console_commands_without_graphics_port():
    graphics = (dx.Graphics("spice", "127.0.0.1", None, None, True),)
    labels = [c.label for c in console_commands("qemu+ssh://h/system", "g", graphics, False)]
    assert labels == ["viewer"]  # no port yet: nothing to tunnel


def net(name: str, uuid: str | None = "dd8fe884-6c02-601e-7551-cca97df1c5df", extra: str = "") -> str:
    root = ET.Element("network")
    ET.SubElement(root, "name").text = name
    if uuid is not None:
        ET.SubElement(root, "uuid").text = uuid
    if extra:
        ET.SubElement(root, "description").text = extra
    return ET.tostring(root, encoding="unicode")


@given(names, names)
def test_check_edit_refuses_renames_and_accepts_other_changes(name, other):
    before = net(name)
    assert check_edit("network", before, net(name, extra=other)) is None
    if other != name:
        problem = check_edit("network", before, net(other))
        assert problem is not None and "rename" in problem.text


def test_check_edit_parse_error_uuid_and_root():
    before = net("n")
    problem = check_edit("network", before, "<network>\n  <name>n</name\n</network>")
    assert problem is not None and problem.line == 3 and problem.column is not None
    assert "UUID" in check_edit("network", before, net("n", uuid="00000000-0000-0000-0000-000000000001")).text
    assert "UUID" in check_edit("network", before, net("n", uuid=None)).text
    assert "<network>" in check_edit("network", before, "<pool><name>n</name></pool>").text
    assert check_edit("network", before, before.replace("DD8F", "dd8f")) is None


def test_unified_diff():
    diff = unified_diff("<a>\n<b>1</b>\n</a>", "<a>\n<b>2</b>\n</a>", "x")
    assert "-<b>1</b>" in diff and "+<b>2</b>" in diff
