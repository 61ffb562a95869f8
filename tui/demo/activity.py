"""Made-up live figures for the demo host: its running and paused guests, and the host itself.

libvirt's test driver reports only the state group in bulk stats, which
would leave the demo's CPU, memory, disk and network columns empty. These
counters are invented, smooth and monotonic, and only ever added to the
records of a connection marked as the demo host.
"""

from __future__ import annotations

import dataclasses
import math
import xml.etree.ElementTree as ET
import zlib

import libvirt

_NS = 1_000_000_000
_GIB = 1 << 30
# what the demo host itself uses beside its guests
HOST_CPU_PERCENT = 1.5
HOST_OWN_MEMORY = 3 * _GIB // 2
HOST_CACHED = 4 * _GIB
HOST_BUFFERS = _GIB // 4


def _guest_devices(dom) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The guest's disks and NICs as its XML names them (read each tick: the test driver is
    in-process, and a disk attached live shows at once), so the stats agree with its tabs."""
    devices = ET.fromstring(dom.XMLDesc(0)).find("devices")
    if devices is None:
        return (), ()
    disks = tuple(target.get("dev") for disk in devices.findall("disk") if disk.get("device", "disk") == "disk"
                  and (target := disk.find("target")) is not None and target.get("dev"))
    nics = tuple((target.get("dev") if (target := iface.find("target")) is not None else None) or f"vnet{index}"
                 for index, iface in enumerate(devices.findall("interface")))
    return disks, nics


def _counter(now: float, seed: int, rate: float, wobble: float = 0.5, period: float = 23.0) -> int:
    """A counter rising at `rate` per second, give or take `wobble` of it."""
    phase = seed % 628 / 100
    swing = rate * wobble * period / (2 * math.pi)
    return int(rate * now + swing * math.sin(now * 2 * math.pi / period + phase))


# A paused guest's counters stand still: they are read at this moment, whatever the time.
PAUSED_AT = 1_000_000.0


def augment(records: list, now: float) -> list:
    """Add cpu/balloon/block/net counters to test-driver records of running and paused guests."""
    out = []
    for dom, record in records:
        record = dict(record)
        state = record.get("state.state")
        if state in (libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_PAUSED):
            at = PAUSED_AT if state == libvirt.VIR_DOMAIN_PAUSED else now
            seed = zlib.crc32(dom.UUIDString().encode())
            _state, max_kib, kib, vcpus, _cpu = dom.info()
            load = (0.05 + seed % 60 / 100) * vcpus
            record.update({
                "cpu.time": _counter(at, seed, load * _NS, 0.8),
                "vcpu.current": vcpus,
                "vcpu.maximum": vcpus,
                "balloon.current": kib,
                "balloon.maximum": max_kib,
                "balloon.available": kib,
                "balloon.unused": int(kib * (0.25 + seed % 50 / 100 + 0.1 * math.sin(at / 31 + seed))),
            })
            disks, nics = _guest_devices(dom)
            record["block.count"] = len(disks)
            for index, name in enumerate(disks):
                busy = seed >> index
                record.update({
                    f"block.{index}.name": name,
                    f"block.{index}.rd.bytes": _counter(at, busy >> 3, (busy % 9 + 1) * 350_000),
                    f"block.{index}.wr.bytes": _counter(at, busy >> 5, (busy % 7) * 120_000),
                    f"block.{index}.rd.reqs": _counter(at, busy >> 3, (busy % 9 + 1) * 40),
                    f"block.{index}.wr.reqs": _counter(at, busy >> 5, (busy % 7) * 15),
                })
            record["net.count"] = len(nics)
            for index, name in enumerate(nics):
                busy = seed >> index
                record.update({
                    f"net.{index}.name": name,
                    f"net.{index}.rx.bytes": _counter(at, busy >> 7, (busy % 11) * 60_000),
                    f"net.{index}.tx.bytes": _counter(at, busy >> 9, (busy % 13) * 30_000),
                })
            for index in range(vcpus):
                share = min(1.0, load / vcpus * (0.5 + (seed >> index) % 100 / 100))
                record[f"vcpu.{index}.time"] = _counter(at, seed >> index, share * _NS, 0.6)
        out.append((dom, record))
    return out


def host_stats(stats, guests: tuple, host):
    """The demo host's own CPU and memory, made of its guests' figures (the test driver's are constants)."""
    total = host.memory_kib * 1024 if host.memory_kib else None
    busy = sum(g.host_cpu_percent or 0.0 for g in guests)
    in_guests = sum(g.memory_total or 0 for g in guests)
    free = None
    if total is not None:
        free = max(total - in_guests - HOST_OWN_MEMORY - HOST_CACHED - HOST_BUFFERS, 0)
    return dataclasses.replace(
        stats, cpu_percent=min(busy + HOST_CPU_PERCENT, 100.0), memory_total=total, memory_free=free,
        memory_cached=HOST_CACHED if total else None, memory_buffers=HOST_BUFFERS if total else None)
