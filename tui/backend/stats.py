"""Bulk-stat records -> rates. Pure: no libvirt calls, no clocks.

A record is the dict `getAllDomainStats` returns for one guest. Rates come
from the difference between two records of the same guest; counters that
went down (a reboot, a device hot-unplugged and replaced) or time that did
not move give no rate rather than a negative or infinite one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Record = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Sample:
    """One guest's record and when it was taken (monotonic seconds)."""

    at: float
    record: Record


@dataclass(frozen=True, slots=True)
class DiskRates:
    name: str
    read_bps: float | None
    write_bps: float | None
    read_iops: float | None
    write_iops: float | None


@dataclass(frozen=True, slots=True)
class NicRates:
    name: str
    rx_bps: float | None
    tx_bps: float | None


@dataclass(frozen=True, slots=True)
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


def _number(record: Record, key: str) -> int | float | None:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def counter_rate(before: int | float | None, after: int | float | None, seconds: float) -> float | None:
    """Per-second rate of a monotonic counter; None when it cannot be known."""
    if before is None or after is None or seconds <= 0:
        return None
    delta = after - before
    if delta < 0:  # counter reset: the guest rebooted or the device is new
        return None
    return delta / seconds


def _devices(record: Record, prefix: str) -> dict[str, int]:
    """Device name -> its index in the record, e.g. {'vda': 0}."""
    count = _number(record, f"{prefix}.count")
    if not count:
        return {}
    devices = {}
    for index in range(int(count)):
        name = record.get(f"{prefix}.{index}.name")
        if isinstance(name, str) and name not in devices:
            devices[name] = index
    return devices


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


def compute(
    conn_id: str,
    uuid: str,
    previous: Sample | None,
    current: Sample,
    host_cpus: int | None = None,
    vcpus_hint: int | None = None,
) -> GuestStats:
    record = current.record
    vcpus = _number(record, "vcpu.current") or vcpus_hint
    used, total, kind = memory(record)
    stats = {
        "conn_id": conn_id,
        "uuid": uuid,
        "at": current.at,
        "vcpus": int(vcpus) if vcpus is not None else None,
        "memory_used": used,
        "memory_total": total,
        "memory_kind": kind,
    }
    seconds = current.at - previous.at if previous is not None else 0.0
    if previous is None or seconds <= 0:
        return GuestStats(**stats)
    before = previous.record

    cpu_ns = counter_rate(_number(before, "cpu.time"), _number(record, "cpu.time"), seconds)
    if cpu_ns is not None:
        percent = cpu_ns / 1e9 * 100
        if vcpus:
            percent = min(percent, 100.0 * vcpus)
        stats["cpu_percent"] = percent
        if host_cpus:
            stats["host_cpu_percent"] = min(percent / host_cpus, 100.0)

    old_disks = _devices(before, "block")
    disks = []
    for name, index in _devices(record, "block").items():
        old = old_disks.get(name)

        def rate(field: str, index=index, old=old) -> float | None:
            if old is None:
                return None
            return counter_rate(_number(before, f"block.{old}.{field}"), _number(record, f"block.{index}.{field}"), seconds)

        disks.append(DiskRates(name, rate("rd.bytes"), rate("wr.bytes"), rate("rd.reqs"), rate("wr.reqs")))
    stats["disks"] = tuple(disks)
    stats["disk_read_bps"] = _sum([d.read_bps for d in disks])
    stats["disk_write_bps"] = _sum([d.write_bps for d in disks])
    stats["disk_read_iops"] = _sum([d.read_iops for d in disks])
    stats["disk_write_iops"] = _sum([d.write_iops for d in disks])

    old_nics = _devices(before, "net")
    nics = []
    for name, index in _devices(record, "net").items():
        old = old_nics.get(name)
        if old is None:
            nics.append(NicRates(name, None, None))
            continue
        nics.append(
            NicRates(
                name,
                counter_rate(_number(before, f"net.{old}.rx.bytes"), _number(record, f"net.{index}.rx.bytes"), seconds),
                counter_rate(_number(before, f"net.{old}.tx.bytes"), _number(record, f"net.{index}.tx.bytes"), seconds),
            )
        )
    stats["nics"] = tuple(nics)
    stats["net_rx_bps"] = _sum([n.rx_bps for n in nics])
    stats["net_tx_bps"] = _sum([n.tx_bps for n in nics])

    vcpu_count = _number(record, "vcpu.current")
    if vcpu_count and "vcpu.0.time" in record:
        per_vcpu = []
        for index in range(int(vcpu_count)):
            ns = counter_rate(_number(before, f"vcpu.{index}.time"), _number(record, f"vcpu.{index}.time"), seconds)
            per_vcpu.append(None if ns is None else min(ns / 1e9 * 100, 100.0))
        stats["vcpu_percent"] = tuple(per_vcpu)
    return GuestStats(**stats)


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


