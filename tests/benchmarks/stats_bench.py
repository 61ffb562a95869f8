"""Stats tick benchmarks, with baselines measured in the same run.

    python tests/benchmarks/stats_bench.py tick URI N_GUESTS [TICKS] [--profile FILE]
    python tests/benchmarks/stats_bench.py calls URI [TICKS] [--system URI]

`tick`: the CPU cost of one stats tick with N guests whose values all change,
split into fetch, diff and render:

- fetch: the sampler's own bulk call (`Connection._fetch_stats`, the groups
  and flags the sampler asks for) on URI, a libvirt test-driver node. The
  test driver returns only the `state` group, so this is the real call on
  the real (small) records. Baseline: the same `getAllDomainStats` called
  directly.
- diff: `Connection.sample_once()` with the bulk call replaced by records a
  real host would return for every guest (cpu.time, vcpu.current, balloon.*,
  one disk and one NIC, every counter moving every tick): that is
  `Sample` + `stats.compute(...)` per guest -> `StatsSampled`, exactly the
  sampler's code path.
- render: inside a running VirtdeckApp (run_test, 200x50, the Guests view
  with all N rows), `app._take_inbox()` with the update in the inbox (History.add,
  Inventory.apply, _fold) and everything it leaves for the event loop
  (refresh_view's table sync, DataTable's deferred work, the paint) up to
  idle, measured as refresh_bench.py does.

Ticks are paced at a fixed interval so the rates (and so the cells) change
every tick, as they would on a live host.

`calls`: libvirt calls per tick per host in steady state, counted in libvirt's
client RPC trace while a real `Fleet` samples URI (served by libvirtd:
test+unix://) every 0.2 s: with only the Guests view (host=False) and
with the Hosts view open (host=True); `--system URI` also does it for a real
libvirtd, read-only, and records why when that URI cannot be opened.

Both print one JSON object on stdout; run.py formats it. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import json
import queue
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from refresh_bench import measure, summary  # noqa: E402

DEADLINE = 30.0
PACE = 0.25  # seconds between synthetic ticks: rates stay well under 100 % of a vCPU
WARMUP = 2  # the first tick has no rates; the second adds them (columns widen)


# -- synthetic records ----------------------------------------------------------


def record_for(index: int, tick: int, vcpus: int, memory_kib: int, counters: dict[str, int]) -> dict:
    """What getAllDomainStats(state|cpu|balloon|block|interface) returns for one
    running guest with one disk and one NIC; `counters` carries the guest's
    monotonic counters from tick to tick, and every one of them moves."""
    spread = (index * 37 + tick * 11) % 97  # 0..96, different per guest and per tick
    counters["cpu.time"] += int((0.03 + spread / 110) * vcpus * PACE * 1e9)
    counters["rd.bytes"] += (1 + (index * 13 + tick * 7) % 200) * 65536
    counters["wr.bytes"] += (1 + (index * 17 + tick * 5) % 300) * 4096
    counters["rd.reqs"] += 1 + (index + tick * 3) % 50
    counters["wr.reqs"] += 1 + (index * 3 + tick) % 70
    counters["rx.bytes"] += (1 + (index * 7 + tick * 13) % 500) * 1500
    counters["tx.bytes"] += (1 + (index * 11 + tick * 3) % 400) * 1500
    unused = int(memory_kib * (0.15 + ((index + tick * 7) % 60) / 100))
    return {
        "state.state": 1,
        "state.reason": 1,
        "cpu.time": counters["cpu.time"],
        "cpu.user": counters["cpu.time"] // 2,
        "cpu.system": counters["cpu.time"] // 4,
        "vcpu.current": vcpus,
        "vcpu.maximum": vcpus,
        "balloon.current": memory_kib,
        "balloon.maximum": memory_kib,
        "balloon.available": memory_kib - 20480,
        "balloon.unused": unused,
        "balloon.usable": unused + 10240,
        "balloon.rss": memory_kib // 2,
        "balloon.last-update": 1_700_000_000 + tick,
        "block.count": 1,
        "block.0.name": "vda",
        "block.0.path": f"/var/lib/libvirt/images/guest-{index:04d}.qcow2",
        "block.0.rd.bytes": counters["rd.bytes"],
        "block.0.wr.bytes": counters["wr.bytes"],
        "block.0.rd.reqs": counters["rd.reqs"],
        "block.0.wr.reqs": counters["wr.reqs"],
        "block.0.rd.times": counters["rd.reqs"] * 90_000,
        "block.0.wr.times": counters["wr.reqs"] * 120_000,
        "block.0.fl.reqs": counters["wr.reqs"] // 8,
        "block.0.fl.times": counters["wr.reqs"] * 10_000,
        "block.0.allocation": 2 << 30,
        "block.0.capacity": 20 << 30,
        "block.0.physical": 2 << 30,
        "net.count": 1,
        "net.0.name": f"vnet{index}",
        "net.0.rx.bytes": counters["rx.bytes"],
        "net.0.rx.pkts": counters["rx.bytes"] // 1500,
        "net.0.rx.errs": 0,
        "net.0.rx.drop": 0,
        "net.0.tx.bytes": counters["tx.bytes"],
        "net.0.tx.pkts": counters["tx.bytes"] // 1500,
        "net.0.tx.errs": 0,
        "net.0.tx.drop": 0,
    }


# -- tick -------------------------------------------------------------------------


def raw_call(conn, groups: int, flags: int) -> tuple[float, float, int]:
    cpu, wall = time.process_time(), time.perf_counter()
    count = len(conn.getAllDomainStats(groups, flags))
    return time.process_time() - cpu, time.perf_counter() - wall, count


async def tick_in_app(uri: str, n_guests: int, ticks: int, profile: str | None) -> dict:
    import libvirt

    import tui.app as tui_app
    from tui.app import VirtdeckApp
    from tui.backend.connection import Connection
    from tui.cli import settings_from

    settings = settings_from(["--config", str(ROOT / "no-such-virtdeck-config.toml"), "--refresh", "3600",
                              "-c", uri])
    app = VirtdeckApp(settings)
    # One host: no other host's sample to wait for, so the tick's table refresh runs within the
    # measured window instead of STATS_WINDOW later, in the pause before the next tick.
    tui_app.STATS_WINDOW = 0.0
    result: dict = {}
    async with app.run_test(size=(200, 50)) as pilot:
        end = time.perf_counter() + DEADLINE
        while not (len(app.inventory.guests) == n_guests and getattr(app.screen, "table", None) is not None
                   and app.screen.table.row_count == n_guests):
            if time.perf_counter() > end:
                rows = app.screen.table.row_count if hasattr(app.screen, "table") else None
                raise SystemExit(f"stats_bench: after {DEADLINE:.0f} s the inventory has "
                                 f"{len(app.inventory.guests)} guests and the table {rows} rows, not {n_guests}")
            await pilot.pause(0.05)
        await pilot.pause(0.5)  # NIC, lease and host-fact reads that follow the first sync
        await pilot.pause()
        screen, table = app.screen, app.screen.table
        conn_id = next(iter(app.inventory.guests))[0]
        host = app.inventory.hosts[conn_id]

        # A sampler of our own on the same URI: the app's one is armed for an hour.
        conn = libvirt.openReadOnly(uri)
        sampler = Connection(conn_id, uri, "bench", lambda _update: None, read_only=True)
        sampler._conn = conn
        sampler._host = dataclasses.replace(sampler._host, cpus=host.cpus)
        sampler._vcpus = {uuid: guest.vcpus for (_, uuid), guest in app.inventory.guests.items()}
        try:
            # fetch: the sampler's bulk call, and the same call made directly
            fetch_samples, raw_samples, records = [], [], []
            sampler._fetch_stats(conn)  # settles the flags (NOWAIT probe) once
            groups, flags = sampler._stats_groups(), sampler._stats_flags
            for _ in range(ticks):
                cpu, wall = time.process_time(), time.perf_counter()
                records = sampler._fetch_stats(conn)
                fetch_samples.append((time.process_time() - cpu, time.perf_counter() - wall))
                cpu, wall, _ = raw_call(conn, groups, flags)
                raw_samples.append((cpu, wall))
            result["fetch"] = {**summary(fetch_samples), "records": len(records),
                               "params": len(records[0][1]) if records else 0}
            result["raw"] = summary(raw_samples)
            result["raw_all"] = summary([raw_call(conn, libvirt.VIR_DOMAIN_STATS_STATE, 0)[:2]
                                         for _ in range(ticks)])

            # diff + render, with full records for every guest
            domains = {dom.UUIDString(): dom for dom in conn.listAllDomains(0)}
            guests = [(domains[uuid], guest) for (_, uuid), guest in app.inventory.guests.items() if uuid in domains]
            counters = [dict.fromkeys(("cpu.time", "rd.bytes", "wr.bytes", "rd.reqs", "wr.reqs", "rx.bytes",
                                       "tx.bytes"), 0) for _ in guests]
            timings: dict[str, list] = {"diff": [], "render": [], "refresh_view": [], "tick": []}
            changed_rows: list[int] = []
            refresh_view = screen.refresh_view
            spent = [0.0, 0.0]

            def timed_refresh_view(kinds=None) -> None:
                cpu, wall = time.process_time(), time.perf_counter()
                refresh_view(kinds)
                spent[0] += time.process_time() - cpu
                spent[1] += time.perf_counter() - wall

            screen.refresh_view = timed_refresh_view
            profiler = cProfile.Profile() if profile else None
            next_at = time.perf_counter()
            for tick in range(WARMUP + ticks):
                # idle until the next tick is due, as the app would between ticks
                next_at += PACE
                await pilot.pause(max(0.0, next_at - time.perf_counter()))
                batch = [(dom, record_for(i, tick, guest.vcpus, guest.memory_kib, counters[i]))
                         for i, (dom, guest) in enumerate(guests)]
                sampler._fetch_stats = lambda _conn, batch=batch: batch  # noqa: B023 - bound per tick
                measured = tick >= WARMUP
                before = {key: [c.signature for c in cells] for key, cells in table._cells.items()}
                if profiler is not None and measured:
                    profiler.enable()
                cpu, wall = time.process_time(), time.perf_counter()
                update = sampler.sample_once()
                diff = (time.process_time() - cpu, time.perf_counter() - wall)
                spent[0] = spent[1] = 0.0
                app._stats_inbox.append(update)  # as the worker's hand-over leaves it
                render = await measure(pilot, app._take_inbox)
                if profiler is not None and measured:
                    profiler.disable()
                if not measured:
                    continue
                timings["diff"].append(diff)
                timings["render"].append(render)
                timings["refresh_view"].append(tuple(spent))
                timings["tick"].append((diff[0] + render[2], diff[1] + render[3]))
                changed_rows.append(sum(1 for key, cells in table._cells.items()
                                        if before.get(key) != [c.signature for c in cells]))
            screen.refresh_view = refresh_view
            del sampler._fetch_stats
            if profiler is not None:
                profiler.dump_stats(profile)
        finally:
            conn.close()
        result.update({name: summary(samples) for name, samples in timings.items()})
        result["rows"] = table.row_count
        result["stats_guests"] = len(guests)
        result["changed_rows"] = statistics.median(changed_rows)
        result["changed_rows_min"] = min(changed_rows)
        result["visible_rows"] = table.scrollable_content_region.height - (table.header_height if table.show_header
                                                                             else 0)
        result["size"] = list(app.size)
        result["pace"] = PACE
    return result


# -- calls per tick -----------------------------------------------------------------


def calls_per_tick(uri: str, ticks: int, read_only: bool = False, interval: float = 0.2) -> dict:
    """libvirt calls of `ticks` consecutive steady-state ticks, Guests view only and then
    with the Hosts view open, counted in libvirt's client RPC trace (tests/rpc_trace.py),
    not from anything the app keeps. A tick is the span from one bulk stats call to the
    next; the first tick of each mode is dropped. `uri` must reach a libvirtd."""
    import tempfile

    from tests.rpc_trace import CONNECT_GET_ALL_DOMAIN_STATS, DOMAIN_GET_INFO, DOMAIN_GET_XML_DESC, RpcTrace
    from tui.backend.fleet import Fleet
    from tui.backend.model import HostChanged, StatsSampled

    arrived: queue.SimpleQueue = queue.SimpleQueue()
    hosts: list = []

    def sink(update) -> None:
        if isinstance(update, StatsSampled):
            arrived.put(update)  # only to know when enough ticks went by
        elif isinstance(update, HostChanged):
            hosts.append(update.host)

    out: dict = {"uri": uri}
    connect_reads = (DOMAIN_GET_XML_DESC, DOMAIN_GET_INFO)
    with tempfile.TemporaryDirectory(prefix="virtdeck-calls-") as tmp, RpcTrace(Path(tmp) / "rpc.log") as trace:
        fleet = Fleet(sink, read_only=read_only)
        try:
            fleet.set_sampling(interval=interval, active=True, host=False)
            fleet.add(uri)

            def wait_ticks(with_host: bool, count: int) -> None:
                seen = 0
                end = time.perf_counter() + DEADLINE + count * interval * 2
                while seen < count:
                    try:
                        update = arrived.get(timeout=max(0.01, end - time.perf_counter()))
                    except queue.Empty:
                        last = hosts[-1] if hosts else None
                        state = f"{last.state.value}: {last.last_error or ''}" if last else "no state reported"
                        raise RuntimeError(f"{uri}: {seen} of {count} ticks in time ({state})") from None
                    if (update.host is not None) == with_host:
                        seen += 1

            # Steady state: the guests' XML and sizes read after the list are done.
            end = time.perf_counter() + DEADLINE
            while time.perf_counter() < end:
                wait_ticks(False, 1)
                if not [c for c in trace.calls(connect_reads) if c.at > time.time() - 1]:
                    break
            for key, with_host in (("guests", False), ("hosts", True)):
                fleet.set_sampling(host=with_host)
                wait_ticks(with_host, 1)  # the first tick of a mode sets things up
                since = time.time()
                wait_ticks(with_host, ticks + 1)
                until = time.time()
                calls = [c for c in trace.calls() if since <= c.at <= until]
                starts = [c.at for c in calls if c.proc == CONNECT_GET_ALL_DOMAIN_STATS]
                per_tick = [sum(1 for c in calls if begin <= c.at < end) for begin, end in zip(starts, starts[1:])]
                if not per_tick:
                    raise RuntimeError(f"{uri}: no bulk stats call in libvirt's trace in {until - since:.1f} s")
                out[key] = {"calls": per_tick, "median": statistics.median(per_tick), "max": max(per_tick),
                            "bulk_per_tick": len(starts) / ((until - since) / interval),
                            "procs": sorted({c.proc for c in calls})}
        finally:
            fleet.set_sampling(active=False)
            fleet.close()
    return out


# -- main ---------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    tick = sub.add_parser("tick")
    tick.add_argument("uri")
    tick.add_argument("guests", type=int)
    tick.add_argument("ticks", type=int, nargs="?", default=10)
    tick.add_argument("--profile", metavar="FILE", help="cProfile the measured ticks (diff + render) into FILE")
    calls = sub.add_parser("calls")
    calls.add_argument("uri")
    calls.add_argument("ticks", type=int, nargs="?", default=15)
    calls.add_argument("--system", metavar="URI", help="also a real libvirtd, read-only (skipped if unreachable)")
    args = parser.parse_args(argv[1:])

    import libvirt

    libvirt.registerErrorHandler(lambda *_: None, None)
    if args.what == "tick":
        result = asyncio.run(tick_in_app(args.uri, args.guests, args.ticks, args.profile))
    else:
        # 15 ticks in a row: the sampler re-reads DHCP leases on every 15th, so each
        # mode's max includes that read exactly once and the median shows the rest.
        try:
            result = {"test": calls_per_tick(args.uri.replace("test://", "test+unix://", 1), args.ticks)}
        except RuntimeError as exc:
            result = {"test": {"uri": args.uri, "skipped": f"{exc} (the node is served by libvirtd)"}}
        if args.system:
            try:
                probe = libvirt.openReadOnly(args.system)
                probe.close()
            except libvirt.libvirtError as exc:
                result["system"] = {"uri": args.system, "skipped": exc.get_error_message() or str(exc)}
            else:
                try:
                    result["system"] = calls_per_tick(args.system, args.ticks, read_only=True)
                except RuntimeError as exc:
                    result["system"] = {"uri": args.system, "skipped": str(exc)}
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
