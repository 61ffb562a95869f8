"""The command line that does what a virtdeck action does (`virsh -c URI ...`,
`virt-install ...`, `virt-clone ...`, `qemu-img ...`), as data: an argv that pastes
into a shell whatever the names hold (`render` quotes each word). Pure: the verbs in
`tui/actions` build theirs from the same arguments they run with, the forms and
dialogs show them (`F2`) and the action log keeps them.

A secret never goes into an argv: where a command needs one it names a file that
would hold it (`--password-file FILE`) or says `REDACTED`."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass

REDACTED = "<redacted>"


@dataclass(frozen=True)
class CommandLine:
    """One command: its words, and a note on what it needs beside it (the XML file it
    names, a step no option expresses)."""

    argv: tuple[str, ...]
    note: str = ""

    def render(self) -> str:
        """The command as one shell line, every word quoted as it needs."""
        return shlex.join(self.argv)


def rendered(commands: Iterable[CommandLine]) -> str:
    """Several commands as shell lines, one a line (notes as `#` comments under theirs)."""
    lines = []
    for command in commands:
        if command.argv:
            lines.append(command.render())
        if command.note:
            lines.extend(f"# {line}" for line in command.note.splitlines())
    return "\n".join(lines)


def no_equivalent(call: str, why: str = "") -> CommandLine:
    """What virtdeck does with no command line that does the same: said in words."""
    return CommandLine((), f"no virsh equivalent: virtdeck calls {call}" + (f" ({why})" if why else ""))


def virsh(uri: str, *words: str, note: str = "") -> CommandLine:
    return CommandLine(("virsh", "-c", uri, *words), note)


# -- guests -----------------------------------------------------------------------

GUEST_VERBS: dict[str, tuple[str, ...]] = {  # ops.guests.run's verb -> virsh's words before the name
    "start": ("start",),
    "shutdown": ("shutdown",),
    "reboot": ("reboot",),
    "reset": ("reset",),
    "force_off": ("destroy",),
    "pause": ("suspend",),
    "resume": ("resume",),
    "wakeup": ("dompmwakeup",),
    "managed_save": ("managedsave",),
    "autostart_on": ("autostart",),
    "autostart_off": ("autostart", "--disable"),
}


def guest_verb(uri: str, verb: str, name: str) -> list[CommandLine]:
    """A lifecycle verb of `ops.guests.run` on the guest `name`."""
    if verb == "restart":  # force off, then start
        return [virsh(uri, "destroy", name), virsh(uri, "start", name)]
    if verb == "autostart_on":
        return [virsh(uri, "autostart", name)]
    if verb == "autostart_off":
        return [virsh(uri, "autostart", "--disable", name)]
    return [virsh(uri, *GUEST_VERBS[verb], name)]


def guest_delete(uri: str, name: str, running: bool, volumes: Iterable[str] = ()) -> list[CommandLine]:
    """Force off (if running) and undefine the guest with its managed save, snapshot
    metadata, NVRAM and the chosen volumes (their paths)."""
    commands = [virsh(uri, "destroy", name)] if running else []
    words = ["undefine", "--managed-save", "--snapshots-metadata", "--checkpoints-metadata", "--nvram"]
    chosen = list(volumes)
    if chosen:
        words += ["--storage", ",".join(chosen)]
    return [*commands, virsh(uri, *words, name)]


def guest_rename(uri: str, name: str, new_name: str) -> list[CommandLine]:
    return [virsh(uri, "domrename", name, new_name)]


def guest_clone(uri: str, name: str, new_name: str, files: Iterable[str] = ()) -> list[CommandLine]:
    """virt-clone: `files` are the new disks' paths, in the order of the guest's disks
    (none: virt-clone names them itself)."""
    argv = ["virt-clone", "--connect", uri, "--original", name, "--name", new_name]
    paths = list(files)
    if paths:
        for path in paths:
            argv += ["--file", path]
    else:
        argv.append("--auto-clone")
    return [CommandLine(tuple(argv))]


def guest_migrate(uri: str, name: str, target_uri: str, active: bool, paused: bool, persistent: bool,
                  undefine_source: bool, copy_storage: bool, address: str = "") -> list[CommandLine]:
    """As `ops.migrate.flags_for` sets the flags: live unless paused, offline when shut off."""
    words = ["migrate"]
    if active and not paused:
        words.append("--live")
    if not active:
        words.append("--offline")
    if persistent or not active:
        words.append("--persistent")
    if undefine_source and persistent:
        words.append("--undefinesource")
    if copy_storage and active:
        words.append("--copy-storage-all")
    words += ["--verbose", name, target_uri]
    if address and active:
        words.append(address)
    return [virsh(uri, *words)]


def guest_define(uri: str, file: str = "guest.xml", note: str = "") -> list[CommandLine]:
    """A definition no single option expresses: the XML in `file` (shown beside)."""
    return [virsh(uri, "define", file, note=note or f"{file}: the XML shown by x (or the preview)")]


def setvcpus(uri: str, name: str, count: int, live: bool, config: bool) -> list[CommandLine]:
    return [virsh(uri, "setvcpus", name, str(count), *_scope(live, config))]


def setmem(uri: str, name: str, kib: int, live: bool, config: bool) -> list[CommandLine]:
    return [virsh(uri, "setmem", name, f"{kib}KiB", *_scope(live, config))]


def _scope(live: bool, config: bool) -> list[str]:
    return (["--live"] if live else []) + (["--config"] if config else [])


def change_media(uri: str, name: str, target: str, path: str | None) -> list[CommandLine]:
    if path is None:
        return [virsh(uri, "change-media", name, target, "--eject")]
    return [virsh(uri, "change-media", name, target, path, "--insert")]


def attach_device(uri: str, name: str, file: str, live: bool = True, config: bool = True,
                  note: str = "") -> list[CommandLine]:
    return [virsh(uri, "attach-device", name, file, *_scope(live, config),
                  note=note or f"{file}: the device's XML")]


def detach_device(uri: str, name: str, file: str, live: bool = True, config: bool = True) -> list[CommandLine]:
    return [virsh(uri, "detach-device", name, file, *_scope(live, config),
                  note=f"{file}: the device's XML, as dumpxml shows it")]


def attach_interface(uri: str, name: str, kind: str, source: str, model: str, mac: str | None) -> list[CommandLine]:
    words = ["attach-interface", name, kind, source, "--model", model]
    if mac:
        words += ["--mac", mac]
    return [virsh(uri, *words, "--live", "--config")]


def fs_freeze(uri: str, name: str) -> list[CommandLine]:
    return [virsh(uri, "domfsfreeze", name)]


def fs_thaw(uri: str, name: str) -> list[CommandLine]:
    return [virsh(uri, "domfsthaw", name)]


def save(uri: str, name: str, path: str) -> list[CommandLine]:
    return [virsh(uri, "save", name, path, "--verbose")]


def restore(uri: str, path: str) -> list[CommandLine]:
    return [virsh(uri, "restore", path)]


def export(uri: str, name: str, path: str) -> list[CommandLine]:
    return [virsh(uri, "dumpxml", "--inactive", "--security-info", name,
                  note=f"written to {path} on the host (redirect the output there)")]


def import_definition(uri: str, path: str) -> list[CommandLine]:
    return [virsh(uri, "define", path)]


def backup(uri: str, name: str, directory: str) -> list[CommandLine]:
    return [virsh(uri, "backup-begin", name, "--backupxml", "backup.xml",
                  note=f"backup.xml: a push backup of every disk into {directory} (qcow2)")]


# -- snapshots --------------------------------------------------------------------

def snapshot_create(uri: str, name: str, snapshot: str, description: str, disk_only: bool) -> list[CommandLine]:
    words = ["snapshot-create-as", name, snapshot]
    if description:
        words += ["--description", description]
    if disk_only:
        words += ["--disk-only", "--atomic"]
    return [virsh(uri, *words)]


def snapshot_revert(uri: str, name: str, snapshot: str) -> list[CommandLine]:
    return [virsh(uri, "snapshot-revert", name, snapshot)]


def snapshot_delete(uri: str, name: str, snapshot: str, with_children: bool) -> list[CommandLine]:
    return [virsh(uri, "snapshot-delete", name, snapshot, *(["--children"] if with_children else []))]


# -- networks and pools -------------------------------------------------------------

NETWORK_VERBS = {"start": "net-start", "stop": "net-destroy"}
POOL_VERBS = {"start": "pool-start", "stop": "pool-destroy", "refresh": "pool-refresh"}


def network_verb(uri: str, verb: str, name: str, autostart: bool | None = None,
                 active: bool = True) -> list[CommandLine]:
    """A network verb of `ops.networks` (`autostart`: the value it is set to)."""
    if verb == "autostart":
        return [virsh(uri, "net-autostart", name, *([] if autostart else ["--disable"]))]
    if verb == "delete":
        return [*([virsh(uri, "net-destroy", name)] if active else []), virsh(uri, "net-undefine", name)]
    return [virsh(uri, NETWORK_VERBS[verb], name)]


def pool_verb(uri: str, verb: str, name: str, autostart: bool | None = None, active: bool = True) -> list[CommandLine]:
    """A pool verb of `ops.storage` (`autostart`: the value it is set to)."""
    if verb == "autostart":
        return [virsh(uri, "pool-autostart", name, *([] if autostart else ["--disable"]))]
    stop = [virsh(uri, "pool-destroy", name)] if active else []
    if verb == "delete":
        return [*stop, virsh(uri, "pool-delete", name), virsh(uri, "pool-undefine", name)]
    if verb == "undefine":
        return [*stop, virsh(uri, "pool-undefine", name)]
    return [virsh(uri, POOL_VERBS[verb], name)]


def network_create(uri: str, name: str, start: bool, autostart: bool) -> list[CommandLine]:
    commands = [virsh(uri, "net-define", "network.xml", note="network.xml: the XML the form shows")]
    if start:
        commands.append(virsh(uri, "net-start", name))
    if autostart:
        commands.append(virsh(uri, "net-autostart", name))
    return commands


def pool_create(uri: str, name: str, build: bool, start: bool, autostart: bool) -> list[CommandLine]:
    commands = [virsh(uri, "pool-define", "pool.xml", note="pool.xml: the XML the form shows")]
    if build:
        commands.append(virsh(uri, "pool-build", name))
    if start:
        commands.append(virsh(uri, "pool-start", name))
    if autostart:
        commands.append(virsh(uri, "pool-autostart", name))
    return commands


def define_xml(uri: str, kind: str, file: str | None = None) -> list[CommandLine]:
    """An edited definition of a guest, network or pool, defined again."""
    verb = {"guest": "define", "network": "net-define", "pool": "pool-define"}[kind]
    file = file or f"{kind}.xml"
    return [virsh(uri, verb, file, note=f"{file}: the XML as edited")]


# -- volumes ----------------------------------------------------------------------

def volume_create(uri: str, pool: str, name: str, capacity: int, format: str, allocation: int = 0,
                  backing_path: str | None = None, backing_format: str | None = None) -> list[CommandLine]:
    words = ["vol-create-as", pool, name, str(capacity), "--format", format]
    if backing_path:
        words += ["--backing-vol", backing_path]
        if backing_format:
            words += ["--backing-vol-format", backing_format]
    if allocation:  # ops.volumes.create_flags: qcow2 takes an allocation only with this flag
        words += ["--allocation", str(allocation)]
        if format == "qcow2" and not backing_path:
            words.append("--prealloc-metadata")
    return [virsh(uri, *words)]


def volume_delete(uri: str, pool: str, name: str) -> list[CommandLine]:
    return [virsh(uri, "vol-delete", "--pool", pool, name)]


def volume_wipe(uri: str, pool: str, name: str) -> list[CommandLine]:
    return [virsh(uri, "vol-wipe", "--pool", pool, name)]


def volume_resize(uri: str, pool: str, name: str, capacity: int, shrink: bool) -> list[CommandLine]:
    return [virsh(uri, "vol-resize", "--pool", pool, name, str(capacity), *(["--shrink"] if shrink else []))]


def volume_clone(uri: str, pool: str, name: str, target_pool: str, new_name: str) -> list[CommandLine]:
    if target_pool == pool:
        return [virsh(uri, "vol-clone", "--pool", pool, name, new_name)]
    return [virsh(uri, "vol-create-from", target_pool, "volume.xml", name, "--inputpool", pool,
                  note=f"volume.xml: a volume named {new_name} like {name} (vol-dumpxml, the name changed)")]


def volume_upload(uri: str, pool: str, name: str, local_path: str, new: bool, capacity: int = 0,
                  format: str = "raw") -> list[CommandLine]:
    made = [virsh(uri, "vol-create-as", pool, name, str(capacity), "--format", format)] if new else []
    return [*made, virsh(uri, "vol-upload", "--pool", pool, name, local_path, "--sparse")]


def volume_download(uri: str, pool: str, name: str, local_path: str) -> list[CommandLine]:
    return [virsh(uri, "vol-download", "--pool", pool, name, local_path, "--sparse")]


def on_host(argv: list[str] | tuple[str, ...], uri: str) -> list[CommandLine]:
    """A command virtdeck runs on the host of `uri` itself (qemu-img, over its SSH connection)."""
    return [CommandLine(tuple(argv), f"run on the host of {uri}")]


# -- connections --------------------------------------------------------------------

def connect(uri: str) -> list[CommandLine]:
    return [virsh(uri, "uri", note="virsh asks for a password or passphrase itself; none is kept here")]


# -- a new guest ----------------------------------------------------------------------

def _sub(value: str) -> str:
    """A value inside a virt-install sub-option list (`vol=...,bus=...`): a comma doubled."""
    return value.replace(",", ",,")


def virt_install(uri: str, spec, volumes=(), seed=None, start: bool = False) -> list[CommandLine]:
    """virt-install with the options the new-guest form chose (`spec`: xml.new_guest.GuestSpec;
    `volumes`: the ops.new_guest.NewVolume it makes first; `seed`: the cloud-init seed, whose
    password never shows). What no option says exactly is in the preview's XML."""
    made = []
    for volume in volumes:
        v = volume.spec
        if volume.copy_of:
            made.append(virsh(uri, "vol-create-from", volume.pool, "volume.xml", volume.copy_of,
                              note=f"volume.xml: {v.name}, a copy of {volume.copy_of}"))
        else:
            made += volume_create(uri, volume.pool, v.name, v.capacity, v.format, v.allocation, v.backing_path,
                                  v.backing_format)
    argv = ["virt-install", "--connect", uri, "--name", spec.name, "--memory", str(spec.memory_kib // 1024),
            "--vcpus", str(spec.vcpus), "--virt-type", spec.domain_type, "--arch", spec.arch]
    if spec.machine:
        argv += ["--machine", spec.machine]
    if spec.firmware == "efi":
        argv += ["--boot", "uefi" + (",firmware.feature0.name=secure-boot,firmware.feature0.enabled=yes"
                                     if spec.secure_boot else "")]
    argv += ["--cpu", spec.cpu_model if spec.cpu_mode == "custom" and spec.cpu_model else spec.cpu_mode]
    argv += ["--osinfo", spec.os_id or "detect=on,require=off"]
    for disk in spec.disks:
        where = f"vol={_sub(disk.pool)}/{_sub(disk.volume)}" if disk.pool and disk.volume else f"path={_sub(disk.path)}"
        argv += ["--disk", f"{where},bus={disk.bus},format={disk.format}"]
    if spec.kernel:
        boot = f"kernel={_sub(spec.kernel)}" + (f",initrd={_sub(spec.initrd)}" if spec.initrd else "")
        argv += ["--boot", boot + (f",kernel_args={_sub(spec.cmdline)}" if spec.cmdline else "")]
    for number, iso in enumerate(spec.cdroms):
        argv += (["--cdrom", iso] if number == 0 and spec.boot[:1] == ("cdrom",)
                 else ["--disk", f"path={_sub(iso)},device=cdrom"])
    if spec.boot[:1] == ("network",):
        argv.append("--pxe")
    elif not spec.cdroms and not spec.kernel and spec.disks:
        argv.append("--import")
    if seed is not None:
        argv += ["--cloud-init", "user-data=user-data.yaml"]
    for nic in spec.nics:
        value = f"{nic.kind}={_sub(nic.source)},model={nic.model}"
        if nic.mac:
            value += f",mac={nic.mac}"
        if nic.kind == "direct" and nic.mode:
            value = f"type=direct,source={_sub(nic.source)},source.mode={nic.mode},model={nic.model}" + (
                f",mac={nic.mac}" if nic.mac else "")
        argv += ["--network", value]
    if not spec.nics:
        argv += ["--network", "none"]
    argv += ["--graphics", spec.graphics]
    if spec.guest_agent:
        argv += ["--channel", "unix,target.type=virtio,target.name=org.qemu.guest_agent.0"]
    if spec.tpm:
        argv += ["--tpm", "default"]
    if spec.localtime:
        argv += ["--clock", "offset=localtime"]
    argv.append("--noautoconsole" if start else "--print-xml")
    note = "the preview's XML is what virtdeck defines; virt-install's may differ in details"
    if seed is not None:
        note += f"\nuser-data.yaml: the cloud-init seed (host name {seed.hostname}" + (
            f", user {seed.user}" if seed.user else "") + (", password " + REDACTED if seed.password else "") + ")"
    if start:
        return [*made, CommandLine(tuple(argv), note)]
    return [*made, CommandLine(tuple(argv), note + "\nits output saved as guest.xml, then:"),
            virsh(uri, "define", "guest.xml")]


# -- tuning (pinning, NUMA, memory backing, shares, host devices) ---------------------


def vcpu_pinning(uri: str, name: str, pins: Iterable[tuple[int, str]], emulator: str | None, live: bool,
                 config: bool) -> list[CommandLine]:
    """`virsh vcpupin` for each (vCPU, cpuset) and `virsh emulatorpin` (None: left as it is)."""
    lines = [virsh(uri, "vcpupin", name, str(vcpu), cpuset, *_scope(live, config)) for vcpu, cpuset in pins]
    if emulator is not None:
        lines.append(virsh(uri, "emulatorpin", name, emulator, *_scope(live, config)))
    return lines


def numatune(uri: str, name: str, mode: str | None, placement: str | None, nodeset: str | None) -> list[CommandLine]:
    """The guest's memory policy for the next boot; `mode` None: none."""
    if mode is not None and placement == "static":
        return [virsh(uri, "numatune", name, "--mode", mode, "--nodeset", nodeset or "0", "--config")]
    what = f"<numatune><memory mode='{mode}' placement='auto'/>" if mode else "no <numatune><memory>"
    return guest_edit(uri, name, f"virsh has no option for it: the definition gets {what}")


def guest_edit(uri: str, name: str, what: str) -> list[CommandLine]:
    """A change to the definition no virsh option makes: `virsh edit`, saying what changes."""
    return [virsh(uri, "edit", name, note=what)]


def hugepages(uri: str, name: str, size_kib: int | None) -> list[CommandLine]:
    if size_kib is None:
        return guest_edit(uri, name, "in the definition: no <hugepages> in <memoryBacking>")
    return guest_edit(uri, name, f"in the definition: <memoryBacking><hugepages><page size='{size_kib}' unit='KiB'/>"
                                 "</hugepages><source type='memfd'/></memoryBacking>")


def share_attach(uri: str, name: str, source: str, tag: str) -> list[CommandLine]:
    return attach_device(uri, name, "share.xml", live=False, note=(
        f"share.xml: <filesystem type='mount' accessmode='passthrough'><driver type='virtiofs'/> with source dir "
        f"{source!r} and target dir {tag!r}; and, if missing, <memoryBacking><source type='memfd'/>"
        "<access mode='shared'/> (virsh edit)"))


def share_detach(uri: str, name: str, tag: str) -> list[CommandLine]:
    return [virsh(uri, "detach-device", name, "share.xml", "--config",
                  note=f"share.xml: its <filesystem>, tag {tag}, as dumpxml shows it")]


def hostdev_attach(uri: str, name: str, hostdev_xml: str) -> list[CommandLine]:
    return attach_device(uri, name, "hostdev.xml", live=False, note=f"hostdev.xml: {hostdev_xml}")


def hostdev_detach(uri: str, name: str) -> list[CommandLine]:
    return detach_device(uri, name, "hostdev.xml", live=False)


def export_table(table: str, form: str, path: str, uris: Iterable[str] = (), only_shown: str = "") -> list[CommandLine]:
    """`virtdeck --export`: the table to a file, from the hosts `uris` (none: the config's)."""
    argv = ["virtdeck", *(w for uri in uris for w in ("--connect", uri)), "--export", table, "--format", form,
            "-o", path]
    notes = [] if uris else ["the hosts of virtdeck's config"]
    if only_shown:
        notes.append(f"every row: the command has no filter (the form's 'only the rows shown' keeps {only_shown})")
    return [CommandLine(tuple(argv), "; ".join(notes))]
