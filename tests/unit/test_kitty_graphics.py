"""The kitty graphics output, decoded again here: APC commands parsed, chunks joined,
base64 + zlib undone, and the pixels compared with the frame scaled by Pillow."""

from __future__ import annotations

import base64
import os
import re
import unicodedata
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from rich.cells import cell_len

from tui.backend.model import Frame
from tui.render.kitty_graphics import (
    CHUNK,
    DIACRITICS,
    PLACEHOLDER,
    delete,
    place_virtual,
    placeholder_lines,
    transmit,
    update,
)
from tui.render.kitty_graphics import _command  # the chunking itself

APC = re.compile(r"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\")


def commands(output: str) -> list[tuple[dict[str, str], str]]:
    """Each APC graphics command as (keys, base64 payload); nothing else may be in the output."""
    found, end = [], 0
    for match in APC.finditer(output):
        assert match.start() == end, repr(output[end:match.start()][:80])
        end = match.end()
        keys = dict(pair.split("=", 1) for pair in match.group(1).split(","))
        found.append((keys, match.group(2) or ""))
    assert end == len(output)
    return found


def joined(output: str) -> list[tuple[dict[str, str], bytes]]:
    """Chunked commands joined: (the first chunk's keys, the decoded, decompressed payload)."""
    whole, keys, parts = [], None, []
    for chunk_keys, payload in commands(output):
        if keys is None:
            keys = chunk_keys
        parts.append(payload)
        if chunk_keys.get("m", "0") == "0":
            data = base64.b64decode("".join(parts)) if parts != [""] else b""
            whole.append((keys, zlib.decompress(data) if keys.get("o") == "z" else data))
            keys, parts = None, []
    assert keys is None, "a chunked command never ended"
    return whole


def frame_of(image: Image.Image, damage=None, serial: int = 0) -> Frame:
    return Frame(image.width, image.height, image.convert("RGBX").tobytes(),
                 tuple(damage or ((0, 0, image.width, image.height),)), serial)


def reference(frame: Frame, width: int, height: int) -> bytes:
    """What the picture should hold: Pillow's bilinear resize of the frame, as RGB."""
    image = Image.frombytes("RGBX", (frame.width, frame.height), frame.pixels).convert("RGB")
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    return image.tobytes()


def test_transmit_sends_the_scaled_frame():
    source = Image.linear_gradient("L").resize((40, 30)).convert("RGB")
    source.paste((200, 10, 30), (5, 5, 20, 12))
    frame = frame_of(source)
    (keys, data), = joined(transmit(7, frame, 80, 60))
    assert keys == {"a": "t", "f": "24", "o": "z", "s": "80", "v": "60", "i": "7", "q": "2"}
    assert data == reference(frame, 80, 60)
    # at its own size the picture is the frame itself, pixel for pixel
    (keys, data), = joined(transmit(7, frame, 40, 30))
    assert data == source.tobytes()


def test_chunks_are_at_most_4096_base64_bytes_and_only_the_first_has_the_keys():
    noise = Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3))  # does not compress
    output = transmit(9, frame_of(noise), 64, 64)
    chunks = commands(output)
    assert len(chunks) >= 4
    assert [keys.get("m") for keys, _ in chunks] == ["1"] * (len(chunks) - 1) + ["0"]
    assert chunks[0][0]["a"] == "t" and chunks[0][0]["i"] == "9"
    assert all(set(keys) == {"m", "q"} for keys, _ in chunks[1:])
    assert all(len(payload) == CHUNK for _, payload in chunks[:-1])
    assert 0 < len(chunks[-1][1]) <= CHUNK
    (_, data), = joined(output)
    assert data == noise.tobytes()


def test_chunk_boundaries():
    # 3072 bytes are exactly 4096 base64 bytes: one command; a byte more makes two
    (keys, payload), = commands(_command({"a": "t", "i": 1}, bytes(3072), {"q": 2}))
    assert "m" not in keys and len(payload) == CHUNK
    first, second = commands(_command({"a": "t", "i": 1}, bytes(3073), {"q": 2}))
    assert (first[0], len(first[1])) == ({"a": "t", "i": "1", "m": "1"}, CHUNK)
    assert (second[0], second[1]) == ({"q": "2", "m": "0"}, "AA==")


def test_virtual_placement_and_delete():
    (keys, payload), = commands(place_virtual(42, 30, 10))
    assert keys == {"a": "p", "U": "1", "i": "42", "c": "30", "r": "10", "C": "1", "q": "2"} and payload == ""
    (keys, payload), = commands(delete(42))
    assert keys == {"a": "d", "d": "I", "i": "42", "q": "2"}


