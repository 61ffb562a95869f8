"""A stats tick renders the rows on screen; a row off screen shows its own latest
figures whenever it is drawn, and a sort by a live column sees every row's figure."""

from __future__ import annotations

import time

from tests.app.conftest import make_app, table_lines, wait_for
from tui.backend.model import StatsSampled
from tui.backend.stats import GuestStats


def tick(app, figure) -> None:
    """One stats sample for every guest, as a host's sampler hands it to the app."""
    by_conn: dict[str, list] = {}
    for key, guest in app.inventory.guests.items():
        by_conn.setdefault(key[0], []).append(guest)
    for conn_id, guests in by_conn.items():
        app._sink(StatsSampled(conn_id, tuple(
            GuestStats(conn_id, guest.uuid, time.time(), vcpus=1, cpu_percent=figure(guest.name))
            for guest in guests), 1, 0.0, None))


def line_of(app, name: str) -> str | None:
    return next((line for line in table_lines(app) if f" {name} " in line), None)


def shows(app, name: str, text: str) -> bool:
    line = line_of(app, name)
    return line is not None and text in line


async def test_rows_off_screen_show_the_latest_tick_when_drawn(tmp_path, node_1000):
    # No sampler tick of its own during the test: the ticks come from tick().
    app = make_app(tmp_path, "-c", node_1000, "--refresh", "3600")
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1000, timeout=30, what="1000 rows")
        names = sorted(guest.name for guest in app.inventory.guests.values())
        first, last = names[0], names[-1]
        rank = {name: index for index, name in enumerate(names)}

        tick(app, lambda name: rank[name] / 10)
        await wait_for(pilot, lambda: shows(app, first, "0.0%"), what=f"{first} at 0.0%")
        await pilot.press("end")
        await wait_for(pilot, lambda: shows(app, last, "99.9%"),
                       what=lambda: f"{last} at 99.9%, the screen shows {line_of(app, last)!r}")

        # A second tick while the bottom is on screen, then back to the top: the
        # first row was off screen during it and shows the new figure.
        tick(app, lambda name: 50.0 + rank[name] % 100 / 10)
        await wait_for(pilot, lambda: shows(app, last, "59.9%"), what=f"{last} at 59.9%")
        await pilot.press("home")
        await wait_for(pilot, lambda: shows(app, first, "50.0%"),
                       what=lambda: f"{first} at 50.0%, the screen shows {line_of(app, first)!r}")

        # A tick that puts a guest from the middle on top, then a sort by CPU:
        # the order comes from every row's figure, not only the ones drawn.
        middle = names[500]
        tick(app, lambda name: 90.0 if name == middle else 1.0)
        await wait_for(pilot, lambda: shows(app, first, "1.0%"), what=f"{first} at 1.0%")
        app.screen.table.sort_by("cpu", reverse=True)
        await wait_for(pilot, lambda: middle in table_lines(app)[1] and "90.0%" in table_lines(app)[1],
                       what=lambda: f"{middle} on top at 90.0%, the top shows {table_lines(app)[:3]!r}")


async def test_a_fleets_samples_of_one_tick_make_one_message_and_one_refresh(tmp_path):
    import threading

    from tui.messages import StatsArrived

    app = make_app(tmp_path, "-c", "test:///default", "--refresh", "3600")
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1, what="the default guest")
        await pilot.pause(0.5)
        guest = next(iter(app.inventory.guests.values()))
        posted, refreshed = [], []
        post, refresh = app.post_message, app.screen.refresh_view
        app.post_message = lambda message: (posted.append(message) if isinstance(message, StatsArrived)
                                            else None) or post(message)
        app.screen.refresh_view = lambda kinds=None: refreshed.append(kinds) or refresh(kinds)
        hosts = [guest.conn_id, "fleet-b", "fleet-c", "fleet-d", "fleet-e"]

        def sample(conn_id: str) -> None:  # each host's worker hands its tick over
            app._sink(StatsSampled(conn_id, (GuestStats(conn_id, guest.uuid, time.time(), vcpus=1,
                                                        cpu_percent=42.0),), 1, 0.0, None))

        workers = [threading.Thread(target=sample, args=(conn_id,)) for conn_id in hosts]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        await wait_for(pilot, lambda: shows(app, guest.name, "42.0%"), what="the figure on screen")
        await pilot.pause(0.5)
        assert all(app.inventory.stats[(conn_id, guest.uuid)].cpu_percent == 42.0 for conn_id in hosts)
        assert len(posted) == 1
        assert [kinds for kinds in refreshed if kinds and "stats" in kinds] == [frozenset({"stats"})]
