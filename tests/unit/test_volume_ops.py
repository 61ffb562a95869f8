"""The pure parts of the volume verbs and forms: file magic, disk sources, read-back checks,
hole detection, sizes as typed."""

from __future__ import annotations

import os
import struct
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import xml_chars
from tui.backend.ops.volumes import (
    Cancelled,
    Meter,
    _section,
    differences,
    disk_sources,
    image_format,
    probe_local,
)
from tui.backend.validate import parse_size
from tui.backend.xml.volume import VolumeSpec
from tui.forms.volume_forms import default_copy_name, size_input


def qcow2_header(virtual: int) -> bytes:
    return b"QFI\xfb" + struct.pack(">I", 3) + bytes(16) + struct.pack(">Q", virtual) + bytes(72)


@given(st.integers(min_value=0, max_value=2**63))
def test_qcow2_magic_gives_the_virtual_size(virtual):
    assert image_format(qcow2_header(virtual)) == ("qcow2", virtual)


@given(st.binary(max_size=64).filter(lambda b: not b.startswith(b"QFI\xfb")))
def test_anything_else_is_raw(data):
    assert image_format(data) == ("raw", None)


def test_a_short_qcow2_magic_is_raw():
    assert image_format(b"QFI\xfb\x00\x00") == ("raw", None)


def test_probe_local(tmp_path):
    raw = tmp_path / "a.img"
    raw.write_bytes(b"x" * 1000)
    assert (probe_local(str(raw)).format, probe_local(str(raw)).capacity) == ("raw", 1000)
    qcow = tmp_path / "b.qcow2"
    qcow.write_bytes(qcow2_header(5 << 20))
    image = probe_local(str(qcow))
    assert (image.format, image.size, image.capacity) == ("qcow2", 104, 5 << 20)
    with pytest.raises(OSError):
        probe_local(str(tmp_path / "gone"))


def test_disk_sources_reads_files_devices_and_pool_volumes():
    xml = """<domain><devices>
      <disk type='file'><source file='/v/a [1] &lt;&amp;&gt;.qcow2'/></disk>
      <disk type='block'><source dev='/dev/sdb'/></disk>
      <disk type='volume'><source pool='p' volume='v.img'/></disk>
      <disk type='network'><source protocol='nbd' name='x'/></disk>
      <interface type='network'><source network='default'/></interface>
    </devices></domain>"""
    assert disk_sources(xml) == {"/v/a [1] <&>.qcow2", "/dev/sdb", "p/v.img"}


def test_differences_name_what_libvirt_changed():
    asked = VolumeSpec("a", 1 << 20, "qcow2", 0, "/b", "raw")
    assert differences(asked, VolumeSpec("a", 1 << 20, "qcow2", 4096, "/b", "raw")) == []
    assert differences(asked, VolumeSpec("a", 2 << 20, "qcow2", 0, "/b", "raw")) == []  # rounded up is fine
    problems = differences(asked, VolumeSpec("a", 1 << 19, "raw", 0, None))
    assert len(problems) == 3 and "format is raw, not qcow2" in problems[0]


def test_section_walks_data_and_holes(tmp_path):
    path = tmp_path / "holey"
    mib = 1 << 20
    with open(path, "wb") as f:
        f.seek(mib)
        f.write(b"d" * mib)
        f.truncate(3 * mib)
    fd = os.open(path, os.O_RDONLY)
    try:
        seen = []
        while os.lseek(fd, 0, os.SEEK_CUR) < 3 * mib:
            in_data, length = _section(fd)
            assert length > 0
            seen.append((in_data, length))
            os.lseek(fd, length, os.SEEK_CUR)
        assert sum(length for _d, length in seen) == 3 * mib
        if len(seen) > 1:  # the file system keeps holes (tmpfs and ext4 do)
            assert seen == [(False, mib), (True, mib), (False, mib)]
        assert _section(fd) == (False, 0)  # at the end
    finally:
        os.close(fd)


def test_meter_reports_and_cancels():
    reports = []
    cancel = threading.Event()
    meter = Meter(10, "Upload", lambda done, total, what: reports.append((done, total, what)), cancel)
    meter.add(4)
    meter.add(6)
    assert reports[0] == (4, 10, "Upload") and reports[-1] == (10, 10, "Upload")
    cancel.set()
    with pytest.raises(Cancelled, match="Upload cancelled"):
        meter.add(1)


@given(st.integers(min_value=1, max_value=2**50))
def test_size_input_parses_back_exactly(num_bytes):
    assert parse_size(size_input(num_bytes)) == (num_bytes, None)


def test_size_input_is_short_when_it_can_be():
    assert [size_input(n) for n in (20 << 30, 512 << 20, 3 << 10, 1000)] == ["20G", "512M", "3K", "1000"]


def test_default_copy_name_keeps_the_extension_and_avoids_taken_names():
    assert default_copy_name("a <&>.qcow2", set()) == "a <&>-copy.qcow2"
    assert default_copy_name("disk", {"disk-copy"}) == "disk-copy2"


@given(st.text(alphabet=xml_chars, min_size=1, max_size=40))
def test_the_definition_shown_parses_back_to_the_spec(name):
    from tui.backend.ops.volumes import definition
    from tui.backend.xml.volume import parse_volume_spec

    spec = VolumeSpec(name, 3 << 20, "qcow2", 0, "/pool/base [1] <&>.raw", "raw")
    assert parse_volume_spec(definition(spec)) == spec
