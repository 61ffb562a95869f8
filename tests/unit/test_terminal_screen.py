"""The console's own fast paths keep pyte's meaning: the screen's plain-text draw and
scroll against pyte's own Screen, and the line renderer against one cell at a time."""

from __future__ import annotations

import pyte
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.style import Style

from tui.widgets.console_view import ConsoleView
from tui.widgets.terminal_screen import TerminalScreen, TerminalStream

COLUMNS, LINES = 12, 5

# pieces of a guest's output: text runs (plain, Latin-1, wide, combining), line ends,
# colours, cursor moves, scroll regions, insert mode, autowrap, charsets, erases
pieces = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=30),
    st.sampled_from(["é", "ß", "中", "文字", "e\u0301", "\x7f", "☃"]),
    st.sampled_from(["\r\n", "\n", "\r", "\n\r", "\r\r\n", "\t", "\b", "\x0e", "\x0f", "\x1b(0", "\x1b(B", "\x1b)0"]),
    st.sampled_from(["\x1b[0m", "\x1b[1;31m", "\x1b[7m", "\x1b[42m", "\x1b[38;5;208m", "\x1b[4m"]),
    st.builds(lambda y, x: f"\x1b[{y};{x}H", st.integers(1, LINES + 1), st.integers(1, COLUMNS + 2)),
    st.builds(lambda t, b: f"\x1b[{t};{b}r", st.integers(1, LINES), st.integers(1, LINES)),
    st.sampled_from(["\x1b[r", "\x1b[4h", "\x1b[4l", "\x1b[?7l", "\x1b[?7h", "\x1b[K", "\x1b[2J", "\x1bM",
                     "\x1bD", "\x1b[2L", "\x1b[M", "\x1b[3@", "\x1b[?5h", "\x1b[?5l"]),
)


def cells(screen: pyte.Screen) -> list[list[tuple]]:
    return [[tuple(screen.buffer[y][x]) for x in range(screen.columns)] for y in range(screen.lines)]


@settings(max_examples=400)
@given(st.lists(pieces, max_size=40), st.data())
def test_the_screen_holds_what_pytes_own_screen_holds(output, data):
    ours, theirs = TerminalScreen(COLUMNS, LINES), pyte.Screen(COLUMNS, LINES)
    ours_stream, theirs_stream = pyte.ByteStream(ours), pyte.ByteStream(theirs)
    sent = "".join(output).encode()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(sent)), max_size=8)))  # escapes cut in two, too
    for start, end in zip([0, *cuts], [*cuts, len(sent)]):
        ours_stream.feed(sent[start:end])
        theirs_stream.feed(sent[start:end])
        assert cells(ours) == cells(theirs), repr(sent[:end])
        assert (ours.cursor.x, ours.cursor.y) == (theirs.cursor.x, theirs.cursor.y)


# a tty's lines (what a flood is made of), a row long or longer, among the other pieces
whole_lines = st.lists(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=COLUMNS + 3),
                       min_size=1, max_size=3 * LINES).map(lambda lines: "".join(f"{line}\r\n" for line in lines))


def history(screen: TerminalScreen) -> list[list[tuple]]:
    return [[tuple(line[x]) for x in range(screen.columns)] for line in screen.history]


@settings(max_examples=400)
@given(st.lists(st.one_of(pieces, whole_lines), max_size=30), st.data())
def test_the_stream_leaves_what_pytes_own_stream_leaves(output, data):
    # Whole lines are written and scrolled as a batch; anything else goes the usual way.
    ours, one_by_one, pytes = TerminalScreen(COLUMNS, LINES, history=7), TerminalScreen(COLUMNS, LINES, history=7), \
        pyte.Screen(COLUMNS, LINES)
    streams = TerminalStream(ours), pyte.ByteStream(one_by_one), pyte.ByteStream(pytes)
    sent = "".join(output).encode()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(sent)), max_size=8)))
    for start, end in zip([0, *cuts], [*cuts, len(sent)]):
        for stream in streams:
            stream.feed(sent[start:end])
        assert cells(ours) == cells(one_by_one) == cells(pytes), repr(sent[:end])
        assert (ours.cursor.x, ours.cursor.y, ours.cursor.attrs) == \
            (pytes.cursor.x, pytes.cursor.y, pytes.cursor.attrs)
        assert history(ours) == history(one_by_one)
        assert (ours.pushed, ours.scrolls) == (one_by_one.pushed, one_by_one.scrolls)
        assert ours.mode == pytes.mode


