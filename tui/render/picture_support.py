"""Which picture of a guest's screen the terminal can show, how big a cell is in pixels,
and what the kitty and sixel renderers share: a Frame as a Pillow image, scaled to fit.

We cannot ask the terminal (Textual's input thread owns stdin), so `detect` reads the
environment only. Over SSH only TERM travels by default (not TERM_PROGRAM, KITTY_WINDOW_ID,
WT_SESSION ...), so the config setting is the way to say what a terminal can do.
"""

from __future__ import annotations

import fcntl
import math
import struct
import termios
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple


from ..backend.model import Frame, Rect

if TYPE_CHECKING:
    from PIL import Image

KINDS = ("kitty", "sixel", "blocks")
SETTINGS = ("auto", *KINDS)
DEFAULT_CELL = (8, 16)

# TERM values of terminals that draw sixel out of the box (xterm only when started
# with -ti vt340 or decTerminalID set, so it is not here).
_SIXEL_TERMS = ("foot", "foot-extra", "mlterm", "contour", "yaft-256color")
_KONSOLE_SIXEL = 220400  # Konsole 22.04 draws sixel
_NAMES = {"kitty": "kitty graphics", "sixel": "sixel", "blocks": "block characters"}


class Detected(NamedTuple):
    """The picture kind chosen ("kitty", "sixel" or "blocks"), why, as a short sentence for
    the pane, and whether the terminal edits a kitty image in place (animation frames;
    kitty does, Ghostty does not), so `kitty_graphics.update` may send only damage."""

    kind: str
    reason: str
    frame_edits: bool = False


def detect(environ: Mapping[str, str], setting: str = "auto") -> Detected:
    """The picture this terminal can show, from its environment, unless `setting` names one.
    Kitty pictures need Unicode placeholders (kitty, Ghostty); inside tmux or screen
    pictures need a passthrough that is unreliable, so those get block characters."""
    setting = setting.strip().lower()
    term = environ.get("TERM", "")
    program = environ.get("TERM_PROGRAM", "")
    kitty = term == "xterm-kitty" or bool(environ.get("KITTY_WINDOW_ID"))
    if setting in KINDS:
        return Detected(setting, f"{_NAMES[setting]}: set in the config", setting == "kitty" and kitty)
    if environ.get("TMUX") or term.startswith(("screen", "tmux")):
        where = "tmux" if environ.get("TMUX") or term.startswith("tmux") else "screen"
        return Detected("blocks", f"block characters: inside {where} (set the picture in the config to override)")
    if term == "xterm-kitty":
        return Detected("kitty", "kitty graphics: TERM=xterm-kitty", True)
    if environ.get("KITTY_WINDOW_ID"):
        return Detected("kitty", "kitty graphics: KITTY_WINDOW_ID is set", True)
    if term == "xterm-ghostty" or program.lower() == "ghostty":
        said = "TERM=xterm-ghostty" if term == "xterm-ghostty" else f"TERM_PROGRAM={program}"
        return Detected("kitty", f"kitty graphics: {said}")
    if program == "WezTerm":
        # WezTerm's kitty graphics have no Unicode placeholders, which a Textual pane needs
        return Detected("sixel", "sixel: TERM_PROGRAM=WezTerm")
    if term in _SIXEL_TERMS:
        return Detected("sixel", f"sixel: TERM={term}")
    if program == "iTerm.app":
        return Detected("sixel", "sixel: TERM_PROGRAM=iTerm.app")
    konsole = environ.get("KONSOLE_VERSION", "")
    if konsole.isdigit() and int(konsole) >= _KONSOLE_SIXEL:
        return Detected("sixel", f"sixel: KONSOLE_VERSION={konsole}")
    if environ.get("WT_SESSION"):
        return Detected("sixel", "sixel: Windows Terminal (WT_SESSION is set)")
    said = f"TERM={term}" if term else "no TERM"
    return Detected("blocks", f"block characters: no picture protocol known for {said}")


