"""The stats tick of one connection: one bulk `getAllDomainStats` with only the
groups on screen, the balloon period, DHCP leases now and then, and the shared
tick clock.

Fleets: with `set_sampling(every=N, closely=UUIDS)` a host's whole bulk call
comes every N-th tick of the clock, and on the ticks between only the guests
the user can see are fetched (`domainListGetStats` on their handles; no call
at all when none is). Each figure is the average since that guest's sample
before, so an off-screen guest loses only resolution, never data.

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

from . import handles, host_facts, test_driver
from .model import LeasesRead, StatsSampled
from .stats import HostCpuSample, Sample, compute


def next_tick(interval: float, now: float | None = None, slot: int = 0, every: int = 1) -> tuple[float, int]:
    """(Seconds to, and k of) the next multiple k x `interval` on the wall clock, at least
    half an interval away (with `every` > 1, the next k with k % every equal to the
    slot's, so slow hosts spread over the ticks), plus the connection's slot: every
    connection ticks within SLOTS x SLOT_SECONDS of the same moments, so the UI folds
    a fleet's samples into one refresh (app.STATS_WINDOW is longer), while fifty
    hosts do not fold their records at the same instant."""
    now = time.time() if now is None else now
    k = math.floor(now / interval) + 1
    if k * interval - now < interval / 2:
        k += 1
    if every > 1:
        k += (slot - k) % every
    return k * interval - now + (slot % SLOTS) * min(SLOT_SECONDS, interval / 5 / SLOTS), k


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
        self._every = 1  # the whole bulk call every this many ticks of the clock
        self._closely: frozenset[str] | None = None  # fetched on the ticks between; None: all
        self._shown_calls = True  # the driver takes a list of guests (domainListGetStats)
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
        vcpu: bool | None = None, host: bool | None = None,
        every: int | None = None, closely: frozenset[str] | None | bool = False,
    ) -> None:
        """Change what the stats tick fetches; takes effect from the next tick. With
        `every` and `closely` (False: unchanged), a cadence that gets shorter takes
        effect at the next tick of the clock."""
        if interval is not None:
            self.stats_interval = max(0.1, interval)
        before = self._cadence()
        if every is not None:
            self._every = max(1, every)
        if closely is not False:
            self._closely = closely
        if self._cadence() < before and self._sampling:
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

    def _cadence(self) -> int:
        """Ticks of the clock between two samples of any kind."""
        return 1 if self._closely else self._every

    def _ensure_tick(self, rearm: bool = False) -> None:
        if self._sampling and (rearm or not self._tick_armed) and self._conn is not None:
            self._tick_armed = True
            self._tick_token += 1
            delay, k = next_tick(self.stats_interval, slot=self._slot, every=self._cadence())
            self._start_timer(delay, self._tick, self._generation, self._tick_token, k)

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
        kept = self._domains  # for the ticks that fetch only the guests on screen
        unset = []
        for dom, record in records:
            uuid = handles.uuid(dom)
            old, kept[uuid] = kept.get(uuid), dom
            if old is not None:
                handles.release(old)
                del old
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
        calls += self._set_periods(unset)
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

    def _set_periods(self, unset: list) -> int:
        """Ask these guests' balloon drivers for memory figures each interval; the calls made.
        Calls to the host: never while holding the other hosts' turn to fold."""
        for dom in unset:
            try:
                dom.setMemoryStatsPeriod(max(1, round(self.stats_interval)), libvirt.VIR_DOMAIN_AFFECT_LIVE)
            except libvirt.libvirtError:
                pass
        return len(unset)

    def sample_shown(self) -> StatsSampled | None:
        """A tick between two whole samples: only the guests on screen, by their handles,
        running ones only; no call when there are none."""
        conn, closely = self._conn, self._closely
        if conn is None or not closely:
            return None
        asked = frozenset(uuid for uuid in closely if uuid in self._domains)
        if not asked:
            return None
        started = time.perf_counter()
        flags = self._stats_flags or libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE
        try:
            records = conn.domainListGetStats([self._domains[uuid] for uuid in asked], self._stats_groups(), flags)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() not in (libvirt.VIR_ERR_INVALID_ARG, libvirt.VIR_ERR_NO_SUPPORT):
                raise
            self._shown_calls = False  # a driver that takes no list, or no filter with one: whole calls
            return self.sample_once()
        now = time.monotonic()
        if self._augment_stats is not None:
            records = self._augment_stats(records, now)
        fetched = time.perf_counter() - started
        fresh = dict(self._samples)
        results: list = []
        with _FOLDING:
            unset = self._fold(records, now, fresh, results)
            del records
        for uuid in asked - {result.uuid for result in results}:
            fresh.pop(uuid, None)  # not running: no rate across its next run
        self._samples = fresh
        calls = 1 + self._set_periods(unset)
        return StatsSampled(self.conn_id, tuple(results), calls, fetched, None, asked=asked)

    def _crosses(self, period: int, last: int) -> bool:
        """Whether one of the `every` clock ticks up to `last` is a multiple of `period`
        (memory every 5th, leases every 15th): a slow cadence passes over ticks."""
        return last // period != (last - self._every) // period

    def _tick(self, generation: int, token: int, k: int) -> None:
        if token != self._tick_token:
            return  # re-armed sooner since
        self._tick_armed = False
        if generation != self._generation or self._conn is None or not self._sampling:
            return
        whole = (self._every == 1 or self._closely is None or not self._shown_calls
                 or (k - self._slot) % self._every == 0)
        try:
            update = self.sample_once() if whole else self.sample_shown()
        finally:
            if generation == self._generation:
                self._ensure_tick()
        if update is not None and generation == self._generation:
            self._emit(update)
