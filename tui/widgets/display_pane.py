"""A graphical console pane: one guest's screen beside the guest list, a tab of the
console deck (widgets/console_pane.py) like the serial consoles.

The pane owns one `DisplaySession` (backend/display.py) and one `DisplayView`, and
follows the inventory as a serial console pane does: a guest that stops shows in the
pane, and when it runs again (a new domain id) or its host heals, the pane attaches
again by itself. A display that wants a password asks through a message the hosting
screen answers with a modal.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, Protocol

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from ..backend.model import DisplayState, Frame
from ..render.picture_support import Detected
from .display_view import BLOCKS, DisplayView
from .guest_pane import GuestPane, SessionEvent
from .hosts_and_guests import HostsAndGuests



def display_pane_id(conn_id: str, uuid: str) -> str:
    return "display-" + re.sub(r"[^A-Za-z0-9_-]", "_", f"{conn_id}-{uuid}")


class DisplaySessionLike(Protocol):
    """backend/display.py's DisplaySession, as a pane drives it."""

    state: DisplayState
    message: str
    how: str

    def open(self, password: str | None = None) -> None: ...

    def close(self) -> None: ...

    def detach(self, reason: str) -> None: ...

    def take(self) -> Frame | None: ...

    def key(self, key: str, character: str | None) -> bool: ...

    def combo(self, chord: tuple[int, ...]) -> None: ...

    def pointer(self, x: int, y: int, buttons: int) -> None: ...


# (conn_id, uuid, notify, current) -> the session on the host's connection now (see
# tui/actions/displays.py); None while the host is not connected.
OpenDisplay = Callable[[str, str, Callable[[Any, str], None], "DisplaySessionLike | None"],
                       "DisplaySessionLike | None"]


