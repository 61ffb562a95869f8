"""Whether a copy or a new volume fits in its pool, and the words that say so."""

from __future__ import annotations

from tui.forms.pool_space import copy_need, new_volume_space, shortfalls

GIB = 1 << 30


def test_a_thin_qcow2_copy_needs_its_allocation_anything_else_its_capacity() -> None:
    assert copy_need("vda", "default", 40 * GIB, 12 * GIB, "qcow2").bytes == 12 * GIB
    assert copy_need("vdb", "default", 40 * GIB, 40 * GIB, "raw").bytes == 40 * GIB
    full = copy_need("vda", "default", 40 * GIB, 12 * GIB, "qcow2", allocates_in_full=True)
    assert full.bytes == 40 * GIB and "allocates a new volume in full" in full.what


def test_shortfalls_add_up_the_copies_of_each_pool() -> None:
    needs = [copy_need("vda", "default", 40 * GIB, 6 * GIB, "qcow2"),
             copy_need("vdb", "default", 4 * GIB, 4 * GIB, "raw"),
             copy_need("vdc", "fast", 2 * GIB, 2 * GIB, "raw")]
    assert shortfalls(needs, {"default": 10 * GIB, "fast": 5 * GIB}) == []
    (problem,) = shortfalls(needs, {"default": 9 * GIB, "fast": 5 * GIB})
    assert problem.startswith("pool default has 9 GiB free; the copies need 10 GiB (vda: 6 GiB")
    assert shortfalls(needs, {}) == []  # a pool we know nothing of is not refused


def test_a_new_volume_preallocated_must_fit_a_thin_one_is_only_warned_about() -> None:
    assert new_volume_space(10 * GIB, True, 20 * GIB) == (None, None)
    refused, warning = new_volume_space(30 * GIB, True, 20 * GIB)
    assert "does not fit (preallocated)" in refused and warning is None
    refused, warning = new_volume_space(30 * GIB, False, 20 * GIB)
    assert refused is None and "cannot grow to its 30 GiB" in warning
    refused, _ = new_volume_space(30 * GIB, False, 20 * GIB, allocates_in_full=True)
    assert "allocates a new volume in full" in refused