def cell_pixels(fd: int, default: tuple[int, int] = DEFAULT_CELL) -> tuple[int, int]:
    """The (width, height) of one cell in pixels of the terminal on `fd`, from TIOCGWINSZ
    (ws_xpixel / ws_col, ws_ypixel / ws_row); `default` where the terminal does not say
    (zero pixel sizes, as in tmux or over some SSH clients) or `fd` is no terminal."""
    try:
        packed = fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8))
    except OSError:
        return default
    rows, cols, x_pixels, y_pixels = struct.unpack("HHHH", packed)
    if not (rows and cols and x_pixels and y_pixels):
        return default
    width, height = x_pixels // cols, y_pixels // rows
    return (width, height) if width and height else default


def frame_image(frame: Frame) -> Image.Image:
    """The frame as an RGBX Pillow image sharing the frame's bytes (no copy)."""
    from PIL import Image

    return Image.frombuffer("RGBX", (frame.width, frame.height), frame.pixels, "raw", "RGBX", 0, 1)


def fit_pixels(frame_w: int, frame_h: int, max_w: int, max_h: int, upscale: bool = True) -> tuple[int, int]:
    """The largest (width, height) inside max_w x max_h with the frame's aspect; with
    `upscale` False never larger than the frame itself."""
    if min(frame_w, frame_h, max_w, max_h) <= 0:
        return (0, 0)
    if frame_w * max_h <= frame_h * max_w:
        width, height = max(1, min(max_w, round(frame_w * max_h / frame_h))), max_h
    else:
        width, height = max_w, max(1, min(max_h, round(frame_h * max_w / frame_w)))
    if not upscale and width > frame_w:
        return frame_w, frame_h
    return width, height


def scaled(frame: Frame, width: int, height: int) -> Image.Image:
    """The frame as an RGB image of width x height (bilinear; the frame itself at its own size)."""
    from PIL import Image

    image = frame_image(frame)
    if (width, height) != (frame.width, frame.height):
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    return image.convert("RGB")


def scaled_rect(rect: Rect, frame_w: int, frame_h: int, width: int, height: int) -> Rect | None:
    """Where a damaged framebuffer rect lands in the frame scaled to width x height: grown by
    the bilinear filter's reach, clipped; None when it misses the frame."""
    x, y, w, h = rect
    x0, y0, x1, y1 = max(0, x), max(0, y), min(frame_w, x + w), min(frame_h, y + h)
    if x0 >= x1 or y0 >= y1 or width <= 0 or height <= 0:
        return None
    if (width, height) == (frame_w, frame_h):
        return (x0, y0, x1 - x0, y1 - y0)
    sx, sy = width / frame_w, height / frame_h
    # a scaled pixel reads source pixels up to one scaled pixel (or one source pixel) away
    reach_x, reach_y = 1 + math.ceil(sx), 1 + math.ceil(sy)
    left, top = max(0, math.floor(x0 * sx) - reach_x), max(0, math.floor(y0 * sy) - reach_y)
    right, bottom = min(width, math.ceil(x1 * sx) + reach_x), min(height, math.ceil(y1 * sy) + reach_y)
    return (left, top, right - left, bottom - top)


def scaled_region(frame: Frame, box: Rect, width: int, height: int) -> Image.Image:
    """The part `box` (x, y, w, h in the scaled picture) of the frame scaled to width x height,
    resampling only around that part."""
    from PIL import Image

    x, y, w, h = box
    image = frame_image(frame)
    if (width, height) == (frame.width, frame.height):
        return image.crop((x, y, x + w, y + h)).convert("RGB")
    sx, sy = frame.width / width, frame.height / height
    source = (x * sx, y * sy, (x + w) * sx, (y + h) * sy)
    return image.resize((w, h), Image.Resampling.BILINEAR, box=source).convert("RGB")
