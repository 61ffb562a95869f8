"""What a console pane, serial or graphical, shares: the guest and host it follows.

A pane remembers which run of the guest and which connection to its host it opened
(`opened_marker`); when either changed and both are up again, it opens again. While they
are not, its status line says why and when it comes back.
"""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import TabPane

from ..backend.model import ConnState
from .hosts_and_guests import HostsAndGuests

# guest states in which QEMU runs, so its consoles and display can be opened
RUNNING_STATES = frozenset({"running", "paused", "blocked", "shutting down", "suspended"})


class SessionEvent(Message):
    """A pane's session reported something: `kind` "data", "frame" or "state" (posted from
    backend threads)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind


class GuestPane(TabPane):
    """A tab of the console deck on one guest of one host. A subclass has `session` (its
    `message` says why it closed), `status` (its status line), `KIND` ("console", "display")
    and what its status line adds (`_status_line`)."""

    KIND = "console"

    def __init__(self, title, pane_id: str, conn_id: str, uuid: str, guest_name: str, host_name: str,
                 inventory: HostsAndGuests) -> None:
        super().__init__(title, id=pane_id)
        self.conn_id = conn_id
        self.uuid = uuid
        self.guest_name = guest_name
        self.host_name = host_name
        self.inventory = inventory
        self.opened_marker: tuple | None = None  # (guest id, host changed_at) at the last open

    def _notify(self, session: object, kind: str) -> None:
        """Backend threads: hand over only."""
        if session is getattr(self, "session", None):
            self.post_message(SessionEvent(kind))

    def _marker(self) -> tuple:
        guest = self.inventory.guests.get((self.conn_id, self.uuid))
        host = self.inventory.hosts.get(self.conn_id)
        return (guest.id if guest else None, host.changed_at if host else None)

    def _guest_up(self, inventory: HostsAndGuests) -> bool:
        guest = inventory.guests.get((self.conn_id, self.uuid))
        host = inventory.hosts.get(self.conn_id)
        return (guest is not None and guest.state in RUNNING_STATES
                and host is not None and host.state == ConnState.CONNECTED)

    def _lost(self, inventory: HostsAndGuests) -> str | None:
        """Why the session must end now that the inventory changed (host gone, guest stopped)."""
        host = inventory.hosts.get(self.conn_id)
        if host is None or host.state != ConnState.CONNECTED:
            return f"connection lost: {host.last_error}" if host and host.last_error else "connection lost"
        guest = inventory.guests.get((self.conn_id, self.uuid))
        if guest is None or guest.state not in RUNNING_STATES:
            return f"guest {guest.state}" if guest else "the guest is gone"
        return None

    def _closed_status(self) -> None:
        guest = self.inventory.guests.get((self.conn_id, self.uuid))
        host = self.inventory.hosts.get(self.conn_id)
        if host is not None and host.state != ConnState.CONNECTED:
            self._show("lost", f"host {host.state.value}: reattaches when it is back")
        elif guest is None:
            self._show("closed", "the guest is gone")
        elif guest.state not in RUNNING_STATES:
            self._show("closed", f"guest {guest.state}: reattaches when it runs again")
        else:
            session = getattr(self, "session", None)
            reason = session.message if session else "closed"
            self._show("closed", f"{self.KIND} closed ({reason}); enter: attach again")

    # -- status line ------------------------------------------------------------

    def _show(self, state: str, text: str) -> None:
        """The status line (`self.status`): the guest, what the kind adds, and `text`."""
        self.detail = state
        self.status_text = text
        line = Text()
        line.append(f" {self.guest_name} @ {self.host_name}", style="bold")
        self._status_line(line, text)
        self.status.update(line)
        self.status.set_class(state == "attached", "-attached")

    def refresh_status(self) -> None:
        self._show(self.detail, self.status_text)

    def _status_line(self, line: Text, text: str) -> None:
        line.append(f"  {text}")
