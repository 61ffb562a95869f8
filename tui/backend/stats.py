"""Bulk-stat records -> rates. Pure: no libvirt calls, no clocks.

A record is the dict `getAllDomainStats` returns for one guest. Rates come
from the difference between two records of the same guest; counters that
went down (a reboot, a device hot-unplugged and replaced) or time that did
not move give no rate rather than a negative or infinite one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Record = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Sample:
    """One guest's record and when it was taken (monotonic seconds)."""

    at: float
    record: Record


# The records of a tick become these, a thousand guests' worth on a big host: not frozen,
# whose __init__ costs three times as much (each field set through object.__setattr__).
# Nothing changes one after it is built; they hash as frozen ones would.
@dataclass(slots=True, unsafe_hash=True)
class DiskRates:
    name: str
    read_bps: float | None
    write_bps: float | None
    read_iops: float | None
    write_iops: float | None


@dataclass(slots=True, unsafe_hash=True)
class NicRates:
    name: str
    rx_bps: float | None
    tx_bps: float | None


@dataclass(slots=True, unsafe_hash=True)
class GuestStats:
    conn_id: str
    uuid: str
    # When it was taken does not make two samples differ: equal figures draw
    # the same row, so a view skips it.
    at: float = field(compare=False)
    vcpus: int | None = None
    cpu_percent: float | None = None  # like top: 0 .. 100 x vCPUs
    host_cpu_percent: float | None = None  # share of all host CPUs, 0 .. 100
    memory_used: int | None = None  # bytes
    memory_total: int | None = None  # bytes the guest has now (balloon)
    memory_kind: str = "allocated"  # "used" (guest says), "rss" (host says), "allocated"
    disk_read_bps: float | None = None
    disk_write_bps: float | None = None
    disk_read_iops: float | None = None
    disk_write_iops: float | None = None
    net_rx_bps: float | None = None
    net_tx_bps: float | None = None
    disks: tuple[DiskRates, ...] = ()
    nics: tuple[NicRates, ...] = ()
    vcpu_percent: tuple[float | None, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.conn_id, self.uuid)


_NUMBERS = frozenset((int, float))


def _number(record: Record, key: str) -> int | float | None:
    value = record.get(key)
    return value if type(value) in _NUMBERS else None


def counter_rate(before: int | float | None, after: int | float | None, seconds: float) -> float | None:
    """Per-second rate of a monotonic counter; None when it cannot be known."""
    if before is None or after is None or seconds <= 0:
        return None
    delta = after - before
    if delta < 0:  # counter reset: the guest rebooted or the device is new
        return None
    return delta / seconds


@functools.lru_cache(maxsize=256)
def _keys(prefix: str, index: int, fields: tuple[str, ...]) -> tuple[str, ...]:
    """The record keys of one device, built once: compute runs per guest per tick."""
    return tuple(f"{prefix}.{index}.{field}" for field in fields)


_DISK_FIELDS = ("name", "rd.bytes", "wr.bytes", "rd.reqs", "wr.reqs")
_NIC_FIELDS = ("name", "rx.bytes", "tx.bytes")


def _devices(record: Record, prefix: str) -> dict[str, int]:
    """Device name -> its index in the record, e.g. {'vda': 0}."""
    count = _number(record, f"{prefix}.count")
    if not count:
        return {}
    devices = {}
    for index in range(int(count)):
        name = record.get(_keys(prefix, index, ("name",))[0])
        if isinstance(name, str) and name not in devices:
            devices[name] = index
    return devices


def _pairs(before: Record, after: Record, prefix: str) -> list[tuple[str, int, int | None]]:
    """(name, index now, index in the record before) of each device now; None: new since."""
    old = _devices(before, prefix)
    return [(name, index, old.get(name)) for name, index in _devices(after, prefix).items()]


_COUNT_AND_FIRST_NAME = {prefix: (f"{prefix}.count", f"{prefix}.0.name") for prefix in ("block", "net")}


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def memory(record: Record) -> tuple[int | None, int | None, str]:
    """(used bytes, total bytes, kind) from the balloon group."""
    current = _number(record, "balloon.current")
    total = current * 1024 if current is not None else None
    available = _number(record, "balloon.available")
    unused = _number(record, "balloon.unused")
    if available is not None and unused is not None and available >= unused:
        return int((available - unused) * 1024), int(available * 1024), "used"
    rss = _number(record, "balloon.rss")
    if rss is not None:
        return int(rss * 1024), total, "rss"
    return total, total, "allocated"


def _rate(before: Record, old_key: str, after: Record, new_key: str, seconds: float) -> float | None:
    """counter_rate of one record key, for seconds > 0; inlined: it runs for every device of every guest."""
    old, new = before.get(old_key), after.get(new_key)
    if type(old) not in _NUMBERS or type(new) not in _NUMBERS or new < old:
        return None
    return (new - old) / seconds


def _same_one(before: Record, after: Record, prefix: str) -> str | None:
    """The name of a guest's only device of a kind when it is the same as in the record
    before (the common case, taken without building lists); None otherwise."""
    count_key, name_key = _COUNT_AND_FIRST_NAME[prefix]
    if after.get(count_key) == 1 and before.get(count_key) == 1:
        name = after.get(name_key)
        if isinstance(name, str) and before.get(name_key) == name:
            return name
    return None


