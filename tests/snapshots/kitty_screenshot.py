"""screenshots/display-kitty.png: what a kitty terminal shows of a guest's screen.

    .venv/bin/python -m tests.snapshots.kitty_screenshot [OUTPUT_DIR]

An SVG of the app cannot carry the picture the kitty graphics protocol draws, so
this runs the program on the demo host in a real pty with `--pictures kitty`,
opens web-01's display, and draws what the program wrote the way kitty would:
the text cells (pyte, DejaVu Sans Mono) and, over the cells holding kitty's
Unicode placeholders, the image the program transmitted, with the rectangles it
edited since. Only the parts of the protocol virtdeck uses are understood.
"""

from __future__ import annotations

import base64
import re
import sys
import zlib
from pathlib import Path

import pyte
from PIL import Image, ImageDraw, ImageFont

from tests.ptyharness import PtyApp

ROOT = Path(__file__).resolve().parents[2]
CELL_W, CELL_H = 8, 16  # the program's default cell size when the pty reports no pixels
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
PLACEHOLDER = "\U0010eeee"
APC = re.compile(rb"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\")
COLOURS = {"black": (0, 0, 0), "red": (205, 49, 49), "green": (13, 188, 121), "brown": (229, 229, 16),
           "blue": (36, 114, 200), "magenta": (188, 63, 188), "cyan": (17, 168, 205), "white": (229, 229, 229)}


def colour(value: str, default: tuple[int, int, int]) -> tuple[int, int, int]:
    if value == "default":
        return default
    if re.fullmatch(r"[0-9a-fA-F]{6}", value):
        return tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    return COLOURS.get(value, default)


def kitty_image(raw: bytes) -> Image.Image | None:
    """The image as the terminal holds it after every transmit and frame edit in `raw`."""
    image: Image.Image | None = None
    pending: tuple[dict[str, str], list[bytes]] | None = None
    for match in APC.finditer(raw):
        keys = dict(part.split("=", 1) for part in match.group(1).decode().split(",") if "=" in part)
        payload = match.group(2) or b""
        if pending is None:
            if keys.get("a", "t") not in ("t", "T", "f") or not payload:
                continue
            pending = (keys, [payload])
        else:
            pending[1].append(payload)
        if keys.get("m", "0") != "0":
            continue
        first, chunks = pending
        pending = None
        data = base64.b64decode(b"".join(chunks))
        if first.get("o") == "z":
            data = zlib.decompress(data)
        width, height = int(first["s"]), int(first["v"])
        mode = {"24": "RGB", "32": "RGBA"}[first.get("f", "32")]
        part = Image.frombytes(mode, (width, height), data).convert("RGB")
        if first.get("a", "t") == "f" and image is not None:
            image.paste(part, (int(first.get("x", 0)), int(first.get("y", 0))))
        else:
            image = part
    return image


def draw(app: PtyApp, output: Path) -> Path:
    # pyte does not know APC sequences and would print their payload: the text cells
    # are read from the output without them, as kitty reads it
    screen = pyte.Screen(app.columns, app.lines)
    pyte.ByteStream(screen).feed(APC.sub(b"", bytes(app.raw)))
    font = ImageFont.truetype(str(FONT), 13)
    picture = Image.new("RGB", (screen.columns * CELL_W, screen.lines * CELL_H), (30, 30, 30))
    pen = ImageDraw.Draw(picture)
    placeholders = []
    for y in range(screen.lines):
        line = screen.buffer[y]
        for x in range(screen.columns):
            char = line[x]
            fg, bg = colour(char.fg, (229, 229, 229)), colour(char.bg, (30, 30, 30))
            if char.reverse:
                fg, bg = bg, fg
            box = (x * CELL_W, y * CELL_H, (x + 1) * CELL_W - 1, (y + 1) * CELL_H - 1)
            pen.rectangle(box, fill=bg)
            if char.data.startswith(PLACEHOLDER):
                placeholders.append((x, y))
            elif char.data.strip():
                pen.text((x * CELL_W, y * CELL_H + 1), char.data[0], font=font, fill=fg)
    image = kitty_image(bytes(app.raw))
    if image is not None and placeholders:
        left, top = min(x for x, _ in placeholders), min(y for _, y in placeholders)
        picture.paste(image, (left * CELL_W, top * CELL_H))
    path = output / "display-kitty.png"
    picture.save(path)
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else ROOT / "screenshots"
    app = PtyApp([sys.executable, "-m", "tui", "--demo", "--pictures", "kitty"], cwd=str(ROOT), label="virtdeck")
    try:
        app.wait_for(lambda a: a.contains("backup-vault"), "the demo guests", deadline=60)
        app.burst(list("/web-01") + ["\r"])
        app.settle()
        app.send("v")
        app.wait_for(lambda a: b"a=p,U=1" in bytes(a.raw), "the picture placed", deadline=20)
        app.wait_for(lambda a: any(PLACEHOLDER in c.data for c in a.screen.buffer[10].values()),
                     "the placeholder cells", deadline=20)
        app.settle(quiet=0.5)
        print(draw(app, output))
    finally:
        app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
