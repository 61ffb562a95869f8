"""Debian's graphical installer, driven through the display pane: what a sysadmin with
no X does to install a guest.

The guest boots the GTK installer of Debian 12 (`debian-installer-12-netboot-amd64`,
its kernel and initrd booted directly) under TCG, with QEMU's VGA, a USB tablet and a
VNC display. Through the pane: the arrow keys move the language list's selection, and
at 1:1 a click on the installer's Continue button takes it to its next screen. Every
check reads the pane's own picture of the screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.app.conftest import wait_for

from .conftest import Testbed, missing
from .test_app_on_libvirtd import app_for
from .test_graphics_console import open_display

pytestmark = pytest.mark.system

NAME = "vd-installer"
PACKAGE = "debian-installer-12-netboot-amd64"
IMAGES = Path("/var/lib/libvirt/images/virtdeck-test/debian-installer-gtk")
SELECTED = (41, 134, 126)  # the installer's selected-row colour
CONTINUE = (1218, 774)  # the Continue button on its 1280x800 screen


@pytest.fixture(scope="module")
def installer_images() -> Path:
    """The GTK installer's kernel and initrd, from Debian's package (downloaded once)."""
    if (IMAGES / "linux").exists() and (IMAGES / "initrd.gz").exists():
        return IMAGES
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(["apt-get", "download", "-q", PACKAGE], cwd=scratch, capture_output=True, text=True)
        debs = list(Path(scratch).glob(f"{PACKAGE}_*.deb"))
        if not debs:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True)
            done = subprocess.run(["apt-get", "download", "-q", PACKAGE], cwd=scratch, capture_output=True, text=True)
            debs = list(Path(scratch).glob(f"{PACKAGE}_*.deb"))
        if not debs:
            missing(f"apt-get download {PACKAGE} failed: {done.stderr.strip()[-500:]}")
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), f"{scratch}/root"], check=True)
        source = Path(scratch) / "root/usr/lib/debian-installer/images/12/amd64/gtk/debian-installer/amd64"
        IMAGES.mkdir(parents=True, exist_ok=True)
        for name in ("linux", "initrd.gz"):
            shutil.copy(source / name, IMAGES / f".{name}")
            (IMAGES / f".{name}").rename(IMAGES / name)
    return IMAGES


def installer_xml(images: Path) -> str:
    dom = ET.Element("domain", type="qemu")
    ET.SubElement(dom, "name").text = NAME
    ET.SubElement(dom, "memory", unit="MiB").text = "1024"
    ET.SubElement(dom, "vcpu").text = "1"
    os_el = ET.SubElement(dom, "os")
    ET.SubElement(os_el, "type", arch="x86_64").text = "hvm"
    ET.SubElement(os_el, "kernel").text = str(images / "linux")
    ET.SubElement(os_el, "initrd").text = str(images / "initrd.gz")
    ET.SubElement(os_el, "cmdline").text = "vga=788 --- quiet"
    ET.SubElement(ET.SubElement(dom, "features"), "acpi")
    devices = ET.SubElement(dom, "devices")
    ET.SubElement(devices, "controller", type="usb", model="qemu-xhci")
    ET.SubElement(devices, "input", type="tablet", bus="usb")
    graphics = ET.SubElement(devices, "graphics", type="vnc", autoport="yes", listen="127.0.0.1")
    ET.SubElement(graphics, "listen", type="address", address="127.0.0.1")
    ET.SubElement(ET.SubElement(devices, "video"), "model", type="vga", vram="16384")
    return ET.tostring(dom, encoding="unicode")


@pytest.fixture
def installer(testbed: Testbed, installer_images: Path):
    testbed.remove_domain(NAME)
    path = testbed.state_dir / f"{NAME}.xml"
    path.write_text(installer_xml(installer_images))
    testbed.virsh("define", str(path))
    testbed.virsh("start", NAME)
    try:
        yield NAME
    finally:
        testbed.remove_domain(NAME)


def pixel(frame, x: int, y: int) -> tuple[int, int, int]:
    offset = (y * frame.width + x) * 4
    return tuple(frame.pixels[offset:offset + 3])  # type: ignore[return-value]


def selected_rows(frame) -> list[int]:
    """The y of every pixel row, down the left of the list, in the selection's colour."""
    if frame is None or frame.width < 1024:
        return []
    return [y for y in range(frame.height)
            if all(abs(a - b) <= 12 for a, b in zip(pixel(frame, 100, y), SELECTED))]


