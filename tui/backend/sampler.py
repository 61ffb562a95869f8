"""The stats tick of one connection: one bulk `getAllDomainStats` with only the
groups on screen, the balloon period, DHCP leases now and then, and the shared
tick clock.

A host none of whose guests the user can see is sampled every `every`-th tick
of the clock (`set_sampling(every=...)`): a fleet's hundreds of guests off
screen cost a fifth as much at one second, and each sample's rates are the
average since the one before, so nothing is lost but the resolution.

`StatsSampler` is mixed into `Connection` and runs on its worker thread. It uses
the connection's `_conn`, `_generation`, `_host`, `conn_id`, `uri`, `read_only`,
`_augment_stats`, `_augment_host`, `submit`, `_start_timer` and `_emit`.
"""

from __future__ import annotations

import itertools
import math
import threading
import time

import libvirt

from . import host_facts, test_driver
from .model import LeasesRead, StatsSampled
from .stats import HostCpuSample, Sample, compute


def next_tick_in(interval: float, now: float | None = None, slot: int = 0, every: int = 1) -> float:
    """Seconds to the next multiple of `interval` on the wall clock, at least half an
    interval away (with `every` > 1, the next such multiple k with k % every equal to
    the slot's, so slow hosts spread over the ticks), plus the connection's slot:
    every connection ticks within
    SLOTS x SLOT_SECONDS of the same moments, so the UI folds a fleet's samples
    into one refresh (app.STATS_WINDOW is longer), while fifty hosts do not fold
    their records at the same instant (each UUID read and each handle freed
    releases the GIL, and fifty threads waiting for it at once cost more CPU
    than the work itself)."""
    now = time.time() if now is None else now
    k = math.floor(now / interval) + 1
    if k * interval - now < interval / 2:
        k += 1
    if every > 1:
        k += (slot - k) % every
    return k * interval - now + (slot % SLOTS) * min(SLOT_SECONDS, interval / 5 / SLOTS)


SLOTS = 40
SLOT_SECONDS = 0.005
_slots = itertools.count()
# One host folds its records at a time: each UUID read and each handle freed releases
# the GIL, and hosts folding together hand it back and forth at every one of them.
_FOLDING = threading.Lock()


