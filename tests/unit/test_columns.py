"""Every table's columns are data (tui/render/columns.py): the rows, the sort and the live set follow the lists."""

from __future__ import annotations

import pytest

from tui.backend.model import ConnState, Event, Guest, Host, HostStats, Network, Pool, Volume
from tui.backend.overcommit import HostLoad
from tui.backend.stats import GuestStats
from tui.backend.triage import Problem
from tui.render import columns
from tui.render.columns import (
    EVENT_COLUMNS, GUEST_COLUMNS, HOST_COLUMNS, NETWORK_COLUMNS, POOL_COLUMNS, TRIAGE_COLUMNS, VIEWS, VOLUME_COLUMNS,
)

GUEST = Guest("c", "u", "web-01", "running", vcpus=2, memory_kib=2 << 20, autostart=True, persistent=True)
BUSY = GuestStats("c", "u", at=1.0, vcpus=2, cpu_percent=150.0, memory_used=1 << 30, memory_total=2 << 30,
                  memory_kind="used", disk_read_bps=5e6, disk_write_bps=1e6, net_rx_bps=2e6, net_tx_bps=3e5)
IDLE = GuestStats("c", "u", at=2.0, vcpus=2, cpu_percent=0.5, memory_used=300 << 20, memory_total=2 << 30,
                  memory_kind="used", disk_read_bps=0.0, disk_write_bps=0.0, net_rx_bps=10.0, net_tx_bps=0.0)
HOST = Host("c", "qemu:///system", "kvm01", ConnState.CONNECTED, hostname="kvm01.lab", hypervisor="QEMU",
            hypervisor_version="8.2.0", libvirt_version="10.0.0", cpu_model="EPYC", cpus=32, memory_kib=128 << 20)
LOAD = HostLoad(9, {"running": 5}, 12, 40 << 30, 0.4, 0.3)

# Each view's row function, given inputs of every kind its cells read.
ROWS = {
    "guests": lambda: columns.guest_row(GUEST, "kvm01", BUSY, (("10.0.0.5", ("lease",)),)),
    "networks": lambda: columns.network_row(Network("c", "n", "default", True, "nat", bridge="virbr0"), "kvm01"),
    "storage": lambda: columns.pool_row(Pool("c", "p", "default", "dir", "active", capacity=100, allocation=40,
                                             available=60), "kvm01", 0.5),
    "volumes": lambda: columns.volume_row(Volume("c", "p", "/v/a.qcow2", "a.qcow2", "qcow2", 10 << 30, 1 << 30,
                                                 "/v/a.qcow2")),
    "hosts": lambda: columns.host_row(HOST, LOAD, now=100.0, stats=HostStats("c", 12.5, 128 << 30, 64 << 30)),
    "events": lambda: columns.event_row(Event("c", "guest", "web-01", "started", at=100.0), 3, "kvm01"),
    "triage": lambda: columns.triage_row(Problem(0, "guests", "c|u", "kvm01", "web-01", "crashed")),
}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_view_has_unique_ids_and_one_cell_per_column(view):
    listed = VIEWS[view]
    assert len(set(columns.ids(listed))) == len(listed), columns.ids(listed)
    assert all(column.header for column in listed)
    cells = ROWS[view]()
    assert len(cells) == len(listed)
    assert all(cell.plain for cell in cells)  # every column shows something, if only a dash


def test_an_inactive_pool_and_a_guest_without_stats_fill_every_column():
    inactive = columns.pool_row(Pool("c", "p", "x", "dir", "inactive"), "h")
    assert len(inactive) == len(POOL_COLUMNS)
    assert columns.by_id(POOL_COLUMNS, inactive)["capacity"].plain == "—"
    assert len(columns.guest_row(GUEST, "h")) == len(GUEST_COLUMNS)
    assert len(columns.host_row(HOST, 3)) == len(HOST_COLUMNS)


def differing(listed, first, second) -> set[str]:
    return {column.id for column, a, b in zip(listed, first, second) if a.signature != b.signature}


def test_a_stats_tick_changes_exactly_the_guests_live_columns():
    busy = columns.guest_row(GUEST, "kvm01", BUSY)
    idle = columns.guest_row(GUEST, "kvm01", IDLE)
    assert differing(GUEST_COLUMNS, busy, idle) == columns.live_ids(GUEST_COLUMNS) == {"cpu", "memory", "disk", "net"}
    # Paused stats dim the live figures only.
    paused = columns.guest_row(GUEST, "kvm01", BUSY, paused=True)
    assert differing(GUEST_COLUMNS, busy, paused) == columns.live_ids(GUEST_COLUMNS)
    assert all("dim" in columns.by_id(GUEST_COLUMNS, paused)[key].signature[1] for key in ("cpu", "disk", "net"))


