"""What libvirt's test driver (test:///, the demo host) cannot say, read from what it does hold.

The test driver answers `blockInfo` with a constant 1 TiB, has no DHCP leases
(`virNetworkGetDHCPLeases` is not supported) and answers `interfaceAddresses`
from every source alike. So that its views agree with each other, a test-driver
guest's disk sizes come from its pool volume, and its DHCP leases are the
addresses the driver gives the guest's NICs on active networks that run DHCP.
"""

from __future__ import annotations

import ipaddress
import time
import xml.etree.ElementTree as ET

import libvirt

LEASE_SECONDS = 3600


def is_test_domain(xml_root: ET.Element) -> bool:
    return xml_root.get("type") == "test"


def is_test_uri(uri: str) -> bool:
    """The in-process test driver. Served by libvirtd (`test+unix://`), a host is read
    like any remote one: its missing DHCP leases are not made up call by call."""
    return uri.startswith("test:")


def _dhcp_subnets(net_xml: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    subnets = []
    for ip in ET.fromstring(net_xml).findall("ip"):
        if ip.find("dhcp") is None or not ip.get("address"):
            continue
        prefix = ip.get("prefix") or ip.get("netmask") or ("64" if ":" in ip.get("address", "") else "24")
        try:
            subnets.append(ipaddress.ip_network(f"{ip.get('address')}/{prefix}", strict=False))
        except ValueError:
            continue
    return subnets


def _nics_by_network(dom_xml: str) -> dict[str, set[str]]:
    """Network name -> MACs of a domain's interfaces on it."""
    nics: dict[str, set[str]] = {}
    for iface in ET.fromstring(dom_xml).findall("devices/interface"):
        source, mac = iface.find("source"), iface.find("mac")
        if source is not None and source.get("network") and mac is not None and mac.get("address"):
            nics.setdefault(source.get("network"), set()).add(mac.get("address").lower())
    return nics


# (connection, domain UUID, domain id) -> its NICs by network. A running
# domain's interfaces only change with a new id (or a hot-plug, which the
# demo and the tests never do to a lease holder), so the XML is read once per
# run of the domain and not on every lease read of every host.
_NICS: dict[tuple[str, str, int], dict[str, set[str]]] = {}


def _domain_nics(uri: str, dom: libvirt.virDomain) -> dict[str, set[str]]:
    key = (uri, dom.UUIDString(), dom.ID())
    nics = _NICS.get(key)
    if nics is None:
        if len(_NICS) > 50_000:
            _NICS.clear()
        nics = _NICS[key] = _nics_by_network(dom.XMLDesc(0))
    return nics


def _leases(conn: libvirt.virConnect, nets: list[libvirt.virNetwork]) -> list[dict]:
    """What DHCP servers on `nets` would answer, read in one pass over the running domains."""
    served = {}
    for net in nets:
        if net.isActive():
            subnets = _dhcp_subnets(net.XMLDesc(0))
            if subnets:
                served[net.name()] = (subnets, _bridge(net))
    if not served:
        return []
    expires = (int(time.time()) // LEASE_SECONDS + 1) * LEASE_SECONDS
    found = []
    uri = conn.getURI()
    for dom in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
        wanted = {mac: served[name] for name, macs in _domain_nics(uri, dom).items() if name in served
                  for mac in macs}
        if not wanted:
            continue
        try:
            answer = dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, 0) or {}
        except libvirt.libvirtError:
            continue
        for iface in answer.values():
            mac = (iface.get("hwaddr") or "").lower()
            if mac not in wanted:
                continue
            subnets, bridge = wanted[mac]
            for addr in iface.get("addrs") or ():
                try:
                    inside = any(ipaddress.ip_address(addr.get("addr", "")) in subnet for subnet in subnets)
                except ValueError:
                    inside = False
                if inside:
                    found.append({"iface": bridge, "expirytime": expires,
                                  "type": addr.get("type", 0), "mac": mac, "ipaddr": addr["addr"],
                                  "prefix": addr.get("prefix"), "hostname": dom.name(), "clientid": None,
                                  "iaid": None})
    return found


def dhcp_leases(conn: libvirt.virConnect, net: libvirt.virNetwork) -> list[dict]:
    """`net.DHCPLeases()` as a DHCP server on this network would answer it."""
    return _leases(conn, [net])


def _bridge(net: libvirt.virNetwork) -> str:
    try:
        return net.bridgeName() or ""
    except libvirt.libvirtError:
        return ""


def lease_addresses(conn: libvirt.virConnect, with_prefix: bool = False) -> dict[str, list[str]]:
    """MAC -> the addresses of every active network's leases ("addr/prefix" with `with_prefix`)."""
    found: dict[str, list[str]] = {}
    for lease in _leases(conn, conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE)):
        address = lease["ipaddr"]
        if with_prefix and lease.get("prefix") is not None:
            address = f"{address}/{lease['prefix']}"
        found.setdefault(lease["mac"], []).append(address)
    return found


def volume_sizes(conn: libvirt.virConnect, path: str | None) -> tuple[int, int] | None:
    """(capacity, allocation) of the pool volume at `path`, or None when no pool holds it."""
    if not path:
        return None
    try:
        _type, capacity, allocation = conn.storageVolLookupByPath(path).info()
    except libvirt.libvirtError:
        return None
    return capacity, allocation
