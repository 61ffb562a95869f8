"""Parse libvirt network XML into what the Networks view shows, and build it."""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from . import parse

# <forward mode=...> values that libvirt implements with macvtap (direct)
# devices.  'bridge' is one of them when the network names host interfaces
# instead of a host bridge.
_MACVTAP_MODES = frozenset({"private", "vepa", "passthrough"})
_SIMPLE_MODES = {"nat": "nat", "route": "routed", "open": "open", "hostdev": "hostdev"}


@dataclass(frozen=True)
class NetworkInfo:
    mode: str
    bridge: str | None
    ipv4_subnet: str | None
    dhcp_range: str | None
    forward_dev: str | None


def _forward_devices(forward: ET.Element) -> list[str]:
    """Host devices named by <forward dev=>, <interface dev=> and <pf dev=>,
    in document order without repeats (libvirt writes the first interface
    both as forward@dev and as an <interface>)."""
    devs: list[str] = []
    candidates = [forward.get("dev")]
    candidates += [el.get("dev") for el in forward.findall("interface")]
    candidates += [el.get("dev") for el in forward.findall("pf")]
    for dev in candidates:
        if dev and dev not in devs:
            devs.append(dev)
    return devs


def _default_prefix(address: ipaddress.IPv4Address) -> int | None:
    """libvirt's fallback when an IPv4 <ip> has neither netmask nor prefix:
    the classful network of the address."""
    first = int(address) >> 24
    if first < 128:
        return 8
    if first < 192:
        return 16
    if first < 224:
        return 24
    return None


def _ipv4_subnet(ip: ET.Element) -> str | None:
    address = ip.get("address")
    if not address:
        return None
    try:
        addr = ipaddress.IPv4Address(address.strip())
        netmask = ip.get("netmask")
        prefix = ip.get("prefix")
        if netmask:
            iface = ipaddress.IPv4Interface(f"{addr}/{netmask.strip()}")
        elif prefix:
            iface = ipaddress.IPv4Interface(f"{addr}/{int(prefix)}")
        else:
            default = _default_prefix(addr)
            if default is None:
                return None
            iface = ipaddress.IPv4Interface(f"{addr}/{default}")
    except ValueError:
        # An address libvirt would not accept either: show no subnet rather
        # than fail the whole row.
        return None
    return str(iface.network)


def _first_ipv4(root: ET.Element) -> ET.Element | None:
    for ip in root.findall("ip"):
        family = ip.get("family")
        if family == "ipv4":
            return ip
        if family is None:
            address = ip.get("address") or ""
            if ":" not in address:  # not an IPv6 literal
                return ip
    return None


def _dhcp_range(root: ET.Element, ipv4: ET.Element | None) -> str | None:
    rng = ipv4.find("dhcp/range") if ipv4 is not None else None
    if rng is None:
        rng = root.find("ip/dhcp/range")
    if rng is None:
        return None
    start, end = rng.get("start"), rng.get("end")
    if not start or not end:
        return None
    return f"{start} - {end}"


def _mode(forward: ET.Element | None, bridge: str | None, devs: list[str]) -> str:
    if forward is None:
        return "isolated"
    # <forward/> without a mode means NAT.
    mode = forward.get("mode") or "nat"
    if mode in _SIMPLE_MODES:
        return _SIMPLE_MODES[mode]
    if mode == "bridge":
        if bridge:
            return "bridge"
        return "macvtap" if devs else "bridge"
    if mode in _MACVTAP_MODES:
        return "macvtap"
    return mode


def parse_network(xml: str | bytes) -> NetworkInfo:
    """Summarise a <network> document.

    ``bridge`` is the <bridge name=> of the network (the host bridge for
    bridge mode, libvirt's own virbrN otherwise), None for macvtap/hostdev
    networks. ``forward_dev`` lists the host devices named in <forward>
    (joined with ","), whatever the mode, or None.
    """
    root = parse.root(xml, "network")
    forward = root.find("forward")
    bridge_el = root.find("bridge")
    bridge = (bridge_el.get("name") or None) if bridge_el is not None else None
    devs = _forward_devices(forward) if forward is not None else []
    mode = _mode(forward, bridge, devs)
    if mode in ("macvtap", "hostdev"):
        bridge = None
    ipv4 = _first_ipv4(root)
    return NetworkInfo(
        mode=mode,
        bridge=bridge,
        ipv4_subnet=_ipv4_subnet(ipv4) if ipv4 is not None else None,
        dhcp_range=_dhcp_range(root, ipv4),
        forward_dev=",".join(devs) if devs else None,
    )


