"""The new-guest plan from the answers: problems keyed by the answer they
belong to, and what a good set of answers turns into (pure: no libvirt)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tui.backend.osinfo import BuiltinOsDb
from tui.backend.overcommit import HostLoad, Thresholds
from tui.backend.ops.new_guest import (GuestAnswers, HostChoices, TypeOffer, VolumeChoice, field_for,
                                       free_volume_name, overcommit_warning, parse_guest_caps, parse_type_offer,
                                       plan_guest)
from tui.backend.xml.new_guest import parse_guest_spec

DB = BuiltinOsDb()
LINUX = DB.get("debian12")
WIN11 = DB.get("win11")
BASE = VolumeChoice("images", "jammy.qcow2", "/pool/images/jammy.qcow2", "qcow2", 2 << 30)
ISO = VolumeChoice("images", "debian.iso", "/pool/images/debian.iso", "raw", 600 << 20)
HOST = HostChoices(
    arch="x86_64",
    offers=(TypeOffer("kvm", ("q35", "pc"), "q35", ("bios", "efi"), True,
                      ("host-passthrough", "host-model", "maximum"), True, 255),
            TypeOffer("qemu", ("q35", "pc"), "q35", ("bios", "efi"), False, ("maximum", "custom"), False, 255)),
    pools=("images",),
    pool_paths={"images": "/pool/images"},
    volumes=(BASE, ISO, VolumeChoice("images", "web.qcow2", "/pool/images/web.qcow2", "qcow2", 1 << 30)),
    networks=("default", "lab"),
    guests=frozenset({"taken"}),
)


GOOD = GuestAnswers(
    name="web", memory="1G", vcpus="2", domain_type="kvm", source="iso", iso_from="volume", iso_volume=ISO,
    disk="new", disk_pool="images", disk_size="8G", disk_format="qcow2", disk_bus="virtio", nic="network",
    nic_network="default", nic_model="virtio", nic_mac="", firmware="bios", secure_boot=False,
    cpu_mode="host-passthrough", tpm=False, guest_agent=True, graphics="none", machine="q35",
)


def good(**changes) -> GuestAnswers:
    return replace(GOOD, **changes)


def test_an_iso_install_with_a_new_disk():
    plan, problems = plan_guest(good(), HOST, LINUX)
    assert problems == {}
    assert plan.spec.cdroms == ("/pool/images/debian.iso",) and plan.spec.boot == ("cdrom", "hd")
    assert [(v.pool, v.spec.name, v.spec.capacity, v.spec.format, v.spec.allocation) for v in plan.volumes] == [
        ("images", "web-2.qcow2", 8 << 30, "qcow2", 0)]  # web.qcow2 is taken in the pool
    back = parse_guest_spec(plan.xml)
    assert back.disks[0].pool == "images" and back.disks[0].volume == plan.volumes[0].spec.name


def test_new_volume_names_avoid_the_pools_volumes():
    assert free_volume_name("web", ".qcow2", {"web.qcow2"}) == "web-2.qcow2"
    assert free_volume_name("a/b", ".img", set()) == "a_b.img"


def test_raw_disks_are_preallocated():
    plan, _ = plan_guest(good(disk_format="raw"), HOST, LINUX)
    assert plan.volumes[0].spec.allocation == plan.volumes[0].spec.capacity == 8 << 30


def test_every_problem_is_keyed_by_its_field_and_nothing_is_planned():
    plan, problems = plan_guest(good(name="taken", memory="x", vcpus="0", nic_mac="ff:ff:ff:ff:ff:ff",
                                     iso_volume=None, disk_size="1Q", nic_network="nope"), HOST, None)
    assert plan is None
    assert set(problems) == {"name", "os", "memory", "vcpus", "nic_mac", "iso_volume", "disk_size", "nic_network"}


def test_host_offers_limit_the_choices():
    _, problems = plan_guest(good(domain_type="qemu", secure_boot=True, firmware="efi", cpu_mode="host-passthrough",
                                  tpm=True), HOST, LINUX)
    assert "secboot" in problems["secure_boot"]
    assert "maximum" in problems["cpu_mode"]
    assert "swtpm" in problems["tpm"]
    _, problems = plan_guest(good(domain_type="xen"), HOST, LINUX)
    assert "domain_type" in problems


def test_cloud_image_overlay_and_seed():
    values = good(source="cloud", cloud_volume=BASE, cloud_mode="overlay", disk_size="1G", ci_hostname="web",
                  ci_user="alice", ci_password="pw")
    _, problems = plan_guest(values, HOST, LINUX)
    assert "2 GiB" in problems["disk_size"]  # smaller than the image
    plan, problems = plan_guest(replace(values, disk_size="20G"), HOST, LINUX)
    assert problems == {}
    overlay = plan.volumes[0].spec
    assert overlay.backing_path == BASE.path and overlay.backing_format == "qcow2" and overlay.format == "qcow2"
    assert plan.seed_volume == ("images", "web-cidata.iso")
    assert plan.spec.cloud_init_iso == "/pool/images/web-cidata.iso"
    assert plan.predicted["/pool/images/web-cidata.iso"] == ("images", "web-cidata.iso")
    copy, _ = plan_guest(replace(values, disk_size="20G", cloud_mode="copy"), HOST, LINUX)
    assert copy.volumes[0].copy_of == BASE.path and copy.volumes[0].spec.backing_path is None
    _, problems = plan_guest(replace(values, ci_user="", ci_hostname="no_pe"), HOST, LINUX)
    assert set(problems) >= {"ci_user", "ci_hostname"}


def test_upload_of_a_local_iso(tmp_path: Path):
    iso = tmp_path / "install.iso"
    iso.write_bytes(b"x" * 4096)
    plan, problems = plan_guest(good(iso_from="upload", iso_file=str(iso), iso_pool="images"), HOST, LINUX)
    assert problems == {}
    assert (plan.upload.pool, plan.upload.name, plan.upload.size) == ("images", "install.iso", 4096)
    assert plan.spec.cdroms == ("/pool/images/install.iso",)
    _, problems = plan_guest(good(iso_from="upload", iso_file=str(tmp_path / "none.iso"), iso_pool="images"),
                             HOST, LINUX)
    assert "No such file" in problems["iso_file"]
    _, problems = plan_guest(good(iso_from="upload", iso_file="/dev/null/debian.iso"), HOST, LINUX)
    assert "iso_pool" in problems


def test_kernel_boot_pxe_and_import():
    plan, problems = plan_guest(good(source="kernel", kernel="/k", initrd="/i", cmdline="console=ttyS0",
                                     disk="none"), HOST, LINUX)
    assert problems == {} and (plan.spec.kernel, plan.spec.initrd, plan.spec.cmdline) == ("/k", "/i", "console=ttyS0")
    _, problems = plan_guest(good(source="kernel", kernel="vmlinuz"), HOST, LINUX)
    assert "absolute" in problems["kernel"]
    _, problems = plan_guest(good(source="pxe", nic="none"), HOST, LINUX)
    assert "PXE" in problems["nic"]
    plan, _ = plan_guest(good(source="pxe", disk="none"), HOST, LINUX)
    assert plan.spec.boot == ("network",)
    plan, _ = plan_guest(good(source="import", import_from="path", import_path="/img/a.raw", import_format="raw"),
                         HOST, LINUX)
    assert plan.volumes == () and plan.spec.disks[0].path == "/img/a.raw" and plan.spec.disks[0].format == "raw"


def test_windows_11_plan():
    values = good(firmware="efi", secure_boot=True, tpm=True, hyperv=True, localtime=True, disk_bus="sata",
                  nic_model="e1000e", virtio_win="/isos/virtio-win.iso")
    plan, problems = plan_guest(values, HOST, WIN11)
    assert problems == {}
    spec = plan.spec
    assert (spec.firmware, spec.secure_boot, spec.tpm, spec.hyperv, spec.localtime) == ("efi", True, True, True, True)
    assert spec.cdroms == ("/pool/images/debian.iso", "/isos/virtio-win.iso")
    assert spec.os_id == "http://microsoft.com/win/11"


def test_overcommit_warning():
    load = HostLoad(guests=2, by_state={}, vcpus=14, memory=6 << 30, vcpu_ratio=None, memory_ratio=None)
    assert overcommit_warning(load, 4, 8 << 20, 1, 1 << 30, Thresholds()) is None
    words = overcommit_warning(load, 4, 8 << 20, 4, 4 << 30, Thresholds())
    assert "vCPUs: 14 running + 4" in words and "memory" in words


def test_field_for_failures():
    assert field_for("disk_size", "no space") == "disk_size"
    assert field_for("define", "Cannot check QEMU binary /x: No such file") == "domain_type"
    assert field_for("define", "unsupported machine type") == "machine"
    assert field_for("define", "odd") == ""


def test_a_conflict_in_the_spec_is_keyed_by_the_answer_it_comes_from():
    # secure boot asked with the pc machine: the spec's own check, shown at secure boot (not the machine)
    _, problems = plan_guest(good(firmware="efi", secure_boot=True, machine="pc"), HOST, LINUX)
    assert problems == {"secure_boot": "Secure boot needs the q35 machine type"}


CAPS = """<capabilities><host><cpu><arch>x86_64</arch></cpu></host>
<guest><os_type>hvm</os_type><arch name='x86_64'>
<machine maxCpus='255'>pc-i440fx-7.2</machine><machine canonical='pc-i440fx-7.2'>pc</machine>
<machine canonical='pc-q35-7.2'>q35</machine><machine>pc-q35-7.2</machine>
<domain type='qemu'/><domain type='kvm'/></arch></guest></capabilities>"""

DOMCAPS = """<domainCapabilities><machine>pc-q35-7.2</machine><vcpu max='288'/>
<os supported='yes'><enum name='firmware'><value>efi</value></enum>
<loader supported='yes'><value>/usr/share/OVMF/OVMF_CODE_4M.secboot.fd</value>
<enum name='secure'><value>yes</value><value>no</value></enum></loader></os>
<cpu><mode name='host-passthrough' supported='no'/><mode name='maximum' supported='yes'/>
<mode name='host-model' supported='yes'/><mode name='custom' supported='yes'/></cpu>
<devices><tpm supported='yes'/></devices></domainCapabilities>"""


def test_capabilities_parsing():
    arch, types = parse_guest_caps(CAPS)
    assert arch == "x86_64" and set(types) == {"qemu", "kvm"}
    assert types["qemu"][0] == "q35" and "pc" in types["qemu"]
    offer = parse_type_offer("qemu", types["qemu"], DOMCAPS, arch)
    assert offer.firmware == ("bios", "efi") and offer.secure_boot and offer.tpm
    assert offer.cpu_modes == ("host-model", "maximum", "custom") and offer.max_vcpus == 288
    assert offer.default_machine == "q35"
    unknown = parse_type_offer("test", (), None, "i686")
    assert unknown.machines == () and unknown.default_machine is None


def test_cloud_init_host_name_from_the_guest_name():
    from tui.forms.new_guest import host_label

    assert host_label("vd-h8 [x] <&>'\"é") == "vd-h8-x"
    assert host_label("Web_01") == "web-01"
    assert host_label("---") == ""


def test_the_form_answers_every_question_and_shows_every_problem_at_a_field():
    from dataclasses import fields

    from tui.backend.ops.new_guest import CONFLICT_ANSWERS, SEED_ANSWERS, STEP_FIELDS
    from tui.forms.new_guest_fields import ANSWERS, FIELD_OF

    asked = {f.name for f in fields(GuestAnswers)}
    assert sorted(ANSWERS.values()) == sorted(asked)  # each answer from exactly one field
    shown_at = set(CONFLICT_ANSWERS.values()) | set(SEED_ANSWERS.values()) | STEP_FIELDS | {"os"}
    assert shown_at <= set(FIELD_OF)
    assert FIELD_OF["iso_volume"] == "iso-volume" and FIELD_OF["nic_mac"] == "mac" and FIELD_OF["os"] == "os"
