"""Memory is flat: opening and closing a guest's detail screen and its XML view 200
times each keeps nothing (the process's RSS after a collection, from /proc).

Stats are paused (z) while it runs: the figure is what the opens keep, not the
tables' render caches filling with five minutes of changing figures (bounded,
and the same with no screen ever opened).
"""

from __future__ import annotations

import gc
import os

from .conftest import make_app, wait_for

OPENS = 200
WARM_UP = 10  # the first opens fill caches outside Python (the in-process test driver, malloc arenas): ~4 MB
ALLOWED_MB = 5.0
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 1e6


def screen_name(app) -> str:
    return type(app.screen).__name__


async def open_and_close(app, pilot, base) -> None:
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen" and app.screen.is_mounted,
                   what="the guest's detail screen")
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen is base, what="the guest list again")
    await pilot.press("x")
    await wait_for(pilot, lambda: screen_name(app) == "XmlScreen" and app.screen.xml is not None,
                   what="the XML view")
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen is base, what="the guest list again")


async def test_200_detail_and_xml_opens_keep_under_5_mb(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count > 3, what="the demo guests")
        base = app.screen
        await pilot.press("z")
        await wait_for(pilot, lambda: app.stats_paused, what="stats paused")
        for _ in range(WARM_UP):
            await open_and_close(app, pilot, base)
        first = rss_mb()
        for _ in range(OPENS - WARM_UP):
            await open_and_close(app, pilot, base)
        after = rss_mb()
        from tui.screens.guest_detail import GuestDetailScreen
        from tui.screens.xml_view import XmlScreen

        alive = [o for o in gc.get_objects() if isinstance(o, (GuestDetailScreen, XmlScreen))]
        assert not alive, f"{len(alive)} closed screens are still alive"
        assert after - first < ALLOWED_MB, f"RSS {first:.1f} MB after {WARM_UP} opens, {after:.1f} MB after {OPENS}"
