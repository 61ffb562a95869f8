"""The table's row order after any run of syncs and sorts: every row once, in the order its
sort keys give, with the cursor's row under the cursor. The table keeps row keys and its row
order between syncs; this checks them against the cells it holds."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult

from tui.render import cells
from tui.render.cells import HAS_FIGURE
from tui.render.columns import Column
from tui.widgets.inventory_table import InventoryTable

COLUMNS = [Column("name", "Name", lambda r: r), Column("load", "Load", lambda r: r, figure=1),
           Column("note", "Note", lambda r: r)]
NAMES = [f"g{i:02d}" for i in range(12)]

row = st.tuples(st.sampled_from(["a", "b", "c"]), st.one_of(st.none(), st.integers(0, 4)),
                st.sampled_from(["x", "y"]))
step = st.one_of(
    st.tuples(st.just("sync"), st.dictionaries(st.sampled_from(NAMES), row, max_size=len(NAMES))),
    st.tuples(st.just("sort"), st.sampled_from(["name", "load", "note"]), st.booleans()),
    st.tuples(st.just("cursor"), st.integers(0, len(NAMES))),
)


class TableApp(App):
    def compose(self) -> ComposeResult:
        yield InventoryTable(COLUMNS, id="t")


def row_cells(values: tuple) -> tuple:
    name, load, note = values
    return cells.shared(name), cells.number(load), cells.shared(note)


def expected_order_key(table: InventoryTable, key: str) -> tuple:
    """What the table's order must follow: rows without a figure last either way, then the
    figure (turned round for highest first), ties by the first column."""
    row_cells_ = table._data[key]
    lead, sorted_cell = row_cells_["name"], row_cells_[table.sort_column]
    rank, value = sorted_cell.sort_key
    if rank == HAS_FIGURE and table.sort_reverse:
        value = -value if isinstance(value, int) else tuple(-ord(ch) for ch in value)
    head = (rank, value if rank == HAS_FIGURE else 0)
    return head if table.sort_column == "name" else (*head, lead.sort_key)


def check(table: InventoryTable, rows: dict[str, tuple]) -> None:
    shown = [row.key.value for row in table.ordered_rows]
    assert sorted(shown) == sorted(rows), (shown, rows)
    assert [key.value for key, _ in table._y_offsets] == shown
    assert [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(len(shown))] == shown
    for key in shown:
        assert tuple(c.plain for c in table._data[key].values()) == tuple(c.plain for c in row_cells(rows[key]))
    order = [expected_order_key(table, key) for key in shown]
    assert order == sorted(order), (table.sort_column, table.sort_reverse, list(zip(shown, order)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_the_order_follows_the_cells_through_any_syncs_and_sorts(steps):
    async def run() -> None:
        app = TableApp()
        async with app.run_test(size=(60, 20)) as pilot:
            table = app.query_one(InventoryTable)
            rows: dict[str, tuple] = {}
            for kind, *args in steps:
                if kind == "sync":
                    rows = dict(args[0])
                    table.sync(dict(rows), lambda key: row_cells(rows[key]))
                elif kind == "sort":
                    table.sort_by(args[0], reverse=args[1])
                elif table.row_count:
                    table.move_cursor(row=args[0] % table.row_count)
                await pilot.pause()
                check(table, rows)

    asyncio.run(run())
