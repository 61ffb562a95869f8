"""Pure parts of the serial console: keys -> bytes, colours, device lists,
the emulated screen's scrollback and resize, search."""

from __future__ import annotations

import libvirt
import pyte
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.color import Color

from tui.backend.console import ConsoleDevice, console_devices, is_busy
from tui.render.terminal import cell_style, find_in_lines, key_to_bytes, pyte_color
from tui.widgets.terminal_screen import TerminalScreen


@pytest.mark.parametrize(
    ("key", "character", "expected"),
    [
        ("a", "a", b"a"),
        ("A", "A", b"A"),
        ("exclamation_mark", "!", b"!"),
        ("space", " ", b" "),
        ("enter", "\r", b"\r"),
        ("backspace", "\x7f", b"\x7f"),
        ("tab", "\t", b"\t"),
        ("shift+tab", None, b"\x1b[Z"),
        ("escape", "\x1b", b"\x1b"),
        ("up", None, b"\x1b[A"),
        ("down", None, b"\x1b[B"),
        ("right", None, b"\x1b[C"),
        ("left", None, b"\x1b[D"),
        ("home", None, b"\x1b[H"),
        ("end", None, b"\x1b[F"),
        ("pageup", None, b"\x1b[5~"),
        ("pagedown", None, b"\x1b[6~"),
        ("insert", None, b"\x1b[2~"),
        ("delete", None, b"\x1b[3~"),
        ("f1", None, b"\x1bOP"),
        ("f4", None, b"\x1bOS"),
        ("f5", None, b"\x1b[15~"),
        ("f10", None, b"\x1b[21~"),
        ("f12", None, b"\x1b[24~"),
        ("ctrl+a", "\x01", b"\x01"),
        ("ctrl+c", "\x03", b"\x03"),
        ("ctrl+d", "\x04", b"\x04"),
        ("ctrl+p", "\x10", b"\x10"),
        ("ctrl+q", "\x11", b"\x11"),
        ("ctrl+z", "\x1a", b"\x1a"),
        ("ctrl+j", "\n", b"\n"),
        ("ctrl+at", None, b"\x00"),
        ("ctrl+backslash", None, b"\x1c"),
        ("ctrl+right_square_bracket", None, b"\x1d"),
        ("ctrl+underscore", None, b"\x1f"),
        ("alt+x", "x", b"\x1bx"),
        ("ctrl+up", None, b"\x1b[1;5A"),
        ("shift+right", None, b"\x1b[1;2C"),
        ("ctrl+shift+left", None, b"\x1b[1;6D"),
        ("ctrl+pageup", None, b"\x1b[5;5~"),
        ("shift+f1", None, b"\x1b[1;2P"),
        ("ctrl+f5", None, b"\x1b[15;5~"),
        ("eacute", "é", "é".encode()),
    ],
)
def test_keys_are_sent_as_xterm_sends_them(key, character, expected):
    assert key_to_bytes(key, character) == expected


def test_application_cursor_mode_sends_ss3():
    assert key_to_bytes("up", None, app_cursor=True) == b"\x1bOA"
    assert key_to_bytes("home", None, app_cursor=True) == b"\x1bOH"
    assert key_to_bytes("ctrl+up", None, app_cursor=True) == b"\x1b[1;5A"  # modifiers stay CSI


def test_keys_without_bytes():
    assert key_to_bytes("f24", None) is None or key_to_bytes("f24", None).startswith(b"\x1b")
    assert key_to_bytes("ctrl+shift+unknown_key", None) is None


