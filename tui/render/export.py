"""A table as CSV or JSON: the rows of a view, read from the inventory like the view reads
them, each cell's raw value (`Column.raw`) instead of the text it shows.

JSON is one object: the table's name, the hosts asked (state and last error) and the rows,
each keyed by column id plus the row's `uri` / `uuid` (`EXTRAS`). CSV is a header row of
the column headers (then the extras, by key) and one line per row. A value with several
parts (a rate pair, addresses) is a JSON array, and in CSV its parts separated by spaces;
None is null, or an empty CSV cell; a yes/no is true/false.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from ..backend.inventory import Inventory
from ..backend.model import Host
from ..backend.overcommit import Thresholds, host_load, provisioned_ratio
from ..backend.triage import problems
from .columns import (
    EVENT_COLUMNS,
    GUEST_COLUMNS,
    HOST_COLUMNS,
    NETWORK_COLUMNS,
    POOL_COLUMNS,
    TRIAGE_COLUMNS,
    VOLUME_COLUMNS,
    Column,
    EventRow,
    GuestRow,
    HostRow,
    NetworkRow,
    PoolRow,
)
from .cells import HAS_FIGURE, NO_FIGURE
from .rows import action_event

# What `--export` takes -> the view's columns (the Storage view's table is the pools).
TABLES: dict[str, list[Column]] = {
    "guests": GUEST_COLUMNS,
    "hosts": HOST_COLUMNS,
    "networks": NETWORK_COLUMNS,
    "pools": POOL_COLUMNS,
    "volumes": VOLUME_COLUMNS,
    "events": EVENT_COLUMNS,
    "triage": TRIAGE_COLUMNS,
}
VIEW_TABLES = {"storage": "pools"}  # a view's name -> its table's, where they differ
LIVE_TABLES = frozenset(table for table, columns in TABLES.items() if any(column.live for column in columns))
FORMATS = ("csv", "json")

# The keys a JSON row (and the end of a CSV line) carries beyond the table's columns.
EXTRAS: dict[str, tuple[str, ...]] = {
    "guests": ("uri", "uuid"),
    "hosts": ("error",),
    "networks": ("uri", "uuid"),
    "pools": ("uri", "uuid"),
    "volumes": ("host", "uri", "pool", "key"),
    "events": ("uri", "command"),  # command: the command line of one of virtdeck's own actions
    "triage": (),
}


class ExportRow(NamedTuple):
    inputs: Any  # what the view's columns read (GuestRow, Volume, Problem ...); None: see `shown`
    extra: Mapping[str, Any]  # EXTRAS' values
    shown: tuple | None = None  # a row the inventory does not hold: its cells, exported as they read


def raw_values(columns: Iterable[Column], row: ExportRow) -> list[Any]:
    """Each column's value for the row: its `raw`, or for a row known only by its cells their
    text (None where a cell shows nothing)."""
    if row.inputs is None and row.shown is not None:
        return [None if cell.sort_key[0] == NO_FIGURE and cell.plain == "—" else cell.plain for cell in row.shown]
    return [column.raw(row.inputs) for column in columns]


def table_of(view: str) -> str:
    return VIEW_TABLES.get(view, view)


def record(columns: Iterable[Column], row: ExportRow) -> dict[str, Any]:
    """One row as JSON has it: every column's raw value by id, then the extras."""
    columns = list(columns)
    found = {column.id: json_value(value) for column, value in zip(columns, raw_values(columns, row))}
    found.update((key, json_value(value)) for key, value in row.extra.items() if key not in found)
    return found


