"""Made-up live figures for the demo host's running guests.

libvirt's test driver reports only the state group in bulk stats, which
would leave the demo's CPU, memory, disk and network columns empty. These
counters are invented, smooth and monotonic, and only ever added to the
records of a connection marked as the demo host.
"""

from __future__ import annotations

import math
import zlib

import libvirt

_NS = 1_000_000_000


def _counter(now: float, seed: int, rate: float, wobble: float = 0.5, period: float = 23.0) -> int:
    """A counter rising at `rate` per second, give or take `wobble` of it."""
    phase = seed % 628 / 100
    swing = rate * wobble * period / (2 * math.pi)
    return int(rate * now + swing * math.sin(now * 2 * math.pi / period + phase))


def augment(records: list, now: float) -> list:
    """Add cpu/balloon/block/net counters to test-driver records of running guests."""
    out = []
    for dom, record in records:
        record = dict(record)
        if record.get("state.state") == libvirt.VIR_DOMAIN_RUNNING:
            seed = zlib.crc32(dom.UUIDString().encode())
            _state, max_kib, kib, vcpus, _cpu = dom.info()
            load = (0.05 + seed % 60 / 100) * vcpus
            record.update({
                "cpu.time": _counter(now, seed, load * _NS, 0.8),
                "vcpu.current": vcpus,
                "vcpu.maximum": vcpus,
                "balloon.current": kib,
                "balloon.maximum": max_kib,
                "balloon.available": kib,
                "balloon.unused": int(kib * (0.25 + seed % 50 / 100 + 0.1 * math.sin(now / 31 + seed))),
                "block.count": 1,
                "block.0.name": "vda",
                "block.0.rd.bytes": _counter(now, seed >> 3, (seed % 9) * 350_000),
                "block.0.wr.bytes": _counter(now, seed >> 5, (seed % 7) * 120_000),
                "block.0.rd.reqs": _counter(now, seed >> 3, (seed % 9) * 40),
                "block.0.wr.reqs": _counter(now, seed >> 5, (seed % 7) * 15),
                "net.count": 1,
                "net.0.name": "vnet0",
                "net.0.rx.bytes": _counter(now, seed >> 7, (seed % 11) * 60_000),
                "net.0.tx.bytes": _counter(now, seed >> 9, (seed % 13) * 30_000),
            })
            for index in range(vcpus):
                share = min(1.0, load / vcpus * (0.5 + (seed >> index) % 100 / 100))
                record[f"vcpu.{index}.time"] = _counter(now, seed >> index, share * _NS, 0.6)
        out.append((dom, record))
    return out
