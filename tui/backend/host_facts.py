"""Host-level reads: virtualization checks, node stats, thin provisioning.

Runs on a connection's worker. Checks come from capabilities and domain
capabilities, the way virt-host-validate reasons about them; anything libvirt
cannot tell stays None ("n/a"), never a guess.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Generator
from typing import Any

import libvirt

from .host_topology import read_topology
from .model import HostStats, VirtChecks
from .stats import HostCpuSample, host_cpu_percent
from .xml.capabilities import parse_capabilities, parse_domain_capabilities

KSM_KEYS = ("shm_pages_shared", "shm_pages_sharing", "shm_pages_unshared", "shm_pages_volatile", "shm_full_scans")
PAGE_SIZE = 4096


def read_virt_checks(conn: libvirt.virConnect) -> VirtChecks:
    try:
        caps_xml = conn.getCapabilities()
        caps = parse_capabilities(caps_xml)
    except (libvirt.libvirtError, ValueError):
        return VirtChecks(None, None, None, None)
    features = caps.cpu_features
    hardware = bool(features & {"vmx", "svm"}) if features else None
    kvm = "kvm" in caps.domain_types if caps.domain_types else None
    nested = None
    iommu = caps.iommu
    machines: tuple[str, ...] = ()
    virttype = "kvm" if kvm else (caps.domain_types[0] if caps.domain_types else None)
    if virttype in ("kvm", "qemu"):
        try:
            domcaps = parse_domain_capabilities(conn.getDomainCapabilities(None, caps.arch, None, virttype, 0))
        except (libvirt.libvirtError, ValueError):
            domcaps = None
        if domcaps is not None:
            nested = bool(domcaps.host_model_features & {"vmx", "svm"}) if domcaps.host_model_features else None
            if domcaps.iommu is not None:
                iommu = domcaps.iommu if iommu is None else (iommu or domcaps.iommu)
            machines = (domcaps.machine,) if domcaps.machine else ()
    return VirtChecks(hardware, kvm, nested, iommu, caps.domain_types, machines, read_topology(conn, caps_xml))



def provisioned_steps(conn: libvirt.virConnect, only: str | None = None) -> Generator[None, None, dict[str, int]]:
    """Pool uuid -> sum of its volumes' capacities, for active pools (or just pool `only`),
    a call a step (the worker's background steps): libvirt has no bulk call for volumes,
    so a pool of thousands is read between other work."""
    provisioned: dict[str, int] = {}
    if only is not None:
        try:
            pool = conn.storagePoolLookupByUUIDString(only)
        except libvirt.libvirtError:
            return {}
        yield
        pools = [pool] if pool.isActive() else []
    else:
        pools = conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE)
    for pool in pools:
        total = 0
        yield
        try:
            volumes = pool.listAllVolumes(0)
        except libvirt.libvirtError:
            continue
        for vol in volumes:
            yield
            try:
                total += vol.info()[1]
            except libvirt.libvirtError:
                pass
        provisioned[pool.UUIDString()] = total
    return provisioned


def read_host_stats(
    conn: libvirt.virConnect,
    conn_id: str,
    previous: HostCpuSample | None,
    last: HostStats | None = None,
    memory_too: bool = True,
) -> tuple[HostStats, HostCpuSample | None, int]:
    """(stats, the CPU sample to diff against next time, libvirt calls made).

    Host CPU needs a sample every tick; memory and KSM move slowly, so with
    `memory_too` False the figures of `last` are kept and one call is made.
    """
    calls = 0
    cpu_sample = None
    cpu_percent = None
    memory: dict[str, Any] = {}
    ksm: dict[str, int] | None = None
    try:
        calls += 1
        times = conn.getCPUStats(libvirt.VIR_NODE_CPU_STATS_ALL_CPUS, 0)
        cpu_sample = HostCpuSample(time.monotonic(), dict(times))
        cpu_percent = host_cpu_percent(previous, cpu_sample)
    except libvirt.libvirtError:
        pass
    if not memory_too and last is not None:
        return dataclasses.replace(last, cpu_percent=cpu_percent), cpu_sample, calls
    try:
        calls += 1
        memory = conn.getMemoryStats(libvirt.VIR_NODE_MEMORY_STATS_ALL_CELLS, 0)
    except libvirt.libvirtError:
        memory = {}
    try:
        calls += 1
        params = conn.getMemoryParameters(0)
        found = {key: int(params[key]) for key in KSM_KEYS if key in params}
        ksm = found or None
    except libvirt.libvirtError:
        ksm = None

    def kib(key: str) -> int | None:
        value = memory.get(key)
        return int(value) * 1024 if isinstance(value, int) else None

    stats = HostStats(
        conn_id=conn_id,
        cpu_percent=cpu_percent,
        memory_total=kib("total"),
        memory_free=kib("free"),
        memory_cached=kib("cached"),
        memory_buffers=kib("buffers"),
        ksm=ksm,
    )
    return stats, cpu_sample, calls


def ksm_saved_bytes(ksm: dict[str, int] | None) -> int | None:
    """Memory KSM saves: every page beyond the first of a shared set."""
    if not ksm or "shm_pages_sharing" not in ksm:
        return None
    return ksm["shm_pages_sharing"] * PAGE_SIZE
