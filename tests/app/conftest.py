"""App tier: the real App under Pilot against libvirt's test driver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import libvirt
import pytest

from tests.testbed.gen_node import generate_node_xml
from tui.app import VirtdeckApp
from tui.backend import eventloop
from tui.cli import settings_from

eventloop.silence_libvirt_errors()


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 10.0,
                   what: str | Callable[[], str] = "condition") -> None:
    """Let the app run until `predicate()` holds, failing after `timeout` seconds
    (`what` may be a function, to say what was there instead)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what() if callable(what) else what}")
        await pilot.pause(0.02)
    await pilot.pause()


async def worker_drained(pilot, app) -> None:
    """Let every connection's worker run what was queued before now (its jobs run in
    order): an action a key had sent has then reached libvirt. For checking that a
    key or a "no" sent nothing."""
    for connection in app.fleet.connections:
        reached = threading.Event()
        connection.submit(reached.set)
        await wait_for(pilot, reached.is_set, what=f"the worker of {connection.uri} to drain")


def make_app(tmp_path: Path, *argv: str) -> VirtdeckApp:
    """The App as the command line would build it, with a private config file."""
    return VirtdeckApp(settings_from(["--config", str(tmp_path / "config.toml"), *argv]))


def row_cells(table, row_key: str) -> dict:
    """One row's cells by column id."""
    return dict(zip(table.column_keys, table._cells[row_key]))


def cell_text(table, row_key: str, column: str) -> str:
    """What a row shows in the column with that id."""
    return table._cells[row_key][table.column_keys.index(column)].plain


def table_rows(table) -> list[dict]:
    """Every row's cells by column id, in the order the table shows them."""
    return [dict(zip(table.column_keys, table.get_row_at(row))) for row in range(table.row_count)]


def column_cells(table, column: str) -> list:
    """One column's cells, in the order the table shows the rows."""
    index = table.column_keys.index(column)
    return [table.get_row_at(row)[index] for row in range(table.row_count)]


def table_lines(app) -> list[str]:
    """What the current view's table shows on screen, line by line."""
    table = app.screen.table
    return [table.render_line(y).text for y in range(table.size.height)]


def _wait_for_closing_fleets(seconds: float = 5.0) -> None:
    """A quitting app closes its connections on a thread of its own. Changing the shared
    in-process test:///default while that thread deregisters its event callbacks can
    leave libvirt's event queue for that host dead: seen with libvirt 9.0, no later
    app or connection got an event from it (1 run in 4 of test_live_updates.py). So
    the next test's app, and the changes a test's teardown makes, wait for it and for
    the connections' own threads (the app has quit: every one left is closing)."""
    deadline = time.monotonic() + seconds
    for thread in threading.enumerate():
        if thread.name.startswith(("fleet-close", "libvirt-c")):
            thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture(autouse=True)
def connections_closed():
    yield
    _wait_for_closing_fleets()


@pytest.fixture
def fresh_default():
    """test:///default is one shared in-process host: put it back as it was."""
    conn = libvirt.open("test:///default")
    before = {d.name() for d in conn.listAllDomains()}
    yield conn
    _wait_for_closing_fleets()
    for dom in conn.listAllDomains():
        if dom.name() not in before:
            try:
                if dom.isActive():
                    dom.destroy()
                if dom.isPersistent():
                    # (the test driver takes no checkpoint or NVRAM flag)
                    dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
                                      | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
            except libvirt.libvirtError:
                pass
    left = sorted(d.name() for d in conn.listAllDomains() if d.name() not in before)
    assert not left, f"test:///default still holds {left} after the test"
    test = conn.lookupByName("test")
    if not test.isActive():
        test.create()
    for net in conn.listAllNetworks():
        if not net.isActive():
            net.create()
    for pool in conn.listAllStoragePools():
        if not pool.isActive():
            pool.create()
    conn.close()


@pytest.fixture(scope="session")
def node_1000(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("nodes") / "node-1000.xml"
    path.write_text(generate_node_xml(1000), encoding="utf-8")
    return f"test://{path}"
