"""What the XML says is what the screen shows, on the zoo: network disk sources with their
hosts, ports and sockets; vhost-user sockets; graphics listen kinds and port states; the
boot order as libvirt boots; IPs with their source; IPv6, static hosts, DNS, port groups and
forward devices in Networks; unknown figures labelled; paths cut in the middle; plurals.
And the guest detail tabs: each focuses its own list, and keys act only on the tab shown."""

from __future__ import annotations

from textual.widgets import Tabs, Tree

from tests import zoo
from tests.app.test_typeahead import burst
from tui.screens.guest_detail.snapshots import STATE_WIDTH

from .conftest import make_app, table_rows, wait_for
from .test_zoo_names import on_screen, screen_text, select, shows

SIZE = (240, 70)


async def open_guest(pilot, name: str) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestsScreen"
                   and app.screen.table.row_count == len(zoo.GUESTS), what="the zoo's guests")
    select(app, name)
    await pilot.press("enter")
    await on_screen(pilot, "GuestDetailScreen")


async def tab(pilot, tab_id: str):
    """Show a tab of the guest detail screen the way a user does, with `]`."""
    app = pilot.app
    tabs = app.screen.query_one("TabbedContent")
    for _ in range(10):
        if tabs.active == f"pane-{tab_id}":
            break
        await pilot.press("right_square_bracket")
    assert tabs.active == f"pane-{tab_id}", tabs.active
    return app.screen.tab(tab_id) if tab_id != "overview" else None


def on_the_zoo(app, fn) -> list:
    """Run `fn(conn)` on the app's zoo connection (its worker thread); the answer lands in the list."""
    answer: list = []
    connection = next(c for c in app.fleet.connections if c.uri == zoo.zoo_uri())
    connection.call(fn, lambda result, error: answer.append(error or result), action="test step")
    return answer


async def test_network_disks_graphics_and_boot_order_as_written(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)
        await open_guest(pilot, zoo.GUEST_NET_DISKS)
        await tab(pilot, "disks")
        await shows(pilot,
                    "http://images.example.org:8080/images/my-file.img",
                    "nbd://nbd.example.org:10809/export [x]",
                    "nbd+unix:///?socket=/run/nbd/socket [s]",
                    "rbd:rbdpool/image-1 @ mon1.example.org:6789,mon2.example.org:6789,mon3.example.org:6789",
                    "gluster://gluster.example.org:24007/gv0/images/disk.qcow2",
                    "gluster+unix:///gv0/images/unix.img?socket=/var/run/glusterd.socket",
                    "iscsi://iscsi.example.org:3260/iqn.2013-07.com.example:iscsi-pool/1",
                    "https://isos.example.org:443/isos/installer.iso?token=a&b",
                    what="network disk sources")
        await tab(pilot, "consoles")
        await shows(pilot, "socket /run/libvirt/spice [n].sock", "no port (listen socket)",
                    "none (no network listener)", "no port (listen none)", what="graphics on a socket / none")
        hardware = await tab(pilot, "hardware")
        # <os><boot dev='network'/><boot dev='hd'/>: PXE on its one NIC, then the first disk.
        await wait_for(pilot, lambda: "network (PXE), NIC 52:54:00:20:a0:11, hard disk vda  (<os><boot dev>)"
                       in hardware.query_one("#hw-summary").render().plain,
                       what=lambda: hardware.query_one("#hw-summary").render().plain)
        await pilot.press("escape")

        # Per-device boot orders of every kind (host devices and USB redirection too), in order.
        await open_guest(pilot, zoo.GUEST_EVERY_DEVICE)
        await shows(pilot, "Boot            disk vda", "CD-ROM sda", "PCI host device 0000:06:02.0",
                    "USB redirection (spicevmc)", "USB host device 0x046d:0xc52b", "(per-device boot order; boot menu)",
                    what="the Overview's boot lines")
        hardware = await tab(pilot, "hardware")
        await wait_for(pilot, lambda: "PCI host device 0000:06:02.0, USB redirection (spicevmc), USB host device "
                       "0x046d:0xc52b  (per-device boot order; boot menu)"
                       in hardware.query_one("#hw-summary").render().plain,
                       what=lambda: hardware.query_one("#hw-summary").render().plain)

        # Running: the VNC listens on an address with libvirt's -1 port, the SPICE on a network.
        await tab(pilot, "consoles")
        await shows(pilot, "address 192.0.2.10", "no port (libvirt reports -1)", "network default",
                    "not assigned yet (autoport)", what="graphics of a running guest")
        await pilot.press("escape")

        # Shut off, the same autoport graphics say when the port comes.
        done = on_the_zoo(app, lambda conn: conn.lookupByName(zoo.GUEST_EVERY_DEVICE).destroy())
        await wait_for(pilot, lambda: done, what="the guest forced off")
        await wait_for(pilot, lambda: any(g.name == zoo.GUEST_EVERY_DEVICE and g.state == "shut off"
                                          for g in app.inventory.guests.values()), what="the guest shut off")
        await open_guest(pilot, zoo.GUEST_EVERY_DEVICE)
        await tab(pilot, "consoles")
        await shows(pilot, "address 192.0.2.10", "assigned at start (autoport)", what="autoport on a shut-off guest")
        await pilot.press("escape")
        await open_guest(pilot, zoo.GUEST_BACKED)
        await tab(pilot, "consoles")
        await shows(pilot, "address 0.0.0.0", "5907", what="a fixed port")


