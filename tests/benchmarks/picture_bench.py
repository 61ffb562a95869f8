"""Guest screen picture figures: what each renderer costs for one 1024x768 frame.

    python -m tests.benchmarks.picture_bench [--runs N]    # a table, then one JSON line

- blocks fit: a new frame into a 200 x 60 cell pane (scale + every row's segments), and
  the worst case, noise, where no two neighbouring cells share a style; blocks 1:1: the
  same pane zoomed (no scaling); blocks 1:1, only the rows a 64 x 16 damaged rect touches.
- kitty whole frame: `transmit` + `place_virtual` (the picture fitted into the pane's
  pixels, 8 x 16 a cell, never upscaled: 1024x768 in 200 x 60 cells, 800x600 in 100 x 40),
  ms and bytes; kitty damage: `update` for a 64 x 16 damaged rectangle (a line of text
  changing), ms and bytes.
- sixel whole frame (1024x768, quantize + encode), ms and bytes, on a desktop-like screen
  and on a text console (few colours); sixel damage: the cells a 64 x 16 rect touches.

Baselines, same run, same frames: Pillow's own resize (box filter, to the blocks' picture
size) + tobytes; Pillow's bilinear resize to the kitty size + tobytes; Pillow's quantize
alone. Each figure is the median of --runs repetitions (wall clock, one core).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable

from PIL import Image, ImageDraw

from tui.backend.model import Frame
from tui.render import kitty_graphics, picture_blocks, sixel
from tui.render.picture_support import fit_pixels, frame_image, scaled

WIDTH, HEIGHT = 1024, 768
COLS, ROWS = 200, 60
CELL = (8, 16)
DAMAGE = (300, 400, 64, 16)


def desktop(seed: int) -> Image.Image:
    """A desktop-like screen: a gradient, windows, antialiased text of many colours."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randrange(WIDTH - 300), rng.randrange(HEIGHT - 200)
        draw.rectangle((x, y, x + 300, y + 200), fill=(235, 235, 235), outline=(40, 40, 120))
        draw.rectangle((x, y, x + 300, y + 18), fill=(50, 80, 160))
        for line in range(10):
            draw.text((x + 6, y + 24 + line * 16), f"Install step {line}: partition /dev/vda{line}",
                      fill=(rng.randrange(80), rng.randrange(80), rng.randrange(80)))
    return image


