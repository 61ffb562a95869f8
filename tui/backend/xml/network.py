"""Parse libvirt network XML into what the Networks view shows."""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from dataclasses import dataclass

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


def _root(xml: str | bytes) -> ET.Element:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"network XML does not parse: {exc}") from exc
    if root.tag != "network":
        raise ValueError(f"expected <network> root element, got <{root.tag}>")
    return root


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
    root = _root(xml)
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
