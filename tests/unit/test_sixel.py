"""Sixel output decoded again by a small decoder here, compared with the quantized source
pixel for pixel; run-length, the palette, regions and the damaged cells."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from tui.backend.model import Frame
from tui.render.picture_support import scaled
from tui.render.sixel import (
    cell_box_pixels,
    damaged_cells,
    encode,
    encode_damage,
    encode_frame,
    encode_indexed,
    encode_region,
    quantize,
)


def decode(data: str) -> tuple[tuple[int, int], dict[int, tuple[int, int, int]], list[list[int | None]]]:
    """(raster size, palette in percent, register a pixel or None where none was drawn)."""
    match = re.fullmatch(r'\x1bP0;1;0q"1;1;(\d+);(\d+)(.*)\x1b\\', data, re.S)
    assert match, repr(data[:40])
    width, height = int(match.group(1)), int(match.group(2))
    body = match.group(3)
    grid: list[list[int | None]] = [[None] * width for _ in range(height)]
    palette: dict[int, tuple[int, int, int]] = {}
    register, x, top, i = 0, 0, 0, 0
    while i < len(body):
        char = body[i]
        if char == "#":
            number = re.match(r"#(\d+)(?:;2;(\d+);(\d+);(\d+))?", body[i:])
            register = int(number.group(1))
            if number.group(2) is not None:
                palette[register] = tuple(int(number.group(k)) for k in (2, 3, 4))
            i += number.end()
            continue
        count = 1
        if char == "!":
            repeat = re.match(r"!(\d+)([?-~])", body[i:])
            count, char = int(repeat.group(1)), repeat.group(2)
            i += repeat.end() - 1
        if char == "$":
            x = 0
        elif char == "-":
            x, top = 0, top + 6
        else:
            assert "?" <= char <= "~", repr(char)
            bits = ord(char) - 63
            for _ in range(count):
                for bit in range(6):
                    if bits >> bit & 1:
                        assert top + bit < height and x < width, (x, top + bit)
                        assert grid[top + bit][x] is None, "a pixel painted twice"
                        grid[top + bit][x] = register
                x += 1
        i += 1
    return (width, height), palette, grid


def indices(image: Image.Image) -> list[list[int]]:
    data = image.tobytes()
    return [list(data[y * image.width:(y + 1) * image.width]) for y in range(image.height)]


def percent(palette: list[int], index: int) -> tuple[int, int, int]:
    return tuple(round(v * 100 / 255) for v in palette[3 * index:3 * index + 3])


def screen(width: int = 61, height: int = 37) -> Image.Image:
    image = Image.new("RGB", (width, height), (0, 0, 170))
    draw = ImageDraw.Draw(image)
    draw.rectangle((3, 4, 40, 20), fill=(170, 170, 170))
    draw.text((5, 6), "BIOS", fill=(255, 255, 255))
    draw.line((0, height - 1, width - 1, 0), fill=(255, 255, 85))
    return image


def test_decodes_to_the_quantized_source_exactly():
    image = screen()
    quantized = quantize(image)
    data = encode(image)
    assert data == encode_indexed(quantized)
    size, palette, grid = decode(data)
    assert size == image.size
    assert grid == indices(quantized)  # every pixel drawn once, in its own register
    assert palette == {index: percent(quantized.getpalette(), index) for _count, index in quantized.getcolors()}


def test_few_colours_stay_exact():
    image = screen()
    assert image.getcolors(256) is not None
    quantized = quantize(image)
    assert quantized.convert("RGB").tobytes() == image.tobytes()
    _, palette, grid = decode(encode(image))
    colors = {tuple(round(v * 100 / 255) for v in rgb) for _count, rgb in image.getcolors()}
    assert set(palette.values()) == colors


def test_many_colours_are_reduced_to_the_limit():
    image = Image.linear_gradient("L").resize((300, 20)).convert("RGB")
    image = Image.merge("RGB", (image.getchannel(0), image.getchannel(0).transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                Image.new("L", image.size, 77)))
    quantized = quantize(image, 16)
    assert len(quantized.getcolors()) <= 16
    size, palette, grid = decode(encode(image, 16))
    assert len(palette) <= 16 and grid == indices(quantized) and size == (300, 20)


def test_runs_are_run_length_encoded():
    image = Image.new("RGB", (100, 12), (255, 0, 0))
    image.paste((0, 0, 255), (0, 6, 3, 12))
    data = encode(image)
    palette = quantize(image).getpalette()
    red, blue = (0, 1) if percent(palette, 0) == (100, 0, 0) else (1, 0)
    # band 1: red in all 100 columns, one run; band 2: blue in 3 columns (too short to
    # repeat), red after 3 empty ones
    assert data == ('\x1bP0;1;0q"1;1;100;12' + "".join(sorted([f"#{red};2;100;0;0", f"#{blue};2;0;0;100"]))
                    + f"#{red}!100~-" + "$".join(sorted([f"#{red}???!97~", f"#{blue}~~~"])) + "\x1b\\")
    _, _, grid = decode(data)
    assert grid == indices(quantize(image))


def test_a_partial_last_band_paints_only_the_image_rows():
    image = Image.new("RGB", (5, 8), (10, 200, 30))
    size, _, grid = decode(encode(image))  # the decoder fails on a pixel painted below row 7
    assert size == (5, 8) and all(cell is not None for row in grid for cell in row)


def test_region_is_the_crop():
    image = screen(80, 48)
    box = (16, 16, 32, 16)
    _, _, grid = decode(encode_region(image, box))
    assert grid == indices(quantize(image.crop((16, 16, 48, 32))))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(1, 30), st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_any_image_round_trips(width, height, colors, seed):
    pixels = bytes((seed >> (i % 24)) * (i + 7) % 251 for i in range(width * height * 3))
    image = Image.frombytes("RGB", (width, height), pixels)
    colors = min(colors, 256)
    quantized = quantize(image, colors)
    size, palette, grid = decode(encode(image, colors))
    assert size == (width, height) and grid == indices(quantized)
    assert set(palette) == {index for _count, index in quantized.getcolors()}


def test_damaged_cells_of_a_scaled_picture():
    frame = Frame(100, 100, bytes(100 * 100 * 4), ((10, 10, 1, 1), (12, 11, 2, 2), (90, 90, 10, 10), (300, 0, 5, 5)))
    # unscaled, 8x16 cells: (10,10)-(14,13) is in cell (1, 0); (90,90)-(100,100) in cells 11..12 x 5..6
    assert damaged_cells(frame, 100, 100, 8, 16) == [(1, 0, 1, 1), (11, 5, 2, 2)]
    assert cell_box_pixels((11, 5, 2, 2), 8, 16, 100, 100) == (88, 80, 12, 20)
    # scaled up 2x, grown by the filter's reach: still whole cells, covering the damage
    for col, row, cols, rows in damaged_cells(frame, 200, 200, 8, 16):
        assert cols > 0 and rows > 0
    boxes = damaged_cells(frame, 200, 200, 8, 16)
    assert any(c * 8 <= 20 and (c + n) * 8 >= 28 and r * 16 <= 20 and (r + m) * 16 >= 28 for c, r, n, m in boxes)
    # overlapping boxes are merged into one
    touching = Frame(100, 100, bytes(100 * 100 * 4), ((0, 0, 9, 1), (8, 0, 9, 1), (16, 0, 9, 1)))
    assert damaged_cells(touching, 100, 100, 8, 16) == [(0, 0, 4, 1)]


def colours(data: str) -> list[list[tuple[int, int, int] | None]]:
    _, palette, grid = decode(data)
    return [[None if cell is None else palette[cell] for cell in row] for row in grid]


def as_frame(image: Image.Image, damage) -> Frame:
    return Frame(image.width, image.height, image.convert("RGBX").tobytes(), tuple(damage))


def test_a_frame_and_its_damage():
    before = screen(80, 48)
    after = before.copy()
    ImageDraw.Draw(after).rectangle((30, 20, 37, 22), fill=(255, 0, 0))
    frame = as_frame(after, [(30, 20, 8, 3)])
    assert encode_frame(frame, 80, 48) == encode(after)
    assert encode_frame(frame, 160, 96) == encode(scaled(frame, 160, 96))
    # painting the damage over the old picture gives the new one
    picture = colours(encode(before))
    updates = encode_damage(frame, 80, 48, 8, 16)
    assert [(col, row) for col, row, _ in updates] == [(3, 1)]
    for col, row, data in updates:
        for dy, line in enumerate(colours(data)):
            for dx, cell in enumerate(line):
                assert cell is not None
                picture[row * 16 + dy][col * 8 + dx] = cell
    assert picture == colours(encode(after))
