"""Asking a connection for something from the UI and getting the answer back on the UI loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message_pump import MessagePump

from .backend.connection import Connection
from .backend.errors import error_text
from .messages import CallFinished

Then = Callable[[Any, "str | None"], None]


def ask(target: MessagePump, connection: Connection | None, fn: Callable, then: Then, action: str,
        long: bool = False, opens: str | None = None) -> None:
    """Run `fn(conn)` off the UI loop; `then(result, error_text)` runs later on the UI loop,
    delivered to `target` (which must mix in `AnswersCalls`).

    `opens` names the view `then` opens: keys typed until it is on screen wait for it."""
    gate = getattr(target.app, "key_gate", None) if opens else None
    if gate is not None:
        hold = gate.hold(opens)
        answer = then

        def then(result, error) -> None:
            try:
                answer(result, error)
            finally:
                gate.release(hold)

    if connection is None:
        target.post_message(CallFinished(then, None, "not connected"))
        return

    def done(result, error) -> None:  # on a backend thread
        target.post_message(CallFinished(then, result, None if error is None else error_text(error)))

    (connection.run_long if long else connection.call)(fn, done, action=action)


class AnswersCalls:
    """Mixin for widgets and screens that use `ask`."""

    def on_call_finished(self, message: CallFinished) -> None:
        message.stop()
        message.handler(message.result, message.error)
