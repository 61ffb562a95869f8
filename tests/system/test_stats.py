"""Live stats on real TCG guests: CPU, disk and network move when the guest works."""

from __future__ import annotations

import ipaddress
import subprocess
import time

import libvirt
import pytest

from tests import rpc_trace as rpc
from tests.app.conftest import wait_for
from tests.rpc_trace import RpcTrace
from tui.backend.xml.network import parse_network

from .conftest import Testbed, TinyGuest, wait_until  # noqa: F401  (types only)

BURNER = "vd-burner"
SYSTEM_SOCKET = "/run/libvirt/libvirt-sock"


DHCP_NET = "vd-dhcp"


@pytest.fixture(scope="module")
def dhcp_network(testbed: Testbed, tiny_guest: TinyGuest):
    """An isolated network with a DHCP range, next to the shared one."""
    used = ipaddress.ip_network(parse_network(testbed.virsh("net-dumpxml", tiny_guest.network)).ipv4_subnet)
    third = 254 if used.network_address.packed[2] != 254 else 253
    names = testbed.virsh("net-list", "--all", "--name").split()
    if DHCP_NET in names:
        testbed.virsh("net-destroy", DHCP_NET) if DHCP_NET in testbed.virsh("net-list", "--name").split() else None
        testbed.virsh("net-undefine", DHCP_NET)
    import xml.etree.ElementTree as ET

    net = ET.Element("network")
    ET.SubElement(net, "name").text = DHCP_NET
    ET.SubElement(net, "bridge", name="vddhcp0", stp="on", delay="0")
    ip = ET.SubElement(net, "ip", address=f"192.168.{third}.1", netmask="255.255.255.0")
    ET.SubElement(ET.SubElement(ip, "dhcp"), "range", start=f"192.168.{third}.100", end=f"192.168.{third}.150")
    path = testbed.state_dir / f"{DHCP_NET}.xml"
    path.write_text(ET.tostring(net, encoding="unicode"))
    testbed.virsh("net-define", str(path))
    testbed.virsh("net-start", DHCP_NET)
    yield DHCP_NET
    for args in (("net-destroy", DHCP_NET), ("net-undefine", DHCP_NET)):
        try:
            testbed.virsh(*args)
        except Exception:
            pass


@pytest.fixture(scope="module")
def burner(testbed: Testbed, dhcp_network: str):
    """A guest that burns one CPU, reads its disk, takes a DHCP lease and pings the host."""
    testbed.remove_domain(BURNER)
    subnet = ipaddress.ip_network(parse_network(testbed.virsh("net-dumpxml", dhcp_network)).ipv4_subnet)
    host_ip, guest_ip = subnet.network_address + 1, subnet.network_address + 77
    disk = testbed.kernel.rsplit("/", 1)[0] + f"/{BURNER}.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "64M"], check=True)
    cmdline = (f"console=ttyS0 loglevel=4 panic=-1 vd.burn=1 vd.diskread vd.dhcp "
               f"vd.ip={guest_ip}/{subnet.prefixlen} vd.ping={host_ip}")
    path = testbed.state_dir / f"{BURNER}.xml"
    path.write_text(testbed.guest_xml(BURNER, network=dhcp_network, cmdline=cmdline, disk=disk,
                                      serial_log=str(testbed.serial_log(BURNER))))
    testbed.serial_log(BURNER).unlink(missing_ok=True)
    testbed.virsh("define", str(path))
    testbed.virsh("start", BURNER)
    testbed.wait_for_serial(BURNER, "tiny login:", timeout=120)
    yield BURNER
    testbed.remove_domain(BURNER)
    subprocess.run(["rm", "-f", disk], check=False)


def app_for(tmp_path, *uris, refresh="1"):
    from tui.app import VirtdeckApp
    from tui.cli import settings_from

    config = tmp_path / "config.toml"
    config.write_text("resync = 86400\n", encoding="utf-8")
    argv = ["--config", str(config), "--refresh", refresh]
    for uri in uris:
        argv += ["-c", uri]
    return VirtdeckApp(settings_from(argv))


def stats_of(app, name):
    for key, guest in app.inventory.guests.items():
        if guest.name == name:
            return app.inventory.stats.get(key)
    return None