class StatsSampler:
    def __init__(self) -> None:
        # Stats sampling: one bulk call per tick, the next tick armed only
        # after this one finished, so ticks never overlap.
        self.stats_interval = 2.0
        self._sampling = False
        self._want_vcpu = False
        self._want_host = False
        self._tick_armed = False
        self._tick_token = 0  # a re-armed tick leaves the timer armed before it with nothing to do
        self._every = 1
        self._ticks = 0
        self._samples: dict[str, Sample] = {}
        self._host_cpu: HostCpuSample | None = None
        self._last_host_stats = None
        self._stats_flags: int | None = None
        self._period_set: set[str] = set()
        self._vcpus: dict[str, int] = {}  # uuid -> vCPUs, for bounding CPU % without the vcpu group
        self._slot = next(_slots)

    def set_sampling(
        self, interval: float | None = None, active: bool | None = None,
        vcpu: bool | None = None, host: bool | None = None, every: int | None = None,
    ) -> None:
        """Change what the stats tick fetches; takes effect from the next tick. A
        shorter cadence (`every`) takes effect at the next tick of the clock."""
        if interval is not None:
            self.stats_interval = max(0.1, interval)
        if every is not None and max(1, every) != self._every:
            sooner = every < self._every
            self._every = max(1, every)
            if sooner and self._sampling:
                self.submit(self._ensure_tick, True)
        if vcpu is not None:
            self._want_vcpu = vcpu
        if host is not None:
            self._want_host = host
        if active is not None:
            self._sampling = active
        if self._sampling:
            self.submit(self._ensure_tick)

    def _reset_samples(self) -> None:
        """A new connection: no earlier sample to diff against, balloon periods to set again."""
        self._samples = {}
        self._host_cpu = None
        self._period_set = set()

    def _read_leases(self, conn: libvirt.virConnect) -> int:
        addresses: dict[str, list[str]] = {}
        calls = 0
        if test_driver.is_test_uri(self.uri):  # no DHCP server: the leases its guests' NICs would hold
            self._emit(LeasesRead(self.conn_id, {mac: tuple(ips) for mac, ips in
                                                 test_driver.lease_addresses(conn).items()}))
            return calls
        try:
            networks = conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE)
            calls += 1
        except libvirt.libvirtError:
            return calls
        for net in networks:
            try:
                calls += 1
                for lease in net.DHCPLeases():
                    mac = (lease.get("mac") or "").lower()
                    if mac and lease.get("ipaddr"):
                        addresses.setdefault(mac, []).append(lease["ipaddr"])
            except libvirt.libvirtError:
                continue
        self._emit(LeasesRead(self.conn_id, {mac: tuple(ips) for mac, ips in addresses.items()}))
        return calls

    # -- stats tick ----------------------------------------------------------

    @property
    def sampling_every(self) -> int:
        return self._every

    def _ensure_tick(self, rearm: bool = False) -> None:
        if self._sampling and (rearm or not self._tick_armed) and self._conn is not None:
            self._tick_armed = True
            self._tick_token += 1
            delay = next_tick_in(self.stats_interval, slot=self._slot, every=self._every)
            self._start_timer(delay, self._tick, self._generation, self._tick_token)

    def _stats_groups(self) -> int:
        groups = (
            libvirt.VIR_DOMAIN_STATS_STATE
            | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL
            | libvirt.VIR_DOMAIN_STATS_BALLOON
            | libvirt.VIR_DOMAIN_STATS_BLOCK
            | libvirt.VIR_DOMAIN_STATS_INTERFACE
        )
        if self._want_vcpu:
            groups |= libvirt.VIR_DOMAIN_STATS_VCPU
        return groups

    def _fetch_stats(self, conn: libvirt.virConnect) -> list:
        groups = self._stats_groups()
        if self._stats_flags is None:
            nowait = getattr(libvirt, "VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT", 0)
            flags = libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE | nowait
            try:
                records = conn.getAllDomainStats(groups, flags)
            except libvirt.libvirtError as exc:
                if not nowait or exc.get_error_code() not in (libvirt.VIR_ERR_INVALID_ARG, libvirt.VIR_ERR_NO_SUPPORT):
                    raise
                flags = libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE
                records = conn.getAllDomainStats(groups, flags)
            self._stats_flags = flags
            return records
        return conn.getAllDomainStats(groups, self._stats_flags)

    def _fold(self, records: list, now: float, fresh: dict[str, Sample], results: list) -> list:
        """Records -> samples and rates; returns the guests whose balloon period is still to set."""
        host_cpus, samples, vcpus, conn_id = self._host.cpus, self._samples, self._vcpus, self.conn_id
        unset = []
        for dom, record in records:
            uuid = dom.UUIDString()
            sample = Sample(now, record)
            fresh[uuid] = sample
            results.append(compute(conn_id, uuid, samples.get(uuid), sample, host_cpus, vcpus.get(uuid)))
            if uuid not in self._period_set and "balloon.current" in record and "balloon.unused" not in record:
                self._period_set.add(uuid)
                if not self.read_only:
                    unset.append(dom)
        return unset

    def sample_once(self) -> StatsSampled | None:
        """One tick's work, on the worker: fetch, diff, emit."""
        conn = self._conn
        if conn is None:
            return None
        started = time.perf_counter()
        records = self._fetch_stats(conn)
        now = time.monotonic()
        if self._augment_stats is not None:
            records = self._augment_stats(records, now)
        fetched = time.perf_counter() - started
        calls = 1
        fresh: dict[str, Sample] = {}
        results: list = []
        with _FOLDING:
            unset = self._fold(records, now, fresh, results)
            del records  # the domain handles are freed here too, one host at a time
        self._samples = fresh
        for dom in unset:  # calls to the host: never while holding the other hosts' turn
            calls += 1
            try:
                dom.setMemoryStatsPeriod(max(1, round(self.stats_interval)), libvirt.VIR_DOMAIN_AFFECT_LIVE)
            except libvirt.libvirtError:
                pass
        del unset
        host = None
        if self._want_host:
            host, self._host_cpu, host_calls = host_facts.read_host_stats(
                conn, self.conn_id, self._host_cpu, self._last_host_stats,
                memory_too=self._crosses(5, self._ticks + self._every - 1))
            if self._augment_host is not None:
                host = self._augment_host(host, tuple(results), self._host)
            self._last_host_stats = host
            calls += host_calls
        self._ticks += self._every
        if self._crosses(15, self._ticks):
            calls += self._read_leases(conn)
        update = StatsSampled(self.conn_id, tuple(results), calls, fetched, host)
        return update

    def _crosses(self, period: int, last: int) -> bool:
        """Whether one of the `every` clock ticks up to `last` is a multiple of `period`
        (memory every 5th, leases every 15th): a slow cadence passes over ticks."""
        return last // period != (last - self._every) // period

    def _tick(self, generation: int, token: int) -> None:
        if token != self._tick_token:
            return  # re-armed sooner since
        self._tick_armed = False
        if generation != self._generation or self._conn is None or not self._sampling:
            return
        try:
            update = self.sample_once()
        finally:
            if generation == self._generation:
                self._ensure_tick()
        if update is not None and generation == self._generation:
            self._emit(update)
