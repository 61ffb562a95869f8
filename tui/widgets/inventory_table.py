"""A DataTable that follows a keyed set of rows in place.

`sync` diffs what should be shown against what is: rows that went away are
removed, new ones added, and only cells whose text or style changed are
updated. The cursor stays on the row it was on and the view does not scroll,
so a refresh never moves what the user is looking at. Only a filter that
drops most rows rebuilds the table, and then the cursor row is kept in view.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.binding import Binding
from textual.widgets import DataTable

from ..render.cells import Cell
from ..render.rows import Column


class InventoryTable(DataTable, inherit_bindings=False):
    # DataTable's own bindings minus `enter`, which each view binds to its
    # own "details" action so the footer can say what enter does there.
    BINDINGS = [binding for binding in DataTable.BINDINGS if binding.key != "enter"] + [
        Binding("j", "cursor_down", "Cursor down", show=False),
        Binding("k", "cursor_up", "Cursor up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
        Binding("o", "sort_next", "Sort", id="sort.next"),
        Binding("O", "sort_reverse", "Reverse sort", show=False, id="sort.reverse"),
    ]
    DEFAULT_CSS = """
    InventoryTable { height: 1fr; }
    """

    def __init__(self, columns: list[Column], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, cursor_foreground_priority="renderable", **kwargs)
        self._column_defs = columns
        self._tokens: dict[str, Any] = {}
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self.sort_column: str = columns[0][0]
        self.sort_reverse = False
        self._measured_widths: list[int] = []
        # Rendered cells and lines carry per-cell styles: enough for a few
        # screens of rows, not for every row a user ever scrolled past.
        self._content_cache: LRUCache = LRUCache(2000)
        self._cell_render_cache = LRUCache(2000)
        self._row_render_cache = LRUCache(200)
        self._line_cache = LRUCache(200)

    def on_mount(self) -> None:
        for key, label in self._column_defs:
            self.add_column(label, key=key)

    def _update_dimensions(self, new_rows) -> None:
        # DataTable measures new rows in its idle handler but keeps the cells it
        # rendered before at the old column widths ("web…") until something
        # else changes (textual#4470). Invalidate them when a width moved.
        super()._update_dimensions(new_rows)
        widths = [column.get_render_width(self) for column in self.ordered_columns]
        if widths != self._measured_widths:
            self._measured_widths = widths
            self._update_count += 1
            self.refresh()

    @property
    def column_keys(self) -> list[str]:
        return [key for key, _ in self._column_defs]

    @property
    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        row = min(self.cursor_row, self.row_count - 1)
        return self.coordinate_to_cell_key((row, 0)).row_key.value

    def sync(self, entries: Mapping[str, Any], render: Callable[[str], tuple[Cell, ...]]) -> bool:
        """Show exactly `entries` (row key -> change token). Returns whether anything changed.

        `render(key)` is only called for rows that are new or whose token changed.
        """
        selected = self.selected_key
        gone = [k for k in self._tokens if k not in entries]
        if len(gone) > max(64, len(self._tokens) // 4):
            # DataTable.remove_row walks every row; dropping most of a big
            # table (a filter typed by the user) is cheaper as one rebuild.
            self._rebuild(entries, render, selected)
            return True
        changed = False
        resort = False
        sort_index = self.column_keys.index(self.sort_column)
        column_keys = self.column_keys
        widths: dict[int, int] = {}
        for key in gone:
            self.remove_row(key)
            del self._tokens[key]
            del self._cells[key]
            changed = True
        for key, token in entries.items():
            old_token = self._tokens.get(key, _ABSENT)
            if old_token is not _ABSENT and old_token == token:
                continue
            cells = render(key)
            self._tokens[key] = token
            if old_token is _ABSENT:
                self.add_row(*cells, key=key)
                self._cells[key] = cells
                changed = resort = True
                continue
            old_cells = self._cells[key]
            row_data = self._data[key]
            for index, (cell, old) in enumerate(zip(cells, old_cells)):
                if cell is not old and cell.signature != old.signature:
                    # What update_cell does, without a refresh per cell (and
                    # without update_width, which re-measures the whole column
                    # per cell): one refresh and one width pass per sync.
                    row_data[column_keys[index]] = cell
                    widths[index] = max(widths.get(index, 0), cell.width)
                    changed = True
                    resort = resort or index == sort_index
            self._cells[key] = cells
        self._grow_columns(widths)
        if changed:
            self._update_count += 1
            self.refresh()
        if resort:
            self._apply_sort()
        if changed and selected is not None and selected in self._tokens:
            self.move_cursor(row=self.get_row_index(selected), scroll=False)
        return changed

    def _grow_columns(self, widths: dict[int, int]) -> None:
        grown = False
        for index, width in widths.items():
            column = self.ordered_columns[index]
            if width > column.content_width:
                column.content_width = width
                grown = True
        if grown:
            self._require_update_dimensions = True
            self.refresh(layout=True)

    def _rebuild(self, entries: Mapping[str, Any], render: Callable[[str], tuple[Cell, ...]], selected: str | None) -> None:
        self.clear()
        self._tokens = {}
        self._cells = {}
        for key, token in entries.items():
            cells = self._cells[key] = render(key)
            self._tokens[key] = token
            self.add_row(*cells, key=key)
        self._apply_sort()
        if selected is not None and selected in self._tokens:
            self.move_cursor(row=self.get_row_index(selected))

    def _render_cell(self, row_index: int, column_index: int, base_style, width: int,
                     cursor: bool = False, hover: bool = False):
        # DataTable keys its cell cache on a table-wide update counter, so one
        # changed cell re-renders every visible one. A Cell is fully described
        # by its signature, so rendered lines are kept per content instead.
        if row_index < 0 or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cell = self._data[row_key][column_key]
        if not isinstance(cell, Cell):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cache_key = (cell.signature, row_index, column_index, base_style, width, cursor, hover,
                     self._show_hover_cursor, self._pseudo_class_state, self.show_cursor)
        lines = self._content_cache.get(cache_key)
        if lines is None:
            lines = self._draw_cell(cell, row_index, column_index, base_style, width, cursor, hover)
            if lines is None:
                lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
            self._content_cache[cache_key] = lines
        return lines

    def _draw_cell(self, cell: Cell, row_index: int, column_index: int, base_style: Style, width: int,
                   cursor: bool, hover: bool) -> list[list[Segment]] | None:
        """What DataTable renders through rich for a one-line ASCII Cell, built directly.

        The same segments (pad, text, pad) and styles (row style + cell style +
        component style), at a fraction of the cost; anything else (wide
        characters, no room) goes the long way.
        """
        pad = self.cell_padding
        inner = width - 2 * pad
        text = cell.signature[0]
        if pad < 1 or inner < 2 or not text.isascii() or not text.isprintable():
            return None
        if len(text) > inner:
            text = text[: inner - 1] + "…"
        elif cell.justify == "right":
            text = text.rjust(inner)
        else:
            text = text.ljust(inner)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )
        pre = base_style + _meta_style(row_index, column_index) + component_style
        cell_style = self.app.console.get_style(cell.style) if cell.style else None
        outer = pre + post_style
        inner_style = (pre + cell_style + post_style) if cell_style is not None else outer
        padding = " " * pad
        return [[Segment(padding, outer), Segment(text, inner_style), Segment(padding, outer)]]

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else False
        self.sort_column, self.sort_reverse = column, reverse
        selected = self.selected_key
        self._apply_sort()
        if selected is not None:
            self.move_cursor(row=self.get_row_index(selected))

    def _apply_sort(self) -> None:
        if self.row_count == 0:
            return
        first = self.column_keys[0]
        columns = [self.sort_column] if self.sort_column == first else [self.sort_column, first]
        if len(columns) == 1:
            self.sort(columns[0], key=lambda cell: cell.sort_key, reverse=self.sort_reverse)
        else:
            self.sort(*columns, key=lambda cells: tuple(c.sort_key for c in cells), reverse=self.sort_reverse)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(event.column_key.value)

    def action_sort_next(self) -> None:
        keys = self.column_keys
        column = keys[(keys.index(self.sort_column) + 1) % len(keys)]
        self.sort_by(column, reverse=False)
        self.notify(f"sorted by {dict(self._column_defs)[column]}", timeout=1.5)

    def action_sort_reverse(self) -> None:
        self.sort_by(self.sort_column, reverse=not self.sort_reverse)


_ABSENT = object()


@functools.lru_cache(maxsize=4096)
def _meta_style(row: int, column: int) -> Style:
    """The click target DataTable tags every cell with, made once per position."""
    return Style.from_meta({"row": row, "column": column})
