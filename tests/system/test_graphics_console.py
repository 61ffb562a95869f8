"""The graphical console (`v`) on real TCG guests with a VGA: over VNC straight to a local
display, over VNC through virtdeck's own SSH, by screenshots and send-key where there is
no VNC to reach, with a display password, and reattaching after the guest restarts.

What the pane shows is checked against QEMU's own picture of the screen (`virsh
screenshot`), and what is typed into the pane against the guest's serial log: the
guest's tty1 shell writes the line it was given to /dev/ttyS0.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from PIL import Image, ImageChops

from tests.app.conftest import wait_for
from tests.testbed.domain import VT_BANNER
from tui.backend.ssh import SshTransport
from tui.forms.display_prompts import DisplayPasswordScreen
from tui.widgets.display_pane import DisplayPane

from .conftest import GraphicsGuest, Testbed, running_graphics_guest, wait_until
from .test_app_on_libvirtd import app_for
from .test_own_ssh_paths import own_ssh, ssh_host  # noqa: F401  (fixtures)

pytestmark = pytest.mark.system


async def open_display(pilot, app, name: str, uri: str, timeout: float = 30) -> DisplayPane:
    def guest():
        return next((g for g in app.inventory.guests.values() if g.name == name
                     and app.inventory.hosts[g.conn_id].uri == uri and g.state == "running"), None)

    await wait_for(pilot, lambda: guest() is not None, timeout=timeout, what=f"{name} running in the list")
    found = guest()
    table = app.screen.table
    key = f"{found.conn_id}|{found.uuid}"
    await wait_for(pilot, lambda: key in table._tokens, what="the guest's row")
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()
    await pilot.press("v")
    deck = app.screen.consoles
    await wait_for(pilot, lambda: deck.display_for(found.conn_id, found.uuid) is not None, what="the display pane")
    pane = deck.display_for(found.conn_id, found.uuid)
    await wait_for(pilot, lambda: pane.detail == "attached" and pane.view.frame is not None, timeout=30,
                   what=lambda: f"the display attached ({pane.detail}: {pane.status_text})")
    return pane


def frame_image(pane: DisplayPane) -> Image.Image:
    frame = pane.view.frame
    return Image.frombytes("RGBX", (frame.width, frame.height), frame.pixels).convert("RGB")


def differing_box(a: Image.Image, b: Image.Image):
    return ImageChops.difference(a, b).getbbox()


async def shows_what_qemu_shows(pilot, pane: DisplayPane, testbed: Testbed, name: str) -> None:
    """The pane's latest frame is QEMU's own picture of the screen, but for the blinking cursor."""

    def same() -> bool:
        shot = testbed.screenshot(name)
        mine = frame_image(pane)
        if mine.size != shot.size:
            return False
        box = differing_box(mine, shot)
        return box is None or (box[2] - box[0] <= 9 and box[3] - box[1] <= 16)  # one character cell

    await wait_for(pilot, same, timeout=20, what="the pane's picture equal to virsh screenshot")


def text_rows(image: Image.Image) -> set[int]:
    """The 16-pixel character rows of a VGA text screen that hold something."""
    grey = image.convert("L")
    return {y // 16 for y in range(image.height) if grey.crop((0, y, image.width, y + 1)).getextrema()[1] > 0}


async def type_in_pane(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(c, c) for c in text], "enter")


def serial_shows(testbed: Testbed, name: str, token: str) -> bool:
    return token in testbed.serial_text(name)


async def test_v_shows_the_guests_vga_screen_and_typing_reaches_its_shell(tmp_path, testbed: Testbed,
                                                                           graphics_guest: GraphicsGuest):
    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(200, 60)) as pilot:
        pane = await open_display(pilot, app, graphics_guest.name, testbed.system_uri)
        assert app.focused is pane.view
        assert f"VNC on 127.0.0.1:{graphics_guest.vnc_port} (this machine)" in pane.status_text
        frame = pane.view.frame
        assert (frame.width, frame.height) == (720, 400)  # VGA text mode
        await shows_what_qemu_shows(pilot, pane, testbed, graphics_guest.name)
        assert 0 in text_rows(frame_image(pane)), f"the banner line ({VT_BANNER}) is not on screen"

        await type_in_pane(pilot, "echo gfx-$((6*7))-local > /dev/ttyS0")
        await wait_for(pilot, lambda: serial_shows(testbed, graphics_guest.name, "gfx-42-local"), timeout=30,
                       what="gfx-42-local on the guest's serial port")
        # what was typed is on the screen too, as QEMU draws it
        await shows_what_qemu_shows(pilot, pane, testbed, graphics_guest.name)

        # ctrl+] leaves the picture for the tab strip; f is full screen, w closes
        await pilot.press("ctrl+right_square_bracket")
        await wait_for(pilot, lambda: app.focused is not pane.view, what="focus left the picture")
        await pilot.press("w")
        await wait_for(pilot, lambda: not app.screen.consoles.display_panes, what="the pane closed")


def connections_to(port: int) -> list[str]:
    """The processes holding a TCP connection to 127.0.0.1:port (ss -tnp)."""
    out = subprocess.run(["ss", "-Htnp", "state", "established", "dst", f"127.0.0.1:{port}"],
                         capture_output=True, text=True, check=True).stdout
    return re.findall(r'users:\(\("([^"]+)"', out)


async def test_the_display_through_virtdecks_own_ssh(tmp_path, testbed: Testbed, graphics_guest: GraphicsGuest,
                                                     own_ssh):  # noqa: F811
    app = app_for(tmp_path, own_ssh.uri)
    async with app.run_test(size=(200, 60)) as pilot:
        pane = await open_display(pilot, app, graphics_guest.name, own_ssh.uri)
        connection = next(c for c in app.fleet.connections if c.uri == own_ssh.uri)
        assert isinstance(connection.transport, SshTransport)
        assert "through virtdeck's SSH to root@127.0.0.1" in pane.status_text
        # the VNC socket's peer on the host side is sshd, not this process
        holders = connections_to(graphics_guest.vnc_port)
        assert holders and all(h.startswith("sshd") for h in holders), holders
        await shows_what_qemu_shows(pilot, pane, testbed, graphics_guest.name)
        await type_in_pane(pilot, "echo gfx-$((6*7))-ssh > /dev/ttyS0")
        await wait_for(pilot, lambda: serial_shows(testbed, graphics_guest.name, "gfx-42-ssh"), timeout=30,
                       what="gfx-42-ssh on the guest's serial port")
        assert len(own_ssh.sessions()) == 1  # the display rode on the one SSH session


@pytest.mark.parametrize("graphics, why", [
    ("none", "it has a video card but no display server"),
    ("spice", "its display is SPICE, which virtdeck does not speak"),
])
async def test_a_guest_without_vnc_is_shown_by_screenshots_and_typed_by_send_key(tmp_path, testbed: Testbed,
                                                                                 graphics: str, why: str):
    with running_graphics_guest(testbed, f"vd-gfx-shots-{graphics}", graphics=graphics, video="vga") as guest:
        app = app_for(tmp_path, testbed.system_uri)
        async with app.run_test(size=(200, 60)) as pilot:
            pane = await open_display(pilot, app, guest.name, testbed.system_uri)
            assert f"screenshots and send-key, because {why}" in pane.status_text
            await shows_what_qemu_shows(pilot, pane, testbed, guest.name)
            token = f"gfx-42-shot-{graphics}"
            await type_in_pane(pilot, f"echo gfx-$((6*7))-shot-{graphics} > /dev/ttyS0")
            await wait_for(pilot, lambda: serial_shows(testbed, guest.name, token), timeout=60,
                           what=f"{token} on the guest's serial port")
            # the next screenshot shows what was typed
            await shows_what_qemu_shows(pilot, pane, testbed, guest.name)


async def test_a_password_display_and_a_restarted_guest(tmp_path, testbed: Testbed):
    with running_graphics_guest(testbed, "vd-gfx-pass", graphics="vnc", vnc_password="s3cret") as guest:
        app = app_for(tmp_path, testbed.system_uri)
        async with app.run_test(size=(200, 60)) as pilot:
            # read-write: libvirt hands the password in the secure XML
            pane = await open_display(pilot, app, guest.name, testbed.system_uri)
            assert "password from the guest's definition" in pane.status_text
            await shows_what_qemu_shows(pilot, pane, testbed, guest.name)

            # the display's password changed behind libvirt's back: the pane asks for it
            testbed.virsh("qemu-monitor-command", "--hmp", guest.name, "set_password vnc n3w-pass")
            await pilot.press("ctrl+right_square_bracket", "w")
            await wait_for(pilot, lambda: not app.screen.consoles.display_panes, what="the pane closed")
            await pilot.press("escape")
            await pilot.press("v")
            await wait_for(pilot, lambda: isinstance(app.screen, DisplayPasswordScreen), timeout=30,
                           what="the password question")
            assert "password refused" in app.screen.reason
            await pilot.press(*"n3w-pass", "enter")
            pane = app.screen.consoles.display_panes[0]
            await wait_for(pilot, lambda: pane.detail == "attached", timeout=30,
                           what=lambda: f"attached with the typed password ({pane.detail}: {pane.status_text})")
            await type_in_pane(pilot, "echo gfx-$((6*7))-pass > /dev/ttyS0")
            await wait_for(pilot, lambda: serial_shows(testbed, guest.name, "gfx-42-pass"), timeout=30,
                           what="gfx-42-pass on the guest's serial port")

            # the guest stops: the pane says so; it starts again (a new QEMU, a new port): the pane
            # attaches by itself (the definition's password again) and shows the new boot
            testbed.virsh("destroy", guest.name)
            await wait_for(pilot, lambda: pane.detail == "closed", timeout=30,
                           what=lambda: f"closed ({pane.detail}: {pane.status_text})")
            assert "reattaches when it runs again" in pane.status_text
            banners = testbed.serial_text(guest.name).count(VT_BANNER)
            log_length = len(testbed.serial_text(guest.name))
            testbed.virsh("start", guest.name)
            await wait_for(pilot, lambda: pane.detail == "attached", timeout=60,
                           what=lambda: f"attached again ({pane.detail}: {pane.status_text})")

            def booted() -> bool:  # the log file may start afresh with the new QEMU
                text = testbed.serial_text(guest.name)
                return text.count(VT_BANNER) > banners or (len(text) < log_length and VT_BANNER in text)

            wait_until(booted, timeout=180, what="the new boot's banner")
            await shows_what_qemu_shows(pilot, pane, testbed, guest.name)
            await type_in_pane(pilot, "echo gfx-$((6*7))-again > /dev/ttyS0")
            await wait_for(pilot, lambda: serial_shows(testbed, guest.name, "gfx-42-again"), timeout=30,
                           what="gfx-42-again on the guest's serial port")


async def test_the_pane_says_a_lost_host_and_attaches_again_when_it_heals(tmp_path, testbed: Testbed,
                                                                        graphics_guest: GraphicsGuest):
    from tui.backend.model import ConnState

    from .test_app_on_libvirtd import host_state

    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(200, 60)) as pilot:
        pane = await open_display(pilot, app, graphics_guest.name, testbed.system_uri)
        shown = pane.view.frame
        testbed.kill_libvirtd()
        try:
            await wait_for(pilot, lambda: pane.detail == "lost", timeout=20,
                           what=lambda: f"the pane saying the host is lost ({pane.detail}: {pane.status_text})")
            assert "reattaches when it is back" in pane.status_text
            assert pane.view.dimmed  # the last picture stays, dimmed
        finally:
            testbed.start_libvirtd()
        await wait_for(pilot, lambda: host_state(app, testbed.system_uri) == ConnState.CONNECTED, timeout=30)
        await wait_for(pilot, lambda: pane.detail == "attached" and pane.view.frame is not shown, timeout=30,
                       what=lambda: f"attached again ({pane.detail}: {pane.status_text})")
        await pilot.press("ctrl+u")
        await type_in_pane(pilot, "echo gfx-$((6*7))-healed > /dev/ttyS0")
        await wait_for(pilot, lambda: serial_shows(testbed, graphics_guest.name, "gfx-42-healed"), timeout=30,
                       what="gfx-42-healed on the guest's serial port")


@pytest.fixture
def no_forwarding_ssh(tmp_path, monkeypatch):
    """An sshd in front of the system libvirtd that refuses every forwarded channel (virtdeck
    then runs libvirt over an exec channel), and a client HOME that trusts it."""
    from pathlib import Path

    from tests.testbed.ssh_hosts import SshHost, keygen

    root = tmp_path / "sshd"
    root.mkdir()
    key = keygen(root / "id_ed25519", comment="vd-gfx-client")
    authorized = root / "authorized_keys"
    authorized.write_text(Path(f"{key}.pub").read_text())
    host = SshHost("vd-gfx-nofwd", root, authorized, ["AllowTcpForwarding no", "AllowStreamLocalForwarding no"])
    host.start()
    home = root / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    for suffix in ("", ".pub"):
        (home / ".ssh" / f"id_ed25519{suffix}").write_bytes(Path(f"{key}{suffix}").read_bytes())
    (home / ".ssh" / "id_ed25519").chmod(0o600)
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{host.port} {host.public_host_key()}\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    try:
        yield f"qemu+ssh://root@127.0.0.1:{host.port}/system"
    finally:
        host.stop()


async def test_a_display_the_host_will_not_forward_to_is_shown_by_screenshots(
        tmp_path, testbed: Testbed, graphics_guest: GraphicsGuest, no_forwarding_ssh: str):
    app = app_for(tmp_path, no_forwarding_ssh)
    async with app.run_test(size=(200, 60)) as pilot:
        pane = await open_display(pilot, app, graphics_guest.name, no_forwarding_ssh)
        # the SSH server refused the channel to the VNC port: the guest's screen comes by screenshots
        assert "screenshots and send-key, because VNC on 127.0.0.1:" in pane.status_text
        assert "through virtdeck's SSH" in pane.status_text
        assert "failed: the SSH server does not forward to it" in pane.status_text
        await shows_what_qemu_shows(pilot, pane, testbed, graphics_guest.name)
        await pilot.press("ctrl+u")
        await type_in_pane(pilot, "echo gfx-$((6*7))-nofwd > /dev/ttyS0")
        await wait_for(pilot, lambda: serial_shows(testbed, graphics_guest.name, "gfx-42-nofwd"), timeout=60,
                       what="gfx-42-nofwd on the guest's serial port")
