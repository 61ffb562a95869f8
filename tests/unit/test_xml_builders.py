"""XML builders for the create forms: each one's output is read back by the
parsers, checked against libvirt's schemas, and defined on libvirt's test
driver (test:///default), which parses it with libvirt's own code, and read
back from there."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import replace

import libvirt
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tui.backend import validate
from tui.backend.xml.domain import parse_domain, parse_interfaces
from tui.backend.xml.network import (
    MACVTAP_MODES,
    DhcpHost,
    IpSpec,
    NetworkSpec,
    build_network_xml,
    network_spec_problems,
    parse_network,
    parse_network_spec,
)
from tui.backend.xml.new_guest import (
    CLOUD_INIT_ALIAS,
    HYPERV_FEATURES,
    DiskSpec,
    GuestSpec,
    NicSpec,
    build_guest_xml,
    parse_guest_spec,
    spec_problems,
)
from tui.backend.xml.pool import PoolSpec, build_pool_xml, parse_pool, parse_pool_spec
from tui.backend.xml.volume import VolumeSpec, build_volume_xml, parse_volume, parse_volume_spec, preallocated

PREFIX = "vd-h4"
HOSTILE = "vd-h4 [1] <&>'\"é"
GIB = 1024**3
few = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)

# Names libvirt accepts (validate.check_name agrees), with our prefix.
name_tails = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\ufffe\uffff"),
    max_size=30,
)
names = name_tails.map(lambda tail: f"{PREFIX} {tail}")
paths = st.lists(name_tails.filter(lambda p: p not in ("", ".", "..")), min_size=1, max_size=3).map(
    lambda parts: "/" + "/".join(parts)
)
macs = st.lists(st.integers(0, 255), min_size=3, max_size=3).map(
    lambda tail: "52:54:00:" + ":".join(f"{o:02x}" for o in tail)
)


@pytest.fixture(scope="module")
def conn():
    libvirt.registerErrorHandler(lambda *_: None, None)
    connection = libvirt.open("test:///default")
    yield connection
    connection.close()


@contextmanager
def defined(obj, remove):
    try:
        yield obj
    finally:
        remove(obj)


def _schema_valid(xml: str, schema: str) -> None:
    """libvirt's own RelaxNG schema accepts ``xml``."""
    tool = shutil.which("virt-xml-validate")
    if tool is None:
        pytest.fail("virt-xml-validate is missing (apt-get install libvirt-clients; make test installs it)")
    result = subprocess.run([tool, "-", schema], input=xml, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + xml


# --------------------------------------------------------------------------
# volumes

volume_specs = st.builds(
    VolumeSpec,
    name=names.filter(lambda n: "/" not in n),
    capacity=st.integers(min_value=1, max_value=2**50),
    format=st.sampled_from(["qcow2", "raw"]),
    allocation=st.just(0),
    backing_path=st.none() | paths,
    backing_format=st.sampled_from(["qcow2", "raw"]),
).map(lambda s: s if s.backing_path else replace(s, backing_format=None))


@given(volume_specs)
def test_volume_round_trip(spec):
    xml = build_volume_xml(spec)
    assert parse_volume_spec(xml) == spec
    info = parse_volume(xml)
    assert info.format == spec.format
    assert info.backing_path == ((spec.backing_path.strip() or None) if spec.backing_path else None)


@few
@given(volume_specs)
def test_volume_defined_on_test_driver(conn, spec):
    pool = conn.storagePoolLookupByName("default-pool")
    with defined(pool.createXML(build_volume_xml(spec)), lambda v: v.delete()) as vol:
        assert vol.name() == spec.name
        back = parse_volume_spec(vol.XMLDesc())
        assert (back.name, back.capacity, back.format) == (spec.name, spec.capacity, spec.format)
        assert (back.backing_path, back.backing_format) == (spec.backing_path, spec.backing_format)


def test_volume_allocation_thin_or_preallocated():
    thin = VolumeSpec("thin", 20 * GIB)
    full = preallocated("full.img", 20 * GIB)
    assert ET.fromstring(build_volume_xml(thin)).findtext("allocation") == "0"
    assert ET.fromstring(build_volume_xml(full)).findtext("allocation") == str(20 * GIB)
    assert parse_volume_spec(build_volume_xml(full)) == full
    overlay = VolumeSpec("top.qcow2", 20 * GIB, backing_path="/var/lib/libvirt/images/base.qcow2", backing_format="qcow2")
    for spec in (thin, full, overlay):
        _schema_valid(build_volume_xml(spec), "storagevol")


# --------------------------------------------------------------------------
# pools

POOL_EXAMPLES = [
    PoolSpec(f"{PREFIX}-dir", "dir", "/var/lib/libvirt/images/vd h4 [x]"),
    PoolSpec(f"{PREFIX}-nfs", "netfs", "/mnt/vd-h4", host="nfs.example", source_path="/export/vm", source_format="nfs"),
    PoolSpec(f"{PREFIX}-lvm", "logical", "/dev/vg_vd", source_name="vg_vd", devices=("/dev/sdb", "/dev/sdc")),
    PoolSpec(f"{PREFIX}-disk", "disk", "/dev", devices=("/dev/sdd",), source_format="gpt"),
    PoolSpec(f"{PREFIX}-iscsi", "iscsi", "/dev/disk/by-path", host="10.0.0.5", port=3260,
             iqn="iqn.2020-01.example:storage.target1"),
]


@pytest.mark.parametrize("spec", POOL_EXAMPLES, ids=lambda s: s.type)
def test_pool_examples(conn, spec):
    xml = build_pool_xml(spec)
    assert parse_pool_spec(xml) == spec
    _schema_valid(xml, "storagepool")
    with defined(conn.storagePoolDefineXML(xml), lambda p: p.undefine()) as pool:
        back = parse_pool_spec(pool.XMLDesc())
        if spec.type == "logical":  # libvirt names the format of a VG
            assert back.source_format == "lvm2"
            back = replace(back, source_format=None)
        assert back == spec
        assert parse_pool(pool.XMLDesc()).type == spec.type


def test_pool_defaults_fill_target():
    iscsi = parse_pool_spec(build_pool_xml(PoolSpec("i", "iscsi", host="h", iqn="iqn.2001-04.com.example:t")))
    assert iscsi.target_path == "/dev/disk/by-path"
    assert parse_pool_spec(build_pool_xml(PoolSpec("l", "logical", source_name="vg0"))).target_path == "/dev/vg0"
    assert parse_pool(build_pool_xml(POOL_EXAMPLES[1])).source == "nfs.example:/export/vm"
    with pytest.raises(ValueError):
        build_pool_xml(PoolSpec("x", "zfs"))


@few
@given(names, paths)
def test_dir_pool_any_name_and_path(conn, name, path):
    spec = PoolSpec(name, "dir", path)
    xml = build_pool_xml(spec)
    assert parse_pool_spec(xml) == spec
    with defined(conn.storagePoolDefineXML(xml), lambda p: p.undefine()) as pool:
        assert pool.name() == name
        assert parse_pool_spec(pool.XMLDesc()).name == name


# --------------------------------------------------------------------------
# networks


@st.composite
def ip_specs(draw, version: int):
    if version == 4:
        prefix = draw(st.integers(min_value=16, max_value=29))
        base = draw(st.ip_addresses(v=4, network="10.0.0.0/8"))
    else:
        prefix = 64
        base = draw(st.ip_addresses(v=6, network="fd00::/8"))
    network = ipaddress.ip_network(f"{base}/{prefix}", strict=False)
    gateway = validate.default_gateway(network)
    start, end = validate.default_dhcp_range(network, gateway)
    hosts = ()
    if draw(st.booleans()) and int(end) - int(start) >= 2:
        ip = start + draw(st.integers(0, int(end) - int(start)))
        mac = draw(macs)
        hosts = (DhcpHost(mac if version == 4 else "", str(ip), draw(st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True))),)
    dhcp = draw(st.booleans())
    return IpSpec(str(gateway), prefix, str(start) if dhcp else None, str(end) if dhcp else None, hosts)


