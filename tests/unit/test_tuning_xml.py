"""Tuning and host devices in a domain definition (`xml.tuning`), node device XML
(`xml.nodedev`), the host's NUMA cells (`xml.host_topology`) and the pure checks of
`ops.tuning`. Every definition built here is checked by libvirt's own schema
(`virt-xml-validate`, from libvirt-clients)."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import unwritable_chars, xml_chars
from tui.backend.ops.tuning import HostDevices, attach_checks, check_share_dir, check_tag, hugepage_problem
from tui.backend.xml import rewrite
from tui.backend.xml import tuning as tx
from tui.backend.xml.host_topology import parse_topology
from tui.backend.xml.nodedev import parse_node_device

BASE = """<domain type='kvm' xmlns:vd='https://example.org/vd'>
  <name>guest</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <metadata><vd:note a='1'>kept</vd:note></metadata>
  <memory unit='MiB'>512</memory>
  <currentMemory unit='MiB'>512</currentMemory>
  <memoryBacking><locked/></memoryBacking>
  <vcpu placement='static'>4</vcpu>
  <cputune><shares>2048</shares><vcpupin vcpu='3' cpuset='1'/></cputune>
  <numatune><memnode cellid='0' mode='strict' nodeset='0'/></numatune>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <cpu><numa><cell id='0' cpus='0-3' memory='512' unit='MiB'/></numa></cpu>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <watchdog model='i6300esb' action='reset'/>
    <filesystem type='mount' accessmode='mapped'><source dir='/srv/9p'/><target dir='ninep'/></filesystem>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
  </devices>
