"""Everything a network's XML says, as label/value lines for its details sheet."""

from __future__ import annotations

from ..backend.model import Network
from ..backend.xml.network import NetworkDetails
from .columns import NETWORK_COLUMNS, network_row

Facts = list[tuple[str, str | None]]

FAMILY_WORDS = {"ipv4": "IPv4", "ipv6": "IPv6"}


def network_facts(net: Network, host_name: str) -> Facts:
    """The row's cells, then every subnet with its DHCP range, static hosts (DHCP and DNS), the
    DNS domain, port groups, the forward devices and NAT's address range."""
    details: NetworkDetails | None = net.details
    said_below = {"subnet", "subnet6", "dhcp"} if details is not None else set()
    cells = network_row(net, host_name)
    facts: Facts = [(column.header, cell.plain) for column, cell in zip(NETWORK_COLUMNS, cells)
                    if column.id not in said_below]
    facts.append(("UUID", net.uuid))
    if details is None:
        return facts
    facts.append(("", None))
    if details.nat_range:
        facts.append(("NAT addresses", details.nat_range))
    for ip in details.ips:
        family = FAMILY_WORDS.get(ip.family, ip.family)
        subnet = ip.subnet or "?"
        facts.append((f"{family} subnet", f"{subnet}, host address {ip.address}" if ip.address else subnet))
        facts.append((f"{family} DHCP range", ip.dhcp_range or "none (no DHCP)"))
    if not details.ips:
        facts.append(("Subnets", "none: libvirt does not address this network"))
    facts.append(("DNS domain", details.domain or "none"))
    for host in details.static_hosts:
        label = "Static host (DHCP)" if host.kind == "dhcp" else "DNS host"
        names = ", ".join(host.names)
        facts.append((label, "  ".join(part for part in (host.ip, host.mac, names) if part)))
    if not details.static_hosts:
        facts.append(("Static hosts", "none"))
    for group in details.portgroups:
        words = [word for word in ("default" if group.default else None,
                                   f"VLAN {group.vlan}" if group.vlan else None, group.bandwidth) if word]
        facts.append(("Port group", f"{group.name} ({'; '.join(words)})" if words else group.name))
    if not details.portgroups:
        facts.append(("Port groups", "none"))
    return facts