async def test_vhost_user_socket_and_addresses_from_every_source(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)

        def ip_cell() -> str:
            rows = table_rows(app.screen.table)
            return next(c["ip"].plain for c in rows if c["name"].plain == zoo.GUEST_EVERY_DEVICE)

        # Before anything is read per guest: the leases, read in bulk, with their source.
        await wait_for(pilot, lambda: ip_cell().startswith("192.168.122.101 (lease)"), what=ip_cell)
        assert ip_cell() == "192.168.122.101 (lease) +1"
        await open_guest(pilot, zoo.GUEST_EVERY_DEVICE)
        await shows(pilot, "192.168.122.101 (lease)", "10.77.0.4 (lease)", "NIC 4", "vhostuser socket",
                    what="the Overview before the NICs tab")
        await tab(pilot, "nics")
        await shows(pilot, "vhostuser socket /run/openvswitch/vhu [a]<0> (client: QEMU connects)",
                    "192.168.0.5/24 (guest agent, ARP)", "192.168.122.101/24 (DHCP lease, guest agent, ARP)",
                    what="the NICs tab")
        # What the tab read reaches the Overview and the Guests list, each address with its sources.
        await tab(pilot, "overview")
        await shows(pilot, "192.168.122.101 (lease, agent, arp)", "192.168.0.3 (agent, arp)",
                    "192.168.0.6 (agent, arp)", what="the Overview after the NICs tab")
        await pilot.press("escape")
        await on_screen(pilot, "GuestsScreen")
        await wait_for(pilot, lambda: ip_cell() == "192.168.122.101 (lease, agent, arp) +5", what=ip_cell)
        await shows(pilot, "192.168.122.101 (lease, agent, arp) +5", what="the IP column")


async def test_networks_show_ipv6_static_hosts_dns_port_groups_and_forward_device(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NetworksScreen"
                       and app.screen.table.row_count == len(zoo.NETWORKS), what="the zoo's networks")
        table = app.screen.table
        rows = {c["name"].plain: c for c in table_rows(table)}
        cell = {key: c.plain for key, c in rows[zoo.NETWORK_DEFAULT].items()}
        assert cell["bridge"] == "virbr0" and cell["forward"] == "eth0", cell
        assert cell["subnet"] == "192.168.122.0/24" and cell["subnet6"] == "2001:db8:ca2:2::/64", cell
        assert rows[zoo.NETWORK_ODD]["subnet6"].plain == "fd00:77::/64"
        await shows(pilot, "Forward device", "IPv6 subnet", "2001:db8:ca2:2::/64", "eth2, eth3", what="the table")

        select(app, zoo.NETWORK_DEFAULT)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.is_modal, what="the network's details")
        await shows(pilot,
                    "IPv4 subnet         192.168.122.0/24, host address 192.168.122.1",
                    "IPv6 subnet         2001:db8:ca2:2::/64, host address 2001:db8:ca2:2::1",
                    "IPv6 DHCP range     2001:db8:ca2:2::100 - 2001:db8:ca2:2::1ff",
                    "DNS domain          zoo.example",
                    "Static host (DHCP)  192.168.122.10  52:54:00:20:a0:01  a-b",
                    "Static host (DHCP)  2001:db8:ca2:2::10  a-b",
                    "DNS host            192.168.122.2  myhost, myhostalias",
                    "Port group          engineering (default; in 1000 KiB/s, out 1000 KiB/s)",
                    "Port group          sales [s] (VLAN 49)",
                    "Forward device      eth0",
                    "Bridge              virbr0",
                    "NAT addresses       203.0.113.10 - 203.0.113.20",
                    what="the network's details")


