"""The console's terminal: pyte's screen with its own short ways and a scrollback.

Kept apart from `console_view` so pyte and its character tables load only when
a console opens.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from operator import itemgetter

import pyte
from pyte import modes
from pyte.charsets import LAT1_MAP
from pyte.screens import Char, StaticDefaultDict

SCROLLBACK = 5000  # lines
_WHOLE_LINES = re.compile(r"(?:[ -~]*\r\n)+")  # lines of printable ASCII, each ended as a tty ends it
_BLANKS = {reverse: Char(" ", "default", "default", reverse=reverse) for reverse in (False, True)}


class TerminalScreen(pyte.Screen):
    """A pyte screen that keeps lines scrolled off the top and answers queries."""

    def __init__(self, columns: int, lines: int, history: int = SCROLLBACK,
                 reply: Callable[[str], None] | None = None) -> None:
        self.history: deque = deque(maxlen=history)
        self.pushed = 0  # lines ever pushed into the history: absolute line ids
        self.scrolls = 0  # lines ever scrolled up at the bottom margin, with or without history
        self.reply = reply
        self._cells: dict[tuple, dict[str, tuple]] = {}  # attributes -> character -> pyte's cell
        self._shifts: dict[tuple[int, int], tuple[range, Callable]] = {}  # margins -> how to scroll them
        self._every_line: frozenset[int] = frozenset()
        super().__init__(columns, lines)
        self.buffer.default_factory = self._new_line

    @property
    def default_char(self) -> Char:
        # pyte makes a new blank for every line a scroll brings in; two are enough
        return _BLANKS[modes.DECSCNM in self.mode]

    def _cells_of(self, attrs: tuple) -> dict[str, tuple]:
        """The cells made so far for these attributes, by character."""
        cells = self._cells.get(attrs)
        if cells is None:
            if len(self._cells) > 256:
                self._cells.clear()
            cells = self._cells[attrs] = {}
        return cells

    def _new_line(self) -> StaticDefaultDict:
        return StaticDefaultDict(self.default_char)

    def draw(self, data: str) -> None:
        # pyte's draw measures, translates and builds a cell for every character; plain
        # ASCII in the default charset, replace mode and autowrap (nearly all output)
        # is written a row's worth at a time, from cells shared per attribute set
        mode = self.mode
        if (self.charset or self.g0_charset != LAT1_MAP or not data.isascii() or not data.isprintable()
                or modes.IRM in mode or modes.DECAWM not in mode):
            super().draw(data)
            return
        cursor = self.cursor
        attrs = cursor.attrs
        cells = self._cells_of(attrs)
        columns = self.columns
        done, size = 0, len(data)
        while done < size:
            if cursor.x >= columns:
                self.dirty.add(cursor.y)
                self.carriage_return()
                self.linefeed()
            x = self._put(self.buffer[cursor.y], cursor.x, data[done:done + columns - cursor.x], attrs, cells)
            done += x - cursor.x
            cursor.x = x
        self.dirty.add(cursor.y)

    def takes_lines(self) -> bool:
        """Whether `write_lines` can write here: the cursor at the bottom row's first column,
        no scroll region, the default charset, replace mode."""
        cursor, bottom = self.cursor, self.lines - 1
        return (not cursor.x and cursor.y == bottom and self.margins in (None, (0, bottom)) and not self.charset
                and self.g0_charset == LAT1_MAP and modes.IRM not in self.mode)

    def write_lines(self, texts: list[str]) -> int:
        """`text\r\n` for each of `texts` (printable ASCII) up to the first longer than a
        row, where `takes_lines`: what draw, carriage_return and linefeed do with them,
        scrolling once instead of once a line. How many it wrote."""
        columns = self.columns
        count = next((number for number, text in enumerate(texts) if len(text) > columns), len(texts))
        if not count:
            return 0
        attrs = self.cursor.attrs
        cells = self._cells_of(attrs)
        buffer = self.buffer
        written = [buffer[y] for y in range(self.lines)]  # the rows now, then each line written
        for number, text in enumerate(texts[:count]):
            line = written[-1] if number == 0 else self._new_line()
            self._put(line, 0, text, attrs, cells)
            if number:
                written.append(line)
        written.append(self._new_line())
        self.history.extend(written[:count])
        self.pushed += count
        self.scrolls += count
        buffer.clear()
        buffer.update(enumerate(written[count:]))
        self._all_dirty()
        return count

    @staticmethod
    def _put(line, x: int, text: str, attrs: tuple, cells: dict[str, tuple]) -> int:
        """`text` into `line` from column `x`, from the cells shared for `attrs`; the column after."""
        for char in text:
            cell = cells.get(char)
            if cell is None:
                cell = cells[char] = attrs._replace(data=char)
            line[x] = cell
            x += 1
        return x

    def _all_dirty(self) -> None:
        every_line = self._every_line
        if len(every_line) != self.lines:
            every_line = self._every_line = frozenset(range(self.lines))
        self.dirty.update(every_line)

    def _push(self, line) -> None:
        self.history.append(line)
        self.pushed += 1

    def index(self) -> None:
        # pyte's index, minus a namedtuple per line: a flood of short lines spends its time here
        margins = self.margins
        top, bottom = (margins.top, margins.bottom) if margins else (0, self.lines - 1)
        if self.cursor.y != bottom:
            self.cursor_down()
            return
        buffer = self.buffer
        self.scrolls += 1
        if top == 0:
            self._push(buffer[0])  # that line object leaves the buffer: it is not copied
        self._all_dirty()
        shift = self._shifts.get((top, bottom))
        if shift is None:
            shift = self._shifts[(top, bottom)] = (range(top, bottom), itemgetter(*range(top + 1, bottom + 1)))
        rows, below = shift
        if bottom - top > 1:
            buffer.update(zip(rows, below(buffer)))  # each line moves up one, in C
        elif bottom > top:
            buffer[top] = buffer[bottom]
        buffer.pop(bottom, None)

    def write_process_input(self, data: str) -> None:
        # answers to device status / attribute queries (the guest's `resize`
        # learns the pane's size this way: a serial line has no SIGWINCH)
        if self.reply is not None:
            self.reply(data)

    def resize(self, lines: int | None = None, columns: int | None = None) -> None:
        """xterm-like: the cursor line stays visible, lines pushed off the top go
        to the scrollback, nothing is told to the guest."""
        lines = max(1, lines or self.lines)
        columns = max(1, columns or self.columns)
        if lines == self.lines and columns == self.columns:
            return
        if lines < self.lines:
            excess = max(0, self.cursor.y - (lines - 1))
            old = self.buffer
            for y in range(excess):
                self._push(old[y])
            kept = {y - excess: old[y] for y in range(excess, excess + lines) if y in old}
            old.clear()
            old.update(kept)
            self.cursor.y -= excess
        if columns < self.columns:
            for line in self.buffer.values():
                for x in [x for x in line if x >= columns]:
                    del line[x]
        self.lines, self.columns = lines, columns
        self.tabstops = {x for x in self.tabstops if x < columns} | set(range(8, columns, 8))
        self.margins = None
        self.cursor.x = min(self.cursor.x, columns - 1)
        self.cursor.y = min(self.cursor.y, lines - 1)
        self.dirty.update(range(lines))

    def line_text(self, line) -> str:
        return "".join(line[x].data for x in range(self.columns))


class TerminalStream(pyte.ByteStream):
    """pyte's byte stream, with carriage returns and line feeds between runs of text
    handed to the screen without going through pyte's parser: its generator takes one
    character a step, and a flood of short lines spends most of its parse there. What
    the parser would do with them outside an escape sequence is just that call."""

    def feed(self, data: bytes) -> None:  # type: ignore[override]
        text = self.utf8_decoder.decode(data) if self.use_utf8 else "".join(map(chr, data))
        screen = self.listener
        draw, carriage_return, linefeed = screen.draw, screen.carriage_return, screen.linefeed
        match_text = self._text_pattern.match
        send = self._send_to_parser
        taking_plain_text = self._taking_plain_text  # the parser waits outside any sequence
        offset, length = 0, len(text)
        whole_lines = _WHOLE_LINES.match
        while offset < length:
            if taking_plain_text:
                block = whole_lines(text, offset) if screen.takes_lines() else None
                if block:
                    lines = block.group().split("\r\n")[:-1]
                    written = screen.write_lines(lines)
                    if written:
                        offset += sum(len(line) for line in lines[:written]) + 2 * written
                        continue
                match = match_text(text, offset)
                if match:
                    start, offset = match.span()
                    draw(text[start:offset])
                    continue
                char = text[offset]
                if char == "\n":
                    linefeed()
                    offset += 1
                    continue
                if char == "\r":
                    carriage_return()
                    offset += 1
                    continue
                taking_plain_text = False
            else:
                taking_plain_text = send(text[offset])
                offset += 1
        self._taking_plain_text = taking_plain_text
