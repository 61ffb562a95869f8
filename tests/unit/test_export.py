"""Tables as CSV and JSON (tui/render/export.py): names are data and come back as they were;
figures are numbers; the rows follow the inventory like the views do."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.backend.inventory import Inventory
from tui.backend.model import ConnState, Event, EventHappened, Guest, Host, HostChanged, InventorySynced, Network
from tui.render import export
from tui.render.columns import GUEST_COLUMNS, GuestRow

# Names with what breaks CSV and JSON: commas, quotes, line breaks, unicode, control characters.
NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40) | st.sampled_from(
    ['a,b"c\n', '"', "\r\n", "ünï cödé ✓", "=1+2", "tab\there", " lead and trail "])


def guest_row(name: str, host: str = "kvm01") -> export.ExportRow:
    guest = Guest("c1", "u-" + str(len(name)), name, "running", vcpus=2, memory_kib=1 << 20)
    return export.ExportRow(GuestRow(guest, host), {"uri": "qemu:///system", "uuid": guest.uuid})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(NAMES, NAMES), min_size=1, max_size=5))
def test_names_round_trip_through_csv(pairs):
    rows = [guest_row(name, host) for name, host in pairs]
    lines = list(csv.reader(io.StringIO(export.csv_text("guests", rows), newline="")))
    header = [column.header for column in GUEST_COLUMNS] + ["uri", "uuid"]
    assert lines[0] == header
    assert len(lines) == len(rows) + 1
    for (name, host), line in zip(pairs, lines[1:]):
        cells = dict(zip(header, line))
        assert cells["Name"] == name and cells["Host"] == host
        assert cells["Memory"] == str(1 << 30) and cells["State"] == "running"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(NAMES, NAMES), min_size=1, max_size=5))
def test_names_round_trip_through_json(pairs):
    rows = [guest_row(name, host) for name, host in pairs]
    document = json.loads(export.json_text("guests", rows, [{"name": pairs[0][1], "state": "connected"}]))
    assert document["table"] == "guests" and document["hosts"][0]["name"] == pairs[0][1]
    assert [(row["name"], row["host"]) for row in document["rows"]] == pairs
    assert all(row["memory"] == 1 << 30 and row["vcpus"] == 2 and row["uri"] == "qemu:///system"
               for row in document["rows"])


def test_several_values_and_nothing():
    assert export.csv_value(None) == "" and export.csv_value(True) == "true" and export.csv_value(False) == "false"
    assert export.csv_value((10, None, "x")) == "10  x"
    assert export.json_value((1, (2, 3))) == [1, [2, 3]]


def inventory() -> Inventory:
    inv = Inventory()
    for conn_id, name in (("c1", "kvm01"), ("c2", "kvm,02")):
        inv.apply(HostChanged(Host(conn_id, f"qemu+ssh://{name}/system", name, ConnState.CONNECTED, cpus=8,
                                   memory_kib=16 << 20)))
    guests = (Guest("c1", "u1", "web", "running", vcpus=2, memory_kib=2 << 20),
              Guest("c1", "u2", "db", "shut off", vcpus=4, memory_kib=8 << 20, managed_save=True))
    inv.apply(InventorySynced("c1", guests, (Network("c1", "n1", "default", True, "nat"),), ()))
    inv.apply(InventorySynced("c2", (Guest("c2", "u3", "apache", "paused", reason="ioerror", vcpus=1,
                                           memory_kib=1 << 20),), (), ()))
    inv.apply(EventHappened(Event("c2", "guest", "apache", "paused", at=1000.0)))
    inv.apply(EventHappened(Event("c1", "guest", "web", "started", at=2000.0)))
    return inv


def test_rows_follow_the_inventory_in_the_views_order():
    inv = inventory()
    found = export.rows("guests", inv)
    assert set(found) == {"c1|u1", "c1|u2", "c2|u3"}  # the Guests view's row keys
    by_name = [row.inputs.guest.name for row in export.ordered("guests", found)]
    assert by_name == ["apache", "db", "web"]
    records = [export.record(export.TABLES["guests"], row) for row in export.ordered("guests", found)]
    assert [r["state"] for r in records] == ["paused (ioerror)", "saved", "running"]
    assert [r["host"] for r in records] == ["kvm,02", "kvm01", "kvm01"]
    by_vcpus = export.ordered("guests", found, "vcpus", True)
    assert [row.inputs.guest.vcpus for row in by_vcpus] == [4, 2, 1]
    # Events open newest first, as the Events view does.
    events = [export.record(export.TABLES["events"], row) for row in export.ordered("events", export.rows("events", inv))]
    assert [e["subject"] for e in events] == ["web", "apache"]
    assert events[0]["uri"] == "qemu+ssh://kvm01/system"
    hosts = [export.record(export.TABLES["hosts"], row) for row in export.ordered("hosts", export.rows("hosts", inv))]
    assert [(h["name"], h["guests"]) for h in hosts] == [("kvm,02", [0, 1]), ("kvm01", [1, 2])]
    assert export.rows("networks", inv)["c1|n1"].extra == {"uri": "qemu+ssh://kvm01/system", "uuid": "n1"}