def test_placeholder_cells_carry_their_row_column_and_the_image_id():
    lines = placeholder_lines(0x123456, 5, 3)
    assert len(lines) == 3
    for row, line in enumerate(lines):
        (segment,) = line
        assert cell_len(segment.text) == 5
        assert segment.style.color.get_truecolor()[:3] == (0x12, 0x34, 0x56)
        cells = segment.text.split(PLACEHOLDER)
        assert cells[0] == "" and len(cells) == 6
        assert [(DIACRITICS.index(c[0]), DIACRITICS.index(c[1]), len(c)) for c in cells[1:]] == [
            (row, col, 2) for col in range(5)]
    # the documentation's own example: row 1, column 0 is U+10EEEE U+030D U+0305
    assert placeholder_lines(42, 2, 2)[1][0].text.startswith("\U0010EEEE\u030D\u0305\U0010EEEE\u030D\u030D")
    # an id past 24 bits: its high byte as a third diacritic, the low 24 bits as the colour
    (segment,), = placeholder_lines(42 + (2 << 24), 2, 1)
    assert segment.text == "\U0010EEEE\u0305\u0305\u030E\U0010EEEE\u0305\u030D\u030E"
    assert segment.style.color.get_truecolor()[:3] == (0, 0, 42)


def test_the_diacritics_table():
    assert len(DIACRITICS) == 297 and len(set(DIACRITICS)) == 297
    assert [ord(c) for c in DIACRITICS[:3]] == [0x305, 0x30D, 0x30E]
    assert ord(DIACRITICS[-1]) == 0x1D244
    assert list(DIACRITICS) == sorted(DIACRITICS)
    assert all(unicodedata.category(c) == "Mn" and unicodedata.combining(c) == 230 for c in DIACRITICS)
    assert not any(unicodedata.decomposition(c) for c in DIACRITICS)


def apply(canvas: bytearray, width: int, output: str) -> None:
    """Edit a decoded RGB picture with the frame edits of an update."""
    for keys, data in joined(output):
        assert keys["a"] == "f" and keys["r"] == "1" and keys["X"] == "1" and keys["f"] == "24"
        x, y, w, h = (int(keys[k]) for k in ("x", "y", "s", "v"))
        assert len(data) == w * h * 3
        for row in range(h):
            start = ((y + row) * width + x) * 3
            canvas[start:start + w * 3] = data[row * w * 3:(row + 1) * w * 3]


def scene(seed: int) -> Image.Image:
    image = Image.new("RGB", (64, 48), (20, 40, 60))
    for i in range(12):
        box = ((seed * 7 + i * 13) % 60, (seed * 5 + i * 11) % 44)
        image.paste(((i * 40) % 256, (seed * 30) % 256, 128), box + (box[0] + 4, box[1] + 4))
    return image


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 255), st.integers(0, 63), st.integers(0, 47), st.integers(1, 20), st.integers(1, 12),
       st.sampled_from([(64, 48), (128, 96), (100, 75), (48, 36)]))
def test_damage_edits_bring_the_picture_to_the_new_frame(seed, x, y, w, h, size):
    px_w, px_h = size
    before = scene(seed)
    first = frame_of(before)
    canvas = bytearray(joined(transmit(5, first, px_w, px_h))[0][1])
    after = before.copy()
    after.paste((255, 255, 0), (x, y, min(64, x + w), min(48, y + h)))
    second = frame_of(after, [(x, y, w, h)], 1)
    output = update(5, second, px_w, px_h)
    assert all(keys["a"] == "f" for keys, _ in commands(output))  # small damage: edits only
    apply(canvas, px_w, output)
    want = reference(second, px_w, px_h)
    worst = max(abs(a - b) for a, b in zip(canvas, want))
    # a region is resampled apart from the whole: Pillow's rounding may differ by a level or two
    assert worst <= (0 if size == (64, 48) else 2), worst


def test_much_damage_is_one_edit_of_the_whole_picture():
    before = scene(2)
    canvas = bytearray(joined(transmit(5, frame_of(before), 100, 75))[0][1])
    frame = frame_of(scene(3), [(0, 0, 64, 30)])
    output = update(5, frame, 100, 75)  # no cells needed: the placement stays
    (keys, data), = joined(output)
    assert (keys["a"], keys["r"], keys["x"], keys["y"], keys["s"], keys["v"]) == ("f", "1", "0", "0", "100", "75")
    apply(canvas, 100, output)
    assert max(abs(a - b) for a, b in zip(canvas, reference(frame, 100, 75))) <= 2


def test_without_frame_edits_the_whole_picture_is_sent_and_placed_again():
    frame = frame_of(scene(3), [(1, 1, 2, 2)])
    sent = joined(update(5, frame, 64, 48, 20, 6, frame_edits=False))
    assert [keys["a"] for keys, _ in sent] == ["t", "p"]
    assert sent[0][1] == reference(frame, 64, 48)
    assert (sent[1][0]["U"], sent[1][0]["i"], sent[1][0]["c"], sent[1][0]["r"]) == ("1", "5", "20", "6")


def test_many_small_rectangles_become_their_bounding_box():
    many = frame_of(scene(4), [(i * 2, 0, 1, 1) for i in range(30)])
    (keys, _), = joined(update(5, many, 64, 48))
    assert (keys["x"], keys["y"], keys["s"], keys["v"]) == ("0", "0", "59", "1")
