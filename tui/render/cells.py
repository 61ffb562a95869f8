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
    """A table cell with a sort key, so "2.0 GiB" sorts after "512 MiB"."""

    def __init__(self, text: str, sort_key: Any = None, style: str = "", justify: str = "left") -> None:
        text = visible(text)
        super().__init__(text, style=style, justify=justify, no_wrap=True, overflow="ellipsis")
        # What it looks like, computed once: tables compare it for every cell of every tick.
        self.signature = (text, style, justify)
        self.width = len(text) if text.isascii() else cell_len(text)
        self.sort_key = (HAS_FIGURE, text.casefold() if sort_key is None else sort_key)


def sorts_last(cell: Cell) -> Cell:
    """`cell` shows something but is no figure to sort by (a shut-off guest's configured
    memory): it stays below the rows that have one, whichever way the column sorts."""
    cell.sort_key = (NO_FIGURE, cell.sort_key[1])
    return cell



# Sizes and rates are written by .units, the one notation of the app; these names stay for callers.
size_text = units.size_text
rate_text = units.rate_text


def missing() -> Cell:
    cell = Cell("—", style="dim")
    cell.sort_key = (NO_FIGURE, "")
    return cell


def text(value: str | None, style: str = "") -> Cell:
    return missing() if value is None or value == "" else Cell(value, style=style)


def number(value: int | float | None, style: str = "") -> Cell:
    if value is None:
        return missing()
    return Cell(str(value), sort_key=value, style=style, justify="right")


def size(num_bytes: int | None, style: str = "") -> Cell:
    if num_bytes is None:
        return missing()
    return Cell(size_text(num_bytes), sort_key=num_bytes, style=style, justify="right")


def flag(value: bool | None, yes: str = "yes", no: str = "no") -> Cell:
    if value is None:
        return missing()
    return Cell(yes if value else no, sort_key=int(value), style="" if value else "dim")


def percent(fraction: float | None, warn: float = 0.8, alarm: float = 0.9) -> Cell:
    if fraction is None:
        return missing()
    style = "bold red" if fraction >= alarm else "yellow" if fraction >= warn else ""
    return Cell(f"{fraction * 100:.0f}%", sort_key=fraction, style=style, justify="right")


def pair(first: float | None, second: float | None) -> Cell:
    """Two rates in one cell, e.g. disk read/write; sorts by their sum."""
    if first is None and second is None:
        return missing()
    total = (first or 0) + (second or 0)
    return Cell(f"{units.rate_compact(first)}/{units.rate_compact(second)}", sort_key=total, justify="right",
                style="" if total >= 1 else "dim")


def cpu(percent: float | None, vcpus: int | None) -> Cell:
    if percent is None:
        return missing()
    load = percent / (100 * vcpus) if vcpus else percent / 100
    style = "bold red" if load >= 0.9 else "yellow" if load >= 0.6 else "dim" if percent < 1 else ""
    return Cell(f"{percent:.1f}%", sort_key=percent, style=style, justify="right")
