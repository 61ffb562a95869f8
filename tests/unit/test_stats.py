"""Rate math on bulk-stat records: resets, missing keys, new devices, time going backwards."""

from hypothesis import given
from hypothesis import strategies as st

from tui.backend.stats import HostCpuSample, Sample, compute, counter_rate, host_cpu_percent, memory

counters = st.integers(min_value=0, max_value=2**62)
seconds = st.floats(min_value=-10, max_value=1000, allow_nan=False)


def record(cpu=0, vcpus=2, disks=(("vda", 0, 0, 0, 0),), nics=(("vnet0", 0, 0),), **extra):
    rec = {"state.state": 1, "cpu.time": cpu, "vcpu.current": vcpus, "vcpu.maximum": vcpus,
           "block.count": len(disks), "net.count": len(nics)}
    for i, (name, rb, wb, rr, wr) in enumerate(disks):
        rec.update({f"block.{i}.name": name, f"block.{i}.rd.bytes": rb, f"block.{i}.wr.bytes": wb,
                    f"block.{i}.rd.reqs": rr, f"block.{i}.wr.reqs": wr})
    for i, (name, rx, tx) in enumerate(nics):
        rec.update({f"net.{i}.name": name, f"net.{i}.rx.bytes": rx, f"net.{i}.tx.bytes": tx})
    rec.update(extra)
    return rec


def test_plain_rates():
    a = Sample(10.0, record(cpu=0, disks=(("vda", 0, 0, 0, 0),), nics=(("vnet0", 0, 0),)))
    b = Sample(12.0, record(cpu=3 * 10**9, disks=(("vda", 4096, 8192, 2, 4),), nics=(("vnet0", 1000, 500),)))
    stats = compute("c1", "u", a, b, host_cpus=8)
    assert stats.cpu_percent == 150.0  # 1.5 vCPUs busy of 2
    assert stats.host_cpu_percent == 150.0 / 8
    assert (stats.disk_read_bps, stats.disk_write_bps) == (2048, 4096)
    assert (stats.disk_read_iops, stats.disk_write_iops) == (1, 2)
    assert (stats.net_rx_bps, stats.net_tx_bps) == (500, 250)
    assert stats.disks[0].name == "vda" and stats.nics[0].name == "vnet0"


def test_first_sample_has_no_rates_but_memory():
    stats = compute("c1", "u", None, Sample(1.0, record(**{"balloon.current": 1024, "balloon.maximum": 2048})))
    assert stats.cpu_percent is None and stats.disk_read_bps is None
    assert (stats.memory_used, stats.memory_kind) == (1024 * 1024, "allocated")


def test_memory_prefers_what_the_guest_says():
    assert memory({"balloon.current": 4, "balloon.available": 4, "balloon.unused": 1, "balloon.rss": 3}) == (
        3 * 1024, 4 * 1024, "used")
    assert memory({"balloon.current": 4, "balloon.rss": 3}) == (3 * 1024, 4 * 1024, "rss")
    assert memory({"balloon.current": 4}) == (4 * 1024, 4 * 1024, "allocated")
    assert memory({}) == (None, None, "allocated")


def test_new_and_removed_devices():
    a = Sample(0.0, record(disks=(("vda", 100, 100, 1, 1),), nics=()))
    b = Sample(1.0, record(disks=(("vda", 200, 100, 2, 1), ("vdb", 10**9, 10**9, 5, 5)), nics=(("vnet1", 9, 9),)))
    stats = compute("c1", "u", a, b)
    by_name = {d.name: d for d in stats.disks}
    assert by_name["vda"].read_bps == 100
    assert by_name["vdb"].read_bps is None  # new device: no history yet
    assert stats.disk_read_bps == 100
    assert stats.nics[0].rx_bps is None and stats.net_rx_bps is None


def test_one_device_swapped_for_another_at_the_same_place_gives_no_rate():
    a = Sample(0.0, record(disks=(("vda", 100, 100, 1, 1),), nics=(("vnet0", 5, 5),)))
    b = Sample(1.0, record(disks=(("vdb", 900, 900, 9, 9),), nics=(("vnet7", 50, 50),)))
    stats = compute("c1", "u", a, b)
    assert [(d.name, d.read_bps, d.write_iops) for d in stats.disks] == [("vdb", None, None)]
    assert [(n.name, n.rx_bps) for n in stats.nics] == [("vnet7", None)]
    moved = Sample(1.0, record(disks=(("vdb", 0, 0, 0, 0), ("vda", 300, 100, 2, 1)), nics=(("vnet0", 5, 5),)))
    stats = compute("c1", "u", a, moved)
    assert {d.name: d.read_bps for d in stats.disks} == {"vdb": None, "vda": 200}


def test_missing_keys_give_no_rate():
    stats = compute("c1", "u", Sample(0, {"state.state": 1}), Sample(1, {"state.state": 1}))
    assert stats.cpu_percent is None and stats.disks == () and stats.vcpus is None


@given(counters, counters, seconds)
def test_counter_rate_never_negative(before, after, dt):
    rate = counter_rate(before, after, dt)
    assert rate is None or rate >= 0
    if dt <= 0 or after < before:
        assert rate is None


@given(
    st.lists(st.tuples(st.floats(min_value=-5, max_value=5, allow_nan=False), counters, counters, counters,
                       st.integers(min_value=1, max_value=64)), min_size=2, max_size=20),
)
def test_sequences_with_resets_and_clock_jumps(steps):
    clock = 100.0
    previous = None
    for dt, cpu, rd, rx, vcpus in steps:
        clock += dt
        current = Sample(clock, record(cpu=cpu, vcpus=vcpus, disks=(("vda", rd, rd, rd, rd),), nics=(("n", rx, rx),)))
        stats = compute("c", "u", previous, current, host_cpus=4)
        for value in (stats.disk_read_bps, stats.disk_write_iops, stats.net_rx_bps, stats.net_tx_bps):
            assert value is None or value >= 0
        if stats.cpu_percent is not None:
            assert 0 <= stats.cpu_percent <= 100 * vcpus
            assert 0 <= stats.host_cpu_percent <= 100
        if previous is not None and current.at <= previous.at:
            assert stats.cpu_percent is None and stats.disk_read_bps is None
        previous = current


@given(st.integers(min_value=1, max_value=16), st.lists(counters, min_size=1, max_size=16), st.floats(0.01, 100))
def test_per_vcpu_percent_bounded(n, times, dt):
    before = {"vcpu.current": n, **{f"vcpu.{i}.time": 0 for i in range(n)}}
    after = {"vcpu.current": n, **{f"vcpu.{i}.time": times[i % len(times)] for i in range(n)}}
    stats = compute("c", "u", Sample(0, before), Sample(dt, after))
    assert len(stats.vcpu_percent) == n
    assert all(p is None or 0 <= p <= 100 for p in stats.vcpu_percent)


def test_host_cpu_percent():
    a = HostCpuSample(0, {"kernel": 0, "user": 0, "idle": 0, "iowait": 0})
    b = HostCpuSample(1, {"kernel": 10, "user": 30, "idle": 50, "iowait": 10})
    assert host_cpu_percent(a, b) == 40.0
    assert host_cpu_percent(None, b) is None
    assert host_cpu_percent(b, a) is None  # went backwards