@st.composite
def network_specs(draw):
    name = draw(names)
    mode = draw(st.sampled_from(["nat", "route", "isolated", "open", "bridge", "macvtap"]))
    bridge = draw(st.from_regex(r"vdh4br[0-9]{1,3}", fullmatch=True))
    if mode == "bridge":
        return NetworkSpec(name, "bridge", bridge)
    if mode == "macvtap":
        return NetworkSpec(name, "macvtap", forward_dev=draw(st.sampled_from(["eth0", "enp1s0"])),
                           macvtap_mode=draw(st.sampled_from(MACVTAP_MODES)))
    return NetworkSpec(
        name,
        mode,
        bridge,
        forward_dev=draw(st.none() | st.just("eth0")) if mode in ("nat", "route") else None,
        ipv4=draw(st.none() | ip_specs(4)) if mode == "isolated" else draw(ip_specs(4)),
        ipv6=draw(st.none() | ip_specs(6)),
        domain=draw(st.none() | st.just("lab.example")),
    )


@given(network_specs())
def test_network_round_trip(spec):
    assert network_spec_problems(spec) == ()
    xml = build_network_xml(spec)
    assert parse_network_spec(xml) == spec
    info = parse_network(xml)
    assert info.mode == {"route": "routed"}.get(spec.mode, spec.mode)
    if spec.ipv4:
        assert info.ipv4_subnet == str(ipaddress.ip_interface(f"{spec.ipv4.address}/{spec.ipv4.prefix}").network)