@given(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")))
def test_printable_characters_are_sent_as_utf8(char):
    if not char.isprintable():
        return
    assert key_to_bytes("whatever_name", char) == char.encode("utf-8")


def test_pyte_colours():
    assert pyte_color("default") is None
    assert pyte_color("red") == Color.from_ansi(1)
    assert pyte_color("brown") == Color.from_ansi(3)  # pyte's name for SGR 33
    assert pyte_color("brightblue") == Color.from_ansi(12)
    assert pyte_color("ff8700") == Color.from_rgb(255, 135, 0)
    assert pyte_color("nonsense") is None
    style = cell_style("green", "default", True, False, True, False, False)
    assert style.color == Color.from_ansi(2) and style.bold and style.underline and style.bgcolor is None


def _screen_with(data: bytes, columns: int = 20, lines: int = 5) -> TerminalScreen:
    screen = TerminalScreen(columns, lines)
    pyte.ByteStream(screen).feed(data)
    return screen


def test_scrollback_keeps_lines_scrolled_off_the_top():
    screen = _screen_with(b"".join(b"line %d\r\n" % i for i in range(10)))
    assert [screen.line_text(line).rstrip() for line in screen.history] == [f"line {i}" for i in range(6)]
    assert screen.pushed == 6
    assert screen.display[0].rstrip() == "line 6"


def test_scroll_region_does_not_feed_the_scrollback():
    screen = _screen_with(b"\x1b[2;4r\x1b[4;1H" + b"x\r\n" * 5)  # region: rows 2..4
    assert screen.pushed == 0


def test_shrinking_keeps_the_cursor_line_and_pushes_the_rest():
    screen = _screen_with(b"".join(b"row %d\r\n" % i for i in range(4)) + b"prompt$ ")
    assert screen.cursor.y == 4
    screen.resize(2, 10)
    assert (screen.lines, screen.columns) == (2, 10)
    assert screen.display == ["row 3     ", "prompt$   "]
    assert screen.cursor.y == 1
    assert [screen.line_text(line).rstrip() for line in screen.history][-3:] == ["row 0", "row 1", "row 2"]
    screen.resize(6, 30)  # growing adds room below
    assert screen.display[1].rstrip() == "prompt$" and screen.cursor.y == 1


def test_device_status_reports_answer_the_guest():
    replies = []
    screen = TerminalScreen(80, 24, reply=replies.append)
    pyte.ByteStream(screen).feed(b"\x1b[999;999H\x1b[6n\x1b[5n")
    assert replies == ["\x1b[24;80R", "\x1b[0n"]


def test_search_goes_backwards_then_forwards():
    lines = ["a", "needle 1", "b", "NEEDLE 2", "c"]
    assert find_in_lines(lines, "needle", len(lines)) == 3
    assert find_in_lines(lines, "needle", 3) == 1
    assert find_in_lines(lines, "needle", 1) is None
    assert find_in_lines(lines, "needle", 1, backwards=False) == 3
    assert find_in_lines(lines, "", 5) is None


DOMAIN = """<domain type='qemu'><name>g</name><devices>
  <serial type='pty'><source path='/dev/pts/3'/><target type='isa-serial' port='0'/><alias name='serial0'/></serial>
  <serial type='pty'><target port='1'/><alias name='serial1'/></serial>
  <serial type='file'><source path='/tmp/x'/><target port='2'/><alias name='serial2'/></serial>
  <console type='pty' tty='/dev/pts/3'><target type='serial' port='0'/><alias name='serial0'/></console>
  <console type='pty'><target type='virtio' port='1'/><alias name='console1'/></console>
</devices></domain>"""


def test_console_devices_lists_openable_consoles_once():
    devices = console_devices(DOMAIN)
    assert [d.alias for d in devices] == ["serial0", "serial1", "console1"]
    assert devices[0] == ConsoleDevice("serial0", "serial", "serial", 0, "pty")
    assert devices[2].label == "virtio console 1 (console1)"
    assert devices[1].label == "serial 1 (serial1)"


def test_console_devices_of_a_guest_without_any():
    assert console_devices("<domain><name>x</name><devices/></domain>") == []
    assert console_devices("<domain><name>x</name></domain>") == []
    # an inactive domain has no aliases: the first console opens with None
    one = console_devices("<domain><devices><serial type='pty'><target port='0'/></serial>"
                          "<console type='pty'><target type='serial' port='0'/></console></devices></domain>")
    assert [(d.alias, d.kind) for d in one] == [(None, "serial")]


def test_busy_error_is_recognised():
    error = libvirt.libvirtError("operation failed: Active console session exists for this domain")
    assert is_busy(error)
    assert not is_busy(libvirt.libvirtError("this function is not supported by the connection driver"))