</domain>"""


def validate(xml: str, tmp_path) -> None:
    path = tmp_path / "domain.xml"
    path.write_text(xml, encoding="utf-8")
    run = subprocess.run(["virt-xml-validate", str(path), "domain"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def without(root: ET.Element, owned: list[str]) -> str:
    """The definition with the elements a change owns taken out: what must stay as it was."""
    copy = rewrite.parse_domain(rewrite.serialize(root))
    for path in owned:
        parent_path, _, tag = path.rpartition("/")
        for parent in copy.findall(parent_path) if parent_path else [copy]:
            for child in parent.findall(tag):
                parent.remove(child)
    return rewrite.serialize(copy)


# -- cpusets ----------------------------------------------------------------------


@given(st.sets(st.integers(min_value=0, max_value=127), min_size=1))
def test_a_cpuset_reads_back_as_it_was_written(ids):
    text = tx.format_cpuset(ids)
    assert tx.parse_cpuset(text, 128) == (frozenset(ids), None)


def test_cpuset_syntax_and_its_problems():
    assert tx.parse_cpuset("0-3,^2, 6") == (frozenset({0, 1, 3, 6}), None)
    assert tx.format_cpuset({0, 1, 3, 6}) == "0,1,3,6"
    assert tx.format_cpuset({0, 1, 2, 3, 6}) == "0-3,6"
    assert tx.parse_cpuset("4", 4)[1] == "this host has CPUs 0-3"
    assert tx.parse_cpuset("3-1")[1] == "'3-1': a range goes from low to high"
    assert tx.parse_cpuset("a")[1] == "'a' is not a CPU id or a range (0-3)"
    assert tx.parse_cpuset("1,^1")[1] == "that leaves no CPU"
    assert tx.parse_cpuset("1,,2")[1] is not None and tx.parse_cpuset("")[1] is not None
    assert tx.cpumap(frozenset({0, 2}), 4) == (True, False, True, False)


# -- changing a definition: only what a change owns ------------------------------------


def test_every_change_touches_only_its_own_elements_and_validates(tmp_path):
    root = rewrite.parse_domain(BASE)
    untouched = without(root, ["cputune/vcpupin", "cputune/emulatorpin", "numatune/memory", "memoryBacking/hugepages",
                               "memoryBacking/source", "memoryBacking/access", "devices/hostdev"])
    before_fs = [ET.tostring(fs) for fs in root.findall("devices/filesystem")]
    tx.with_vcpu_pins(root, {0: "0-1", 3: None}, emulator="2")
    tx.with_numatune(root, "restrictive", "static", "0")
    tx.with_hugepages(root, 2048)
    assert tx.with_share(root, "/srv/a b<&>\"'", "tag é") is True
    tx.with_hostdev(root, tx.HostdevRef("pci", "0000:02:00.1"))
    tx.with_hostdev(root, tx.HostdevRef("usb", "1:3", "0x0781", "0x5567"))
    tx.with_hostdev(root, tx.HostdevRef("usb", "1:3"))
    xml = rewrite.serialize(root)
    validate(xml, tmp_path)

    tuning = tx.parse_tuning(xml)
    assert tuning.vcpu_pins == ((0, "0-1"),) and tuning.emulator_pin == "2"
    assert (tuning.numa_mode, tuning.numa_nodeset, tuning.numa_placement) == ("restrictive", "0", "static")
    assert tuning.hugepage_kib == 2048
    assert tuning.shared_access and tuning.memfd_shared  # hugepages from a memfd, shared
    assert tuning.shares == (tx.Share("/srv/a b<&>\"'", "tag é"),) and tuning.other_filesystems == 1
    assert [h.ident for h in tuning.hostdevs] == ["hostdev:pci:0000:02:00.1", "hostdev:usb:0x0781:0x5567",
                                                 "hostdev:usb:1:3"]
    assert root.find("cputune/shares").text == "2048"
    assert root.find("numatune/memnode") is not None and root.find("memoryBacking/locked") is not None
    assert 'xmlns:vd="https://example.org/vd"' in xml and "<vd:note" in xml

    # Undo every change: the definition is what it was, less the share's filesystem.
    tx.with_vcpu_pins(root, {0: None, 3: "1"}, emulator=None)
    tx.with_numatune(root, None)
    tx.with_hugepages(root, None)
    root.find("memoryBacking").remove(root.find("memoryBacking/source"))  # what with_hugepages added
    assert tx.without_share(root, "tag é") and not tx.without_share(root, "tag é")
    for ident in ("hostdev:pci:0000:02:00.1", "hostdev:usb:0x0781:0x5567", "hostdev:usb:1:3"):
        assert tx.without_hostdev(root, ident)
    assert without(root, ["cputune/vcpupin", "cputune/emulatorpin", "numatune/memory", "memoryBacking/hugepages",
                          "memoryBacking/source", "memoryBacking/access", "devices/hostdev"]) == untouched
    assert [ET.tostring(fs) for fs in root.findall("devices/filesystem")] == before_fs
    validate(rewrite.serialize(root), tmp_path)


def test_a_share_adds_the_memfd_backing_once_and_automatic_numa_validates(tmp_path):
    root = rewrite.parse_domain(BASE.replace("<memoryBacking><locked/></memoryBacking>", ""))
    assert tx.needs_shared_memory(tx.parse_tuning(rewrite.serialize(root)))
    assert tx.with_share(root, "/srv/one", "one") is True
    assert tx.with_share(root, "/srv/two", "two") is False  # the backing is there already
    tx.with_numatune(root, "strict", "auto")
    xml = rewrite.serialize(root)
    validate(xml, tmp_path)
    tuning = tx.parse_tuning(xml)
    assert tuning.memfd_shared and not tx.needs_shared_memory(tuning)
    assert [s.tag for s in tuning.shares] == ["one", "two"]
    assert (tuning.numa_mode, tuning.numa_placement, tuning.numa_nodeset) == ("strict", "auto", None)
    assert len(root.findall("memoryBacking/source")) == 1


xml_text = st.text(xml_chars, min_size=1, max_size=30).filter(lambda t: t.strip() == t)


@settings(max_examples=60)
@given(source=xml_text, tag=xml_text)
def test_any_folder_and_tag_round_trip(source, tag):
    root = rewrite.parse_domain(BASE)
    tx.with_share(root, "/" + source, tag)
    again = rewrite.parse_domain(rewrite.serialize(root))
    assert tx.Share("/" + source, tag) in tx.parse_tuning(rewrite.serialize(again)).shares
    assert tx.find_share(again, tag) is not None


@settings(max_examples=60)
@given(text=xml_text, bad=unwritable_chars,
       at=st.integers(min_value=0, max_value=30))
def test_a_folder_or_tag_xml_cannot_carry_is_refused_where_typed(text, bad, at):
    typed = text[:at] + bad + text[at:]
    assert check_tag(typed, set()) is not None
    assert check_share_dir("/" + typed) is not None


# -- node devices ---------------------------------------------------------------------------

GPU = """<device><name>pci_0000_02_00_0</name><path>/sys/devices/pci0000:00/0000:00:02.0/0000:02:00.0</path>
<parent>pci_0000_00_02_0</parent><driver><name>nouveau</name></driver>
<capability type='pci'><class>0x030000</class><domain>0</domain><bus>2</bus><slot>0</slot><function>0</function>
<product id='0x1b80'>GP104 [GeForce GTX 1080]</product><vendor id='0x10de'>NVIDIA Corporation</vendor>
<iommuGroup number='13'><address domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>
<address domain='0x0000' bus='0x02' slot='0x00' function='0x1'/></iommuGroup></capability></device>"""
AUDIO = GPU.replace("pci_0000_02_00_0", "pci_0000_02_00_1").replace("<function>0</function>",
                                                                    "<function>1</function>").replace(
    "<name>nouveau</name>", "<name>snd_hda_intel</name>")
BARE = """<device><name>pci_0000_00_03_0</name><parent>computer</parent><driver><name>virtio-pci</name></driver>
<capability type='pci'><class>0x020000</class><domain>0</domain><bus>0</bus><slot>3</slot><function>0</function>
<product id='0x1041'/><vendor id='0x1af4'/></capability></device>"""
STICK = """<device><name>usb_1_3</name><parent>usb_usb1</parent><driver><name>usb</name></driver>
<capability type='usb_device'><bus>1</bus><device>3</device><product id='0x5567'>Cruzer Blade</product>
<vendor id='0x0781'>SanDisk Corp.</vendor></capability></device>"""


def test_node_devices_parse():
    gpu = parse_node_device(GPU)
    assert (gpu.kind, gpu.address, gpu.iommu_group, gpu.driver) == ("pci", "0000:02:00.0", 13, "nouveau")
    assert gpu.group_members == ("0000:02:00.0", "0000:02:00.1")
    assert gpu.description == "NVIDIA Corporation GP104 [GeForce GTX 1080] [10de:1b80]"
    bare = parse_node_device(BARE)
    assert (bare.address, bare.iommu_group, bare.vendor, bare.description) == ("0000:00:03.0", None, None,
                                                                                "[1af4:1041]")
    stick = parse_node_device(STICK)
    assert (stick.kind, stick.address, stick.vendor_id) == ("usb", "1:3", "0x0781")
    assert stick.ref().ident == "hostdev:usb:0x0781:0x5567" and stick.ref(by_id=False).ident == "hostdev:usb:1:3"
    assert parse_node_device("<device><name>computer</name><capability type='system'/></device>") is None


def test_attach_checks_say_what_virt_manager_asks():
    gpu, audio, bare, stick = (parse_node_device(x) for x in (GPU, AUDIO, BARE, STICK))
    twin = parse_node_device(STICK.replace("usb_1_3", "usb_1_4").replace("<device>3</device>", "<device>4</device>"))
    host = HostDevices((gpu, audio, bare, stick, twin), {"pci_0000_02_00_1": ("other",)})
    checks = attach_checks(gpu, host, "me", ())
    assert checks.errors == ()
    assert any("held by the host driver snd_hda_intel" in w for w in checks.warnings)
    assert len(checks.warnings) == 1  # a member held by the host's driver is said once, whoever has it
    assert attach_checks(audio, host, "me", ()).warnings[0].startswith("The device is already assigned to other")
    assert "no IOMMU" in attach_checks(bare, host, "me", ()).warnings[0]
    assert attach_checks(bare, host, "me", (tx.HostdevRef("pci", "0000:00:03.0"),)).errors == ("me has this device already",)
    assert "2 USB devices have the ids" in attach_checks(stick, host, "me", ()).warnings[0]
    assert attach_checks(stick, host, "me", (), by_id=False).warnings == ()


# -- the host's cells and pages ------------------------------------------------------------------

CAPS = """<capabilities><host><cpu><arch>x86_64</arch><pages unit='KiB' size='4'/><pages unit='KiB' size='2048'/>
<pages unit='KiB' size='1048576'/></cpu><topology><cells num='2'>
<cell id='0'><memory unit='KiB'>4194304</memory><pages unit='KiB' size='4'>1000</pages>
<pages unit='KiB' size='2048'>100</pages><pages unit='KiB' size='1048576'>0</pages>
<cpus num='4'><cpu id='0' socket_id='0' core_id='0' siblings='0,2'/><cpu id='1' socket_id='0' core_id='1' siblings='1,3'/>
<cpu id='2' socket_id='0' core_id='0' siblings='0,2'/><cpu id='3' socket_id='0' core_id='1' siblings='1,3'/></cpus></cell>
<cell id='1'><memory unit='KiB'>4194304</memory><pages unit='KiB' size='2048'>28</pages>
<cpus num='1'><cpu id='4' socket_id='1' core_id='0' siblings='4'/></cpus></cell>
</cells></topology></host></capabilities>"""


def test_topology_and_the_hugepage_check():
    topology = parse_topology(CAPS)
    assert [c.id for c in topology.cells] == [0, 1]
    assert topology.page_sizes == (4, 2048, 1048576) and topology.hugepage_sizes == (2048, 1048576)
    assert topology.pages(2048) == (128, None)
    assert hugepage_problem(topology, 2048, 256 * 1024) is None  # 128 pages of 2 MiB
    assert hugepage_problem(topology, 2048, 512 * 1024) == (
        "the guest's 512 MiB needs 256 pages of 2 MiB; the host has 128 in all (raise vm.nr_hugepages on the host)")
    assert "offers no 16 MiB pages" in hugepage_problem(topology, 16384, 1024)
    assert topology.cells[0].cpus[2].siblings == "0,2"

    from tui.render.host_topology import topology_lines
    lines = dict(topology_lines(topology))
    assert lines["NUMA cell 0"] == "4 GiB"
    assert lines["Cell 0 CPUs"] == "socket 0: 2 cores, 2 threads per core, CPUs 0-3; siblings 0,2 | 1,3"
    assert lines["Hugepages 2 MiB"] == "128 total, free n/a; cell 0: 100, cell 1: 28"


def test_a_tag_is_checked():
    assert check_tag("", set()) is not None
    assert check_tag("x" * 37, set()) == "At most 36 bytes (the virtio-fs tag field)"
    assert check_tag("share", {"share"}) == "This guest has a share with that tag"
    assert check_tag("ok", {"share"}) is None


@pytest.mark.parametrize("mode", tx.NUMA_MODES)
def test_every_numa_mode_validates(mode, tmp_path):
    root = rewrite.parse_domain(BASE)
    tx.with_numatune(root, mode, "static", "0")
    validate(rewrite.serialize(root), tmp_path)
