"""One notation for sizes, rates and times (tui/backend/units.py)."""

import math
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.backend import validate
from tui.backend import units
from tui.render import cells

KIB, MIB, GIB, TIB, PIB, EIB = (1024**n for n in range(1, 7))
# Written out here, not taken from the module under test.
SCALE = {"B": 1, "KiB": KIB, "MiB": MIB, "GiB": GIB, "TiB": TIB, "PiB": PIB, "EiB": EIB,
         "ZiB": 1024**7, "YiB": 1024**8}
COMPACT_SCALE = {"": 1, "K": KIB, "M": MIB, "G": GIB, "T": TIB, "P": PIB, "E": EIB, "Z": 1024**7, "Y": 1024**8}
SHOWN = re.compile(r"^(-?)(\d+(?:\.\d+)?) (B|[KMGTPEZY]iB)$")
COMPACT = re.compile(r"^(-?)(\d+(?:\.\d+)?)([KMGTPEZY]?)$")


@pytest.mark.parametrize(("num_bytes", "shown"), [
    (0, "0 B"),
    (1, "1 B"),
    (999, "999 B"),
    (1023, "1023 B"),
    (1024, "1 KiB"),
    (1025, "1 KiB"),
    (1536, "1.5 KiB"),
    (1024 + 10, "1.01 KiB"),
    (10 * KIB - 1, "10 KiB"),  # 9.999 KiB: three digits round it to 10
    (99 * KIB + 900, "99.9 KiB"),
    (100 * KIB - 1, "100 KiB"),
    (1000 * KIB, "1000 KiB"),  # 1000..1023 of a unit stay whole, as df -h writes them
    (1023 * KIB, "1023 KiB"),
    (MIB - 1, "1 MiB"),  # would be "1024 KiB": one unit up
    (MIB, "1 MiB"),
    (MIB + 1, "1 MiB"),
    (512 * MIB, "512 MiB"),
    (GIB - 1, "1 GiB"),
    (GIB, "1 GiB"),
    (int(1.23 * GIB), "1.23 GiB"),
    (int(12.3 * GIB), "12.3 GiB"),
    (20 * GIB, "20 GiB"),
    (TIB - 1, "1 TiB"),
    (TIB, "1 TiB"),
    (PIB, "1 PiB"),
    (EIB - 1, "1 EiB"),
    (EIB, "1 EiB"),
    (2**64 - 1, "16 EiB"),  # the largest unsigned long long libvirt hands over
    (2**64, "16 EiB"),
    (2**80, "1 YiB"),
])
def test_sizes_on_both_sides_of_each_boundary(num_bytes, shown):
    assert units.size_text(num_bytes) == shown
    assert units.rate_text(num_bytes) == shown + "/s"


@pytest.mark.parametrize(("value", "shown"), [
    (None, "—"),
    (math.nan, "—"),
    (math.inf, "—"),
    (-2048, "-2 KiB"),
    (-0.4, "0 B"),  # no "-0"
    (1e-300, "0 B"),  # underflow
    (0.4, "0 B"),
    (0.6, "1 B"),
    (1023.4, "1023 B"),
    (1023.6, "1 KiB"),  # a rate just under 1 KiB/s is not "1024 B"
])
def test_odd_values(value, shown):
    assert units.size_text(value) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (None, "—"), (0, "0"), (0.3, "0"), (800, "800"), (1023, "1023"), (KIB - 0.2, "1K"), (1536, "1.5K"),
    (12.3 * MIB, "12.3M"), (MIB - 1, "1M"), (GIB, "1G"), (2**64, "16E"),
])
def test_compact_rates(value, shown):
    assert units.rate_compact(value) == shown


def test_cells_keep_their_names_and_use_the_one_notation():
    assert cells.size_text is units.size_text and cells.rate_text is units.rate_text
    assert cells.size(0).plain == "0 B"  # the Hosts view once said "0 Bytes"
    assert cells.size(MIB - 1).plain == "1 MiB"
    assert cells.pair(12.3 * MIB, 655.5 * KIB).plain == "12.3M/656K"
    assert cells.pair(0.2, None).plain == "0/—"


