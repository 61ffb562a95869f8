"""One way to write sizes, rates and times, for every table, sheet and message.

Sizes are binary, as libvirt and virsh write them: ``B KiB MiB GiB TiB PiB
EiB`` (1 KiB = 1024 bytes). A figure has three significant digits and drops
trailing zeros: ``2 GiB``, ``1.5 GiB``, ``1.23 GiB``, ``12.3 MiB``,
``512 MiB``. As ``df -h`` does, 1000 to 1023 of a unit stay whole
(``1020 MiB``); what would round to 1024 goes up a unit (``1 GiB``, never
``1024 MiB``). Bytes below 1 KiB are exact: ``0 B``, ``1023 B``.

Rates are the same with ``/s``: ``12.3 MiB/s``, ``0 B/s``. Where two rates
share one narrow table cell (disk read/write, net rx/tx, under a header that
says ``/s``), the compact form drops the space and the ``iB``: ``12.3M``,
``512K``, ``800`` (bytes), ``0``, as ``ls -h`` writes them; it is used there
and nowhere else.

Times that need no time stamp are relative: ``3 minutes ago``,
``5 minutes from now``, ``2 hours`` (humanize's ``naturaltime`` / ``naturaldelta``).

Sizes are not ``humanize.naturalsize``: it takes one printf format for every
magnitude, so it cannot hold three significant digits (``%.1f`` gives
``1.0 KiB`` ... ``1023.0 KiB``; ``%.3g`` gives ``1.02e+03 KiB``), it writes
``0 Bytes`` where virsh writes ``0 B``, and it goes through gettext on a path
that runs for every cell of every tick.

Pure: imports neither Textual nor Rich; it lives in the backend, which reads sizes
typed in forms and writes them in messages, and the views import it from there.
"""

from __future__ import annotations

import math

import humanize

UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
_COMPACT = ("", "K", "M", "G", "T", "P", "E", "Z", "Y")
MISSING = "—"


def _digits(value: float) -> str:
    """A non-negative number below 1024 with three significant digits, trailing zeros dropped."""
    if value >= 100:
        return f"{value:.0f}"
    text = f"{value:.2f}" if value < 10 else f"{value:.1f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def scaled(value: float) -> tuple[str, int]:
    """|value| as (digits, index into UNITS). Called for every cell of every tick."""
    value = abs(value)
    if value < 1024:
        whole = round(value)
        if whole < 1024:
            return str(whole), 0
    index = 0
    while index < len(UNITS) - 1:
        value /= 1024
        index += 1
        digits = _digits(value)
        if float(digits) < 1024:
            return digits, index
    return f"{value:.0f}", index


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _signed(value: float | None, units: tuple[str, ...] | list[str], gap: str) -> str:
    if not _finite(value):
        return MISSING
    digits, index = scaled(value)
    sign = "-" if value < 0 and digits != "0" else ""
    return f"{sign}{digits}{gap}{units[index]}"


def size_text(num_bytes: float | None) -> str:
    """``1.5 GiB``, ``512 MiB``, ``0 B``; ``—`` for None."""
    return _signed(num_bytes, UNITS, " ")


def rate_text(per_second: float | None) -> str:
    """``12.3 MiB/s``, ``0 B/s``; ``—`` for None."""
    text = size_text(per_second)
    return text if text == MISSING else f"{text}/s"


def rate_compact(per_second: float | None) -> str:
    """``12.3M``, ``512K``, ``800``, ``0``: for a cell that holds two rates under a ``/s`` header."""
    return _signed(per_second, _COMPACT, "")


def size_input(num_bytes: int) -> str:
    """Exact, in the largest unit that divides it, for a form field: ``20G``, ``1536M``, ``1000``.

    Not for display: it keeps every byte so that submitting the field unchanged
    asks for exactly the same size.
    """
    for index in range(len(_COMPACT) - 1, 0, -1):
        scale = 1024**index
        if num_bytes >= scale and num_bytes % scale == 0:
            return f"{num_bytes // scale}{_COMPACT[index]}"
    return str(num_bytes)


def count_text(count: int, word: str, plural: str | None = None) -> str:
    """``1 volume``, ``0 volumes``, ``3 NUMA nodes``: a count and its noun, singular only for one."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


def duration_text(seconds: float | None) -> str:
    """``12 seconds``, ``3 minutes``, ``2 hours``; ``—`` for None."""
    if not _finite(seconds):
        return MISSING
    return humanize.naturaldelta(abs(seconds))


def ago(when: float | None, now: float) -> str:
    """A time stamp (seconds since the epoch) as ``3 minutes ago`` / ``5 minutes from now``."""
    if not _finite(when):
        return MISSING
    return humanize.naturaltime(abs(now - when), future=when > now)
