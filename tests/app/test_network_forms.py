"""The new-network form and the network keys, against the test driver; every
result checked on a separate libvirt connection."""

from __future__ import annotations

import libvirt
import pytest

from tui.backend.xml.network import NetworkSpec, build_network_xml, parse_network_spec

from .conftest import cell_text, column_cells, make_app, wait_for, worker_drained

ODD = "vd-h6 [x] <&>'\"é"


@pytest.fixture
def conn(fresh_default):
    """test:///default, with every vd-h6 network removed afterwards."""
    yield fresh_default
    for net in fresh_default.listAllNetworks():
        if net.name().startswith("vd-h6"):
            if net.isActive():
                net.destroy()
            if net.isPersistent():
                net.undefine()


def names(conn) -> set[str]:
    return {n.name() for n in conn.listAllNetworks()}


def screen_name(app) -> str:
    return type(app.screen).__name__


async def open_form(pilot, app):
    await pilot.press("2")
    await wait_for(pilot, lambda: screen_name(app) == "NetworksScreen" and app.screen.table.row_count >= 1,
                   what="the networks view")
    await pilot.press("n")
    await wait_for(pilot, lambda: screen_name(app) == "NewNetworkScreen", what="the new-network form")
    form = app.screen
    await wait_for(pilot, lambda: form.facts is not None, what="the host's networks read")
    return form


def error_of(form, box: str) -> str:
    widget = form.query_one(f"#{box}-error")
    return widget.render().plain if widget.has_class("shown") else ""


async def type_into(pilot, form, field: str, text: str) -> None:
    form.query_one(f"#{field}").value = text
    await pilot.pause()


async def test_defaults_follow_the_subnet_and_avoid_what_the_host_uses(tmp_path, conn):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        # default uses virbr0 and 192.168.122.0/24: the form suggests neither
        assert form.query_one("#bridge").value == "virbr1"
        assert form.query_one("#subnet").value == "192.168.100.0/24"
        assert form.query_one("#gateway").value == "192.168.100.1"
        assert (form.query_one("#dhcp-start").value, form.query_one("#dhcp-end").value) == (
            "192.168.100.2", "192.168.100.254")
        await type_into(pilot, form, "subnet", "10.9.0.0/16")
        assert form.query_one("#gateway").value == "10.9.0.1"
        assert (form.query_one("#dhcp-start").value, form.query_one("#dhcp-end").value) == ("10.9.0.2", "10.9.255.254")
        # a gateway typed by the user stays when the subnet changes
        await type_into(pilot, form, "gateway", "10.9.0.254")
        await type_into(pilot, form, "subnet", "10.8.0.0/16")
        assert form.query_one("#gateway").value == "10.9.0.254"
        assert "is not inside 10.8.0.0/16" in error_of(form, "gateway")


@pytest.mark.parametrize(
    "field, text, box, expected",
    [
        ("name", "", "name", "Enter a network name"),
        ("name", "default", "name", "exists already"),
        ("name", "a/b", "name", "cannot contain '/'"),
        ("bridge", "virbr0", "bridge", "in use already"),
        ("bridge", "a-name-much-too-long", "bridge", "At most 15"),
        ("bridge", "vnet3", "bridge", "libvirt's own"),
        ("subnet", "192.168.122.0/25", "subnet", "Overlaps 192.168.122.0/24"),
        ("subnet", "300.1.1.0/24", "subnet", "Not a subnet"),
        ("subnet", "10.0.0.0/31", "subnet", "too small"),
        ("gateway", "192.168.100.0", "gateway", "network address"),
        ("gateway", "192.168.101.1", "gateway", "is not inside"),
        ("dhcp-start", "192.168.99.2", "dhcp", "is not inside"),
        ("dhcp-end", "192.168.100.1", "dhcp", "starts after it ends"),
        ("dhcp-start", "192.168.100.1", "dhcp", "The gateway 192.168.100.1 is inside the range"),
        ("domain", "bad_domain!", "domain", "Not a DNS domain"),
    ],
)
async def test_bad_input_is_explained_next_to_its_field_and_never_reaches_libvirt(tmp_path, conn, field, text, box,
                                                                                  expected):
    before = names(conn)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        if field != "name":
            await type_into(pilot, form, "name", "vd-h6-bad")
        await type_into(pilot, form, field, text)
        if text:  # shown as it is typed
            assert expected in error_of(form, box)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen_name(app) == "NewNetworkScreen"  # no preview, nothing defined
        assert expected in error_of(form, box)
        assert names(conn) == before