class DisplayPane(GuestPane):
    """One guest's graphical console: a status line (what is in use and why) and the picture."""

    class PasswordAsked(Message):
        """Ask the user for the display's password; `answer(text or None)`."""

        def __init__(self, title: str, reason: str, answer: Callable[[str | None], None]) -> None:
            super().__init__()
            self.title = title
            self.reason = reason
            self.answer = answer

    KIND = "display"
    DEFAULT_CSS = """
    DisplayPane { padding: 0; height: 1fr; }
    DisplayPane > .display-status { height: 2; background: $panel; color: $text-muted; }
    DisplayPane > .display-status.-attached { color: $text; }
    """

    def __init__(self, conn_id: str, uuid: str, guest_name: str, host_name: str, *, open_display: OpenDisplay,
                 inventory: HostsAndGuests, picture: Detected = BLOCKS) -> None:
        super().__init__(Content(f"{guest_name} @ {host_name} ▣"), display_pane_id(conn_id, uuid), conn_id, uuid,
                         guest_name, host_name, inventory)
        self.open_display = open_display
        self.session: DisplaySessionLike | None = None
        self.view = DisplayView(self._key, self._pointer, picture=picture)
        self.status = Static(classes="display-status")
        self.ever_attached = False
        self.user_opened = True
        self.detail = "opening"
        self.status_text = ""
        self.asked_password = False
        self.requested_at = time.perf_counter()
        self.first_frame_at: float | None = None

    def compose(self) -> ComposeResult:
        yield self.status
        yield self.view

    def on_mount(self) -> None:
        self.open()

    # -- session --------------------------------------------------------------

    def _key(self, key: str, character: str | None) -> bool:
        return self.session.key(key, character) if self.session is not None else False

    def _pointer(self, x: int, y: int, buttons: int) -> None:
        if self.session is not None:
            self.session.pointer(x, y, buttons)

    def combo(self, chord: tuple[int, ...]) -> None:
        if self.session is not None:
            self.session.combo(chord)

    def open(self, password: str | None = None) -> None:
        session = self.open_display(self.conn_id, self.uuid, self._notify, self.session)
        if session is None:
            self._show("failed", f"{self.host_name} is not connected")
            return
        self.session = session
        self.opened_marker = self._marker()
        session.open(password)

    def close_session(self) -> None:
        if self.session is not None:
            self.session.close()
        self.view.attached = False

    @on(SessionEvent)
    def _session_event(self, event: SessionEvent) -> None:
        event.stop()
        session = self.session
        if session is None:
            return
        if event.kind == "frame":
            frame = session.take()
            if frame is not None:
                if self.first_frame_at is None:
                    self.first_frame_at = time.perf_counter()
                self.view.show(frame)
            return
        state = session.state
        if state == DisplayState.OPEN:
            self.view.attached = True
            self.ever_attached = True
            self.user_opened = False
            self.asked_password = False
            self._show("attached", f"{session.how}; keys go to the guest, ctrl+] leaves")
        elif state == DisplayState.OPENING:
            self._show("opening", "opening the display")
        elif state == DisplayState.PASSWORD:
            self.view.attached = False
            self._show("password", f"{session.message}; enter: type the password")
            if not self.asked_password:
                self.asked_password = True
                self.ask_password(session.message)
        elif state == DisplayState.FAILED:
            self.view.attached = False
            if not self.ever_attached and self.user_opened:
                self.app.notify(session.message, title=f"display {self.guest_name}", severity="error",
                                markup=False, timeout=8)
                self.post_message(self.Failed(self))
                return
            self._show("failed", f"cannot open: {session.message}; enter: try again")
        elif state == DisplayState.CLOSED:
            self.view.attached = False
            self.view.dim()
            self._closed_status()
            self.follow(self.inventory)

    class Failed(Message):
        """The first open failed: the deck closes the pane (the reason was notified)."""

        def __init__(self, pane: DisplayPane) -> None:
            super().__init__()
            self.pane = pane

    def ask_password(self, reason: str) -> None:
        def answered(password: str | None) -> None:
            if password is not None:
                self.asked_password = False  # refused again: ask again
                self.open(password)
            else:
                self._show("password", "no password given; enter: type it")

        self.post_message(self.PasswordAsked(f"Display of {self.guest_name} @ {self.host_name}", reason, answered))

    def follow(self, inventory: HostsAndGuests) -> None:
        """The inventory changed: show the guest's and host's state, reattach when they are back."""
        session = self.session
        if session is None:
            return
        if session.state == DisplayState.OPEN:
            lost = self._lost(inventory)
            if lost is not None:
                session.detach(lost)
            elif self.opened_marker is not None and self._marker()[0] != self.opened_marker[0]:
                self.open()  # the guest started again under a new id: its display is a new one
            return
        if session.state in (DisplayState.OPENING, DisplayState.PASSWORD):
            return
        if session.state == DisplayState.FAILED and not self.ever_attached:
            return
        if self._guest_up(inventory) and self._marker() != self.opened_marker:
            self.open()
        else:
            self._closed_status()

    def reattach(self) -> None:
        session = self.session
        if session is not None and session.state == DisplayState.PASSWORD:
            self.ask_password(session.message)
        elif session is None or session.state not in (DisplayState.OPEN, DisplayState.OPENING):
            self.user_opened = not self.ever_attached
            self.open()

    @on(DisplayView.ReattachRequested)
    def _reattach_requested(self, event: DisplayView.ReattachRequested) -> None:
        event.stop()
        self.reattach()

    # -- status line ------------------------------------------------------------

    def _status_line(self, line: Text, text: str) -> None:
        frame = self.view.frame
        if frame is not None:
            line.append(f"  {frame.width}x{frame.height}")
        line.append(f"  {self.view.mode_label}")
        line.append(f"\n {text}")

    @on(DisplayView.SizeChanged)
    def _size_changed(self, event: DisplayView.SizeChanged) -> None:
        event.stop()
        self.refresh_status()

    def on_unmount(self) -> None:
        self.close_session()
