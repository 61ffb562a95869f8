"""OS entries for the create-guest form: osinfo-db files, or the built-in set."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.backend import osinfo
from tui.backend.xml.new_guest import build_guest_xml, defaults_for_os, disk_for_os, nic_for_os, parse_guest_spec

GIB = 1024**3
HEADER = '<?xml version="1.0"?>\n<libosinfo version="0.0.1">\n'
FOOTER = "</libosinfo>\n"

PARENT = """
  <os id="http://example.org/acme/1">
    <short-id>acme1</short-id>
    <name>Acme Linux 1</name>
    <name xml:lang="de">Acme Linux Eins</name>
    <version>1</version>
    <family>linux</family>
    <distro>acme</distro>
    <release-date>2020-01-01</release-date>
    <resources arch="all">
      <minimum><n-cpus>1</n-cpus><ram>1073741824</ram><storage>10737418240</storage></minimum>
      <recommended><n-cpus>2</n-cpus><ram>2147483648</ram><storage>21474836480</storage></recommended>
    </resources>
    <resources arch="aarch64">
      <minimum><ram>9999</ram></minimum>
    </resources>
    <devices>
      <device id="http://pcisig.com/pci/1af4/1001"/>
      <device id="http://pcisig.com/pci/1af4/1000"/>
      <device id="http://qemu.org/chipset/x86/q35"/>
    </devices>
  </os>
"""
CHILD = """
  <os id="http://example.org/acme/2">
    <short-id>acme2</short-id>
    <short-id>acme-latest</short-id>
    <name xml:lang="fr">Acme Linux Deux</name>
    <name>Acme Linux 2</name>
    <version>2</version>
    <derives-from id="http://example.org/acme/1"/>
    <firmware arch="x86_64" type="efi"/>
    <firmware arch="x86_64" type="bios" supported="false"/>
    <devices>
      <device id="http://pcisig.com/pci/1af4/1000" supported="false"/>
    </devices>
  </os>
"""
WINDOWS = """
  <os id="http://example.org/winlike/1">
    <short-id>winlike1</short-id>
    <name>Winlike 1</name>
    <family>winnt</family>
    <resources arch="x86_64">
      <minimum><n-cpus>2</n-cpus><ram>4294967296</ram><storage>68719476736</storage></minimum>
    </resources>
  </os>
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "os" / "example.org").mkdir(parents=True)
    (tmp_path / "os" / "example.org" / "acme-1.xml").write_text(HEADER + PARENT + FOOTER)
    (tmp_path / "os" / "example.org" / "acme-2.xml").write_text(HEADER + CHILD + FOOTER)
    (tmp_path / "os" / "example.org" / "winlike-1.xml").write_text(HEADER + WINDOWS + FOOTER)
    (tmp_path / "os" / "example.org" / "broken.xml").write_text("<libosinfo><os id=")
    return tmp_path


def test_loads_nothing_until_asked(tree):
    db = osinfo.OsDb(tree)
    assert not db.loaded
    assert db.get("acme1") is not None
    assert db.loaded


def test_own_facts_and_untranslated_name(tree):
    acme = osinfo.OsDb(tree).get("acme1")
    assert acme.name == "Acme Linux 1" and acme.short_id == "acme1" and acme.family == "linux"
    assert (acme.min_memory, acme.recommended_memory) == (GIB, 2 * GIB)  # aarch64 figures ignored
    assert (acme.min_vcpus, acme.recommended_vcpus, acme.vcpus) == (1, 2, 2)
    assert (acme.min_storage, acme.storage) == (10 * GIB, 20 * GIB)
    assert acme.virtio_disk and acme.virtio_net and acme.q35
    assert not (acme.needs_uefi or acme.needs_tpm or acme.is_windows)


def test_inherited_facts(tree):
    db = osinfo.OsDb(tree)
    child = db.get("acme-latest")
    assert child is db.get("http://example.org/acme/2") is db.get("acme2")
    assert child.name == "Acme Linux 2" and child.short_ids == ("acme2", "acme-latest")
    assert child.family == "linux" and child.distro == "acme"  # from acme1
    assert child.recommended_memory == 2 * GIB  # resources come from the parent
    assert child.virtio_disk and not child.virtio_net  # the child turns the virtio NIC off
    assert child.needs_uefi and not child.needs_secure_boot


def test_windows_and_minimum_only(tree):
    win = osinfo.OsDb(tree).get("winlike1")
    assert win.is_windows and not win.virtio_disk and not win.virtio_net
    assert win.recommended_memory == win.min_memory == 4 * GIB  # recommended never below minimum
    assert win.memory == 4 * GIB and win.vcpus == 2


