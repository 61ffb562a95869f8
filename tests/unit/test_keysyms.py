"""Terminal keys -> keysym chords -> Linux key codes and QEMU scan codes."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.keys import _character_to_key

from tui.backend import keysyms as ks

SHIFTED = set(string.ascii_uppercase) | set('~!@#$%^&*()_+{}|:"<>?')
PRINTABLE_ASCII = [chr(c) for c in range(0x20, 0x7F)]


@pytest.mark.parametrize(
    ("key", "character", "chord"),
    [
        ("a", "a", (0x61,)),
        ("A", "A", (0xFFE1, 0x41)),
        ("exclamation_mark", "!", (0xFFE1, 0x21)),
        ("slash", "/", (0x2F,)),
        ("space", " ", (0x20,)),
        ("enter", "\r", (0xFF0D,)),
        ("backspace", "\x7f", (0xFF08,)),
        ("tab", "\t", (0xFF09,)),
        ("shift+tab", None, (0xFFE1, 0xFF09)),
        ("escape", "\x1b", (0xFF1B,)),
        ("left", None, (0xFF51,)),
        ("up", None, (0xFF52,)),
        ("right", None, (0xFF53,)),
        ("down", None, (0xFF54,)),
        ("pageup", None, (0xFF55,)),
        ("pagedown", None, (0xFF56,)),
        ("home", None, (0xFF50,)),
        ("end", None, (0xFF57,)),
        ("insert", None, (0xFF63,)),
        ("delete", None, (0xFFFF,)),
        ("f1", None, (0xFFBE,)),
        ("f5", None, (0xFFC2,)),
        ("f12", None, (0xFFC9,)),
        ("ctrl+c", "\x03", (0xFFE3, 0x63)),
        ("ctrl+shift+c", None, (0xFFE3, 0xFFE1, 0x43)),
        ("ctrl+minus", None, (0xFFE3, 0x2D)),
        ("ctrl+left", None, (0xFFE3, 0xFF51)),
        ("alt+a", "a", (0xFFE9, 0x61)),
        ("alt+shift+a", "A", (0xFFE9, 0xFFE1, 0x41)),
        ("ctrl+alt+delete", None, (0xFFE3, 0xFFE9, 0xFFFF)),
        ("e_acute", "\u00e9", (0xE9,)),
        ("euro_sign", "\u20ac", (0x010020AC,)),
        ("hyper+a", None, None),
        ("<scroll-up>", None, None),
    ],
)
def test_keysyms_for(key, character, chord):
    assert ks.keysyms_for(key, character) == chord


@pytest.mark.parametrize("char", [c for c in PRINTABLE_ASCII if c != " "])
def test_textual_key_names_of_characters_resolve_without_the_character(char):
    """With ctrl held a terminal gives no character: the key name alone says which key."""
    chord = ks.keysyms_for(f"ctrl+{_character_to_key(char)}", None)
    assert chord is not None and chord[0] == ks.CONTROL_L
    assert chord[-1] == ord(char)
    assert (ks.SHIFT_L in chord) == (char in SHIFTED)


def test_every_printable_ascii_character_has_a_us_key():
    seen: dict[tuple[int, bool], str] = {}
    for char in PRINTABLE_ASCII:
        code = ks.linux_keycode(ord(char))
        assert code is not None, char
        assert code[1] == (char in SHIFTED), char
        if char != " ":
            assert code not in seen, (char, seen.get(code))  # one character per key and shift state
        seen[code] = char
    # 47 keys type two characters each (space: one)
    assert len({code for code, _ in seen}) == 48


@pytest.mark.parametrize(
    ("keysym", "linux", "qnum"),
    [
        (ord("a"), 30, 0x1E),
        (ord("A"), 30, 0x1E),
        (ord("1"), 2, 0x02),
        (ord("0"), 11, 0x0B),
        (ord("/"), 53, 0x35),
        (ord(" "), 57, 0x39),
        (ks.ESCAPE, 1, 0x01),
        (ks.RETURN, 28, 0x1C),
        (ks.BACKSPACE, 14, 0x0E),
        (ks.TAB, 15, 0x0F),
        (ks.CONTROL_L, 29, 0x1D),
        (ks.CONTROL_R, 97, 0x9D),
        (ks.SHIFT_L, 42, 0x2A),
        (ks.ALT_L, 56, 0x38),
        (ks.ALT_R, 100, 0xB8),
        (ks.SUPER_L, 125, 0xDB),
        (ks.CAPS_LOCK, 58, 0x3A),
        (ks.f_key(1), 59, 0x3B),
        (ks.f_key(10), 68, 0x44),
        (ks.f_key(11), 87, 0x57),
        (ks.f_key(12), 88, 0x58),
        (ks.HOME, 102, 0xC7),
        (ks.UP, 103, 0xC8),
        (ks.PRIOR, 104, 0xC9),
        (ks.LEFT, 105, 0xCB),
        (ks.RIGHT, 106, 0xCD),
        (ks.END, 107, 0xCF),
        (ks.DOWN, 108, 0xD0),
        (ks.NEXT, 109, 0xD1),
        (ks.INSERT, 110, 0xD2),
        (ks.DELETE, 111, 0xD3),
        (ks.PRINT, 99, 0xB7),
    ],
)
def test_linux_codes_and_qnums(keysym, linux, qnum):
    code = ks.linux_keycode(keysym)
    assert code is not None and code[0] == linux
    scan = ks.qnum(keysym)
    assert scan is not None and scan[0] == qnum


def test_unknown_keysyms_have_no_code():
    assert ks.linux_keycode(0x010020AC) is None
    assert ks.qnum(0x010020AC) is None
    assert ks.qnum_events((0x010020AC,)) is None


def test_combos_are_named_once_and_typeable_by_code():
    names = [name for name, _ in ks.COMBOS]
    assert len(names) == len(set(names))
    combos = dict(ks.COMBOS)
    assert combos["Ctrl+Alt+Del"] == (0xFFE3, 0xFFE9, 0xFFFF)
    assert combos["Ctrl+Alt+Backspace"] == (0xFFE3, 0xFFE9, 0xFF08)
    assert [combos[f"Ctrl+Alt+F{n}"][-1] for n in range(1, 13)] == list(range(0xFFBE, 0xFFCA))
    assert combos["Print Screen"] == (0xFF61,)
    for name, chord in ks.COMBOS:
        assert all(ks.linux_keycode(k) is not None for k in chord), name
        assert ks.qnum_events(chord) is not None, name


def test_chord_events_press_in_order_and_release_in_reverse():
    assert ks.chord_events((1, 2, 3)) == [(1, True), (2, True), (3, True), (3, False), (2, False), (1, False)]


def test_qnum_events_add_shift_only_where_needed():
    assert ks.qnum_events((ks.CONTROL_L, ord("C"))) == [
        (ks.CONTROL_L, 0x1D, True), (ks.SHIFT_L, 0x2A, True), (ord("C"), 0x2E, True),
        (ord("C"), 0x2E, False), (ks.SHIFT_L, 0x2A, False), (ks.CONTROL_L, 0x1D, False),
    ]
    # a chord that holds Shift already gets no second one
    events = ks.qnum_events((ks.SHIFT_L, ord("C")))
    assert events is not None and [e[0] for e in events].count(ks.SHIFT_L) == 2


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_ascii_text_becomes_us_key_chords(text):
    chords = ks.text_chords(text)
    assert len(chords) == len(text)
    for char, chord in zip(text, chords):
        assert chord[-1] == ord(char)
        assert chord == ((ks.SHIFT_L, ord(char)) if char in SHIFTED else (ord(char),))
        events = ks.qnum_events(chord)
        assert events is not None
        downs = [(k, c) for k, c, down in events if down]
        ups = [(k, c) for k, c, down in events if not down]
        assert ups == downs[::-1]
        assert (downs[0][1] == 0x2A) == (char in SHIFTED)


@given(st.text(min_size=1))
def test_any_text_has_one_keysym_per_character(text):
    for char, chord in zip(text, ks.text_chords(text)):
        keysym = chord[-1]
        if char in "\r\n":
            assert keysym == ks.RETURN
        elif char == "\t":
            assert keysym == ks.TAB
        elif 0x20 <= ord(char) <= 0x7E or 0xA0 <= ord(char) <= 0xFF:
            assert keysym == ord(char)
        else:
            assert keysym == 0x01000000 + ord(char)
