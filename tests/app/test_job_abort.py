"""A job's abort goes to its connection's worker: it is not queued behind the long-call
threads, which may all be busy with other long work (a bulk start, a backup...)."""

from __future__ import annotations

import threading

from tui.backend.connection import LONG_CALL_THREADS
from tui.forms.job import JobScreen

from .conftest import make_app, wait_for


async def test_abort_reaches_a_job_while_every_long_call_thread_is_busy(tmp_path):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.inventory.guests, what="the test driver's guest")
        (connection,) = app.fleet.connections
        gate = threading.Event()
        busy: list[int] = []

        def hold(_conn, n: int) -> None:
            busy.append(n)
            gate.wait(20)

        aborted = threading.Event()
        try:
            for n in range(LONG_CALL_THREADS):
                connection.run_long(lambda conn, n=n: hold(conn, n), lambda _r, _e: None, action="held")
            await wait_for(pilot, lambda: len(busy) == LONG_CALL_THREADS, what="every long-call thread busy")

            outcome: list = []
            job = JobScreen(app.actions.jobs, "a job", connection, lambda _conn, _progress: aborted.wait(20),
                            abort=lambda _conn: aborted.set())
            app.push_screen(job, outcome.append)
            await wait_for(pilot, lambda: app.screen is job, what="the job on screen")
            await pilot.press("escape")
            await wait_for(pilot, aborted.is_set, what="the abort to run while the long-call threads are held")
            assert not gate.is_set() and len(busy) == LONG_CALL_THREADS
        finally:
            gate.set()
        await wait_for(pilot, lambda: outcome, timeout=20, what="the job to end once its threads are free")
        assert outcome == [(True, None)]
