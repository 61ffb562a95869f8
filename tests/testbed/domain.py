"""Domain XML for the tiny test guest (built with ElementTree, never by
string formatting).

The guest boots Debian's cloud kernel straight into the busybox initramfs
made by ``tests/testbed/guest.sh`` under TCG (``type='qemu'``; KVM is not
usable on the test machines). It has a serial console on ttyS0, no disk and
no graphics, and optionally one virtio NIC on a named (isolated) network, a
disk, and the guest agent: its virtio-serial channel, and ``vd.agent`` on the
command line, which has the guest run qemu-ga on it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

BOOT_MARKER = "virtdeck-tiny-guest booted"
AGENT_CHANNEL = "org.qemu.guest_agent.0"
LOGIN_PROMPT = "tiny login: "


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def tiny_guest_xml(
    name: str,
    kernel: str,
    initrd: str,
    memory_mib: int = 128,
    network: str | None = None,
    *,
    vcpus: int = 1,
    serial_log: str | None = None,
    cmdline: str = "console=ttyS0 loglevel=4 panic=-1",
    disk: str | None = None,
    agent: bool = False,
) -> str:
    """Return the XML of a tiny direct-kernel-boot guest.

    ``serial_log``: a file that virtlogd fills with everything the guest
    writes on its serial port (the boot marker and the login prompt).
    ``agent``: a guest agent channel, and the agent running in the guest.
    """
    dom = ET.Element("domain", {"type": "qemu"})
    _sub(dom, "name", name)
    _sub(dom, "memory", str(memory_mib), unit="MiB")
    _sub(dom, "currentMemory", str(memory_mib), unit="MiB")
    _sub(dom, "vcpu", str(vcpus), placement="static")

    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch="x86_64")
    _sub(os_el, "kernel", kernel)
    _sub(os_el, "initrd", initrd)
    _sub(os_el, "cmdline", f"{cmdline} vd.agent" if agent else cmdline)

    features = _sub(dom, "features")
    _sub(features, "acpi")
    _sub(dom, "clock", offset="utc")
    _sub(dom, "on_poweroff", "destroy")
    _sub(dom, "on_reboot", "restart")
    _sub(dom, "on_crash", "destroy")

    devices = _sub(dom, "devices")
    serial = _sub(devices, "serial", type="pty")
    _sub(serial, "target", port="0")
    if serial_log is not None:
        _sub(serial, "log", file=serial_log, append="off")
    console = _sub(devices, "console", type="pty")
    _sub(console, "target", type="serial", port="0")
    if disk is not None:
        disk_el = _sub(devices, "disk", type="file", device="disk")
        _sub(disk_el, "driver", name="qemu", type="qcow2" if disk.endswith(".qcow2") else "raw")
        _sub(disk_el, "source", file=disk)
        _sub(disk_el, "target", dev="vda", bus="virtio")
    if network is not None:
        iface = _sub(devices, "interface", type="network")
        _sub(iface, "source", network=network)
        _sub(iface, "model", type="virtio")
    if agent:
        channel = _sub(devices, "channel", type="unix")
        _sub(channel, "target", type="virtio", name=AGENT_CHANNEL)
    _sub(devices, "memballoon", model="virtio")
    # no <graphics>, no <video>
    _sub(devices, "video").append(ET.Element("model", {"type": "none"}))

    return ET.tostring(dom, encoding="unicode")


def isolated_network_xml(name: str, bridge: str, address: str, netmask: str = "255.255.255.0") -> str:
    """An isolated network (no <forward>): guests reach only each other and
    the host's address on the bridge. No DHCP range: nothing is served."""
    net = ET.Element("network")
    _sub(net, "name", name)
    _sub(net, "bridge", name=bridge, stp="on", delay="0")
    _sub(net, "ip", address=address, netmask=netmask)
    return ET.tostring(net, encoding="unicode")
