"""The picture of a guest's screen, and the keyboard and mouse that go to it.

Three ways to draw it (render/picture_support.py picks one, the config can say):
block characters in true colour (any terminal; one cell is one pixel wide and two
tall of the picture, scaled to the pane or 1:1 with `z` and panned), the kitty
graphics protocol (the picture at the pane's pixel size in cells of Unicode
placeholders, so Textual draws them like text; frames go to the terminal beside
Textual's own output, and only changed rectangles once the first is there), or
sixel (redrawn over the pane after Textual paints it). Only what a frame's damage
touches is drawn again.

Every key goes to the guest except the widget's own (priority) binding `ctrl+]`
(binding id `display.leave`), as in a serial console. Mouse moves, clicks and the
wheel go to the guest at the pixel under the pointer.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from itertools import count

from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from ..backend.model import Frame
from ..render import kitty_graphics, picture_blocks, sixel
from ..render.picture_blocks import View
from ..render.picture_support import Detected, cell_pixels, fit_pixels

_image_ids = count(0x5D0001)
DIM = Style(dim=True)
BLOCKS = Detected("blocks", "block characters")


class DisplayView(Widget, can_focus=True):
    """A guest's screen (the pane feeds it frames and takes its keys and mouse)."""

    BINDINGS = [
        Binding("ctrl+right_square_bracket", "leave", "Leave display", priority=True, id="display.leave"),
    ]
    DEFAULT_CSS = """
    DisplayView { height: 1fr; width: 1fr; background: black; }
    """

    class Left(Message):
        """The user pressed the leave key."""

    class ReattachRequested(Message):
        """Enter on a detached display: open it again."""

    class SizeChanged(Message):
        """The guest's screen changed size, or the view changed (zoom)."""

    def __init__(self, send_key: Callable[[str, str | None], bool] | None = None,
                 send_pointer: Callable[[int, int, int], None] | None = None, *,
                 picture: Detected = BLOCKS, id: str | None = None) -> None:
        super().__init__(id=id)
        self.send_key = send_key
        self.send_pointer = send_pointer
        self.detected = picture
        self.picture = picture.kind
        self.frame: Frame | None = None
        self.attached = False
        self.dimmed = False
        self.bview = View()
        self.buttons = 0
        self._strips: dict[int, Strip] = {}
        self._layout: tuple | None = None  # what the cached strips were drawn for
        self._image_id = next(_image_ids)
        self._sent_size: tuple[int, int, int, int] | None = None  # kitty: (cols, rows, px_w, px_h) sent
        self._sixel_whole = False
        self._sixel_scheduled = False
        self._kitty_scheduled = False

    # -- frames ------------------------------------------------------------------

    @property
    def zoomed(self) -> bool:
        return self.bview.zoom

    @property
    def mode_label(self) -> str:
        if self.picture == "blocks":
            return "blocks, 1:1 (z: fit)" if self.zoomed else "blocks, fit (z: 1:1)"
        return self.detected.reason

    def show(self, frame: Frame) -> None:
        """A new frame: draw what its damage touches (all of it after a size change)."""
        old = self.frame
        self.frame = frame
        was_dim, self.dimmed = self.dimmed, False
        cols, rows = self.size
        if cols <= 0 or rows <= 0:
            return
        resized = old is None or (old.width, old.height) != (frame.width, frame.height)
        if resized:
            self.bview = picture_blocks.clamp(self.bview, frame.width, frame.height, cols, rows)
            self.post_message(self.SizeChanged())
        if self.picture in ("kitty", "sixel") and not self._on_screen():
            # hidden (another view, a dialog over it): written now, the picture would land on
            # what covers it; the whole picture goes out again when Textual draws the pane
            self._sent_size = None
            self._sixel_whole = True
            return
        if self.picture == "kitty":
            self._kitty(frame)
            if self._layout != self._layout_key() or was_dim:
                self._strips.clear()
                self.refresh()
            return
        if self.picture == "sixel":
            if resized or was_dim or self._sixel_whole:
                self._sixel_whole = True
                self.refresh()
            else:
                self._sixel_damage(frame)
            return
        if resized or was_dim or self._layout != self._layout_key():
            self._strips.clear()
            self.refresh()
            return
        damaged = picture_blocks.damaged_rows(frame, self.bview, cols, rows)
        if not damaged:
            return
        for row, segments in picture_blocks.render_lines(frame, self.bview, cols, rows, only=damaged).items():
            self._strips[row] = Strip(segments, cols)
        for row in damaged:
            self.refresh(Region(0, row, cols, 1))

    def dim(self) -> None:
        """The display went away: keep its last picture, dimmed."""
        self.dimmed = True
        self._strips.clear()
        self.refresh()

    def _layout_key(self) -> tuple:
        frame = self.frame
        return (tuple(self.size), frame.width if frame else 0, frame.height if frame else 0, self.bview,
                self.dimmed)

    # -- kitty / sixel -------------------------------------------------------------

    def _cell_pixels(self) -> tuple[int, int]:
        return cell_pixels(sys.__stdout__.fileno() if sys.__stdout__ else -1)

    def _pixel_size(self) -> tuple[int, int, int, int]:
        """(cols, rows, pixel width, pixel height) of the picture in this pane, aspect kept."""
        frame = self.frame
        width, height = self.size
        cell_w, cell_h = self._cell_pixels()
        if frame is None:
            return width, height, width * cell_w, height * cell_h
        px_w, px_h = fit_pixels(frame.width, frame.height, max(1, width * cell_w), max(1, height * cell_h))
        return (max(1, min(width, math.ceil(px_w / cell_w))), max(1, min(height, math.ceil(px_h / cell_h))),
                px_w, px_h)

    def _on_screen(self) -> bool:
        return self.is_attached and self.screen.is_current and self.display and self.region.area > 0

    def _kitty_again(self) -> None:
        self._kitty_scheduled = False
        if self.frame is not None and self._sent_size is None and self._on_screen():
            self._kitty(self.frame)

    def _write(self, data: str) -> None:
        driver = self.app._driver
        if driver is not None and data:
            driver.write(data)

    def _kitty(self, frame: Frame) -> None:
        size = self._pixel_size()
        cols, rows, px_w, px_h = size
        if size != self._sent_size:
            self._write(kitty_graphics.transmit(self._image_id, frame, px_w, px_h)
                        + kitty_graphics.place_virtual(self._image_id, cols, rows))
            self._sent_size = size
            self._strips.clear()
            self.refresh()
        else:
            self._write(kitty_graphics.update(self._image_id, frame, px_w, px_h, cols, rows,
                                              frame_edits=self.detected.frame_edits))

    def _at(self, col: int, row: int) -> str:
        region = self.content_region
        return f"\x1b[{region.y + row + 1};{region.x + col + 1}H"

    def _sixel_whole_frame(self) -> None:
        self._sixel_scheduled = False
        frame = self.frame
        if frame is None or not self._sixel_whole or self.dimmed or not self._on_screen():
            return
        self._sixel_whole = False
        _cols, _rows, px_w, px_h = self._pixel_size()
        self._write("\x1b7" + self._at(0, 0) + sixel.encode_frame(frame, px_w, px_h) + "\x1b8")

    def _sixel_damage(self, frame: Frame) -> None:
        _cols, _rows, px_w, px_h = self._pixel_size()
        cell_w, cell_h = self._cell_pixels()
        parts = [self._at(col, row) + seq for col, row, seq in sixel.encode_damage(frame, px_w, px_h, cell_w, cell_h)]
        if parts:
            self._write("\x1b7" + "".join(parts) + "\x1b8")

    def on_mount(self) -> None:
        if self.picture in ("kitty", "sixel"):
            self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def _screen_changed(self, screen) -> None:
        if screen is self.screen:  # uncovered: Textual repaints it, the picture goes out after
            self._strips.clear()
            self.refresh()

    def on_unmount(self) -> None:
        if self.picture == "kitty" and self._sent_size is not None:
            self._write(kitty_graphics.delete(self._image_id))

    # -- drawing -------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        cols, rows = self.size
        frame = self.frame
        if frame is None:
            return Strip.blank(cols)
        layout = self._layout_key()
        if layout != self._layout:
            self._strips.clear()
            self._layout = layout
        if self.picture == "kitty" and not self.dimmed:
            if self._sent_size is None and not self._kitty_scheduled:
                self._kitty_scheduled = True
                self.call_after_refresh(self._kitty_again)
            if not self._strips:
                pic_cols, pic_rows, _, _ = self._pixel_size()
                lines = kitty_graphics.placeholder_lines(self._image_id, pic_cols, pic_rows)
                self._strips = {row: Strip(line).extend_cell_length(cols) for row, line in enumerate(lines)}
            return self._strips.get(y) or Strip.blank(cols)
        if self.picture == "sixel" and not self.dimmed:
            # Textual paints over the picture here: draw it again once the paint is out
            self._sixel_whole = True
            if not self._sixel_scheduled:
                self._sixel_scheduled = True
                self.call_after_refresh(self._sixel_whole_frame)
            return Strip.blank(cols)
        strip = self._strips.get(y)
        if strip is None:
            picture_view = picture_blocks.clamp(self.bview, frame.width, frame.height, cols, rows)
            lines = picture_blocks.render_lines(frame, picture_view, cols, rows, only={y})
            strip = Strip(lines.get(y, []), cols)
            if self.dimmed:
                strip = strip.apply_style(DIM)
            self._strips[y] = strip
        return strip

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        frame = self.frame
        if frame is not None:
            cols, rows = self.size
            self.bview = picture_blocks.clamp(self.bview, frame.width, frame.height, cols, rows)
            if self.picture == "kitty":
                self._kitty(frame)
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    # -- zoom and pan ----------------------------------------------------------------

    def toggle_zoom(self) -> None:
        frame = self.frame
        if self.picture != "blocks" or frame is None:
            return
        cols, rows = self.size
        self.bview = picture_blocks.toggle_zoom(self.bview, frame.width, frame.height, cols, rows)
        self._strips.clear()
        self.refresh()
        self.post_message(self.SizeChanged())

    def pan(self, dx: int, dy: int) -> None:
        """Move a 1:1 view by half a pane (dx, dy: -1, 0 or 1)."""
        frame = self.frame
        if frame is None or not self.zoomed:
            return
        cols, rows = self.size
        self.bview = picture_blocks.pan(self.bview, dx * max(1, cols // 2), dy * max(1, rows // 2),
                                        frame.width, frame.height, cols, rows)
        self._strips.clear()
        self.refresh()

    def frame_point(self, col: float, row: float) -> tuple[int, int] | None:
        """The framebuffer pixel under a point of this view, in cells (fractions where the
        terminal reports the mouse in pixels)."""
        frame = self.frame
        if frame is None:
            return None
        cols, rows = self.size
        if self.picture == "blocks":
            place = picture_blocks.view_region(self.bview, frame.width, frame.height, cols, rows)
            left, top, used_cols, used_rows = place.col, place.row, place.cols, place.rows
        else:
            used_cols, used_rows, _, _ = self._pixel_size()
            left = top = 0
        dc, dr = col - left, row - top
        if not (0 <= dc < used_cols and 0 <= dr < used_rows):
            return None
        if self.picture == "blocks" and self.zoomed:
            x, y = place.x + int(dc), place.y + int(2 * dr)
        else:
            if float(dc).is_integer() and float(dr).is_integer():
                dc, dr = dc + 0.5, dr + 0.5  # a whole cell: its centre
            x, y = int(dc * frame.width / used_cols), int(dr * frame.height / used_rows)
        return min(frame.width - 1, max(0, x)), min(frame.height - 1, max(0, y))

    # -- keys and mouse -----------------------------------------------------------------

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return True  # every key belongs to the guest (our own priority binding still applies)

    async def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        if not self.attached:
            if event.key == "enter":
                self.post_message(self.ReattachRequested())
            return
        if self.send_key is not None:
            self.send_key(event.key, event.character)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        if not self.attached or self.send_key is None:
            return
        for character in event.text.replace("\r\n", "\n"):
            self.send_key("enter" if character == "\n" else character, character)

    def action_leave(self) -> None:
        self.post_message(self.Left())

    def _mouse(self, event: events.MouseEvent, buttons: int) -> None:
        event.stop()
        if not self.attached or self.send_pointer is None:
            return
        point = self.frame_point(event.pointer_x, event.pointer_y)
        if point is not None:
            self.send_pointer(point[0], point[1], buttons)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self.has_focus or self.buttons:  # passing over the pane does not move the guest's pointer
            self._mouse(event, self.buttons)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.focus()
        self.buttons |= _button_bit(event.button)
        self._mouse(event, self.buttons)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        self.buttons &= ~_button_bit(event.button)
        self._mouse(event, self.buttons)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._mouse(event, self.buttons | 1 << 3)
        self._mouse(event, self.buttons)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._mouse(event, self.buttons | 1 << 4)
        self._mouse(event, self.buttons)


def _button_bit(button: int) -> int:
    return {1: 1, 2: 2, 3: 4}.get(button, 0)