def test_a_guest_row_is_its_static_cells_and_its_live_cells_merged():
    static = columns.guest_static_cells(GUEST, "kvm01", (("10.0.0.5", ("lease",)),), marked=True)
    assert len(static) == len(GUEST_COLUMNS) - len(columns.live_ids(GUEST_COLUMNS))
    for stats in (BUSY, IDLE, None):
        for paused in (False, True):
            merged = columns.merge_guest_cells(static, columns.guest_live_cells(GUEST, stats, paused))
            whole = columns.row(GUEST_COLUMNS, columns.GuestRow(GUEST, "kvm01", stats, (("10.0.0.5", ("lease",)),),
                                                                True), paused and stats is not None)
            assert [cell.signature for cell in merged] == [cell.signature for cell in whole]
            assert [cell.sort_key for cell in merged] == [cell.sort_key for cell in whole]
    assert columns.by_id(GUEST_COLUMNS, merged)["name"].plain == "● web-01"


def test_a_stats_tick_changes_exactly_the_hosts_live_columns():
    calm = columns.host_row(HOST, LOAD, now=100.0, stats=HostStats("c", 2.0, 128 << 30, 100 << 30, ksm={}))
    busy = columns.host_row(HOST, LOAD, now=100.0,
                            stats=HostStats("c", 80.0, 128 << 30, 8 << 30, ksm={"shm_pages_sharing": 1000}))
    assert differing(HOST_COLUMNS, calm, busy) == columns.live_ids(HOST_COLUMNS) == {"cpu_pct", "memory", "ksm"}


def test_the_sort_cycle_reaches_the_figures_first():
    assert columns.sort_cycle(GUEST_COLUMNS) == [
        "name", "cpu", "memory", "disk", "net", "vcpus", "host", "state", "ip", "autostart", "persistent"]
    assert columns.sort_cycle(POOL_COLUMNS)[:6] == ["name", "used", "allocation", "capacity", "available",
                                                    "provisioned"]
    assert columns.sort_cycle(VOLUME_COLUMNS) == ["name", "allocation", "capacity", "format", "path"]
    assert columns.sort_cycle(NETWORK_COLUMNS) == columns.ids(NETWORK_COLUMNS)
    assert columns.sort_cycle(TRIAGE_COLUMNS) == columns.ids(TRIAGE_COLUMNS)
    by_id = {column.id: column for column in EVENT_COLUMNS}
    assert by_id["time"].highest_first and by_id["time"].figure is None
    assert [column.id for column in GUEST_COLUMNS if column.highest_first] == ["cpu", "vcpus", "memory", "disk", "net"]


def test_the_hosts_cpu_model_sorts_as_text_and_its_load_as_a_figure():
    by_id = {column.id: column for column in HOST_COLUMNS}
    assert not by_id["cpu"].highest_first and by_id["cpu_pct"].highest_first
    assert columns.sort_cycle(HOST_COLUMNS).index("cpu") > columns.sort_cycle(HOST_COLUMNS).index("cpu_pct")


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_column_says_what_an_export_holds(view):
    """`raw` sits next to `cell`: every column has one, and it gives plain data (JSON's types)."""
    import json

    listed = VIEWS[view]
    assert all(column.raw is not None for column in listed), [c.id for c in listed if c.raw is None]
    inputs = ROW_INPUTS[view]()
    values = {column.id: column.raw(inputs) for column in listed}
    assert json.loads(json.dumps(values)) == {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


# Each view's row inputs (what ROWS renders), for the raw values.
ROW_INPUTS = {
    "guests": lambda: columns.GuestRow(GUEST, "kvm01", BUSY, (("10.0.0.5", ("lease",)),)),
    "networks": lambda: columns.NetworkRow(Network("c", "n", "default", True, "nat", bridge="virbr0"), "kvm01"),
    "storage": lambda: columns.PoolRow(Pool("c", "p", "default", "dir", "active", capacity=100, allocation=40,
                                            available=60), "kvm01", 0.5),
    "volumes": lambda: Volume("c", "p", "/v/a.qcow2", "a.qcow2", "qcow2", 10 << 30, 1 << 30, "/v/a.qcow2"),
    "hosts": lambda: columns.HostRow(HOST, LOAD, 100.0, HostStats("c", 12.5, 128 << 30, 64 << 30)),
    "events": lambda: columns.EventRow(Event("c", "guest", "web-01", "started", at=100.0), 3, "kvm01"),
    "triage": lambda: Problem(0, "guests", "c|u", "kvm01", "web-01", "crashed"),
}


def test_raw_values_are_figures_in_the_units_the_readme_names():
    guest = {c.id: c.raw(ROW_INPUTS["guests"]()) for c in GUEST_COLUMNS}
    assert guest["memory"] == 1 << 30 and guest["cpu"] == 150.0 and guest["state"] == "running"
    assert guest["disk"] == (5_000_000, 1_000_000) and guest["ip"] == ("10.0.0.5",)
    pool = {c.id: c.raw(ROW_INPUTS["storage"]()) for c in POOL_COLUMNS}
    assert pool["used"] == 40.0 and pool["provisioned"] == 50.0 and pool["capacity"] == 100
    inactive = columns.PoolRow(Pool("c", "p", "x", "dir", "inactive", capacity=100), "h")
    assert {c.id: c.raw(inactive) for c in POOL_COLUMNS}["capacity"] is None
    host = {c.id: c.raw(ROW_INPUTS["hosts"]()) for c in HOST_COLUMNS}
    assert host["memory"] == 64 << 30 and host["guests"] == (5, 9) and host["state"] == "connected"
