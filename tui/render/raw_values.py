"""What an export holds for a figure: the number itself, in the units the README names
(bytes, bytes per second, percent as a number), never the text a cell shows."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from ..backend.model import Guest, HostStats
from ..backend.stats import GuestStats


def number(value: float | None, places: int = 2) -> float | None:
    """A measured figure, rounded to what it means (a CPU % to the hundredth)."""
    return None if value is None else round(float(value), places)


def percent(fraction: float | None) -> float | None:
    """A fraction (0.42) as the percentage a sheet sorts by (42.0)."""
    return None if fraction is None else round(fraction * 100, 2)


def rate(value: float | None) -> int | None:
    """Bytes per second, whole."""
    return None if value is None else round(value)


def rates(stats: GuestStats | None, first: str, second: str) -> tuple[int | None, int | None] | None:
    """Two rates of one cell (read/write, received/sent), or None without stats."""
    if stats is None or (getattr(stats, first) is None and getattr(stats, second) is None):
        return None
    return rate(getattr(stats, first)), rate(getattr(stats, second))


def guest_memory(guest: Guest, stats: GuestStats | None) -> int | None:
    """Bytes in use where the guest (or the host) says, else the bytes it was given."""
    if stats is not None and stats.memory_used is not None:
        return stats.memory_used
    return guest.memory_kib * 1024 if guest.sized else None


def host_memory_used(stats: HostStats | None) -> int | None:
    """The host's memory in use, in bytes, as the Hosts view counts it (not cache or buffers)."""
    if stats is None or stats.memory_total is None or stats.memory_free is None:
        return None
    return stats.memory_total - stats.memory_free - (stats.memory_cached or 0) - (stats.memory_buffers or 0)


def timestamp(at: float) -> str:
    """A moment as ISO 8601 with its offset from UTC, in local time like the table."""
    return datetime.datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


def when_active(value: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An inactive pool reports no figures (None)."""
    return lambda r: value(r) if r.pool.state == "active" else None
