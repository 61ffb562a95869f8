"""The command lines behind the actions: each verb's words from the arguments it runs with,
any name pasted into a shell comes back as it was, and no secret is ever written."""

from __future__ import annotations

import shlex
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.backend import commands
from tui.backend.cloud_init import Seed
from tui.backend.commands import REDACTED, CommandLine, rendered
from tui.backend.ops.hardware import DiskRequest, NewVolume
from tui.backend.ops.new_guest import NewVolume as NewGuestVolume
from tui.backend.xml.new_guest import DiskSpec, GuestSpec, NicSpec
from tui.backend.xml.volume import VolumeSpec

URI = "qemu+ssh://root@kvm01/system"
V = ("virsh", "-c", URI)

# Names a user may give: spaces, quotes, $, backslashes, unicode, a leading dash.
names = st.text(st.characters(exclude_characters="\0", exclude_categories=("Cs",)), min_size=1, max_size=30)


def test_each_lifecycle_verb_is_its_virsh_command():
    expected = {
        "start": ("start",), "shutdown": ("shutdown",), "reboot": ("reboot",), "reset": ("reset",),
        "force_off": ("destroy",), "pause": ("suspend",), "resume": ("resume",), "wakeup": ("dompmwakeup",),
        "managed_save": ("managedsave",), "autostart_on": ("autostart",), "autostart_off": ("autostart", "--disable"),
    }
    for verb, words in expected.items():
        assert [c.argv for c in commands.guest_verb(URI, verb, "db 1")] == [(*V, *words, "db 1")], verb
    assert [c.argv for c in commands.guest_verb(URI, "restart", "web")] == [(*V, "destroy", "web"),
                                                                            (*V, "start", "web")]


def test_guest_verbs_with_their_options():
    assert commands.guest_delete(URI, "db", True, ["/var/lib/libvirt/images/db.qcow2"])[-1].argv == (
        *V, "undefine", "--managed-save", "--snapshots-metadata", "--checkpoints-metadata", "--nvram",
        "--storage", "/var/lib/libvirt/images/db.qcow2", "db")
    assert [c.argv[3] for c in commands.guest_delete(URI, "db", True)] == ["destroy", "undefine"]
    assert [c.argv[3] for c in commands.guest_delete(URI, "db", False)] == ["undefine"]
    assert commands.guest_rename(URI, "a", "b")[0].argv == (*V, "domrename", "a", "b")
    assert commands.guest_clone(URI, "a", "b", ("/p/b.qcow2",))[0].argv == (
        "virt-clone", "--connect", URI, "--original", "a", "--name", "b", "--file", "/p/b.qcow2")
    assert commands.guest_clone(URI, "a", "b")[0].argv[-1] == "--auto-clone"
    live = commands.guest_migrate(URI, "a", "qemu:///other", active=True, paused=False, persistent=True,
                                  undefine_source=True, copy_storage=True, address="tcp://10.0.0.2")[0].argv
    assert live == (*V, "migrate", "--live", "--persistent", "--undefinesource", "--copy-storage-all", "--verbose",
                    "a", "qemu:///other", "tcp://10.0.0.2")
    offline = commands.guest_migrate(URI, "a", "qemu:///other", active=False, paused=False, persistent=True,
                                     undefine_source=False, copy_storage=True)[0].argv
    assert "--offline" in offline and "--live" not in offline and "--copy-storage-all" not in offline
    paused = commands.guest_migrate(URI, "a", "qemu:///other", active=True, paused=True, persistent=True,
                                    undefine_source=False, copy_storage=False)[0].argv
    assert "--live" not in paused and "--offline" not in paused
    assert commands.setvcpus(URI, "a", 4, True, False)[0].argv == (*V, "setvcpus", "a", "4", "--live")
    assert commands.setmem(URI, "a", 2097152, False, True)[0].argv == (*V, "setmem", "a", "2097152KiB", "--config")
    assert commands.change_media(URI, "a", "sda", None)[0].argv == (*V, "change-media", "a", "sda", "--eject")
    assert commands.change_media(URI, "a", "sda", "/x.iso")[0].argv == (*V, "change-media", "a", "sda", "/x.iso",
                                                                         "--insert")
    assert commands.attach_interface(URI, "a", "network", "default", "virtio", "52:54:00:00:00:01")[0].argv == (
        *V, "attach-interface", "a", "network", "default", "--model", "virtio", "--mac", "52:54:00:00:00:01",
        "--live", "--config")
    assert commands.snapshot_create(URI, "a", "s1", "before", True)[0].argv == (
        *V, "snapshot-create-as", "a", "s1", "--description", "before", "--disk-only", "--atomic")
    assert commands.snapshot_create(URI, "a", "s1", "", False)[0].argv == (*V, "snapshot-create-as", "a", "s1")
    assert commands.snapshot_delete(URI, "a", "s1", True)[0].argv == (*V, "snapshot-delete", "a", "s1", "--children")
    assert commands.snapshot_revert(URI, "a", "s1")[0].argv == (*V, "snapshot-revert", "a", "s1")
    assert commands.save(URI, "a", "/s/a.save")[0].argv == (*V, "save", "a", "/s/a.save", "--verbose")
    assert commands.define_xml(URI, "network")[0].argv == (*V, "net-define", "network.xml")
    assert "guest.xml" in commands.guest_define(URI)[0].note


