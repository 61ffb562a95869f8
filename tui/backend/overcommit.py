"""How much of each host its guests claim, and the fleet's thresholds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .inventory import Inventory

ACTIVE_STATES = ("running", "paused", "blocked", "shutting down", "suspended")


@dataclass(frozen=True)
class Thresholds:
    vcpu_ratio: float = 4.0  # running guests' vCPUs per host CPU
    memory_ratio: float = 1.0  # running guests' memory per host memory
    pool_used: float = 0.9  # allocation per capacity
    pool_provisioned: float = 1.0  # volumes' capacities per pool capacity


@dataclass(frozen=True)
class HostLoad:
    guests: int
    by_state: dict[str, int]
    vcpus: int  # of active guests
    memory: int  # bytes of active guests
    vcpu_ratio: float | None
    memory_ratio: float | None


def host_load(inventory: Inventory, conn_id: str) -> HostLoad:
    host = inventory.hosts.get(conn_id)
    states: Counter[str] = Counter()
    vcpus = memory = 0
    for (owner, _), guest in inventory.guests.items():
        if owner != conn_id:
            continue
        states[guest.state] += 1
        if guest.state in ACTIVE_STATES:
            vcpus += guest.vcpus
            memory += guest.memory_kib * 1024
    cpus = host.cpus if host else None
    host_memory = host.memory_kib * 1024 if host and host.memory_kib else None
    return HostLoad(
        guests=sum(states.values()),
        by_state=dict(states),
        vcpus=vcpus,
        memory=memory,
        vcpu_ratio=vcpus / cpus if cpus else None,
        memory_ratio=memory / host_memory if host_memory else None,
    )


def provisioned_ratio(inventory: Inventory, key: tuple[str, str]) -> float | None:
    pool = inventory.pools.get(key)
    total = inventory.provisioned.get(key)
    if pool is None or total is None or pool.capacity <= 0:
        return None
    return total / pool.capacity
