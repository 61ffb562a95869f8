"""How often Python's cycle collector runs in virtdeck's process: seldom while it starts."""

from __future__ import annotations

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
    """Back to the thresholds before `starting`."""
    global _before
    if _before is not None:
        gc.set_threshold(*_before)
        _before = None
