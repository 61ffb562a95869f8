"""Everything every connection reported, folded into one place.

Owned by the UI thread; backend updates are applied in arrival order. Each
kind has a version number that moves when any of its objects changes, so a
view can tell cheaply whether it has anything to redraw.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .model import (
    ActionFailed,
    Event,
    EventHappened,
    Guest,
    GuestChanged,
    GuestRemoved,
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
    _event_seq: int = 0
    versions: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("hosts", "guests", "networks", "pools", "volumes", "events"), 0)
    )

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
                return self._bump("hosts")
            case HostRemoved(conn_id):
                self.hosts.pop(conn_id, None)
                for table in (self.guests, self.networks, self.pools, self.volumes):
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
                    stale = [k for k in table if k[0] == conn_id and k not in fresh]
                    differs = bool(stale) or any(table.get(k) != v for k, v in fresh.items())
                    for key in stale:
                        del table[key]
                    table.update(fresh)
                    if differs:
                        changed |= self._bump(kind)
                return changed
            case GuestChanged(guest):
                return self._put(self.guests, guest, "guests")
            case GuestRemoved(conn_id, uuid):
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
            case EventHappened(event):
                return self._log(event)
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
