"""Virtual network verbs: what a new network may not collide with, creating one
(with rollback), start, stop, autostart, delete and DHCP leases.

Every function here runs on a connection's worker thread.
"""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import libvirt

from .. import inventory_reader as reader, test_driver
from ..errors import error_text
from ..model import Network, NetworkRemoved
from ..xml.network import IpSpec, NetworkSpec, build_network_xml, parse_network_spec
from .common import Created, StepFailed, inactive_xml, network_of

SYS_NET = Path("/sys/class/net")
PROC_ROUTE = Path("/proc/net/route")


@dataclass(frozen=True)
class OtherNetwork:
    name: str
    bridge: str | None
    subnets: tuple[str, ...]  # every <ip>, IPv4 and IPv6, as CIDR


@dataclass(frozen=True)
class NetworkFacts:
    """What a new network on one host must not collide with."""

    networks: tuple[OtherNetwork, ...] = ()
    interfaces: tuple[str, ...] = ()  # host network interfaces, where known
    bridges: tuple[str, ...] = ()  # which of them are bridges, where known
    routes: tuple[tuple[str, str], ...] = ()  # (subnet, device) of the host's IPv4 routes, local hosts only
    local: bool = False

    @property
    def used_bridges(self) -> set[str]:
        return {n.bridge for n in self.networks if n.bridge} | set(self.interfaces)


def _subnets(root: ET.Element) -> tuple[str, ...]:
    found = []
    for ip in root.findall("ip"):
        try:
            spec_prefix = ip.get("prefix") or ip.get("netmask")
            address = ip.get("address") or ""
            if not spec_prefix:
                spec_prefix = "64" if ":" in address else "24"
            found.append(str(ipaddress.ip_network(f"{address}/{spec_prefix}", strict=False)))
        except ValueError:
            continue
    return tuple(found)


def _local_interfaces() -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        names = sorted(p.name for p in SYS_NET.iterdir())
    except OSError:
        return (), ()
    return tuple(names), tuple(n for n in names if (SYS_NET / n / "bridge").is_dir())


def _local_routes() -> tuple[tuple[str, str], ...]:
    routes = []
    try:
        lines = PROC_ROUTE.read_text().splitlines()[1:]
    except OSError:
        return ()
    for line in lines:
        cols = line.split()
        if len(cols) < 8:
            continue
        dest = ipaddress.IPv4Address(int(cols[1], 16).to_bytes(4, "little"))
        mask = ipaddress.IPv4Address(int(cols[7], 16).to_bytes(4, "little"))
        if int(mask):  # not the default route
            routes.append((str(ipaddress.IPv4Network(f"{dest}/{mask}", strict=False)), cols[0]))
    return tuple(routes)


def _nodedev_interfaces(conn: libvirt.virConnect) -> tuple[str, ...]:
    try:
        devices = conn.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET)
    except libvirt.libvirtError:
        return ()
    names = []
    for dev in devices:
        try:
            name = ET.fromstring(dev.XMLDesc(0)).findtext("capability/interface")
        except (libvirt.libvirtError, ET.ParseError):
            continue
        if name:
            names.append(name)
    return tuple(sorted(names))


def read_facts(conn: libvirt.virConnect, local: bool) -> NetworkFacts:
    networks = []
    for net in conn.listAllNetworks(0):
        try:
            root = ET.fromstring(net.XMLDesc(0))
        except (libvirt.libvirtError, ET.ParseError):
            continue
        bridge = root.find("bridge")
        networks.append(OtherNetwork(net.name(), bridge.get("name") if bridge is not None else None, _subnets(root)))
    if local:
        interfaces, bridges = _local_interfaces()
        routes = _local_routes()
    else:
        interfaces, bridges, routes = _nodedev_interfaces(conn), (), ()
    # A libvirt network's own bridge has a route for its subnet: that overlap is the network's, not a route's.
    own = {n.bridge for n in networks if n.bridge}
    routes = tuple(r for r in routes if r[1] not in own)
    return NetworkFacts(tuple(networks), interfaces, bridges, routes, local)


def free_bridge_name(used: set[str]) -> str:
    n = 0
    while f"virbr{n}" in used:
        n += 1
    return f"virbr{n}"


# -- create -----------------------------------------------------------------


def _norm_ip(ip: IpSpec | None) -> tuple | None:
    if ip is None:
        return None

    def addr(text: str | None) -> str | None:
        try:
            return str(ipaddress.ip_address(text)) if text else None
        except ValueError:
            return text

    hosts = sorted((h.mac.lower() if h.mac else "", addr(h.ip), h.name or "") for h in ip.hosts)
    return (addr(ip.address), ip.prefix, addr(ip.dhcp_start), addr(ip.dhcp_end), tuple(hosts))


