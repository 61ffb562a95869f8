"""The table's direct cell drawing matches what DataTable draws through rich."""

from __future__ import annotations

from itertools import chain

from rich.segment import Segment
from rich.style import Style
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


def by_character(cells: list[list[Segment]]) -> list[tuple[str, Style, dict]]:
    """Each character of a line with its style (without its click target) and its target."""
    return [(char, _without_meta(segment.style), segment.style.meta)
            for cell in cells for segment in cell for char in segment.text]


def _without_meta(style: Style) -> Style:
    plain = style.copy()
    plain._meta = None
    plain._hash = None
    return plain


async def test_rows_are_laid_out_as_datatable_lays_them_out():
    # The whole line, cells and the space right of them, for the cursor row, a hovered
    # row and plain ones on both stripes, with the cursor shown and hidden: every
    # character in the same style. Text in one style runs on from cell to cell, and the
    # whole row is its click target (column 0: the cursor selects rows).
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
                    assert mine[0] == theirs[0] == []
                    ours, rich_ones = by_character(mine[1]), by_character(theirs[1])
                    assert [c[:2] for c in ours] == [c[:2] for c in rich_ones], (index, show_cursor, hover_row)
                    targets = [meta for _, _, meta in ours]
                    assert targets == [{"row": index, "column": 0}] * (len(ours) - len(mine[1][-1][0].text)) + \
                        [meta for _, _, meta in rich_ones[len(ours) - len(mine[1][-1][0].text):]]
                    assert len(mine[1][0]) < len(list(chain.from_iterable(theirs[1][:-1]))), "no run was joined"
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


async def test_a_click_anywhere_on_a_row_moves_the_cursor_there_and_a_second_one_selects_it():
    selected: list[str] = []

    class Selecting(TableApp):
        def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
            selected.append(event.row_key.value)

    app = Selecting()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(InventoryTable)
        for index, cell in enumerate(CELLS):
            table.add_row(Cell(f"row {index}"), cell, key=f"r{index}")
        await pilot.pause()
        right_column = table.ordered_columns[0].get_render_width(table) + 2
        await pilot.click(table, offset=(right_column, 1 + 3))  # the header is line 0
        await pilot.pause()
        assert table.cursor_row == 3 and selected == []
        await pilot.click(table, offset=(1, 1 + 3))  # another cell of the same row
        await pilot.pause()
        assert selected == ["r3"]