@few
@given(network_specs())
def test_network_defined_on_test_driver(conn, spec):
    with defined(conn.networkDefineXML(build_network_xml(spec)), lambda n: n.undefine()) as net:
        assert net.name() == spec.name
        assert parse_network_spec(net.XMLDesc()) == spec


def test_network_schema_and_modes():
    ipv4 = IpSpec("192.168.150.1", 24, "192.168.150.2", "192.168.150.254",
                  (DhcpHost("52:54:00:00:00:01", "192.168.150.10", "web"),))
    ipv6 = IpSpec("fd00:150::1", 64, "fd00:150::100", "fd00:150::1ff", (DhcpHost("", "fd00:150::10", "web"),))
    specs = [
        NetworkSpec(HOSTILE, "nat", "vdh4br0", ipv4=ipv4, ipv6=ipv6, domain="lab.example"),
        NetworkSpec("r", "route", "vdh4br1", forward_dev="eth0", ipv4=ipv4),
        NetworkSpec("i", "isolated", ipv4=ipv4),
        NetworkSpec("o", "open", "vdh4br3", ipv4=ipv4),
        NetworkSpec("b", "bridge", "br0"),
        *(NetworkSpec(m, "macvtap", forward_dev="eth0", macvtap_mode=m) for m in MACVTAP_MODES),
    ]
    for spec in specs:
        _schema_valid(build_network_xml(spec), "network")
    root = ET.fromstring(build_network_xml(specs[0]))
    assert root.find("forward").get("mode") == "nat"
    assert root.find("domain").get("name") == "lab.example"
    assert root.find("ip[@family='ipv6']/dhcp/host").get("name") == "web"
    assert ET.fromstring(build_network_xml(specs[2])).find("forward") is None
    vepa = ET.fromstring(build_network_xml(specs[6]))
    assert vepa.find("forward").get("mode") == "vepa" and vepa.find("forward/interface").get("dev") == "eth0"
    assert vepa.find("bridge") is None and vepa.find("ip") is None
    assert "open network needs an IPv4 or IPv6" in network_spec_problems(NetworkSpec("o", "open", "br9"))[0]
    assert network_spec_problems(NetworkSpec("i", "isolated")) == ()
    assert "host interface" in network_spec_problems(NetworkSpec("m", "macvtap"))[0]
    with pytest.raises(ValueError):
        build_network_xml(NetworkSpec("m", "macvtap"))
    with pytest.raises(ValueError):
        build_network_xml(NetworkSpec("b", "bridge"))


