"""Domain XML for the tiny test guest (built with ElementTree, never by
string formatting).

The guest boots Debian's cloud kernel straight into the busybox initramfs
made by ``tests/testbed/guest.sh`` under TCG (``type='qemu'``; KVM is not
usable on the test machines). It has a serial console on ttyS0, no disk and
no graphics, and optionally one virtio NIC on a named (isolated) network, a
disk, and the guest agent: its virtio-serial channel, and ``vd.agent`` on the
command line, which has the guest run qemu-ga on it.

With a display (``graphics``/``video``) the guest has QEMU's standard VGA and
``vd.vt`` on its command line: a root shell on its first virtual terminal
(tty1, VGA text mode 720x400, typed into by the PS/2 keyboard) that first
prints ``VT_BANNER``. With ``gfxdemo`` it runs ``/bin/gfxdemo`` instead: a
1024x768x32 picture that changes entirely 20 times a second.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

BOOT_MARKER = "virtdeck-tiny-guest booted"
AGENT_CHANNEL = "org.qemu.guest_agent.0"
LOGIN_PROMPT = "tiny login: "
VT_BANNER = "virtdeck-vt-ready"
GRAPHICS = ("vnc", "vnc-socket", "spice", "none")
VIDEO = ("vga", "none")
GFXDEMO_SIZE = (1024, 768)
GFXDEMO_FPS = 20
# gfxdemo's frame number: 32 squares of 16x16 pixels along the top edge,
# most significant bit first, white for 1, black for 0.
GFXDEMO_BIT_SIZE = 16
GFXDEMO_BITS = 32


def gfxdemo_frame(pixel: Callable[[tuple[int, int]], Sequence[int]]) -> int:
    """The frame number gfxdemo drew on a picture, read through ``pixel((x, y))``
    (the red, green and blue of a pixel: PIL's ``Image.getpixel`` of an RGB
    image, or a reader of a framebuffer)."""
    number = 0
    for bit in range(GFXDEMO_BITS):
        r, g, b = pixel((bit * GFXDEMO_BIT_SIZE + GFXDEMO_BIT_SIZE // 2, GFXDEMO_BIT_SIZE // 2))[:3]
        number = number << 1 | (r + g + b > 3 * 128)
    return number


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
    graphics: str | None = None,
    vnc_password: str | None = None,
    video: str | None = None,
    gfxdemo: bool = False,
    gfxdemo_fps: int = GFXDEMO_FPS,
) -> str:
    """Return the XML of a tiny direct-kernel-boot guest.

    ``serial_log``: a file that virtlogd fills with everything the guest
    writes on its serial port (the boot marker and the login prompt).
    ``agent``: a guest agent channel, and the agent running in the guest.
    ``graphics``: "vnc" (TCP on 127.0.0.1, port chosen by libvirt),
    "vnc-socket" (a unix socket libvirt names in the live XML), "spice"
    (SPICE only, TCP on 127.0.0.1) or "none" (no display device, but a VGA
    all the same: screenshots and send-key work). ``vnc_password``: the VNC
    display's password. ``video``: "vga" (the default with any ``graphics``)
    or "none". A VGA adds ``vd.vt`` (a shell on tty1) and ``consoleblank=0``,
    and puts ``console=tty0`` before the command line's own consoles, so the
    kernel log still reaches ttyS0 and ``/dev/console`` stays ttyS0.
    ``gfxdemo``: VNC, a VGA with 16 MiB of video memory and ``vd.gfxdemo``
    (the moving 1024x768 picture instead of the tty1 shell), drawn
    ``gfxdemo_fps`` times a second (0: one still picture).
    """
    if gfxdemo:
        graphics = graphics or "vnc"
        video = video or "vga"
    if graphics is not None and graphics not in GRAPHICS:
        raise ValueError(f"graphics must be one of {GRAPHICS}, not {graphics!r}")
    if video is None:
        video = "none" if graphics is None else "vga"
    if video not in VIDEO:
        raise ValueError(f"video must be one of {VIDEO}, not {video!r}")
    if vnc_password is not None and graphics not in ("vnc", "vnc-socket"):
        raise ValueError("vnc_password needs graphics='vnc' or 'vnc-socket'")
    words = cmdline.split()
    if gfxdemo:
        words += ["consoleblank=0", f"vd.gfxdemo={gfxdemo_fps}"]
    elif video != "none":
        words = ["console=tty0", *words, "consoleblank=0", "vd.vt"]
    if agent:
        words.append("vd.agent")
    dom = ET.Element("domain", {"type": "qemu"})
    _sub(dom, "name", name)
    _sub(dom, "memory", str(memory_mib), unit="MiB")
    _sub(dom, "currentMemory", str(memory_mib), unit="MiB")
    _sub(dom, "vcpu", str(vcpus), placement="static")

    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch="x86_64")
    _sub(os_el, "kernel", kernel)
    _sub(os_el, "initrd", initrd)
    _sub(os_el, "cmdline", " ".join(words))

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
    if graphics is not None and graphics != "none":
        _graphics(devices, graphics, vnc_password)
    _video(devices, video, vram_kib=16384 if gfxdemo else None)
    _sub(devices, "memballoon", model="virtio")

    return ET.tostring(dom, encoding="unicode")


def _graphics(devices: ET.Element, kind: str, password: str | None) -> None:
    if kind == "spice":
        el = _sub(devices, "graphics", type="spice", autoport="yes", listen="127.0.0.1")
        _sub(el, "listen", type="address", address="127.0.0.1")
        return
    el = _sub(devices, "graphics", type="vnc")
    if kind == "vnc":
        el.set("autoport", "yes")
        el.set("listen", "127.0.0.1")
        _sub(el, "listen", type="address", address="127.0.0.1")
    else:
        _sub(el, "listen", type="socket")
    if password is not None:
        el.set("passwd", password)


def _video(devices: ET.Element, model: str, vram_kib: int | None) -> None:
    attrs = {"type": model}
    if model != "none":
        attrs["heads"] = "1"
        attrs["primary"] = "yes"
        if vram_kib is not None:
            attrs["vram"] = str(vram_kib)
    _sub(_sub(devices, "video"), "model", **attrs)


def isolated_network_xml(name: str, bridge: str, address: str, netmask: str = "255.255.255.0") -> str:
    """An isolated network (no <forward>): guests reach only each other and
    the host's address on the bridge. No DHCP range: nothing is served."""
    net = ET.Element("network")
    _sub(net, "name", name)
    _sub(net, "bridge", name=bridge, stp="on", delay="0")
    _sub(net, "ip", address=address, netmask=netmask)
    return ET.tostring(net, encoding="unicode")
