"""Console panes beside the guest list: one tab per open console.

`ConsoleDeck` holds the tabs; each `ConsolePane` owns one `ConsoleSession`
(tui/backend/console.py) and one `ConsoleView`, and follows the inventory:
a guest that stops shows in the pane, and when it runs again (a new domain
id) or its host heals (the host state changed since the console was
opened), the pane attaches again by itself.

Keys: in the terminal everything goes to the guest except `ctrl+]`, which
leaves it and focuses the tab strip; there the deck's keys apply (enter back
into the terminal, f full screen, w close, / search, l log, y copy, escape
back to the guest list).

The panes ask nothing themselves: a question (take over a busy console, pick
one of several) and leaving the deck are messages the hosting screen answers.
What they use is handed to the deck by that screen: how to open a session
(`OpenSession`, from tui/actions/consoles.py), the hosts and guests to follow,
and the directory console logs go to.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static, TabbedContent, Tabs

from ..backend.model import ConnState, ConsoleState
from .console_view import ConsoleView
from .display_pane import DisplayPane, OpenDisplay
from ..render.picture_support import Detected
from .display_view import BLOCKS, DisplayView
from .guest_pane import RUNNING_STATES, GuestPane, SessionEvent
from .hosts_and_guests import HostsAndGuests

CONSOLE_STATES = RUNNING_STATES  # a console can be opened


def pane_id(conn_id: str, uuid: str) -> str:
    return "console-" + re.sub(r"[^A-Za-z0-9_-]", "_", f"{conn_id}-{uuid}")


CONSOLE_BINDINGS = [
    Binding("c", "console", "Console", id="console"),
    Binding("v", "display", "Display", show=False, id="display"),
]


class Session(Protocol):
    """One console of one guest (backend/console.py's ConsoleSession), as a pane drives it."""

    state: ConsoleState
    message: str
    device: str | None
    devices: Sequence[Any]  # what it offers, when there are several (state CHOOSE)

    def open(self, force: bool = False) -> None: ...

    def close(self) -> None: ...

    def detach(self, reason: str) -> None: ...

    def write(self, data: bytes) -> None: ...

    def take(self) -> bytes: ...


# (conn_id, uuid, device, notify, current) -> the session on the host's connection now:
# `current` while it is still on it, else a new one (`current` closed); None while the host
# is not connected. `notify(session, kind)` is called from backend threads.
OpenSession = Callable[[str, str, "str | None", Callable[[Any, str], None], "Session | None"], "Session | None"]


class ConsolePane(GuestPane):
    """One console: a status line and the terminal."""

    class TakeOverAsked(Message):
        """Ask the user `question` (yes/no); `answer(yes)` with what they said."""

        def __init__(self, question: str, answer: Callable[[bool | None], None]) -> None:
            super().__init__()
            self.question = question
            self.answer = answer

    class ChoiceAsked(Message):
        """Ask the user to pick one of `devices` (aliases); `answer(alias or None)`."""

        def __init__(self, title: str, devices, answer: Callable[[str | None], None]) -> None:
            super().__init__()
            self.title = title
            self.devices = devices
            self.answer = answer

    DEFAULT_CSS = """
    ConsolePane { padding: 0; height: 1fr; }
    ConsolePane > .console-status { height: 1; background: $panel; color: $text-muted; }
    ConsolePane > .console-status.-attached { color: $text; }
    ConsolePane > Input { height: 3; border: tall $accent; display: none; }
    ConsolePane > Input.-shown { display: block; }
    """

    def __init__(self, conn_id: str, uuid: str, guest_name: str, host_name: str, device: str | None = None, *,
                 open_session: OpenSession, inventory: HostsAndGuests) -> None:
        super().__init__(Content(f"{guest_name} @ {host_name}"), pane_id(conn_id, uuid), conn_id, uuid, guest_name,
                         host_name, inventory)
        self.device = device
        self.open_session = open_session
        self.session: Session | None = None
        self.view = ConsoleView(self._send)
        self.status = Static(classes="console-status")
        self.search_box = Input(placeholder="search the scrollback (enter: find older, escape: close)")
        self.ever_attached = False
        self.user_opened = True  # the next BUSY/FAILED comes from the user's own `c`
        self.detail = "opening"
        self.status_text = ""
        self.attached_at: float | None = None
        self.first_byte_at: float | None = None
        self.requested_at = time.perf_counter()

    def compose(self) -> ComposeResult:
        yield self.status
        yield self.view
        yield self.search_box

    def on_mount(self) -> None:
        if self.session is None:
            self.open()

    # -- session --------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        if self.session is not None:
            self.session.write(data)

    def open(self, force: bool = False) -> None:
        session = self.open_session(self.conn_id, self.uuid, self.device, self._notify, self.session)
        if session is None:
            self._show("failed", f"{self.host_name} is not connected")
            return
        self.session = session
        self.opened_marker = self._marker()
        session.open(force=force)

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
        if event.kind == "data":
            if self.first_byte_at is None:
                self.first_byte_at = time.perf_counter()
            self.view.data_ready(session.take)
            return
        state = session.state
        if state == ConsoleState.OPEN:
            self.view.attached = True
            self.ever_attached = True
            self.user_opened = False
            self.attached_at = time.perf_counter()
            self._show("attached", "attached: keys go to the guest, ctrl+] leaves")
            if self.view.fed == 0:
                self.view.feed(b"")
        elif state == ConsoleState.OPENING:
            self._show("opening", "opening the console")
        elif state == ConsoleState.CHOOSE:
            self._choose(session)
        elif state == ConsoleState.BUSY:
            self.view.attached = False
            self._show("busy", "another client holds this console; enter: take it over")
            if self.user_opened:
                self.user_opened = False
                self.post_message(self.TakeOverAsked(
                    f"The console of {self.guest_name} @ {self.host_name} is in use by another "
                    "client. Take it over (the other client is disconnected)?", self._takeover_answer))
        elif state == ConsoleState.FAILED:
            self.view.attached = False
            if not self.ever_attached and self.user_opened:
                self.app.notify(session.message, title=f"console {self.guest_name}", severity="error",
                                markup=False, timeout=8)
                self.deck.close_pane(self)
                return
            self._show("failed", f"cannot open: {session.message}; enter: try again")
        elif state == ConsoleState.CLOSED:
            if self.view.attached:
                self.view.attached = False
                self.view.feed(f"\r\n\x1b[0;2m[console closed: {session.message}]\x1b[0m\r\n".encode())
            self._closed_status()
            self.follow(self.inventory)

    def _takeover_answer(self, yes: bool | None) -> None:
        if yes:
            self.open(force=True)

    def _choose(self, session: Session) -> None:
        def chosen(alias: str | None) -> None:
            if alias is None:
                if not self.ever_attached:
                    self.deck.close_pane(self)
                return
            self.device = session.device = alias
            self.open()

        self._show("choose", "pick a console")
        self.post_message(self.ChoiceAsked(f"Consoles of {self.guest_name} @ {self.host_name}", session.devices,
                                           chosen))

    def follow(self, inventory: HostsAndGuests) -> None:
        """The inventory changed: show the guest's and host's state, reattach when they are back."""
        session = self.session
        if session is None:
            return
        host = inventory.hosts.get(self.conn_id)
        if session.state == ConsoleState.OPEN and (host is None or host.state != ConnState.CONNECTED):
            # the stream dies with the connection; libvirt need not say so on the stream itself
            session.detach(self._lost(inventory) or "connection lost")
            return
        if session.state in (ConsoleState.OPEN, ConsoleState.OPENING, ConsoleState.CHOOSE):
            return
        if session.state == ConsoleState.BUSY or (session.state == ConsoleState.FAILED and not self.ever_attached):
            return
        if self._guest_up(inventory) and self._marker() != self.opened_marker:
            self.open()
        else:
            self._closed_status()

    def reattach(self) -> None:
        session = self.session
        if session is not None and session.state == ConsoleState.BUSY:
            self.open(force=True)
        elif session is None or session.state not in (ConsoleState.OPEN, ConsoleState.OPENING):
            self.user_opened = not self.ever_attached
            self.open()

    @on(ConsoleView.ReattachRequested)
    def _reattach_requested(self, event: ConsoleView.ReattachRequested) -> None:
        event.stop()
        self.reattach()

    # -- status line ------------------------------------------------------------

    def _status_line(self, line: Text, text: str) -> None:
        if self.device:
            line.append(f" ({self.device})")
        line.append(f"  {text}")
        if self.view.logging and self.view.log_path is not None:
            line.append(f"  logging to {self.view.log_path}")

    def on_unmount(self) -> None:
        self.close_session()

    @property
    def deck(self) -> ConsoleDeck:
        return self.query_ancestor(ConsoleDeck)

    # -- search -------------------------------------------------------------------

    def start_search(self) -> None:
        self.search_box.add_class("-shown")
        self.search_box.value = self.view.search_text
        self.search_box.focus()

    @on(Input.Submitted)
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            return
        if not self.view.search(event.value, backwards=True):
            self.app.notify(f"{event.value!r} not found above", timeout=2, markup=False)

    def on_key(self, event) -> None:
        if event.key == "escape" and self.search_box.has_focus:
            event.stop()
            self.search_box.remove_class("-shown")
            self.deck.focus_tabs()


class ConsoleDeck(Vertical):
    """The open consoles, serial and graphical, as tabs. Hidden while none is open.

    `open_session` opens a serial pane's session and `open_display` a graphical one's,
    `inventory` holds the hosts and guests the panes follow, `log_dir` is where `l` writes
    a console's log, `picture` how a graphical console is drawn (blocks, kitty or sixel) and why."""

    class Left(Message):
        """The focus leaves the consoles: the hosting screen takes it (to its list)."""

    class KeysAsked(Message):
        """Ask which key combination to send to `pane`'s guest (the hosting screen answers)."""

        def __init__(self, pane: DisplayPane) -> None:
            super().__init__()
            self.pane = pane

    BINDINGS = [
        Binding("enter,i", "enter_terminal", "Terminal", id="console.enter"),
        Binding("escape", "back", "Guest list", id="console.back"),
        Binding("f", "zoom", "Full screen", id="console.zoom"),
        Binding("w", "close", "Close console", id="console.close"),
        Binding("slash", "search", "Search", id="console.search"),
        Binding("n", "search_next(True)", "Older match", show=False, id="console.search.older"),
        Binding("N", "search_next(False)", "Newer match", show=False, id="console.search.newer"),
        Binding("pageup", "scroll('up')", "Scroll back", show=False, id="console.scroll.up"),
        Binding("pagedown", "scroll('down')", "Scroll forward", show=False, id="console.scroll.down"),
        Binding("home", "scroll('top')", "Oldest line", show=False, id="console.scroll.top"),
        Binding("end", "scroll('live')", "Live", show=False, id="console.scroll.live"),
        Binding("l", "log", "Log to file", id="console.log"),
        Binding("y", "copy", "Copy", id="console.copy"),
        Binding("s", "send_keys", "Send keys", id="display.keys"),
        Binding("z", "picture_zoom", "Zoom 1:1", id="display.zoom"),
        Binding("h", "pan(-1, 0)", "Pan left", show=False, id="display.pan.left"),
        Binding("l", "pan(1, 0)", "Pan right", show=False, id="display.pan.right"),
        Binding("k", "pan(0, -1)", "Pan up", show=False, id="display.pan.up"),
        Binding("j", "pan(0, 1)", "Pan down", show=False, id="display.pan.down"),
    ]
    DEFAULT_CSS = """
    ConsoleDeck { display: none; width: 1fr; height: 1fr; border-left: vkey $panel; }
    ConsoleDeck.-open { display: block; }
    ConsoleDeck > TabbedContent { height: 1fr; }
    ConsoleDeck > TabbedContent > ContentSwitcher { height: 1fr; }
    """

    def __init__(self, open_session: OpenSession, inventory: HostsAndGuests, log_dir: Path,
                 open_display: OpenDisplay | None = None, picture: Detected = BLOCKS, **kwargs) -> None:
        super().__init__(**kwargs)
        self.open_session = open_session
        self.open_display = open_display
        self.inventory = inventory
        self.log_dir = log_dir
        self.picture = picture

    def compose(self) -> ComposeResult:
        yield TabbedContent()

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one(TabbedContent)

    @property
    def panes(self) -> list[ConsolePane]:
        return list(self.query(ConsolePane))

    @property
    def display_panes(self) -> list[DisplayPane]:
        return list(self.query(DisplayPane))

    @property
    def active(self) -> ConsolePane | None:
        pane = self.tabs.active_pane
        return pane if isinstance(pane, ConsolePane) else None

    @property
    def active_display(self) -> DisplayPane | None:
        pane = self.tabs.active_pane
        return pane if isinstance(pane, DisplayPane) else None

    def display_for(self, conn_id: str, uuid: str) -> DisplayPane | None:
        for pane in self.display_panes:
            if (pane.conn_id, pane.uuid) == (conn_id, uuid):
                return pane
        return None

    async def open_graphics(self, conn_id: str, uuid: str, guest_name: str, host_name: str) -> DisplayPane | None:
        """Show the graphical console of a guest (opening it if needed) and focus its picture."""
        if self.open_display is None:
            return None
        pane = self.display_for(conn_id, uuid)
        self.add_class("-open")
        if pane is None:
            pane = DisplayPane(conn_id, uuid, guest_name, host_name, open_display=self.open_display,
                               inventory=self.inventory, picture=self.picture)
            await self.tabs.add_pane(pane)
        elif pane.detail in ("closed", "failed"):
            pane.reattach()
        self.tabs.active = pane.id or ""
        pane.view.focus()
        return pane

    def pane_for(self, conn_id: str, uuid: str) -> ConsolePane | None:
        for pane in self.panes:
            if (pane.conn_id, pane.uuid) == (conn_id, uuid):
                return pane
        return None

    async def open_console(self, conn_id: str, uuid: str, guest_name: str, host_name: str) -> ConsolePane:
        """Show the console of a guest (opening it if needed) and focus its terminal."""
        pane = self.pane_for(conn_id, uuid)
        self.add_class("-open")
        if pane is None:
            pane = ConsolePane(conn_id, uuid, guest_name, host_name, open_session=self.open_session,
                               inventory=self.inventory)
            pane.open()  # its RPCs run while the pane mounts; what they report waits in its queue
            await self.tabs.add_pane(pane)
        elif pane.detail in ("closed", "failed"):
            pane.reattach()
        self.tabs.active = pane.id or ""
        pane.view.focus()
        return pane

    def close_pane(self, pane: ConsolePane | DisplayPane) -> None:
        pane.close_session()
        if isinstance(pane, ConsolePane):
            pane.view.stop_log()
        was_focused = self.has_focus_within
        remaining = [p for p in (*self.panes, *self.display_panes) if p is not pane]
        self.tabs.remove_pane(pane.id or "")
        if not remaining:
            self.remove_class("-open")
            self.zoom(False)
            self._leave()
        elif was_focused:
            self.call_after_refresh(self.focus_tabs)

    def follow(self, inventory: HostsAndGuests) -> None:
        for pane in (*self.panes, *self.display_panes):
            pane.follow(inventory)

    def close_all(self) -> None:
        for pane in self.panes:
            pane.close_session()
            pane.view.stop_log()
        for display in self.display_panes:
            display.close_session()

    def focus_tabs(self) -> None:
        if self.panes or self.display_panes:
            self.tabs.query_one(Tabs).focus()

    def _leave(self) -> None:
        self.post_message(self.Left())

    # -- from the terminal ---------------------------------------------------------

    @on(ConsoleView.Left)
    @on(DisplayView.Left)
    def _left(self, event: Message) -> None:
        event.stop()
        self.focus_tabs()

    @on(DisplayPane.Failed)
    def _display_failed(self, event: DisplayPane.Failed) -> None:
        event.stop()
        self.close_pane(event.pane)

    # -- actions (focus on the tab strip) ----------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "enter_terminal" or action == "back":
            return True
        if action in ("zoom", "close"):
            return True if self.tabs.active_pane is not None else None
        if action in ("send_keys", "picture_zoom", "pan"):
            display = self.active_display
            if display is None:
                return False
            return True if action == "send_keys" or display.view.picture == "blocks" else None
        return True if self.active is not None else False

    def action_enter_terminal(self) -> None:
        pane = self.tabs.active_pane
        if isinstance(pane, (ConsolePane, DisplayPane)):
            pane.view.focus()

    def action_send_keys(self) -> None:
        if (display := self.active_display) is not None:
            self.post_message(self.KeysAsked(display))

    def action_picture_zoom(self) -> None:
        if (display := self.active_display) is not None:
            display.view.toggle_zoom()
            display.refresh_status()

    def action_pan(self, dx: int, dy: int) -> None:
        if (display := self.active_display) is not None:
            display.view.pan(dx, dy)

    @property
    def zoomed(self) -> bool:
        """Full screen: the deck alone in its container, the list beside it hidden."""
        parent = self.parent
        return isinstance(parent, Widget) and any(not w.display for w in parent.children if w is not self)

    def zoom(self, on: bool) -> None:
        # The siblings' own display, not a class on a container: a class styles every widget
        # under it again (on the screen, 20-50 ms a toggle, a key's whole budget in a flood).
        parent = self.parent
        if isinstance(parent, Widget):
            for sibling in parent.children:
                if sibling is not self:
                    sibling.display = not on

    def action_back(self) -> None:
        self.zoom(False)
        self._leave()

    def action_zoom(self) -> None:
        self.zoom(not self.zoomed)

    def action_close(self) -> None:
        pane = self.tabs.active_pane
        if isinstance(pane, (ConsolePane, DisplayPane)):
            self.close_pane(pane)

    def action_search(self) -> None:
        if (pane := self.active) is not None:
            pane.start_search()

    def action_search_next(self, older: bool) -> None:
        pane = self.active
        if pane is None or not pane.view.search_text:
            return
        if not pane.view.search(pane.view.search_text, backwards=older):
            self.app.notify("no more matches", timeout=2)

    def action_scroll(self, where: str) -> None:
        if (pane := self.active) is not None:
            view = pane.view
            {"up": view.page_up, "down": view.page_down, "top": view.scroll_top, "live": view.scroll_live}[where]()
            if where == "live":
                view.clear_search()

    def action_log(self) -> None:
        pane = self.active
        if pane is None:
            return
        view = pane.view
        if view.logging:
            path = view.log_path
            view.stop_log()
            self.app.notify(f"stopped logging to {path}", timeout=3, markup=False)
        else:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{pane.guest_name}@{pane.host_name}")
            path = self.log_dir / f"{name}-{stamp}.log"
            try:
                view.start_log(path)
            except OSError as exc:
                self.app.notify(f"cannot log to {path}: {exc}", severity="error", markup=False)
                return
            self.app.notify(f"logging to {path}", timeout=3, markup=False)
        pane.refresh_status()

    def action_copy(self) -> None:
        pane = self.active
        if pane is None:
            return
        text = self.screen.get_selected_text()
        what = "selection"
        if not text:
            text = "\n".join(pane.view.screen_text()).rstrip("\n")
            what = "screen"
        self.app.copy_to_clipboard(text)
        self.app.notify(f"copied the {what} ({len(text)} characters)", timeout=2)
