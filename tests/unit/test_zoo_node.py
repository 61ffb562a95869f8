"""The zoo node file loads in libvirt's test driver as the tests expect it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt

from tests import zoo
from tui.backend import eventloop

eventloop.silence_libvirt_errors()


def test_every_object_loads_in_its_state_and_defines_again():
    conn = zoo.open_zoo_conn()
    try:
        domains = {d.name(): d for d in conn.listAllDomains()}
        assert {name: d.state()[0] for name, d in domains.items()} == zoo.STATES
        assert not domains[zoo.GUEST_TRANSIENT].isPersistent()
        assert domains[zoo.GUEST_SAVED].hasManagedSaveImage(0)
        nets = {n.name(): n for n in conn.listAllNetworks()}
        assert set(nets) == set(zoo.NETWORKS)
        assert [name for name, n in nets.items() if not n.isActive()] == [zoo.NETWORK_OFF]
        pools = {p.name(): p for p in conn.listAllStoragePools()}
        assert set(pools) == set(zoo.POOLS) and len(pools) == 15
        assert [name for name, p in pools.items() if not p.isActive()] == [zoo.POOL_OFF]
        # What libvirt says back defines again, unchanged in name.
        for name, dom in domains.items():
            if dom.isPersistent():
                assert conn.defineXML(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)).name() == name
        for name, net in nets.items():
            assert conn.networkDefineXML(net.XMLDesc(0)).name() == name
        for name, pool in pools.items():
            assert conn.storagePoolDefineXML(pool.XMLDesc(0)).name() == name
    finally:
        conn.close()


def test_guests_point_at_the_volumes_they_need():
    conn = zoo.open_zoo_conn()
    try:
        paths = {v.path() for p in conn.listAllStoragePools() if p.isActive() for v in p.listAllVolumes()}
        every = ET.fromstring(conn.lookupByName(zoo.GUEST_EVERY_DEVICE).XMLDesc(0))
        kernel = ET.fromstring(conn.lookupByName(zoo.GUEST_KERNEL_BOOT).XMLDesc(0))
        needed = {
            every.findtext("os/nvram"): zoo.VOLUME_NVRAM,
            every.findtext("os/loader"): zoo.VOLUME_LOADER,
            kernel.findtext("os/kernel"): zoo.VOLUME_KERNEL,
            kernel.findtext("os/initrd"): zoo.VOLUME_INITRD,
            kernel.findtext("os/dtb"): zoo.VOLUME_DTB,
        }
        assert {path: path.rsplit("/", 1)[1] for path in needed} == needed
        assert set(needed) <= paths
        assert f"/srv/p b/{zoo.VOLUME_ODD}" in {d.get("file") for d in every.iter("source")} & paths
        overlay = ET.fromstring(conn.storageVolLookupByPath(f"{zoo.IMAGES}/{zoo.VOLUME_OVERLAY}").XMLDesc(0))
        assert overlay.findtext("backingStore/path") == f"{zoo.IMAGES}/{zoo.VOLUME_BACKING}"
        orders = sorted(int(b.get("order")) for b in every.iter("boot") if b.get("order"))
        assert orders == [1, 2, 3, 6, 7, 9]
    finally:
        conn.close()
