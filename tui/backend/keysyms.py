"""Keys for a graphical console: terminal keys -> X keysyms -> key codes.

A terminal key (Textual's `event.key` and `event.character`) becomes a *chord*: the
keysyms an X keyboard would press for it, modifiers first and the key last (released
in reverse). A character a US keyboard types with Shift held gets Shift_L in its chord:
QEMU's VNC server turns a keysym into the key code of its unshifted key and presses
no Shift of its own.

For servers that take key codes (QEMU's extended key event, libvirt's send-key) a
keysym maps to its Linux input key code on a US keyboard (`linux_keycode`, as in
linux/input-event-codes.h) and to QEMU's QNUM (XT scan code set 1, an 0xe0 prefix
folded into the high bit: `qnum`).
"""

from __future__ import annotations

import unicodedata

Chord = tuple[int, ...]

# X keysyms (X11 keysymdef.h)
BACKSPACE = 0xFF08
TAB = 0xFF09
RETURN = 0xFF0D
PAUSE = 0xFF13
SCROLL_LOCK = 0xFF14
SYS_REQ = 0xFF15
ESCAPE = 0xFF1B
HOME = 0xFF50
LEFT = 0xFF51
UP = 0xFF52
RIGHT = 0xFF53
DOWN = 0xFF54
PRIOR = 0xFF55
NEXT = 0xFF56
END = 0xFF57
PRINT = 0xFF61
INSERT = 0xFF63
MENU = 0xFF67
NUM_LOCK = 0xFF7F
F1 = 0xFFBE
SHIFT_L = 0xFFE1
SHIFT_R = 0xFFE2
CONTROL_L = 0xFFE3
CONTROL_R = 0xFFE4
CAPS_LOCK = 0xFFE5
ALT_L = 0xFFE9
ALT_R = 0xFFEA
SUPER_L = 0xFFEB
SUPER_R = 0xFFEC
DELETE = 0xFFFF

MODIFIERS = frozenset({SHIFT_L, SHIFT_R, CONTROL_L, CONTROL_R, ALT_L, ALT_R, SUPER_L, SUPER_R})


def f_key(n: int) -> int:
    """The keysym of F<n> (1..35)."""
    return F1 + n - 1


# Textual's names of keys that type no character
SPECIAL_KEYS: dict[str, int] = {
    "enter": RETURN,
    "return": RETURN,
    "tab": TAB,
    "backspace": BACKSPACE,
    "escape": ESCAPE,
    "space": ord(" "),
    "left": LEFT,
    "up": UP,
    "right": RIGHT,
    "down": DOWN,
    "home": HOME,
    "end": END,
    "pageup": PRIOR,
    "pagedown": NEXT,
    "insert": INSERT,
    "delete": DELETE,
    **{f"f{n}": f_key(n) for n in range(1, 25)},
}

# Textual's names of punctuation keys that unicodedata cannot look up as they are
_CHARACTER_NAMES = {
    "slash": "/",
    "backslash": "\\",
    "at": "@",
    "minus": "-",
    "hyphen_minus": "-",
    "plus": "+",
    "underscore": "_",
    "less_than_sign": "<",
    "greater_than_sign": ">",
    "left_square_brace": "[",
    "right_square_brace": "]",
}

_MODIFIER_NAMES = {"ctrl": CONTROL_L, "alt": ALT_L, "meta": ALT_L, "super": SUPER_L, "shift": SHIFT_L}


def char_keysym(char: str) -> int:
    """The keysym of one character: Latin-1 is its code point, the rest 0x01000000 + it."""
    code = ord(char)
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF:
        return code
    if char == "\n" or char == "\r":
        return RETURN
    if char == "\t":
        return TAB
    return 0x01000000 + code


def _base_char(name: str) -> str | None:
    if len(name) == 1:
        return name
    if name in _CHARACTER_NAMES:
        return _CHARACTER_NAMES[name]
    try:
        return unicodedata.lookup(name.replace("_", " ").upper())
    except KeyError:
        return None


def char_chord(char: str) -> Chord:
    """What a US keyboard presses for one character: Shift_L first where it needs one."""
    keysym = char_keysym(char)
    code = linux_keycode(keysym)
    if code is not None and code[1]:
        return (SHIFT_L, keysym)
    return (keysym,)