def test_network_and_pool_verbs():
    assert commands.network_verb(URI, "start", "lab")[0].argv == (*V, "net-start", "lab")
    assert commands.network_verb(URI, "stop", "lab")[0].argv == (*V, "net-destroy", "lab")
    assert commands.network_verb(URI, "autostart", "lab", autostart=False)[0].argv == (
        *V, "net-autostart", "lab", "--disable")
    assert [c.argv[3] for c in commands.network_verb(URI, "delete", "lab", active=True)] == ["net-destroy",
                                                                                            "net-undefine"]
    assert [c.argv[3] for c in commands.pool_verb(URI, "delete", "p", active=False)] == ["pool-delete",
                                                                                        "pool-undefine"]
    assert [c.argv[3] for c in commands.pool_verb(URI, "undefine", "p", active=True)] == ["pool-destroy",
                                                                                         "pool-undefine"]
    assert commands.pool_verb(URI, "refresh", "p")[0].argv == (*V, "pool-refresh", "p")
    assert [c.argv[3] for c in commands.network_create(URI, "lab", True, True)] == ["net-define", "net-start",
                                                                                    "net-autostart"]
    assert [c.argv[3] for c in commands.pool_create(URI, "p", True, False, False)] == ["pool-define", "pool-build"]


def test_volume_verbs_follow_what_create_sends():
    thin = commands.volume_create(URI, "default", "a.qcow2", 10 << 30, "qcow2")[0].argv
    assert thin == (*V, "vol-create-as", "default", "a.qcow2", str(10 << 30), "--format", "qcow2")
    full = commands.volume_create(URI, "default", "a.qcow2", 1 << 30, "qcow2", allocation=1 << 30)[0].argv
    assert full[-3:] == ("--allocation", str(1 << 30), "--prealloc-metadata")
    overlay = commands.volume_create(URI, "default", "o.qcow2", 1 << 30, "qcow2", backing_path="/b.qcow2",
                                     backing_format="qcow2")[0].argv
    assert overlay[-4:] == ("--backing-vol", "/b.qcow2", "--backing-vol-format", "qcow2")
    assert commands.volume_resize(URI, "p", "v", 5, True)[0].argv == (*V, "vol-resize", "--pool", "p", "v", "5",
                                                                      "--shrink")
    assert commands.volume_clone(URI, "p", "v", "p", "w")[0].argv == (*V, "vol-clone", "--pool", "p", "v", "w")
    assert commands.volume_clone(URI, "p", "v", "q", "w")[0].argv[3:5] == ("vol-create-from", "q")
    up = commands.volume_upload(URI, "p", "v", "/tmp/disk img", True, 1024, "raw")
    assert [c.argv[3] for c in up] == ["vol-create-as", "vol-upload"] and up[1].argv[-2:] == ("/tmp/disk img",
                                                                                              "--sparse")
    assert commands.volume_download(URI, "p", "v", "/tmp/x")[0].argv == (*V, "vol-download", "--pool", "p", "v",
                                                                         "/tmp/x", "--sparse")


