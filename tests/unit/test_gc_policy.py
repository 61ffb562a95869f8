import gc

import pytest

from tui import gc_policy


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_tune_raises_the_young_generation_and_keeps_the_others(thresholds):
    gc.set_threshold(700, 11, 12)
    gc_policy.tune()
    assert gc.get_threshold() == (gc_policy.YOUNG, 11, 12)


def test_tune_lowers_nothing_and_leaves_a_disabled_collector_alone(thresholds):
    gc.set_threshold(gc_policy.YOUNG * 3, 10, 10)
    gc_policy.tune()
    assert gc.get_threshold() == (gc_policy.YOUNG * 3, 10, 10)
    gc.set_threshold(0, 10, 10)
    gc_policy.tune()
    assert gc.get_threshold() == (0, 10, 10)
