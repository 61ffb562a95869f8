"""Fixes to the pinned Textual's internals, applied once when the app is imported.

StylesCache.get_inner_outer is an lru_cache(1024) on a method: its key holds
the StylesCache, and with it every strip that widget last drew. Each closed
screen's widgets stayed alive that way until 1024 newer ones pushed them out
(about 20 MB after a handful of guest detail screens). The colours alone make
the key here.
"""

from __future__ import annotations

from functools import lru_cache

from textual.style import Style
from textual._styles_cache import StylesCache
from textual.color import Color


@lru_cache(1024)
def _inner_outer(base_background: Color, background: Color) -> tuple[Style, Style]:
    return Style(background=base_background + background), Style(background=base_background)


def _get_inner_outer(_self: object, base_background: Color, background: Color) -> tuple[Style, Style]:
    return _inner_outer(base_background, background)


def apply() -> None:
    StylesCache.get_inner_outer = _get_inner_outer  # type: ignore[method-assign]