def json_value(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [json_value(part) for part in value]
    return value


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return " ".join(csv_value(part) for part in value)
    return str(value)


def csv_text(table: str, rows: Iterable[ExportRow]) -> str:
    columns = TABLES[table]
    extras = [key for key in EXTRAS[table] if key not in {column.id for column in columns}]
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180: lines end in CRLF, and a CR or LF in a name is quoted
    writer.writerow([column.header for column in columns] + extras)
    for row in rows:
        writer.writerow([csv_value(value) for value in raw_values(columns, row)]
                        + [csv_value(row.extra.get(key)) for key in extras])
    return out.getvalue()


def host_entry(host: Host) -> dict[str, Any]:
    """A host asked for the table: whether it listed, and why not."""
    return {"name": host.name, "uri": host.uri, "state": host.state.value, "error": host.last_error}


def json_text(table: str, rows: Iterable[ExportRow], hosts: Iterable[dict[str, Any]]) -> str:
    columns = TABLES[table]
    document = {"table": table, "hosts": list(hosts), "rows": [record(columns, row) for row in rows]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def text(table: str, form: str, rows: Iterable[ExportRow], hosts: Iterable[dict[str, Any]]) -> str:
    """The table in `form` ("csv" or "json")."""
    return csv_text(table, rows) if form == "csv" else json_text(table, rows, hosts)


# -- a view's rows, keyed like the view keys them ---------------------------------------


def _key(conn_id: str, uuid: str) -> str:
    return f"{conn_id}|{uuid}"


def _uri(inventory: Inventory, conn_id: str) -> str | None:
    host = inventory.hosts.get(conn_id)
    return host.uri if host else None


def rows(table: str, inventory: Inventory, thresholds: Thresholds = Thresholds(),
         shell_facts: Mapping | None = None, now: float | None = None) -> dict[str, ExportRow]:
    """Every row of `table` the inventory holds, by the row key its view uses (volumes:
    `conn|pool uuid|volume key`), in no particular order."""
    name = inventory.host_name
    found: dict[str, ExportRow] = {}
    if table == "guests":
        for (conn_id, uuid), guest in inventory.guests.items():
            found[_key(conn_id, uuid)] = ExportRow(
                GuestRow(guest, name(conn_id), inventory.stats.get((conn_id, uuid)),
                         inventory.addresses(conn_id, uuid)),
                {"uri": _uri(inventory, conn_id), "uuid": uuid})
    elif table == "networks":
        for (conn_id, uuid), net in inventory.networks.items():
            found[_key(conn_id, uuid)] = ExportRow(NetworkRow(net, name(conn_id)),
                                                   {"uri": _uri(inventory, conn_id), "uuid": uuid})
    elif table == "pools":
        for (conn_id, uuid), pool in inventory.pools.items():
            found[_key(conn_id, uuid)] = ExportRow(
                PoolRow(pool, name(conn_id), provisioned_ratio(inventory, pool.key), thresholds),
                {"uri": _uri(inventory, conn_id), "uuid": uuid})
    elif table == "volumes":
        for (conn_id, pool_uuid), volumes in inventory.volumes.items():
            pool = inventory.pools.get((conn_id, pool_uuid))
            for volume in volumes:
                found[f"{conn_id}|{pool_uuid}|{volume.key}"] = ExportRow(volume, {
                    "host": name(conn_id), "uri": _uri(inventory, conn_id), "pool": pool.name if pool else None,
                    "key": volume.key})
    elif table == "hosts":
        now = time.time() if now is None else now
        for conn_id, host in inventory.hosts.items():
            found[conn_id] = ExportRow(
                HostRow(host, host_load(inventory, conn_id), now, inventory.host_stats.get(conn_id), thresholds),
                {"error": host.last_error})
    elif table == "events":
        for seq, event in inventory.events:
            found[str(seq)] = ExportRow(EventRow(event, seq, name(event.conn_id)),
                                        {"uri": _uri(inventory, event.conn_id), "command": None})
        for seq, record in inventory.actions:  # virtdeck's own, keyed as the Events view keys them
            found[f"a{seq}"] = ExportRow(EventRow(action_event(record), seq, record.host),
                                         {"uri": record.uri, "command": record.command})
    elif table == "triage":
        for problem in problems(inventory, thresholds, now, shell_facts=shell_facts):
            found[problem.key + "|" + problem.text] = ExportRow(problem, {})
    else:
        raise ValueError(f"no table {table!r}")
    return found


# How each view sorts when it opens: (column, highest first).
DEFAULT_SORT = {"events": ("time", True), "triage": ("severity", False)}


def ordered(table: str, found: Mapping[str, ExportRow], sort_column: str | None = None,
            reverse: bool | None = None) -> list[ExportRow]:
    """The rows in the order the view shows them sorted by `sort_column` (`reverse`: the
    other way round; both default to how the view opens): rows without a figure last
    either way, ties by the first column."""
    columns = TABLES[table]
    default_column, default_reverse = DEFAULT_SORT.get(table, (columns[0].id, False))
    sort_column = sort_column or default_column
    reverse = default_reverse if reverse is None else reverse
    index = [column.id for column in columns].index(sort_column)

    by, first = columns[index], columns[0]

    def key(row: ExportRow) -> tuple:
        # Only the two cells the order reads (paused figures dim, and sort the same).
        rank, value = by.cell(row.inputs).sort_key
        first_key = first.cell(row.inputs).sort_key
        if rank != HAS_FIGURE:
            return (rank, 0, first_key)
        return (rank, _Reversed(value) if reverse else value, first_key)

    return sorted(found.values(), key=key)


class _Reversed:
    """A sort value that orders the other way round."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value
