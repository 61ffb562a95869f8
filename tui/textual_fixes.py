"""Fixes to the pinned Textual's internals, applied once when the app is imported.

A one-shot timer (`set_timer`) is built with `skip=True`: if more than its delay
passes between the two clock reads at the start of `Timer._run` (the loop thread
lost the GIL to a console reader or a libvirt worker for a switch interval, 5 ms),
it counts itself as already past its only tick and ends without calling back. A
1 ms timer that re-arms the console pane's feed was lost that way under a flood:
the pane stopped reading and the guest's output stalled for good. A one-shot timer
is never skipped here; repeating ones still skip the ticks they missed.

StylesCache.get_inner_outer is an lru_cache(1024) on a method: its key holds
the StylesCache, and with it every strip that widget last drew. Each closed
screen's widgets stayed alive that way until 1024 newer ones pushed them out
(about 20 MB after a handful of guest detail screens). The colours alone make
the key here.

Strip.render_ansi is an lru_cache(16384) keyed by the style, and a table's cell
styles carry the cell's position (DataTable's click target), so every position
ever drawn is a key of its own: a session of page flips and filters on 1000
guests filled it with 12,000 styles, 3 MB. About a screen's worth is kept here
(a table at 200x50 draws some 1,300): a miss costs 1.5 us more than a hit.
"""

from __future__ import annotations

from functools import lru_cache

from textual.style import Style
from textual._styles_cache import StylesCache
from textual.color import Color
from textual.strip import Strip
from textual.timer import Timer

_timer_init = Timer.__init__


def _timer_init_no_skipped_one_shot(self: Timer, *args: object, **kwargs: object) -> None:
    _timer_init(self, *args, **kwargs)  # type: ignore[arg-type]
    if self._repeat == 0:  # set_timer's: one tick, which must come however late
        self._skip = False


@lru_cache(1024)
def _inner_outer(base_background: Color, background: Color) -> tuple[Style, Style]:
    return Style(background=base_background + background), Style(background=base_background)


def _get_inner_outer(_self: object, base_background: Color, background: Color) -> tuple[Style, Style]:
    return _inner_outer(base_background, background)


RENDER_ANSI_STYLES = 2048


def apply() -> None:
    Timer.__init__ = _timer_init_no_skipped_one_shot  # type: ignore[method-assign]
    StylesCache.get_inner_outer = _get_inner_outer  # type: ignore[method-assign]
    render_ansi = Strip.__dict__["render_ansi"].__func__
    if render_ansi.cache_parameters()["maxsize"] != RENDER_ANSI_STYLES:
        Strip.render_ansi = classmethod(lru_cache(RENDER_ANSI_STYLES)(render_ansi.__wrapped__))
