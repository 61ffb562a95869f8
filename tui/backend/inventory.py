"""Everything every connection reported, folded into one place.

Owned by the UI thread; backend updates are applied in arrival order. Each
kind has a version number that moves when any of its objects changes, so a
view can tell cheaply whether it has anything to redraw.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from .model import (
    ActionFailed,
    ActionLogged,
    ActionRecord,
    AgentChanged,
    Event,
    GuestAddressesRead,
    GuestNicsRead,
    HostFactsRead,
    HostStats,
    LeasesRead,
    StatsSampled,
    VirtChecks,
    EventHappened,
    Guest,
    GuestChanged,
    GuestRemoved,
    GuestsSized,
    Host,
    HostChanged,
    HostRemoved,
    InventorySynced,
    Network,
    NetworkChanged,
    NetworkRemoved,
    Pool,
    PoolChanged,
    PoolRemoved,
    Update,
    Volume,
    VolumesListed,
)

Key = tuple[str, str]


@dataclass
class Inventory:
    hosts: dict[str, Host] = field(default_factory=dict)
    guests: dict[Key, Guest] = field(default_factory=dict)
    networks: dict[Key, Network] = field(default_factory=dict)
    pools: dict[Key, Pool] = field(default_factory=dict)
    volumes: dict[Key, tuple[Volume, ...]] = field(default_factory=dict)
    events: deque[tuple[int, Event]] = field(default_factory=lambda: deque(maxlen=5000))
    actions: deque[tuple[int, ActionRecord]] = field(default_factory=lambda: deque(maxlen=2000))  # virtdeck's own
    _event_seq: int = 0
    stats: dict[Key, Any] = field(default_factory=dict)  # GuestStats of running guests
    host_stats: dict[str, HostStats] = field(default_factory=dict)
    checks: dict[str, VirtChecks] = field(default_factory=dict)
    provisioned: dict[Key, int] = field(default_factory=dict)  # pool -> sum of volume capacities
    nics: dict[Key, tuple] = field(default_factory=dict)  # guest -> InterfaceInfo...
    leases: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # conn -> mac -> addresses
    read_addresses: dict[Key, GuestAddressesRead] = field(default_factory=dict)  # what a NICs tab read
    _addresses: dict[Key, tuple] = field(default_factory=dict, repr=False)
    _sampled: dict[str, set[Key]] = field(default_factory=dict, repr=False)  # conn -> keys of its last sample
    agents: dict[Key, bool] = field(default_factory=dict)  # guest -> agent connected
    consoles: dict[Key, bool] = field(default_factory=dict)  # guest -> has a serial/console device to open
    ticks: dict[str, StatsSampled] = field(default_factory=dict)  # last tick per connection
    # conn -> a number that changes whenever anything a guest row of that host
    # shows changes (its guests, their stats, addresses, the host's name), so a
    # view can keep the rows of hosts that did not change.
    guest_rows_version: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("hosts", "guests", "networks", "pools", "volumes", "events", "stats"), 0
        )
    )

    _by_host: tuple[int, dict[str, list[tuple[Key, Guest]]], int] | None = field(default=None, repr=False)

    def guests_by_host(self) -> dict[str, list[tuple[Key, Guest]]]:
        """The guests grouped by host, regrouped only after the guests changed."""
        return self._grouped()[1]

    def running_guests(self) -> int:
        return self._grouped()[2]

    def _grouped(self) -> tuple[int, dict[str, list[tuple[Key, Guest]]], int]:
        version = self.versions["guests"]
        if self._by_host is None or self._by_host[0] != version:
            grouped: dict[str, list[tuple[Key, Guest]]] = {}
            running = 0
            for item in self.guests.items():
                grouped.setdefault(item[0][0], []).append(item)
                running += item[1].state == "running"
            self._by_host = (version, grouped, running)
        return self._by_host

    def _touch(self, conn_id: str) -> None:
        self.guest_rows_version[conn_id] = self.guest_rows_version.get(conn_id, 0) + 1

    def _sizes_kept(self, fresh: dict[tuple[str, str], Guest]) -> dict[tuple[str, str], Guest]:
        """A resync's guests whose sizes are still to be read keep the sizes last read."""
        for key, guest in fresh.items():
            if not guest.sized and (held := self.guests.get(key)) is not None and held.sized:
                fresh[key] = replace(guest, vcpus=held.vcpus, memory_kib=held.memory_kib,
                                     max_memory_kib=held.max_memory_kib, sized=True)
        return fresh

    def _stats_applied(self, conn_id: str, update: StatsSampled, host) -> set[str]:
        self.ticks[conn_id] = update
        changed = self._bump("stats")
        if host is not None:
            self.host_stats[conn_id] = host
            changed |= self._bump("hosts")
        return changed

    def _bump(self, *kinds: str) -> set[str]:
        for kind in kinds:
            self.versions[kind] += 1
        return set(kinds)

    def apply(self, update: Update) -> set[str]:
        """Fold one update in; returns the kinds that changed."""
        match update:
            case HostChanged(host):
                if self.hosts.get(host.conn_id) == host:
                    return set()
                self.hosts[host.conn_id] = host
                self._touch(host.conn_id)
                return self._bump("hosts")
            case HostRemoved(conn_id):
                self.hosts.pop(conn_id, None)
                for table_by_conn in (self.host_stats, self.checks, self.leases, self.ticks, self._sampled,
                                      self.guest_rows_version):
                    table_by_conn.pop(conn_id, None)
                for table in (self.guests, self.networks, self.pools, self.volumes, self.stats, self.provisioned,
                              self.nics, self.agents, self.consoles):
                    for key in [k for k in table if k[0] == conn_id]:
                        del table[key]
                return self._bump("hosts", "guests", "networks", "pools", "volumes")
            case InventorySynced(conn_id, guests, networks, pools):
                changed = set()
                for table, items, kind in (
                    (self.guests, guests, "guests"),
                    (self.networks, networks, "networks"),
                    (self.pools, pools, "pools"),
                ):
                    fresh = {item.key: item for item in items}
                    if kind == "guests":
                        fresh = self._sizes_kept(fresh)
                    stale = [k for k in table if k[0] == conn_id and k not in fresh]
                    differs = bool(stale) or any(table.get(k) != v for k, v in fresh.items())
                    for key in stale:
                        del table[key]
                    table.update(fresh)
                    if differs:
                        changed |= self._bump(kind)
                if "guests" in changed:
                    self._touch(conn_id)
                return changed
            case GuestChanged(guest):
                self._touch(guest.conn_id)
                return self._put(self.guests, guest, "guests")
            case GuestsSized(conn_id, sizes):
                sized = {}
                for uuid, (vcpus, memory, max_memory) in sizes.items():
                    guest = self.guests.get((conn_id, uuid))
                    if guest is not None:
                        sized[guest.key] = replace(guest, vcpus=vcpus, memory_kib=memory, max_memory_kib=max_memory,
                                                   sized=True)
                if all(self.guests[key] == guest for key, guest in sized.items()):
                    return set()
                self.guests.update(sized)
                self._touch(conn_id)
                return self._bump("guests")
            case GuestRemoved(conn_id, uuid):
                for table in (self.stats, self.nics, self.agents, self.consoles):
                    table.pop((conn_id, uuid), None)
                self._touch(conn_id)
                return self._drop(self.guests, (conn_id, uuid), "guests")
            case NetworkChanged(network):
                return self._put(self.networks, network, "networks")
            case NetworkRemoved(conn_id, uuid):
                return self._drop(self.networks, (conn_id, uuid), "networks")
            case PoolChanged(pool):
                return self._put(self.pools, pool, "pools")
            case PoolRemoved(conn_id, uuid):
                self.volumes.pop((conn_id, uuid), None)
                return self._drop(self.pools, (conn_id, uuid), "pools")
            case VolumesListed(conn_id, pool_uuid, volumes):
                self.volumes[(conn_id, pool_uuid)] = volumes
                return self._bump("volumes")
            case StatsSampled(conn_id, stats, _calls, _seconds, host, asked):
                # The host's previous sample, not a scan of every host's guests.
                if asked is not None:
                    stopped = {(conn_id, uuid) for uuid in asked} - {item.key for item in stats}
                    if any(self.stats.get(item.key) != item for item in stats) or stopped & self.stats.keys():
                        self._touch(conn_id)
                    for key in stopped:
                        self.stats.pop(key, None)
                    self._sampled.setdefault(conn_id, set()).update(item.key for item in stats)
                else:
                    previous = self._sampled.get(conn_id, set())
                    keys = [item.key for item in stats]
                    known = self.stats.get
                    if len(previous) != len(stats) or any(known(key) != item for key, item in zip(keys, stats)):
                        self._touch(conn_id)
                    sampled = self._sampled[conn_id] = set(keys)
                    for key in previous - sampled:
                        self.stats.pop(key, None)
                    self.stats.update(zip(keys, stats))
                    return self._stats_applied(conn_id, update, host)
                for item in stats:
                    self.stats[item.key] = item
                return self._stats_applied(conn_id, update, host)
            case GuestNicsRead(conn_id, nics, full, consoles):
                if full:
                    for table in (self.nics, self.consoles):
                        for key in [k for k in table if k[0] == conn_id]:
                            del table[key]
                for uuid, interfaces in nics.items():
                    self.nics[(conn_id, uuid)] = interfaces
                for uuid, has_console in consoles.items():
                    self.consoles[(conn_id, uuid)] = has_console
                self._touch(conn_id)
                return self._bump("guests")
            case LeasesRead(conn_id, addresses):
                if self.leases.get(conn_id) == addresses:
                    return set()
                self.leases[conn_id] = addresses
                self._touch(conn_id)
                return self._bump("guests")
            case GuestAddressesRead(conn_id, uuid):
                for gone in [k for k in self.read_addresses if k not in self.guests]:
                    del self.read_addresses[gone]
                if self.read_addresses.get((conn_id, uuid)) == update:
                    return set()
                self.read_addresses[(conn_id, uuid)] = update
                self._touch(conn_id)
                return self._bump("guests")
            case HostFactsRead(conn_id, checks, provisioned, pools):
                changed = set()
                if checks is not None and self.checks.get(conn_id) != checks:
                    self.checks[conn_id] = checks
                    changed |= self._bump("hosts")
                covered = {k for k in self.provisioned if k[0] == conn_id and (pools is None or k[1] in pools)}
                fresh = {(conn_id, uuid): total for uuid, total in provisioned.items()}
                if any(self.provisioned.get(k) != v for k, v in fresh.items()) or covered - fresh.keys():
                    for key in covered:
                        del self.provisioned[key]
                    self.provisioned.update(fresh)
                    changed |= self._bump("pools", "hosts")
                return changed
            case AgentChanged(conn_id, uuid, connected):
                self.agents[(conn_id, uuid)] = connected
                self._touch(conn_id)
                return self._bump("guests")
            case EventHappened(event):
                return self._log(event)
            case ActionLogged(record):
                self._event_seq += 1
                self.actions.append((self._event_seq, record))
                return self._bump("events")
            case ActionFailed(conn_id, action, error):
                host = self.hosts.get(conn_id)
                return self._log(Event(conn_id, "error", host.name if host else conn_id, f"{action}: {error}"))
        return set()

    def _log(self, event: Event) -> set[str]:
        self._event_seq += 1
        self.events.append((self._event_seq, event))
        return self._bump("events")

    def _put(self, table: dict, item, kind: str) -> set[str]:
        if table.get(item.key) == item:
            return set()
        table[item.key] = item
        return self._bump(kind)

    def _drop(self, table: dict, key: Key, kind: str) -> set[str]:
        if table.pop(key, None) is None:
            return set()
        return self._bump(kind)

    def host_name(self, conn_id: str) -> str:
        host = self.hosts.get(conn_id)
        return host.name if host else conn_id

    def addresses(self, conn_id: str, uuid: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """A guest's IP addresses, each with the sources that know it ("lease", "agent", "arp"):
        DHCP leases (read in bulk per host) matched by its interfaces' MACs, and what its NICs
        tab read from the agent and ARP during this run of the guest."""
        leases = self.leases.get(conn_id) or {}
        read = self.read_addresses.get((conn_id, uuid))
        if not leases and read is None:  # the common case of a big host: called per guest per refresh
            return ()
        # Called for every guest on every refresh: the answer is kept until one of its inputs
        # is replaced (leases, NICs and readings are new objects when they change).
        nics = self.nics.get((conn_id, uuid), ())
        guest = self.guests.get((conn_id, uuid))
        domain_id = guest.id if guest is not None else None
        cached = self._addresses.get((conn_id, uuid))
        if (cached is not None and cached[0] is leases and cached[1] is nics and cached[2] is read
                and cached[3] == domain_id):
            return cached[4]
        result = self._addresses_from(leases, nics, read, guest)
        if len(self._addresses) > 2 * max(len(self.guests), 256):
            self._addresses.clear()
        self._addresses[(conn_id, uuid)] = (leases, nics, read, domain_id, result)
        return result

    @staticmethod
    def _addresses_from(leases, nics, read, guest) -> tuple[tuple[str, tuple[str, ...]], ...]:
        found: dict[str, list[str]] = {}
        macs = [nic.mac for nic in nics if nic.mac]
        for mac in macs:
            for address in leases.get(mac, ()):
                found.setdefault(address.split("/")[0], []).append("lease")
        if read is not None and guest is not None and guest.id is not None and guest.id == read.domain_id:
            for source, by_mac in read.by_source.items():
                for mac in macs or by_mac:
                    for address in by_mac.get(mac, ()):
                        sources = found.setdefault(address.split("/")[0], [])
                        if source not in sources:
                            sources.append(source)
        return tuple((address, tuple(sources)) for address, sources in found.items())
