"""One thread that runs every connection's timers (stats ticks, retries, resyncs).

A timer's callback must return at once: the connections' callbacks only put a job on
their worker's queue. A thread per timer cost a thread start per host per tick.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Timer:
    __slots__ = ("at", "fn", "args", "cancelled")

    def __init__(self, at: float, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.at, self.fn, self.args, self.cancelled = at, fn, args, False

    def cancel(self) -> None:
        self.cancelled = True

    def pending(self) -> bool:
        return not self.cancelled and self.fn is not None


class Timers:
    def __init__(self, name: str = "timers") -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._name = name
        self._thread: threading.Thread | None = None

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer(time.monotonic() + max(0.0, delay), fn, args)
        with self._changed:
            heapq.heappush(self._heap, (timer.at, next(self._order), timer))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            if self._heap[0][2] is timer:
                self._changed.notify()
        return timer

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._changed.wait(None if not self._heap else self._heap[0][0] - time.monotonic())
                _at, _order, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            fn, args = timer.fn, timer.args
            timer.fn, timer.args = None, ()  # fired: hold nothing of it
            try:
                fn(*args)
            except Exception:  # a callback's bug must not stop every other timer
                log.exception("timer callback failed")


timers = Timers()