def keysyms_for(key: str, character: str | None) -> Chord | None:
    """The chord for a Textual key event (`event.key`, `event.character`), or None for a
    key with no keysym. `ctrl+c` -> (Control_L, 'c'); `A` -> (Shift_L, 'A');
    `shift+tab` -> (Shift_L, Tab)."""
    *mod_names, base = key.split("+") if key != "+" else ["+"]
    if not base:
        return None
    mods: list[int] = []
    for name in mod_names:
        keysym = _MODIFIER_NAMES.get(name)
        if keysym is None:
            return None  # hyper and the like: nothing a guest knows
        if keysym not in mods:
            mods.append(keysym)
    typed = (
        character is not None
        and len(character) == 1
        and character.isprintable()
        and not any(m in mods for m in (CONTROL_L, ALT_L, SUPER_L))
    )
    if typed:
        assert character is not None
        return char_chord(character)
    if base in SPECIAL_KEYS:
        return (*mods, SPECIAL_KEYS[base])
    char = _base_char(base)
    if char is None or not char.isprintable():
        return None
    if SHIFT_L in mods:
        char = char.upper()
    else:
        chord = char_chord(char)
        if len(chord) == 2:  # the character needs Shift: hold it after the other modifiers
            mods.append(SHIFT_L)
    return (*mods, char_keysym(char))


def text_chords(text: str) -> list[Chord]:
    """One chord per character of `text` (newline -> Return, tab -> Tab)."""
    chords: list[Chord] = []
    for char in text:
        if char in "\r\n":
            chords.append((RETURN,))
        elif char == "\t":
            chords.append((TAB,))
        else:
            chords.append(char_chord(char))
    return chords


def chord_events(chord: Chord) -> list[tuple[int, bool]]:
    """Press every keysym of the chord in order, release them in reverse: (keysym, down)."""
    return [(k, True) for k in chord] + [(k, False) for k in reversed(chord)]


# The combinations a terminal cannot type (or virtdeck keeps for itself), for a menu.
COMBOS: list[tuple[str, Chord]] = [
    ("Ctrl+Alt+Del", (CONTROL_L, ALT_L, DELETE)),
    ("Ctrl+Alt+Backspace", (CONTROL_L, ALT_L, BACKSPACE)),
    *[(f"Ctrl+Alt+F{n}", (CONTROL_L, ALT_L, f_key(n))) for n in range(1, 13)],
    *[(f"Alt+F{n}", (ALT_L, f_key(n))) for n in range(1, 13)],
    ("Alt+Tab", (ALT_L, TAB)),
    ("Print Screen", (PRINT,)),
    ("Super", (SUPER_L,)),
    ("Ctrl+Esc", (CONTROL_L, ESCAPE)),
    ("Ctrl+]", (CONTROL_L, ord("]"))),
]


# Linux input key codes (linux/input-event-codes.h)
KEY_ESC = 1
KEY_BACKSPACE = 14
KEY_TAB = 15
KEY_ENTER = 28
KEY_LEFTCTRL = 29
KEY_LEFTSHIFT = 42
KEY_RIGHTSHIFT = 54
KEY_LEFTALT = 56
KEY_SPACE = 57
KEY_CAPSLOCK = 58
KEY_F1 = 59
KEY_NUMLOCK = 69
KEY_SCROLLLOCK = 70
KEY_F11 = 87
KEY_F12 = 88
KEY_RIGHTCTRL = 97
KEY_SYSRQ = 99
KEY_RIGHTALT = 100
KEY_HOME = 102
KEY_UP = 103
KEY_PAGEUP = 104
KEY_LEFT = 105
KEY_RIGHT = 106
KEY_END = 107
KEY_DOWN = 108
KEY_PAGEDOWN = 109
KEY_INSERT = 110
KEY_DELETE = 111
KEY_PAUSE = 119
KEY_LEFTMETA = 125
KEY_RIGHTMETA = 126
KEY_COMPOSE = 127

# the US layout: each key's code, its character and its character with Shift
_US_ROWS: list[tuple[int, str, str]] = [
    (2, "1", "!"), (3, "2", "@"), (4, "3", "#"), (5, "4", "$"), (6, "5", "%"),
    (7, "6", "^"), (8, "7", "&"), (9, "8", "*"), (10, "9", "("), (11, "0", ")"),
    (12, "-", "_"), (13, "=", "+"),
    *[(16 + i, c, c.upper()) for i, c in enumerate("qwertyuiop")],
    (26, "[", "{"), (27, "]", "}"),
    *[(30 + i, c, c.upper()) for i, c in enumerate("asdfghjkl")],
    (39, ";", ":"), (40, "'", '"'), (41, "`", "~"), (43, "\\", "|"),
    *[(44 + i, c, c.upper()) for i, c in enumerate("zxcvbnm")],
    (51, ",", "<"), (52, ".", ">"), (53, "/", "?"), (KEY_SPACE, " ", " "),
]

