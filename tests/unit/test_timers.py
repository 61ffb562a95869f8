"""The connections' one timer thread (backend/timers.py)."""

import threading

from tui.backend.timers import Timers


def test_timers_fire_in_order_of_time_and_a_cancelled_one_never():
    timers, fired, done = Timers("test-timers"), [], threading.Event()
    timers.call_later(0.06, fired.append, "late")
    cancelled = timers.call_later(0.02, fired.append, "cancelled")
    timers.call_later(0.01, fired.append, "early")
    timers.call_later(0.08, done.set)
    cancelled.cancel()
    assert done.wait(5)
    assert fired == ["early", "late"]
    assert not cancelled.pending()


def test_a_failing_callback_does_not_stop_the_others():
    timers, done = Timers("test-timers"), threading.Event()
    timers.call_later(0.0, lambda: 1 / 0)
    timers.call_later(0.01, done.set)
    assert done.wait(5)


def test_a_sooner_timer_wakes_the_thread_waiting_for_a_later_one():
    timers, done = Timers("test-timers"), threading.Event()
    timers.call_later(60, done.set)
    soon = threading.Event()
    timers.call_later(0.01, soon.set)
    assert soon.wait(5)
    assert not done.is_set()
