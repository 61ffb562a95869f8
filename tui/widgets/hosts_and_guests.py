"""What a widget reads of the hosts and guests it shows or follows: each one's last known
state, by key. The App's inventory is one; widgets take it by this shape, not by its type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..backend.model import Guest, Host


class HostsAndGuests(Protocol):
    @property
    def hosts(self) -> Mapping[str, Host]: ...  # conn_id -> host

    @property
    def guests(self) -> Mapping[tuple[str, str], Guest]: ...  # (conn_id, uuid) -> guest

    def running_guests(self) -> int: ...  # how many of them run
