"""The RFB client against QEMU's own VNC server (no libvirtd): the tiny guest's kernel
boots on a VGA text console; the client sees its 720x400 screen with the kernel's
text, decodes it alike with Raw, Zlib and Hextile, shares the display with other
viewers, and its keys reach the guest's kernel (Caps Lock turns the keyboard's LED
on and off, which QEMU reports back). With a password set over QMP: no password, a
wrong one and the right one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tui.backend import keysyms
from tui.backend.model import Frame
from tui.backend.rfb import (
    COPY_RECT,
    HEXTILE,
    RAW,
    RfbAuthFailed,
    RfbClient,
    RfbPasswordNeeded,
    open_tcp,
    open_unix,
)

from .conftest import BOOT_MARKER, missing, wait_until

pytestmark = pytest.mark.system

IMAGES = Path("/var/lib/libvirt/images/virtdeck-test")
KERNEL = IMAGES / "vmlinuz"
INITRD = IMAGES / "initrd.gz"
BOOT_TIMEOUT = 180
TIMEOUT = 30
CAPS_LOCK_LED = 4
PASSWORD = "s3cret"


@dataclass
class Qemu:
    proc: subprocess.Popen
    qmp_path: Path
    serial_log: Path
    vnc_path: Path | None = None
    vnc_port: int | None = None

    def serial(self) -> str:
        try:
            return self.serial_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def qmp(path: Path, command: str, **arguments) -> dict:
    """One QMP command on a fresh connection; its `return`, or an AssertionError."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(TIMEOUT)
        sock.connect(str(path))
        stream = sock.makefile("rw")
        json.loads(stream.readline())  # the greeting
        answers = []
        for cmd, args in (("qmp_capabilities", {}), (command, arguments)):
            stream.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
            stream.flush()
            while True:
                answer = json.loads(stream.readline())
                if "return" in answer or "error" in answer:
                    break
            answers.append(answer)
    assert "return" in answers[-1], answers[-1]
    return answers[-1]["return"]


@contextlib.contextmanager
def qemu(tmp: Path, vnc: str) -> Iterator[Qemu]:
    """QEMU (TCG) with std VGA and a VNC display `vnc`, booting the tiny guest's kernel
    with its log on the VGA console and the serial port; killed afterwards."""
    if shutil.which("qemu-system-x86_64") is None:
        missing("qemu-system-x86_64 not found (run tests/testbed/setup.sh)")
    for path in (KERNEL, INITRD):
        if not path.is_file():
            missing(f"{path} not found (run tests/testbed/guest.sh)")
    tmp.mkdir(parents=True, exist_ok=True)
    qmp_path = tmp / "qmp.sock"
    serial_log = tmp / "serial.log"
    cmd = [
        "qemu-system-x86_64", "-machine", "accel=tcg", "-m", "128", "-nodefaults", "-no-user-config",
        "-display", "none", "-vga", "std", "-vnc", vnc,
        "-kernel", str(KERNEL), "-initrd", str(INITRD), "-append", "console=tty0 console=ttyS0",
        "-serial", f"file:{serial_log}", "-qmp", f"unix:{qmp_path},server=on,wait=off",
    ]
    with open(tmp / "qemu.err", "wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    try:
        def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"QEMU exited: {(tmp / 'qemu.err').read_text(errors='replace')}")
            return qmp_path.is_socket()

        wait_until(ready, TIMEOUT, what="QEMU's QMP socket")
        yield Qemu(proc, qmp_path, serial_log)
    finally:
        proc.kill()
        proc.wait(timeout=TIMEOUT)


def booted(vm: Qemu) -> None:
    wait_until(lambda: BOOT_MARKER in vm.serial(), BOOT_TIMEOUT, interval=0.2, what="the guest's boot marker")


@pytest.fixture(scope="module")
def plain_vm(tmp_path_factory) -> Iterator[Qemu]:
    """A booted guest with a VNC display on the first free 127.0.0.1 display from :50."""
    tmp = tmp_path_factory.mktemp("rfb-plain")
    with qemu(tmp, "127.0.0.1:50,to=99") as vm:
        vm.vnc_port = int(qmp(vm.qmp_path, "query-vnc")["service"])
        booted(vm)
        yield vm


@pytest.fixture(scope="module")
def password_vm(tmp_path_factory) -> Iterator[Qemu]:
    """A guest whose VNC display is a UNIX socket with a password, set over QMP."""
    tmp = tmp_path_factory.mktemp("rfb-password")
    vnc_path = tmp / "vnc.sock"
    with qemu(tmp, f"unix:{vnc_path},password=on") as vm:
        vm.vnc_path = vnc_path
        qmp(vm.qmp_path, "set_password", protocol="vnc", password=PASSWORD)
        yield vm