def selection(frame) -> float | None:
    rows = selected_rows(frame)
    return sum(rows) / len(rows) if len(rows) > 10 else None


def differing(a, b, box: tuple[int, int, int, int]) -> float:
    """The share of pixels (on a 4-pixel grid) that differ inside box."""
    x0, y0, x1, y1 = box
    points = [(x, y) for y in range(y0, y1, 4) for x in range(x0, x1, 4)]
    return sum(pixel(a, x, y) != pixel(b, x, y) for x, y in points) / len(points)


async def guest_reads_its_keyboard(pilot, testbed: Testbed, view, english: float) -> None:
    """Wait until the installer reads its keyboard, with keys pressed by `virsh send-key`,
    then leave the selection back on its row.

    Under TCG on a loaded machine the list is drawn before the installer's X server
    reads its keyboard, and a key pressed then is lost in the guest. Knocking from
    outside the app keeps the pane's own keys below to one press each, which must work.
    """
    deadline = time.monotonic() + 180
    while (selection(view.frame) or 0) <= english + 10:
        assert time.monotonic() < deadline, "the installer never answered virsh send-key KEY_DOWN"
        await asyncio.to_thread(testbed.virsh, "send-key", NAME, "KEY_DOWN")
        with contextlib.suppress(AssertionError):
            await wait_for(pilot, lambda: (selection(view.frame) or 0) > english + 10, timeout=10)
    while abs((selection(view.frame) or 0) - english) >= 3:
        assert time.monotonic() < deadline, "the selection never came back to its row"
        now = selection(view.frame) or 0
        await asyncio.to_thread(testbed.virsh, "send-key", NAME, "KEY_UP" if now > english else "KEY_DOWN")
        with contextlib.suppress(AssertionError):
            await wait_for(pilot, lambda: abs((selection(view.frame) or 0) - now) > 10, timeout=10)


async def test_debians_graphical_installer_through_the_pane(tmp_path, testbed: Testbed, installer: str):
    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(200, 60)) as pilot:
        pane = await open_display(pilot, app, installer, testbed.system_uri)
        view = pane.view
        await wait_for(pilot, lambda: selection(view.frame) is not None, timeout=300,
                       what=lambda: f"the installer's language list ({view.frame.width}x{view.frame.height} now)")
        assert (view.frame.width, view.frame.height) == (1280, 800)
        assert "1280x800" in str(pane.status.render())  # the new resolution shows in the pane

        english = selection(view.frame)
        await guest_reads_its_keyboard(pilot, testbed, view, english)

        # the arrow keys move the selection, as an X keyboard's would
        await pilot.press("down")
        await wait_for(pilot, lambda: (selection(view.frame) or 0) > english + 10, timeout=30,
                       what="the selection one row down")
        await pilot.press("up")
        await wait_for(pilot, lambda: abs((selection(view.frame) or 0) - english) < 3, timeout=30,
                       what="the selection back on its row")

        # 1:1, panned to the bottom right, a click on Continue
        await pilot.press("ctrl+right_square_bracket", "z")
        await wait_for(pilot, lambda: view.zoomed, what="1:1")
        for _ in range(30):  # half a pane each, clamped at the picture's edges
            await pilot.press("l", "j")
        cols, rows = view.size
        target = next(((c, r) for r in range(rows) for c in range(cols)
                       if (p := view.frame_point(c, r)) is not None
                       and abs(p[0] - CONTINUE[0]) <= 3 and abs(p[1] - CONTINUE[1]) <= 3), None)
        assert target is not None, "the Continue button is not in the 1:1 view"
        before = view.frame
        await pilot.click(view, offset=target)
        await wait_for(pilot, lambda: differing(before, view.frame, (20, 180, 1240, 730)) > 0.05, timeout=90,
                       what="the installer's next screen")
        await wait_for(pilot, lambda: selection(view.frame) is not None
                       and abs(selection(view.frame) - english) > 20, timeout=30,
                       what="the next list's own selection")
