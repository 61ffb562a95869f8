import gc

import pytest

from tui import gc_policy


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    yield
    gc_policy.started()
    gc.set_threshold(*saved)


def test_starting_raises_the_young_generation_and_started_puts_it_back(thresholds):
    gc.set_threshold(700, 11, 12)
    gc_policy.starting()
    assert gc.get_threshold() == (gc_policy.STARTING_YOUNG, 11, 12)
    gc_policy.starting()  # a second App in the same process: still the thresholds from before
    gc_policy.started()
    assert gc.get_threshold() == (700, 11, 12)
    gc_policy.started()
    assert gc.get_threshold() == (700, 11, 12)


def test_starting_lowers_nothing_and_leaves_a_disabled_collector_alone(thresholds):
    gc.set_threshold(gc_policy.STARTING_YOUNG * 3, 10, 10)
    gc_policy.starting()
    gc_policy.started()
    assert gc.get_threshold() == (gc_policy.STARTING_YOUNG * 3, 10, 10)
    gc.set_threshold(0, 10, 10)
    gc_policy.starting()
    assert gc.get_threshold() == (0, 10, 10)


def test_started_hands_the_free_heap_back_once(thresholds, monkeypatch):
    calls = []
    monkeypatch.setattr(gc_policy, "release_free_heap", lambda: calls.append(1))
    gc.set_threshold(700, 10, 10)
    gc_policy.starting()
    gc_policy.started()
    gc_policy.started()
    assert calls == [1]


def test_release_free_heap_runs():
    gc_policy.release_free_heap()  # glibc's malloc_trim here; elsewhere nothing