async def test_unknown_figures_plurals_and_the_underflow(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)
        # The test driver does not say how much memory is free: used is unknown, not the total.
        await pilot.press("4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HostsScreen" and app.screen.table.row_count == 1)
        await wait_for(pilot, lambda: table_rows(app.screen.table)[0]["memory"].plain == "unknown / 128 GiB",
                       what=lambda: table_rows(app.screen.table)[0]["memory"])
        await shows(pilot, "unknown / 128 GiB", what="the Hosts view")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.is_modal, what="the host sheet")
        await shows(pilot, "Memory used", "Memory free", "unknown", what="the host sheet")
        await pilot.press("escape")

        # vg0's volumes allocate more than the pool holds: libvirt says 16 EiB available.
        await pilot.press("3")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "StorageScreen"
                       and app.screen.table.row_count == len(zoo.POOLS), what="the zoo's pools")
        await shows(pilot, "unknown (libvirt reported 16 EiB)", what="the underflowed available size")
        row = next(c for c in table_rows(app.screen.table) if c["name"].plain == zoo.POOL_UNDERFLOW)
        assert row["available"].plain == "unknown (libvirt reported 16 EiB)"
        select(app, "nfs ☃")
        await pilot.press("enter")
        await on_screen(pilot, "VolumesScreen")
        await shows(pilot, "1 volume", what="one volume")
        assert "1 volumes" not in screen_text(app)


async def test_long_paths_keep_their_file_name_and_host_labels_their_slashes(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await zoo.open_zoo(pilot)
        await open_guest(pilot, zoo.GUEST_NET_DISKS)
        await tab(pilot, "disks")
        # Too long for the room left: the start and the file name stay, the middle goes.
        await wait_for(pilot, lambda: "…/my-file.img " in screen_text(app), what=lambda: screen_text(app))
        text = screen_text(app)
        assert " http://images.exampl" in text and "…/installer.iso?token=a&b " in text, text
        assert " gluster+unix:///" in text and "…/glusterd.socket " in text, text
        assert "http://images.example.org:8080/images/my-file.img" not in text  # it did not fit

    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HostsScreen" and app.screen.table.row_count == 1)
        await shows(pilot, "test:///default", what="the host label")
        name = table_rows(app.screen.table)[0]["name"].plain
        assert name == "test:///default", name


async def test_snapshots_tab_focuses_its_list_and_a_suspended_state_fits(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)
        done = on_the_zoo(app, lambda conn: [conn.lookupByName(zoo.GUEST_PMSUSPENDED).snapshotCreateXML(
            f"<domainsnapshot><name>{name}</name></domainsnapshot>", 0) and name for name in ("one", "two")])
        await wait_for(pilot, lambda: done, what="two snapshots")
        await open_guest(pilot, zoo.GUEST_PMSUSPENDED)
        snapshots = await tab(pilot, "snapshots")
        await wait_for(pilot, lambda: len(snapshots.snapshots) == 2, what="the snapshots listed")
        tree = snapshots.snapshot_tree
        assert app.focused is tree
        await shows(pilot, f"{'suspended':<{STATE_WIDTH}} internal", what="the state column")
        await wait_for(pilot, lambda: snapshots.selected_name() == "two", what="the current snapshot selected")
        await pilot.press("up")
        await wait_for(pilot, lambda: snapshots.selected_name() == "one", what="the cursor moved by the arrow")
        # Back to the Overview, the tab strip has the focus; the Snapshots tab's keys are gone.
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket",
                          "left_square_bracket", "left_square_bracket", "left_square_bracket")
        assert app.screen.query_one("TabbedContent").active == "pane-overview"
        assert isinstance(app.focused, Tabs)
        assert snapshots.check_action("revert", ()) is False


async def test_keys_typed_with_the_tab_switch_act_on_the_new_tab(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)
        done = on_the_zoo(app, lambda conn: conn.lookupByName(zoo.GUEST_PLAIN).snapshotCreateXML(
            "<domainsnapshot><name>before</name></domainsnapshot>", 0).getName())
        await wait_for(pilot, lambda: done, what="a snapshot")
        await open_guest(pilot, zoo.GUEST_PLAIN)
        hardware = await tab(pilot, "hardware")
        await wait_for(pilot, lambda: hardware.view is not None, what="the hardware read")
        assert app.focused is hardware.table

        # `]` and `v` in one read: `v` is the Snapshots tab's revert, not Hardware's vCPUs/memory.
        burst(app, "]", "v")
        await wait_for(pilot, lambda: type(app.screen).__name__ in ("ConfirmScreen", "CpuMemoryScreen"),
                       what=lambda: f"a dialog, not {type(app.screen).__name__}")
        assert type(app.screen).__name__ == "ConfirmScreen", type(app.screen).__name__
        assert "Revert plain to snapshot before?" in app.screen.question
        await pilot.press("n")
        await on_screen(pilot, "GuestDetailScreen")
        assert app.screen.query_one("TabbedContent").active == "pane-snapshots"
        assert isinstance(app.focused, Tree)

        # And back: `[` and `v` in one read open Hardware's vCPUs/memory form.
        burst(app, "[", "v")
        await wait_for(pilot, lambda: type(app.screen).__name__ in ("ConfirmScreen", "CpuMemoryScreen"),
                       what=lambda: f"a dialog, not {type(app.screen).__name__}")
        assert type(app.screen).__name__ == "CpuMemoryScreen", type(app.screen).__name__