@dataclass(frozen=True)
class IpBlock:
    """One <ip> of a network: its family, subnet, the host's address on it and its DHCP range."""

    family: str  # ipv4 / ipv6
    subnet: str | None  # 192.168.122.0/24, 2001:db8::/64
    address: str | None  # the host's (gateway) address
    dhcp_range: str | None  # "start - end"


@dataclass(frozen=True)
class StaticHost:
    """A fixed address: a DHCP <host> of an <ip>, or a DNS <host> of <dns>."""

    ip: str
    names: tuple[str, ...] = ()
    mac: str | None = None
    kind: str = "dhcp"  # dhcp / dns


@dataclass(frozen=True)
class PortGroup:
    name: str
    default: bool = False
    vlan: str | None = None  # "49", "49,50 (trunk)"
    bandwidth: str | None = None  # "in 1000 KiB/s, out 1000 KiB/s" (average)


@dataclass(frozen=True)
class NetworkDetails:
    """Everything a network's XML says that the Networks view and its details show."""

    ips: tuple[IpBlock, ...] = ()
    static_hosts: tuple[StaticHost, ...] = ()
    domain: str | None = None
    portgroups: tuple[PortGroup, ...] = ()
    forward_devs: tuple[str, ...] = ()
    nat_range: str | None = None  # the addresses NAT may use, "start - end"

    def first(self, family: str) -> IpBlock | None:
        return next((ip for ip in self.ips if ip.family == family), None)


def _family(ip: ET.Element) -> str:
    return ip.get("family") or ("ipv6" if ":" in (ip.get("address") or "") else "ipv4")


def _subnet(ip: ET.Element, family: str) -> str | None:
    if family == "ipv4":
        return _ipv4_subnet(ip)
    try:
        return str(ipaddress.IPv6Interface(f"{(ip.get('address') or '').strip()}/{int(ip.get('prefix') or 64)}").network)
    except ValueError:
        return None


def _range_text(rng: ET.Element | None) -> str | None:
    if rng is None or not rng.get("start") or not rng.get("end"):
        return None
    return f"{rng.get('start')} - {rng.get('end')}"


def _vlan(el: ET.Element) -> str | None:
    tags = [t.get("id") for t in el.findall("vlan/tag") if t.get("id")]
    if not tags:
        return None
    trunk = el.find("vlan") is not None and el.find("vlan").get("trunk") == "yes"
    return ",".join(tags) + (" (trunk)" if trunk or len(tags) > 1 else "")


def _bandwidth(el: ET.Element) -> str | None:
    parts = []
    for way, word in (("inbound", "in"), ("outbound", "out")):
        limit = el.find(f"bandwidth/{way}")
        if limit is not None and limit.get("average"):
            parts.append(f"{word} {limit.get('average')} KiB/s")
    return ", ".join(parts) or None


def parse_network_details(xml: str | bytes) -> NetworkDetails:
    """Every <ip> (IPv4 and IPv6) with its DHCP range, static hosts (DHCP and DNS), the DNS
    domain, port groups, the devices <forward> names and NAT's address range."""
    root = parse.root(xml, "network")
    ips, hosts = [], []
    for ip in root.findall("ip"):
        family = _family(ip)
        ips.append(IpBlock(family, _subnet(ip, family), ip.get("address"), _range_text(ip.find("dhcp/range"))))
        for host in ip.findall("dhcp/host"):
            if host.get("ip"):
                hosts.append(StaticHost(host.get("ip"), (host.get("name"),) if host.get("name") else (),
                                        (host.get("mac") or "").lower() or None, "dhcp"))
    for host in root.findall("dns/host"):
        if host.get("ip"):
            names = tuple(name.text for name in host.findall("hostname") if name.text)
            hosts.append(StaticHost(host.get("ip"), names, None, "dns"))
    forward = root.find("forward")
    domain = root.find("domain")
    return NetworkDetails(
        ips=tuple(ips),
        static_hosts=tuple(hosts),
        domain=domain.get("name") if domain is not None else None,
        portgroups=tuple(PortGroup(pg.get("name") or "?", pg.get("default") == "yes", _vlan(pg), _bandwidth(pg))
                         for pg in root.findall("portgroup")),
        forward_devs=tuple(_forward_devices(forward)) if forward is not None else (),
        nat_range=_range_text(forward.find("nat/address")) if forward is not None else None,
    )


