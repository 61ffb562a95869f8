"""Devices as words: graphics listen and port states, and paths that keep their file name
when there is no room (the ellipsis goes in the middle)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from ..backend.xml.domain import Graphics

ELLIPSIS = "…"


def _cut_left(text: str, width: int) -> str:
    """The longest start of `text` that fits `width` cells."""
    out = ""
    for char in text:
        if cell_len(out + char) > width:
            break
        out += char
    return out


def _cut_right(text: str, width: int) -> str:
    """The longest end of `text` that fits `width` cells."""
    out = ""
    for char in reversed(text):
        if cell_len(char + out) > width:
            break
        out = char + out
    return out


def middle_ellipsis(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut in the middle so that a path keeps its file name:
    ``/var/lib/libvirt/…/disk.qcow2``. The cut falls on a ``/`` where one is near."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    room = width - 1
    tail_room = max(room - room // 3, 1)  # the end (the file name) gets two thirds
    slash = text.rfind("/")
    name = text[slash:] if slash > 0 else ""
    if name and cell_len(name) <= room - 4:  # the whole file name, and the start gets the rest
        tail = name
    else:
        tail = _cut_right(text, tail_room)
    head = _cut_left(text, room - cell_len(tail))
    cut = head.rfind("/")
    if cut >= len(head) // 2 and cut > 0:  # end the start at a directory boundary
        head = head[: cut + 1]
    return f"{head}{ELLIPSIS}{tail}"


class PathText:
    """A path (or URL) as a rich renderable: whole when it fits, else cut in the middle."""

    def __init__(self, text: str, style: str = "") -> None:
        self.text = text
        self.style = style

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = cell_len(self.text)
        return Measurement(min(width, 40), width)  # a path gives up its middle only when it must

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(middle_ellipsis(self.text, options.max_width), style=self.style, no_wrap=True)


# -- graphics ---------------------------------------------------------------------


def graphics_listen_text(g: Graphics) -> str:
    """Where a VNC / SPICE server listens, by libvirt's <listen type>."""
    if g.listen_type == "none":
        return "none (no network listener)"
    if g.listen_type == "socket":
        return f"socket {g.listen}" if g.listen else "socket (libvirt picks the path)"
    if g.listen_type == "network":
        where = f"network {g.listen_network or '?'}"
        return f"{where} ({g.listen})" if g.listen else where
    if g.listen:
        return f"address {g.listen}"
    return "default address (qemu.conf)"


def graphics_port_text(g: Graphics, running: bool) -> str:
    """The port, or why there is none: autoport not yet assigned on a guest that is not running,
    libvirt's -1 on a running guest with no network listener, ..."""
    if g.port is not None:
        return f"{g.port} (autoport)" if g.autoport else str(g.port)
    if g.listen_type in ("none", "socket"):
        return f"no port (listen {g.listen_type})"
    if not running:
        return "assigned at start (autoport)" if g.autoport or g.port_attr in (None, "-1") else "none"
    if g.port_attr == "-1":
        return "no port (libvirt reports -1)"
    return "not assigned yet (autoport)" if g.autoport else f"no port ({g.port_attr or 'none set'})"
