"""The terminal widget: a pyte screen at the widget's size, keys as an xterm
sends them, scrollback with search, optional logging, selectable text.

Output is fed to pyte in slices of a few milliseconds, so a flood from the
guest never holds the UI for long, and the widget repaints at most every
FRAME seconds. Every key goes to the guest except the widget's own
(priority) bindings: `ctrl+]` leaves the terminal (binding id
`console.leave`, remappable in the config keymap). `check_consume_key`
claims every other key, which also hides the app's priority bindings
(ctrl+q, ctrl+p) while the terminal has focus, so ctrl+letters reach the
guest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from ..render.terminal import cell_style, find_in_lines, key_to_bytes

DECCKM = 1 << 5  # application cursor keys (private mode 1, as pyte stores it)
FRAME = 0.03  # at most one repaint per 30 ms while output streams ...
FLOOD_FRAME = 0.1  # ... and per 100 ms in a flood: more waits than one slice can parse,
FLOOD_SCROLL = 3  # or this many lines scrolled before each of two frames in a row
FEED_SLICE = 8 << 10  # bytes fed to pyte at a time
FEED_BUDGET = 0.005  # seconds of feeding before the UI gets a turn


class ConsoleView(Widget, can_focus=True):
    """A terminal on one guest console (the pane feeds it and takes its input)."""

    BINDINGS = [
        Binding("ctrl+right_square_bracket", "leave", "Leave console", priority=True, id="console.leave"),
    ]
    DEFAULT_CSS = """
    ConsoleView { height: 1fr; width: 1fr; background: $background; color: $foreground; }
    """

    class Left(Message):
        """The user pressed the leave key."""

    class ReattachRequested(Message):
        """Enter on a detached console: open it again."""

    def __init__(self, send: Callable[[bytes], None] | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.send = send
        from .terminal_screen import TerminalScreen, TerminalStream  # pyte loads once a console opens

        self.term = TerminalScreen(80, 24, reply=self._reply)
        self.stream = TerminalStream(self.term)
        self.attached = False
        self.scroll_back = 0  # lines scrolled back into the history (0: live)
        self.fed = 0  # bytes parsed so far
        self.search_text = ""
        self.match: tuple[int, int, int] | None = None  # (absolute line id, start, end)
        self._backlog = bytearray()
        self._take: Callable[[], bytes] | None = None
        self._more_waiting = False
        self._pumping = False
        self._last_paint = 0.0
        self._scrolls_painted = 0
        self._scrolling = False  # the last frame followed FLOOD_SCROLL lines or more
        self._paint_timer = None
        self._strips: dict[int, Strip] = {}
        self._painting = False
        self._paint_width = 0
        self._paint_selection: Selection | None = None
        self._styles: dict[tuple, Style] = {}
        self._base: Style | None = None
        self._log: IO[bytes] | None = None
        self.log_path: Path | None = None

    # -- input from the guest ------------------------------------------------

    def data_ready(self, take: Callable[[], bytes]) -> None:
        """The session has bytes: take them when the backlog has room."""
        self._take = take
        self._more_waiting = True
        if self._pumping or self._paint_timer is not None:
            return  # the running pump or the frame due takes them
        if self._scrolling:
            # the last frame was a flood's: these bytes wait for the next one, and until
            # they are taken the session announces nothing more (a message a frame)
            wait = FLOOD_FRAME - (time.perf_counter() - self._last_paint)
            self._paint_timer = self.set_timer(max(wait, 0.001), self._paint)
            return
        self._pump()

    def feed(self, data: bytes) -> None:
        """Parse bytes right away (tests, messages the pane writes itself)."""
        self._backlog += data
        if not self._pumping:
            self._pump()

    def _pump(self) -> None:
        self._feed_waiting()
        self._schedule_paint()

    def _feed_waiting(self) -> None:
        self._pumping = True
        started = time.perf_counter()
        try:
            while True:
                if not self._backlog and self._more_waiting and self._take is not None:
                    self._more_waiting = False
                    self._backlog += self._take()
                if not self._backlog:
                    self._pumping = False
                    break
                chunk = bytes(self._backlog[:FEED_SLICE])
                del self._backlog[:FEED_SLICE]
                if self._log is not None:
                    self._log.write(chunk)
                self.stream.feed(chunk)
                self.fed += len(chunk)
                if time.perf_counter() - started > FEED_BUDGET:
                    # let keys and repaints through, then carry on
                    self.set_timer(0.001, self._pump)
                    break
        except Exception:
            self._pumping = False
            raise

    def _schedule_paint(self) -> None:
        if self._paint_timer is not None:
            return
        # a flood paints less often: still busy parsing, or scrolling fast frame after frame
        # (a guest on a slow serial line floods in small pieces, never leaving a backlog)
        flooding = self._pumping or (self._scrolling and self._scrolled() >= FLOOD_SCROLL)
        frame = FLOOD_FRAME if flooding else FRAME
        wait = frame - (time.perf_counter() - self._last_paint)
        if wait <= 0:
            self._paint()
        else:
            self._paint_timer = self.set_timer(wait, self._paint)

    def _scrolled(self) -> int:
        return self.term.scrolls - self._scrolls_painted

    def _paint(self) -> None:
        self._paint_timer = None
        if self._more_waiting and not self._pumping:
            self._feed_waiting()
        self._last_paint = time.perf_counter()
        self._scrolling = self._scrolled() >= FLOOD_SCROLL
        self._scrolls_painted = self.term.scrolls
        for y in self.term.dirty:
            self._strips.pop(y, None)
        self.term.dirty.clear()
        self.refresh()

    def _reply(self, data: str) -> None:
        if self.send is not None and self.attached:
            self.send(data.encode())

    # -- size ------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        width, height = self.size
        if width > 0 and height > 0:
            self.term.resize(height, width)
            self.scroll_back = min(self.scroll_back, len(self.term.history))
            self._strips.clear()
            self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    # -- keys --------------------------------------------------------------------

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return True  # every key belongs to the guest (our own priority bindings still apply)

    async def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        key = event.key
        if key in ("shift+pageup", "shift+pagedown", "shift+home", "shift+end"):
            {"shift+pageup": self.page_up, "shift+pagedown": self.page_down,
             "shift+home": self.scroll_top, "shift+end": self.scroll_live}[key]()
            return
        if not self.attached:
            if key == "enter":
                self.post_message(self.ReattachRequested())
            return
        data = key_to_bytes(key, event.character, app_cursor=DECCKM in self.term.mode)
        if data and self.send is not None:
            if self.scroll_back:
                self.scroll_live()
            self.send(data)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        if self.attached and self.send is not None and event.text:
            self.send(event.text.replace("\r\n", "\r").replace("\n", "\r").encode())

    def action_leave(self) -> None:
        self.post_message(self.Left())

    # -- scrollback ----------------------------------------------------------------

    def _scroll_to(self, back: int) -> None:
        back = max(0, min(back, len(self.term.history)))
        if back != self.scroll_back:
            self.scroll_back = back
            self.refresh()

    def page_up(self) -> None:
        self._scroll_to(self.scroll_back + max(1, self.term.lines - 1))

    def page_down(self) -> None:
        self._scroll_to(self.scroll_back - max(1, self.term.lines - 1))

    def scroll_top(self) -> None:
        self._scroll_to(len(self.term.history))

    def scroll_live(self) -> None:
        self._scroll_to(0)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._scroll_to(self.scroll_back + 3)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._scroll_to(self.scroll_back - 3)

    # -- lines: history then screen, by absolute id ------------------------------

    @property
    def first_id(self) -> int:
        """Absolute id of the oldest line kept."""
        return self.term.pushed - len(self.term.history)

    def _line(self, line_id: int):
        term = self.term
        if line_id >= term.pushed:
            return term.buffer[line_id - term.pushed]
        return term.history[line_id - self.first_id]

    def _top_id(self) -> int:
        return self.term.pushed - self.scroll_back

    def all_text(self) -> list[str]:
        """Every line kept, oldest first (scrollback, then the screen)."""
        term = self.term
        return [term.line_text(line) for line in term.history] + [
            term.line_text(term.buffer[y]) for y in range(term.lines)]

    def screen_text(self) -> list[str]:
        """What the pane shows now, line by line."""
        top = self._top_id()
        return [self.term.line_text(self._line(top + y)).rstrip() for y in range(self.term.lines)]

    def search(self, text: str, backwards: bool = True) -> bool:
        """Find `text` from the current match (or the bottom) and scroll to it."""
        self.search_text = text
        lines = self.all_text()
        first = self.first_id
        if self.match is not None and self.match[0] >= first:
            start = self.match[0] - first
        else:
            start = len(lines) if backwards else -1
        found = find_in_lines(lines, text, start, backwards)
        if found is None:
            return False
        column = lines[found].casefold().find(text.casefold())
        line_id = first + found
        self.match = (line_id, column, column + len(text))
        # show the match about a third from the top
        back = self.term.pushed - line_id + self.term.lines // 3
        self.scroll_back = max(0, min(back, len(self.term.history)))
        self._strips.clear()
        self.refresh()
        return True

    def clear_search(self) -> None:
        self.match = None
        self.search_text = ""
        self.refresh()

    # -- logging -----------------------------------------------------------------

    def start_log(self, path: Path) -> None:
        self.stop_log()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._log = path.open("ab")
        self.log_path = path

    def stop_log(self) -> None:
        if self._log is not None:
            self._log.close()
        self._log = None

    @property
    def logging(self) -> bool:
        return self._log is not None

    def on_unmount(self) -> None:
        self.stop_log()

    # -- selection (mouse) -------------------------------------------------------

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(self.screen_text())), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    # -- rendering ---------------------------------------------------------------

    def _style(self, key: tuple) -> Style:
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = self._base + cell_style(*key)
        return style

    def _render_cells(self, line, width: int, cursor_x: int | None) -> list[Segment]:
        # only the cells pyte holds are visited: a line of a few characters is a few
        # steps and one run of blanks, not a step for each of the pane's columns
        limit = min(width, self.term.columns)
        xs = [x for x in line if x < limit]
        if cursor_x is not None and cursor_x < limit and cursor_x not in line:
            xs.append(cursor_x)
        xs.sort()
        xs.append(limit)
        blank = line.default
        blank_key = blank[1:]
        segments: list[Segment] = []
        run: list[str] = []
        run_key = None
        done = 0  # cells before this one are in segments or run
        for x in xs:
            if x > done:
                if blank_key != run_key:
                    if run:
                        segments.append(Segment("".join(run), self._style(run_key)))
                        run = []
                    run_key = blank_key
                run.append(blank.data * (x - done))
            if x == limit:
                break
            done = x + 1
            char = line[x]
            if not char.data:  # the right half of a wide character
                continue
            key = char[1:]
            if x == cursor_x:
                if run:
                    segments.append(Segment("".join(run), self._style(run_key)))
                    run = []
                cursor = Style(reverse=True) if self.has_focus else Style(underline=True)
                segments.append(Segment(char.data, self._style(key) + cursor))
                run_key = None
                continue
            if key != run_key and run:
                segments.append(Segment("".join(run), self._style(run_key)))
                run = []
            run_key = key
            run.append(char.data)
        if run:
            segments.append(Segment("".join(run), self._style(run_key)))
        return segments

    def render_line(self, y: int) -> Strip:
        width = self._paint_width if self._painting else self.size.width
        # rich_style walks the ancestors: once per frame (line 0 comes first), not per line
        base = self.rich_style if (y == 0 or self._base is None) else self._base
        if base != self._base:
            self._base = base
            self._styles.clear()
            self._strips.clear()
        term = self.term
        if y >= term.lines:
            return Strip.blank(width, base)
        live = self.scroll_back == 0
        line_id = self._top_id() + y
        cursor_x = term.cursor.x if (live and y == term.cursor.y and not term.cursor.hidden) else None
        selection = self._paint_selection if self._painting else self.text_selection
        marked = self.match is not None and self.match[0] == line_id
        cacheable = live and cursor_x is None and selection is None and not marked
        if cacheable and y in self._strips and y not in term.dirty:
            return self._with_offsets(self._strips[y], y)
        segments = self._render_cells(self._line(line_id), width, cursor_x)
        used = min(width, term.columns)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        strip = Strip(segments, width)
        if marked:
            _, start, end = self.match  # type: ignore[misc]
            strip = self._highlight(strip, start, end, self.screen.get_component_rich_style("screen--selection"))
        if selection is not None and (span := selection.get_span(y)) is not None:
            start, end = span
            strip = self._highlight(strip, start, width if end == -1 else end,
                                    self.screen.get_component_rich_style("screen--selection"))
        if cacheable:
            self._strips[y] = strip
        return self._with_offsets(strip, y)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._painting = True
        self._paint_width = self.size.width  # size walks the layout: once a paint, not once a line
        self._paint_selection = self.text_selection  # so does the screen it is kept on
        try:
            return super().render_lines(crop)
        finally:
            self._painting = False

    def _with_offsets(self, strip: Strip, y: int) -> Strip:
        # a strip painted needs no offsets: only the hit test of a mouse selection reads
        # them, and it asks render_line for the line itself (a style per segment a frame)
        return strip if self._painting else strip.apply_offsets(0, y)

    @staticmethod
    def _highlight(strip: Strip, start: int, end: int, style: Style) -> Strip:
        if end <= start:
            return strip
        left, middle, right = strip.divide([start, end, strip.cell_length])
        middle = Strip(Segment.apply_style(middle, post_style=style), middle.cell_length)
        return Strip.join([left, middle, right])