# ---------------------------------------------------------------------------
# building

NETWORK_MODES = ("nat", "route", "isolated", "open", "bridge", "macvtap")
MACVTAP_MODES = ("bridge", "vepa", "private", "passthrough")


@dataclass(frozen=True)
class DhcpHost:
    mac: str
    ip: str
    name: str | None = None


@dataclass(frozen=True)
class IpSpec:
    """One <ip> of a network: the host's address on it (the gateway), the
    prefix, an optional DHCP range and static hosts."""

    address: str
    prefix: int
    dhcp_start: str | None = None
    dhcp_end: str | None = None
    hosts: tuple[DhcpHost, ...] = ()


@dataclass(frozen=True)
class NetworkSpec:
    """What the new-network form asks for.

    ``mode`` is one of NETWORK_MODES. nat/route/isolated/open get a libvirt
    bridge (``bridge``, or libvirt picks virbrN) and the IP settings; nat and
    route may name a host ``forward_dev``. bridge uses an existing host
    bridge (``bridge``) and has no IP settings. macvtap attaches guests
    straight to ``forward_dev`` in ``macvtap_mode`` (bridge, vepa, private,
    passthrough).
    """

    name: str
    mode: str = "nat"
    bridge: str | None = None
    forward_dev: str | None = None
    macvtap_mode: str = "bridge"
    ipv4: IpSpec | None = None
    ipv6: IpSpec | None = None
    domain: str | None = None


def network_spec_problems(spec: NetworkSpec) -> tuple[str, ...]:
    """Choices that do not go together, in words for the form."""
    problems = []
    if spec.mode not in NETWORK_MODES:
        problems.append(f"Mode is one of {', '.join(NETWORK_MODES)}")
    if spec.mode == "macvtap":
        if not spec.forward_dev:
            problems.append("A macvtap network needs a host interface")
        if spec.macvtap_mode not in MACVTAP_MODES:
            problems.append(f"macvtap mode is one of {', '.join(MACVTAP_MODES)}")
    if spec.mode == "bridge" and not spec.bridge:
        problems.append("A bridge network needs an existing host bridge")
    if spec.mode in ("nat", "route", "open") and not (spec.ipv4 or spec.ipv6):
        problems.append(f"A {spec.mode} network needs an IPv4 or IPv6 address")
    if spec.ipv6 and any(not h.name for h in spec.ipv6.hosts):
        problems.append("An IPv6 static host needs a name (DHCPv6 does not match MACs)")
    return tuple(problems)


def _build_ip(parent: ET.Element, ip: IpSpec, family: str) -> None:
    el = ET.SubElement(parent, "ip", family=family, address=ip.address, prefix=str(ip.prefix))
    if ip.dhcp_start or ip.hosts:
        dhcp = ET.SubElement(el, "dhcp")
        if ip.dhcp_start and ip.dhcp_end:
            ET.SubElement(dhcp, "range", start=ip.dhcp_start, end=ip.dhcp_end)
        for host in ip.hosts:
            attrs = {"mac": host.mac} if family == "ipv4" else {}
            if family == "ipv6" and not host.name:
                raise ValueError("an IPv6 static host needs a name (DHCPv6 does not match MACs)")
            host_el = ET.SubElement(dhcp, "host", attrs)
            if host.name:
                host_el.set("name", host.name)
            host_el.set("ip", host.ip)


