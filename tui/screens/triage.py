"""View 6: the fleet's problems, worst first."""

from __future__ import annotations

from ..backend.model import ConnState
from ..render.cells import Cell
from ..render.rows import host_state_text
from .base import InventoryScreen

TRIAGE_COLUMNS = [("severity", "Severity"), ("host", "Host"), ("object", "Object"), ("problem", "Problem")]
_SEVERITY = {0: ("critical", "bold red"), 1: ("warning", "yellow"), 2: ("notice", "")}


class TriageScreen(InventoryScreen):
    VIEW = "triage"
    COLUMNS = TRIAGE_COLUMNS
    WATCHES = frozenset({"hosts", "guests", "pools", "networks"})
    FILTER_HINT = "filter by host, object or problem"

    def problems(self) -> dict[str, tuple[int, str, str, str]]:
        inventory = self.vd.inventory
        found: dict[str, tuple[int, str, str, str]] = {}
        for host in inventory.hosts.values():
            if host.state in (ConnState.LOST, ConnState.FAILED, ConnState.RETRYING):
                found[f"host|{host.conn_id}"] = (0, host.name, host.uri, host_state_text(host))
            elif host.state == ConnState.CONNECTED and host.unresponsive_since is not None:
                found[f"host|{host.conn_id}"] = (0, host.name, host.uri, "not responding")
        for guest in inventory.guests.values():
            host = inventory.host_name(guest.conn_id)
            if guest.state == "crashed":
                found[f"guest|{guest.conn_id}|{guest.uuid}"] = (0, host, guest.name, f"crashed ({guest.reason})")
            elif guest.state == "paused" and guest.reason not in ("user", "unknown", ""):
                found[f"guest|{guest.conn_id}|{guest.uuid}"] = (1, host, guest.name, f"paused: {guest.reason}")
            elif guest.state == "blocked":
                found[f"guest|{guest.conn_id}|{guest.uuid}"] = (1, host, guest.name, "blocked")
        for pool in inventory.pools.values():
            fraction = pool.used_fraction
            if pool.state == "active" and fraction is not None and fraction >= 0.9:
                found[f"pool|{pool.conn_id}|{pool.uuid}"] = (
                    1, inventory.host_name(pool.conn_id), pool.name, f"pool {fraction * 100:.0f}% full")
        for net in inventory.networks.values():
            if net.autostart and not net.active:
                found[f"net|{net.conn_id}|{net.uuid}"] = (
                    2, inventory.host_name(net.conn_id), net.name, "autostart network is down")
        return found

    def on_mount(self) -> None:
        self.table.sort_column = "severity"
        super().on_mount()

    def entries(self) -> dict[str, object]:
        self._problems = {k: v for k, v in self.problems().items() if self.matches(*v[1:])}
        return dict(self._problems)

    def render_row(self, key: str):
        severity, host, subject, problem = self._problems[key]
        label, style = _SEVERITY[severity]
        return (Cell(label, sort_key=severity, style=style), Cell(host), Cell(subject), Cell(problem))
