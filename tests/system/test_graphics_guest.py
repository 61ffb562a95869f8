"""Checks of the test bed's guests with a screen (no virtdeck code).

The shared `vd-graphics` guest (a VGA in text mode, a VNC display, a root
shell on tty1) serves the screen and keyboard checks; the moving 1024x768
picture (gfxdemo) and the display variants of `tiny_guest_xml` get guests of
their own, removed at the end.
"""

from __future__ import annotations

import socket
import struct
import xml.etree.ElementTree as ET

import pytest
from PIL import Image, ImageChops

from .conftest import (
    VT_BANNER,
    GraphicsGuest,
    Testbed,
    domain,
    running_graphics_guest,
    wait_until,
)

# VGA text mode: 80x25 cells of 9x16 pixels. A cell has ink when a pixel in
# its top 13 rows is lit (the blinking underline cursor sits below them).
CELL_W, CELL_H, INK_ROWS = 9, 16, 13
COMMAND = "echo gfx-$((6*7)) > /dev/ttyS0"


def cell_rows(image: Image.Image) -> list[str]:
    """The screen as text: per cell "#" with ink, " " without (trailing blanks dropped)."""
    assert image.size == (80 * CELL_W, 25 * CELL_H), image.size
    lit = image.convert("L").point(lambda v: 255 if v > 96 else 0)
    rows = []
    for row in range(25):
        cells = ""
        for col in range(80):
            box = (col * CELL_W, row * CELL_H, (col + 1) * CELL_W, row * CELL_H + INK_ROWS)
            cells += "#" if lit.crop(box).getbbox() else " "
        rows.append(cells.rstrip())
    return rows


def ink(text: str) -> str:
    return "".join(" " if ch == " " else "#" for ch in text)


def changed_share(a: Image.Image, b: Image.Image) -> float:
    diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v else 0)
    return diff.histogram()[255] / (a.size[0] * a.size[1])


def test_tty1_banner_is_on_the_screen(testbed: Testbed, graphics_guest: GraphicsGuest):
    # whatever earlier tests typed: the shell's exit has init start vt-shell
    # again, which clears the screen and prints the banner as it did at boot
    banners = testbed.serial_text(graphics_guest.name).count(VT_BANNER)
    testbed.type_text(graphics_guest.name, "exit\n")
    wait_until(
        lambda: testbed.serial_text(graphics_guest.name).count(VT_BANNER) > banners,
        60,
        what="vt-shell to start again",
    )
    rows = cell_rows(testbed.screenshot(graphics_guest.name))
    assert rows[0] == ink(VT_BANNER), "\n".join(rows)


def test_typing_on_tty1_reaches_the_serial_log(testbed: Testbed, graphics_guest: GraphicsGuest):
    before_text = testbed.serial_text(graphics_guest.name)
    before = cell_rows(testbed.screenshot(graphics_guest.name))
    testbed.type_text(graphics_guest.name, COMMAND + "\n")
    wait_until(
        lambda: testbed.serial_text(graphics_guest.name).count("gfx-42") > before_text.count("gfx-42"),
        60,
        what="gfx-42 on the serial log",
    )
    # the command line as the shell echoed it on tty1, prompt first
    after = cell_rows(testbed.screenshot(graphics_guest.name))
    assert after != before
    assert ink("vt# " + COMMAND) in after, "\n".join(after)


def test_the_vnc_display_answers_on_its_port(testbed: Testbed, graphics_guest: GraphicsGuest):
    assert graphics_guest.vnc_host == "127.0.0.1"
    assert graphics_guest.vnc_port is not None and graphics_guest.vnc_port >= 5900
    with socket.create_connection((graphics_guest.vnc_host, graphics_guest.vnc_port), timeout=10) as conn:
        assert security_types(conn) == [1]  # None: no password