# --------------------------------------------------------------------------
# new guests

disks = st.one_of(
    st.builds(DiskSpec, pool=st.just("default-pool"), volume=names, bus=st.sampled_from(["virtio", "sata", "scsi"]),
              format=st.sampled_from(["qcow2", "raw"])),
    st.builds(DiskSpec, path=paths, bus=st.sampled_from(["virtio", "sata", "scsi"]),
              format=st.sampled_from(["qcow2", "raw"])),
)
nics = st.one_of(
    st.builds(NicSpec, kind=st.just("network"), source=names, model=st.sampled_from(["virtio", "e1000e"]),
              mac=st.none() | macs),
    st.builds(NicSpec, kind=st.just("bridge"), source=st.just("br0"), model=st.sampled_from(["virtio", "e1000e"]),
              mac=st.none() | macs),
    st.builds(NicSpec, kind=st.just("direct"), source=st.just("eth0"), model=st.just("virtio"),
              mac=st.none() | macs, mode=st.sampled_from(["bridge", "vepa", "private", "passthrough"])),
)


@st.composite
def guest_specs(draw, domain_type=None):
    firmware = draw(st.sampled_from(["bios", "efi"]))
    kernel = draw(st.none() | paths)
    disk_list = tuple(draw(st.lists(disks, max_size=3)))
    cdrom_list = tuple(draw(st.lists(paths, max_size=2)))
    nic_list = tuple(draw(st.lists(nics, max_size=2)))
    # Boot from what the guest has (most of the time): a boot list of devices it lacks is a
    # problem `spec_problems` refuses, and drawing those mostly left too few examples.
    bootable = [device for device, present in (("cdrom", cdrom_list), ("hd", disk_list), ("network", nic_list))
                if present]
    boot_from = st.sampled_from(bootable) if bootable and draw(st.integers(0, 9)) else st.sampled_from(
        ["cdrom", "hd", "network"])
    spec = GuestSpec(
        name=draw(names),
        memory_kib=draw(st.integers(min_value=1024, max_value=2**30)),
        vcpus=draw(st.integers(min_value=1, max_value=16)),
        domain_type=domain_type or draw(st.sampled_from(["kvm", "qemu"])),
        machine=draw(st.sampled_from(["q35", "pc", None])),
        firmware=firmware,
        secure_boot=firmware == "efi" and draw(st.booleans()),
        cpu_mode=draw(st.sampled_from(["host-passthrough", "host-model", "maximum", "custom"])),
        disks=disk_list,
        cdroms=cdrom_list,
        cloud_init_iso=draw(st.none() | paths),
        nics=nic_list,
        guest_agent=draw(st.booleans()),
        graphics=draw(st.sampled_from(["none", "vnc", "spice"])),
        boot=tuple(draw(st.lists(boot_from, unique=True, min_size=1, max_size=3))),
        kernel=kernel,
        initrd=draw(st.none() | paths) if kernel else None,
        cmdline=draw(st.none() | st.just("console=ttyS0 root=/dev/vda1 quiet")) if kernel else None,
        os_id=draw(st.none() | st.just("http://debian.org/debian/12")),
        hyperv=draw(st.booleans()),
        localtime=draw(st.booleans()),
        tpm=draw(st.booleans()),
    )
    if spec.cpu_mode == "custom":
        spec = replace(spec, cpu_model="Skylake-Client")
    if spec.secure_boot:
        spec = replace(spec, machine="q35")
    if spec.domain_type == "qemu" and spec.cpu_mode == "host-passthrough":
        spec = replace(spec, cpu_mode="maximum")
    return spec