def test_a_flood_of_lines_is_written_in_batches():
    screen = TerminalScreen(20, 4)
    batches = []
    write_lines = screen.write_lines
    screen.write_lines = lambda texts: batches.append(len(texts)) or write_lines(texts)
    TerminalStream(screen).feed(b"".join(b"line %d\r\n" % n for n in range(100)))
    assert [screen.line_text(line).rstrip() for line in screen.history][-3:] == ["line 94", "line 95", "line 96"]
    assert [screen.line_text(screen.buffer[y]).rstrip() for y in range(4)] == ["line 97", "line 98", "line 99", ""]
    assert screen.pushed == 97 and screen.scrolls == 97
    assert sum(batches) > 90 and max(batches) > 90  # past the first lines (the cursor starts at the top)


def test_a_line_longer_than_a_row_ends_a_batch_and_the_next_one_starts_after_it():
    screen = TerminalScreen(10, 3)
    screen.cursor.y = 2  # at the bottom, as after a screenful
    calls = []
    write_lines = screen.write_lines

    def counted(texts: list[str]) -> int:
        calls.append(write_lines(texts))
        return calls[-1]

    screen.write_lines = counted
    lines = [f"l{n}" for n in range(200)]
    lines[100] = "a line longer than ten"
    TerminalStream(screen).feed("".join(f"{line}\r\n" for line in lines).encode())
    shown = [screen.line_text(line).rstrip() for line in screen.history] + \
        [screen.line_text(screen.buffer[y]).rstrip() for y in range(3)]
    assert shown[-4:] == ["l197", "l198", "l199", ""]
    assert "a line lon" in shown and "ger than t" in shown and "en" in shown  # wrapped, as pyte wraps it
    assert calls == [100, 0, 99]  # the lines before it in one batch, itself the usual way, the rest in one


def test_lines_scrolled_off_a_full_screen_keep_their_text_in_order():
    screen = TerminalScreen(20, 3)
    stream = pyte.Stream(screen)
    stream.feed("".join(f"line {n}\r\n" for n in range(10)))
    history = [screen.line_text(line).rstrip() for line in screen.history]
    shown = [screen.line_text(screen.buffer[y]).rstrip() for y in range(3)]
    assert history + shown == [f"line {n}" for n in range(10)] + [""]
    assert screen.scrolls == 8


def one_cell_at_a_time(view: ConsoleView, line, width: int, cursor_x: int | None) -> list[tuple[str, Style]]:
    shown = []
    for x in range(min(width, view.term.columns)):
        char = line[x]
        if not char.data:
            continue
        style = view._style(char[1:])
        if x == cursor_x:
            style += Style(underline=True)
        shown.append((char.data, style))
    return shown


@settings(max_examples=300)
@given(st.lists(pieces, max_size=40), st.integers(1, COLUMNS + 4), st.data())
def test_a_line_is_drawn_as_cell_by_cell_drawing_draws_it(output, width, data):
    view = ConsoleView()
    view._base = Style(color="white", bgcolor="black")
    view.term.resize(LINES, COLUMNS)
    pyte.Stream(view.term).feed("".join(output))
    y = data.draw(st.integers(0, LINES - 1))
    cursor_x = data.draw(st.none() | st.integers(0, COLUMNS - 1))
    line = view.term.buffer[y]
    segments = view._render_cells(line, width, cursor_x)
    assert [(char, segment.style) for segment in segments for char in segment.text] == \
        one_cell_at_a_time(view, line, width, cursor_x)
