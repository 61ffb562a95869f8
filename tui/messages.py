"""Typed messages from the backend to the UI, named for what happened."""

from __future__ import annotations

from textual.message import Message

from .backend.model import Update


class BackendUpdated(Message):
    """A connection reported something; posted from its worker thread."""

    def __init__(self, update: Update) -> None:
        super().__init__()
        self.update = update


class StatsArrived(Message):
    """Stats ticks are waiting in the App's inbox (one such message at a time)."""


class GuestActionFinished(Message):
    """One guest's part of a (possibly bulk) action; posted from a worker thread."""

    def __init__(self, batch: int, guest: str, error: str | None, note: str | None = None) -> None:
        super().__init__()
        self.batch = batch
        self.guest = guest
        self.error = error
        self.note = note


class ShellFactsRead(Message):
    """A host's shell-side facts (virt-host-validate, thin provisioning), read on a thread of their own."""

    def __init__(self, conn_id: str, facts) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.facts = facts


class CallFinished(Message):
    """A backend call made with `calls.ask` ended; `handler(result, error)` runs on the UI."""

    def __init__(self, handler, result, error: str | None) -> None:
        super().__init__()
        self.handler = handler
        self.result = result
        self.error = error


class JobProgressed(Message):
    """Long work moved on: `done` of `total` (bytes, or 0 of 0 when unknown)."""

    def __init__(self, done: int, total: int, text: str) -> None:
        super().__init__()
        self.done = done
        self.total = total
        self.text = text

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, JobProgressed)
