"""A fleet's stats: the guests on screen every tick, every guest every 5 s.

Three test-driver hosts served by the test bed's libvirtd, each reached through a
socket path of its own (a symlink to libvirtd's socket), so libvirt's client trace
(tests/rpc_trace.py) tells their calls apart. Every figure is read from that trace,
never from the app. Host a's guests sort first and fill the screen; b's and c's are
all below it.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from tests import rpc_trace as rpc
from tests.app.conftest import wait_for
from tests.rpc_trace import RpcTrace

from .conftest import Testbed, _load_testbed_module

gen_node = _load_testbed_module("gen_node")

REFRESH = 0.5  # every guest every 5 s: every 10th tick
STATS = [rpc.CONNECT_GET_ALL_DOMAIN_STATS]  # both the whole call and the one given a list of guests


def fleet_app(tmp_path: Path) -> tuple[object, dict[str, str]]:
    from tui.app import VirtdeckApp
    from tui.cli import settings_from

    args, links = ["--config", str(tmp_path / "config.toml"), "--refresh", str(REFRESH)], {}
    (tmp_path / "config.toml").write_text("resync = 86400\n", encoding="utf-8")
    for index, host in enumerate("abc"):
        node = tmp_path / f"node-{host}.xml"
        node.write_text(gen_node.generate_node_xml(200, seed=index).replace("<name>guest-", f"<name>{host}-guest-"))
        link = links[host] = str(tmp_path / f"sock-{host}")
        Path(link).symlink_to("/run/libvirt/libvirt-sock")
        args += ["-c", f"test+unix://{node}?socket={link}"]
    return VirtdeckApp(settings_from(args)), links


def on(link: str):
    return lambda path: path == link  # the link's own path: every link resolves to the same socket


async def test_guests_off_screen_are_sampled_every_5_s_and_those_on_screen_every_tick(testbed: Testbed, tmp_path):
    app, links = fleet_app(tmp_path)
    with RpcTrace(tmp_path / "rpc.log") as trace:
        def stats_calls(host: str, since: float) -> list[rpc.Call]:
            return [c for c in trace.calls(STATS, socket=on(links[host])) if c.at >= since]

        async with app.run_test(size=(160, 40)) as pilot:
            await wait_for(pilot, lambda: len(app.inventory.guests) == 600, timeout=60, what="600 guests listed")
            await pilot.press("g")  # the first rows: a's, whichever host listed first
            # Settled: each host has made its whole first sample.
            await wait_for(pilot, lambda: all(len(stats_calls(h, 0)) >= 3 for h in "abc"), timeout=20,
                           what="the first samples of every host")
            since = time.time()
            await wait_for(pilot, lambda: len(stats_calls("a", since)) >= 14, timeout=20,
                           what=lambda: f"14 ticks of host a ({len(stats_calls('a', since))} so far)")
            window = time.time() - since
            counts = {h: len(stats_calls(h, since)) for h in "abc"}

            # Sorted by a live column, every figure counts: every host every tick.
            for _ in range(len(app.screen.table.column_keys)):
                if app.screen.table.sort_column == "cpu":
                    break
                await pilot.press("o")
            sorted_at = time.time()
            await wait_for(pilot, lambda: all(len(stats_calls(h, sorted_at)) >= 6 for h in "bc"), timeout=6,
                           what=lambda: "b and c every tick once sorted by CPU: "
                                        f"{ {h: len(stats_calls(h, sorted_at)) for h in 'bc'} } calls in "
                                        f"{time.time() - sorted_at:.1f} s")

            # A view without guests' figures: every host every 5 s.
            await pilot.press("2")
            switched = time.time()
            await wait_for(pilot, lambda: time.time() - switched >= 6 and app.screen.is_mounted, timeout=10,
                           what="six seconds on the Networks view")
            quiet = {h: len(stats_calls(h, switched + REFRESH * 2)) for h in "abc"}
        replies = trace.replies(STATS, socket=on(links["a"]))
        sent = trace.calls(STATS, socket=on(links["a"]))

    slow = window / 5 + 1
    assert counts["a"] >= 14 and counts["b"] <= slow and counts["c"] <= slow, (
        f"stats calls in {window:.1f} s at a {REFRESH} s refresh: {counts}; a (on screen) every tick, "
        f"b and c (off screen) at most {slow:.0f}")
    assert max(quiet.values()) <= 2, f"on the Networks view, calls in the last 5 s: {quiet}"
    # Host a's calls between two whole ones ask for its guests on screen only: shorter replies.
    whole = min(c.length for c in sent)
    shown_at = {round(c.at, 3) for c in sent if c.length > whole}
    assert shown_at, "host a never asked for only some of its guests"
    by_kind: dict[bool, list[int]] = {True: [], False: []}
    for reply, call in zip(replies, sent):
        by_kind[call.length > whole].append(reply.length)
    assert statistics.median(by_kind[True]) < statistics.median(by_kind[False]) / 3, (
        f"replies to the calls for the guests on screen ({statistics.median(by_kind[True])} bytes) are not "
        f"much smaller than to the whole ones ({statistics.median(by_kind[False])} bytes)")
