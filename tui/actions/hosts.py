"""What the UI does to hosts (connections): reconnect, and which figures the sampler reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..app import VirtdeckApp


class HostActions:
    def __init__(self, app: VirtdeckApp) -> None:
        self.app = app

    def reconnect(self, conn_id: str) -> None:
        if self.app.fleet is not None:
            self.app.fleet.reconnect(conn_id)

    def sample_hosts(self, on: bool) -> None:
        """Read the hosts' own figures (CPU, memory) each tick while the Hosts view shows them."""
        if self.app.fleet is not None:
            self.app.fleet.set_sampling(host=on)
