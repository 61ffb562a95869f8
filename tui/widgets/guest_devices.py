"""Guest detail tabs: devices (being written)."""

from __future__ import annotations

from .guest_tab import GuestTab

TABS: list[type[GuestTab]] = []