class Counted:
    """A client's reader that counts what the server sent, outside the client."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader
        self.count = 0

    async def read(self, n: int = -1) -> bytes:
        data = await self.reader.read(n)
        self.count += len(data)
        return data

    async def readexactly(self, n: int) -> bytes:
        data = await self.reader.readexactly(n)
        self.count += len(data)
        return data


class Viewer:
    """A client and the newest frame it handed on."""

    def __init__(self, client_kw: dict) -> None:
        self.kw = client_kw
        self.frames: list[Frame] = []
        self.client: RfbClient
        self.task: asyncio.Task | None = None

    @property
    def latest(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    async def open(self, streams, encodings: list[int] | None = None) -> Viewer:
        reader, writer = streams
        self.received = Counted(reader)
        self.client = RfbClient(self.received, writer, on_frame=self.frames.append, **self.kw)
        if encodings is not None:
            self.client.encodings = encodings
        await asyncio.wait_for(self.client.start(), TIMEOUT)
        self.task = asyncio.create_task(self.client.run())
        return self

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            assert self.task.cancelled() or self.task.exception() is None
        await self.client.close()


async def until(predicate, timeout: float = TIMEOUT, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)
    return value


def lit_rows(frame: Frame) -> int:
    """How many pixel rows hold a pixel that is not the top-left corner's colour."""
    background = frame.pixels[:3]
    stride = frame.width * 4
    count = 0
    for y in range(frame.height):
        row = frame.pixels[y * stride:(y + 1) * stride]
        if any(row[i:i + 3] != background for i in range(0, stride, 4)):
            count += 1
    return count


async def test_first_frame_shows_the_kernels_text_and_keys_reach_the_guest(plain_vm):
    # the LED report shows what the guest's keyboard driver did with the keys
    viewer = await Viewer({"local": True, "report_leds": True}).open(await open_tcp("127.0.0.1", plain_vm.vnc_port))
    client = viewer.client
    try:
        assert client.version == (3, 8)
        first = await until(lambda: viewer.latest, what="the first frame")
        # VGA text mode, 80x25 cells of 9x16 pixels
        assert (first.width, first.height) == (client.width, client.height) == (720, 400)
        assert first.serial == 1
        assert (0, 0, 720, 400) in first.damage or sum(w * h for _, _, w, h in first.damage) >= 720 * 400
        assert len(first.pixels) == 720 * 400 * 4
        # the kernel's log fills the screen: many pixel rows with text on them
        assert lit_rows(first) > 100, lit_rows(first)

        await until(lambda: client.extended_keys, what="QEMU's extended key event acknowledged")
        assert client.absolute_pointer is False  # no tablet: QEMU's PS/2 mouse is relative
        # Caps Lock by keysym: the guest's keyboard driver turns the LED on, QEMU reports it
        for keysym, down in keysyms.chord_events((keysyms.CAPS_LOCK,)):
            client.key(keysym, down)
        await until(lambda: client.leds is not None and client.leds & CAPS_LOCK_LED, what="Caps Lock LED on")
        # and off again by scan code (QEMU's extended key event)
        client.press((keysyms.CAPS_LOCK,))
        await until(lambda: client.leds is not None and not client.leds & CAPS_LOCK_LED, what="Caps Lock LED off")
    finally:
        await viewer.close()


async def test_raw_zlib_and_hextile_decode_the_same_screen_side_by_side(plain_vm):
    raw = await Viewer({"local": True}).open(await open_tcp("127.0.0.1", plain_vm.vnc_port), [RAW, COPY_RECT])
    zlib = await Viewer({"local": False}).open(await open_tcp("127.0.0.1", plain_vm.vnc_port))
    hextile = await Viewer({"local": False}).open(
        await open_tcp("127.0.0.1", plain_vm.vnc_port), [HEXTILE, COPY_RECT, RAW]
    )
    viewers = (raw, zlib, hextile)
    try:
        await until(lambda: all(v.latest for v in viewers), what="a frame on every viewer")
        # the cursor blinks: wait for a moment all three show the same picture
        await until(
            lambda: raw.latest.pixels == zlib.latest.pixels == hextile.latest.pixels,
            what="the same picture through Raw, Zlib and Hextile",
        )
        assert lit_rows(zlib.latest) > 100
        # three shared viewers: none was disconnected by the others
        assert all(not v.task.done() for v in viewers)
        # Zlib carries the text screen in a fraction of Raw's bytes
        assert zlib.received.count * 4 < raw.received.count, (zlib.received.count, raw.received.count)
    finally:
        for v in viewers:
            await v.close()


async def test_password_protected_display(password_vm):
    path = str(password_vm.vnc_path)
    nobody = Viewer({"local": True})
    with pytest.raises(RfbPasswordNeeded):
        await nobody.open(await open_unix(path))
    await nobody.client.close()

    wrong = Viewer({"local": True, "password": "wrong"})
    with pytest.raises(RfbAuthFailed) as failed:
        await wrong.open(await open_unix(path))
    assert failed.value.reason  # QEMU says why
    await wrong.client.close()

    right = await Viewer({"local": True, "password": PASSWORD}).open(await open_unix(path))
    try:
        frame = await until(lambda: right.latest, what="a frame after the right password")
        assert (frame.width, frame.height) == (right.client.width, right.client.height)
        assert len(frame.pixels) == frame.width * frame.height * 4
        assert not right.task.done()
    finally:
        await right.close()