def test_search(tree):
    db = osinfo.OsDb(tree)
    assert [v.short_id for v in db.search("acme")] == ["acme1", "acme2"]
    assert [v.short_id for v in db.search("acme2")] == ["acme2"]
    assert [v.short_id for v in db.search("LINUX 2")] == ["acme2"]
    assert [v.short_id for v in db.search("acme", limit=1)] == ["acme1"]
    assert db.search("nothing like this") == []
    assert db.get("nope") is None


def test_missing_db_falls_back_to_builtin(tmp_path):
    assert osinfo.find_osinfo_root([tmp_path / "none", tmp_path]) is None
    db = osinfo.BuiltinOsDb()
    assert db.source == "built-in"
    short_ids = {v.short_id for v in db.all()}
    assert {"linux2022", "debian12", "ubuntu24.04", "rhel9.0", "win10", "win11", "win2k22", "unknown"} <= short_ids
    assert any(s.startswith("fedora") for s in short_ids)
    for variant in db.all():
        assert variant.min_memory <= variant.recommended_memory
        assert variant.family in ("linux", "winnt", "")
        assert variant.virtio_disk == (variant.family == "linux")


def test_builtin_windows_11_needs_uefi_secure_boot_tpm():
    win11 = osinfo.BuiltinOsDb().get("win11")
    assert win11.needs_uefi and win11.needs_secure_boot and win11.needs_tpm and win11.is_windows
    assert win11.min_memory == 4 * GIB and win11.min_vcpus == 2 and win11.min_storage == 64 * GIB
    win10 = osinfo.BuiltinOsDb().get("win10")
    assert not (win10.needs_tpm or win10.needs_uefi)


@given(st.text())
def test_search_never_raises(text):
    db = osinfo.BuiltinOsDb()
    for variant in db.search(text):
        assert text.strip().lower() in variant.name.lower() or any(
            s.startswith(text.strip().lower()) for s in variant.short_ids)


@pytest.fixture(scope="module")
def installed():
    root = osinfo.find_osinfo_root()
    if root is None:
        pytest.fail("osinfo-db is not installed (apt-get install osinfo-db; make test installs it)")
    return osinfo.OsDb(root)


def test_installed_db(installed):
    win11 = installed.get("win11")
    assert win11.name == "Microsoft Windows 11" and win11.is_windows
    assert win11.needs_uefi and win11.needs_tpm and win11.needs_secure_boot and win11.q35
    assert win11.min_memory >= 4 * GIB and win11.min_vcpus >= 2
    assert not win11.virtio_disk
    win2k22 = installed.get("win2k22")
    assert win2k22.is_windows and not win2k22.needs_tpm
    debian = installed.get("debian11")
    assert debian.family == "linux" and debian.virtio_disk and debian.virtio_net and not debian.needs_uefi
    assert debian.recommended_memory >= debian.min_memory > 0
    generic = installed.get("linux2022")
    assert generic.virtio_disk and generic.recommended_storage > 0
    assert not installed.get("debian3").virtio_disk  # 2002: no virtio yet
    assert [v.short_id for v in installed.search("win11")][0] == "win11"
    assert len(installed.all()) > 500


def test_every_installed_entry_resolves(installed):
    for variant in installed.all():
        assert variant.short_id and variant.name
        assert variant.recommended_memory >= variant.min_memory
        assert installed.get(variant.short_id) is not None


@pytest.mark.parametrize("short_id", ["win11", "win10", "debian12", "linux2022"])
def test_defaults_for_os_make_a_guest(short_id):
    variant = osinfo.BuiltinOsDb().get(short_id)
    spec = defaults_for_os(
        "vd-h4 [1] <&>'\"é",
        variant,
        disks=(disk_for_os(variant, path="/var/lib/libvirt/images/g.qcow2"),),
        nics=(nic_for_os(variant),),
        cdroms=("/srv/iso/install.iso",),
        boot=("cdrom", "hd"),
    )
    assert parse_guest_spec(build_guest_xml(spec)) == spec
    assert spec.memory_kib * 1024 == variant.memory and spec.vcpus == variant.vcpus
    assert spec.os_id == variant.id
    windows = variant.is_windows
    assert spec.hyperv == spec.localtime == windows and spec.machine == "q35"
    assert spec.disks[0].bus == ("sata" if windows else "virtio")
    assert spec.nics[0].model == ("e1000e" if windows else "virtio")
    assert spec.tpm == spec.secure_boot == (spec.firmware == "efi") == (short_id == "win11")
    assert nic_for_os(variant, model="virtio").model == "virtio"  # the form may still choose virtio
