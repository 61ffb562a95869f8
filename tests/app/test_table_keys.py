"""Tables you can read and move in: sort marks and order, home / end, frozen
figures, focus after the filter, and views that say why they are empty."""

from __future__ import annotations

import threading

from tui.backend.inventory import Inventory
from tui.backend.model import ConnState, Host, HostChanged
from tui.render.columns import GUEST_COLUMNS, guest_live_cells, live_ids
from tui.screens.base import empty_view_text

from .conftest import cell_text, column_cells, make_app, row_cells, table_lines, wait_for

LIVE = [column.id for column in GUEST_COLUMNS if column.id in live_ids(GUEST_COLUMNS)]


def demo_loaded(app) -> bool:
    hosts = list(app.inventory.hosts.values())
    return bool(hosts) and hosts[0].state == ConnState.CONNECTED and len(app.inventory.guests) == 9


def active(app) -> list[str]:
    """The guests libvirt gives figures for: running and paused ones."""
    return [g.name for g in app.inventory.guests.values() if g.state in ("running", "paused")]


def figures_shown(app) -> bool:
    table = app.screen.table
    count = len(active(app))
    return count > 0 and sum(cell_text(table, key, "cpu").endswith("%") for key in table._cells) == count


def column(table, key: str) -> list:
    return column_cells(table, key)


def names(table) -> list[str]:
    return [cell.plain for cell in column(table, "name")]


def header(app) -> str:
    return table_lines(app)[0]


def assert_figures_then_blanks(cells, highest_first: bool) -> None:
    """Cells with a figure in order, then every cell without one."""
    has = [cell.sort_key[0] == 0 for cell in cells]
    assert has == sorted(has, reverse=True), [cell.plain for cell in cells]
    values = [cell.sort_key[1] for cell in cells if cell.sort_key[0] == 0]
    assert values == sorted(values, reverse=highest_first), [cell.plain for cell in cells]


async def test_o_reaches_cpu_highest_first_with_an_arrow_and_blank_rows_last(tmp_path):
    app = make_app(tmp_path, "--demo", "--refresh", "0.3")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app) and figures_shown(app), what="demo figures")
        table = app.screen.table
        assert "Name ▲" in header(app) and "▼" not in header(app)
        assert names(table) == sorted(names(table), key=str.casefold)

        await pilot.press("o")  # from the name, the first press reaches CPU
        assert table.sort_column == "cpu"
        assert "CPU % ▼" in header(app) and "Name ▲" not in header(app)
        cpu = column(table, "cpu")
        count = len(active(app))
        assert_figures_then_blanks(cpu, highest_first=True)
        assert [cell.plain for cell in cpu[count:]] == ["—"] * (9 - count)  # the shut-off and saved guests
        assert float(cpu[0].plain.rstrip("%")) == max(float(c.plain.rstrip("%")) for c in cpu[:count])

        await pilot.press("O")
        assert "CPU % ▲" in header(app)
        cpu = column(table, "cpu")
        assert_figures_then_blanks(cpu, highest_first=False)
        assert [cell.plain for cell in cpu[count:]] == ["—"] * (9 - count)  # still at the bottom
        assert float(cpu[0].plain.rstrip("%")) == min(float(c.plain.rstrip("%")) for c in cpu[:count])

        # New samples keep the order: the table sorts again as the figures move.
        before = [cell.plain for cell in column(table, "cpu")]
        await wait_for(pilot, lambda: [cell.plain for cell in column(table, "cpu")] != before, what="a new sample")
        assert_figures_then_blanks(column(table, "cpu"), highest_first=False)

        await pilot.press("o")
        assert table.sort_column == "memory" and "Memory ▼" in header(app)
        memory = column(table, "memory")
        assert_figures_then_blanks(memory, highest_first=True)
        # Guests that are not running show their configured memory, but sort below the running ones.
        assert {cell.plain for cell in column(table, "state")[count:]} == {"shut off", "saved"}
        assert all(cell.sort_key[0] == 1 for cell in memory[count:])


