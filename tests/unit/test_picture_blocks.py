"""The block-character picture: known pixels -> known cells, fit sizes, zoom and pan,
and damage tracking (the rows a damaged rect touches cover every row that changed)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.color import Color
from rich.segment import Segment

from tui.backend.model import Frame
from tui.render.picture_blocks import (
    UPPER_HALF,
    View,
    cell_to_pixel,
    clamp,
    damaged_rows,
    fit_size,
    pan,
    render_lines,
    toggle_zoom,
    view_region,
)

Pixel = tuple[int, int, int]
BLACK, WHITE, RED, GREEN, BLUE = (0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255)


def make_frame(rows: list[list[Pixel]], damage=None, serial: int = 0) -> Frame:
    height, width = len(rows), len(rows[0])
    pixels = b"".join(bytes((r, g, b, 0x5A)) for row in rows for (r, g, b) in row)  # unused byte set on purpose
    return Frame(width, height, pixels, tuple(damage or ((0, 0, width, height),)), serial)


def solid(width: int, height: int, color: Pixel = BLACK) -> list[list[Pixel]]:
    return [[color] * width for _ in range(height)]


def cells(line: list[Segment]) -> list[tuple[str, Pixel | None, Pixel | None]]:
    """One (character, fg, bg) a cell."""
    out = []
    for segment in line:
        style = segment.style
        fg = style.color.get_truecolor()[:3] if style and style.color else None
        bg = style.bgcolor.get_truecolor()[:3] if style and style.bgcolor else None
        out.extend((char, fg and tuple(fg), bg and tuple(bg)) for char in segment.text)
    return out


def width_of(line: list[Segment]) -> int:
    return sum(len(segment.text) for segment in line)


def test_known_image_gives_known_cells_and_coalesced_runs():
    rows = [
        [RED, RED, GREEN, BLUE],
        [WHITE, WHITE, BLACK, BLUE],
        [BLUE, GREEN, GREEN, GREEN],
        [BLUE, BLACK, BLACK, BLACK],
    ]
    lines = render_lines(make_frame(rows), View(), 4, 2)
    assert sorted(lines) == [0, 1]
    assert cells(lines[0]) == [(UPPER_HALF, RED, WHITE), (UPPER_HALF, RED, WHITE),
                               (UPPER_HALF, GREEN, BLACK), (UPPER_HALF, BLUE, BLUE)]
    assert cells(lines[1]) == [(UPPER_HALF, BLUE, BLUE), (UPPER_HALF, GREEN, BLACK),
                               (UPPER_HALF, GREEN, BLACK), (UPPER_HALF, GREEN, BLACK)]
    # equal neighbours share one segment
    assert [segment.text for segment in lines[0]] == [UPPER_HALF * 2, UPPER_HALF, UPPER_HALF]
    assert [segment.text for segment in lines[1]] == [UPPER_HALF, UPPER_HALF * 3]
    assert lines[0][0].style.color == Color.from_rgb(*RED)


def test_fit_scales_by_area_and_centres_in_the_pane():
    # 8x4 pixels in 2x2 blocks of one colour, fitted into 10 x 1 cells: 4 x 2 picture pixels
    blocks = [RED, GREEN, BLUE, WHITE]
    rows = [[blocks[x // 2] if y < 2 else BLACK for x in range(8)] for y in range(4)]
    assert fit_size(8, 4, 10, 1) == (4, 1)
    lines = render_lines(make_frame(rows), View(), 10, 1)
    assert cells(lines[0]) == [(" ", None, None)] * 3 + [(UPPER_HALF, c, BLACK) for c in blocks] + [(" ", None, None)] * 3
    # area averaging: a 2x2 frame in one cell (1 x 2 picture pixels): each half is its row's mean
    line = render_lines(make_frame([[RED, BLUE], [GREEN, GREEN]]), View(), 1, 1)[0]
    (char, fg, bg), = cells(line)
    assert char == UPPER_HALF and bg == GREEN
    assert all(abs(a - b) <= 1 for a, b in zip(fg, (128, 0, 128))), fg


def test_fit_sizes_keep_the_aspect():
    assert fit_size(1024, 768, 200, 60) == (160, 60)  # 160 x 120 picture pixels: 4:3
    assert fit_size(1920, 400, 100, 50) == (100, 10)  # 100 x 20.8 -> 10 rows
    assert fit_size(720, 400, 80, 24) == (80, 22)
    assert fit_size(0, 400, 80, 24) == (0, 0) and fit_size(720, 400, 0, 24) == (0, 0)
    place = view_region(View(), 1024, 768, 200, 60)
    assert (place.col, place.row, place.cols, place.rows) == (20, 0, 160, 60)
    assert (place.x, place.y, place.width, place.height) == (0, 0, 1024, 768)


# an 8x16 glyph ("A"-like), one string a pixel row, as a VGA text console draws it
GLYPH = [
    "........",
    "........",
    "...##...",
    "..####..",
    ".##..##.",
    "##....##",
    "##....##",
    "########",
    "##....##",
    "##....##",
    "##....##",
    "##....##",
    "........",
    "........",
    "........",
    "........",
]


def test_text_stays_readable_at_one_to_one():
    # the glyph at (16, 32) of a 64x64 screen, shown 1:1 from (12, 30) in a 20 x 10 pane
    rows = solid(64, 64)
    for gy, bits in enumerate(GLYPH):
        for gx, bit in enumerate(bits):
            if bit == "#":
                rows[32 + gy][16 + gx] = WHITE
    frame = make_frame(rows)
    view = clamp(View(zoom=True, x=12, y=30), 64, 64, 20, 10)
    assert view == View(zoom=True, x=12, y=30)
    lines = render_lines(frame, view, 20, 10)
    for row in range(10):
        got = cells(lines[row])
        assert len(got) == 20
        for col in range(20):
            x, top_y = 12 + col, 30 + 2 * row
            assert got[col] == (UPPER_HALF, rows[top_y][x], rows[top_y + 1][x]), (row, col)
    # the glyph is 8 cells wide and 8 rows tall: its pixel rows 2..3 are cell row 2 (30 + 2*2 = 34)
    assert [c[1] == WHITE for c in cells(lines[2])[4:12]] == [bit == "#" for bit in GLYPH[2]]
    assert [c[2] == WHITE for c in cells(lines[2])[4:12]] == [bit == "#" for bit in GLYPH[3]]


def test_zoom_on_a_frame_smaller_than_the_pane_centres_it_and_pads_an_odd_last_row():
    frame = make_frame([[RED, GREEN, BLUE]] * 3)
    place = view_region(View(zoom=True, x=5, y=5), 3, 3, 7, 4)
    assert (place.x, place.y, place.width, place.height) == (0, 0, 3, 3)
    assert (place.col, place.row, place.cols, place.rows) == (2, 1, 3, 2)
    lines = render_lines(frame, View(zoom=True), 7, 4)
    assert cells(lines[0]) == [(" ", None, None)] * 7
    assert cells(lines[2])[2:5] == [(UPPER_HALF, RED, None), (UPPER_HALF, GREEN, None), (UPPER_HALF, BLUE, None)]
    assert all(width_of(line) == 7 for line in lines.values())


def test_pan_is_clamped_to_the_frame():
    view = View(zoom=True)
    assert pan(view, 10_000, 10_000, 1024, 768, 200, 60) == View(zoom=True, x=824, y=648)
    assert pan(View(zoom=True, x=824, y=648), -10_000, -3, 1024, 768, 200, 60) == View(zoom=True, x=0, y=642)
    assert pan(View(zoom=True, x=5, y=5), 8, 2, 1024, 768, 200, 60) == View(zoom=True, x=13, y=9)
    assert pan(View(), 8, 2, 1024, 768, 200, 60) == View()  # fitted: no pan
    assert pan(View(zoom=True), 50, 50, 100, 80, 200, 60) == View(zoom=True)  # the frame fits: nowhere to go


def test_toggle_zoom_keeps_the_pixel_under_the_cell():
    fitted = View()
    at = (70, 20)
    point = cell_to_pixel(fitted, 1024, 768, 200, 60, *at)
    assert point == (((2 * 50 + 1) * 1024) // 320, ((2 * 20 + 1) * 768) // 120)
    zoomed = toggle_zoom(fitted, 1024, 768, 200, 60, at)
    assert zoomed.zoom and cell_to_pixel(zoomed, 1024, 768, 200, 60, *at) == point
    assert toggle_zoom(zoomed, 1024, 768, 200, 60) == View(zoom=False, x=zoomed.x, y=zoomed.y)
    # near a corner the pan stops at the edge
    corner_point = cell_to_pixel(fitted, 1024, 768, 200, 60, 179, 59)
    assert corner_point == (1020, 761)
    corner = toggle_zoom(fitted, 1024, 768, 200, 60, (179, 59))
    assert (corner.x, corner.y) == (824, 761 - 2 * 59)  # x stops at the right edge, y keeps the pixel
    assert cell_to_pixel(corner, 1024, 768, 200, 60, 179, 59) == (824 + 179, 761)
    # no cell given: the pane's centre
    centred = toggle_zoom(fitted, 1024, 768, 200, 60)
    assert cell_to_pixel(centred, 1024, 768, 200, 60, 100, 30) == cell_to_pixel(fitted, 1024, 768, 200, 60, 100, 30)


def test_only_renders_the_rows_asked_for_and_they_match_the_full_render():
    rows = [[((x * 37) % 256, (y * 53) % 256, (x * y) % 256) for x in range(50)] for y in range(40)]
    frame = make_frame(rows)
    for view in (View(), View(zoom=True, x=7, y=3)):
        full = render_lines(frame, view, 30, 12)
        some = render_lines(frame, view, 30, 12, only={0, 5, 11, 12, -1})
        assert sorted(some) == [0, 5, 11]
        assert all(some[row] == full[row] for row in some)
        assert all(width_of(line) == 30 for line in full.values())


def test_damaged_rows_at_one_to_one():
    frame_rows = solid(100, 100)
    view = View(zoom=True, x=10, y=20)  # shows x 10..39, y 20..39 in a 30 x 10 pane
    assert view_region(view, 100, 100, 30, 10).rows == 10

    def rows_for(*rects):
        return damaged_rows(make_frame(frame_rows, rects), view, 30, 10)

    assert rows_for((15, 25, 1, 1)) == {2}  # one pixel, one row
    assert rows_for((15, 24, 1, 2)) == {2}  # both pixels of one cell
    assert rows_for((15, 25, 1, 2)) == {2, 3}
    assert rows_for((0, 0, 100, 21)) == {0}  # crosses the top edge
    assert rows_for((39, 39, 50, 50)) == {9}  # the bottom-right pixel and beyond
    assert rows_for((40, 20, 5, 5)) == set()  # right of the view
    assert rows_for((10, 40, 5, 5)) == set()  # below it
    assert rows_for((0, 0, 100, 100)) == set(range(10))


def test_damaged_rows_fitted():
    # 1024 x 768 in 200 x 60: 160 x 120 picture pixels, 6.4 framebuffer rows a pixel row
    def rows_for(*rects):
        frame = Frame(1024, 768, bytes(1024 * 768 * 4), tuple(rects))
        return damaged_rows(frame, View(), 200, 60)

    assert rows_for((500, 300, 1, 1)) == {23}  # 300.5 / 6.4 = 46.9 -> cell row 23
    assert rows_for((0, 0, 1, 1)) == {0}
    assert rows_for((1023, 767, 1, 1)) == {59}
    assert rows_for((0, 760, 2000, 2000)) == {59}
    assert rows_for((0, 0, 1024, 768)) == set(range(60))
    assert rows_for((2000, 0, 5, 5)) == set()


def test_empty_pane_or_frame_renders_blank():
    frame = make_frame(solid(4, 4, RED))
    assert render_lines(frame, View(), 0, 3) == {0: [], 1: [], 2: []}
    assert damaged_rows(frame, View(), 0, 3) == set()


sizes = st.tuples(st.integers(1, 300), st.integers(1, 300), st.integers(1, 120), st.integers(1, 50))


@given(sizes, st.booleans(), st.integers(-500, 500), st.integers(-500, 500),
       st.lists(st.tuples(st.integers(-40, 40), st.integers(-40, 40)), max_size=6),
       st.tuples(st.integers(-5, 130), st.integers(-5, 60)))
def test_views_stay_inside_the_frame(size, zoom, x, y, pans, at):
    frame_w, frame_h, cols, rows = size
    view = clamp(View(zoom=zoom, x=x, y=y), frame_w, frame_h, cols, rows)
    for dcols, drows in pans:
        view = pan(view, dcols, drows, frame_w, frame_h, cols, rows)
        view = toggle_zoom(view, frame_w, frame_h, cols, rows, at) if dcols % 3 == 0 else view
        place = view_region(view, frame_w, frame_h, cols, rows)
        assert 0 <= place.x and place.x + place.width <= frame_w
        assert 0 <= place.y and place.y + place.height <= frame_h
        assert 0 <= place.col and place.col + place.cols <= cols
        assert 0 <= place.row and place.row + place.rows <= rows
        if view.zoom:  # 1:1 shows as much of the frame as the pane holds
            assert place.width == min(frame_w, cols) and place.height == min(frame_h, 2 * rows)
        else:  # fitted, one side fills the pane
            assert place.cols == cols or place.rows == rows
        point = cell_to_pixel(view, frame_w, frame_h, cols, rows, *at)
        assert point is None or (0 <= point[0] < frame_w and 0 <= point[1] < frame_h)


@given(sizes, st.tuples(st.integers(-5, 130), st.integers(-5, 60)))
def test_zooming_in_keeps_the_point_unless_an_edge_stops_it(size, at):
    frame_w, frame_h, cols, rows = size
    point = cell_to_pixel(View(), frame_w, frame_h, cols, rows, *at)
    zoomed = toggle_zoom(View(), frame_w, frame_h, cols, rows, at)
    if point is None:
        return
    place = view_region(View(zoom=True), frame_w, frame_h, cols, rows)
    want_x, want_y = point[0] - (at[0] - place.col), point[1] - 2 * (at[1] - place.row)
    if 0 <= want_x <= frame_w - cols and 0 <= want_y <= frame_h - 2 * rows:
        assert cell_to_pixel(zoomed, frame_w, frame_h, cols, rows, *at) == point


colors = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 30), st.integers(1, 15), st.data())
def test_damaged_rows_cover_every_row_that_changed(frame_w, frame_h, cols, rows, data):
    seed = data.draw(st.integers(0, 255))
    before = [[((x * 7 + seed) % 256, (y * 11) % 256, (x + y) % 256) for x in range(frame_w)] for y in range(frame_h)]
    x = data.draw(st.integers(0, frame_w - 1))
    y = data.draw(st.integers(0, frame_h - 1))
    w = data.draw(st.integers(1, frame_w - x))
    h = data.draw(st.integers(1, frame_h - y))
    color = data.draw(colors)
    after = [row[:] for row in before]
    for yy in range(y, y + h):
        for xx in range(x, x + w):
            after[yy][xx] = color
    view = data.draw(st.sampled_from([View(), View(zoom=True, x=data.draw(st.integers(0, 40)), y=data.draw(st.integers(0, 40)))]))
    old = render_lines(make_frame(before), view, cols, rows)
    new_frame = make_frame(after, [(x, y, w, h)], serial=1)
    new = render_lines(new_frame, view, cols, rows)
    changed = {row for row in range(rows) if old[row] != new[row]}
    assert changed <= damaged_rows(new_frame, view, cols, rows)
