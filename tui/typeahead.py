"""Keys are handled one at a time, each against the state the keys before it produced.

Textual hands a key from the terminal to the focused widget and goes on to the
next key at once; the first key's binding runs later, after the key bubbled
back up. A word typed in one read (as SSH delivers it) reaches the old focus
before `/` has moved focus to the filter box, or a list's bindings before `n`
has opened its form. The gate lets one key through, waits until every message
that key caused has been handled (focus moved, a screen pushed and mounted,
a mode switched), then lets the next one through.

A view that opens only after a backend call (a dialog that first lists a
guest's disks) holds the gate until it is on screen: keys typed meanwhile are
for it. If the host does not answer in time those keys are dropped, with a
word, rather than handed to the screen underneath. `escape` stops the wait at
once: the keys typed before it are dropped and the escape itself goes through.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events
from textual.message_pump import MessagePump

from .widgets.text_fields import text_field_blocks

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger(__name__)

HOLD_SECONDS = 5.0
_MAX_ROUNDS = 40
_ROUND_TIMEOUT = 1.0


class Hold:
    """A view is opening; keys wait for it."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.since = time.monotonic()
        self.done = False


class KeyGate:
    def __init__(self, app: App, notify: Callable[[str], None]) -> None:
        self.app = app
        self._notify = notify
        self._backlog: deque[events.Key] = deque()
        self._busy = False
        self._holds: list[Hold] = []
        self._passes: set[int] = set()
        self._task: asyncio.Task | None = None

    # -- called from App.on_event --------------------------------------------

    def admit(self, event: events.Key) -> bool:
        """Whether `event` (fresh from the terminal) is handled now; if not, it waits its turn."""
        if id(event) in self._passes:
            self._passes.discard(id(event))
            return True
        if event.key == "escape" and self._holds:
            self._drop(f"{self._holds[0].what}: escape")
        if self._busy or self._backlog or self._holds:
            self._backlog.append(event)
            return False
        self._busy = True
        return True

    def handled(self, event: events.Key | None = None) -> None:
        """The admitted key went out to the app; watch for it to settle.

        A key the focused text field keeps (a character, a cursor move) neither moves focus
        nor opens a view, so the next key follows at once: it reaches the same field's queue
        after this one. Settling after each character cost a form of 400 widgets about half
        a second a key."""
        if event is not None and not self._holds and text_field_blocks(self.app, event.key):
            self._busy = False
            self._next()
            return
        self._task = asyncio.create_task(self._settle())

    # -- views that open after a backend call ----------------------------------

    def hold(self, what: str) -> Hold:
        hold = Hold(what)
        self._holds.append(hold)
        self.app.set_timer(HOLD_SECONDS, lambda: self._expire(hold))
        return hold

    def release(self, hold: Hold) -> None:
        if hold.done:
            return
        hold.done = True
        if hold in self._holds:
            self._holds.remove(hold)
        if not self._busy:
            self._busy = True
            self._task = asyncio.create_task(self._settle())

    def _expire(self, hold: Hold) -> None:
        if hold.done:
            return
        self._drop(f"{hold.what}: no answer yet")

    def _drop(self, why: str) -> None:
        dropped = len(self._backlog)
        self._backlog.clear()
        for hold in self._holds:
            hold.done = True
        self._holds.clear()
        if dropped:
            self._notify(f"{why}; {dropped} key(s) typed meanwhile were dropped")
        log.info("key gate: %s (%d keys dropped)", why, dropped)

    # -- settling ----------------------------------------------------------------

    async def _settle(self) -> None:
        try:
            await settled(self.app)
        except Exception:  # the gate must never stop the keys
            log.exception("key gate: settling failed")
        self._busy = False
        self._next()

    def _next(self) -> None:
        if self._busy or self._holds or not self._backlog:
            return
        key = self._backlog.popleft()
        self._busy = True
        self._passes.add(id(key))
        if not self.app.post_message(key):
            self._passes.discard(id(key))
            self._busy = False


def _pumps(app: App) -> list:
    try:
        screen = app.screen
    except Exception:
        return [app]
    return [app, *screen.walk_children(with_self=True)]


_PARKED = MessagePump._get_message.__code__


def _busy(pump: MessagePump) -> bool:
    """A message waits in the pump's queue, callbacks are due after it, or its task is
    anywhere but parked on the queue (a handler is running or awaits something)."""
    if not pump._message_queue.empty() or pump._next_callbacks:
        return True
    task = pump._task
    if task is None or task.done():
        return False
    awaited = task.get_coro()
    while awaited is not None:
        if getattr(awaited, "cr_code", None) is _PARKED:
            return False
        awaited = getattr(awaited, "cr_await", None)
    return True


def _quiet(app: App, pumps: list) -> bool:
    try:
        screen = app.screen
    except Exception:
        return True
    if not screen.is_mounted:
        return False
    return not any(_busy(pump) for pump in pumps)


async def _barrier(pumps: list) -> None:
    """Returns once every pump of the app and its screen handled what was queued before.

    Only the app, its screen and the pumps with work in hand are asked: a widget with
    nothing queued has nothing to finish, and asking each of a form's 400 widgets made a
    round cost tens of milliseconds. What the asked ones start elsewhere is seen by the
    next `_quiet`. `pumps` is what `_pumps` gave, the app and its screen first."""
    pending = 0
    all_done = asyncio.Event()

    def one_done() -> None:
        nonlocal pending
        pending -= 1
        if pending == 0:
            all_done.set()

    for index, pump in enumerate(pumps):
        if index > 1 and not _busy(pump):
            continue
        if not (pump._closing or pump._closed) and pump.call_later(one_done):
            pending += 1
    if pending:
        try:
            await asyncio.wait_for(all_done.wait(), _ROUND_TIMEOUT)
        except asyncio.TimeoutError:
            pass


def _shape(app: App, pumps: list) -> tuple:
    """What a key can change that the next key depends on."""
    try:
        screen = app.screen
    except Exception:
        return ()
    return (tuple(id(s) for s in app.screen_stack), app.current_mode, id(app.focused), screen.is_mounted,
            len(pumps))


async def settled(app: App) -> None:
    """Wait until a key's effects have played out: two quiet rounds in a row, or (while
    something streams, such as a console flood) three rounds in which nothing that
    routes keys changed."""
    quiet = stable = 0
    pumps = _pumps(app)  # walked once a round: a form has hundreds of widgets
    shape = _shape(app, pumps)
    t0 = time.monotonic()
    for _round in range(_MAX_ROUNDS):
        await _barrier(pumps)
        pumps = _pumps(app)
        quiet = quiet + 1 if _quiet(app, pumps) else 0
        now = _shape(app, pumps)
        stable = stable + 1 if now == shape else 0
        shape = now
        if quiet == 2 or stable == 3:
            log.debug("settled in %d rounds, %.3f s", _round + 1, time.monotonic() - t0)
            return
    log.debug("not settled %.3f s", time.monotonic() - t0)