async def test_clicking_a_header_sorts_by_it_and_again_reverses(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        table = app.screen.table
        x = header(app).index("vCPUs")
        await pilot.click(table, offset=(x + 1, 0))
        assert table.sort_column == "vcpus" and "vCPUs ▼" in header(app)
        assert_figures_then_blanks(column(table, "vcpus"), highest_first=True)
        await pilot.click(table, offset=(x + 1, 0))
        assert "vCPUs ▲" in header(app)
        assert_figures_then_blanks(column(table, "vcpus"), highest_first=False)


async def test_sort_by_any_column_from_the_palette(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        await pilot.press("3")
        await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="the demo's pools")
        table = app.screen.table
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette", what="palette")
        await pilot.press(*"Sort by Capacity")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: table.sort_column == "capacity", what="sorted from the palette")
        assert table.sort_reverse
        assert "Capacity ▼" in header(app)
        assert_figures_then_blanks(column(table, "capacity"), highest_first=True)
        assert app.focused is table


async def test_home_and_end_go_to_the_first_and_last_row(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen.table.row_count == 6, what="the demo's networks")
        for view, rows in (("2", 6), ("1", 9)):
            await pilot.press(view)
            table = app.screen.table
            await wait_for(pilot, lambda: table.row_count == rows)
            await pilot.press("end")
            assert table.cursor_row == rows - 1
            await pilot.press("home")
            assert table.cursor_row == 0
            await pilot.press("down", "down", "G")
            assert table.cursor_row == rows - 1
            await pilot.press("g")
            assert table.cursor_row == 0


async def test_z_freezes_the_figures_dimmed_while_new_samples_arrive(tmp_path):
    app = make_app(tmp_path, "--demo", "--refresh", "0.3")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app) and figures_shown(app), what="demo figures")
        table = app.screen.table

        def live_texts() -> dict[str, tuple[str, ...]]:
            return {cells["name"].plain: tuple(cells[key].plain for key in LIVE)
                    for cells in (row_cells(table, k) for k in table._cells)}

        await pilot.press("z")
        await wait_for(pilot, lambda: all("dim" in row_cells(table, k)["cpu"].signature[1].split()
                                          for k in table._cells), what="dimmed figures")
        frozen = live_texts()
        assert all(frozen[name][0].endswith("%") for name in active(app))  # frozen, not blanked
        assert "STATS PAUSED" in app.screen.query_one("StatusBar").render().plain
        # Drawn dim on screen too.
        row = next(y for y, line in enumerate(table_lines(app)) if line.startswith(" web-01 "))
        strip = table.render_line(row)
        cpu_text = frozen["web-01"][0]
        assert any(cpu_text in seg.text and seg.style.dim for seg in strip)

        # A sample taken now (as a tick still in flight when z was pressed would be)
        # reaches the app, and would change the figures; the frozen ones stay.
        connection = app.fleet.connections[0]
        taken: list = []
        ready = threading.Event()
        connection.submit(lambda: (taken.append(connection.sample_once()), ready.set()))
        await wait_for(pilot, ready.is_set, what="a sample")
        (update,) = taken
        fresh = {app.inventory.guests[s.key].name: s for s in update.stats}
        would_show = {name: tuple(c.plain for c in guest_live_cells(app.inventory.guests[s.key], s))
                      for name, s in fresh.items()}
        assert any(would_show[name] != frozen[name] for name in would_show)
        app._sink(update)  # as the worker hands it over
        await wait_for(pilot, lambda: not app._stats_inbox and app._stats_timer is None, what="the sample taken")
        await pilot.pause()  # and any refresh it asked for
        assert live_texts() == frozen

        await pilot.press("z")
        await wait_for(pilot, lambda: live_texts() != frozen, what="figures moving again")
        cpu = {key: row_cells(table, key)["cpu"] for key in table._cells}
        busy = {key for key, cell in cpu.items() if cell.plain.endswith("%") and float(cell.plain.rstrip("%")) >= 1}
        assert busy  # figures of at least 1 % are drawn plain, not dim
        assert not any("dim" in cpu[key].signature[1].split() for key in busy)
        assert "STATS PAUSED" not in app.screen.query_one("StatusBar").render().plain


