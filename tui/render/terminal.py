"""Pure helpers for the console pane: keys -> the bytes a terminal sends,
pyte cell attributes -> rich styles, scrollback search.

Key names are Textual's (`events.Key.key`), but nothing here imports Textual.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rich.color import Color
from rich.style import Style

ESC = "\x1b"
CSI = ESC + "["
SS3 = ESC + "O"

# xterm's modifier parameter: 1 + shift(1) + alt(2) + ctrl(4) + meta(8)
_MOD_BITS = {"shift": 1, "alt": 2, "ctrl": 4, "meta": 8, "super": 8}

# cursor keys: final byte; CSI in normal mode, SS3 in application mode (DECCKM)
_CURSOR = {"up": "A", "down": "B", "right": "C", "left": "D", "home": "H", "end": "F"}
# keys sent as CSI n ~
_TILDE = {"insert": 2, "delete": 3, "pageup": 5, "pagedown": 6,
          "f5": 15, "f6": 17, "f7": 18, "f8": 19, "f9": 20, "f10": 21, "f11": 23, "f12": 24,
          "f13": 25, "f14": 26, "f15": 28, "f16": 29, "f17": 31, "f18": 32, "f19": 33, "f20": 34}
_SS3_F = {"f1": "P", "f2": "Q", "f3": "R", "f4": "S"}
_PLAIN = {"enter": "\r", "return": "\r", "tab": "\t", "backspace": "\x7f", "escape": ESC,
          "space": " ", "shift+tab": CSI + "Z", "ctrl+j": "\n", "newline": "\n",
          "ctrl+at": "\x00", "ctrl+@": "\x00", "ctrl+space": "\x00", "ctrl-at": "\x00",
          "ctrl+backslash": "\x1c", "ctrl+right_square_bracket": "\x1d",
          "ctrl+circumflex_accent": "\x1e", "ctrl+underscore": "\x1f",
          "ctrl+left_square_bracket": ESC, "ctrl+left_square_brace": ESC,
          "ctrl+question_mark": "\x7f", "ctrl+h": "\x08", "ctrl+backspace": "\x08",
          "shift+enter": "\r", "shift+space": " ", "shift+backspace": "\x7f"}


def key_to_bytes(key: str, character: str | None = None, app_cursor: bool = False) -> bytes | None:
    """The bytes an xterm sends for a Textual key; None if there are none.

    `app_cursor`: the guest enabled application cursor keys (DECCKM), so
    arrows, home and end are sent as SS3 sequences.
    """
    if key in _PLAIN:
        return _PLAIN[key].encode()
    *mods, base = key.split("+")
    bits = sum(_MOD_BITS.get(mod, 0) for mod in mods)
    if base in _CURSOR:
        if bits:
            return f"{CSI}1;{1 + bits}{_CURSOR[base]}".encode()
        return ((SS3 if app_cursor else CSI) + _CURSOR[base]).encode()
    if base in _SS3_F:
        return (f"{CSI}1;{1 + bits}{_SS3_F[base]}" if bits else SS3 + _SS3_F[base]).encode()
    if base in _TILDE:
        return (f"{CSI}{_TILDE[base]};{1 + bits}~" if bits else f"{CSI}{_TILDE[base]}~").encode()
    if base in _PLAIN and not mods:
        return _PLAIN[base].encode()
    ctrl = "ctrl" in mods
    alt = "alt" in mods or "meta" in mods
    char = character if character and character.isprintable() else None
    if char is None and len(base) == 1:
        char = base.upper() if "shift" in mods and base.isalpha() else base
    if char is None and base in _PLAIN:
        char = _PLAIN[base]
    if char is None:
        return None
    if ctrl:
        low = char.lower()
        if "a" <= low <= "z":
            char = chr(ord(low) - 96)
        elif char in "@ 2":
            char = "\x00"
        elif char in "[3":
            char = ESC
        elif char in "\\4":
            char = "\x1c"
        elif char in "]5":
            char = "\x1d"
        elif char in "^6":
            char = "\x1e"
        elif char in "_-7/":
            char = "\x1f"
        elif char == "8":
            char = "\x7f"
    data = char.encode("utf-8", "replace")
    return (b"\x1b" + data) if alt else data


# -- colours -------------------------------------------------------------------

_ANSI_NAMES = {"black": 0, "red": 1, "green": 2, "brown": 3, "yellow": 3, "blue": 4,
               "magenta": 5, "cyan": 6, "white": 7}
_HEX = re.compile(r"^[0-9a-fA-F]{6}$")


@lru_cache(maxsize=4096)
def pyte_color(name: str) -> Color | None:
    """A pyte colour ("red", "brightblue", "ff8700", "default") as a rich Color."""
    if not name or name == "default":
        return None
    if name in _ANSI_NAMES:
        return Color.from_ansi(_ANSI_NAMES[name])
    if name.startswith("bright") and name[6:] in _ANSI_NAMES:
        return Color.from_ansi(_ANSI_NAMES[name[6:]] + 8)
    if _HEX.match(name):
        return Color.from_rgb(int(name[0:2], 16), int(name[2:4], 16), int(name[4:6], 16))
    return None


@lru_cache(maxsize=8192)
def cell_style(fg: str, bg: str, bold: bool, italics: bool, underscore: bool,
               strikethrough: bool, reverse: bool, blink: bool = False) -> Style:
    """The rich style of one pyte cell's attributes (colours of "default" inherit)."""
    return Style(color=pyte_color(fg), bgcolor=pyte_color(bg), bold=bold or None, italic=italics or None,
                 underline=underscore or None, strike=strikethrough or None, reverse=reverse or None,
                 blink=blink or None)


# -- search ----------------------------------------------------------------------


def find_in_lines(lines: Sequence[str], needle: str, start: int, backwards: bool = True) -> int | None:
    """Index of the next line containing `needle` (case-insensitive), from `start`
    exclusive, searching backwards (towards older lines) or forwards. No wrap."""
    if not needle:
        return None
    folded = needle.casefold()
    indices = range(start - 1, -1, -1) if backwards else range(start + 1, len(lines))
    for index in indices:
        if folded in lines[index].casefold():
            return index
    return None
