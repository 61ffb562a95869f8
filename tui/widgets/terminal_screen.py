"""The console's terminal: pyte's screen with its own short ways and a scrollback.

Kept apart from `console_view` so pyte and its character tables load only when
a console opens.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from operator import itemgetter

import pyte
from pyte import modes
from pyte.charsets import LAT1_MAP

SCROLLBACK = 5000  # lines


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
        super().__init__(columns, lines)

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
        cells = self._cells.get(attrs)
        if cells is None:
            if len(self._cells) > 256:
                self._cells.clear()
            cells = self._cells[attrs] = {}
        columns = self.columns
        done, size = 0, len(data)
        while done < size:
            if cursor.x >= columns:
                self.dirty.add(cursor.y)
                self.carriage_return()
                self.linefeed()
            line = self.buffer[cursor.y]
            x = cursor.x
            for char in data[done:done + columns - x]:
                cell = cells.get(char)
                if cell is None:
                    cell = cells[char] = attrs._replace(data=char)
                line[x] = cell
                x += 1
            done += x - cursor.x
            cursor.x = x
        self.dirty.add(cursor.y)

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
        self.dirty.update(range(self.lines))
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
