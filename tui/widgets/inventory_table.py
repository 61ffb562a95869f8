"""A DataTable that follows a keyed set of rows in place.

`sync` diffs what should be shown against what is: rows that went away are
removed, new ones added, and only cells whose text or style changed are
updated. The cursor stays on the row it was on and the view does not scroll,
so a refresh never moves what the user is looking at. Only a filter that
drops most rows rebuilds the table, and then the cursor row is kept in view.

A row off screen whose change touches only live columns (a stats tick) is
not rendered until it is drawn, unless the table is sorted by one of those
columns: a tick costs the rows on screen, not every row of the fleet.

The sorted column's header carries an arrow (▲ lowest first, ▼ highest
first); figures sort highest first on the first press, and rows without a
figure stay at the bottom either way. An empty table says why, in its own
area (`empty_text`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import SystemCommand
from textual.cache import LRUCache
from textual.binding import Binding
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import DataTable
from textual._two_way_dict import TwoWayDict
from textual.widgets._data_table import DuplicateKey, Row, RowKey

from ..render.cells import HAS_FIGURE, Cell
from ..render.columns import Column, sort_cycle

ARROWS = {False: " ▲", True: " ▼"}  # sort_reverse -> the header's mark


class InventoryTable(DataTable, inherit_bindings=False):
    # DataTable's own bindings minus `enter`, which each view binds to its
    # own "details" action so the footer can say what enter does there, and
    # minus home / end, which scroll sideways there and go to the first / last
    # row here.
    BINDINGS = [binding for binding in DataTable.BINDINGS if binding.key not in ("enter", "home", "end")] + [
        Binding("j", "cursor_down", "Cursor down", show=False),
        Binding("k", "cursor_up", "Cursor up", show=False),
        Binding("g,home", "scroll_top", "First row", show=False),
        Binding("G,end", "scroll_bottom", "Last row", show=False),
        Binding("o", "sort_next", "Sort", id="sort.next"),
        Binding("O", "sort_reverse", "Reverse sort", show=False, id="sort.reverse"),
    ]
    DEFAULT_CSS = """
    InventoryTable { height: 1fr; }
    """
    # DataTable rebuilds its row order and line offsets (O(rows)) whenever any cell
    # changes; they depend only on which rows there are and their order. (Set here:
    # DataTable.__init__ clears the table before ours runs.)
    _order_version = 0
    _ordered: tuple[tuple[int, int], list[Row]] | None = None
    _offsets: tuple[tuple[int, int], list[tuple[RowKey, int]]] | None = None
    _paint_style: Style | None = None  # the table's own style, while one paint runs
    _paint_widths: list[int] | None = None  # the columns' widths, while one paint runs

    def __init__(self, columns: list[Column], live_columns: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, cursor_foreground_priority="renderable", **kwargs)
        self._column_defs = columns
        self._columns_by_id = {column.id: column for column in columns}
        self._live_columns = live_columns
        self._tokens: dict[str, Any] = {}
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._stale: set[str] = set()  # rows whose latest token is not rendered yet (off screen)
        self._render: Callable[[str], tuple[Cell, ...]] | None = None
        self._synced: Mapping[str, Any] | None = None  # the entries of the last sync
        self._sort_column: str = columns[0].id
        self._sort_reverse = False
        self._empty_text: Text | None = None
        self._empty_lines: dict[int, list[list[Segment]]] = {}
        self._measured_widths: list[int] = []
        # Rendered cells and lines carry per-cell styles: enough for a few
        # screens of rows, not for every row a user ever scrolled past.
        self._content_cache: LRUCache = LRUCache(2000)
        self._cell_render_cache = LRUCache(2000)
        self._row_render_cache = LRUCache(200)
        self._line_cache = LRUCache(200)
        self._sort_keys: dict[str, tuple[Cell, Cell, tuple]] = {}  # row -> (first cell, sorted cell, key)
        self._sort_keys_for: tuple[str, bool] | None = None

    def on_mount(self) -> None:
        for column in self._column_defs:
            self.add_column(Text(column.header), key=column.id)
        self._mark_sorted_header()

    def _update_dimensions(self, new_rows) -> None:
        # DataTable measures every cell of every new row through rich (a
        # fleet's first read: 110,000 measurements, seconds); a Cell is one
        # line and knows its width. Anything else is measured the long way.
        columns = self.ordered_columns
        others = []
        for row_key in new_rows:
            data, row = self._data.get(row_key), self.rows.get(row_key)
            if data is None or row is None:
                continue
            if row.label is not None or row.auto_height or not all(isinstance(c, Cell) for c in data.values()):
                others.append(row_key)
                continue
            for column in columns:
                cell = data.get(column.key)
                if cell is not None and cell.width > column.content_width:
                    column.content_width = cell.width
        # DataTable keeps the cells it rendered before at the old column widths
        # ("web…") until something else changes (textual#4470). Invalidate
        # them when a width moved.
        if others:
            self._order_version += 1  # measured the long way: a height may have changed
        super()._update_dimensions(others)
        widths = [column.get_render_width(self) for column in self.ordered_columns]
        if widths != self._measured_widths:
            self._measured_widths = widths
            self._update_count += 1
            self.refresh()

    @property
    def ordered_rows(self) -> list[Row]:
        key = (self.row_count, self._order_version)
        if self._ordered is None or self._ordered[0] != key:
            rows, row_at = self.rows, self._row_locations.get_key
            self._ordered = (key, [rows[row_at(index)] for index in range(self.row_count)])
        return self._ordered[1]

    @property
    def _y_offsets(self) -> list[tuple[RowKey, int]]:
        key = (self.row_count, self._order_version)
        if self._offsets is None or self._offsets[0] != key:
            self._offsets = (key, [(row.key, y) for row in self.ordered_rows for y in range(row.height)])
        return self._offsets[1]

    def add_row(self, *args: Any, **kwargs: Any) -> RowKey:
        self._order_version += 1
        return super().add_row(*args, **kwargs)

    def remove_row(self, row_key: RowKey | str) -> None:
        self._order_version += 1
        super().remove_row(row_key)

    def clear(self, columns: bool = False):
        self._order_version += 1
        return super().clear(columns)

    def sort(self, *columns: Any, key: Callable[[Any], Any] | None = None, reverse: bool = False):
        self._order_version += 1
        return super().sort(*columns, key=key, reverse=reverse)

    @property
    def sort_column(self) -> str:
        return self._sort_column

    @sort_column.setter
    def sort_column(self, column: str) -> None:
        self._sort_column = column
        self._mark_sorted_header()

    @property
    def sort_reverse(self) -> bool:
        return self._sort_reverse

    @sort_reverse.setter
    def sort_reverse(self, reverse: bool) -> None:
        self._sort_reverse = reverse
        self._mark_sorted_header()

    @property
    def column_keys(self) -> list[str]:
        return [column.id for column in self._column_defs]

    @property
    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        row = min(self.cursor_row, self.row_count - 1)
        return self.coordinate_to_cell_key((row, 0)).row_key.value

    def sync(self, entries: Mapping[str, Any], render: Callable[[str], tuple[Cell, ...]],
             live_only: Callable[[Any, Any], bool] | None = None) -> bool:
        """Show exactly `entries` (row key -> change token). Returns whether anything changed.

        `render(key)` is only called for rows that are new or whose token changed;
        with `live_only(old, new)` (true when only live columns can differ), an
        off-screen row's render waits until the row is drawn.
        """
        self._render = render
        if entries is self._synced:
            return False  # the very rows of the last sync, which nothing changes after
        self._synced = entries
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
            self._stale.discard(key)
            changed = True
        defer = live_only is not None and self.sort_column not in self._live_columns
        shown = frozenset(self.keys_on_screen()) if defer else frozenset()
        tokens = self._tokens
        deferred = False
        new_rows: list[tuple[str, tuple[Cell, ...]]] = []
        for key, token in entries.items():
            old_token = tokens.get(key, _ABSENT)
            if old_token is token:
                continue
            if old_token is not _ABSENT:
                # Off screen, a change to live figures only waits for the row to be drawn,
                # without comparing the figures (a thousand rows a tick).
                if defer and key not in shown and live_only(old_token, token):
                    tokens[key] = token
                    self._stale.add(key)
                    deferred = True
                    continue
                if old_token == token:
                    continue
            self._stale.discard(key)
            cells = render(key)
            self._tokens[key] = token
            if old_token is _ABSENT:
                new_rows.append((key, cells))
                self._cells[key] = cells
                changed = resort = True
                continue
            old_cells = self._cells[key]
            row_data = self._data[key]
            for index, (cell, old) in enumerate(zip(cells, old_cells)):
                if cell is not old and (cell.signature != old.signature or cell.sort_key != old.sort_key):
                    # What update_cell does, without a refresh per cell (and
                    # without update_width, which re-measures the whole column
                    # per cell): one refresh and one width pass per sync.
                    row_data[column_keys[index]] = cell
                    widths[index] = max(widths.get(index, 0), cell.width)
                    changed = True
                    resort = resort or index == sort_index or index == 0
            self._cells[key] = cells
        self._add_rows(new_rows)
        self._grow_columns(widths)
        if changed:
            self._update_count += 1
            self.refresh()
        elif deferred:
            self._update_count += 1  # lines cached for those rows are out of date
        if resort:
            self._apply_sort()
        if changed and selected is not None and selected in self._tokens:
            self.move_cursor(row=self.get_row_index(selected), scroll=False)
        return changed

    @property
    def sorted_by_live(self) -> bool:
        """Whether the order depends on live figures (so every row's figures count)."""
        return self.sort_column in self._live_columns

    def _rows_in_view(self, margin: int = 2) -> range:
        """The indexes of the rows in view, and `margin` rows either side."""
        top = round(self.scroll_offset.y)
        return range(max(0, top - margin), min(self.row_count, top + self.size.height + margin))

    def keys_on_screen(self) -> list[str]:
        """The keys of the rows in view, and two rows either side."""
        where = self._row_locations
        keys = []
        for index in self._rows_in_view():
            row = where.get_key(index)
            if row is not None:
                keys.append(row.value)
        return keys

    def freshen(self, keys: Iterable[str] | None = None) -> None:
        """Render rows a sync left for later (all of them, or `keys`)."""
        keys = list(self._stale if keys is None else (k for k in keys if k in self._stale))
        if not keys or self._render is None:
            return
        widths: dict[int, int] = {}
        column_keys = self.column_keys
        for key in keys:
            self._stale.discard(key)
            cells = self._cells[key] = self._render(key)
            row_data = self._data[key]
            for index, cell in enumerate(cells):
                row_data[column_keys[index]] = cell
                if cell.width > widths.get(index, 0):
                    widths[index] = cell.width
        self._grow_columns(widths)

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
        self._stale = set()
        new_rows = []
        for key, token in entries.items():
            cells = self._cells[key] = render(key)
            self._tokens[key] = token
            new_rows.append((key, cells))
        self._add_rows(new_rows)
        self._apply_sort()
        if selected is not None and selected in self._tokens:
            self.move_cursor(row=self.get_row_index(selected))

    def _add_rows(self, rows: list[tuple[str, tuple[Cell, ...]]]) -> None:
        """DataTable.add_row for many rows at once: add_row re-validates the cursor
        (a reactive) and counts an update per row, a tenth of a fleet's first list."""
        if not rows:
            return
        column_keys = [column.key for column in self.ordered_columns]
        was_empty = self.row_count == 0
        self._order_version += 1
        locations, data, table_rows, new = self._row_locations, self._data, self.rows, self._new_rows
        for key, cells in rows:
            row_key = RowKey(key)
            if row_key in locations:
                raise DuplicateKey(f"The row key {row_key!r} already exists.")
            locations[row_key] = len(table_rows)
            data[row_key] = dict(zip(column_keys, cells))
            table_rows[row_key] = Row(row_key, 1)
            new.add(row_key)
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        if was_empty and self.columns and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()
        self._update_count += 1
        self.check_idle()

    def _render_cell(self, row_index: int, column_index: int, base_style, width: int,
                     cursor: bool = False, hover: bool = False):
        # DataTable keys its cell cache on a table-wide update counter, so one
        # changed cell re-renders every visible one. A Cell is fully described
        # by its signature, so rendered lines are kept per content instead.
        if column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        if row_index < 0:  # a header cell: drawn through rich, so kept per label as the others are
            label = self.ordered_columns[column_index].label
            cache_key = ("header", label.plain, tuple(label.spans), label.style, column_index, base_style, width,
                         cursor, hover, self._show_hover_cursor, self._pseudo_class_state, self.show_cursor)
            lines = self._content_cache.get(cache_key)
            if lines is None:
                lines = self._content_cache[cache_key] = super()._render_cell(
                    row_index, column_index, base_style, width, cursor, hover)
            return lines
        row_key = self._row_locations.get_key(row_index)
        if row_key.value in self._stale:
            self.freshen((row_key.value,))
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
        """What DataTable renders through rich for a one-line Cell of single-width characters, built directly.

        The same segments (pad, text, pad) and styles (row style + cell style +
        component style), at a fraction of the cost; anything else (wide
        characters, no room) goes the long way.
        """
        pad = self.cell_padding
        text = _fitted(cell, width - 2 * pad, pad)
        if text is None:
            return None
        component_style, post_style = self._body_styles(cursor, hover)
        pre = base_style + _meta_style(row_index, column_index) + component_style
        cell_style = self.app.console.get_style(cell.style) if cell.style else None
        outer = pre + post_style
        inner_style = (pre + cell_style + post_style) if cell_style is not None else outer
        padding = " " * pad
        return [[Segment(padding, outer), Segment(text, inner_style), Segment(padding, outer)]]

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        """Sort by `column`; without `reverse`, the same column flips and another starts
        the way it reads best (figures highest first)."""
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else self._columns_by_id[column].highest_first
        self._sort_column, self._sort_reverse = column, reverse
        selected = self.selected_key
        self._apply_sort()
        self._mark_sorted_header()
        if selected is not None:
            self.move_cursor(row=self.get_row_index(selected))

    def _apply_sort(self) -> None:
        if self.row_count == 0:
            return
        if self.sort_column in self._live_columns:
            self.freshen()
        # A sort key is (has a figure?, value): rows without one stay below in
        # both directions, so only the value turns round; ties go by the first column.
        turn = _descending if self.sort_reverse else _as_is
        first, column = self.column_keys[0], self.sort_column
        by_first = column == first

        def order(cell: Cell) -> tuple:
            rank, value = cell.sort_key
            return (rank, turn(value)) if rank == HAS_FIGURE else (rank, 0)

        # A row's key is kept while its two cells are the same objects: a sync
        # replaces a cell only when it changed, so re-sorting a fleet after one
        # host's rows came computes keys for those rows alone.
        if self._sort_keys_for != (column, self.sort_reverse) or len(self._sort_keys) > 2 * self.row_count + 64:
            self._sort_keys, self._sort_keys_for = {}, (column, self.sort_reverse)
        keys = self._sort_keys

        def row_order(item: tuple[RowKey, dict]) -> tuple:
            cells = item[1]
            lead, sorted_cell = cells[first], cells[column]
            name = item[0].value  # a str hashes in C, a RowKey in Python
            known = keys.get(name)
            if known is not None and known[0] is lead and known[1] is sorted_cell:
                return known[2]
            key = order(lead) if by_first else (*order(sorted_cell), lead.sort_key)
            keys[name] = (lead, sorted_cell, key)
            return key

        ordered = sorted(self._data.items(), key=row_order)
        self._row_locations = TwoWayDict({row_key: index for index, (row_key, _) in enumerate(ordered)})
        self._order_version += 1
        self._update_count += 1
        self.refresh()

    def _mark_sorted_header(self) -> None:
        if not self.columns:
            return  # not mounted yet: on_mount marks it
        for definition in self._column_defs:
            column = self.columns[definition.id]
            text = Text(definition.header)
            if definition.id == self.sort_column:
                text.append(ARROWS[self.sort_reverse])
                if text.cell_len > column.content_width:  # a column only grows: it never shifts back
                    column.content_width = text.cell_len
                    self._require_update_dimensions = True
            column.label = text
        self._update_count += 1
        self.refresh(layout=self._require_update_dimensions)

    def sort_label(self) -> str:
        """What the table is sorted by, in words."""
        direction = "highest first" if self.sort_reverse else "lowest first"
        column = self._columns_by_id[self.sort_column]
        if not column.highest_first:
            direction = "Z to A" if self.sort_reverse else "A to Z"
        return f"{column.header}, {direction}"

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(event.column_key.value)

    def action_sort_next(self) -> None:
        cycle = sort_cycle(self._column_defs)
        column = cycle[(cycle.index(self.sort_column) + 1) % len(cycle)]
        self.sort_by(column, reverse=self._columns_by_id[column].highest_first)
        self.notify(f"sorted by {self.sort_label()}", timeout=1.5, markup=False)

    def action_sort_reverse(self) -> None:
        self.sort_by(self.sort_column, reverse=not self.sort_reverse)

    # -- an empty table says why ----------------------------------------

    @property
    def empty_text(self) -> Text | None:
        return self._empty_text

    @empty_text.setter
    def empty_text(self, text: Text | None) -> None:
        if text != self._empty_text:
            self._empty_text = text
            self._empty_lines = {}
            self.refresh()

    def notify_style_update(self) -> None:
        self._content_cache.clear()  # a theme or CSS change restyles the cells kept per content
        super().notify_style_update()

    def render_lines(self, crop):
        # Every painted line asks for the table's style, which Textual works out by walking
        # every ancestor; within one paint it cannot change, nor can the column widths.
        self._paint_style = super().rich_style
        self._paint_widths = [column.get_render_width(self) for column in self.ordered_columns]
        try:
            return super().render_lines(crop)
        finally:
            self._paint_style = self._paint_widths = None

    def _render_line_in_row(self, row_key, line_no, base_style, cursor_location, hover_location):
        # DataTable's, for a body row with no label and no fixed column, without what it works
        # out again for every line (the header's style through every ancestor, each column's
        # width twice, a Coordinate and two highlight checks per cell, the trailing space's
        # style): a stats tick redraws every row on screen.
        if (row_key is self._header_row_key or self.fixed_columns or self.cursor_type != "row"
                or (self._labelled_row_exists and self.show_row_labels)):
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        show_cursor, show_hover = self.show_cursor, self._show_hover_cursor
        cache_key = (row_key, line_no, base_style, cursor_location, hover_location, "row", show_cursor,
                     show_hover, self._update_count, self._pseudo_class_state)
        cached = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        row_index = self._row_locations.get(row_key)
        if row_index is None:
            row_index = -1
        row_style = self._get_row_style(row_index, base_style)
        cursor, hover = row_index == cursor_location.row, row_index == hover_location.row
        widths = self._paint_widths or [column.get_render_width(self) for column in self.ordered_columns]
        if line_no == 0 and row_index >= 0 and self.rows[row_key].height == 1:
            scrollable = [self._row_segments(row_key, row_index, row_style, widths, cursor, hover)]
        else:
            render_cell = self._render_cell
            scrollable = [render_cell(row_index, index, row_style, width, cursor=cursor, hover=hover)[line_no]
                          for index, width in enumerate(widths)]
        remaining = max(0, self.size.width - sum(widths) - self._row_label_column_width)
        extend_style, _ = self._get_styles_to_render_cell(row_index == -1, False, False, hover, cursor,
                                                          show_cursor, show_hover, False, False)
        scrollable.append([Segment(" " * remaining, row_style + extend_style + _out_of_bounds(row_index))])
        pair = ([], scrollable)
        self._row_render_cache[cache_key] = pair
        return pair

    def _body_styles(self, cursor: bool, hover: bool) -> tuple[Style, Style]:
        """DataTable's (component, post) styles of a body cell in a row with the cursor / hover."""
        return self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )

    def _row_segments(self, row_key: RowKey, row_index: int, row_style: Style, widths: list[int], cursor: bool,
                      hover: bool) -> list[Segment]:
        """A one-line body row as few segments as its styles allow: what DataTable draws
        cell by cell through rich, built directly. Text in the row's own style runs on
        from cell to cell; a styled cell is a segment of its own. The row is the click and
        hover target (the cursor selects rows). A cell that is not one line of single-width
        characters, or has no room, goes the long way."""
        if row_key.value in self._stale:
            self.freshen((row_key.value,))
        pad = self.cell_padding
        component_style, post_style = self._body_styles(cursor, hover)
        pre = row_style + _row_meta(row_index) + component_style
        outer = pre + post_style
        get_style = self.app.console.get_style
        padding = " " * pad
        data = self._data[row_key]
        segments: list[Segment] = []
        run: list[str] = []  # text in `outer`, not yet a segment
        for index, (column, width) in enumerate(zip(self.ordered_columns, widths)):
            cell = data.get(column.key)
            text = _fitted(cell, width - 2 * pad, pad) if isinstance(cell, Cell) else None
            if text is None:
                if run:
                    segments.append(Segment("".join(run), outer))
                    run = []
                segments.extend(self._render_cell(row_index, index, row_style, width, cursor=cursor, hover=hover)[0])
                continue
            if not cell.style:
                run += (padding, text, padding)
                continue
            run.append(padding)
            segments.append(Segment("".join(run), outer))
            segments.append(Segment(text, pre + get_style(cell.style) + post_style))
            run = [padding]
        if run:
            segments.append(Segment("".join(run), outer))
        return segments

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        # DataTable's, for a body line not scrolled sideways whose cells fit the width: its
        # cells are exactly their columns' widths and the filler takes the rest, so the
        # line's length is known, with nothing to crop or pad and one Strip instead of three.
        width = self.size.width
        widths = self._paint_widths
        if x1 or x2 < width or widths is None or sum(widths) > width or self.fixed_columns:
            return super()._render_line(y, x1, x2, base_style)
        try:
            row_key, line_no = self._get_offsets(y)
        except LookupError:
            return Strip.blank(width, base_style)
        if row_key is self._header_row_key:
            return super()._render_line(y, x1, x2, base_style)
        cursor, hover = self.cursor_coordinate, self.hover_coordinate
        cache_key = (y, x1, x2, width, cursor, hover, base_style, self.cursor_type, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        strip = self._line_cache.get(cache_key)
        if strip is None:
            fixed, scrollable = self._render_line_in_row(row_key, line_no, base_style, cursor, hover)
            if fixed or self._row_label_column_width:
                return super()._render_line(y, x1, x2, base_style)
            segments = [segment for cell in scrollable for segment in cell]
            strip = self._line_cache[cache_key] = Strip(Segment.simplify(segments), width)
        return strip

    @property
    def rich_style(self) -> Style:
        return self._paint_style or super().rich_style

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        if self.zebra_stripes and row_index >= self.fixed_rows:  # a body row: its stripe's style, kept until the next repaint
            return self.get_component_rich_style("datatable--odd-row" if row_index % 2 else "datatable--even-row")
        return super()._get_row_style(row_index, base_style)

    def render_line(self, y: int) -> Strip:
        if self.row_count or self._empty_text is None:
            return super().render_line(y)
        top = (self.header_height if self.show_header else 0) + 1
        lines = self._empty_lines.get(self.size.width)
        if lines is None:
            pad = self.cell_padding
            console = self.app.console
            options = console.options.update_width(max(self.size.width - 2 * pad, 10))
            lines = [[Segment(" " * pad), *line] for line in console.render_lines(self._empty_text, options, pad=False)]
            self._empty_lines = {self.size.width: lines}
        if top <= y < top + len(lines):
            return Strip(lines[y - top]).apply_style(self.rich_style).adjust_cell_length(self.size.width, self.rich_style)
        return super().render_line(y)


def sort_commands(screen: Screen) -> Iterator[SystemCommand]:
    """Palette commands that sort the screen's table by any of its columns."""
    tables = list(screen.query(InventoryTable))
    if not tables:
        return
    table = screen.focused if isinstance(screen.focused, InventoryTable) else tables[0]
    for column in table._column_defs:
        first = "highest first" if column.highest_first else "A to Z"
        yield SystemCommand(f"Sort by {column.header}", f"Sort this table by {column.header}, {first}",
                            functools.partial(table.sort_by, column.id, column.highest_first))


class _Descending:
    """A value that sorts the other way round (for text, tuples: anything with <)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value


def _descending(value: Any) -> Any:
    return -value if isinstance(value, (int, float)) else _Descending(value)


def _as_is(value: Any) -> Any:
    return value


_ABSENT = object()


def _fitted(cell: Cell, inner: int, pad: int) -> str | None:
    """A one-line cell's text at `inner` cells, as rich lays it out (cut with an ellipsis,
    or justified); None where that takes rich: characters not one cell wide each, no room."""
    text = cell.signature[0]
    if pad < 1 or inner < 2 or cell.width != len(text) or not text.isprintable():
        return None
    if len(text) > inner:
        return text[: inner - 1] + "…"
    return text.rjust(inner) if cell.justify == "right" else text.ljust(inner)


@functools.lru_cache(maxsize=4096)
def _meta_style(row: int, column: int) -> Style:
    """The click target DataTable tags every cell with, made once per position."""
    return Style.from_meta({"row": row, "column": column})


@functools.lru_cache(maxsize=1024)
def _row_meta(row: int) -> Style:
    """What a body row is tagged with for clicks and hover: its index (any column selects it)."""
    return Style.from_meta({"row": row, "column": 0})


@functools.lru_cache(maxsize=1024)
def _out_of_bounds(row: int) -> Style:
    """What DataTable tags the space right of a row's last cell with."""
    return Style.from_meta({"row": row, "column": 0, "out_of_bounds": True})
