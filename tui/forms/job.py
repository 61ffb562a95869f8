"""Long work (migrate, backup, save to a file) with a progress bar; escape asks to abort."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import ProgressBar, Static

from ..actions.jobs import JobActions, Progress
from ..calls import AnswersCalls, Then
from ..messages import JobProgressed
from ..render.cells import size_text
from ..widgets.footer import KeyFooter
from .dialog import DialogScreen
from .frame import Escape

Work = Callable[[Any, Progress], Any]  # (conn, progress) -> result, on a thread of its own
IN_BACKGROUND = "still running in the background"


class JobScreen(AnswersCalls, DialogScreen):
    """Runs `work` on a thread of its own through `jobs` (the opener's `actions.jobs`, whose
    `connection(conn_id)` gives `connection`); dismisses with (result, error text)."""

    ESCAPE = Escape("Abort", id="job.abort", action="abort")
    WIDTH, PADDED = 80, True
    DEFAULT_CSS = """
    JobScreen ProgressBar { margin: 1 0; }
    """

    def __init__(self, jobs: JobActions, title: str, connection, work: Work,
                 abort: Callable[[Any], None] | None = None) -> None:
        super().__init__()
        self.jobs = jobs
        self.job_title = title
        self.connection = connection
        self.work = work
        self.abort = abort
        self.started = time.monotonic()
        self.aborting = False

    def compose(self) -> ComposeResult:
        with self.frame(self.job_title):
            yield Static(Text("starting…"), id="job-status")
            yield ProgressBar(total=None, show_eta=False, id="job-bar")
            hint = "escape: abort" if self.abort is not None else "this cannot be aborted; it goes on after escape"
            yield Static(Text(hint, style="dim"), id="job-hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        def progress(done: int, total: int, what: str) -> None:  # on the work's thread
            self.post_message(JobProgressed(done, total, what))

        self.jobs.run(self, self.connection, self.work, progress, self._ended, self.job_title)

    def on_job_progressed(self, message: JobProgressed) -> None:
        bar = self.query_one(ProgressBar)
        elapsed = time.monotonic() - self.started
        if message.total:
            bar.update(total=message.total, progress=message.done)
            rate = message.done / elapsed if elapsed > 0 else 0
            text = f"{message.text}: {size_text(message.done)} of {size_text(message.total)}, {size_text(rate)}/s"
        else:
            text = message.text
        if self.aborting:
            text += " (aborting…)"
        self.query_one("#job-status", Static).update(Text(text))

    def _ended(self, result, error: str | None) -> None:
        self.dismiss((result, error))

    def action_abort(self) -> None:
        if self.abort is None:
            self.dismiss((None, IN_BACKGROUND))
            return
        if self.aborting:
            return
        self.aborting = True
        self.query_one("#job-hint", Static).update(Text("aborting…", style="bold"))
        self.jobs.abort(self, self.connection, self.abort)


def run_for_form(app, job: JobScreen, finish: Callable[[str | None], None], report: Then) -> None:
    """Run `job` over the form whose `performing` (or `work`) started it: `report(result, error)`
    says how it went, then `finish(error)` closes the form when it worked and otherwise leaves it
    on screen with the error and the input as typed. A job left to run on after escape closes the
    form too: its outcome is no longer known here."""

    def ended(outcome: tuple[Any, str | None]) -> None:
        result, error = outcome
        if error == IN_BACKGROUND:
            app.notify(f"{job.job_title}: {IN_BACKGROUND}", severity="warning", markup=False)
            finish(None)
            return
        report(result, error)
        finish(error)

    app.push_screen(job, ended)
