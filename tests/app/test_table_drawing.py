"""The table's direct cell drawing matches what DataTable draws through rich."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.render.cells import Cell
from tui.render.columns import Column
from tui.widgets.inventory_table import InventoryTable

CELLS = [
    Cell("abc"),
    Cell("12.3%", style="yellow", justify="right"),
    Cell("a name longer than its column", style="dim"),
    Cell("—", style="dim"),
    Cell("running", style="bold green"),
    Cell("x" * 9),
]


class TableApp(App):
    def compose(self) -> ComposeResult:
        yield InventoryTable([Column("a", "A", Cell), Column("b", "B", Cell)], id="t")


async def one_row(app: TableApp, pilot) -> InventoryTable:
    table = app.query_one(InventoryTable)
    table.add_row(Cell("r0"), Cell("r0b"), key="r0")
    await pilot.pause()
    return table


async def test_direct_drawing_matches_rich():
    app = TableApp()
    async with app.run_test(size=(80, 10)) as pilot:
        table = await one_row(app, pilot)
        base = table.rich_style
        checked = 0
        for cell in CELLS:
            table._data[next(iter(table._data))][table.ordered_columns[1].key] = cell
            for width in (4, 6, 9, 11, 30):
                for cursor, hover in ((False, False), (True, False), (False, True)):
                    table._update_count += 1  # DataTable caches a render per update count, not per width
                    mine = table._draw_cell(cell, 0, 1, base, width, cursor, hover)
                    theirs = DataTable._render_cell(table, 0, 1, base, width, cursor, hover)
                    if mine is None:
                        continue
                    assert [[(s.text, s.style) for s in line] for line in mine] == \
                        [[(s.text, s.style) for s in line] for line in theirs], (cell.plain, width, cursor, hover)
                    checked += 1
        assert checked > 50


async def test_rows_are_laid_out_as_datatable_lays_them_out():
    # The whole line, cells and the space right of them, for the cursor row, a hovered
    # row and plain ones on both stripes, with the cursor shown and hidden.
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(InventoryTable)
        for index, cell in enumerate(CELLS):
            table.add_row(Cell(f"row {index}"), cell, key=f"r{index}")
        table.move_cursor(row=2)
        await pilot.pause()
        base = table.rich_style
        checked = 0
        for show_cursor in (True, False):
            table.show_cursor = show_cursor
            await pilot.pause()
            for hover_row in (1, 4):
                table.hover_coordinate = table.hover_coordinate._replace(row=hover_row)
                for index in range(len(CELLS)):
                    row_key = table._row_locations.get_key(index)
                    table._update_count += 1
                    mine = table._render_line_in_row(row_key, 0, base, table.cursor_coordinate,
                                                     table.hover_coordinate)
                    table._update_count += 1
                    theirs = DataTable._render_line_in_row(table, row_key, 0, base, table.cursor_coordinate,
                                                           table.hover_coordinate)
                    assert [[(s.text, s.style) for s in cell] for cell in mine[1]] == \
                        [[(s.text, s.style) for s in cell] for cell in theirs[1]], (index, show_cursor, hover_row)
                    assert mine[0] == theirs[0] == []
                    checked += 1
        assert checked == 2 * 2 * len(CELLS)


async def test_the_header_is_drawn_as_datatable_draws_it_and_follows_its_label():
    app = TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        table = await one_row(app, pilot)
        header_style = table.get_component_styles("datatable--header").rich_style

        def drawn(mine: bool) -> list:
            table._update_count += 1
            draw = table._render_cell if mine else (lambda *a: DataTable._render_cell(table, *a))
            return [[(s.text, s.style) for s in line] for line in draw(-1, 0, header_style, 12, False, False)]

        assert drawn(True) == drawn(False)
        table.sort_by("a", reverse=True)  # the arrow in the label changes
        await pilot.pause()
        assert "▼" in "".join(text for line in drawn(True) for text, _ in line)
        assert drawn(True) == drawn(False)
