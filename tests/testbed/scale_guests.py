"""Many defined, never started guests on the real libvirtd, for scale tests and benchmarks.

Each is the smallest definition libvirt takes (a name, 64 MiB, one vCPU, one NIC on
no network started): they cost libvirtd a few KB each and never run. Names start
with PREFIX so a run that was killed is cleaned up by the next (`remove_all`).

    python tests/testbed/scale_guests.py define N     python tests/testbed/scale_guests.py remove
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

import libvirt

PREFIX = "vdscale-"
URI = "qemu:///system"


def guest_xml(name: str, index: int) -> str:
    dom = ET.Element("domain", {"type": "qemu"})
    ET.SubElement(dom, "name").text = name
    ET.SubElement(dom, "memory", {"unit": "MiB"}).text = "64"
    ET.SubElement(dom, "vcpu").text = "1"
    os_el = ET.SubElement(dom, "os")
    ET.SubElement(os_el, "type", {"arch": "x86_64"}).text = "hvm"
    devices = ET.SubElement(dom, "devices")
    nic = ET.SubElement(devices, "interface", {"type": "network"})
    ET.SubElement(nic, "mac", {"address": f"52:54:00:5c:{index >> 8 & 0xff:02x}:{index & 0xff:02x}"})
    ET.SubElement(nic, "source", {"network": "vdscale-none"})
    return ET.tostring(dom, encoding="unicode")


def define(count: int, uri: str = URI) -> list[str]:
    """Exactly `count` PREFIX guests defined (more are removed); their names."""
    conn = libvirt.open(uri)
    try:
        names = [f"{PREFIX}{i:04d}" for i in range(1, count + 1)]
        have = {d.name() for d in conn.listAllDomains() if d.name().startswith(PREFIX)}
        for index, name in enumerate(names, 1):
            if name not in have:
                conn.defineXML(guest_xml(name, index))
        for extra in have - set(names):
            conn.lookupByName(extra).undefine()
        return names
    finally:
        conn.close()


def remove_all(uri: str = URI) -> int:
    conn = libvirt.open(uri)
    try:
        gone = 0
        for dom in conn.listAllDomains():
            if dom.name().startswith(PREFIX):
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
                gone += 1
        return gone
    finally:
        conn.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["define"]:
        print(len(define(int(sys.argv[2]))))
    else:
        print(remove_all())