def network_differences(asked: NetworkSpec, defined: NetworkSpec) -> tuple[str, ...]:
    """What libvirt defined differently; a bridge libvirt picked itself is no difference."""
    found = []
    pairs = [
        ("name", asked.name, defined.name),
        ("mode", asked.mode, defined.mode),
        ("IPv4", _norm_ip(asked.ipv4), _norm_ip(defined.ipv4)),
        ("IPv6", _norm_ip(asked.ipv6), _norm_ip(defined.ipv6)),
        ("domain", asked.domain, defined.domain),
    ]
    if asked.bridge:
        pairs.append(("bridge", asked.bridge, defined.bridge))
    if asked.mode == "macvtap":
        pairs += [("interface", asked.forward_dev, defined.forward_dev),
                  ("macvtap mode", asked.macvtap_mode, defined.macvtap_mode)]
    for label, want, got in pairs:
        if want != got:
            found.append(f"{label}: asked {want!r}, defined {got!r}")
    return tuple(found)


def create(conn: libvirt.virConnect, conn_id: str, spec: NetworkSpec, start: bool, autostart: bool,
           xml: str | None = None) -> Created:
    """Define the network (``xml``, the one the user saw, else built from ``spec``),
    then start it and set autostart as asked. If a later step fails the network
    is stopped and undefined again; StepFailed says why."""
    xml = xml or build_network_xml(spec)
    net = conn.networkDefineXML(xml)
    step = "define"
    try:
        if start:
            step = "start"
            net.create()
        if autostart:
            step = "autostart"
            net.setAutostart(1)
        step = "read back"
        defined = inactive_xml(net, libvirt.VIR_NETWORK_XML_INACTIVE)
    except libvirt.libvirtError as exc:
        raise StepFailed(step, error_text(exc), _undo(net)) from exc
    differences = network_differences(spec, parse_network_spec(defined))
    uuid = net.UUIDString()
    return Created(net.name(), uuid, defined, differences, _changed(conn, conn_id, uuid))


def _undo(net: libvirt.virNetwork) -> tuple[str, ...]:
    left = []
    try:
        if net.isActive():
            net.destroy()
    except libvirt.libvirtError as exc:
        left.append(f"could not stop it: {error_text(exc)}")
    try:
        net.undefine()
    except libvirt.libvirtError as exc:
        left.append(f"could not undefine it: {error_text(exc)}")
    return tuple(left)


# -- verbs on an existing network ---------------------------------------------

VERBS = ("start", "stop", "autostart", "delete")


def why_not(verb: str, net: Network) -> str | None:
    if verb == "start":
        return None if not net.active else f"{net.name} is active already"
    if verb == "stop":
        return None if net.active else f"{net.name} is not active"
    if verb == "autostart":
        return None if net.persistent else f"{net.name} is transient: only a defined network autostarts"
    return None


def _changed(conn: libvirt.virConnect, conn_id: str, uuid: str):
    return reader.read_network(conn, conn_id, uuid) or NetworkRemoved(conn_id, uuid)


def start(conn: libvirt.virConnect, conn_id: str, uuid: str):
    network_of(conn, uuid).create()
    return _changed(conn, conn_id, uuid)


def stop(conn: libvirt.virConnect, conn_id: str, uuid: str):
    network_of(conn, uuid).destroy()
    return _changed(conn, conn_id, uuid)


def set_autostart(conn: libvirt.virConnect, conn_id: str, uuid: str, on: bool):
    network_of(conn, uuid).setAutostart(1 if on else 0)
    return _changed(conn, conn_id, uuid)


def delete(conn: libvirt.virConnect, conn_id: str, uuid: str):
    """Stop the network if it runs, then undefine it."""
    net = network_of(conn, uuid)
    if net.isActive():
        net.destroy()
    if net.isPersistent():
        net.undefine()
    return NetworkRemoved(conn_id, uuid)


@dataclass(frozen=True)
class Lease:
    ip: str
    mac: str
    hostname: str
    expires: int  # seconds since the epoch, 0 when unknown


def leases(conn: libvirt.virConnect, uuid: str) -> tuple[Lease, ...]:
    """The network's DHCP leases; an inactive network has none (no call made)."""
    net = network_of(conn, uuid)
    if not net.isActive():
        return ()
    try:
        answer = net.DHCPLeases()
    except libvirt.libvirtError as exc:
        if exc.get_error_code() != libvirt.VIR_ERR_NO_SUPPORT or conn.getType().lower() != "test":
            raise
        answer = test_driver.dhcp_leases(conn, net)
    found = []
    for lease in answer:
        prefix = lease.get("prefix")
        ip = lease.get("ipaddr") or ""
        found.append(Lease(f"{ip}/{prefix}" if ip and prefix is not None else ip, lease.get("mac") or "",
                           lease.get("hostname") or "", int(lease.get("expirytime") or 0)))
    return tuple(found)
