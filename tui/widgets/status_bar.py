"""The one-line summary at the top of every view."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.widgets import Static

from ..backend.inventory import Inventory
from ..backend.model import ConnState

VIEW_NAMES = {
    "guests": "1 Guests",
    "networks": "2 Networks",
    "storage": "3 Storage",
    "hosts": "4 Hosts",
    "events": "5 Events",
    "triage": "6 Triage",
}


def summary(inventory: Inventory, view: str, read_only: bool, paused: bool = False) -> Text:
    line = Text()
    line.append(" virtdeck ", style="bold reverse")
    if any(host.demo for host in inventory.hosts.values()):
        line.append(" DEMO HOST ", style="bold black on yellow")
    for mode, label in VIEW_NAMES.items():
        line.append(f" {label}", style="bold underline" if mode == view else "dim")
    line.append("  │ ")
    states = Counter(host.state for host in inventory.hosts.values())
    parts = [f"{count} {state.value}" for state, count in sorted(states.items(), key=lambda kv: kv[0].value)]
    bad = states[ConnState.LOST] + states[ConnState.FAILED] + states[ConnState.RETRYING]
    line.append(f"hosts: {', '.join(parts) or 'none'}", style="bold red" if bad else "")
    running = sum(1 for g in inventory.guests.values() if g.state == "running")
    line.append(f" │ guests: {len(inventory.guests)} ({running} running)")
    if read_only:
        line.append(" │ READ-ONLY", style="bold yellow")
    if paused:
        line.append(" │ STATS PAUSED", style="bold yellow")
    return line


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; }
    """

    def __init__(self, view: str, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.view = view
        self._shown: Text | None = None

    def show(self, inventory: Inventory, read_only: bool) -> None:
        line = summary(inventory, self.view, read_only, getattr(self.app, "stats_paused", False))
        if line != self._shown:  # an update lays out the whole screen again
            self._shown = line
            self.update(line)
