"""A guest's screen as DEC sixel graphics (foot, mlterm, WezTerm, iTerm2, Konsole, Windows
Terminal; xterm started with -ti vt340).

A sixel image is DCS `ESC P 0;1;0 q`, raster attributes `"1;1;W;H` (square pixels, the
size), the palette (`#n;2;r;g;b`, each 0..100 percent), then bands of 6 pixel rows: for each
colour of the band `#n` and one character a column (63 + the 6 bits of the rows that
colour fills, top row lowest), `!n c` repeating c n times, `$` back to the band's start for
the next colour, `-` to the next band; `ESC \\` ends it. P2 = 1 leaves pixels no colour
sets as they were, so a region's last, partial band does not paint below the region.

The picture is quantized with Pillow: screens of up to `colors` colours (text consoles,
installers) keep them exactly; others go through the fast octree.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING


from ..backend.model import Frame, Rect
from .picture_support import scaled, scaled_rect, scaled_region

if TYPE_CHECKING:
    from PIL import Image

START = "\x1bP0;1;0q"
END = "\x1b\\"
_RUN = re.compile(r"(.)\1{3,}")
# bytes 0..63 -> the sixel characters "?".."~"
_SIXEL_CHARS = bytes(63 + min(value, 63) for value in range(256))
# index table for each palette index: that index -> 1, any other -> 0
_ONE_OF = [bytes(int(value == index) for value in range(256)) for index in range(256)]
_BYTE = [bytes((index,)) for index in range(256)]


def quantize(image: Image.Image, colors: int = 256) -> Image.Image:
    """The image as a palette ("P") image of at most `colors` colours: exact where it has no
    more (median cut keeps each colour), otherwise the fast octree's."""
    image = image if image.mode == "RGB" else image.convert("RGB")
    exact = image.getcolors(colors) is not None
    from PIL import Image

    method = Image.Quantize.MEDIANCUT if exact else Image.Quantize.FASTOCTREE
    return image.quantize(colors, method=method, dither=Image.Dither.NONE)


def encode(image: Image.Image, colors: int = 256) -> str:
    """The image (RGB) as one sixel sequence, quantized to `colors` colours."""
    return encode_indexed(quantize(image, colors))


def encode_frame(frame: Frame, px_w: int, px_h: int, colors: int = 256) -> str:
    """The whole frame scaled to px_w x px_h as one sixel sequence."""
    return encode(scaled(frame, px_w, px_h), colors)


def encode_damage(frame: Frame, px_w: int, px_h: int, cell_w: int, cell_h: int,
                  colors: int = 256) -> list[tuple[int, int, str]]:
    """What the frame's damage changes in its picture scaled to px_w x px_h: (col, row,
    sixel sequence) a box of whole cells, to be written with the cursor at cell (col, row)
    from the picture's top-left cell. Only the boxes are resampled."""
    out = []
    for box in damaged_cells(frame, px_w, px_h, cell_w, cell_h):
        pixels = cell_box_pixels(box, cell_w, cell_h, px_w, px_h)
        out.append((box[0], box[1], encode(scaled_region(frame, pixels, px_w, px_h), colors)))
    return out


def encode_region(image: Image.Image, box: Rect, colors: int = 256) -> str:
    """The part `box` (x, y, w, h in pixels) of the image as a sixel sequence, to be written
    with the cursor at the cell where the box starts (boxes from `damaged_cells` start and
    end on cell boundaries)."""
    x, y, w, h = box
    return encode(image.crop((x, y, x + w, y + h)), colors)


def encode_indexed(image: Image.Image) -> str:
    """A palette image as a sixel sequence: register n is palette entry n."""
    width, height = image.size
    indices = image.tobytes()
    palette = image.getpalette() or []
    used = sorted({index for _count, index in image.getcolors(256) or []}) if width and height else []
    out = [START, f'"1;1;{width};{height}']
    for index in used:
        r, g, b = (palette[3 * index:3 * index + 3] + [0, 0, 0])[:3]
        out.append(f"#{index};2;{_percent(r)};{_percent(g)};{_percent(b)}")
    bands = []
    for top in range(0, height, 6):
        rows = [indices[row * width:(row + 1) * width] for row in range(top, min(top + 6, height))]
        bands.append("$".join(_band_line(index, rows, width) for index in sorted(set().union(*rows))))
    out.append("-".join(bands))
    out.append(END)
    return "".join(out)


def _band_line(index: int, rows: list[bytes], width: int) -> str:
    """One colour's line of a band: `#n` and the sixel characters from its first column to
    its last, runs compressed."""
    needle = _BYTE[index]
    first = min(found for row in rows if (found := row.find(needle)) >= 0)
    last = max(row.rfind(needle) for row in rows) + 1
    bits = 0
    for shift, row in enumerate(rows):
        # each byte is 0 or 1, so shifting the whole row as one number moves no bit
        # into the next byte
        bits |= int.from_bytes(row[first:last].translate(_ONE_OF[index]), "big") << shift
    line = bits.to_bytes(last - first, "big").translate(_SIXEL_CHARS).decode("ascii")
    if first:
        line = "?" * first + line
    return f"#{index}" + _RUN.sub(_repeat, line)


def _repeat(match: re.Match[str]) -> str:
    return f"!{len(match.group(0))}{match.group(1)}"


def _percent(value: int) -> int:
    return (value * 100 + 127) // 255


def damaged_cells(frame: Frame, px_w: int, px_h: int, cell_w: int, cell_h: int) -> list[tuple[int, int, int, int]]:
    """The cell boxes (col, row, cols, rows) of a picture scaled to px_w x px_h, drawn from
    its top-left cell, that the frame's damage changes; overlapping boxes merged. Pixel box
    of one: (col * cell_w, row * cell_h, cols * cell_w, rows * cell_h), clipped to the
    picture."""
    boxes: list[list[int]] = []
    for rect in frame.damage:
        box = scaled_rect(rect, frame.width, frame.height, px_w, px_h)
        if box is None:
            continue
        x, y, w, h = box
        col, row = x // cell_w, y // cell_h
        cell = [col, row, -(-(x + w) // cell_w) - col, -(-(y + h) // cell_h) - row]
        boxes = _merged(boxes, cell)
    return [tuple(box) for box in sorted(boxes, key=lambda b: (b[1], b[0]))]  # type: ignore[misc]


def _merged(boxes: list[list[int]], new: list[int]) -> list[list[int]]:
    """The boxes with `new` added, every box it overlaps folded into it (repeatedly)."""
    while True:
        overlapping = [box for box in boxes if _overlap(box, new)]
        if not overlapping:
            return [*boxes, new]
        for box in overlapping:
            left, top = min(box[0], new[0]), min(box[1], new[1])
            right, bottom = max(box[0] + box[2], new[0] + new[2]), max(box[1] + box[3], new[1] + new[3])
            new = [left, top, right - left, bottom - top]
        boxes = [box for box in boxes if box not in overlapping]


def _overlap(a: list[int], b: list[int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def cell_box_pixels(box: tuple[int, int, int, int], cell_w: int, cell_h: int, px_w: int, px_h: int) -> Rect:
    """A cell box's pixels in the px_w x px_h picture, clipped to it."""
    col, row, cols, rows = box
    x, y = col * cell_w, row * cell_h
    return (x, y, min(px_w, x + cols * cell_w) - x, min(px_h, y + rows * cell_h) - y)
