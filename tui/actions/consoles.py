"""Serial consoles: the session a console pane drives, on its guest's host's connection."""

from __future__ import annotations

from ..backend.console import ConsoleSession, Notify
from .owner import OwnedActions


class ConsoleActions(OwnedActions):
    def session(self, conn_id: str, uuid: str, device: str | None, notify: Notify,
                current: ConsoleSession | None = None) -> ConsoleSession | None:
        """A session of guest `uuid`'s console `device` on `conn_id`'s connection now: `current`
        while it is still on that connection, else a new one (`current` closed); None while the
        host is not connected (`current` is left as it is). A pane opens it (`widgets/console_pane.py`)."""
        connection = self.connection(conn_id)
        if connection is None:
            return None
        if current is not None and current.connection is connection:
            return current
        if current is not None:
            current.close()
        return ConsoleSession(connection, uuid, device, notify)