_LINUX: dict[int, tuple[int, bool]] = {}
for _code, _plain, _shifted in _US_ROWS:
    _LINUX[ord(_shifted)] = (_code, True)
    _LINUX[ord(_plain)] = (_code, False)
_LINUX.update({
    BACKSPACE: (KEY_BACKSPACE, False),
    TAB: (KEY_TAB, False),
    RETURN: (KEY_ENTER, False),
    ESCAPE: (KEY_ESC, False),
    PAUSE: (KEY_PAUSE, False),
    SCROLL_LOCK: (KEY_SCROLLLOCK, False),
    SYS_REQ: (KEY_SYSRQ, False),
    PRINT: (KEY_SYSRQ, False),
    HOME: (KEY_HOME, False),
    LEFT: (KEY_LEFT, False),
    UP: (KEY_UP, False),
    RIGHT: (KEY_RIGHT, False),
    DOWN: (KEY_DOWN, False),
    PRIOR: (KEY_PAGEUP, False),
    NEXT: (KEY_PAGEDOWN, False),
    END: (KEY_END, False),
    INSERT: (KEY_INSERT, False),
    DELETE: (KEY_DELETE, False),
    MENU: (KEY_COMPOSE, False),
    NUM_LOCK: (KEY_NUMLOCK, False),
    CAPS_LOCK: (KEY_CAPSLOCK, False),
    SHIFT_L: (KEY_LEFTSHIFT, False),
    SHIFT_R: (KEY_RIGHTSHIFT, False),
    CONTROL_L: (KEY_LEFTCTRL, False),
    CONTROL_R: (KEY_RIGHTCTRL, False),
    ALT_L: (KEY_LEFTALT, False),
    ALT_R: (KEY_RIGHTALT, False),
    SUPER_L: (KEY_LEFTMETA, False),
    SUPER_R: (KEY_RIGHTMETA, False),
    **{f_key(n): (KEY_F1 + n - 1, False) for n in range(1, 11)},
    f_key(11): (KEY_F11, False),
    f_key(12): (KEY_F12, False),
})


def linux_keycode(keysym: int) -> tuple[int, bool] | None:
    """The Linux key code of `keysym` on a US keyboard and whether Shift is needed."""
    return _LINUX.get(keysym)


# Set 1 scan codes of keys above KEY_F12 (0xe0-prefixed ones with the high bit set);
# up to KEY_F12 the scan code is the key code
_QNUM_ABOVE_F12 = {
    KEY_RIGHTCTRL: 0x9D,
    KEY_RIGHTALT: 0xB8,
    KEY_HOME: 0xC7,
    KEY_UP: 0xC8,
    KEY_PAGEUP: 0xC9,
    KEY_LEFT: 0xCB,
    KEY_RIGHT: 0xCD,
    KEY_END: 0xCF,
    KEY_DOWN: 0xD0,
    KEY_PAGEDOWN: 0xD1,
    KEY_INSERT: 0xD2,
    KEY_DELETE: 0xD3,
    KEY_LEFTMETA: 0xDB,
    KEY_RIGHTMETA: 0xDC,
    KEY_COMPOSE: 0xDD,
    KEY_SYSRQ: 0x54,
    KEY_PAUSE: 0xC6,
}


def linux_to_qnum(code: int) -> int | None:
    """QEMU's QNUM for a Linux key code."""
    if 1 <= code <= KEY_F12:
        return code
    return _QNUM_ABOVE_F12.get(code)


def qnum(keysym: int) -> tuple[int, bool] | None:
    """QEMU's QNUM for `keysym` on a US keyboard and whether Shift is needed."""
    if keysym == PRINT:
        return 0xB7, False  # Print Screen is e0 37; SysRq (alt + the same key) is 0x54
    code = linux_keycode(keysym)
    if code is None:
        return None
    scan = linux_to_qnum(code[0])
    return None if scan is None else (scan, code[1])


def qnum_events(chord: Chord) -> list[tuple[int, int, bool]] | None:
    """The chord as QEMU extended key events (keysym, qnum, down), with Shift_L pressed
    where a key needs it and the chord holds no Shift; None when a key has no code."""
    codes = [qnum(k) for k in chord]
    if any(c is None for c in codes):
        return None
    keys: list[tuple[int, int]] = []
    shifted = any(k in (SHIFT_L, SHIFT_R) for k in chord)
    for keysym, code in zip(chord, codes):
        assert code is not None
        if code[1] and not shifted:
            keys.append((SHIFT_L, linux_to_qnum(KEY_LEFTSHIFT) or 0))
            shifted = True
        keys.append((keysym, code[0]))
    return [(k, c, True) for k, c in keys] + [(k, c, False) for k, c in reversed(keys)]
