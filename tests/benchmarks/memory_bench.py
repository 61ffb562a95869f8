"""Memory after opening screens (run.py's figure 11), in-process under Textual's Pilot.

    python tests/benchmarks/memory_bench.py virtdeck [OPENS]   # guest detail + XML view, demo host
    python tests/benchmarks/memory_bench.py bare [OPENS]       # a plain Textual app pushing one screen

virtdeck: on the demo host with stats paused (z), `enter`/`escape` then
`x`/`escape` OPENS times. bare: a plain Textual App whose screen (a header,
a few Statics, a Footer) is pushed and popped 2 x OPENS times. Each prints one
JSON line: RSS (from /proc/self/statm, after gc.collect) after the first round
and after the last, in decimal MB.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 1e6


async def virtdeck(opens: int) -> dict:
    from tests.app.conftest import make_app, wait_for
    from tests.app.test_memory import open_and_close

    app = make_app(Path(tempfile.mkdtemp(prefix="virtdeck-mem-")), "--demo")
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count > 3, what="the demo guests")
        base = app.screen
        await pilot.press("z")
        await open_and_close(app, pilot, base)
        first = rss_mb()
        started = time.perf_counter()
        for _ in range(opens - 1):
            await open_and_close(app, pilot, base)
        return {"first": first, "after": rss_mb(), "opens": opens, "seconds": time.perf_counter() - started}


async def bare(opens: int) -> dict:
    from textual.app import App, ComposeResult
    from textual.screen import Screen
    from textual.widgets import Footer, Header, Static

    class Sheet(Screen):
        BINDINGS = [("escape", "app.pop_screen", "Back")]

        def compose(self) -> ComposeResult:
            yield Header()
            for n in range(6):
                yield Static(f"line {n} " * 10)
            yield Footer()

    class Bare(App):
        BINDINGS = [("enter", "open", "Open")]

        def compose(self) -> ComposeResult:
            yield Static("bare")
            yield Footer()

        def action_open(self) -> None:
            self.push_screen(Sheet())

    app = Bare()
    async with app.run_test(size=(200, 50)) as pilot:
        base = app.screen

        async def round_trip() -> None:
            for _ in range(2):  # two screens a round, as virtdeck's detail + XML
                await pilot.press("enter")
                while not isinstance(app.screen, Sheet) or not app.screen.is_mounted:
                    await pilot.pause(0.01)
                await pilot.press("escape")
                while app.screen is not base:
                    await pilot.pause(0.01)

        await round_trip()
        first = rss_mb()
        started = time.perf_counter()
        for _ in range(opens - 1):
            await round_trip()
        return {"first": first, "after": rss_mb(), "opens": opens, "seconds": time.perf_counter() - started}


def report(results: dict, add) -> None:
    """Rows for run.py's table."""
    vd, bare_app = results.get("virtdeck"), results.get("bare")
    if not vd:
        return
    growth = vd["after"] - vd["first"]
    baseline = "bare Textual app, 2 screens a round: "
    baseline += (f"{bare_app['first']:.1f} -> {bare_app['after']:.1f} MB ({bare_app['after'] - bare_app['first']:+.1f})"
                 if bare_app else "not measured")
    add(f"11 RSS after 1 and {vd['opens']} guest detail + XML opens (demo, stats paused)",
        f"{vd['first']:.1f} -> {vd['after']:.1f} MB ({growth:+.1f})", baseline,
        f"< +5 MB: {'ok' if growth < 5 else 'MISSED'}")


if __name__ == "__main__":
    which = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    from tui.backend import eventloop

    eventloop.silence_libvirt_errors()
    result = asyncio.run({"virtdeck": virtdeck, "bare": bare}[which](count))
    print(json.dumps(result))
