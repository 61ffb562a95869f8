"""Running a lifecycle verb on one guest or every marked guest, and saying how it went."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .backend.connection import error_text
from .backend.model import Guest
from .backend.ops import guests as ops
from .messages import GuestActionFinished

if TYPE_CHECKING:
    from .app import VirtdeckApp

_batches = itertools.count(1)
LONG = frozenset({"start", "managed_save", "delete", "clone"})


@dataclass
class Batch:
    verb: str
    expected: int
    skipped: list[str]
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return len(self.done) + len(self.failed) >= self.expected

    def summary(self) -> tuple[str, str]:
        """(message, severity) for a toast."""
        verb = ops.VERBS[self.verb]
        parts = []
        if self.done:
            parts.append(f"{verb.past}: {', '.join(self.done)}")
        for name, error in self.failed:
            parts.append(f"{name}: {error}")
        parts.extend(self.notes)
        if self.skipped:
            parts.append(f"skipped: {'; '.join(self.skipped)}")
        severity = "error" if self.failed else "warning" if self.notes or (self.skipped and not self.done) else "information"
        return "\n".join(parts), severity


def launch(app: VirtdeckApp, verb: str, targets: list[Guest],
           work: Callable[[object, Guest], str | None] | None = None) -> int | None:
    """Start `verb` on every target it applies to; returns the batch id (None: nothing to do).

    `work(conn, guest)` does it (default: `ops.run`); what it returns is noted in the report.
    """
    applicable = [g for g in targets if ops.why_not(verb, g) is None]
    skipped = [reason for g in targets if (reason := ops.why_not(verb, g)) is not None]
    read_only = [g for g in applicable if app.inventory.hosts.get(g.conn_id) and app.inventory.hosts[g.conn_id].read_only]
    skipped += [f"{g.name}: {app.inventory.host_name(g.conn_id)} is read-only" for g in read_only]
    applicable = [g for g in applicable if g not in read_only]
    batch_id = next(_batches)
    batch = Batch(verb, len(applicable), skipped)
    if not applicable:
        app.notify("\n".join(skipped) or "nothing to do", title=ops.VERBS[verb].label, severity="warning",
                   markup=False)
        return None
    app.guest_batches[batch_id] = batch
    if verb in ("managed_save", "delete") or (verb == "start" and any(g.managed_save for g in applicable)):
        app.notify(f"{', '.join(g.name for g in applicable)}: working…", title=ops.VERBS[verb].label,
                   markup=False, timeout=3)
    for guest in applicable:
        connection = app.fleet.get(guest.conn_id) if app.fleet else None
        if connection is None:
            app.post_message(GuestActionFinished(batch_id, guest.name, "not connected"))
            continue

        def job(conn, guest=guest):
            return work(conn, guest) if work is not None else ops.run(conn, guest.uuid, verb)

        def done(result, error, guest=guest, connection=connection):
            text = None
            if error is not None:
                text = error_text(error)
            elif verb.startswith("autostart"):
                connection.refresh_guest(guest.uuid)
            app.post_message(GuestActionFinished(batch_id, guest.name, text, result if isinstance(result, str) else None))

        # Saving or restoring memory takes as long as the guest is big: off the worker,
        # so the host's events and stats go on meanwhile.
        run = connection.run_long if verb in LONG else connection.call
        run(job, done, action=ops.VERBS[verb].label)
    return batch_id


def finished(app: VirtdeckApp, message: GuestActionFinished) -> None:
    batch = app.guest_batches.get(message.batch)
    if batch is None:
        return
    if message.error is None:
        batch.done.append(message.guest)
        if message.note:
            batch.notes.append(f"{message.guest}: {message.note}")
    else:
        batch.failed.append((message.guest, message.error))
    if batch.finished:
        del app.guest_batches[message.batch]
        text, severity = batch.summary()
        app.notify(text, title=ops.VERBS[batch.verb].label, severity=severity, markup=False,
                   timeout=10 if batch.failed else 4)
        app.last_batch = batch
