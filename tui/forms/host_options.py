"""The hosts a create form may offer: connected and not read-only."""

from __future__ import annotations

from ..backend.inventory import Inventory
from ..backend.model import ConnState


def host_options(inventory: Inventory, but: str | None = None) -> list[tuple[str, str]]:
    """(label, conn_id) of every connected, writable host (except `but`), for a Select."""
    return [(host.name if host.demo else f"{host.name} ({host.uri})", host.conn_id)
            for host in inventory.hosts.values()
            if host.state == ConnState.CONNECTED and not host.read_only and host.conn_id != but]
