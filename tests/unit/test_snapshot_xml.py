"""Unit tests for the snapshot and backup XML builders, names made safe, and snapshot-kind choices."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import unwritable_chars, xml_chars
from tui.backend.ops import snapshots
from tui.backend.ops.recovery import backup_disks, default_export_path, default_save_path, safe_file_name
from tui.backend.xml.backup import BackupDisk, parse_backup, push_backup_xml
from tui.backend.xml.snapshot import SnapshotDisk, SnapshotSpec, parse_snapshot, snapshot_xml

# What XML 1.0 can carry (no control characters but tab/newline, no surrogates, no U+FFFE or U+FFFF);
# \r is normalised away.
xml_text = st.text(xml_chars | st.sampled_from("\t\n"), max_size=60)
names = st.text(xml_chars, min_size=1, max_size=40)
targets = st.from_regex(r"[a-z]{2,3}[a-z0-9]{0,3}", fullmatch=True)
paths = names.map(lambda n: "/var/lib/libvirt/images/" + n)

UGLY = "vd-h3 [x] <&>'\"é"


@given(name=names, description=xml_text, memory=st.sampled_from([None, "internal", "external", "no"]),
       disks=st.lists(st.builds(SnapshotDisk, targets, st.sampled_from(["internal", "external", "no"]),
                                st.none() | paths, st.none() | st.just("qcow2")), max_size=4))
def test_snapshot_xml_round_trips(name, description, memory, disks):
    spec = SnapshotSpec(name, description, memory, tuple(disks))
    facts = parse_snapshot(snapshot_xml(spec))
    assert facts.name == name
    assert facts.description == description
    assert facts.memory == memory
    assert facts.disks == tuple(disks)
    assert facts.external == (memory == "external" or any(d.snapshot == "external" for d in disks))


def test_snapshot_xml_of_an_ugly_name_is_well_formed():
    xml = snapshot_xml(SnapshotSpec(UGLY, "a <b> & 'c'", "internal"))
    root = ET.fromstring(xml)
    assert root.findtext("name") == UGLY
    assert "<b>" not in xml  # escaped, not markup


def test_parse_snapshot_reads_what_libvirt_adds():
    xml = ("<domainsnapshot><name>s1</name><state>running</state><parent><name>s0</name></parent>"
           "<creationTime>1700000000</creationTime><memory snapshot='internal'/>"
           "<disks><disk name='vda' snapshot='internal'/><disk name='hdc' snapshot='no'/></disks>"
           "<domain type='qemu'><name>g</name></domain></domainsnapshot>")
    facts = parse_snapshot(xml)
    assert (facts.state, facts.parent, facts.created, facts.with_memory, facts.external) == (
        "running", "s0", 1700000000, True, False)
    assert [d.target for d in facts.disks] == ["vda", "hdc"]


@given(disks=st.lists(st.builds(BackupDisk, targets, st.none() | paths, st.sampled_from(["qcow2", "raw"])),
                      max_size=5))
def test_push_backup_xml_round_trips(disks):
    xml = push_backup_xml(tuple(disks))
    mode, parsed = parse_backup(xml)
    assert mode == "push"
    assert parsed == tuple(d if d.file is not None else BackupDisk(d.target, None, "qcow2") for d in disks)


@given(name=st.text(max_size=80))
def test_safe_file_names_are_one_plain_component(name):
    safe = safe_file_name(name)
    assert safe and "/" not in safe and not safe.startswith(".")
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in safe)
    assert os.path.basename(default_save_path(name)) == safe + ".save"
    assert os.path.basename(default_export_path(name)) == safe + ".xml"


def test_safe_file_name_of_an_ugly_name():
    assert safe_file_name(UGLY) == "vd-h3_x"
    assert safe_file_name("../../etc/passwd") == "etc_passwd"
    assert safe_file_name("") == "guest"


def _domain(*disks: tuple[str, str, str, str]) -> ET.Element:
    root = ET.fromstring("<domain type='qemu'><name>g</name><devices/></domain>")
    for device, target, path, fmt in disks:
        disk = ET.SubElement(root.find("devices"), "disk", type="file", device=device)
        ET.SubElement(disk, "driver", name="qemu", type=fmt)
        ET.SubElement(disk, "source", file=path)
        ET.SubElement(disk, "target", dev=target)
        if device == "cdrom":
            ET.SubElement(disk, "readonly")
    return root


def test_backup_disks_skip_cdroms_and_make_file_names_safe():
    root = _domain(("disk", "vda", "/img/a.qcow2", "qcow2"), ("cdrom", "hdc", "/iso/x.iso", "raw"))
    disks = backup_disks(root, "/backups", UGLY, "20260101-000000")
    assert disks == (BackupDisk("vda", "/backups/vd-h3_x-vda-20260101-000000.qcow2"), BackupDisk("hdc", None))
    _mode, parsed = parse_backup(push_backup_xml(disks))
    assert parsed == disks


def test_internal_snapshots_need_qcow2_and_external_overlays_sit_beside_the_disk():
    raw = _domain(("disk", "vda", "/img/a.img", "raw"))
    assert "vda is raw" in snapshots.internal_problem(raw)
    qcow = _domain(("disk", "vda", "/img/a.qcow2", "qcow2"), ("cdrom", "hdc", "/iso/x.iso", "raw"))
    assert snapshots.internal_problem(qcow) is None
    spec = snapshots.spec_for(qcow, UGLY, "d", snapshots.EXTERNAL_DISK)
    assert spec.memory == "no"
    assert spec.disks == (SnapshotDisk("vda", "external", "/img/a.vd-h3_x.qcow2", "qcow2"), SnapshotDisk("hdc", "no"))
    assert snapshots.spec_for(qcow, "s", "", snapshots.INTERNAL_MEMORY).memory == "internal"


def test_snapshot_names_are_checked():
    assert snapshots.check_name(UGLY) is None
    assert snapshots.check_name("") is not None
    assert snapshots.check_name("a/b") is not None
    assert snapshots.check_name(" a") is not None
    assert snapshots.check_name("a\x07") is not None
    assert snapshots.check_name("s1", frozenset({"s1"})) is not None


@given(text=st.text(xml_chars, max_size=30), bad=unwritable_chars, at=st.integers(0, 30))
def test_a_snapshot_name_or_description_xml_cannot_carry_is_refused_where_typed(text, bad, at):
    typed = text[:at] + bad + text[at:]
    problem = snapshots.check_name(f"s{typed}s")
    assert problem is not None
    if "/" not in text:
        assert "U+FFFE" in problem
    assert "U+FFFE" in snapshots.check_description(typed)
    if "/" not in text:
        assert snapshots.check_name(f"s{text}s") is None
    assert snapshots.check_description(text) is None


def test_mixing_kinds_is_warned_about():
    plan = snapshots.SnapshotPlan(True, (snapshots.INTERNAL_MEMORY, snapshots.EXTERNAL_DISK), None,
                                  has_internal=True, has_external=False, taken=frozenset())
    assert snapshots.mixing_warning(plan, snapshots.EXTERNAL_DISK)
    assert snapshots.mixing_warning(plan, snapshots.INTERNAL_MEMORY) is None
