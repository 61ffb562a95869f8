"""The last few minutes of every guest's rates, in fixed-size float rings.

Kept for every running guest, so a detail pane opened now already shows the
last five minutes; arrays of 4-byte floats keep 1000 guests at a few MiB. A
sample that comes several intervals after the one before (a host sampled
slowly while off screen) fills those intervals with its figures, which are the
average over them, so a ring's places stay one interval apart.
"""

from __future__ import annotations

import math
from array import array

from .stats import GuestStats

SERIES = ("cpu", "memory", "disk_read", "disk_write", "net_rx", "net_tx")


class Ring:
    """A fixed number of floats, oldest first when read; NaN marks 'unknown'."""

    __slots__ = ("_data", "_next", "_count")

    def __init__(self, size: int) -> None:
        self._data = array("f", [math.nan]) * max(1, size)
        self._next = 0
        self._count = 0

    def append(self, value: float | None, times: int = 1) -> None:
        value = math.nan if value is None else value
        size = len(self._data)
        if times == 1:  # every tick of every guest: without the loop
            self._data[self._next] = value
            self._next = (self._next + 1) % size
            if self._count < size:
                self._count += 1
            return
        for _ in range(min(times, size)):
            self._data[self._next] = value
            self._next = (self._next + 1) % size
        self._count = min(self._count + times, size)

    def values(self) -> list[float]:
        size = len(self._data)
        start = (self._next - self._count) % size
        return [self._data[(start + i) % size] for i in range(self._count)]

    def __len__(self) -> int:
        return self._count


class GuestHistory:
    __slots__ = ("series", "last_at")

    def __init__(self, size: int) -> None:
        self.series = {name: Ring(size) for name in SERIES}
        self.last_at = -math.inf

    def add(self, stats: GuestStats, interval: float) -> None:
        if stats.at <= self.last_at:
            return  # a stale or repeated sample
        times = 1 if self.last_at == -math.inf else max(1, round((stats.at - self.last_at) / interval))
        self.last_at = stats.at
        self.series["cpu"].append(stats.cpu_percent, times)
        self.series["memory"].append(stats.memory_used, times)
        self.series["disk_read"].append(stats.disk_read_bps, times)
        self.series["disk_write"].append(stats.disk_write_bps, times)
        self.series["net_rx"].append(stats.net_rx_bps, times)
        self.series["net_tx"].append(stats.net_tx_bps, times)


class History:
    """Histories by guest key, sized for `seconds` at the current interval."""

    def __init__(self, seconds: float = 300.0, interval: float = 2.0) -> None:
        self.size = max(2, math.ceil(seconds / interval))
        self.interval = interval
        self.guests: dict[tuple[str, str], GuestHistory] = {}

    def add(self, samples) -> None:
        for stats in samples:
            history = self.guests.get(stats.key)
            if history is None:
                if stats.cpu_percent is None and stats.memory_used is None:
                    continue  # nothing known yet (or ever, on a host without stats): no ring
                history = self.guests[stats.key] = GuestHistory(self.size)
            history.add(stats, self.interval)

    def forget(self, keep: set[tuple[str, str]]) -> None:
        for key in [k for k in self.guests if k not in keep]:
            del self.guests[key]
