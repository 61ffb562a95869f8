"""The shared tick clock (sampler.next_tick): every host on the same moments, slow ones spread."""

import math

from hypothesis import given
from hypothesis import strategies as st

from tui.backend.sampler import SLOT_SECONDS, SLOTS, next_tick


@given(st.sampled_from([0.5, 1.0, 2.0, 5.0]), st.floats(1e6, 2e9), st.integers(0, 200), st.integers(1, 12))
def test_a_tick_lands_on_the_clock_in_its_slot_and_phase(interval, now, slot, every):
    delay, k = next_tick(interval, now, slot, every)
    offset = (slot % SLOTS) * min(SLOT_SECONDS, interval / 5 / SLOTS)
    assert math.isclose(now + delay - offset, k * interval, rel_tol=0, abs_tol=1e-6)
    assert k % every == slot % every
    assert interval / 2 - 1e-6 <= delay - offset <= interval * (every + 1) + 1e-6


def test_slow_hosts_spread_over_the_ticks():
    phases = {next_tick(1.0, 1000.25, slot, 5)[1] % 5 for slot in range(10)}
    assert phases == {0, 1, 2, 3, 4}
