"""App tier: the console key and the terminal widget, without a real guest.

The test driver has no consoles: `c` stays in the footer dimmed and says why.
The terminal widget is driven here by bytes fed straight in (the system tier
feeds it from real guests).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

from rich.color import Color
from textual.app import App, ComposeResult

from tui.backend.model import ConsoleState
from tui.widgets.console_pane import ConsoleDeck
from tui.widgets.console_view import ConsoleView

from .conftest import make_app, wait_for


def _select(app, name: str) -> None:
    guest = next(g for g in app.inventory.guests.values() if g.name == name)
    table = app.screen.table
    table.move_cursor(row=table.get_row_index(f"{guest.conn_id}|{guest.uuid}"))


def _why(app) -> str:
    return " ".join(str(n.message) for n in app._notifications if (n.title or "").startswith("Console"))


async def test_console_key_says_why_it_does_not_apply(tmp_path, fresh_default):
    """The test driver has no consoles: `c` stays in the footer, dimmed, and says so in words."""
    fresh_default.defineXML("<domain type='test'><name>vd-off</name><memory>65536</memory>"
                            "<os><type>hvm</type></os></domain>")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: {"test", "vd-off"} <= {g.name for g in app.inventory.guests.values()}
                       and app.screen.table.row_count >= 2)
        _select(app, "vd-off")
        await pilot.pause()
        assert app.screen.check_action("console", ()) is None  # dimmed, not hidden
        await pilot.press("c")
        await wait_for(pilot, lambda: "vd-off is shut off" in _why(app), what=lambda: f"the reason, got {_why(app)!r}")
        assert not app.screen.consoles.panes

        app.clear_notifications()
        _select(app, "test")
        await pilot.pause()
        assert app.screen.check_action("console", ()) is None
        await pilot.press("c")
        await wait_for(pilot, lambda: "this driver (test) has no consoles" in _why(app),
                       what=lambda: f"the reason, got {_why(app)!r}")
        assert "not supported" not in _why(app)
        assert not app.screen.consoles.panes and app.is_running and app.focused is app.screen.table


async def test_console_key_is_off_on_read_only_hosts(tmp_path):
    app = make_app(tmp_path, "-c", "test:///default", "--read-only")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1)
        _select(app, "test")
        await pilot.pause()
        assert app.screen.check_action("console", ()) is None
        await pilot.press("c")
        await wait_for(pilot, lambda: "read-only connection" in _why(app), what=lambda: f"the reason, got {_why(app)!r}")


class TerminalApp(App):
    """A bare app with the usual global bindings around one terminal."""

    BINDINGS = [("q", "quit", "Quit"), ("1", "bell", "view")]

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []
        self.left = 0

    def compose(self) -> ComposeResult:
        yield ConsoleView(self.sent.append)

    def on_mount(self) -> None:
        view = self.query_one(ConsoleView)
        view.attached = True
        view.focus()

    def on_console_view_left(self) -> None:
        self.left += 1


async def test_every_key_goes_to_the_guest_but_the_leave_key():
    app = TerminalApp()
    async with app.run_test(size=(80, 24)) as pilot:
        keys = ["ctrl+q", "ctrl+p", "ctrl+c", "q", "1", "tab", "shift+tab", "escape", "question_mark",
                "f1", "up", "pageup", "ctrl+a", "ctrl+z", "enter", "backspace"]
        await pilot.press(*keys)
        assert b"".join(app.sent) == (b"\x11\x10\x03q1\t\x1b[Z\x1b?\x1bOP\x1b[A\x1b[5~\x01\x1a\r\x7f")
        assert app.is_running and type(app.screen).__name__ == "Screen"  # no palette, no quit
        await pilot.press("ctrl+right_square_bracket")
        assert app.left == 1 and b"\x1d" not in b"".join(app.sent)
        # the leave key is remappable (binding id console.leave); the old key then goes to the guest
        app.set_keymap({"console.leave": "f12"})
        await pilot.press("f12", "ctrl+right_square_bracket")
        assert app.left == 2 and b"".join(app.sent).endswith(b"\x1d")


async def test_terminal_renders_colours_cursor_moves_and_scrollback():
    app = TerminalApp()
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(ConsoleView)
        await pilot.pause()
        assert (view.term.columns, view.term.lines) == (40, 10)
        view.feed(b"\x1b[2J\x1b[3;5H\x1b[31mRED\x1b[0m\x1b[1;1H\x1b[44;1mTOP\x1b[0m")
        await wait_for(pilot, lambda: view.screen_text()[2][4:7] == "RED")
        await pilot.pause(0.05)
        segments = list(view.render_line(2))
        red = next(s for s in segments if "RED" in s.text)
        assert red.style.color == Color.from_ansi(1)
        top = next(s for s in list(view.render_line(0)) if "TOP" in s.text)
        assert top.style.bgcolor == Color.from_ansi(4) and top.style.bold
        # scrollback: lines scrolled off stay reachable; shift+pageup is local
        view.feed(b"".join(b"\r\nline %d" % i for i in range(30)))
        await wait_for(pilot, lambda: view.screen_text()[-1] == "line 29")
        await pilot.press("shift+pageup")
        assert view.scroll_back > 0 and "line 29" not in view.screen_text()
        app.sent.clear()
        await pilot.press("x")  # typing returns to the live screen
        assert view.scroll_back == 0 and app.sent == [b"x"]
        assert view.search("line 3")
        assert any("line 3" in line for line in view.screen_text())


async def test_big_output_is_fed_in_slices_and_all_of_it_lands():
    app = TerminalApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(ConsoleView)
        await pilot.pause()
        data = b"".join(b"row %06d\r\n" % i for i in range(100_000)) + b"END"
        view.feed(data)
        assert view.fed < len(data)  # not all at once: the UI gets turns in between
        await pilot.press("a")  # a key is handled while the rest is still being fed
        assert app.sent == [b"a"]
        await wait_for(pilot, lambda: view.fed == len(data), timeout=60, what="everything fed")
        await pilot.pause(0.05)
        assert view.screen_text()[-1] == "END" and view.screen_text()[-2] == "row 099999"



async def test_a_flood_is_read_to_its_end_when_the_ui_thread_is_preempted_as_timers_start(monkeypatch):
    """The view feeds a flood in 5 ms slices, re-armed by a 1 ms timer. Textual counts a one-shot
    timer whose clock moved past its delay before it began waiting as already missed, and never
    calls it back: a UI thread that lost the GIL there (5 ms) stopped the pane reading for good."""
    from textual import _time

    app = TerminalApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(ConsoleView)
        await pilot.pause()
        clock = _time.get_time
        moved = [0.0]

        def preempted() -> float:  # every read of Textual's clock finds 2 ms gone since the last
            moved[0] += 0.002
            return clock() + moved[0]

        monkeypatch.setattr(_time, "get_time", preempted)
        flood = b"y\r\n" * 200_000 + b"END-OF-FLOOD\r\n"
        chunks = [flood]
        view.data_ready(lambda: chunks.pop() if chunks else b"")
        await wait_for(pilot, lambda: view.fed == len(flood), timeout=60,
                       what=lambda: f"the whole flood parsed ({view.fed} of {len(flood)} bytes)")
        await wait_for(pilot, lambda: any("END-OF-FLOOD" in line for line in view.screen_text()),
                       what="the flood's last line on screen")


async def test_a_guest_flooding_a_slow_line_in_small_pieces_is_painted_ten_times_a_second(monkeypatch):
    """A TCG guest's serial line delivers a flood a few hundred bytes at a time, so no
    backlog builds up; scrolling frame after frame is what marks it a flood."""
    app = TerminalApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(ConsoleView)
        await pilot.pause()
        frames = []
        render_line = ConsoleView.render_line

        def drawn(self, y):
            if y == 0:
                frames.append(time.monotonic())
            return render_line(self, y)

        monkeypatch.setattr(ConsoleView, "render_line", drawn)
        started = time.monotonic()
        line = 0
        while time.monotonic() - started < 1.5:
            view.feed(b"".join(b"line %06d\r\n" % n for n in range(line, line + 20)))
            line += 20
            await pilot.pause(0.01)  # the guest's pace, not a wait for the UI
        await wait_for(pilot, lambda: view.screen_text()[-2] == "line %06d" % (line - 1),
                       what=lambda: f"the last line on screen, not {view.screen_text()[-2]!r}")
        took = time.monotonic() - started
        assert len(frames) <= took / 0.1 + 3, f"{len(frames)} frames in {took:.2f} s"
        # an echo afterwards is drawn
        await pilot.pause(0.3)
        frames.clear()
        view.feed(b"typed")
        await wait_for(pilot, lambda: frames and "typed" in view.render_line(23).text, what="the echo drawn")


async def test_a_trickle_is_taken_from_the_session_once_a_frame():
    """The session announces bytes once until they are taken (tui/backend/console.py);
    a view that takes them at its next frame gets one message a frame, not one a piece."""
    app = TerminalApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(ConsoleView)
        await pilot.pause()
        view.feed(b"".join(b"before %d\r\n" % n for n in range(30)))  # the screen full: each piece scrolls
        await wait_for(pilot, lambda: view.screen_text()[-2] == "before 29", what="the screen filled")
        fed_before = view.fed
        inbox = bytearray()
        started = time.monotonic()
        announced = [False]
        takes = []

        def take() -> bytes:
            data = bytes(inbox)
            inbox.clear()
            announced[0] = False
            takes.append(len(data))
            return data

        pieces = 0
        while time.monotonic() - started < 1.5:
            inbox.extend(b"piece %06d\r\n" % pieces)
            pieces += 1
            if not announced[0]:
                announced[0] = True
                view.data_ready(take)
            await pilot.pause(0.003)  # the serial line's pace
        await wait_for(pilot, lambda: view.screen_text()[-2] == "piece %06d" % (pieces - 1),
                       what=lambda: f"the last piece on screen, not {view.screen_text()[-2]!r}")
        took = time.monotonic() - started
        assert sum(takes) == view.fed - fed_before == pieces * len(b"piece 000000\r\n")
        assert len(takes) <= took / 0.1 + 4, f"{len(takes)} takes of {pieces} pieces in {took:.2f} s"


async def test_a_mouse_drag_selects_the_text_under_it_across_colours_and_lines():
    """Painted lines carry no offsets; the hit test asks render_line itself and gets them."""
    app = TerminalApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(ConsoleView)
        await pilot.pause()
        view.feed(b"first line here\r\n\x1b[31msecond\x1b[0m line there\r\n")
        await wait_for(pilot, lambda: "line there" in view.render_line(1).text, what="both lines drawn")
        await pilot.mouse_down(view, offset=(6, 0))
        await pilot.hover(view, offset=(13, 1))
        await pilot.mouse_up(view, offset=(13, 1))
        await wait_for(pilot, lambda: app.screen.get_selected_text() is not None, what="a selection")
        assert app.screen.get_selected_text() == "line here\nsecond line th"


class EarlySession:
    """Reports at once what a host would report a few milliseconds later: attached, then bytes."""

    def __init__(self, notify) -> None:
        self.notify = notify
        self.state = ConsoleState.OPENING
        self.message = ""
        self.device = None
        self.devices = ()
        self.pane_placed_at_open: bool | None = None  # in the deck's tabs yet?
        self.inbox = b""

    def open(self, force: bool = False) -> None:
        self.pane_placed_at_open = self.notify.__self__.parent is not None
        self.state = ConsoleState.OPEN
        self.notify(self, "state")
        self.inbox = b"tiny login: "
        self.notify(self, "data")

    def take(self) -> bytes:
        data, self.inbox = self.inbox, b""
        return data

    def close(self) -> None:
        self.state = ConsoleState.CLOSED

    def detach(self, reason: str) -> None:
        self.close()

    def write(self, data: bytes) -> None:
        pass


async def test_the_session_opens_before_its_pane_mounts_and_what_it_says_meanwhile_arrives(tmp_path):
    sessions = []

    def open_session(conn_id, uuid, device, notify, current):
        sessions.append(EarlySession(notify))
        return sessions[-1]

    class DeckApp(App):
        def compose(self) -> ComposeResult:
            yield ConsoleDeck(open_session, SimpleNamespace(guests={}, hosts={}), tmp_path)

    app = DeckApp()
    async with app.run_test(size=(100, 30)) as pilot:
        deck = app.query_one(ConsoleDeck)
        pane = await deck.open_console("c1", "u1", "guest", "host")
        assert sessions and sessions[0].pane_placed_at_open is False
        await wait_for(pilot, lambda: pane.detail == "attached", what=lambda: f"attached, not {pane.detail}")
        await wait_for(pilot, lambda: "tiny login:" in pane.view.screen_text()[0],
                       what="the bytes reported before the pane mounted")
