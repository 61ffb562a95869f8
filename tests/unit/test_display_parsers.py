"""Everything the XML says, in words: network disk sources, vhost-user sockets, graphics
listen kinds and port states, the boot order, network details; and the display rules:
middle ellipsis, plurals, unknown figures, the available-size underflow, host labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from tests import zoo
from tui.backend.inventory import Inventory
from tui.backend.model import (
    ConnState, Guest, GuestAddressesRead, GuestChanged, GuestNicsRead, Host, HostStats, LeasesRead, Network, Pool,
)
from tui.backend.ops import snapshots as snapshot_ops
from tui.backend.uri import display_name
from tui.backend.xml import domain as dx
from tui.backend.xml import network as nx
from tui.backend.xml.snapshot import SnapshotFacts
from tui.render import columns, rows
from tui.render.device_text import PathText, graphics_listen_text, graphics_port_text, middle_ellipsis
from tui.render.network_sheet import network_facts
from tui.backend.units import count_text
from tui.screens.guest_detail.snapshots import STATE_WORDS, snapshot_label

ZOO = ET.parse(zoo.ZOO_XML).getroot()


def zoo_domain(name: str) -> str:
    return ET.tostring(next(d for d in ZOO.findall("domain") if d.findtext("name") == name), encoding="unicode")


def zoo_network(name: str) -> str:
    return ET.tostring(next(n for n in ZOO.findall("network") if n.findtext("name") == name), encoding="unicode")


def source(xml: str) -> str:
    return dx.network_source_text(ET.fromstring(xml))


# -- network disks ------------------------------------------------------------------


def test_network_disk_sources_keep_protocol_hosts_ports_and_sockets():
    assert [(d.target, d.source) for d in dx.parse_disks(zoo_domain(zoo.GUEST_NET_DISKS))] == [
        ("vda", "http://images.example.org:8080/images/my-file.img"),
        ("vdb", "nbd://nbd.example.org:10809/export [x]"),
        ("vdc", "nbd+unix:///?socket=/run/nbd/socket [s]"),
        ("vdd", "rbd:rbdpool/image-1 @ mon1.example.org:6789,mon2.example.org:6789,mon3.example.org:6789"),
        ("vde", "gluster://gluster.example.org:24007/gv0/images/disk.qcow2"),
        ("vdf", "gluster+unix:///gv0/images/unix.img?socket=/var/run/glusterd.socket"),
        ("sda", "iscsi://iscsi.example.org:3260/iqn.2013-07.com.example:iscsi-pool/1"),
        ("sdb", "https://isos.example.org:443/isos/installer.iso?token=a&b"),
        ("sdc", "iscsi-target/unit:0:0:1"),
    ]


def test_network_disk_source_corners():
    # A socket and an export name; an IPv6 host; no host at all; a protocol without URLs.
    assert source("<source protocol='nbd' name='export'><host transport='unix' socket='/run/nbd.sock'/></source>"
                  ) == "nbd+unix:///export?socket=/run/nbd.sock"
    assert source("<source protocol='nbd' name='e'><host name='2001:db8::5' port='10809'/></source>"
                  ) == "nbd://[2001:db8::5]:10809/e"
    assert source("<source protocol='http' name='/x.img'/>") == "http:///x.img"
    assert source("<source protocol='rbd' name='p/i'/>") == "rbd:p/i"
    assert source("<source protocol='vitastor' name='img'><host name='h' port='1'/></source>") == "vitastor:img @ h:1"
    assert source("<source protocol='nbd'><host name='h'/></source>") == "nbd://h"


# -- NICs and graphics --------------------------------------------------------------


def test_vhost_user_nic_shows_its_socket_and_mode():
    nics = dx.parse_nics(zoo_domain(zoo.GUEST_EVERY_DEVICE))
    vhost = next(n for n in nics if n.kind == "vhostuser")
    assert vhost.source == "socket /run/openvswitch/vhu [a]<0> (client: QEMU connects)"
    interfaces = dx.parse_interfaces(zoo_domain(zoo.GUEST_EVERY_DEVICE))
    assert next(i for i in interfaces if i.kind == "vhostuser").source == vhost.source
    server = dx.vhost_user_text(ET.fromstring("<source type='unix' path='/s' mode='server'/>"))
    assert server == "socket /s (server: QEMU listens)"


def graphics(xml: str) -> dx.Graphics:
    return dx.parse_graphics(ET.fromstring(xml))


def test_graphics_listen_kinds():
    by_guest = {name: dx.parse_consoles(zoo_domain(name))[1]
                for name in (zoo.GUEST_EVERY_DEVICE, zoo.GUEST_NET_DISKS, zoo.GUEST_BACKED)}
    vnc, spice = by_guest[zoo.GUEST_EVERY_DEVICE]
    assert (vnc.listen_type, vnc.listen, vnc.port_attr) == ("address", "192.0.2.10", "-1")
    assert graphics_listen_text(vnc) == "address 192.0.2.10"
    assert (spice.listen_type, spice.listen_network, spice.listen) == ("network", "default", None)
    assert graphics_listen_text(spice) == "network default"
    socket, none = by_guest[zoo.GUEST_NET_DISKS]
    assert graphics_listen_text(socket) == "socket /run/libvirt/spice [n].sock"
    assert graphics_listen_text(none) == "none (no network listener)" and none.listen is None
    (legacy,) = by_guest[zoo.GUEST_BACKED]
    assert graphics_listen_text(legacy) == "address 0.0.0.0" and legacy.port == 5907
    # A running guest's network listen has the address libvirt resolved; the legacy socket attribute.
    running = graphics("<graphics type='spice' port='5900' autoport='yes'>"
                       "<listen type='network' network='default' address='192.168.122.1'/></graphics>")
    assert graphics_listen_text(running) == "network default (192.168.122.1)"
    assert graphics_listen_text(graphics("<graphics type='vnc' socket='/v.sock'/>")) == "socket /v.sock"
    assert graphics_listen_text(graphics("<graphics type='vnc'/>")) == "default address (qemu.conf)"


def test_graphics_port_states():
    autoport = graphics("<graphics type='vnc' port='-1' autoport='yes'><listen type='address'/></graphics>")
    assert graphics_port_text(autoport, running=False) == "assigned at start (autoport)"
    assert graphics_port_text(autoport, running=True) == "no port (libvirt reports -1)"
    assigned = graphics("<graphics type='vnc' port='5901' autoport='yes'/>")
    assert graphics_port_text(assigned, running=True) == "5901 (autoport)"
    fixed = graphics("<graphics type='vnc' port='5907' autoport='no'/>")
    assert graphics_port_text(fixed, running=False) == "5907"
    unassigned = graphics("<graphics type='spice' autoport='yes'><listen type='network' network='n'/></graphics>")
    assert graphics_port_text(unassigned, running=True) == "not assigned yet (autoport)"
    for kind in ("none", "socket"):
        g = graphics(f"<graphics type='vnc' port='-1'><listen type='{kind}'/></graphics>")
        assert graphics_port_text(g, running=True) == f"no port (listen {kind})"
        assert graphics_port_text(g, running=False) == f"no port (listen {kind})"


# -- boot ---------------------------------------------------------------------------


def test_boot_order_as_libvirt_boots():
    every = dx.parse_boot(zoo_domain(zoo.GUEST_EVERY_DEVICE))
    assert every.source == "devices" and every.menu
    assert every.entries == ("disk vda", "CD-ROM sda", "NIC 52:54:00:20:a0:01", "PCI host device 0000:06:02.0",
                             "USB redirection (spicevmc)", "USB host device 0x046d:0xc52b")
    net = dx.parse_boot(zoo_domain(zoo.GUEST_NET_DISKS))
    assert (net.source, net.entries) == ("os", ("network (PXE), NIC 52:54:00:20:a0:11", "hard disk vda"))
    backed = dx.parse_boot(zoo_domain(zoo.GUEST_BACKED))
    assert (backed.source, backed.entries) == ("os", ("CD-ROM hdc", "hard disk hda"))
    plain = dx.parse_boot(zoo_domain(zoo.GUEST_PLAIN))
    assert (plain.source, plain.entries) == ("default", ("hard disk vda",))
    assert dx.parse_boot(zoo_domain(zoo.GUEST_BLOCKED)).entries == ("hard disk: none attached",)
    kernel = dx.parse_boot(zoo_domain(zoo.GUEST_KERNEL_BOOT))
    assert (kernel.source, kernel.entries) == ("kernel", ("kernel /var/lib/libvirt/images/vmlinuz-6.1",))
    floppy = dx.parse_boot("<domain><name>f</name><os><boot dev='fd'/><boot dev='network'/></os></domain>")
    assert floppy.entries == ("floppy: none attached", "network (PXE): no NIC")
    assert dx.parse_overview(zoo_domain(zoo.GUEST_NET_DISKS)).boot == net


# -- networks -----------------------------------------------------------------------


def test_network_details_ipv6_static_hosts_dns_port_groups_forward():
    details = nx.parse_network_details(zoo_network(zoo.NETWORK_DEFAULT))
    assert details.ips == (
        nx.IpBlock("ipv4", "192.168.122.0/24", "192.168.122.1", "192.168.122.100 - 192.168.122.254"),
        nx.IpBlock("ipv6", "2001:db8:ca2:2::/64", "2001:db8:ca2:2::1", "2001:db8:ca2:2::100 - 2001:db8:ca2:2::1ff"),
    )
    assert details.static_hosts == (
        nx.StaticHost("192.168.122.10", ("a-b",), "52:54:00:20:a0:01"),
        nx.StaticHost("192.168.122.11", ("kernel-boot",), "52:54:00:20:a0:21"),
        nx.StaticHost("2001:db8:ca2:2::10", ("a-b",)),
        nx.StaticHost("192.168.122.2", ("myhost", "myhostalias"), None, "dns"),
    )
    assert details.domain == "zoo.example"
    assert details.portgroups == (
        nx.PortGroup("engineering", True, None, "in 1000 KiB/s, out 1000 KiB/s"),
        nx.PortGroup("sales [s]", False, "49", None),
    )
    assert details.forward_devs == ("eth0",) and details.nat_range == "203.0.113.10 - 203.0.113.20"
    lab = nx.parse_network_details(zoo_network(zoo.NETWORK_ODD))
    assert lab.first("ipv6") == nx.IpBlock("ipv6", "fd00:77::/64", "fd00:77::1", None)
    assert nx.parse_network_details(zoo_network("macvtap pool")).forward_devs == ("eth2", "eth3")


def network(**kw) -> Network:
    return Network("c", "u", kw.pop("name", "n"), True, kw.pop("mode", "nat"), **kw)


def test_network_row_and_sheet_keep_bridge_and_forward_device_apart():
    details = nx.parse_network_details(zoo_network(zoo.NETWORK_DEFAULT))
    net = network(bridge="virbr0", forward_dev="eth0", ipv4_subnet="192.168.122.0/24",
                  ipv6_subnet="2001:db8:ca2:2::/64", details=details)
    cells = columns.by_id(columns.NETWORK_COLUMNS, columns.network_row(net, "h"))
    assert (cells["bridge"].plain, cells["forward"].plain, cells["subnet6"].plain) == (
        "virbr0", "eth0", "2001:db8:ca2:2::/64")
    facts = network_facts(net, "h")
    assert ("DNS domain", "zoo.example") in facts
    assert ("Port group", "sales [s] (VLAN 49)") in facts
    assert ("DNS host", "192.168.122.2  myhost, myhostalias") in facts
    assert ("IPv6 DHCP range", "2001:db8:ca2:2::100 - 2001:db8:ca2:2::1ff") in facts
    bare = network_facts(network(mode="isolated", details=nx.parse_network_details("<network><name>x</name></network>")),
                         "h")
    assert ("Static hosts", "none") in bare and ("Port groups", "none") in bare and ("DNS domain", "none") in bare


# -- addresses with their source ----------------------------------------------------


def test_addresses_carry_their_sources_and_only_for_this_run():
    inventory = Inventory()
    inventory.apply(GuestChanged(Guest("c", "u", "g", "running", id=7)))
    nic = dx.InterfaceInfo("52:54:00:00:00:01", "network", "default", "virtio", None)
    inventory.apply(GuestNicsRead("c", {"u": (nic,)}))
    inventory.apply(LeasesRead("c", {"52:54:00:00:00:01": ("10.0.0.5",)}))
    assert inventory.addresses("c", "u") == (("10.0.0.5", ("lease",)),)
    read = {"agent": {"52:54:00:00:00:01": ("10.0.0.5/24", "fd00::5/64")}, "arp": {"52:54:00:00:00:01": ("10.0.0.5/24",)}}
    assert inventory.apply(GuestAddressesRead("c", "u", 7, read)) == {"guests"}
    assert inventory.addresses("c", "u") == (("10.0.0.5", ("lease", "agent", "arp")), ("fd00::5", ("agent",)))
    assert rows.addresses(inventory.addresses("c", "u")).plain == "10.0.0.5 (lease, agent, arp) +1"
    # Restarted (another domain id): what the tab read belongs to the last run.
    inventory.apply(GuestChanged(Guest("c", "u", "g", "running", id=8)))
    assert inventory.addresses("c", "u") == (("10.0.0.5", ("lease",)),)
    assert rows.addresses(()).plain == "—"


# -- display rules ------------------------------------------------------------------


def test_middle_ellipsis_keeps_the_file_name():
    path = "/var/lib/libvirt/images/some/deep/directory/tree/disk.qcow2"
    short = middle_ellipsis(path, 30)
    assert short == "/var/lib/libvirt/…/disk.qcow2", short
    assert middle_ellipsis("/a/b.img", 30) == "/a/b.img"
    long_name = "/srv/" + "x" * 60 + ".raw"
    cut = middle_ellipsis(long_name, 20)
    assert cell_len(cut) <= 20 and cut.endswith(".raw") and cut.startswith("/srv/") and "…" in cut


@given(st.text(alphabet=st.sampled_from("ab/é☃. "), min_size=0, max_size=80), st.integers(min_value=0, max_value=90))
def test_middle_ellipsis_fits_and_keeps_both_ends(text, width):
    cut = middle_ellipsis(text, width)
    assert cell_len(cut) <= max(width, 0) or cell_len(text) <= width
    if cell_len(text) <= width:
        assert cut == text
    elif width >= 2:
        head, _, tail = cut.partition("…")
        assert text.startswith(head) and text.endswith(tail)


def test_path_text_renders_to_the_room_it_gets():
    console = Console(width=28, record=True, color_system=None)
    console.print(PathText("/var/lib/libvirt/images/a-b-root.qcow2"))
    assert console.export_text().strip() == "/var/lib/…/a-b-root.qcow2"
    console = Console(width=80, record=True, color_system=None)
    console.print(PathText("/var/lib/libvirt/images/a-b-root.qcow2"))
    assert console.export_text().strip() == "/var/lib/libvirt/images/a-b-root.qcow2"


def test_plurals():
    assert count_text(1, "volume") == "1 volume"
    assert count_text(0, "volume") == "0 volumes"
    assert count_text(2, "NUMA node") == "2 NUMA nodes"
    assert count_text(3, "index", "indices") == "3 indices"


def test_underflowed_available_size_is_flagged():
    sixteen_eib = 18446744035054845952  # what the zoo's vg0 reports
    pool = Pool("c", "u", "vg0", "logical", "active", capacity=100 << 30, allocation=136 << 30, available=sixteen_eib)
    cell = columns.by_id(columns.POOL_COLUMNS, columns.pool_row(pool, "h"))["available"]
    assert cell.plain == "unknown (libvirt reported 16 EiB)"
    assert cell.sort_key[0] == rows.cells.NO_FIGURE
    fine = Pool("c", "u", "p", "dir", "active", capacity=100 << 30, allocation=10 << 30, available=90 << 30)
    assert columns.by_id(columns.POOL_COLUMNS, columns.pool_row(fine, "h"))["available"].plain == "90 GiB"


def test_host_memory_used_is_unknown_without_free_memory():
    host = Host("c", "test:///default", "h", ConnState.CONNECTED, memory_kib=128 << 20)
    assert rows.host_memory(host, None).plain == "unknown / 128 GiB"
    assert rows.host_memory(host, HostStats("c", memory_total=128 << 30)).plain == "unknown / 128 GiB"
    used = rows.host_memory(host, HostStats("c", memory_total=128 << 30, memory_free=100 << 30))
    assert used.plain == "28 GiB / 128 GiB"


def test_host_labels_keep_the_uri_slashes():
    assert display_name("test:///default") == "test:///default"
    assert display_name("test:///srv/zoo.xml") == "test:///srv/zoo.xml"


def test_snapshot_state_column_fits_every_state():
    labels = []
    for state in (*STATE_WORDS, "something new"):
        facts = SnapshotFacts(name="s", description="", state=state, created=None, memory="internal", disks=(),
                              parent=None)
        labels.append(snapshot_label(snapshot_ops.Snapshot(facts, current=False, depth=0, children=0), 4).plain)
    assert len({label.index("internal") for label in labels if "something new" not in label}) == 1, labels
    assert "suspended" in labels[list(STATE_WORDS).index("pmsuspended")]
