"""A guest's facts and live figures, as text for its detail screen."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from ..backend.inventory import Inventory
from ..backend.stats import GuestStats
from ..backend.xml.domain import BootPlan, Overview
from .cells import rate_text, size_text
from .rows import address_text, guest_state

Facts = list[tuple[str, str | None]]


def os_label(os_id: str | None) -> str | None:
    """A libosinfo id (http://debian.org/debian/12) as "debian 12 (http://...)"."""
    if not os_id:
        return None
    parts = [p for p in os_id.split("://", 1)[-1].split("/")[1:] if p]
    return f"{' '.join(parts)} ({os_id})" if parts else os_id


def guest_facts(inventory: Inventory, key: tuple[str, str], overview: Overview | None = None) -> Facts:
    guest = inventory.guests[key]
    nics = inventory.nics.get(key, ())
    ips = inventory.addresses(*key)
    agent = inventory.agents.get(key)
    facts: Facts = [
        ("Name", guest.name),
        ("Title", overview.title if overview else None),
        ("Host", inventory.host_name(guest.conn_id)),
        ("State", guest_state(guest).plain),
        ("Reason", guest.reason),
        ("ID", str(guest.id) if guest.id is not None else None),
        ("UUID", guest.uuid),
        ("Domain type", overview.domain_type if overview else None),
        ("Machine", " ".join(v for v in (overview.arch, overview.machine) if v) if overview else None),
        ("Firmware", overview.firmware if overview else None),
        ("OS (libosinfo)", os_label(overview.os_id) if overview else None),
        ("vCPUs", str(guest.vcpus) if guest.sized else None),
        ("Memory", f"{size_text(guest.memory_kib * 1024)} of {size_text(guest.max_memory_kib * 1024)} max"
         if guest.sized else None),
        ("Autostart", "yes" if guest.autostart else "no"),
        ("Persistent", "yes" if guest.persistent else "no (transient)"),
        ("Managed save", "yes" if guest.managed_save else "no"),
        ("Guest agent", None if agent is None else "connected" if agent else "disconnected"),
    ]
    for index, nic in enumerate(nics):
        source = f"{nic.kind} {nic.source}" if nic.source else nic.kind
        facts.append((f"NIC {index}", f"{nic.mac or '?'} on {source}" + (f", {nic.model}" if nic.model else "")))
    facts.append(("IP addresses", "\n".join(address_text(*found) for found in ips) if ips else None))
    if ips and not any(len(sources) > 1 or sources[0] != "lease" for _, sources in ips) and guest.id is not None:
        facts.append(("", "agent and ARP addresses: NICs tab"))
    if overview is not None and overview.boot is not None:
        facts.append(("Boot", boot_text(overview.boot, "\n")))
    return facts


BOOT_SOURCES = {
    "devices": "per-device boot order",
    "os": "<os><boot dev>",
    "default": "libvirt's default",
    "kernel": "direct kernel boot",
}


def boot_text(plan: BootPlan, between: str = ", ") -> str:
    """``network (PXE), NIC 52:54:..., hard disk vda  (<os><boot dev>)``."""
    text = between.join(plan.entries) + f"{between if between != ', ' else '  '}({BOOT_SOURCES.get(plan.source, plan.source)}"
    if plan.device_order:
        text += f"; device order, unused while it does: {', '.join(plan.device_order)}"
    return text + ("; boot menu)" if plan.menu else ")")


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if not math.isnan(v)]


def headline(label: str, stats: GuestStats | None, series: list[float], fmt) -> Text:
    known = _finite(series)
    line = Text(f"{label:<11}", style="bold")
    line.append(f"{fmt(known[-1]) if known else '—':<12}")
    if known:
        line.append(f"   max {fmt(max(known))}   avg {fmt(sum(known) / len(known))}", style="dim")
    if label == "CPU" and stats is not None and stats.host_cpu_percent is not None:
        of_vcpus = f" of {stats.vcpus * 100}%" if stats.vcpus else ""
        line.append(f"   ({of_vcpus.strip() or 'now'}; {stats.host_cpu_percent:.1f}% of the host)", style="dim")
    elif label == "Memory" and stats is not None and stats.memory_kind != "used":
        line.append(f"   ({'host RSS' if stats.memory_kind == 'rss' else 'allocated: the guest reports no usage'})",
                    style="dim")
    return line


def percent(value: float) -> str:
    return f"{value:.1f}%"


def bytes_per_second(value: float) -> str:
    return rate_text(value)


def size(value: float) -> str:
    return size_text(int(value))


def breakdown(stats: GuestStats | None) -> Table:
    table = Table(box=None, padding=(0, 2), show_edge=False, expand=False)
    table.add_column("device", style="bold")
    table.add_column("read / rx", justify="right")
    table.add_column("write / tx", justify="right")
    table.add_column("IOPS r/w", justify="right")
    if stats is None:
        table.add_row(Text("not running: no live figures"), "", "", "")
        return table
    for disk in stats.disks:
        iops = "—" if disk.read_iops is None else f"{disk.read_iops:.0f}/{disk.write_iops or 0:.0f}"
        table.add_row(Text(f"disk {disk.name}"), rate_text(disk.read_bps), rate_text(disk.write_bps), iops)
    for nic in stats.nics:
        table.add_row(Text(f"nic {nic.name}"), rate_text(nic.rx_bps), rate_text(nic.tx_bps), "")
    for index, value in enumerate(stats.vcpu_percent):
        table.add_row(Text(f"vCPU {index}"), "—" if value is None else f"{value:.1f}%", "", "")
    if not stats.vcpu_percent:
        table.add_row(Text("vCPUs", style="dim"), Text("next tick", style="dim"), "", "")
    return table