async def test_mode_hides_fields_that_do_not_apply_and_checks_its_own(tmp_path, conn):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        await type_into(pilot, form, "name", "vd-h6-mode")
        form.query_one("#mode").value = "bridge"
        await pilot.pause()
        assert form.query_one("#subnet").parent.parent.has_class("hidden")
        assert not form.query_one("#host-bridge").has_class("hidden")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Enter a host interface" in error_of(form, "host-bridge")
        form.query_one("#mode").value = "macvtap"
        await pilot.pause()
        assert form.query_one("#host-bridge").has_class("hidden")
        await type_into(pilot, form, "iface", "eth 0")
        assert "Not a network interface name" in error_of(form, "iface")
        await type_into(pilot, form, "iface", "eth0")
        form.query_one("#macvtap-mode").value = "vepa"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen", what="the preview")
        assert "<forward mode=\"vepa\" dev=\"eth0\">" in app.screen.xml
        assert "<ip" not in app.screen.xml
        await pilot.press("y")
        await wait_for(pilot, lambda: "vd-h6-mode" in names(conn), what="the network defined")
        spec = parse_network_spec(conn.networkLookupByName("vd-h6-mode").XMLDesc(0))
        assert (spec.mode, spec.macvtap_mode, spec.forward_dev) == ("macvtap", "vepa", "eth0")


async def test_preview_then_define_an_odd_name_with_static_hosts_and_ipv6(tmp_path, conn):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        await type_into(pilot, form, "name", ODD)
        await type_into(pilot, form, "dhcp-start", "192.168.100.100")
        # static hosts: a bad entry is refused with its reason, a good one listed, then one removed
        await type_into(pilot, form, "host-mac", "01:00:00:00:00:01")
        await type_into(pilot, form, "host-ip", "192.168.100.10")
        form.query_one("#host-add").press()
        await pilot.pause()
        assert "multicast" in error_of(form, "host-entry")
        assert form.static_hosts == []
        entries = (("52:54:00:AA:00:01", "192.168.100.10", "web"), ("52:54:00:aa:00:02", "192.168.100.11", ""))
        for mac, ip, host in entries:
            await type_into(pilot, form, "host-mac", mac)
            await type_into(pilot, form, "host-ip", ip)
            await type_into(pilot, form, "host-name", host)
            form.query_one("#host-add").press()
            await pilot.pause()
        assert len(form.static_hosts) == 2
        await type_into(pilot, form, "host-mac", "52:54:00:aa:00:03")
        await type_into(pilot, form, "host-ip", "192.168.100.10")
        form.query_one("#host-add").press()
        await pilot.pause()
        assert "has a static entry already" in error_of(form, "host-entry")
        form.query_one("#hosts").highlighted = 1
        form.query_one("#hosts").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert [h.mac for h in form.static_hosts] == ["52:54:00:aa:00:01"]
        form.query_one("#ipv6-on").value = True
        await pilot.pause()
        assert form.query_one("#subnet6").value.endswith("::/64")
        await type_into(pilot, form, "subnet6", "fd00:66::/64")
        assert form.query_one("#gateway6").value == "fd00:66::1"
        await type_into(pilot, form, "domain", "lab.example")
        form.query_one("#autostart").value = True
        await pilot.pause()

        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen", what="the preview")
        preview = app.screen
        assert "&lt;&amp;&gt;" in preview.xml and 'mac="52:54:00:aa:00:01"' in preview.xml
        assert ODD not in names(conn)  # nothing defined before `y`
        await pilot.press("n")  # back to the form, still filled in
        await wait_for(pilot, lambda: screen_name(app) == "NewNetworkScreen")
        assert form.query_one("#name").value == ODD
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "NetworksScreen", what="the form closed")
        await wait_for(pilot, lambda: any(c.plain == ODD for c in column_cells(app.screen.table, "name")),
                       what="the new row, its name intact")

    net = conn.networkLookupByName(ODD)
    assert net.isActive() and net.autostart()
    spec = parse_network_spec(net.XMLDesc(0))
    assert spec.name == ODD and spec.mode == "nat" and spec.bridge == "virbr1" and spec.domain == "lab.example"
    assert (spec.ipv4.address, spec.ipv4.prefix, spec.ipv4.dhcp_start, spec.ipv4.dhcp_end) == (
        "192.168.100.1", 24, "192.168.100.100", "192.168.100.254")
    assert [(h.mac, h.ip, h.name) for h in spec.ipv4.hosts] == [("52:54:00:aa:00:01", "192.168.100.10", "web")]
    assert (spec.ipv6.address, spec.ipv6.prefix) == ("fd00:66::1", 64)