async def test_escape_clears_the_filter_and_keeps_focus_and_row(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        table = app.screen.table
        box = app.screen.query_one("#filter")

        def selected() -> str:
            return cell_text(table, table.selected_key, "name")

        table.move_cursor(row=names(table).index("web-02"))
        await pilot.press("slash", *"web")
        await wait_for(pilot, lambda: table.row_count == 2, what="filter 'web'")
        assert app.focused is box
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.row_count == 9, what="filter cleared")
        await pilot.pause()
        assert app.focused is table and not box.display
        assert selected() == "web-02"

        await pilot.press("slash", *"web", "enter")
        await wait_for(pilot, lambda: table.row_count == 2 and app.focused is table, what="filter applied")
        await pilot.press("home")
        assert selected() == "web-01"
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.row_count == 9, what="filter cleared")
        await pilot.pause()
        assert app.focused is table and selected() == "web-01"
        await pilot.press("down")  # the keys move the table's cursor
        assert selected() == names(table)[names(table).index("web-01") + 1]


async def test_a_filter_matching_nothing_says_so_as_data(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        await pilot.press("slash", *"[bold]xyz")
        await wait_for(pilot, lambda: app.screen.table.row_count == 0, what="no rows")
        await wait_for(pilot, lambda: any("Nothing matches '[bold]xyz' (escape clears the filter)" in line
                                          for line in table_lines(app)), what=lambda: "\n".join(table_lines(app)))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.table.row_count == 9)
        assert not any("Nothing matches" in line for line in table_lines(app))


EMPTY_NODE = """<node>
  <network><name>only-net</name><bridge name='vdempty0'/></network>
</node>
"""


async def test_empty_views_explain_themselves(tmp_path):
    node = tmp_path / "empty.xml"
    node.write_text(EMPTY_NODE, encoding="utf-8")
    app = make_app(tmp_path, "-c", f"test://{node}")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: any(h.state == ConnState.CONNECTED for h in app.inventory.hosts.values()),
                       what="the empty host")
        host = next(iter(app.inventory.hosts.values())).name

        def says(text: str):
            return lambda: any(text in line for line in table_lines(app))

        what = lambda: "\n".join(table_lines(app))  # noqa: E731
        await wait_for(pilot, says(f"No guests on {host}. n creates one; --demo shows the demo host."), what=what)
        await pilot.press("3")
        await wait_for(pilot, says(f"No storage pools on {host}. n creates one."), what=what)
        await pilot.press("6")
        await wait_for(pilot, says(f"No problems found on {host}."), what=what)
        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen.table.row_count == 1, what="the one network")
        assert not any("No virtual networks" in line for line in table_lines(app))

        await pilot.press("1")
        app.remove_connection(next(iter(app.inventory.hosts)))
        await wait_for(pilot, says("No host connected. 4 then n adds one; --demo shows the demo host."), what=what)
        await pilot.press("4")
        await wait_for(pilot, says("No host connected. n adds one; --demo shows the demo host."), what=what)
        await pilot.press("6")
        await wait_for(pilot, says("No host connected. 4 then n adds one; --demo shows the demo host."), what=what)


def test_an_empty_event_log_says_what_will_show_there():
    inventory = Inventory()
    inventory.apply(HostChanged(Host("c1", "test:///default", "lab", ConnState.CONNECTED, read_only=True)))
    assert empty_view_text("events", inventory).plain == (
        "Nothing has happened on lab yet: guest, network and pool events show up here.")
    assert empty_view_text("guests", inventory).plain == "No guests on lab. --demo shows the demo host."


async def test_a_host_that_will_not_connect_is_named(tmp_path):
    app = make_app(tmp_path, "-c", f"test://{tmp_path}/no-such-node.xml")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: any(h.state not in (ConnState.CONNECTING, ConnState.CONNECTED)
                                          for h in app.inventory.hosts.values()), what="a failed host")
        await wait_for(pilot, lambda: any("No host connected (" in line and "4 shows the hosts; n there adds one."
                                          in line for line in table_lines(app)),
                       what=lambda: "\n".join(table_lines(app)))
