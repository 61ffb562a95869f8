"""A guest's screen in block characters, true colour: works in every terminal.

Each cell is the upper half block "▀": its foreground is the upper pixel, its background the
lower one, so a cell is 1 pixel wide and 2 tall (about square pixels in a 1:2 cell). A `View`
says what a pane shows: the whole screen scaled to fit, or `zoom` at 1:1 (one framebuffer
pixel a column, two a cell row: an 8x16 VGA glyph is 8 cells by 8 rows, and readable) from a
pan offset. `damaged_rows` says which pane rows a frame's damage touches under a view, so a
widget re-renders only those (`render_lines(..., only=rows)`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import groupby

from rich.color import Color, ColorType
from rich.color_triplet import ColorTriplet
from rich.segment import Segment
from rich.style import Style

from ..backend.model import Frame
from .picture_support import frame_image

UPPER_HALF = "▀"


@dataclass(frozen=True)
class View:
    """What a pane shows of a guest's screen: all of it scaled to fit (`zoom` False), or at
    1:1 from framebuffer pixel (x, y) (the pan; kept, but unused, while fitted)."""

    zoom: bool = False
    x: int = 0
    y: int = 0


@dataclass(frozen=True)
class Placement:
    """A view laid out in a pane: the framebuffer box (x, y, width, height) drawn into the
    pane cells (col, row, cols, rows). Fitted, the box is the whole frame, scaled; at 1:1
    the cells are `width` columns by height/2 (rounded up) rows."""

    x: int
    y: int
    width: int
    height: int
    col: int
    row: int
    cols: int
    rows: int


def fit_size(frame_w: int, frame_h: int, cols: int, rows: int) -> tuple[int, int]:
    """The (cols, rows) a frame fitted into a cols x rows pane uses, keeping its aspect
    (a cell is 1 x 2 picture pixels); (0, 0) for an empty frame or pane."""
    if min(frame_w, frame_h, cols, rows) <= 0:
        return (0, 0)
    if frame_w * 2 * rows <= frame_h * cols:
        return max(1, min(cols, round(frame_w * 2 * rows / frame_h))), rows
    return cols, max(1, min(rows, round(frame_h * cols / (2 * frame_w))))


def clamp(view: View, frame_w: int, frame_h: int, cols: int, rows: int) -> View:
    """The view with its pan kept inside the frame (a frame smaller than the pane: 0)."""
    x = min(max(0, view.x), max(0, frame_w - cols))
    y = min(max(0, view.y), max(0, frame_h - 2 * rows))
    return view if (x, y) == (view.x, view.y) else replace(view, x=x, y=y)


def view_region(view: View, frame_w: int, frame_h: int, cols: int, rows: int) -> Placement:
    """Which framebuffer box the view shows and in which pane cells (centred in the pane)."""
    if not view.zoom:
        used_cols, used_rows = fit_size(frame_w, frame_h, cols, rows)
        return Placement(0, 0, frame_w if used_cols else 0, frame_h if used_rows else 0,
                         (cols - used_cols) // 2, (rows - used_rows) // 2, used_cols, used_rows)
    view = clamp(view, frame_w, frame_h, cols, rows)
    width, height = max(0, min(frame_w, cols)), max(0, min(frame_h, 2 * rows))
    used_rows = (height + 1) // 2
    return Placement(view.x, view.y, width, height, (cols - width) // 2, (rows - used_rows) // 2, width, used_rows)


def pan(view: View, dcols: int, drows: int, frame_w: int, frame_h: int, cols: int, rows: int) -> View:
    """The zoomed view moved by dcols columns and drows cell rows (2 framebuffer rows each),
    clamped to the frame; a fitted view does not pan."""
    if not view.zoom:
        return view
    return clamp(replace(view, x=view.x + dcols, y=view.y + 2 * drows), frame_w, frame_h, cols, rows)


def cell_to_pixel(view: View, frame_w: int, frame_h: int, cols: int, rows: int,
                  col: int, row: int) -> tuple[int, int] | None:
    """The framebuffer pixel shown in pane cell (col, row) (at 1:1 its upper pixel; fitted, the
    one under the cell's centre), or None where the cell shows no picture."""
    place = view_region(view, frame_w, frame_h, cols, rows)
    dc, dr = col - place.col, row - place.row
    if not (0 <= dc < place.cols and 0 <= dr < place.rows):
        return None
    if view.zoom:
        return place.x + dc, min(place.y + 2 * dr, place.y + place.height - 1)
    return (min(frame_w - 1, (2 * dc + 1) * frame_w // (2 * place.cols)),
            min(frame_h - 1, (2 * dr + 1) * frame_h // (2 * place.rows)))


def toggle_zoom(view: View, frame_w: int, frame_h: int, cols: int, rows: int,
                at: tuple[int, int] | None = None) -> View:
    """Fitted -> 1:1 with the pixel under pane cell `at` (the pane's centre by default) kept
    under that cell as far as the frame's edges allow; 1:1 -> fitted."""
    if view.zoom:
        return replace(view, zoom=False)
    col, row = at if at is not None else (cols // 2, rows // 2)
    point = cell_to_pixel(view, frame_w, frame_h, cols, rows, col, row)
    if point is None:
        point, col, row = (frame_w // 2, frame_h // 2), cols // 2, rows // 2
    zoomed = View(zoom=True, x=point[0], y=point[1])
    place = view_region(zoomed, frame_w, frame_h, cols, rows)
    # where `point` lands with no pan clamp: x - place.col cells left of `col`
    return clamp(View(zoom=True, x=point[0] - (col - place.col), y=point[1] - 2 * (row - place.row)),
                 frame_w, frame_h, cols, rows)


def damaged_rows(frame: Frame, view: View, cols: int, rows: int) -> set[int]:
    """The pane rows whose cells the frame's damage changes under this view."""
    place = view_region(view, frame.width, frame.height, cols, rows)
    if place.cols <= 0 or place.rows <= 0:
        return set()
    touched: set[int] = set()
    for x, y, w, h in frame.damage:
        x0, y0 = max(x, place.x), max(y, place.y)
        x1, y1 = min(x + w, place.x + place.width), min(y + h, place.y + place.height)
        if x0 >= x1 or y0 >= y1:
            continue
        if view.zoom:
            first, last = (y0 - place.y) // 2, (y1 - 1 - place.y) // 2
        else:
            first, last = _fit_rows(y0, y1, frame.height, 2 * place.rows)
        touched.update(range(place.row + first, place.row + last + 1))
    return touched


def _fit_rows(y0: int, y1: int, frame_h: int, out_h: int) -> tuple[int, int]:
    """The cell rows (first, last) of a picture scaled from frame_h to out_h rows by Pillow's
    box filter that source rows y0..y1-1 reach. Shrinking, source row k feeds exactly the
    output row whose span holds k's centre; growing, the nearest outputs (one more each way,
    for the filter's rounding)."""
    if out_h <= frame_h:
        first = (2 * y0 + 1) * out_h // (2 * frame_h)
        if (2 * y0 + 1) * out_h % (2 * frame_h) == 0:  # centre on a boundary: either side
            first -= 1
        last = (2 * y1 - 1) * out_h // (2 * frame_h)
    else:
        first = y0 * out_h // frame_h - 1
        last = y1 * out_h // frame_h + 1
    return max(0, first) // 2, min(out_h - 1, last) // 2


def render_lines(frame: Frame, view: View, cols: int, rows: int,
                 only: Iterable[int] | None = None) -> dict[int, list[Segment]]:
    """The pane's rows (all of them, or those in `only`) as segments exactly `cols` cells
    wide: blank (unstyled) around the picture, "▀" runs with fg = upper pixel, bg = lower."""
    wanted = range(rows) if only is None else sorted(r for r in set(only) if 0 <= r < rows)
    place = view_region(view, frame.width, frame.height, cols, rows)
    if place.cols <= 0 or place.rows <= 0:
        return {row: [Segment(" " * cols)] for row in wanted} if cols > 0 else {row: [] for row in wanted}
    pixels, stride, height = _picture(frame, place, view.zoom)
    left = Segment(" " * place.col) if place.col else None
    right_width = cols - place.col - place.cols
    right = Segment(" " * right_width) if right_width > 0 else None
    blank = [Segment(" " * cols)]
    lines: dict[int, list[Segment]] = {}
    for row in wanted:
        cell_row = row - place.row
        if not 0 <= cell_row < place.rows:
            lines[row] = blank
            continue
        top = (cell_row * 2) * stride
        tops = pixels[top:top + place.cols]
        if cell_row * 2 + 1 < height:
            bottoms: Sequence[int | None] = pixels[top + stride:top + stride + place.cols]
        else:
            bottoms = (None,) * place.cols
        line = [left] if left else []
        line.extend(_runs(tops, bottoms))
        if right:
            line.append(right)
        lines[row] = line
    return lines


def _runs(tops: Sequence[int], bottoms: Sequence[int | None]) -> list[Segment]:
    """One segment per run of cells with the same two colours."""
    return [Segment(UPPER_HALF * len(list(run)), _style(top, bottom))
            for (top, bottom), run in groupby(zip(tops, bottoms))]


@lru_cache(maxsize=8192)
def _style(top: int, bottom: int | None) -> Style:
    """fg = the upper pixel, bg = the lower one (None: the pane's own background)."""
    return Style.from_color(_color(top), None if bottom is None else _color(bottom))


def _color(pixel: int) -> Color:
    """What Color.from_rgb makes, without its slower formatting."""
    rgb = pixel.to_bytes(3, "little")
    return Color("#" + rgb.hex(), ColorType.TRUECOLOR, None, ColorTriplet(*rgb))


def _picture(frame: Frame, place: Placement, zoom: bool) -> tuple[Sequence[int], int, int]:
    """The shown pixels as one int each (R | G << 8 | B << 16), row-major: their sequence,
    the row stride and the number of rows. Zoomed the box is cut from the frame; fitted the
    whole frame is scaled (once per frame and size: cached)."""
    if zoom:
        return _cut(frame.pixels, frame.width, place.x, place.y, place.width, place.height), place.width, place.height
    return _fitted(frame, place.cols, 2 * place.rows), place.cols, 2 * place.rows


def _fitted(frame: Frame, width: int, height: int) -> Sequence[int]:
    """The frame scaled to width x height by area (box filter), remembered for the last two
    (frame bytes, size): a widget renders a frame's rows in several calls."""
    key = (id(frame.pixels), frame.width, frame.height, width, height)
    cached = _FITTED.get(key)
    if cached is not None and cached[0] is frame.pixels:
        return cached[1]
    from PIL import Image

    image = frame_image(frame).resize((width, height), Image.Resampling.BOX)
    pixels = _ints(bytearray(image.tobytes()))
    if len(_FITTED) >= 2:
        del _FITTED[next(iter(_FITTED))]
    _FITTED[key] = (frame.pixels, pixels)  # the bytes kept alive, so their id is not reused
    return pixels


_FITTED: dict[tuple[int, int, int, int, int], tuple[bytes, Sequence[int]]] = {}


def _cut(pixels: bytes, frame_w: int, x: int, y: int, width: int, height: int) -> Sequence[int]:
    view = memoryview(pixels)
    if width == frame_w:
        band = bytearray(view[y * frame_w * 4:(y + height) * frame_w * 4])
    else:
        band = bytearray(width * height * 4)
        for row in range(height):
            start = ((y + row) * frame_w + x) * 4
            band[row * width * 4:(row + 1) * width * 4] = view[start:start + width * 4]
    return _ints(band)


def _ints(rgbx: bytearray) -> Sequence[int]:
    """RGBX bytes as one int a pixel, the unused byte zeroed (so equal colours compare equal)."""
    rgbx[3::4] = bytes(len(rgbx) // 4)
    return memoryview(rgbx).cast("I") if _LITTLE else _swap(rgbx)


def _swap(rgbx: bytearray) -> Sequence[int]:
    return [int.from_bytes(rgbx[i:i + 4], "little") for i in range(0, len(rgbx), 4)]


_LITTLE = memoryview(b"\x01\x00\x00\x00").cast("I")[0] == 1