def build_network_xml(spec: NetworkSpec) -> str:
    if spec.mode not in NETWORK_MODES:
        raise ValueError(f"unknown network mode {spec.mode!r}")
    root = ET.Element("network")
    ET.SubElement(root, "name").text = spec.name
    if spec.mode == "macvtap":
        if spec.macvtap_mode not in MACVTAP_MODES:
            raise ValueError(f"unknown macvtap mode {spec.macvtap_mode!r}")
        if not spec.forward_dev:
            raise ValueError("a macvtap network needs a host interface")
        forward = ET.SubElement(root, "forward", mode=spec.macvtap_mode, dev=spec.forward_dev)
        ET.SubElement(forward, "interface", dev=spec.forward_dev)
        return ET.tostring(root, encoding="unicode")
    if spec.mode == "bridge":
        if not spec.bridge:
            raise ValueError("a bridge network needs the name of a host bridge")
        ET.SubElement(root, "forward", mode="bridge")
        ET.SubElement(root, "bridge", name=spec.bridge)
        return ET.tostring(root, encoding="unicode")
    if spec.mode != "isolated":
        forward = ET.SubElement(root, "forward", mode=spec.mode)
        if spec.forward_dev and spec.mode in ("nat", "route"):
            forward.set("dev", spec.forward_dev)
    if spec.bridge:
        ET.SubElement(root, "bridge", name=spec.bridge, stp="on", delay="0")
    if spec.domain:
        ET.SubElement(root, "domain", name=spec.domain, localOnly="yes")
    if spec.ipv4:
        _build_ip(root, spec.ipv4, "ipv4")
    if spec.ipv6:
        _build_ip(root, spec.ipv6, "ipv6")
    return ET.tostring(root, encoding="unicode")


def _prefix(ip: ET.Element) -> int:
    if ip.get("prefix"):
        return int(ip.get("prefix"))
    if ip.get("netmask"):
        return ipaddress.ip_network(f"0.0.0.0/{ip.get('netmask')}").prefixlen
    address = ipaddress.ip_address(ip.get("address", ""))
    if address.version == 6:
        return 64
    return _default_prefix(address) or 24


def _parse_ip(ip: ET.Element) -> IpSpec:
    rng = ip.find("dhcp/range")
    hosts = tuple(
        DhcpHost(mac=(h.get("mac") or "").lower(), ip=h.get("ip") or "", name=h.get("name"))
        for h in ip.findall("dhcp/host")
    )
    return IpSpec(
        address=ip.get("address", ""),
        prefix=_prefix(ip),
        dhcp_start=rng.get("start") if rng is not None else None,
        dhcp_end=rng.get("end") if rng is not None else None,
        hosts=hosts,
    )


def parse_network_spec(xml: str | bytes) -> NetworkSpec:
    """Read a <network> back into the choices of a NetworkSpec."""
    root = parse.root(xml, "network")
    name = root.findtext("name")
    if not name:
        raise ValueError("network XML has no <name>")
    forward = root.find("forward")
    bridge_el = root.find("bridge")
    bridge = bridge_el.get("name") if bridge_el is not None else None
    forward_mode = (forward.get("mode") or "nat") if forward is not None else None
    devs = _forward_devices(forward) if forward is not None else []
    if forward_mode in _MACVTAP_MODES or (forward_mode == "bridge" and not bridge):
        return NetworkSpec(name=name, mode="macvtap", macvtap_mode=forward_mode,
                           forward_dev=devs[0] if devs else None)
    if forward_mode == "bridge":
        return NetworkSpec(name=name, mode="bridge", bridge=bridge)
    ipv4 = ipv6 = None
    for ip in root.findall("ip"):
        family = ip.get("family") or ("ipv6" if ":" in ip.get("address", "") else "ipv4")
        if family == "ipv4" and ipv4 is None:
            ipv4 = _parse_ip(ip)
        elif family == "ipv6" and ipv6 is None:
            ipv6 = _parse_ip(ip)
    domain = root.find("domain")
    return NetworkSpec(
        name=name,
        mode=forward_mode or "isolated",
        bridge=bridge,
        forward_dev=devs[0] if devs else None,
        ipv4=ipv4,
        ipv6=ipv6,
        domain=domain.get("name") if domain is not None else None,
    )