_DISK0 = _keys("block", 0, _DISK_FIELDS)[1:]
_NIC0 = _keys("net", 0, _NIC_FIELDS)[1:]


def _disk_rates(before: Record, after: Record, seconds: float) -> tuple[DiskRates, ...]:
    name = _same_one(before, after, "block")
    if name is not None:
        rb, wb, rr, wr = _DISK0
        return (DiskRates(name, _rate(before, rb, after, rb, seconds), _rate(before, wb, after, wb, seconds),
                          _rate(before, rr, after, rr, seconds), _rate(before, wr, after, wr, seconds)),)
    found = []
    for name, index, old_index in _pairs(before, after, "block"):
        if old_index is None:  # a new device: nothing to diff against yet
            found.append(DiskRates(name, None, None, None, None))
            continue
        _, rb, wb, rr, wr = _keys("block", index, _DISK_FIELDS)
        _, orb, owb, orr, owr = _keys("block", old_index, _DISK_FIELDS)
        found.append(DiskRates(
            name,
            _rate(before, orb, after, rb, seconds),
            _rate(before, owb, after, wb, seconds),
            _rate(before, orr, after, rr, seconds),
            _rate(before, owr, after, wr, seconds),
        ))
    return tuple(found)


def _nic_rates(before: Record, after: Record, seconds: float) -> tuple[NicRates, ...]:
    name = _same_one(before, after, "net")
    if name is not None:
        rx, tx = _NIC0
        return (NicRates(name, _rate(before, rx, after, rx, seconds), _rate(before, tx, after, tx, seconds)),)
    found = []
    for name, index, old_index in _pairs(before, after, "net"):
        if old_index is None:
            found.append(NicRates(name, None, None))
            continue
        _, rx, tx = _keys("net", index, _NIC_FIELDS)
        _, orx, otx = _keys("net", old_index, _NIC_FIELDS)
        found.append(NicRates(name, _rate(before, orx, after, rx, seconds), _rate(before, otx, after, tx, seconds)))
    return tuple(found)


def compute(
    conn_id: str,
    uuid: str,
    previous: Sample | None,
    current: Sample,
    host_cpus: int | None = None,
    vcpus_hint: int | None = None,
) -> GuestStats:
    record = current.record
    vcpu_count = _number(record, "vcpu.current")
    vcpus = vcpu_count or vcpus_hint
    vcpus = int(vcpus) if vcpus is not None else None
    used, total, kind = memory(record)
    seconds = current.at - previous.at if previous is not None else 0.0
    if previous is None or seconds <= 0:
        return GuestStats(conn_id, uuid, current.at, vcpus, None, None, used, total, kind)
    before = previous.record

    cpu_percent = host_percent = None
    cpu_ns = _rate(before, "cpu.time", record, "cpu.time", seconds)
    if cpu_ns is not None:
        cpu_percent = cpu_ns / 1e9 * 100
        if vcpus:
            cpu_percent = min(cpu_percent, 100.0 * vcpus)
        if host_cpus:
            host_percent = min(cpu_percent / host_cpus, 100.0)

    disks = _disk_rates(before, record, seconds)
    nics = _nic_rates(before, record, seconds)

    per_vcpu: tuple[float | None, ...] = ()
    if vcpu_count and "vcpu.0.time" in record:
        values = []
        for index in range(int(vcpu_count)):
            key = f"vcpu.{index}.time"
            ns = _rate(before, key, record, key, seconds)
            values.append(None if ns is None else min(ns / 1e9 * 100, 100.0))
        per_vcpu = tuple(values)

    if len(disks) == 1:  # the common case, without building lists
        disk = disks[0]
        disk_sums = (disk.read_bps, disk.write_bps, disk.read_iops, disk.write_iops)
    else:
        disk_sums = (_sum([d.read_bps for d in disks]), _sum([d.write_bps for d in disks]),
                     _sum([d.read_iops for d in disks]), _sum([d.write_iops for d in disks]))
    if len(nics) == 1:
        nic_sums = (nics[0].rx_bps, nics[0].tx_bps)
    else:
        nic_sums = (_sum([n.rx_bps for n in nics]), _sum([n.tx_bps for n in nics]))
    return GuestStats(
        conn_id, uuid, current.at, vcpus, cpu_percent, host_percent, used, total, kind,
        *disk_sums, *nic_sums, disks, nics, per_vcpu,
    )


@dataclass(frozen=True)
class HostCpuSample:
    at: float
    times: Mapping[str, int]  # getCPUStats(-1): kernel, user, idle, iowait (ns)


def host_cpu_percent(previous: HostCpuSample | None, current: HostCpuSample) -> float | None:
    """Busy share of all host CPUs between two getCPUStats(-1) samples."""
    if previous is None:
        return None
    deltas = {}
    for key in ("kernel", "user", "idle", "iowait"):
        before, after = previous.times.get(key), current.times.get(key)
        if before is None or after is None:
            continue
        if after < before:
            return None
        deltas[key] = after - before
    total = sum(deltas.values())
    if "idle" not in deltas or total <= 0:
        return None
    busy = total - deltas["idle"] - deltas.get("iowait", 0)
    return max(0.0, min(100.0, busy / total * 100))