async def test_a_failed_start_undefines_the_network_and_says_why(tmp_path, conn, monkeypatch):
    def refuse(self):
        raise libvirt.libvirtError("error creating bridge interface virbr1: File exists")

    monkeypatch.setattr(libvirt.virNetwork, "create", refuse)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        await type_into(pilot, form, "name", "vd-h6-fail")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: "start failed" in str(form.query_one("#submit-error").render()),
                       what="the failure shown in the form")
        assert screen_name(app) == "NewNetworkScreen"  # the user can change the bridge and try again
        assert "File exists" in str(form.query_one("#submit-error").render())
        assert "vd-h6-fail" not in names(conn)


async def test_start_stop_autostart_delete_keys(tmp_path, conn):
    net = conn.networkDefineXML(build_network_xml(NetworkSpec(name=ODD, mode="isolated")))
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen.table.row_count == 2)
        table = app.screen.table
        table.move_cursor(row=table.get_row_index(next(k for k in table._cells if cell_text(table, k, "name") == ODD)))
        await pilot.pause()
        screen = app.screen
        assert screen.check_action("verb", ("stop",)) is None  # inactive: stop is dimmed
        await pilot.press("s")
        await wait_for(pilot, lambda: net.isActive(), what="started")
        await wait_for(pilot, lambda: screen.check_action("verb", ("stop",)) is True)
        await pilot.press("a")
        await wait_for(pilot, lambda: net.autostart() == 1, what="autostart on")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "DetailsScreen", what="details")
        facts = dict(app.screen.facts)
        # the test driver runs no DHCP server: its leases are what its running guests hold here (none)
        assert facts["DHCP leases"] == "none"
        await pilot.press("escape")
        await pilot.press("d")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="stop asks first")
        await pilot.press("n")
        await worker_drained(pilot, app)
        assert net.isActive()
        await pilot.press("d")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: not net.isActive(), what="stopped")
        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="delete asks first")
        await pilot.press("y")
        await wait_for(pilot, lambda: ODD not in names(conn), what="deleted")
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)


async def test_read_only_host_disables_every_network_key(tmp_path, conn):
    before = names(conn)
    app = make_app(tmp_path, "-c", "test:///default", "--read-only")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: screen_name(app) == "NetworksScreen" and app.screen.table.row_count == 1)
        screen = app.screen
        assert screen.check_action("new", ()) is None
        for verb in ("start", "stop", "autostart", "delete"):
            assert screen.check_action("verb", (verb,)) is None, verb
        await pilot.press("n")
        await pilot.press("D")
        await pilot.pause()
        assert screen_name(app) == "NetworksScreen"
        assert any("read-only" in n.message for n in app._notifications)
    assert names(conn) == before
    assert conn.networkLookupByName("default").isActive()


def test_differences_ignore_what_libvirt_normalises_and_name_the_rest():
    from tui.backend.ops.networks import network_differences
    from tui.backend.xml.network import DhcpHost, IpSpec

    asked = NetworkSpec(name=ODD, mode="nat", ipv4=IpSpec("10.1.0.1", 24, "10.1.0.2", "10.1.0.254",
                                                          (DhcpHost("52:54:00:AA:00:01", "10.1.0.9", "a"),)),
                        ipv6=IpSpec("fd00:0:0:1::1", 64))
    defined = NetworkSpec(name=ODD, mode="nat", bridge="virbr7", ipv4=IpSpec(
        "10.1.0.1", 24, "10.1.0.2", "10.1.0.254", (DhcpHost("52:54:00:aa:00:01", "10.1.0.9", "a"),)),
        ipv6=IpSpec("fd00:0:0:1:0:0:0:1", 64))
    assert network_differences(asked, defined) == ()  # a bridge libvirt picked, case, IPv6 spelling
    changed = NetworkSpec(name=ODD, mode="route", ipv4=IpSpec("10.1.0.1", 16))
    found = network_differences(asked, changed)
    assert any(d.startswith("mode:") for d in found) and any(d.startswith("IPv4:") for d in found)


async def test_a_difference_after_define_is_reported(tmp_path, conn, monkeypatch):
    from dataclasses import replace

    from tui.backend.ops import networks as ops

    real = ops.parse_network_spec
    monkeypatch.setattr(ops, "parse_network_spec", lambda xml: replace(real(xml), domain="other.example"))
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        await type_into(pilot, form, "name", "vd-h6-diff")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: any("differently" in str(n.message) and "other.example" in str(n.message)
                                          for n in app._notifications), what="the difference reported")
    assert "vd-h6-diff" in names(conn)
