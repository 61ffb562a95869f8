"""Which picture a terminal gets (from its environment, or the config), the cell's pixel
size from a real pseudo-terminal, and the shared sizing helpers."""

from __future__ import annotations

import fcntl
import os
import struct
import termios

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.backend.model import Frame
from tui.render.picture_support import (
    DEFAULT_CELL,
    cell_pixels,
    detect,
    fit_pixels,
    frame_image,
    scaled,
    scaled_rect,
)


@pytest.mark.parametrize(("environ", "kind", "reason", "edits"), [
    ({"TERM": "xterm-kitty"}, "kitty", "kitty graphics: TERM=xterm-kitty", True),
    ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "3"}, "kitty", "kitty graphics: KITTY_WINDOW_ID is set", True),
    ({"TERM": "xterm-ghostty"}, "kitty", "kitty graphics: TERM=xterm-ghostty", False),
    ({"TERM": "xterm-256color", "TERM_PROGRAM": "ghostty"}, "kitty", "kitty graphics: TERM_PROGRAM=ghostty", False),
    ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, "sixel", "sixel: TERM_PROGRAM=WezTerm", False),
    ({"TERM": "foot"}, "sixel", "sixel: TERM=foot", False),
    ({"TERM": "mlterm"}, "sixel", "sixel: TERM=mlterm", False),
    ({"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}, "sixel", "sixel: TERM_PROGRAM=iTerm.app", False),
    ({"TERM": "xterm-256color", "KONSOLE_VERSION": "230804"}, "sixel", "sixel: KONSOLE_VERSION=230804", False),
    ({"TERM": "xterm-256color", "KONSOLE_VERSION": "210800"}, "blocks",
     "block characters: no picture protocol known for TERM=xterm-256color", False),
    ({"TERM": "xterm-256color", "WT_SESSION": "abc"}, "sixel", "sixel: Windows Terminal (WT_SESSION is set)", False),
    ({"TERM": "xterm-256color"}, "blocks", "block characters: no picture protocol known for TERM=xterm-256color", False),
    ({"TERM": "xterm"}, "blocks", "block characters: no picture protocol known for TERM=xterm", False),
    ({}, "blocks", "block characters: no picture protocol known for no TERM", False),
    ({"TERM": "screen-256color"}, "blocks",
     "block characters: inside screen (set the picture in the config to override)", False),
    ({"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"}, "blocks",
     "block characters: inside tmux (set the picture in the config to override)", False),
    ({"TERM": "tmux-256color", "TERM_PROGRAM": "WezTerm"}, "blocks",
     "block characters: inside tmux (set the picture in the config to override)", False),
])
def test_auto_reads_the_environment(environ, kind, reason, edits):
    assert detect(environ, "auto") == (kind, reason, edits)
    assert detect(environ) == (kind, reason, edits)


def test_the_config_setting_wins():
    inside_tmux = {"TERM": "tmux-256color", "TMUX": "x"}
    assert detect(inside_tmux, "kitty") == ("kitty", "kitty graphics: set in the config", False)
    assert detect({"TERM": "xterm-kitty"}, "kitty") == ("kitty", "kitty graphics: set in the config", True)
    assert detect({"TERM": "xterm-kitty"}, "sixel") == ("sixel", "sixel: set in the config", False)
    assert detect({"TERM": "xterm-kitty"}, "blocks").kind == "blocks"
    assert detect({"TERM": "foot"}, " Kitty ").kind == "kitty"
    assert detect({"TERM": "foot"}, "nonsense") == detect({"TERM": "foot"}, "auto")  # unknown: as auto
    detected = detect({"TERM": "foot"}, "blocks")
    assert (detected.kind, detected.reason) == ("blocks", "block characters: set in the config")


def set_size(fd: int, rows: int, cols: int, x_pixels: int, y_pixels: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, x_pixels, y_pixels))


def test_cell_pixels_from_a_terminal():
    leader, follower = os.openpty()
    try:
        set_size(follower, 50, 200, 2000, 1100)
        assert cell_pixels(follower) == (10, 22)
        assert cell_pixels(leader) == (10, 22)
        set_size(follower, 50, 200, 0, 0)  # the terminal does not say
        assert cell_pixels(follower) == DEFAULT_CELL == (8, 16)
        assert cell_pixels(follower, (9, 18)) == (9, 18)
    finally:
        os.close(leader)
        os.close(follower)


def test_cell_pixels_of_no_terminal():
    read_end, write_end = os.pipe()
    try:
        assert cell_pixels(write_end) == DEFAULT_CELL
    finally:
        os.close(read_end)
        os.close(write_end)


def test_fit_pixels():
    assert fit_pixels(1024, 768, 1600, 960) == (1280, 960)
    assert fit_pixels(1024, 768, 800, 2000) == (800, 600)
    assert fit_pixels(1024, 768, 1600, 960, upscale=False) == (1024, 768)
    assert fit_pixels(1024, 768, 800, 960, upscale=False) == (800, 600)
    assert fit_pixels(0, 768, 800, 960) == (0, 0)


@given(st.integers(1, 5000), st.integers(1, 5000), st.integers(1, 5000), st.integers(1, 5000), st.booleans())
def test_fit_pixels_stays_inside_and_keeps_the_aspect(frame_w, frame_h, max_w, max_h, upscale):
    width, height = fit_pixels(frame_w, frame_h, max_w, max_h, upscale)
    assert 1 <= width <= max_w and 1 <= height <= max_h
    assert width == max_w or height == max_h or (not upscale and (width, height) == (frame_w, frame_h))
    # within one pixel of the frame's aspect
    assert abs(width * frame_h - height * frame_w) <= max(frame_w, frame_h)


def test_frame_image_shares_the_bytes_and_scaled_is_rgb():
    pixels = bytes([10, 20, 30, 99] * 6)
    frame = Frame(3, 2, pixels, ((0, 0, 3, 2),))
    assert frame_image(frame).getpixel((2, 1))[:3] == (10, 20, 30)
    same = scaled(frame, 3, 2)
    assert same.mode == "RGB" and same.tobytes() == bytes([10, 20, 30] * 6)
    assert scaled(frame, 6, 4).size == (6, 4)


def test_scaled_rect():
    assert scaled_rect((5, 5, 10, 10), 100, 100, 100, 100) == (5, 5, 10, 10)
    assert scaled_rect((-5, 95, 10, 10), 100, 100, 100, 100) == (0, 95, 5, 5)
    assert scaled_rect((200, 0, 10, 10), 100, 100, 100, 100) is None
    x, y, w, h = scaled_rect((10, 10, 1, 1), 100, 100, 200, 200)
    assert x <= 20 and y <= 20 and x + w >= 22 and y + h >= 22 and w < 12
    assert scaled_rect((0, 0, 100, 100), 100, 100, 37, 50) == (0, 0, 37, 50)
