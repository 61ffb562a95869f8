"""Table cells: rich Text that also knows how it sorts.

User and libvirt strings become Text, never markup, so a `[` in a guest
name is just a character.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text

from ..backend import units


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def visible(value: str) -> str:
    """Control characters shown as escapes: a one-line cell stays one line."""
    if value.isprintable():
        return value
    return "".join(
        _ESCAPES.get(char, f"\\x{ord(char):02x}") if (ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0) else char
        for char in value
    )


# The first item of every sort key: rows with a figure sort (either way) above
# rows without one, which keep to the bottom in both directions.
HAS_FIGURE, NO_FIGURE = 0, 1


class Cell(Text):
    """A table cell with a sort key, so "2.0 GiB" sorts after "512 MiB". `last`: it
    shows something but is no figure to sort by (a shut-off guest's configured
    memory), so it stays below the rows that have one, whichever way the column sorts.

    Never changed once made: equal cells are shared (`shared`)."""

    __slots__ = ("signature", "width", "sort_key")

    def __init__(self, text: str, sort_key: Any = None, style: str = "", justify: str = "left",
                 last: bool = False) -> None:
        text = visible(text)
        super().__init__(text, style=style, justify=justify, no_wrap=True, overflow="ellipsis")
        # What it looks like, computed once: tables compare it for every cell of every tick.
        self.signature = (text, style, justify)
        self.width = len(text) if text.isascii() else cell_len(text)
        self.sort_key = (NO_FIGURE if last else HAS_FIGURE, text.casefold() if sort_key is None else sort_key)


# A fleet's table holds 100,000 cells and most say the same few things ("—", "yes",
# "running", "2 GiB", a host's name): equal cells are one object. Cleared when full,
# so cells of guests long gone are not kept.
_SHARED: dict[tuple, Cell] = {}
SHARED_MAX = 20_000


def shared(text: str, sort_key: Any = None, style: str = "", justify: str = "left", last: bool = False) -> Cell:
    """A Cell equal to `Cell(...)` with these arguments, shared with the equal ones made before."""
    key = (text, sort_key, type(sort_key), style, justify, last)
    try:
        cell = _SHARED.get(key)
    except TypeError:  # an unhashable sort key
        return Cell(text, sort_key, style, justify, last)
    if cell is None:
        if len(_SHARED) >= SHARED_MAX:
            _SHARED.clear()
        cell = _SHARED[key] = Cell(text, sort_key, style, justify, last)
    return cell


def sorts_last(cell: Cell) -> Cell:
    """The same cell as one that is no figure to sort by (see `Cell`)."""
    text, style, justify = cell.signature
    return shared(text, cell.sort_key[1], style, justify, last=True)



# Sizes and rates are written by .units, the one notation of the app; these names stay for callers.
size_text = units.size_text
rate_text = units.rate_text


def missing() -> Cell:
    return shared("—", "", style="dim", last=True)


def text(value: str | None, style: str = "") -> Cell:
    return missing() if value is None or value == "" else shared(value, style=style)


def number(value: int | float | None, style: str = "") -> Cell:
    if value is None:
        return missing()
    return shared(str(value), sort_key=value, style=style, justify="right")


def size(num_bytes: int | None, style: str = "") -> Cell:
    if num_bytes is None:
        return missing()
    return shared(size_text(num_bytes), sort_key=num_bytes, style=style, justify="right")


def flag(value: bool | None, yes: str = "yes", no: str = "no") -> Cell:
    if value is None:
        return missing()
    return shared(yes if value else no, sort_key=int(value), style="" if value else "dim")


def percent(fraction: float | None, warn: float = 0.8, alarm: float = 0.9) -> Cell:
    if fraction is None:
        return missing()
    style = "bold red" if fraction >= alarm else "yellow" if fraction >= warn else ""
    return shared(f"{fraction * 100:.0f}%", sort_key=fraction, style=style, justify="right")


def pair(first: float | None, second: float | None) -> Cell:
    """Two rates in one cell, e.g. disk read/write; sorts by their sum."""
    if first is None and second is None:
        return missing()
    total = (first or 0) + (second or 0)
    return shared(f"{units.rate_compact(first)}/{units.rate_compact(second)}", sort_key=total, justify="right",
                style="" if total >= 1 else "dim")


def cpu(percent: float | None, vcpus: int | None) -> Cell:
    if percent is None:
        return missing()
    load = percent / (100 * vcpus) if vcpus else percent / 100
    style = "bold red" if load >= 0.9 else "yellow" if load >= 0.6 else "dim" if percent < 1 else ""
    return shared(f"{percent:.1f}%", sort_key=percent, style=style, justify="right")