def test_messages_of_the_backend_use_it_too():
    assert validate.parse_size("2T", maximum=GIB) == (None, "At most 1 GiB (G means GiB: 1024³ bytes)")
    assert validate.parse_memory("16G", maximum=int(7.5 * GIB))[1] == "At most 7.5 GiB: that is what the host has"


def _bound(digits: str, scale: int) -> float:
    """Half a unit of the last digit the notation keeps: the third significant one, or the ones."""
    shown = Decimal(digits)
    if shown == 0 or scale == 1:
        return 0.5 * scale
    exponent = 0 if shown >= 100 else shown.adjusted() - 2
    return 0.5 * 10.0**exponent * scale


def _read_back(text: str) -> tuple[float, float]:
    match = SHOWN.match(text)
    assert match, text
    sign, digits, unit = match.groups()
    value = float(Decimal(digits) * SCALE[unit])
    return (-value if sign else value), _bound(digits, SCALE[unit])


sizes = st.one_of(
    st.integers(min_value=0, max_value=2**64),
    st.sampled_from([1024**n + d for n in range(1, 7) for d in (-2, -1, 0, 1)]),
    st.floats(min_value=-(2.0**70), max_value=2.0**70, allow_nan=False),
)


@given(sizes)
def test_reading_back_stays_within_the_shown_precision(value):
    text = units.size_text(value)
    back, bound = _read_back(text)
    assert abs(back - value) <= bound * (1 + 1e-9), (value, text)
    digits = SHOWN.match(text).group(2)
    assert float(digits) < 1024, text  # never "1024 KiB"
    if "." in digits:
        assert not digits.endswith("0") and len(digits.replace(".", "").lstrip("0")) <= 3, text
    else:
        assert len(digits) <= 4, text
    if abs(value) >= 1:
        # the largest unit that keeps the figure at 1 or more
        assert float(digits) >= 1, text


@given(st.floats(min_value=0, max_value=2.0**66, allow_nan=False))
def test_compact_rates_read_back_within_the_shown_precision(value):
    sign, digits, letter = COMPACT.match(units.rate_compact(value)).groups()
    back = float(Decimal(digits) * COMPACT_SCALE[letter])
    assert not sign and abs(back - value) <= _bound(digits, COMPACT_SCALE[letter]) * (1 + 1e-9)
    assert units.rate_text(value) == f"{units.size_text(value)}/s"
    assert units.size_text(value).split()[0] == digits  # the same figure, only the unit written shorter


@given(st.integers(min_value=0, max_value=validate.SIZE_MAX))  # what libvirt stores: 64-bit byte counts
def test_form_values_are_exact(num_bytes):
    assert validate.parse_size(units.size_input(num_bytes), minimum=0) == (num_bytes, None)


def test_form_values_are_short_when_they_can_be():
    assert [units.size_input(n) for n in (20 * GIB, 1536 * MIB, 3 * KIB, 1000, 2 * EIB)] == \
        ["20G", "1536M", "3K", "1000", "2E"]


@pytest.mark.parametrize(("seconds", "shown"), [
    (None, "—"), (0, "a moment"), (1, "a second"), (59, "59 seconds"), (60, "a minute"),
    (185, "3 minutes"), (3600, "an hour"), (2 * 86400, "2 days"), (-185, "3 minutes"),
])
def test_durations(seconds, shown):
    assert units.duration_text(seconds) == shown


def test_relative_times():
    now = 1_700_000_000.0
    assert units.ago(now - 185, now) == "3 minutes ago"
    assert units.ago(now + 185, now) == "3 minutes from now"
    assert units.ago(now, now) == "now"
    assert units.ago(None, now) == "—"


def test_units_imports_neither_textual_nor_rich():
    """tui.backend uses this module, and the backend never imports textual."""
    code = ("import sys, tui.backend.units\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