@given(guest_specs())
def test_guest_round_trip(spec):
    assume(not spec_problems(spec))
    xml = build_guest_xml(spec)
    assert parse_guest_spec(xml) == spec
    info = parse_domain(xml)
    assert (info.name, info.vcpus, info.memory_kib, info.domain_type) == (
        spec.name, spec.vcpus, spec.memory_kib, spec.domain_type)
    assert [i.mac for i in parse_interfaces(xml)] == [n.mac for n in spec.nics]


@few
@given(guest_specs(domain_type="test"))
def test_guest_defined_on_test_driver(conn, spec):
    assume(not spec_problems(spec))
    with defined(conn.defineXML(build_guest_xml(spec)), lambda d: d.undefine()) as dom:
        assert dom.name() == spec.name
        back = parse_guest_spec(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        # libvirt gives every NIC a MAC when none was asked for
        assert all(b.mac for b in back.nics)
        back = replace(back, nics=tuple(replace(b, mac=n.mac) for b, n in zip(back.nics, spec.nics)))
        # libvirt sorts disks by bus; within a bus the order stays
        assert _by_bus(back.disks) == _by_bus(spec.disks)
        assert replace(back, disks=spec.disks) == spec


def _by_bus(disks):
    return {bus: [d for d in disks if d.bus == bus] for bus in {d.bus for d in disks}}


WINDOWS_11 = GuestSpec(
    name=HOSTILE,
    memory_kib=4 * 1024 * 1024,
    vcpus=2,
    domain_type="kvm",
    machine="q35",
    firmware="efi",
    secure_boot=True,
    cpu_mode="host-passthrough",
    disks=(DiskSpec(pool="default", volume=f"{HOSTILE}.qcow2", bus="sata"),),
    cdroms=("/srv/iso/Win11_English_x64.iso", "/srv/iso/virtio-win.iso"),
    nics=(NicSpec("network", "default", "e1000e", "52:54:00:12:34:56"),),
    graphics="spice",
    boot=("cdrom", "hd"),
    os_id="http://microsoft.com/win/11",
    hyperv=True,
    localtime=True,
    tpm=True,
)
LINUX_CLOUD = GuestSpec(
    name=f"{PREFIX}-cloud",
    memory_kib=2 * 1024 * 1024,
    vcpus=2,
    domain_type="qemu",
    machine="q35",
    cpu_mode="maximum",
    disks=(DiskSpec(path="/var/lib/libvirt/images/vd-h4-cloud.qcow2"),),
    cloud_init_iso="/var/lib/libvirt/images/vd-h4-seed.iso",
    nics=(NicSpec("direct", "eth0", "virtio", mode="vepa"),),
    graphics="vnc",
    boot=("hd",),
    os_id="http://debian.org/debian/12",
)
KERNEL_BOOT = GuestSpec(
    name=f"{PREFIX}-kernel",
    memory_kib=128 * 1024,
    domain_type="qemu",
    machine=None,
    cpu_mode="host-model",
    nics=(NicSpec("bridge", "br0", "virtio"),),
    boot=("network",),
    kernel="/var/lib/vd h4/vmlinuz",
    initrd="/var/lib/vd h4/initrd.gz",
    cmdline="console=ttyS0 quiet",
    guest_agent=False,
)


@pytest.mark.parametrize("spec", [WINDOWS_11, LINUX_CLOUD, KERNEL_BOOT], ids=["win11", "cloud", "kernel"])
def test_guest_examples_are_schema_valid(spec):
    assert spec_problems(spec) == ()
    xml = build_guest_xml(spec)
    _schema_valid(xml, "domain")
    assert parse_guest_spec(xml) == spec


def test_windows_11_elements():
    root = ET.fromstring(build_guest_xml(WINDOWS_11))
    assert root.find("name").text == HOSTILE
    assert root.find("os").get("firmware") == "efi"
    features = {f.get("name"): f.get("enabled") for f in root.findall("os/firmware/feature")}
    assert features == {"enrolled-keys": "yes", "secure-boot": "yes"}
    assert root.find("os/type").get("machine") == "q35"
    assert root.find("features/smm").get("state") == "on"
    hyperv = root.find("features/hyperv")
    assert [el.tag for el in hyperv] == list(HYPERV_FEATURES)
    assert hyperv.find("spinlocks").get("retries") == "8191"
    assert root.find("clock").get("offset") == "localtime"
    assert root.find("clock/timer[@name='hypervclock']").get("present") == "yes"
    tpm = root.find("devices/tpm")
    assert tpm.get("model") == "tpm-crb" and tpm.find("backend").attrib == {"type": "emulator", "version": "2.0"}
    disks = root.findall("devices/disk")
    assert [(d.get("device"), d.find("target").get("dev"), d.find("target").get("bus")) for d in disks] == [
        ("disk", "sda", "sata"), ("cdrom", "sdb", "sata"), ("cdrom", "sdc", "sata")]
    assert disks[0].find("source").attrib == {"pool": "default", "volume": f"{HOSTILE}.qcow2"}
    assert root.find("devices/interface/model").get("type") == "e1000e"
    assert root.find("devices/graphics/listen").get("address") == "127.0.0.1"
    assert [b.get("dev") for b in root.findall("os/boot")] == ["cdrom", "hd"]
    ns = "{http://libosinfo.org/xmlns/libvirt/domain/1.0}"
    assert root.find(f"metadata/{ns}libosinfo/{ns}os").get("id") == "http://microsoft.com/win/11"


def test_linux_and_kernel_boot_elements():
    root = ET.fromstring(build_guest_xml(LINUX_CLOUD))
    assert root.find("os").get("firmware") is None and root.find("features/hyperv") is None
    assert root.find("cpu").get("mode") == "maximum" and root.get("type") == "qemu"
    assert root.find("devices/serial").get("type") == "pty"
    assert root.find("devices/console/target").attrib == {"type": "serial", "port": "0"}
    assert root.find("devices/channel/target").get("name") == "org.qemu.guest_agent.0"
    seed = root.find("devices/disk[@device='cdrom']")
    assert seed.find("alias").get("name") == CLOUD_INIT_ALIAS and seed.find("readonly") is not None
    assert root.find("devices/interface").get("type") == "direct"
    assert root.find("devices/interface/source").attrib == {"dev": "eth0", "mode": "vepa"}
    assert root.find("devices/graphics").get("type") == "vnc"
    kernel = ET.fromstring(build_guest_xml(KERNEL_BOOT))
    assert kernel.findtext("os/kernel") == "/var/lib/vd h4/vmlinuz"
    assert kernel.findtext("os/cmdline") == "console=ttyS0 quiet"
    assert kernel.find("os/boot").get("dev") == "network"
    assert kernel.find("devices/graphics") is None and kernel.find("devices/channel") is None
    assert kernel.find("os/type").get("machine") is None


def test_spec_problems_name_the_conflict():
    base = GuestSpec(name="g", disks=(DiskSpec(path="/x.img"),))
    assert spec_problems(base) == ()
    cases = {
        "Secure boot needs UEFI": replace(base, secure_boot=True),
        "q35": replace(base, secure_boot=True, firmware="efi", machine="pc"),
        "host-passthrough needs KVM": replace(base, domain_type="qemu"),
        "custom CPU needs a model": replace(base, cpu_mode="custom"),
        "needs an ISO": replace(base, boot=("cdrom",)),
        "needs a network interface": replace(base, boot=("network",)),
        "needs a disk": replace(base, disks=()),
        "needs a kernel": replace(base, initrd="/boot/initrd"),
        "Choose a boot device": replace(base, boot=()),
        "either a pool volume or a path": replace(base, disks=(DiskSpec(pool="p"),)),
    }
    for words, spec in cases.items():
        problems = spec_problems(spec)
        assert any(words in p for p in problems), (words, problems)