def security_types(conn: socket.socket) -> list[int]:
    """RFB 3.8 handshake up to the server's list of security types."""
    version = recv_exactly(conn, 12)
    assert version.startswith(b"RFB 003."), version
    conn.sendall(b"RFB 003.008\n")
    count = recv_exactly(conn, 1)[0]
    return list(recv_exactly(conn, count))


def spice_link_reply_magic(conn: socket.socket) -> bytes:
    """Ask a SPICE server for its main channel; the first bytes of its reply."""
    # SpiceLinkMess: connection id, channel type 1 (main), channel id, no
    # capabilities, capabilities at offset 18 (the message's own size)
    body = struct.pack("<IBBIII", 0, 1, 0, 0, 0, 18)
    conn.sendall(b"REDQ" + struct.pack("<III", 2, 2, len(body)) + body)
    return recv_exactly(conn, 4)


def recv_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        assert chunk, f"display closed after {data!r}"
        data += chunk
    return data


def test_gfxdemo_draws_a_moving_1024x768_picture(testbed: Testbed):
    with running_graphics_guest(testbed, "vd-gfxdemo", gfxdemo=True) as guest:
        # the mode is set once gfxdemo runs, a moment after the boot
        first = wait_until(
            lambda: (shot := testbed.screenshot(guest.name)).size == domain.GFXDEMO_SIZE and shot,
            60,
            what="a 1024x768 screen",
        )
        start = domain.gfxdemo_frame(first.getpixel)
        # a second of frames later
        later = wait_until(
            lambda: (
                domain.gfxdemo_frame((shot := testbed.screenshot(guest.name)).getpixel)
                >= start + domain.GFXDEMO_FPS
                and shot
            ),
            60,
            what="gfxdemo's frame number to move on by a second",
        )
        assert later.size == domain.GFXDEMO_SIZE
        assert changed_share(first, later) > 0.5
        assert testbed.serial_text(guest.name).count("gfxdemo:") == 0  # no error from it


VARIANTS = {
    "vnc": dict(graphics="vnc"),
    "vnc-password": dict(graphics="vnc", vnc_password="s3cret"),
    "vnc-socket": dict(graphics="vnc-socket"),
    "spice": dict(graphics="spice"),
    "none": dict(graphics="none"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_display_variants_start_as_described(testbed: Testbed, variant: str):
    name = f"vd-display-{variant}"
    kw = VARIANTS[variant]
    testbed.remove_domain(name)
    path = testbed.state_dir / f"{name}.xml"
    path.write_text(testbed.guest_xml(name, serial_log=None, **kw))
    testbed.virsh("define", str(path))
    try:
        testbed.virsh("start", name)
        live = ET.fromstring(testbed.virsh("dumpxml", name))
        assert live.find("devices/video/model").get("type") == "vga"
        assert "vd.vt" in live.findtext("os/cmdline").split()
        if kw["graphics"] == "none":
            assert live.find("devices/graphics") is None
            # virDomainScreenshot works without a display device
            shot = wait_until(
                lambda: (image := testbed.screenshot(name)).getextrema() != ((0, 0),) * 3 and image,
                60,
                what="a screenshot that is not all black",
            )
            assert shot.size[0] >= 640
            return
        kind, address, port, sock = testbed.graphics_address(name)
        assert kind == kw["graphics"].split("-")[0]
        if variant == "vnc-socket":
            assert sock is not None and port is None
            with socket.socket(socket.AF_UNIX) as conn:
                conn.settimeout(10)
                conn.connect(sock)
                assert security_types(conn) == [1]
            return
        assert address == "127.0.0.1" and port is not None
        if kind == "vnc":
            with socket.create_connection((address, port), timeout=10) as conn:
                assert security_types(conn) == ([2] if "vnc_password" in kw else [1])  # 2: VNC auth
        else:
            with socket.create_connection((address, port), timeout=10) as conn:
                assert spice_link_reply_magic(conn) == b"REDQ"
    finally:
        testbed.remove_domain(name)
