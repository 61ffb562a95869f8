"""Graphical consoles: the session a display pane drives, on its guest's host's connection."""

from __future__ import annotations

from ..backend.display import DisplaySession, Notify
from .owner import OwnedActions


class DisplayActions(OwnedActions):
    def session(self, conn_id: str, uuid: str, notify: Notify,
                current: DisplaySession | None = None) -> DisplaySession | None:
        """A session of guest `uuid`'s graphical console on `conn_id`'s connection now: `current`
        while it is still on that connection, else a new one (`current` closed); None while the
        host is not connected. A pane opens it (`widgets/display_pane.py`)."""
        connection = self.connection(conn_id)
        if connection is None:
            return None
        if current is not None and current.connection is connection:
            return current
        if current is not None:
            current.close()
        return DisplaySession(connection, uuid, notify)
