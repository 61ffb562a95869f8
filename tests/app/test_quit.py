"""Quitting never waits on a host: connections close on a thread of their own after the UI
is gone, and that thread gives up on a stuck one after a bounded wait.

The stuck host is a real libvirt call on the connection's worker (test:///default)
that blocks on an Event the test holds: the claims are about order (close returned,
the app exited, while that call was still blocked), not about a measured time.
"""

from __future__ import annotations

import threading
import time

from tui.backend.fleet import Fleet
from tui.backend.model import ConnState, HostChanged

from .conftest import make_app, wait_for


def connected_fleet():
    connected = threading.Event()

    def sink(update) -> None:
        if isinstance(update, HostChanged) and update.host.state == ConnState.CONNECTED:
            connected.set()

    fleet = Fleet(sink)
    connection = fleet.add("test:///default")
    assert connected.wait(10), "test:///default did not connect"
    return fleet, connection


def stick(connection) -> tuple[threading.Event, threading.Event]:
    """Make the connection's worker block inside a call until the returned `release` is set."""
    entered, release = threading.Event(), threading.Event()

    def blocked(conn):
        conn.getHostname()  # a real call first, then the host "hangs"
        entered.set()
        release.wait(60)

    connection.call(blocked, lambda _result, _error: None, action="hang")
    assert entered.wait(10), "the worker never started the call"
    return entered, release


def test_close_returns_while_a_worker_is_stuck_and_gives_up_after_its_bound():
    fleet, connection = connected_fleet()
    _entered, release = stick(connection)
    try:
        started = time.monotonic()
        closer = fleet.close(wait=0.3)
        returned = time.monotonic() - started
        # Returned while the call is still blocked: close itself waits on nothing.
        assert connection.busy_for() > 0
        assert returned < 1.0, f"close took {returned:.2f} s"
        closer.join(10)
        assert not closer.is_alive(), "the closing thread outlived its bound"
        assert not closer.daemon  # the interpreter waits for it at exit (no longer than its bound)
        assert connection.busy_for() > 0 and connection.connected  # the stuck worker was left behind
    finally:
        release.set()
    # Once the host answers, the worker still closes its connection.
    connection.join(10)
    assert not connection.connected


def test_close_of_healthy_connections_finishes_within_the_bound():
    fleet, connection = connected_fleet()
    then_ran = threading.Event()
    closer = fleet.close(wait=5.0, then=then_ran.set)
    closer.join(10)
    assert not closer.is_alive()
    assert not connection.connected and then_ran.is_set()


async def test_the_app_exits_while_a_host_call_is_stuck(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.fleet is not None and all(c.connected for c in app.fleet.connections),
                       what="connected")
        connection = app.fleet.connections[0]
        _entered, release = stick(connection)
        started = time.monotonic()
        await pilot.press("q")
    took = time.monotonic() - started
    try:
        # run_test is over: the app unmounted, closed the fleet and returned, the call still blocked.
        assert app.return_code == 0
        assert connection.busy_for() > 0
        # Generous: it used to wait 2 s for the stuck worker with the screen still up.
        assert took < 1.5, f"quitting took {took:.2f} s"
    finally:
        release.set()
