import math

from hypothesis import given
from hypothesis import strategies as st

from tui.backend.history import History, Ring
from tui.backend.stats import GuestStats


@given(st.integers(min_value=1, max_value=50), st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), max_size=200))
def test_ring_keeps_the_newest(size, values):
    ring = Ring(size)
    for value in values:
        ring.append(value)
    kept = values[-size:] if values else []
    got = ring.values()
    assert len(got) == len(kept)
    for want, have in zip(kept, got):
        if want is None:
            assert math.isnan(have)
        else:
            assert math.isclose(have, want, rel_tol=1e-6, abs_tol=1e-1)


def test_history_ignores_stale_samples_and_forgets():
    history = History(seconds=10, interval=2)
    assert history.size == 5
    history.add([GuestStats("c", "u", at=2.0, cpu_percent=10.0)])
    history.add([GuestStats("c", "u", at=1.0, cpu_percent=99.0)])  # older: dropped
    history.add([GuestStats("c", "u", at=4.0, cpu_percent=20.0)])
    assert history.guests[("c", "u")].series["cpu"].values() == [10.0, 20.0]
    history.forget(set())
    assert not history.guests


def test_a_sample_after_several_intervals_fills_each_of_them():
    # An off-screen guest is sampled every 5 s at a 1 s refresh: its ring keeps a place
    # per second, each holding the average the slow sample measured.
    history = History(seconds=20, interval=1)
    history.add([GuestStats("c", "u", at=10.0, cpu_percent=10.0)])
    history.add([GuestStats("c", "u", at=15.1, cpu_percent=40.0)])
    history.add([GuestStats("c", "u", at=16.0, cpu_percent=50.0)])
    assert history.guests[("c", "u")].series["cpu"].values() == [10.0, 40.0, 40.0, 40.0, 40.0, 40.0, 50.0]
