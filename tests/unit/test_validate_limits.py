"""Limits the forms check as typed: sizes libvirt and QEMU can hold, vCPUs, memory a host
could back, and directories a pool may own (tui.backend.validate)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tui.backend import validate as v

GIB = 1024**3
UNITS = ["", "B", "K", "M", "G", "T", "P", "E", "Z", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "KB", "GB", "TB",
         "EB", "x"]
numbers = st.one_of(
    st.integers(min_value=0, max_value=10**30).map(str),
    st.decimals(min_value=0, max_value=10**25, allow_nan=False, allow_infinity=False, places=3).map(str),
    st.text(alphabet="0123456789.", min_size=1, max_size=120),
)


@given(numbers, st.sampled_from(UNITS), st.sampled_from(["", " "]))
def test_any_size_parses_to_what_libvirt_stores_or_is_refused_with_words(number, unit, space):
    value, error = v.parse_size(f"{number}{space}{unit}")
    assert (value is None) != (error is None)
    if value is not None:
        assert 1 <= value <= v.SIZE_MAX  # libvirt's unsigned long long of bytes
    else:
        assert error and error[0].isupper()


@given(numbers, st.sampled_from(UNITS), st.sampled_from(["qcow2", "raw", None]))
def test_a_volume_size_fits_its_format_or_says_the_limit(number, unit, fmt):
    value, error = v.parse_volume_size(f"{number}{unit}", fmt)
    assert (value is None) != (error is None)
    if value is not None:
        assert value <= (v.QCOW2_MAX if fmt == "qcow2" else v.IMAGE_MAX)


def test_sizes_past_what_libvirt_or_qemu_hold_say_which_limit():
    value, error = v.parse_size("99999999999T")  # the reported "malformed capacity element"
    assert value is None and "16 EiB" in error and "64-bit" in error
    assert v.parse_size("16E")[0] is None  # 2**64 bytes: one past the largest
    assert v.parse_size(str(v.SIZE_MAX))[0] == v.SIZE_MAX
    assert v.parse_size("9" * 5000)[0] is None  # past int()'s digit limit: words, not a ValueError
    value, error = v.parse_volume_size("3P", "qcow2")
    assert value is None and "2 PiB" in error and "qcow2" in error
    assert v.parse_volume_size("2P", "qcow2")[0] == 2**51  # qemu-img makes this one
    value, error = v.parse_volume_size("9E", "raw")
    assert value is None and "8 EiB" in error
    assert v.parse_volume_size("20G", "raw") == (20 * GIB, None)


def test_vcpus_above_the_hypervisor_maximum_are_refused_with_its_figure():
    value, error = v.parse_vcpus("99999", 32)
    assert value is None and error.startswith("At most 32 vCPUs")
    value, error = v.parse_vcpus("100000000000000000000")
    assert value is None and "libvirt" in error
    assert v.parse_vcpus("32", 32) == (32, None)


def test_memory_limit_is_a_multiple_of_what_the_host_backs():
    limit, why = v.memory_limit(16 * GIB, 1.5)
    assert limit == int(16 * GIB * 1.5 * v.MEMORY_HARD_FACTOR)
    assert "16 GiB" in why and "1.5" in why
    assert v.memory_limit(16 * GIB, 0.5)[0] == 16 * GIB * v.MEMORY_HARD_FACTOR  # never below the host's memory
    limit, why = v.memory_limit(16 * GIB)
    value, error = v.parse_memory("99999T", limit, why=why)
    assert value is None and error.startswith("At most 64 GiB: 4 ×")
    assert v.memory_limit(None)[0] == v.MEMORY_MAX
    assert v.parse_memory("9E")[0] is None  # past libvirt's own ceiling, host unknown
    assert v.parse_memory("48G", v.memory_limit(16 * GIB)[0])[0] == 48 * GIB


def test_pool_paths_are_normalised_and_system_directories_refused():
    assert v.normalize_host_path("//pool-dir") == "/pool-dir"
    assert v.normalize_host_path("/srv//vm/./images/") == "/srv/vm/images"
    assert v.normalize_host_path("///") == "/"
    for path in ("/", "//", "/etc", "/var/", "/usr", "/boot", "/lib64", "/proc", "//sys"):
        assert v.check_pool_dir(path), path
    assert "kernel" in v.check_pool_dir("/proc/vm")
    assert "absolute" in v.check_pool_dir("images")
    for path in ("/var/lib/libvirt/images/pool", "/srv/vm", "//pool-dir", "/mnt/nfs"):
        assert v.check_pool_dir(path) is None, path


@given(st.lists(st.sampled_from(["", "a", "b c", ".", "é"]), max_size=6), st.booleans())
def test_normalising_is_idempotent_and_keeps_no_double_slash(parts, trailing):
    path = "/" + "//".join(parts) + ("/" if trailing else "")
    once = v.normalize_host_path(path)
    assert v.normalize_host_path(once) == once
    assert "//" not in once and (once == "/" or not once.endswith("/"))
