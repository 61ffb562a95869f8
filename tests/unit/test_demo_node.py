"""The shipped demo host loads in libvirt's test driver and shows what the
screens need: every guest state, several network modes, pools with volumes
and a guest whose name is hostile to naive code."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import libvirt
import pytest

from tui.backend.xml.domain import parse_domain
from tui.backend.xml.network import parse_network
from tui.backend.xml.pool import parse_pool
from tui.backend.xml.volume import parse_volume

DEMO_NODE = Path(__file__).resolve().parents[2] / "tui" / "demo" / "node.xml"
ODD_NAME = "lab [bold] [test] <&> 'q' \"é\" ü"

libvirt.registerErrorHandler(lambda *a: None, None)


@pytest.fixture(scope="module")
def conn():
    c = libvirt.open("test://" + str(DEMO_NODE))
    yield c
    c.close()


def test_guest_states(conn) -> None:
    states = Counter(d.state()[0] for d in conn.listAllDomains())
    assert states[libvirt.VIR_DOMAIN_RUNNING] >= 2
    assert states[libvirt.VIR_DOMAIN_PAUSED] >= 1
    assert states[libvirt.VIR_DOMAIN_SHUTOFF] >= 2
    assert sum(states.values()) >= 8


def test_guest_shapes_vary(conn) -> None:
    infos = [parse_domain(d.XMLDesc()) for d in conn.listAllDomains()]
    vcpus = {i.vcpus for i in infos}
    memory = {i.memory_kib for i in infos}
    assert min(vcpus) == 1 and max(vcpus) == 8
    assert min(memory) == 512 * 1024 and max(memory) == 16 * 1024 * 1024


def test_managed_save_and_transient(conn) -> None:
    assert conn.lookupByName("win11-desktop").hasManagedSaveImage()
    assert not conn.lookupByName("ci-runner-01").isPersistent()


def test_odd_name_round_trips(conn) -> None:
    dom = conn.lookupByName(ODD_NAME)
    assert dom.name() == ODD_NAME
    assert parse_domain(dom.XMLDesc()).name == ODD_NAME
    assert ODD_NAME in [d.name() for d in conn.listAllDomains()]
    assert conn.lookupByUUIDString(dom.UUIDString()).name() == ODD_NAME


def test_network_modes(conn) -> None:
    modes = {n.name(): parse_network(n.XMLDesc()).mode for n in conn.listAllNetworks()}
    assert modes == {
        "default": "nat",
        "dmz": "routed",
        "storage-backend": "isolated",
        "lab-open": "open",
        "host-bridge": "bridge",
        "direct-eth1": "macvtap",
    }
    default = parse_network(conn.networkLookupByName("default").XMLDesc())
    assert default.bridge == "virbr0"
    assert default.ipv4_subnet == "192.168.122.0/24"
    assert default.dhcp_range == "192.168.122.2 - 192.168.122.254"


def test_pools_and_volumes(conn) -> None:
    pools = {p.name(): p for p in conn.listAllStoragePools()}
    assert set(pools) == {"default", "iso"}
    assert parse_pool(pools["default"].XMLDesc()).target_path == "/var/lib/libvirt/images"
    for pool in pools.values():
        assert len(pool.listAllVolumes()) >= 3
    formats = {parse_volume(v.XMLDesc()).format for v in pools["default"].listAllVolumes()}
    assert {"qcow2", "raw"} <= formats
    isos = [parse_volume(v.XMLDesc()) for v in pools["iso"].listAllVolumes()]
    assert all(v.format == "iso" for v in isos)
    web02 = parse_volume(pools["default"].storageVolLookupByName("web-02.qcow2").XMLDesc())
    assert web02.path == "/var/lib/libvirt/images/web-02.qcow2"
    assert web02.backing_path == "/var/lib/libvirt/images/debian-12-base.qcow2"
    # the default pool is nearly full (the test driver fixes capacity at 100 GiB)
    _state, capacity, allocation, _available = pools["default"].info()
    assert allocation / capacity > 0.85


def test_the_demo_host_agrees_with_itself(conn) -> None:
    """What the views read from the test driver: leases only on DHCP networks, disk sizes from
    the pool volumes, a pool with room for a copy of mail-relay (the README's clone) and for no
    copy of db-replica."""
    from tui.backend import test_driver
    from tui.backend.ops import guest_info
    from tui.demo import prepare

    facts = prepare(conn)
    assert facts["hostname"] == "demo-node" and facts["arch"] == "x86_64"
    leases = test_driver.lease_addresses(conn)
    web01 = conn.lookupByName("web-01")
    assert leases["52:54:00:a1:00:01"] == [web01.interfaceAddresses(0, 0)["testnet0"]["addrs"][0]["addr"]]
    assert "52:54:00:b2:00:03" not in leases  # db-primary's NIC on storage-backend: no DHCP there
    sizes = {d.device.target: (d.capacity, d.allocation)
             for d in guest_info.read_disks(conn, conn.lookupByName("db-primary").UUIDString())}
    assert sizes == {"vda": (40 << 30, 12 << 30), "vdb": (40 << 30, 40 << 30)}
    _state, _capacity, _allocation, available = conn.storagePoolLookupByName("default").info()
    mail = conn.storagePoolLookupByName("default").storageVolLookupByName("mail-relay.qcow2").info()[1]
    replica = conn.storagePoolLookupByName("default").storageVolLookupByName("db-replica.qcow2").info()[1]
    assert mail <= available < replica