async def test_busy_guest_shows_high_cpu_within_two_ticks_and_idle_stays_low(
    tmp_path, testbed: Testbed, tiny_guest: TinyGuest, burner: str
):
    app = app_for(tmp_path, testbed.system_uri)
    with RpcTrace(tmp_path / "rpc.log") as trace:
        async with app.run_test(size=(200, 40)) as pilot:
            await wait_for(pilot, lambda: app.fleet.connections and app.fleet.connections[0].connected, timeout=20)
            await wait_for(pilot, lambda: (s := stats_of(app, burner)) is not None and s.cpu_percent is not None,
                           timeout=15, what="a CPU rate for the busy guest")
            # The first sync's bulk read, then ticks: the first has nothing to diff against, the second a rate.
            assert len(trace.calls([rpc.CONNECT_GET_ALL_DOMAIN_STATS], socket=SYSTEM_SOCKET)) <= 4
            busy = stats_of(app, burner)
            assert busy.cpu_percent > 50, busy
            assert busy.cpu_percent <= 100 * busy.vcpus
            idle = stats_of(app, tiny_guest.name)
            assert idle is not None and idle.cpu_percent is not None and idle.cpu_percent < 25, idle
            # Its DHCP lease gives the IP column, matched through the MAC in its XML.
            await wait_for(pilot, lambda: any(g.name == burner and app.inventory.addresses(*k)
                                              for k, g in app.inventory.guests.items()), timeout=40, what="a lease")
            ip_column = app.screen.table.column_keys.index("ip")
            row = next(c for c in app.screen.table._cells.values() if c[0].plain == burner)
            assert row[ip_column].plain.startswith("192.168.")
            # Disk and network counters move for the guest that reads and pings.
            await wait_for(pilot, lambda: (stats_of(app, burner).disk_read_bps or 0) > 0, timeout=15, what="disk reads")
            await wait_for(pilot, lambda: (stats_of(app, burner).net_tx_bps or 0) > 0, timeout=15, what="net tx")
            assert stats_of(app, burner).disks[0].name == "vda"
            # One bulk call per tick in steady state (the Guests view needs no host stats): between
            # three ticks libvirt was asked nothing else, but for the DHCP leases every 15th tick.
            window = await next_ticks(pilot, trace, 3)
            calls = trace.calls(socket=SYSTEM_SOCKET)
            between = calls[calls.index(window[0]):calls.index(window[-1])]
            others = [c.proc for c in between if c.proc != rpc.CONNECT_GET_ALL_DOMAIN_STATS]
            assert set(others) <= rpc.LEASE_READ, others
            # The table shows it: CPU % and a memory figure in the busy guest's row.
            row = next(c for c in app.screen.table._cells.values() if c[0].plain == burner)
            cpu_column = app.screen.table.column_keys.index("cpu")
            assert float(row[cpu_column].plain.rstrip("%")) > 50
            # Sorting by CPU puts the busy guest on top, top-like: highest first on the first press.
            while app.screen.table.sort_column != "cpu":
                await pilot.press("o")
            assert app.screen.table.get_row_at(0)[0].plain == burner
            # The detail pane draws the history.
            app.screen.table.move_cursor(row=0)
            await pilot.press("enter")
            await wait_for(pilot, lambda: len(app.history.guests[next(k for k, g in app.inventory.guests.items()
                                                                       if g.name == burner)].series["cpu"]) >= 3,
                           timeout=10, what="three points of CPU history")
            await wait_for(pilot, lambda: "max" in app.screen.query_one("#head-cpu").render().plain)
            # With the pane open the tick adds the per-vCPU group.
            await wait_for(pilot, lambda: stats_of(app, burner).vcpu_percent[:1] not in ((), (None,)),
                           timeout=10, what="a per-vCPU rate")
            assert stats_of(app, burner).vcpu_percent[0] > 50



async def test_stopped_libvirtd_does_not_delay_the_other_hosts_ticks(
    tmp_path, testbed: Testbed, tiny_guest: TinyGuest
):
    """The other host is the test bed's second libvirtd (a real daemon, so its ticks
    show in libvirt's trace). On the Hosts view every host is sampled each tick (on the
    Guests view a host none of whose guests is on screen is sampled every 5 s)."""
    second = testbed.env["TESTBED_SECOND_URI"]
    second_socket = second.split("socket=", 1)[1]
    app = app_for(tmp_path, testbed.system_uri, second)
    with RpcTrace(tmp_path / "rpc.log") as trace:

        def ticks(socket: str) -> list:
            return trace.calls([rpc.CONNECT_GET_ALL_DOMAIN_STATS], socket=socket)

        async with app.run_test(size=(200, 40)) as pilot:
            await pilot.press("4")
            await wait_for(pilot, lambda: len(ticks(SYSTEM_SOCKET)) >= 2 and len(ticks(second_socket)) >= 2,
                           timeout=20, what="bulk stats calls to both hosts")
            testbed.sigstop_libvirtd()
            try:
                stopped_at = time.time()
                start = len(ticks(second_socket))
                await wait_for(pilot, lambda: len(ticks(second_socket)) >= start + 3, timeout=10,
                               what="three ticks of the other host")
            finally:
                testbed.sigcont_libvirtd()
    third = ticks(second_socket)[start + 2]
    elapsed = third.at - stopped_at
    assert elapsed < 6, f"3 ticks at 1 s took {elapsed:.1f} s"


async def next_ticks(pilot, trace: RpcTrace, count: int) -> list:
    """The next `count` bulk stats calls to the system libvirtd, once all were sent."""
    start = len(trace.calls([rpc.CONNECT_GET_ALL_DOMAIN_STATS], socket=SYSTEM_SOCKET))
    await wait_for(pilot, lambda: len(trace.calls([rpc.CONNECT_GET_ALL_DOMAIN_STATS], socket=SYSTEM_SOCKET))
                   >= start + count, timeout=count * 5, what=f"{count} more ticks")
    return trace.calls([rpc.CONNECT_GET_ALL_DOMAIN_STATS], socket=SYSTEM_SOCKET)[start:start + count]


def test_export_of_guests_carries_the_addresses_libvirt_leased(tmp_path, testbed: Testbed, burner: str):
    """`virtdeck --export guests` waits for the leases and the running guests' NICs, so the IP
    column holds what `virsh domifaddr --source lease` says."""
    import json
    import sys

    def leased() -> list[str]:
        out = testbed.virsh("domifaddr", burner, "--source", "lease")
        return [line.split()[3].split("/")[0] for line in out.splitlines() if "ipv4" in line]

    wait_until(leased, timeout=60, interval=0.5, what="the burner's DHCP lease")
    done = subprocess.run(
        [sys.executable, "-m", "tui", "--config", str(tmp_path / "config.toml"), "--export", "guests",
         "--format", "json", "--no-stats", "--connect", testbed.system_uri],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, start_new_session=True)
    assert done.returncode == 0, done.stderr
    row = next(row for row in json.loads(done.stdout)["rows"] if row["name"] == burner)
    assert set(leased()) <= set(row["ip"]), (leased(), row["ip"])
