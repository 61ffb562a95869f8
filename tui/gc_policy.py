"""How often Python's cycle collector runs in virtdeck's process: seldom while it starts;
and the memory starting freed, handed back to the system once it is over."""

from __future__ import annotations

import ctypes
import gc

# Objects allocated (less those freed) before the youngest generation is collected,
# while the UI's modules import and the first lists arrive; Python's default is 700.
STARTING_YOUNG = 20_000

_before: tuple[int, int, int] | None = None


def starting() -> None:
    """Collect the youngest generation every STARTING_YOUNG net new objects until `started`.

    What starting makes (modules, classes, widgets, the first lists) is nearly all kept:
    at 700 the collector walked it again and again (importing the UI: 146 collections,
    92 ms; now 5, 49 ms). Afterwards the default is back: at 20,000 a session of view
    switches left its cyclic garbage lying about long enough to raise the peak RSS by
    13 MB, for a tenth of a stats tick's CPU.
    """
    global _before
    young, middle, old = gc.get_threshold()
    if _before is None and 0 < young < STARTING_YOUNG:
        _before = (young, middle, old)
        gc.set_threshold(STARTING_YOUNG, middle, old)


def started() -> None:
    """Back to the thresholds before `starting`, and the heap starting freed back to the system."""
    global _before
    if _before is not None:
        gc.set_threshold(*_before)
        _before = None
        release_free_heap()


def release_free_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc's `malloc_trim`).

    What starting parsed and dropped (an in-process test driver's node file, the
    first lists' XML and records) stays resident as free space glibc keeps, and
    much of what comes later lands elsewhere (Python's own arenas): with 1000
    guests on the test driver this hands back 10 MB, and the peak RSS after a
    session of page flips and filters is 3 MB lower.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc
