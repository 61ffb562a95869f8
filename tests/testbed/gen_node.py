"""Generate libvirt test-driver node XML files with many guests.

    python tests/testbed/gen_node.py N OUT.xml [--seed S]

The file loads with ``libvirt.open('test:///ABSOLUTE/PATH/OUT.xml')``.  It
holds N guests named ``guest-0001`` ... in a mix of running, paused and shut
off states (``<test:runstate>``), three networks (NAT, routed, isolated) and
two dir pools with a few volumes.  The output depends only on N and the seed.

The XML is built with ElementTree, never by string formatting.
"""

from __future__ import annotations

import argparse
import random
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"

# virDomainState values understood by <test:runstate>.
RUNNING = 1
PAUSED = 3
SHUTOFF = 5

# Roughly what a busy host looks like: most guests up, some off, a few paused.
_STATE_WEIGHTS = ((RUNNING, 6), (SHUTOFF, 3), (PAUSED, 1))
_VCPU_CHOICES = (1, 1, 2, 2, 2, 4, 4, 8)
_MEMORY_MIB_CHOICES = (512, 1024, 2048, 2048, 4096, 4096, 8192, 16384)

NETWORKS = ("default", "routed", "isolated")

ET.register_namespace("test", TEST_NS)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _mac(index: int) -> str:
    # 52:54:00 is the QEMU/KVM OUI; the low 24 bits carry the guest index.
    b = index & 0xFFFFFF
    return "52:54:00:%02x:%02x:%02x" % (b >> 16, (b >> 8) & 0xFF, b & 0xFF)


def _guest_name(i: int, n: int) -> str:
    width = max(4, len(str(n)))
    return f"guest-{i:0{width}d}"


def _pick_state(rng: random.Random) -> int:
    states = [s for s, _ in _STATE_WEIGHTS]
    weights = [w for _, w in _STATE_WEIGHTS]
    return rng.choices(states, weights)[0]


def _add_cpu_and_memory(node: ET.Element) -> None:
    cpu = _sub(node, "cpu")
    _sub(cpu, "nodes", "1")
    _sub(cpu, "sockets", "2")
    _sub(cpu, "cores", "16")
    _sub(cpu, "threads", "2")
    _sub(cpu, "active", "64")
    _sub(cpu, "mhz", "2600")
    _sub(cpu, "model", "x86_64")
    _sub(node, "memory", str(512 * 1024 * 1024))  # KiB: 512 GiB


def _add_domain(node: ET.Element, rng: random.Random, i: int, n: int) -> None:
    name = _guest_name(i, n)
    state = _pick_state(rng)
    vcpus = rng.choice(_VCPU_CHOICES)
    mem_mib = rng.choice(_MEMORY_MIB_CHOICES)
    net = NETWORKS[i % len(NETWORKS)]

    dom = _sub(node, "domain", type="test")
    _sub(dom, "name", name)
    _sub(dom, "uuid", _uuid(rng))
    _sub(dom, "memory", str(mem_mib), unit="MiB")
    _sub(dom, "currentMemory", str(mem_mib), unit="MiB")
    _sub(dom, "vcpu", str(vcpus))
    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch="x86_64", machine="pc-q35-7.2")
    devices = _sub(dom, "devices")
    disk = _sub(devices, "disk", type="file", device="disk")
    _sub(disk, "driver", name="qemu", type="qcow2")
    _sub(disk, "source", file=f"/var/lib/libvirt/images/{name}.qcow2")
    _sub(disk, "target", dev="vda", bus="virtio")
    iface = _sub(devices, "interface", type="network")
    _sub(iface, "mac", address=_mac(i))
    _sub(iface, "source", network=net)
    _sub(iface, "model", type="virtio")
    _sub(dom, f"{{{TEST_NS}}}runstate", str(state))


def _add_networks(node: ET.Element, rng: random.Random) -> None:
    # NAT
    net = _sub(node, "network")
    _sub(net, "name", "default")
    _sub(net, "uuid", _uuid(rng))
    _sub(net, "forward", mode="nat")
    _sub(net, "bridge", name="virbr0", stp="on", delay="0")
    ip = _sub(net, "ip", address="192.168.122.1", netmask="255.255.255.0")
    dhcp = _sub(ip, "dhcp")
    _sub(dhcp, "range", start="192.168.122.2", end="192.168.122.254")
    # routed
    net = _sub(node, "network")
    _sub(net, "name", "routed")
    _sub(net, "uuid", _uuid(rng))
    _sub(net, "forward", mode="route")
    _sub(net, "bridge", name="virbr1", stp="on", delay="0")
    _sub(net, "ip", address="10.10.0.1", prefix="16")
    # isolated
    net = _sub(node, "network")
    _sub(net, "name", "isolated")
    _sub(net, "uuid", _uuid(rng))
    _sub(net, "bridge", name="virbr2", stp="on", delay="0")
    _sub(net, "ip", address="172.16.0.1", prefix="24")


def _add_volume(pool: ET.Element, name: str, fmt: str, cap_gib: int, alloc_mib: int) -> None:
    vol = _sub(pool, "volume", type="file")
    _sub(vol, "name", name)
    _sub(vol, "capacity", str(cap_gib), unit="GiB")
    _sub(vol, "allocation", str(alloc_mib), unit="MiB")
    target = _sub(vol, "target")
    _sub(target, "format", type=fmt)


def _add_pools(node: ET.Element, rng: random.Random) -> None:
    pool = _sub(node, "pool", type="dir")
    _sub(pool, "name", "default")
    _sub(pool, "uuid", _uuid(rng))
    target = _sub(pool, "target")
    _sub(target, "path", "/var/lib/libvirt/images")
    _add_volume(pool, "base-debian12.qcow2", "qcow2", 20, 2048)
    _add_volume(pool, "base-alma9.qcow2", "qcow2", 20, 2300)
    _add_volume(pool, "scratch.raw", "raw", 10, 10240)
    _add_volume(pool, "data-0001.qcow2", "qcow2", 50, 7000)

    pool = _sub(node, "pool", type="dir")
    _sub(pool, "name", "iso")
    _sub(pool, "uuid", _uuid(rng))
    target = _sub(pool, "target")
    _sub(target, "path", "/var/lib/libvirt/iso")
    _add_volume(pool, "debian-12-netinst.iso", "iso", 1, 629)
    _add_volume(pool, "alma-9-boot.iso", "iso", 1, 900)


def generate_node_tree(n_guests: int, seed: int = 0) -> ET.ElementTree:
    """The node document as an ElementTree."""
    if n_guests < 0:
        raise ValueError(f"n_guests must be >= 0, got {n_guests}")
    rng = random.Random(seed)
    node = ET.Element("node")
    _add_cpu_and_memory(node)
    for i in range(1, n_guests + 1):
        _add_domain(node, rng, i, n_guests)
    _add_networks(node, rng)
    _add_pools(node, rng)
    ET.indent(node)
    return ET.ElementTree(node)


def generate_node_xml(n_guests: int, seed: int = 0) -> str:
    """A test-driver node XML document with ``n_guests`` guests."""
    return ET.tostring(generate_node_tree(n_guests, seed).getroot(), encoding="unicode")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of guests")
    parser.add_argument("out", type=Path, help="output file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("N must be >= 0")
    tree = generate_node_tree(args.n, args.seed)
    tree.write(args.out, encoding="utf-8", xml_declaration=True)
    print(f"wrote {args.n} guests to {args.out.resolve()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
