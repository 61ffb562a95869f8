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


class GuestHistory:
    """One guest's series, side by side in one array of floats (one object per guest,
    not one per series: a thousand guests add a thousand, whose every tick is one
    pass); NaN marks 'unknown'."""

    __slots__ = ("_data", "_size", "_next", "_count", "last_at")

    def __init__(self, size: int) -> None:
        self._size = max(1, size)
        self._data = array("f", [math.nan]) * (self._size * len(SERIES))
        self._next = 0
        self._count = 0
        self.last_at = -math.inf

    def add(self, stats: GuestStats, interval: float) -> None:
        if stats.at <= self.last_at:
            return  # a stale or repeated sample
        times = 1 if self.last_at == -math.inf else max(1, round((stats.at - self.last_at) / interval))
        self.last_at = stats.at
        figures = [math.nan if value is None else value for value in (
            stats.cpu_percent, stats.memory_used, stats.disk_read_bps, stats.disk_write_bps,
            stats.net_rx_bps, stats.net_tx_bps)]
        data, size = self._data, self._size
        for _ in range(min(times, size)):
            at = self._next
            for value in figures:
                data[at] = value
                at += size
            self._next = (self._next + 1) % size
        self._count = min(self._count + times, size)

    @property
    def series(self) -> dict[str, Series]:
        return {name: Series(self, index) for index, name in enumerate(SERIES)}

    def values(self, index: int) -> list[float]:
        size, data = self._size, self._data
        base = index * size
        start = (self._next - self._count) % size
        return [data[base + (start + i) % size] for i in range(self._count)]


class Series:
    """One series of a guest's history, oldest first when read."""

    __slots__ = ("_history", "_index")

    def __init__(self, history: GuestHistory, index: int) -> None:
        self._history, self._index = history, index

    def values(self) -> list[float]:
        return self._history.values(self._index)

    def __len__(self) -> int:
        return self._history._count


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
