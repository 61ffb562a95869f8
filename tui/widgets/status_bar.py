"""The one-line summary at the top of every view."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.widgets import Static

from ..backend.model import ConnState
from .hosts_and_guests import HostsAndGuests

VIEW_NAMES = {
    "guests": "1 Guests",
    "networks": "2 Networks",
    "storage": "3 Storage",
    "hosts": "4 Hosts",
    "events": "5 Events",
    "triage": "6 Triage",
}


def summary(inventory: HostsAndGuests, view: str, read_only: bool, paused: bool = False,
            width: int | None = None) -> Text:
    """The status line; when it is wider than `width`, the other views lose their names and the
    badges (DEMO HOST, READ-ONLY, STATS PAUSED) move before the counts, which may be cut."""
    line = _line(inventory, view, read_only, paused, compact=False)
    if width is None or line.cell_len <= width:
        return line
    return _line(inventory, view, read_only, paused, compact=True)


def _line(inventory: HostsAndGuests, view: str, read_only: bool, paused: bool, compact: bool) -> Text:
    line = Text()
    line.append(" virtdeck ", style="bold reverse")
    if any(host.demo for host in inventory.hosts.values()):
        line.append(" DEMO HOST ", style="bold black on yellow")
    for mode, label in VIEW_NAMES.items():
        if mode == view:
            line.append(f" {label}", style="bold underline")
        else:
            line.append(f" {label.split()[0] if compact else label}", style="dim")
    badges = Text()
    if read_only:
        badges.append(" │ READ-ONLY", style="bold yellow")
    if paused:
        badges.append(" │ STATS PAUSED", style="bold yellow")
    if compact:
        line.append_text(badges)
    line.append(" │ " if compact else "  │ ")
    states = Counter(host.state for host in inventory.hosts.values())
    parts = [f"{count} {state.value}" for state, count in sorted(states.items(), key=lambda kv: kv[0].value)]
    bad = states[ConnState.LOST] + states[ConnState.FAILED] + states[ConnState.RETRYING]
    line.append(f"hosts: {', '.join(parts) or 'none'}", style="bold red" if bad else "")
    running = inventory.running_guests()
    line.append(f" │ guests: {len(inventory.guests)} ({running} running)")
    if not compact:
        line.append_text(badges)
    return line


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; }
    """

    def __init__(self, view: str, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.view = view
        self._shown: Text | None = None
        self._source: tuple[HostsAndGuests, bool] | None = None

    def show(self, inventory: HostsAndGuests, read_only: bool) -> None:
        self._source = (inventory, read_only)
        width = self.size.width or self.app.size.width
        line = summary(inventory, self.view, read_only, getattr(self.app, "stats_paused", False), width)
        if line != self._shown:  # an update lays out the whole screen again
            self._shown = line
            self.update(line)

    def on_resize(self) -> None:
        if self._source is not None:
            self.show(*self._source)
