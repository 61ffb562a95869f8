"""Guest detail tabs: hardware (being written)."""

from __future__ import annotations

from .guest_tab import GuestTab

TABS: list[type[GuestTab]] = []
