"""The palette's "Export this table…" and "Copy this table as CSV" on every table view and
the volumes screen: the rows as the table has them (its columns, its sort, its filter),
each cell's raw value (render/export.py), written off the UI loop."""

from __future__ import annotations

from collections.abc import Iterator

from textual.app import SystemCommand
from textual.screen import Screen

from ..backend import commands
from ..backend.files import write_whole
from ..backend.model import ConnState
from ..forms.export_table import ExportChoice, ExportTableScreen
from ..render import export
from ..render.export import ExportRow
from ..widgets.inventory_table import InventoryTable
from .base import InventoryScreen
from .volumes import VolumesScreen


def _table_of(screen: Screen) -> tuple[str, str] | None:
    """The exported table's name and the prefix its row keys take in `export.rows`."""
    if isinstance(screen, InventoryScreen):
        return export.table_of(screen.VIEW), ""
    if isinstance(screen, VolumesScreen):
        return "volumes", f"{screen.conn_id}|{screen.pool_uuid}|"
    return None


def table_rows(screen: Screen, only_shown: bool) -> tuple[str, list[ExportRow], list[dict]]:
    """(table, rows, hosts): the rows the table shows, in its order, or every row the view
    has (no filter), in the same sort."""
    name, prefix = _table_of(screen)
    ctx = screen.ctx
    table = screen.query_one(InventoryTable)
    found = export.rows(name, ctx.inventory, ctx.settings.config.thresholds, ctx.shell_facts)
    hosts = [{**export.host_entry(host), "listed": host.state == ConnState.CONNECTED}
             for host in ctx.inventory.hosts.values()]
    if not only_shown and name != "volumes":
        return name, export.ordered(name, found, table.sort_column, table.sort_reverse), hosts
    rows = []
    for row in table.ordered_rows:
        key = row.key.value
        known = found.get(prefix + key)
        # A row the inventory does not hold (one only the view adds) goes as it reads.
        rows.append(known if known is not None else ExportRow(None, {}, tuple(table.get_row(key))))
    return name, rows, hosts


def export_commands(screen: Screen) -> Iterator[SystemCommand]:
    if _table_of(screen) is None or not screen.query(InventoryTable):
        return
    yield SystemCommand("Export this table…", "Write this table's rows to a CSV or JSON file",
                        lambda: open_export(screen))
    yield SystemCommand("Copy this table as CSV", "Put this table's rows (as shown) on the clipboard",
                        lambda: copy_table(screen))


def open_export(screen: Screen) -> None:
    name, _ = _table_of(screen)
    filtered = getattr(screen, "filter_text", "")
    shown = screen.query_one(InventoryTable).row_count
    every = len(export.rows(name, screen.ctx.inventory)) if filtered else shown

    def work(choice: ExportChoice, finish) -> None:
        table, rows, hosts = table_rows(screen, choice.only_shown)
        form.run_worker(lambda: _write(form, choice, table, rows, hosts, finish), thread=True,
                        exit_on_error=False, group="export")

    def done(choice: ExportChoice | None) -> None:
        if choice is not None:
            screen.notify(f"exported to {choice.path}", markup=False, timeout=5)

    uris = [host.uri for host in screen.ctx.inventory.hosts.values()]
    form = ExportTableScreen(name, shown, every, filtered, work).describing(
        lambda c: commands.export_table(name, c.form, c.path, uris, filtered if c.only_shown else ""))
    screen.app.push_screen(form, done)


def _write(form: ExportTableScreen, choice: ExportChoice, table: str, rows: list[ExportRow], hosts: list[dict],
           finish) -> None:
    """On a worker thread: the text and the file; `finish` back on the UI loop."""
    try:
        write_whole(choice.path, export.text(table, choice.form, rows, hosts), replace=choice.replace)
    except FileExistsError:
        error = "The file exists now: tick Replace to write over it"
    except OSError as exc:
        error = f"{choice.path}: {exc.strerror or exc}"
    else:
        error = None
    form.app.call_from_thread(finish, error)


def copy_table(screen: Screen) -> None:
    table, rows, _ = table_rows(screen, only_shown=True)
    screen.app.copy_to_clipboard(export.csv_text(table, rows))
    screen.notify(f"{len(rows)} rows copied as CSV (where the terminal takes OSC 52)", markup=False, timeout=4)
