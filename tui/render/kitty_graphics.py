"""A guest's screen through the kitty graphics protocol (kitty, Ghostty): escape sequences
that send the picture, and the text cells that show it.

The picture is sent once under an image id (`transmit`), given a virtual placement of
cols x rows cells (`place_virtual`), and shown by printing `placeholder_lines` in the pane:
Unicode placeholder cells (U+10EEEE) whose diacritics say the row and column and whose
foreground colour is the image id, so Textual draws them like any text. A new frame is
`update`: the damaged rectangles (or, when much changed, the whole picture) edited into
the image in place, an animation-frame edit of the root frame, which keeps the placement;
terminals without frame edits (Ghostty) get the whole picture sent and placed again.
Every command asks for no reply (q=2): a reply would arrive on Textual's input.

Protocol: APC `ESC _ G <key=value,...> ; <base64 payload> ESC \\`, the payload chunked at
4096 base64 bytes with m=1 on every chunk but the last (the kitty documentation, "Terminal
graphics protocol").
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterable

from rich.color import Color
from rich.segment import Segment
from rich.style import Style

from ..backend.model import Frame, Rect
from .picture_support import scaled, scaled_rect, scaled_region

PLACEHOLDER = "\U0010EEEE"
CHUNK = 4096
# Damage over this share of the picture is sent as a whole new picture.
WHOLE_SHARE = 0.5
# More damaged rectangles than this are sent as their bounding box.
MAX_RECTS = 24
_COMPRESSION = 1

# The diacritics that number rows and columns (0, 1, 2 ...), as runs (first code point,
# how many): the kitty documentation's rowcolumn-diacritics.txt, combining marks of class
# 230 from Unicode 6.0.
_DIACRITIC_RUNS = (
    (0x0305, 1), (0x030D, 2), (0x0310, 1), (0x0312, 1), (0x033D, 3), (0x0346, 1), (0x034A, 3),
    (0x0350, 3), (0x0357, 1), (0x035B, 1), (0x0363, 13), (0x0483, 5), (0x0592, 4), (0x0597, 3),
    (0x059C, 6), (0x05A8, 2), (0x05AB, 2), (0x05AF, 1), (0x05C4, 1), (0x0610, 8), (0x0657, 5),
    (0x065D, 2), (0x06D6, 7), (0x06DF, 4), (0x06E4, 1), (0x06E7, 2), (0x06EB, 2), (0x0730, 1),
    (0x0732, 2), (0x0735, 2), (0x073A, 1), (0x073D, 1), (0x073F, 3), (0x0743, 1), (0x0745, 1),
    (0x0747, 1), (0x0749, 2), (0x07EB, 7), (0x07F3, 1), (0x0816, 4), (0x081B, 9), (0x0825, 3),
    (0x0829, 5), (0x0951, 1), (0x0953, 2), (0x0F82, 2), (0x0F86, 2), (0x135D, 3), (0x17DD, 1),
    (0x193A, 1), (0x1A17, 1), (0x1A75, 8), (0x1B6B, 1), (0x1B6D, 7), (0x1CD0, 3), (0x1CDA, 2),
    (0x1CE0, 1), (0x1DC0, 2), (0x1DC3, 7), (0x1DCB, 2), (0x1DD1, 22), (0x1DFE, 1), (0x20D0, 2),
    (0x20D4, 4), (0x20DB, 2), (0x20E1, 1), (0x20E7, 1), (0x20E9, 1), (0x20F0, 1), (0x2CEF, 3),
    (0x2DE0, 32), (0xA66F, 1), (0xA67C, 2), (0xA6F0, 2), (0xA8E0, 18), (0xAAB0, 1), (0xAAB2, 2),
    (0xAAB7, 2), (0xAABE, 2), (0xAAC1, 1), (0xFE20, 7), (0x10A0F, 1), (0x10A38, 1), (0x1D185, 5),
    (0x1D1AA, 4), (0x1D242, 3),
)
DIACRITICS = tuple(chr(first + i) for first, count in _DIACRITIC_RUNS for i in range(count))
MAX_CELLS = len(DIACRITICS)  # rows and columns a placement can number


def transmit(image_id: int, frame: Frame, px_w: int, px_h: int) -> str:
    """Send the frame scaled to px_w x px_h as image `image_id` (RGB, zlib), replacing any
    image of that id and its placements (so `place_virtual` again after it)."""
    image = scaled(frame, px_w, px_h)
    return _command({"a": "t", "f": 24, "o": "z", "s": px_w, "v": px_h, "i": image_id, "q": 2},
                    zlib.compress(image.tobytes(), _COMPRESSION), {"q": 2})


def place_virtual(image_id: int, cols: int, rows: int) -> str:
    """A virtual placement of the image over cols x rows cells, shown where the pane prints
    `placeholder_lines(image_id, cols, rows)`; the terminal fits the picture in, keeping its
    aspect."""
    _check_cells(cols, rows)
    return _command({"a": "p", "U": 1, "i": image_id, "c": cols, "r": rows, "C": 1, "q": 2})


def placeholder_lines(image_id: int, cols: int, rows: int) -> list[list[Segment]]:
    """The cells that show the image: one segment a row, each cell U+10EEEE + row diacritic
    + column diacritic (+ the id's high byte for ids past 24 bits), foreground = the id."""
    _check_cells(cols, rows)
    high = DIACRITICS[(image_id >> 24) & 0xFF] if image_id > 0xFFFFFF else ""
    style = Style(color=Color.from_rgb((image_id >> 16) & 0xFF, (image_id >> 8) & 0xFF, image_id & 0xFF))
    return [[Segment("".join(PLACEHOLDER + DIACRITICS[row] + DIACRITICS[col] + high for col in range(cols)), style)]
            for row in range(rows)]


def update(image_id: int, frame: Frame, px_w: int, px_h: int, cols: int = 0, rows: int = 0,
           frame_edits: bool = True) -> str:
    """The frame's changes for image `image_id`, already sent at px_w x px_h (a new size
    needs `transmit` + `place_virtual`). With frame edits (kitty) the damaged rectangles, or
    the whole picture when much changed, are written into the image in place, so its
    placement stays; without (Ghostty) the whole picture is sent again and placed again over
    cols x rows cells."""
    if not frame_edits:
        return transmit(image_id, frame, px_w, px_h) + place_virtual(image_id, cols, rows)
    boxes = damaged_boxes(frame, px_w, px_h)
    if boxes is None:
        boxes = [(0, 0, px_w, px_h)]
    return "".join(edit(image_id, frame, px_w, px_h, box) for box in boxes)


def damaged_boxes(frame: Frame, px_w: int, px_h: int) -> list[Rect] | None:
    """The rectangles of the px_w x px_h picture that the frame's damage changes, or None
    when sending the whole picture is the better deal (or the damage covers all of it)."""
    boxes = [box for rect in frame.damage
             if (box := scaled_rect(rect, frame.width, frame.height, px_w, px_h)) is not None]
    if len(boxes) > MAX_RECTS:
        boxes = [_bounds(boxes)]
    if sum(w * h for _x, _y, w, h in boxes) > WHOLE_SHARE * px_w * px_h:
        return None
    return boxes


def edit(image_id: int, frame: Frame, px_w: int, px_h: int, box: Rect) -> str:
    """Overwrite `box` (x, y, w, h in the px_w x px_h picture) of the image's root frame with
    the frame's pixels there (a=f, r=1: edit frame 1; X=1: replace, no blending)."""
    x, y, w, h = box
    image = scaled_region(frame, box, px_w, px_h)
    keys = {"a": "f", "r": 1, "i": image_id, "x": x, "y": y, "s": w, "v": h, "f": 24, "o": "z", "X": 1, "q": 2}
    return _command(keys, zlib.compress(image.tobytes(), _COMPRESSION), {"a": "f", "q": 2})


def delete(image_id: int) -> str:
    """Delete the image and its placements and free its data (d=I)."""
    return _command({"a": "d", "d": "I", "i": image_id, "q": 2})


def _command(keys: dict[str, object], payload: bytes = b"", more_keys: dict[str, object] | None = None) -> str:
    """One graphics command; a payload over CHUNK base64 bytes goes in chunks, the first
    with every key, the rest with only `more_keys`, m=1 on all but the last."""
    encoded = base64.standard_b64encode(payload).decode("ascii")
    if len(encoded) <= CHUNK:
        return _apc(keys, encoded)
    chunks = [encoded[i:i + CHUNK] for i in range(0, len(encoded), CHUNK)]
    last = len(chunks) - 1
    return "".join(_apc({**(keys if n == 0 else more_keys or {}), "m": int(n < last)}, chunk)
                   for n, chunk in enumerate(chunks))


def _apc(keys: dict[str, object], payload: str) -> str:
    control = ",".join(f"{key}={value}" for key, value in keys.items())
    return f"\x1b_G{control};{payload}\x1b\\" if payload else f"\x1b_G{control}\x1b\\"


def _bounds(boxes: Iterable[Rect]) -> Rect:
    boxes = list(boxes)
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return (left, top, right - left, bottom - top)


def _check_cells(cols: int, rows: int) -> None:
    if not (0 < cols <= MAX_CELLS and 0 < rows <= MAX_CELLS):
        raise ValueError(f"a placement is 1 to {MAX_CELLS} cells each way, not {cols} x {rows}")
