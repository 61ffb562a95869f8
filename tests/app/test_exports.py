"""Exports from the palette on the demo host: the file holds the rows the table shows, in
its order; a filter limits them; a bad path is said at the field and writes nothing."""

from __future__ import annotations

import csv
import json

from textual.command import CommandPalette
from textual.widgets import Checkbox, Input, Select, Static

from tui.backend.model import ConnState
from tui.forms.export_table import ExportTableScreen

from .conftest import column_cells, make_app, wait_for


def demo_loaded(app) -> bool:
    hosts = list(app.inventory.hosts.values())
    return bool(hosts) and hosts[0].state == ConnState.CONNECTED and len(app.inventory.guests) == 9


async def open_export_form(pilot, app) -> ExportTableScreen:
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    await pilot.press(*"Export this table")
    await pilot.pause(0.3)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ExportTableScreen), what="the export form")
    return app.screen


def plain(cells) -> list[str]:
    return [cell.plain for cell in cells]


async def test_export_writes_the_rows_the_table_shows_in_its_order(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app) and app.screen.table.row_count == 9, what="the demo")
        table = app.screen.table
        table.sort_by("vcpus", reverse=True)  # not the order the guests come in
        form = await open_export_form(pilot, app)
        assert form.query_one("#path", Input).value.endswith(".csv")
        form.query_one("#format", Select).value = "json"
        await pilot.pause()
        assert form.query_one("#path", Input).value.endswith(".json")  # the default name follows the format
        target = tmp_path / "guests.json"
        form.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportTableScreen), what="the form to close")
        document = json.loads(target.read_text(encoding="utf-8"))
        rows = document["rows"]
        assert [row["name"] for row in rows] == plain(column_cells(table, "name"))
        assert [row["state"] for row in rows] == plain(column_cells(table, "state"))
        assert [str(row["vcpus"]) for row in rows] == plain(column_cells(table, "vcpus"))
        assert [("yes" if row["autostart"] else "no") for row in rows] == plain(column_cells(table, "autostart"))
        assert [row["vcpus"] for row in rows] == sorted((row["vcpus"] for row in rows), reverse=True)
        # Figures are numbers: a running guest's memory in bytes, its CPU % a number.
        running = [row for row in rows if row["state"] == "running"]
        assert running and all(isinstance(row["memory"], int) and row["memory"] > 1 << 20 for row in running)
        assert {row["uuid"] for row in rows} == {uuid for _, uuid in app.inventory.guests}
        assert document["hosts"][0]["state"] == "connected"


async def test_a_filter_limits_the_export_and_csv_holds_the_same_rows(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app) and app.screen.table.row_count == 9, what="the demo")
        table = app.screen.table
        await pilot.press("slash", *"db", "enter")
        await wait_for(pilot, lambda: 0 < table.row_count < 9, what="the filter")
        shown = plain(column_cells(table, "name"))
        form = await open_export_form(pilot, app)
        assert form.query_one("#only-shown", Checkbox).value
        target = tmp_path / "some.csv"
        form.query_one("#path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportTableScreen), what="the form to close")
        with open(target, newline="", encoding="utf-8") as f:
            lines = list(csv.reader(f))
        assert lines[0][:3] == ["Name", "Host", "State"]
        assert [line[0] for line in lines[1:]] == shown
        assert all("db" in name for name in shown)
        # Not only the rows shown: every guest.
        form = await open_export_form(pilot, app)
        form.query_one("#only-shown", Checkbox).value = False
        everything = tmp_path / "all.csv"
        form.query_one("#path", Input).value = str(everything)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportTableScreen), what="the form to close")
        with open(everything, newline="", encoding="utf-8") as f:
            names = [line[0] for line in list(csv.reader(f))[1:]]
        assert sorted(names) == sorted(g.name for g in app.inventory.guests.values())
        assert names == sorted(names, key=str.casefold)  # the table's sort: by name


async def test_a_bad_path_is_said_at_the_field_and_writes_nothing(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="the demo")
        await pilot.press("3")  # the pools
        await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="the demo's pools")
        form = await open_export_form(pilot, app)
        missing = tmp_path / "no-such-folder" / "pools.csv"
        form.query_one("#path", Input).value = str(missing)
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert app.screen is form
        said = str(form.query_one("#path-error", Static).render())
        assert f"No folder {missing.parent}" in said
        assert not missing.parent.exists()
        # An existing file is replaced only when asked.
        existing = tmp_path / "pools.csv"
        existing.write_text("keep me")
        form.query_one("#path", Input).value = str(existing)
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert app.screen is form and "exists" in str(form.query_one("#path-error", Static).render())
        assert existing.read_text() == "keep me"
        form.query_one("#replace", Checkbox).value = True
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ExportTableScreen), what="the form to close")
        assert existing.read_text().startswith("Name,Host,Type,State")
        assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


async def test_copy_this_table_as_csv_on_a_pools_volumes(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="the demo")
        await pilot.press("3")
        await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="the demo's pools")
        await pilot.press("enter")  # the first pool's volumes
        await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen" and app.screen.table.row_count > 0,
                       what="the volumes")
        table = app.screen.table
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.press(*"Copy this table as CSV")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.clipboard), what="the clipboard")
        lines = list(csv.reader(app.clipboard.splitlines()))
        assert lines[0][:5] == ["Name", "Format", "Capacity", "Allocation", "Path"]
        assert [line[0] for line in lines[1:]] == plain(column_cells(table, "name"))
        volumes = {v.name: v for vols in app.inventory.volumes.values() for v in vols}
        assert all(int(line[2]) == volumes[line[0]].capacity for line in lines[1:])  # bytes