def console(seed: int) -> Image.Image:
    """A text console: 16 colours, 8x16 glyph-like marks on black."""
    rng = random.Random(seed)
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    palette = [(170, 170, 170), (255, 255, 255), (0, 170, 0), (170, 0, 0), (85, 85, 255)]
    for row in range(HEIGHT // 16):
        draw.text((0, row * 16 + 2), "".join(rng.choice("abcdefgh ijklmnop") for _ in range(120)),
                  fill=rng.choice(palette))
    return image.quantize(16, method=Image.Quantize.MEDIANCUT).convert("RGB")


def as_frame(image: Image.Image, damage=None, serial: int = 0) -> Frame:
    return Frame(image.width, image.height, image.convert("RGBX").tobytes(),
                 tuple(damage or ((0, 0, image.width, image.height),)), serial)


def timed(work: Callable[[int], object], runs: int) -> tuple[float, object]:
    """Median ms of `work(i)` over runs, and the last result."""
    times, result = [], None
    for i in range(runs):
        start = time.perf_counter()
        result = work(i)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def measure(runs: int) -> dict[str, dict[str, float]]:
    base = desktop(1)
    frames = [as_frame(base, serial=i) for i in range(runs)]  # separate frames: no cache helps
    figures: dict[str, dict[str, float]] = {}

    fit_cols, fit_rows = picture_blocks.fit_size(WIDTH, HEIGHT, COLS, ROWS)
    ms, _ = timed(lambda i: frame_image(frames[i]).resize((fit_cols, 2 * fit_rows), Image.Resampling.BOX).tobytes(), runs)
    figures["baseline: Pillow box resize to the blocks picture + tobytes"] = {"ms": ms}
    ms, _ = timed(lambda i: picture_blocks.render_lines(frames[i], picture_blocks.View(), COLS, ROWS), runs)
    figures["blocks fit 200x60"] = {"ms": ms}
    noise = [Frame(WIDTH, HEIGHT, random.Random(i).randbytes(WIDTH * HEIGHT * 4), ((0, 0, WIDTH, HEIGHT),), i)
             for i in range(runs)]
    ms, _ = timed(lambda i: picture_blocks.render_lines(noise[i], picture_blocks.View(), COLS, ROWS), runs)
    figures["blocks fit 200x60, noise (no two cells alike)"] = {"ms": ms}
    zoom = picture_blocks.View(zoom=True, x=250, y=350)  # shows the damaged rect
    ms, _ = timed(lambda i: picture_blocks.render_lines(frames[i], zoom, COLS, ROWS), runs)
    figures["blocks 1:1 200x60"] = {"ms": ms}
    damaged = as_frame(base, [DAMAGE], 1)
    rows = picture_blocks.damaged_rows(damaged, zoom, COLS, ROWS)
    ms, _ = timed(lambda i: picture_blocks.render_lines(damaged, zoom, COLS, ROWS, only=rows), runs)
    figures[f"blocks 1:1, {len(rows)} damaged rows"] = {"ms": ms}

    changed = base.copy()
    ImageDraw.Draw(changed).text((DAMAGE[0] + 2, DAMAGE[1] + 2), "42% done", fill=(255, 0, 0))
    changed_frame = as_frame(changed, [DAMAGE], 2)
    # a 200 x 60 pane holds the frame 1:1 (never upscaled); a 100 x 40 pane scales it down
    for cols, rows in ((COLS, ROWS), (100, 40)):
        px_w, px_h = fit_pixels(WIDTH, HEIGHT, cols * CELL[0], rows * CELL[1], upscale=False)
        ms, _ = timed(lambda i: scaled(frames[i], px_w, px_h).tobytes(), runs)
        figures[f"baseline: Pillow frame -> RGB {px_w}x{px_h} + tobytes"] = {"ms": ms}
        ms, out = timed(lambda i: kitty_graphics.transmit(7, frames[i], px_w, px_h)
                        + kitty_graphics.place_virtual(7, cols, rows), runs)
        figures[f"kitty whole frame {px_w}x{px_h}"] = {"ms": ms, "bytes": len(out)}
        ms, out = timed(lambda i: kitty_graphics.update(7, changed_frame, px_w, px_h, cols, rows), runs)
        figures[f"kitty damaged 64x16 rect at {px_w}x{px_h}"] = {"ms": ms, "bytes": len(out)}

    for name, image in (("desktop", base), ("text console", console(2))):
        ms, _ = timed(lambda i: sixel.quantize(image), runs)
        figures[f"baseline: Pillow quantize ({name})"] = {"ms": ms}
        ms, out = timed(lambda i: sixel.encode(image), runs)
        figures[f"sixel whole frame ({name})"] = {"ms": ms, "bytes": len(out)}
    boxes = sixel.damaged_cells(changed_frame, WIDTH, HEIGHT, *CELL)

    def sixel_damage(_i: int) -> str:
        picture = scaled(changed_frame, WIDTH, HEIGHT)
        return "".join(sixel.encode_region(picture, sixel.cell_box_pixels(box, *CELL, WIDTH, HEIGHT)) for box in boxes)

    ms, out = timed(sixel_damage, runs)
    figures[f"sixel damaged cells ({len(boxes)} box)"] = {"ms": ms, "bytes": len(out)}
    return figures


def report(figures: dict[str, dict[str, float]]) -> None:
    width = max(map(len, figures))
    print(f"guest screen pictures, one {WIDTH}x{HEIGHT} frame (median ms):")
    for name, figure in figures.items():
        size = f"  {figure['bytes']:>9,} bytes" if "bytes" in figure else ""
        print(f"  {name.ljust(width)}  {figure['ms']:8.2f} ms{size}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    figures = measure(max(1, args.runs))
    report(figures)
    print(json.dumps({name: {k: round(v, 3) for k, v in figure.items()} for name, figure in figures.items()}))


if __name__ == "__main__":
    main()
