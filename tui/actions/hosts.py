"""What the UI does to hosts (connections): reconnect, and which figures the sampler reads."""

from __future__ import annotations

from .owner import OwnedActions


class HostActions(OwnedActions):
    def reconnect(self, conn_id: str) -> None:
        if self.owner.fleet is not None:
            self.owner.fleet.reconnect(conn_id)

    def sample_hosts(self, on: bool) -> None:
        """Read the hosts' own figures (CPU, memory) each tick while the Hosts view shows them."""
        if self.owner.fleet is not None:
            self.owner.fleet.set_sampling(host=on)
