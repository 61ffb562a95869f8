"""The graphical console as a user meets it: the installed program in a pty.

On the demo host (screenshots of libvirt's test driver) the picture goes out as block
characters, and as kitty graphics when asked for: the escape sequences the program
wrote are decoded here and compared with the screenshot itself. On a real TCG guest a
line typed into the pane at a person's pace and as one burst reaches the guest's shell.
"""

from __future__ import annotations

import base64
import re
import zlib

import pytest
from PIL import Image

from tests.app.test_display_demo import screenshot
from tests.ptyharness import PtyApp
from tests.system.conftest import GraphicsGuest, Testbed, graphics_guest, testbed  # noqa: F401  (fixtures)

from .conftest import STARTUP

CTRL_RBRACKET = "\x1d"
APC = re.compile(rb"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\")


def demo_screenshot(name: str) -> Image.Image:
    from tui.demo import demo_uri

    return screenshot(demo_uri(), name)


def open_on(app: PtyApp, name: str) -> None:
    """Filter the list down to `name`, then `v`."""
    app.burst(list(f"/{name}") + ["\r"])
    app.wait_for(lambda a: a.contains(f" {name} "), f"{name} in the list", deadline=10)
    app.settle()
    app.send("v")


def kitty_images(raw: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Every image transmitted with the kitty graphics protocol: its keys and its payload
    (chunks joined, base64 decoded)."""
    images: list[tuple[dict[str, str], bytes]] = []
    current: tuple[dict[str, str], list[bytes]] | None = None
    for match in APC.finditer(raw):
        keys = dict(part.split("=", 1) for part in match.group(1).decode().split(",") if "=" in part)
        payload = match.group(2) or b""
        if current is None:
            if keys.get("a", "t") not in ("t", "T") or not payload:
                continue
            current = (keys, [payload])
        else:
            current[1].append(payload)
        if keys.get("m", "0") == "0":
            images.append((current[0], base64.b64decode(b"".join(current[1]))))
            current = None
    return images


def test_the_demo_guests_screen_in_block_characters(start, installed):
    app = start([installed, "--demo", "--pictures", "blocks"])
    app.wait_for(lambda a: a.contains("backup-vault"), "the demo guests", deadline=STARTUP)
    open_on(app, "web-01")
    app.wait_for(lambda a: a.contains("screenshots and send-key"), "the display pane says how", deadline=20)
    app.wait_for(lambda a: a.text().count("▀") > 500, "the picture in half blocks", deadline=20)
    assert "web-01 @" in app.text()
    app.send(CTRL_RBRACKET)
    app.send("z")
    app.wait_for(lambda a: a.contains("blocks, 1:1"), "1:1", deadline=10)
    app.quit()


def test_the_demo_guests_screen_in_kitty_graphics(start, installed):
    shot = demo_screenshot("web-01")
    app = start([installed, "--demo", "--pictures", "kitty"])
    app.wait_for(lambda a: a.contains("backup-vault"), "the demo guests", deadline=STARTUP)
    open_on(app, "web-01")
    app.wait_for(lambda a: bool(kitty_images(bytes(a.raw))), "a picture sent with the kitty graphics protocol",
                 deadline=20)
    keys, payload = kitty_images(bytes(app.raw))[0]
    width, height = int(keys["s"]), int(keys["v"])
    assert abs(width / height - shot.width / shot.height) < 0.02
    data = zlib.decompress(payload) if keys.get("o") == "z" else payload
    mode = {"24": "RGB", "32": "RGBA"}[keys.get("f", "32")]
    sent = Image.frombytes(mode, (width, height), data).convert("L")
    expected = shot.convert("L").resize((width, height), Image.Resampling.BOX)
    error = sum(abs(a - b) for a, b in zip(sent.tobytes(), expected.tobytes())) / (width * height)
    assert error < 10, f"the picture sent is not the guest's screen (mean error {error:.1f})"
    # the cells that show it are kitty's Unicode placeholders, coloured with the image's id
    app.wait_for(lambda a: "\U0010eeee".encode() in bytes(a.raw), "the placeholder cells", deadline=10)
    app.quit()


SIXEL = re.compile(rb"\x1b7\x1b\[(\d+);(\d+)H\x1bP0;1;0q\"1;1;(\d+);(\d+)")


def test_the_demo_guests_screen_in_sixel(start, installed):
    shot = demo_screenshot("web-01")
    app = start([installed, "--demo", "--pictures", "sixel"])
    app.wait_for(lambda a: a.contains("backup-vault"), "the demo guests", deadline=STARTUP)
    open_on(app, "web-01")
    app.wait_for(lambda a: SIXEL.search(bytes(a.raw)) is not None, "a sixel picture over the pane", deadline=20)
    row, column, width, height = map(int, SIXEL.search(bytes(app.raw)).groups())
    assert abs(width / height - shot.width / shot.height) < 0.02
    # it is drawn where the pane's picture is: right of the list, below the pane's status lines
    lines = app.lines_text()
    status = next(i for i, line in enumerate(lines) if "sixel" in line and "web-01 @" in line)
    assert row - 1 > status and column > 1
    assert lines[status].index("web-01 @") <= column

    # a dialog over the pane: no picture is drawn over it; closed, the picture is drawn again
    app.send(CTRL_RBRACKET)
    app.drain(1.5)
    written = len(SIXEL.findall(bytes(app.raw)))
    app.send("s")
    app.wait_for(lambda a: a.contains("Send keys:") and a.contains("Ctrl+Alt+Del"), "the key menu", deadline=10)
    app.drain(1.5)
    assert len(SIXEL.findall(bytes(app.raw))) == written, "a sixel picture was drawn over the dialog"
    app.send("\x1b")
    app.wait_for(lambda a: not a.contains("Send keys:"), "the menu closed", deadline=10)
    app.wait_for(lambda a: len(SIXEL.findall(bytes(a.raw))) > written, "the picture drawn again", deadline=10)
    app.quit()


@pytest.mark.system
@pytest.mark.parametrize("speed", ["human", "burst"])
def test_a_line_typed_into_the_pane_reaches_the_guest(start, installed, testbed: Testbed,  # noqa: F811
                                                     graphics_guest: GraphicsGuest, speed):  # noqa: F811
    app = start([installed, "--pictures", "blocks", "-c", testbed.system_uri])
    app.wait_for(lambda a: a.contains(f" {graphics_guest.name} "), "the graphics guest", deadline=STARTUP)
    open_on(app, graphics_guest.name)
    app.wait_for(lambda a: a.contains("VNC on 127.0.0.1"), "the pane attached over VNC", deadline=30)
    token = f"gfx-42-pty-{speed}"
    line = f"\x15echo gfx-$((6*7))-pty-{speed} > /dev/ttyS0\r"  # ctrl+u first: an empty command line
    if speed == "burst":
        app.burst([line])
    else:
        app.type(list(line), gap=0.1)
    deadline_ok = False
    for _ in range(300):
        app.drain(0.1)
        if token in testbed.serial_text(graphics_guest.name):
            deadline_ok = True
            break
    assert deadline_ok, f"{token} never reached the guest's serial port"
    app.send(CTRL_RBRACKET)  # out of the pane: the quit keys are not the guest's
    app.quit()
