"""In-process refresh cost of the Guests view, with baselines.

    python tests/benchmarks/refresh_bench.py URI N_GUESTS [REPEATS [SLOW_REPEATS]]

Runs the real VirtdeckApp under `run_test()`, waits until every guest is in
the table, then times `refresh_view({'guests'})` when nothing changed and
when every row changed one cell (vCPUs), against two baselines: clearing the
same table and adding every row again (what a rebuild would cost), and the
bulk libvirt call `getAllDomainStats(STATE)` on the same URI. Prints one JSON
object on stdout; run.py formats it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEADLINE = 30.0


async def measure(pilot, fn) -> tuple[float, float, float, float]:
    """(cpu, wall) of one call of fn(), then (cpu, wall) including the work it leaves
    for the event loop (DataTable does its column-width pass on idle), up to idle.

    The idle wait has a granularity of about 20 ms of wall time (Textual's
    wait_for_idle); the CPU figure has no such floor.
    """
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    call_cpu, call_wall = time.process_time() - cpu, time.perf_counter() - wall
    await pilot.pause()
    return call_cpu, call_wall, time.process_time() - cpu, time.perf_counter() - wall


def summary(samples: list[tuple[float, ...]]) -> dict:
    names = ("cpu", "wall", "idle_cpu", "idle_wall")[: len(samples[0])]
    out: dict = {"n": len(samples)}
    for index, name in enumerate(names):
        values = [sample[index] for sample in samples]
        out[name] = statistics.median(values)
        out[name + "_max"] = max(values)
    return out


def bulk_stats(uri: str, repeats: int) -> dict:
    import libvirt

    libvirt.registerErrorHandler(lambda *_: None, None)
    conn = libvirt.openReadOnly(uri)
    try:
        samples = []
        count = 0
        for _ in range(repeats):
            cpu, wall = time.process_time(), time.perf_counter()
            count = len(conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE))
            samples.append((time.process_time() - cpu, time.perf_counter() - wall))
    finally:
        conn.close()
    return {**summary(samples), "domains": count}


async def in_app(uri: str, n_guests: int, repeats: int, slow_repeats: int) -> dict:
    from tui.app import VirtdeckApp
    from tui.backend.model import GuestChanged, StatsSampled
    from tui.backend.stats import GuestStats
    from tui.cli import settings_from

    app = VirtdeckApp(settings_from(["-c", uri]))
    result: dict = {}
    async with app.run_test(size=(200, 50)) as pilot:
        loaded = time.perf_counter()
        end = loaded + DEADLINE
        while not (len(app.inventory.guests) == n_guests and getattr(app.screen, "table", None) is not None
                   and app.screen.table.row_count == n_guests):
            if time.perf_counter() > end:
                rows = app.screen.table.row_count if hasattr(app.screen, "table") else None
                raise SystemExit(f"refresh_bench: after {DEADLINE:.0f} s the inventory has "
                                 f"{len(app.inventory.guests)} guests and the table {rows} rows, "
                                 f"not {n_guests}")
            await pilot.pause(0.05)
        await pilot.pause(0.2)  # let the first full paint and any follow-up messages pass
        screen = app.screen
        table = screen.table
        kinds = frozenset({"guests"})

        # (a) nothing changed
        samples = [await measure(pilot, lambda: screen.refresh_view(kinds)) for _ in range(repeats)]
        result["no_change"] = summary(samples)

        # (b) every row changes one cell: vCPUs +1, then back, alternating
        samples = []
        applied = []
        vcpus_column = table.column_keys.index("vcpus")
        for i in range(slow_repeats):
            delta = 1 if i % 2 == 0 else -1
            for guest in list(app.inventory.guests.values()):
                app.inventory.apply(GuestChanged(dataclasses.replace(guest, vcpus=guest.vcpus + delta)))
            before = str(table.get_row_at(0)[vcpus_column])
            samples.append(await measure(pilot, lambda: screen.refresh_view(kinds)))
            applied.append(before != str(table.get_row_at(0)[vcpus_column]))
        result["all_changed"] = {**summary(samples), "cells_changed_every_time": all(applied)}

        # (c) a stats tick in which every guest's figures change (CPU %): what the
        # live columns show; rows off screen are drawn when scrolled to
        samples = []
        applied = []
        cpu_column = table.column_keys.index("cpu")
        by_conn: dict[str, list] = {}
        for conn_id, uuid in app.inventory.guests:
            by_conn.setdefault(conn_id, []).append(uuid)
        for i in range(slow_repeats):
            for conn_id, uuids in by_conn.items():
                figures = tuple(GuestStats(conn_id, uuid, time.time(), vcpus=1, cpu_percent=float(10 + i % 2 * 50))
                                for uuid in uuids)
                app.inventory.apply(StatsSampled(conn_id, figures, 1, 0.0, None))
            before = str(table.get_row_at(0)[cpu_column])
            samples.append(await measure(pilot, lambda: screen.refresh_view(frozenset({"stats"}))))
            applied.append(before != str(table.get_row_at(0)[cpu_column]))
        result["stats_changed"] = {**summary(samples), "cells_changed_every_time": all(applied)}

        # baseline: clear() and add every row again, same table, same cells
        samples = []
        for _ in range(slow_repeats):
            keys = [row.key for row in table.ordered_rows]
            rows = [table.get_row(key) for key in keys]

            def rebuild() -> None:
                with app.batch_update():
                    table.clear()
                    for key, cells in zip(keys, rows):
                        table.add_row(*cells, key=key.value)

            samples.append(await measure(pilot, rebuild))
        result["rebuild"] = {**summary(samples), "rows": table.row_count}
    return result


def main(argv: list[str]) -> int:
    uri, n_guests = argv[1], int(argv[2])
    repeats = int(argv[3]) if len(argv) > 3 else 10
    slow_repeats = int(argv[4]) if len(argv) > 4 else 3
    result = asyncio.run(in_app(uri, n_guests, repeats, slow_repeats))
    result["bulk_stats"] = bulk_stats(uri, repeats)
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
