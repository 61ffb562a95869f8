import math

from hypothesis import given
from hypothesis import strategies as st

from tui.backend.history import SERIES, History
from tui.backend.stats import GuestStats


@given(st.integers(min_value=1, max_value=50),
       st.lists(st.tuples(*[st.one_of(st.none(), st.floats(-1e6, 1e6))] * len(SERIES)), max_size=200))
def test_each_series_keeps_the_newest(size, samples):
    history = History()
    history.size = size
    fields = ("cpu_percent", "memory_used", "disk_read_bps", "disk_write_bps", "net_rx_bps", "net_tx_bps")
    for at, figures in enumerate(samples, start=1):
        history.add([GuestStats("c", "u", at=at * history.interval, **dict(zip(fields, figures)))])
    guest = history.guests.get(("c", "u"))
    # a guest's history starts with its first sample that has a CPU or memory figure
    known = next((i for i, f in enumerate(samples) if f[0] is not None or f[1] is not None), len(samples))
    kept = samples[known:][-size:]
    if guest is None:
        assert not kept
        return
    for index, name in enumerate(SERIES):
        got = guest.series[name].values()
        assert len(got) == len(kept) == len(guest.series[name])
        for figures, have in zip(kept, got):
            want = figures[index]
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