def test_virt_install_carries_the_forms_choices():
    spec = GuestSpec(name="web 1", memory_kib=2 << 20, vcpus=2, domain_type="qemu", machine="q35", firmware="efi",
                     cpu_mode="host-model", disks=(DiskSpec(pool="default", volume="web.qcow2"),),
                     cdroms=("/iso/debian.iso",), nics=(NicSpec("bridge", "br0", "e1000e", "52:54:00:aa:bb:cc"),),
                     graphics="vnc", boot=("cdrom", "hd"), os_id="http://debian.org/debian/12", tpm=True)
    volume = NewGuestVolume("default", VolumeSpec("web.qcow2", 20 << 30))
    lines = commands.virt_install(URI, spec, (volume,), None, start=True)
    assert lines[0].argv[3] == "vol-create-as"
    argv = lines[-1].argv
    pairs = dict(zip(argv, argv[1:]))
    assert argv[0] == "virt-install" and pairs["--connect"] == URI and pairs["--name"] == "web 1"
    assert pairs["--memory"] == "2048" and pairs["--vcpus"] == "2" and pairs["--virt-type"] == "qemu"
    assert pairs["--disk"] == "vol=default/web.qcow2,bus=virtio,format=qcow2"
    assert pairs["--cdrom"] == "/iso/debian.iso" and pairs["--boot"] == "uefi"
    assert pairs["--network"] == "bridge=br0,model=e1000e,mac=52:54:00:aa:bb:cc"
    assert pairs["--osinfo"] == "http://debian.org/debian/12" and pairs["--graphics"] == "vnc"
    assert "--tpm" in argv and "--print-xml" not in argv
    kernel = GuestSpec(name="k", kernel="/boot/vmlinuz", initrd="/boot/initrd", cmdline="console=ttyS0",
                       boot=("hd",))
    kargv = commands.virt_install(URI, kernel, start=False)[0].argv
    assert "kernel=/boot/vmlinuz,initrd=/boot/initrd,kernel_args=console=ttyS0" in kargv and "--print-xml" in kargv
    assert commands.virt_install(URI, kernel, start=False)[-1].argv == (*V, "define", "guest.xml")
    pxe = commands.virt_install(URI, GuestSpec(name="p", boot=("network",)), start=True)[0].argv
    assert "--pxe" in pxe and ("--network", "none") == pxe[pxe.index("--network"):pxe.index("--network") + 2]
    imported = commands.virt_install(URI, GuestSpec(name="i", disks=(DiskSpec(path="/d.img", format="raw"),)),
                                     start=True)[0].argv
    assert "--import" in imported and "path=/d.img,bus=virtio,format=raw" in imported


def test_hardware_builders_of_the_actions():
    from tui.actions.guest_detail import GuestDetailActions

    disk = GuestDetailActions.attach_disk_commands(DiskRequest("virtio", new=NewVolume("p", "d.qcow2", 1 << 30,
                                                                                       "qcow2")))(URI, "a")
    assert [c.argv[3] for c in disk] == ["vol-create-as", "attach-device"]
    direct = GuestDetailActions.attach_nic_commands("direct", "eth0", "virtio", None)(URI, "a")
    assert direct[0].argv[3] == "attach-device" and "eth0" in direct[0].note
    both = GuestDetailActions.cpu_memory_commands(2, 1 << 20, True, True)(URI, "a")
    assert [c.argv[3] for c in both] == ["setvcpus", "setmem"]
    assert GuestDetailActions.cpu_memory_commands(None, 1 << 20, True, False)(URI, "a")[0].argv[3] == "setmem"


