"""A bulk action on many guests runs on its connection's few long-call threads,
never a thread per guest, and still reaches every guest."""

from __future__ import annotations

import threading

import libvirt

from tests.testbed.gen_node import SHUTOFF, TEST_NS, generate_node_tree
from tui.actions import guests as guest_actions
from tui.backend.connection import LONG_CALL_THREADS
from tui.backend.ops import guests as ops

from .conftest import make_app, wait_for

GUESTS = 30


def shut_off_node(tmp_path) -> str:
    """A test-driver host with GUESTS guests, every one shut off."""
    tree = generate_node_tree(GUESTS)
    for runstate in tree.getroot().iter(f"{{{TEST_NS}}}runstate"):
        runstate.text = str(SHUTOFF)
    path = tmp_path / "node.xml"
    tree.write(path, encoding="unicode")
    return f"test://{path}"


def threads_named(prefix: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith(prefix)]


async def test_bulk_start_of_30_guests_runs_on_a_bounded_pool(tmp_path):
    app = make_app(tmp_path, "-c", shut_off_node(tmp_path))
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: len(app.inventory.guests) == GUESTS
                       and all(g.state == "shut off" for g in app.inventory.guests.values()),
                       what=f"{GUESTS} shut-off guests")
        (connection,) = app.fleet.connections
        prefix = f"long-{connection.conn_id}-"
        targets = sorted(app.inventory.guests.values(), key=lambda g: g.name)

        # Watch the process's threads for the whole action.
        counts: list[int] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                counts.append(len(threads_named(prefix)))
                stop.wait(0.001)

        watcher = threading.Thread(target=watch, name="test-watch", daemon=True)
        watcher.start()

        # Each start is held until the test lets go, so whatever runs at once stays alive.
        gate = threading.Event()
        begun: list[str] = []

        def held_start(conn, guest):
            begun.append(guest.name)
            gate.wait(10)
            return ops.run(conn, guest.uuid, "start")

        try:
            batch = guest_actions.launch(app, "start", targets, work=held_start)
            await wait_for(pilot, lambda: len(begun) >= LONG_CALL_THREADS,
                           what=lambda: f"{LONG_CALL_THREADS} starts under way, not {len(begun)}")
            assert len(threads_named(prefix)) == LONG_CALL_THREADS
            assert len(begun) == LONG_CALL_THREADS  # the other starts wait their turn
            gate.set()
            await wait_for(pilot, lambda: batch not in app.guest_batches, timeout=20,
                           what=lambda: f"the batch to finish ({len(begun)} begun)")
        finally:
            gate.set()
            stop.set()
            watcher.join(5)

        assert max(counts) == LONG_CALL_THREADS
        assert sorted(begun) == [g.name for g in targets]
        assert app.last_batch.failed == [] and sorted(app.last_batch.done) == [g.name for g in targets]
        conn = connection.handle()
        states = {dom.name(): dom.state()[0] for dom in conn.listAllDomains()}
        assert states == {g.name: libvirt.VIR_DOMAIN_RUNNING for g in targets}
        # Nothing left to run: the threads end.
        await wait_for(pilot, lambda: not threads_named(prefix), what="the long-call threads to end")
