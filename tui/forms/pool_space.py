"""Does a new volume or a copy fit in its pool? Pure: sizes in, words out.

A thin qcow2 file holds only what was written, so its copy needs the source's
allocation; anything else (raw, preallocated) needs its full capacity. libvirt's
test driver (the demo) allocates every new volume in full, so there every copy
needs its capacity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..backend.units import size_text


@dataclass(frozen=True)
class Need:
    pool: str
    bytes: int
    what: str  # "vda: 6 GiB (capacity)"


def copy_need(target: str, pool: str, capacity: int, allocation: int, fmt: str | None,
              allocates_in_full: bool = False) -> Need:
    if fmt == "qcow2" and not allocates_in_full:
        return Need(pool, allocation, f"{target}: {size_text(allocation)} (allocation: a qcow2 copy is thin)")
    why = "capacity: this host allocates a new volume in full" if allocates_in_full else "capacity"
    return Need(pool, capacity, f"{target}: {size_text(capacity)} ({why})")


def shortfalls(needs: Iterable[Need], available: dict[str, int]) -> list[str]:
    """For each pool the needs do not fit in: what they need against what it has free."""
    by_pool: dict[str, list[Need]] = {}
    for need in needs:
        by_pool.setdefault(need.pool, []).append(need)
    problems = []
    for pool, pool_needs in by_pool.items():
        total = sum(need.bytes for need in pool_needs)
        free = available.get(pool)
        if free is not None and total > free:
            problems.append(f"pool {pool} has {size_text(free)} free; the copies need {size_text(total)} "
                            f"({', '.join(need.what for need in pool_needs)})")
    return problems


def new_volume_space(capacity: int, preallocated: bool, available: int | None,
                     allocates_in_full: bool = False) -> tuple[str | None, str | None]:
    """(why it cannot be made, a warning) for a new volume of `capacity` in a pool with `available` free."""
    if available is None or capacity <= available:
        return None, None
    if preallocated or allocates_in_full:
        why = "preallocated" if preallocated else "this host allocates a new volume in full"
        return (f"The pool has {size_text(available)} free: a {size_text(capacity)} volume does not fit ({why})",
                None)
    return None, (f"Thin: the pool has {size_text(available)} free, so this volume cannot grow to its "
                  f"{size_text(capacity)}")