def test_tuning_builders_of_the_actions():
    from tui.actions import tuning
    from tui.backend.ops.tuning import NumaRequest, PinRequest

    pins = tuning.pinning_commands(PinRequest({1: frozenset({0, 1, 3}), 0: None}, False, True, False), 8)(URI, "a")
    assert [c.argv[3:] for c in pins] == [("vcpupin", "a", "0", "0-7", "--live"),
                                          ("vcpupin", "a", "1", "0,1,3", "--live")]  # emptied: any host CPU
    emulator = tuning.pinning_commands(PinRequest({}, frozenset({7}), False, True), 8)(URI, "a")
    assert [c.argv[3:] for c in emulator] == [("emulatorpin", "a", "7", "--config")]
    static = tuning.numa_commands(NumaRequest("strict", "static", "0-1"))(URI, "a")
    assert static[0].argv[3:] == ("numatune", "a", "--mode", "strict", "--nodeset", "0-1", "--config")
    auto = tuning.numa_commands(NumaRequest("interleave", "auto", None))(URI, "a")
    assert auto[0].argv[3:] == ("edit", "a") and "placement='auto'" in auto[0].note
    assert "<page size='2048' unit='KiB'/>" in tuning.hugepages_commands(2048)(URI, "a")[0].note
    assert "no <hugepages>" in tuning.hugepages_commands(None)(URI, "a")[0].note
    share = tuning.share_commands("/srv/a b", "t")(URI, "a")
    assert share[0].argv[3:] == ("attach-device", "a", "share.xml", "--config") and "'/srv/a b'" in share[0].note
    assert tuning.unshare_commands("t")(URI, "a")[0].argv[3:] == ("detach-device", "a", "share.xml", "--config")
    assert tuning.unhostdev_commands()(URI, "a")[0].argv[3:] == ("detach-device", "a", "hostdev.xml", "--config")


@given(st.lists(names, min_size=1, max_size=3), st.sampled_from(["strict", "preferred"]))
def test_tuning_lines_paste_back_whatever_the_name(words, mode):
    name = " ".join(words)
    lines = [*commands.vcpu_pinning(URI, name, [(0, "0-1")], "2", True, True),
             *commands.numatune(URI, name, mode, "static", "0"), *commands.share_attach(URI, name, name, "t"),
             *commands.hostdev_attach(URI, name, "<hostdev/>"), *commands.hugepages(URI, name, 2048)]
    for line in lines:
        assert shlex.split(line.render()) == list(line.argv) and line.argv[4] == name


def test_export_names_the_table_file_and_hosts():
    both = commands.export_table("guests", "json", "/tmp/my file.json", [URI, "test:///default"])
    assert shlex.split(both[0].render()) == ["virtdeck", "--connect", URI, "--connect", "test:///default", "--export",
                                              "guests", "--format", "json", "-o", "/tmp/my file.json"]
    assert both[0].note == ""
    config = commands.export_table("volumes", "csv", "/tmp/v.csv", (), only_shown="vm1")
    assert "--connect" not in config[0].argv and "config" in config[0].note and "vm1" in config[0].note


@given(st.lists(names, min_size=1, max_size=6))
def test_any_name_pastes_back_as_it_was(words):
    command = CommandLine(("virsh", "-c", URI, "start", *words))
    assert shlex.split(command.render()) == list(command.argv)


@settings(max_examples=40, deadline=None)
@given(st.lists(names.filter(lambda s: "\n" not in s and "\r" not in s), min_size=1, max_size=4))
def test_a_real_shell_reads_the_words_back(words):
    """Pasted into bash, each word arrives as one argument, byte for byte."""
    line = CommandLine(("printf", "%s\\0", *words)).render()
    out = subprocess.run(["bash", "-c", line], capture_output=True, check=True).stdout
    assert out.decode("utf-8", "surrogateescape").split("\0")[:-1] == words


def test_no_secret_in_the_new_guests_command():
    seed = Seed(hostname="web", user="admin", password="S3cr3t-$pw 'x'", ssh_keys=("ssh-ed25519 AAAA",))
    spec = GuestSpec(name="web", disks=(DiskSpec(pool="default", volume="w.qcow2"),),
                     cloud_init_iso="/var/lib/libvirt/images/web-seed.iso")
    lines = commands.virt_install(URI, spec, (), seed, start=True)
    text = rendered(lines)
    assert "S3cr3t" not in text and REDACTED in text and "user-data=user-data.yaml" in text


def test_connect_names_no_secret():
    lines = commands.connect("qemu+ssh://admin@kvm01/system")
    assert lines[0].argv == ("virsh", "-c", "qemu+ssh://admin@kvm01/system", "uri")


def test_virt_install_doubles_commas_inside_its_option_lists():
    spec = GuestSpec(name="a", disks=(DiskSpec(path="/srv/a,b.img", format="raw"),),
                     nics=(NicSpec("network", "lab,1"),), boot=("hd",))
    argv = commands.virt_install(URI, spec, start=True)[0].argv
    assert "path=/srv/a,,b.img,bus=virtio,format=raw" in argv and "network=lab,,1,model=virtio" in argv
