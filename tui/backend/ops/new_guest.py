"""Create a new guest the way virt-install does: what the host offers (domain
capabilities, pools, volumes, networks), the answers (``GuestAnswers``, named
by what they describe) turned into a plan (pure, every problem keyed by the
answer it belongs to), and the plan carried out -- ISO upload, cloud-init
seed, new volumes, define, optional start -- with everything it made removed
again when a later step fails."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import libvirt

from ..units import size_text
from .. import cloud_init
from ..osinfo import OsVariant
from ..overcommit import HostLoad, Thresholds
from ..validate import check_host_path, check_interface_name, check_name, parse_mac, parse_memory, parse_size, \
    parse_vcpus
from ..xml.new_guest import CPU_MODES, DiskSpec, GuestSpec, NicSpec, build_guest_xml, parse_guest_spec, \
    spec_conflicts
from ..xml.volume import VolumeSpec, build_volume_xml, parse_volume
from . import volumes
from .common import free_name, pretty, transfer
from .jobs import Progress

SOURCES = ("iso", "import", "pxe", "kernel", "cloud")
UPLOAD_CHUNK = 1024 * 1024
X86 = ("x86_64", "i686")


# ---------------------------------------------------------------------------
# what the host offers


@dataclass(frozen=True)
class VolumeChoice:
    pool: str
    name: str
    path: str
    format: str
    capacity: int

    @property
    def label(self) -> str:
        return f"{self.pool}/{self.name} ({self.format}, {size_text(self.capacity)})"


@dataclass(frozen=True)
class TypeOffer:
    """What one domain type (kvm, qemu) offers, from the domain capabilities."""

    domain_type: str
    machines: tuple[str, ...] = ()
    default_machine: str | None = None
    firmware: tuple[str, ...] = ("bios",)
    secure_boot: bool = False
    cpu_modes: tuple[str, ...] = CPU_MODES
    tpm: bool | None = None  # None: the host does not say
    max_vcpus: int | None = None


@dataclass(frozen=True)
class HostChoices:
    arch: str
    offers: tuple[TypeOffer, ...]
    pools: tuple[str, ...] = ()  # active pools
    pool_paths: Mapping[str, str] = field(default_factory=dict)
    volumes: tuple[VolumeChoice, ...] = ()
    networks: tuple[str, ...] = ()
    guests: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()  # what could not be read, in words

    def offer(self, domain_type: str) -> TypeOffer | None:
        return next((o for o in self.offers if o.domain_type == domain_type), None)

    def volume_names(self, pool: str) -> set[str]:
        return {v.name for v in self.volumes if v.pool == pool}


def _machines(arch_el: ET.Element) -> tuple[list[str], list[str]]:
    """(short aliases like q35 and pc, every versioned machine) of one <arch>."""
    aliases, versioned = [], []
    for machine in arch_el.findall("machine"):
        name = (machine.text or "").strip()
        if not name:
            continue
        (aliases if machine.get("canonical") else versioned).append(name)
    return aliases, versioned


def parse_guest_caps(xml: str) -> tuple[str, dict[str, tuple[str, ...]]]:
    """The host arch (x86_64 preferred) and, per domain type offered for it,
    its machines (aliases first)."""
    root = ET.fromstring(xml)
    host_arch = root.findtext("host/cpu/arch") or "x86_64"
    arches: dict[str, dict[str, tuple[str, ...]]] = {}
    for guest in root.findall("guest"):
        if guest.findtext("os_type") != "hvm":
            continue
        arch_el = guest.find("arch")
        if arch_el is None:
            continue
        aliases, versioned = _machines(arch_el)
        found = arches.setdefault(arch_el.get("name", ""), {})
        for domain in arch_el.findall("domain"):
            kind = domain.get("type")
            if not kind:
                continue
            extra_aliases, extra = _machines(domain)
            ordered = [*extra_aliases, *aliases, *sorted(extra), *sorted(versioned, reverse=True)]
            found[kind] = tuple(dict.fromkeys(sorted(ordered, key=lambda m: m != "q35")))
    arch = host_arch if host_arch in arches else ("x86_64" if "x86_64" in arches else next(iter(arches), host_arch))
    return arch, arches.get(arch, {})


def parse_type_offer(domain_type: str, machines: tuple[str, ...], xml: str | None, arch: str) -> TypeOffer:
    """One TypeOffer from the domain capabilities XML (None: not available)."""
    if xml is None:
        return TypeOffer(domain_type, machines=machines, default_machine=machines[0] if machines else None,
                         firmware=("bios", "efi") if arch in X86 else ("efi",), secure_boot=arch in X86)
    root = ET.fromstring(xml)
    firmware = [v.text or "" for v in root.findall("os/enum[@name='firmware']/value")]
    loaders = [v.text or "" for v in root.findall("os/loader/value")]
    secure_values = [v.text for v in root.findall("os/loader/enum[@name='secure']/value")]
    offered = (["bios"] if arch in X86 else []) + (["efi"] if "efi" in firmware or loaders else [])
    modes = tuple(m.get("name", "") for m in root.findall("cpu/mode") if m.get("supported") == "yes")
    tpm_el = root.find("devices/tpm")
    vcpu = root.find("vcpu")
    default = root.findtext("machine")
    ordered_modes = tuple(m for m in CPU_MODES if m in modes) or ("custom",)
    return TypeOffer(
        domain_type,
        machines=machines or ((default,) if default else ()),
        default_machine="q35" if "q35" in machines else default,
        firmware=tuple(offered) or ("bios",),
        secure_boot="yes" in secure_values and any("secboot" in p or ".ms." in p for p in loaders),
        cpu_modes=ordered_modes,
        tpm=None if tpm_el is None else tpm_el.get("supported") == "yes",
        max_vcpus=int(vcpu.get("max")) if vcpu is not None and (vcpu.get("max") or "").isdigit() else None,
    )


def read_host_choices(conn: libvirt.virConnect) -> HostChoices:
    """Everything the form offers for this host (on the connection's thread)."""
    notes: list[str] = []
    arch, types = parse_guest_caps(conn.getCapabilities())
    offers = []
    ordered = [t for t in ("kvm", "qemu") if t in types] + [t for t in types if t not in ("kvm", "qemu")]
    for domain_type in ordered:
        xml = None
        if domain_type in ("kvm", "qemu"):
            try:
                machine = "q35" if "q35" in types[domain_type] else None  # secure boot needs q35
                xml = conn.getDomainCapabilities(None, arch, machine, domain_type, 0)
            except libvirt.libvirtError as exc:
                notes.append(f"{domain_type}: no domain capabilities ({exc.get_error_message()})")
        offer = parse_type_offer(domain_type, types[domain_type], xml, arch)
        if offer.max_vcpus is None:  # no domain capabilities (the test driver): the hypervisor's own maximum
            try:
                offer = replace(offer, max_vcpus=conn.getMaxVcpus(domain_type) or None)
            except libvirt.libvirtError:
                pass
        offers.append(offer)
    pools, paths, volumes = [], {}, []
    for pool in conn.listAllStoragePools():
        try:
            if not pool.isActive():
                continue
            name = pool.name()
            pools.append(name)
            target = ET.fromstring(pool.XMLDesc(0)).findtext("target/path")
            if target:
                paths[name] = target
            for vol in pool.listAllVolumes(0):
                info = parse_volume(vol.XMLDesc(0))
                volumes.append(VolumeChoice(name, vol.name(), vol.path(), info.format or "raw", vol.info()[1]))
        except libvirt.libvirtError as exc:
            notes.append(f"pool: {exc.get_error_message()}")
    networks = [net.name() for net in conn.listAllNetworks()]
    guests = frozenset(dom.name() for dom in conn.listAllDomains())
    return HostChoices(arch, tuple(offers), tuple(sorted(pools)), paths,
                       tuple(sorted(volumes, key=lambda v: (v.pool, v.name))), tuple(sorted(networks)), guests,
                       tuple(notes))


# ---------------------------------------------------------------------------
# the plan


@dataclass(frozen=True)
class NewVolume:
    """A volume to make: from ``spec``, or a copy of ``copy_of`` (a path)."""

    pool: str
    spec: VolumeSpec
    copy_of: str | None = None


@dataclass(frozen=True)
class Upload:
    pool: str
    name: str
    local_path: str
    size: int


@dataclass(frozen=True)
class NewGuestPlan:
    """``spec`` names the uploaded ISO and the seed by the paths they will
    have (``predicted``: path -> (pool, volume)); ``create`` puts in the real
    ones."""

    spec: GuestSpec
    volumes: tuple[NewVolume, ...] = ()
    upload: Upload | None = None
    seed: cloud_init.Seed | None = None
    seed_volume: tuple[str, str] | None = None  # (pool, name)
    predicted: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    start: bool = False

    @property
    def xml(self) -> str:
        return domain_xml(self.spec)


def domain_xml(spec: GuestSpec) -> str:
    """The XML defined for ``spec``, indented: what the preview shows is what
    is defined."""
    return pretty(build_guest_xml(spec))


def free_volume_name(base: str, ext: str, taken: set[str]) -> str:
    return free_name(base.replace("/", "_"), taken, ext)


def _predict(host: HostChoices, pool: str, name: str) -> str:
    return f"{host.pool_paths.get(pool, '/' + pool).rstrip('/')}/{name}"


def overcommit_warning(load: HostLoad | None, cpus: int | None, memory_kib: int | None, vcpus: int,
                       memory: int, thresholds: Thresholds) -> str | None:
    """Words when this guest, running, would push the host past its thresholds."""
    if load is None:
        return None
    words = []
    if cpus:
        ratio = (load.vcpus + vcpus) / cpus
        if ratio > thresholds.vcpu_ratio:
            words.append(f"vCPUs: {load.vcpus} running + {vcpus} = {ratio:.1f} per host CPU "
                         f"(threshold {thresholds.vcpu_ratio:g})")
    if memory_kib:
        host_memory = memory_kib * 1024
        ratio = (load.memory + memory) / host_memory
        if ratio > thresholds.memory_ratio:
            words.append(f"memory: {size_text(load.memory)} running + {size_text(memory)} = {ratio:.0%} of "
                         f"{size_text(host_memory)} (threshold {thresholds.memory_ratio:.0%})")
    return ("Overcommits the host when running: " + "; ".join(words)) if words else None


@dataclass(frozen=True)
class GuestAnswers:
    """What is asked about a new guest, named by what it describes (the form maps
    its fields to these names). Text as typed; a choice not made is None or "";
    a problem is keyed by the name of the answer it is shown next to."""

    name: str = ""
    memory: str = ""  # 2G, 512M; MiB without a unit
    vcpus: str = ""
    domain_type: str = ""  # kvm, qemu, test
    source: str = ""  # one of SOURCES
    iso_from: str = ""  # volume, path, upload
    iso_volume: VolumeChoice | None = None
    iso_path: str = ""  # on the host
    iso_file: str = ""  # on this machine, uploaded into iso_pool
    iso_pool: str = ""
    import_from: str = ""  # volume, path
    import_volume: VolumeChoice | None = None
    import_path: str = ""
    import_format: str = ""
    kernel: str = ""
    initrd: str = ""
    cmdline: str = ""
    cloud_volume: VolumeChoice | None = None
    cloud_mode: str = ""  # overlay, copy
    ci_hostname: str = ""
    ci_user: str = ""
    ci_password: str = ""
    ci_key: str = ""
    machine: str = ""
    firmware: str = ""  # bios, efi
    secure_boot: bool = False
    tpm: bool = False
    cpu_mode: str = ""
    disk: str = ""  # new, existing, none (the ISO, PXE and kernel sources)
    disk_pool: str = ""
    disk_size: str = ""
    disk_format: str = ""
    disk_volume: VolumeChoice | None = None
    disk_bus: str = ""
    nic: str = ""  # network, bridge, direct, none
    nic_network: str = ""
    nic_bridge: str = ""
    nic_dev: str = ""
    nic_mode: str = ""  # macvtap mode
    nic_model: str = ""
    nic_mac: str = ""
    guest_agent: bool = False
    graphics: str = ""
    hyperv: bool = False
    localtime: bool = False
    virtio_win: str = ""


# The answer a problem of the spec itself is shown next to, by the GuestSpec field it concerns.
CONFLICT_ANSWERS = {"domain_type": "domain_type", "firmware": "firmware", "secure_boot": "secure_boot",
                    "cpu_mode": "cpu_mode", "cpu_model": "cpu_mode", "graphics": "graphics", "disks": "disk",
                    "nics": "nic", "boot": "source", "cdroms": "source", "kernel": "source"}
SEED_ANSWERS = {"hostname": "ci_hostname", "user": "ci_user", "password": "ci_password", "ssh_key": "ci_key"}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def plan_guest(answers: GuestAnswers, host: HostChoices, variant: OsVariant | None,
               start: bool = False) -> tuple[NewGuestPlan | None, dict[str, str]]:
    """The plan from the answers, or every problem keyed by the GuestAnswers
    field to show it next to ("os" for a missing ``variant``). Nothing here
    touches libvirt."""
    problems: dict[str, str] = {}
    name = _text(answers.name)
    error = check_name(name, "guest", host.guests)
    if error is None and name != name.strip():
        error = "A name does not start or end with spaces"
    if error:
        problems["name"] = error
    if variant is None:
        problems["os"] = "Choose an operating system (type part of its name, e.g. debian, win11, generic)"
    memory, error = parse_memory(_text(answers.memory))
    if error:
        problems["memory"] = error
    domain_type = _text(answers.domain_type)
    offer = host.offer(domain_type)
    if offer is None:
        problems["domain_type"] = "Choose a domain type this host offers"
    vcpus, error = parse_vcpus(_text(answers.vcpus), offer.max_vcpus if offer else None)
    if error:
        problems["vcpus"] = error

    source = _text(answers.source)
    volumes: list[NewVolume] = []
    disks: list[DiskSpec] = []
    cdroms: list[str] = []
    predicted: dict[str, tuple[str, str]] = {}
    upload = seed = seed_volume = None
    kernel = initrd = cmdline = None
    boot: tuple[str, ...] = ("hd",)
    bus = _text(answers.disk_bus) or "virtio"
    taken_in: dict[str, set[str]] = {}

    def taken(pool: str) -> set[str]:
        return taken_in.setdefault(pool, host.volume_names(pool))

    def new_disk(fmt: str, backing: VolumeChoice | None = None, copy: bool = False) -> None:
        pool = _text(answers.disk_pool)
        if pool not in host.pools:
            problems["disk_pool"] = "Choose an active storage pool"
            return
        minimum = backing.capacity if backing else 1024 * 1024
        size, error = parse_size(_text(answers.disk_size), default_unit="GiB", minimum=minimum)
        if error:
            problems["disk_size"] = error if not backing else f"{error} (the image is {size_text(backing.capacity)})"
            return
        vol_name = free_volume_name(name or "guest", ".qcow2" if fmt == "qcow2" else ".img", taken(pool))
        taken(pool).add(vol_name)
        if backing is not None and not copy:
            spec = VolumeSpec(vol_name, size, "qcow2", 0, backing.path, backing.format)
        elif fmt == "raw" and not copy:
            spec = VolumeSpec(vol_name, size, "raw", size)  # preallocated
        else:
            spec = VolumeSpec(vol_name, size, fmt, 0)
        volumes.append(NewVolume(pool, spec, copy_of=backing.path if copy and backing else None))
        disks.append(DiskSpec(pool=pool, volume=vol_name, bus=bus, format=spec.format))

    if source not in SOURCES:
        problems["source"] = "Choose an install source"
    elif source == "iso":
        how = _text(answers.iso_from)
        if how == "volume":
            chosen = answers.iso_volume
            if not isinstance(chosen, VolumeChoice):
                problems["iso_volume"] = "Choose the ISO volume"
            else:
                cdroms.append(chosen.path)
        elif how == "path":
            path = _text(answers.iso_path)
            error = check_host_path(path, "ISO path")
            if error:
                problems["iso_path"] = error
            else:
                cdroms.append(path)
        else:
            local = os.path.expanduser(_text(answers.iso_file))
            pool = _text(answers.iso_pool)
            if not local:
                problems["iso_file"] = "Enter the path of an ISO on this machine"
            elif not os.path.isfile(local):
                problems["iso_file"] = f"No such file here: {local}"
            if pool not in host.pools:
                problems["iso_pool"] = "Choose the pool to upload it into"
            elif "iso_file" not in problems:
                vol_name = os.path.basename(local)
                if vol_name in taken(pool):
                    problems["iso_file"] = f"Pool {pool} has a volume named {vol_name} already: choose it instead"
                else:
                    taken(pool).add(vol_name)
                    upload = Upload(pool, vol_name, local, os.path.getsize(local))
                    path = _predict(host, pool, vol_name)
                    predicted[path] = (pool, vol_name)
                    cdroms.append(path)
        boot = ("cdrom", "hd")
    elif source == "import":
        if _text(answers.import_from) == "path":
            path = _text(answers.import_path)
            error = check_host_path(path, "image path")
            if error:
                problems["import_path"] = error
            else:
                disks.append(DiskSpec(path=path, bus=bus, format=_text(answers.import_format) or "qcow2"))
        else:
            chosen = answers.import_volume
            if not isinstance(chosen, VolumeChoice):
                problems["import_volume"] = "Choose the disk image to import"
            else:
                disks.append(DiskSpec(pool=chosen.pool, volume=chosen.name, bus=bus, format=chosen.format))
    elif source == "pxe":
        boot = ("network", "hd")
        if _text(answers.nic) == "none":
            problems["nic"] = "Network (PXE) boot needs a network interface"
    elif source == "kernel":
        kernel = _text(answers.kernel)
        error = check_host_path(kernel, "kernel path")
        if error:
            problems["kernel"] = error
        initrd = _text(answers.initrd) or None
        if initrd:
            error = check_host_path(initrd, "initrd path")
            if error:
                problems["initrd"] = error
        cmdline = _text(answers.cmdline) or None
    elif source == "cloud":
        base = answers.cloud_volume
        if not isinstance(base, VolumeChoice):
            problems["cloud_volume"] = "Choose the cloud image (a volume)"
        else:
            new_disk("qcow2", backing=base, copy=_text(answers.cloud_mode) == "copy")
        seed = cloud_init.Seed(
            hostname=_text(answers.ci_hostname) or "", user=_text(answers.ci_user).strip(),
            password=_text(answers.ci_password),
            ssh_keys=tuple(k for k in [_text(answers.ci_key).strip()] if k),
        )
        for key, message in cloud_init.seed_problems(seed).items():
            problems[SEED_ANSWERS[key]] = message
        pool = _text(answers.disk_pool)
        if pool in host.pools:
            seed_name = free_volume_name(f"{name or 'guest'}-cidata", ".iso", taken(pool))
            taken(pool).add(seed_name)
            seed_volume = (pool, seed_name)

    if source in ("iso", "pxe", "kernel"):
        disk = _text(answers.disk)
        if disk == "new":
            new_disk(_text(answers.disk_format) or "qcow2")
        elif disk == "existing":
            chosen = answers.disk_volume
            if not isinstance(chosen, VolumeChoice):
                problems["disk_volume"] = "Choose the volume"
            else:
                disks.append(DiskSpec(pool=chosen.pool, volume=chosen.name, bus=bus, format=chosen.format))
        elif source == "iso":
            boot = ("cdrom",)
        elif source == "pxe":
            boot = ("network",)

    virtio_win = _text(answers.virtio_win).strip()
    if virtio_win:
        error = check_host_path(virtio_win, "virtio-win ISO path")
        if error:
            problems["virtio_win"] = error
        else:
            cdroms.append(virtio_win)

    nics: list[NicSpec] = []
    net = _text(answers.nic)
    mac = None
    if _text(answers.nic_mac).strip():
        mac, error = parse_mac(_text(answers.nic_mac))
        if error:
            problems["nic_mac"] = error
    model = _text(answers.nic_model) or "virtio"
    if net == "network":
        network = _text(answers.nic_network)
        if network not in host.networks:
            problems["nic_network"] = "Choose a virtual network of this host"
        nics.append(NicSpec("network", network, model, mac))
    elif net == "bridge":
        bridge = _text(answers.nic_bridge).strip()
        error = check_interface_name(bridge)
        if error:
            problems["nic_bridge"] = error.replace("host interface", "host bridge").replace("eth0", "br0")
        nics.append(NicSpec("bridge", bridge, model, mac))
    elif net == "direct":
        dev = _text(answers.nic_dev).strip()
        error = check_interface_name(dev)
        if error:
            problems["nic_dev"] = error
        nics.append(NicSpec("direct", dev, model, mac, _text(answers.nic_mode) or "bridge"))

    firmware = _text(answers.firmware) or "bios"
    if offer is not None and firmware not in offer.firmware:
        problems["firmware"] = f"This host offers {', '.join(offer.firmware)} for {domain_type}"
    secure = bool(answers.secure_boot) and firmware == "efi"  # the box hides with BIOS
    if secure and offer is not None and not offer.secure_boot:
        problems["secure_boot"] = "This host has no secure-boot UEFI firmware (OVMF secboot)"
    cpu_mode = _text(answers.cpu_mode)
    if offer is not None and cpu_mode not in offer.cpu_modes:
        problems["cpu_mode"] = f"{domain_type} offers {', '.join(offer.cpu_modes)}"
    tpm = bool(answers.tpm)
    if tpm and offer is not None and offer.tpm is False:
        problems["tpm"] = "This host offers no emulated TPM (install swtpm)"
    machine = _text(answers.machine) or None

    if problems:
        return None, problems
    spec = GuestSpec(
        name=name,
        memory_kib=memory // 1024,
        vcpus=vcpus,
        domain_type=domain_type,
        arch=host.arch,
        machine=machine,
        firmware=firmware,
        secure_boot=secure,
        cpu_mode=cpu_mode,
        cpu_model="qemu64" if cpu_mode == "custom" else None,
        disks=tuple(disks),
        cdroms=tuple(cdroms),
        cloud_init_iso=_predict(host, *seed_volume) if seed_volume else None,
        nics=tuple(nics),
        guest_agent=bool(answers.guest_agent),
        graphics=_text(answers.graphics) or "none",
        boot=boot,
        kernel=kernel,
        initrd=initrd,
        cmdline=cmdline,
        os_id=variant.id if variant else None,
        hyperv=bool(answers.hyperv),
        localtime=bool(answers.localtime),
        tpm=tpm,
    )
    if seed_volume:
        predicted[spec.cloud_init_iso] = seed_volume
    for concerns, problem in spec_conflicts(spec):
        problems.setdefault(CONFLICT_ANSWERS.get(concerns, "source"), problem)
    if problems:
        return None, problems
    return NewGuestPlan(spec, tuple(volumes), upload, seed, seed_volume, predicted, start), {}


# ---------------------------------------------------------------------------
# carrying it out


@dataclass(frozen=True)
class Outcome:
    """What ``create`` did: ``uuid`` when defined; on failure the ``step``
    (define, start, or the answer whose part failed: iso_file, ci_user,
    disk_size, cloud_volume), libvirt's ``error`` and the ``field`` (a
    GuestAnswers name, '' for none) it is shown next to; ``left`` lists what
    could not be removed again."""

    name: str
    uuid: str | None = None
    started: bool = False
    step: str | None = None
    error: str | None = None
    removed: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    differences: tuple[str, ...] = ()
    field: str = ""


def upload_bytes(conn: libvirt.virConnect, vol: libvirt.virStorageVol, data: bytes) -> None:
    stream = conn.newStream(0)
    vol.upload(stream, 0, len(data), 0)

    def send() -> None:
        view = memoryview(data)
        while view:
            sent = stream.send(bytes(view[:UPLOAD_CHUNK]))
            view = view[sent:]

    transfer(stream, send)


def differences(asked: GuestSpec, got: GuestSpec) -> tuple[str, ...]:
    """What libvirt's definition says differently from what was asked (it
    may fill in MACs and canonical machine names: those are not differences)."""
    found = []
    for name in ("name", "memory_kib", "vcpus", "domain_type", "firmware", "secure_boot", "cpu_mode", "cdroms",
                 "cloud_init_iso", "guest_agent", "graphics", "kernel", "initrd", "cmdline", "os_id", "hyperv",
                 "localtime", "tpm"):
        if getattr(asked, name) != getattr(got, name):
            found.append(f"{name}: asked {getattr(asked, name)!r}, defined {getattr(got, name)!r}")
    if asked.disks != got.disks:
        found.append(f"disks: asked {asked.disks!r}, defined {got.disks!r}")
    got_nics = [replace(n, mac=None) if a.mac is None else n for a, n in zip(asked.nics, got.nics)]
    if list(asked.nics) != got_nics or len(asked.nics) != len(got.nics):
        found.append(f"interfaces: asked {asked.nics!r}, defined {got.nics!r}")
    return tuple(found)


def create(conn: libvirt.virConnect, plan: NewGuestPlan, progress: Progress,
           define_xml: Callable[[str], str] | None = None) -> Outcome:
    """Upload, seed, volumes, define, start. A failure at any step removes
    every volume made and the definition; the Outcome says which step
    failed and libvirt's words. ``define_xml`` may rewrite the XML just
    before defining (tests use it to force a failure there)."""
    name = plan.spec.name
    made: list[tuple[str, libvirt.virStorageVol]] = []
    dom = None
    step = "start"
    spec = plan.spec
    try:
        if plan.upload is not None:
            step = "iso_file"
            up = plan.upload
            pool = conn.storagePoolLookupByName(up.pool)
            # volumes.upload makes the volume and removes it again if the upload fails
            volumes.upload(conn, pool.UUIDString(), up.name, up.local_path, True, progress)
            vol = pool.storageVolLookupByName(up.name)
            made.append((f"{up.pool}/{up.name}", vol))
            spec = _swap_path(spec, plan, up.pool, up.name, vol.path())
        if plan.seed is not None and plan.seed_volume is not None:
            step = "ci_user"
            progress(0, 0, "making the cloud-init seed")
            data = cloud_init.build_seed_iso(plan.seed)
            pool_name, vol_name = plan.seed_volume
            pool = conn.storagePoolLookupByName(pool_name)
            vol = pool.createXML(build_volume_xml(VolumeSpec(vol_name, len(data), "raw", 0)), 0)
            made.append((f"{pool_name}/{vol_name}", vol))
            upload_bytes(conn, vol, data)
            spec = _swap_path(spec, plan, pool_name, vol_name, vol.path())
        for volume in plan.volumes:
            step = "disk_size"
            what = f"creating {volume.pool}/{volume.spec.name} ({size_text(volume.spec.capacity)})"
            progress(0, 0, what)
            pool = conn.storagePoolLookupByName(volume.pool)
            if volume.copy_of:
                step = "cloud_volume"
                source = conn.storageVolLookupByPath(volume.copy_of)
                vol = pool.createXMLFrom(build_volume_xml(volume.spec), source, 0)
            else:
                vol = pool.createXML(build_volume_xml(volume.spec), 0)
            made.append((f"{volume.pool}/{volume.spec.name}", vol))
        step = "define"
        progress(0, 0, f"defining {name}")
        xml = domain_xml(spec)
        if define_xml is not None:
            xml = define_xml(xml)
        dom = conn.defineXML(xml)
        back = parse_guest_spec(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        diff = differences(spec, back)
        started = False
        if plan.start:
            step = "start"
            progress(0, 0, f"starting {name}")
            dom.create()
            started = True
        return Outcome(name, dom.UUIDString(), started, differences=diff)
    except Exception as exc:  # whatever failed, nothing made may stay behind
        error = exc.get_error_message() if isinstance(exc, libvirt.libvirtError) else str(exc)
        removed, left = rollback(dom, made)
        error = error or type(exc).__name__
        return Outcome(name, None, False, step, error, removed, left, field=field_for(step, error))


def _swap_path(spec: GuestSpec, plan: NewGuestPlan, pool: str, name: str, real: str) -> GuestSpec:
    guessed = next((p for p, where in plan.predicted.items() if where == (pool, name)), None)
    if guessed is None or guessed == real:
        return spec
    cdroms = tuple(real if p == guessed else p for p in spec.cdroms)
    cloud = real if spec.cloud_init_iso == guessed else spec.cloud_init_iso
    return replace(spec, cdroms=cdroms, cloud_init_iso=cloud)


def rollback(dom: libvirt.virDomain | None, made: list[tuple[str, libvirt.virStorageVol]]
             ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Remove the definition and the volumes made, newest first: (removed, left)."""
    removed, left = [], []
    if dom is not None:
        try:
            if dom.isActive():
                dom.destroy()
            flags = libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
            try:
                dom.undefineFlags(flags | getattr(libvirt, "VIR_DOMAIN_UNDEFINE_TPM", 0))
            except libvirt.libvirtError:
                dom.undefineFlags(0)
            removed.append("the definition")
        except libvirt.libvirtError as exc:
            left.append(f"the definition ({exc.get_error_message()})")
    for label, vol in reversed(made):
        try:
            vol.delete(0)
            removed.append(label)
        except libvirt.libvirtError as exc:
            left.append(f"{label} ({exc.get_error_message()})")
    return tuple(removed), tuple(left)


# The steps that make what one answer asked for: a failure there is shown next to it.
STEP_FIELDS = frozenset({"iso_file", "ci_user", "disk_size", "cloud_volume"})
# A failed define says only libvirt's words: the answer they point at, first match wins.
_DEFINE_WORDS = (
    (("already exists",), "name"),
    (("machine",), "machine"),
    (("secure", "loader", "firmware", "nvram", "ovmf", "smm"), "firmware"),
    (("tpm", "swtpm"), "tpm"),
    (("cpu", "host-passthrough", "host-model"), "cpu_mode"),
    (("emulator", "qemu binary", "virt type", "domain type", "kvm"), "domain_type"),
    (("network", "bridge", "interface", "macvtap"), "nic"),
    (("kernel", "initrd"), "kernel"),
    (("memory",), "memory"),
    (("vcpu",), "vcpus"),
    (("name",), "name"),
)


def field_for(step: str | None, error: str | None) -> str:
    """The GuestAnswers field a failure of ``step`` is shown next to ('' for the form's end)."""
    if step in STEP_FIELDS:
        return step
    text = (error or "").lower()
    for words, key in _DEFINE_WORDS:
        if any(word in text for word in words):
            return key
    return ""
