"""The base of the guest detail screen's tabs (disks, NICs, snapshots ...)."""

from __future__ import annotations

import functools
from typing import ClassVar

from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import TabbedContent

from ...backend.model import Guest
from ...calls import AnswersCalls
from ..context import ScreenContext


class GuestTab(AnswersCalls, VerticalScroll, can_focus=True):
    """One tab: knows its guest by key, reads what it shows through `actions` (the answers come back to it)."""

    TAB_ID: ClassVar[str] = ""
    TAB_TITLE: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs) -> None:
        # A tab's keys act only while it is the tab on screen, whatever its own check_action says.
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("check_action")
        if own is not None:
            @functools.wraps(own)
            def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
                return own(self, action, parameters) if self.shown else False

            cls.check_action = check_action

    def __init__(self, ctx: ScreenContext, conn_id: str, uuid: str) -> None:
        super().__init__(id=f"tab-{self.TAB_ID}")
        self.ctx = ctx
        self.key = (conn_id, uuid)

    @property
    def shown(self) -> bool:
        """Whether this tab is the one its screen shows."""
        tabbed = next((node for node in self.ancestors if isinstance(node, TabbedContent)), None)
        return tabbed is None or self.parent is None or tabbed.active == self.parent.id

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return super().check_action(action, parameters) if self.shown else False

    def focus_target(self) -> Widget:
        """What takes the focus when the tab is shown: its list, where it has one."""
        return self

    def on_focus(self) -> None:
        target = self.focus_target()
        if target is not self:
            target.focus()

    @property
    def guest(self) -> Guest | None:
        return self.ctx.inventory.guests.get(self.key)

    @property
    def actions(self):
        return self.ctx.actions.guest_detail

    @property
    def connection(self):
        return self.actions.connection(self.key[0])

    @property
    def read_only(self) -> bool:
        host = self.ctx.inventory.hosts.get(self.key[0])
        return host is None or host.read_only

    @property
    def uri(self) -> str:
        connection = self.connection
        return connection.uri if connection is not None else ""

    def definition_seen(self) -> tuple | None:
        """What of the guest's row, when it changes, means its definition is to be read again."""
        guest = self.guest
        return None if guest is None else (guest.state, guest.vcpus, guest.memory_kib, guest.persistent)

    def activated(self) -> None:
        """The tab was shown: read what it needs (the guest may have changed since)."""

    def refresh_view(self, kinds: frozenset[str] | None) -> None:
        """The inventory changed (`kinds`: guests, hosts, stats ...)."""
