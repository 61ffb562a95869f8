"""The RFB client against a scripted server peer on a socket pair: versions, security,
the decoders (Raw, CopyRect, Zlib, Hextile), resizes, the other server messages and
the bytes of the client's own messages. The real server (QEMU) is in
tests/system/test_rfb_qemu.py."""

from __future__ import annotations

import asyncio
import socket
import struct
import subprocess
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.backend import keysyms
from tui.backend.model import Frame
from tui.backend.rfb import (
    RfbAuthFailed,
    RfbClient,
    RfbClosed,
    RfbError,
    RfbPasswordNeeded,
    vnc_auth_response,
)

TIMEOUT = 5


class Peer:
    """The server side of one connection: its streams and what it read."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def read(self, n: int) -> bytes:
        return await asyncio.wait_for(self.reader.readexactly(n), TIMEOUT)

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    def string(self, text: str) -> bytes:
        data = text.encode()
        return struct.pack(">I", len(data)) + data

    async def init(self, width: int, height: int, name: str = "guest") -> dict:
        """After security: ClientInit in, ServerInit out, then the client's SetPixelFormat,
        SetEncodings and first update request in."""
        shared = await self.read(1)
        self.send(struct.pack(">HH", width, height) + bytes(16) + self.string(name))
        pixel_format = await self.read(20)
        head = await self.read(4)
        assert head[0] == 2
        (count,) = struct.unpack(">H", head[2:])
        encodings = list(struct.unpack(f">{count}i", await self.read(4 * count)))
        request = await self.read(10)
        return {"shared": shared, "pixel_format": pixel_format, "encodings": encodings, "request": request}

    async def handshake(self, width: int = 8, height: int = 6, version: bytes = b"RFB 003.008\n") -> dict:
        """Version 3.8 (or `version`) with security None, then init."""
        self.send(version)
        answer = await self.read(12)
        if answer == b"RFB 003.003\n":
            self.send(struct.pack(">I", 1))
        else:
            self.send(b"\x01\x01")
            assert await self.read(1) == b"\x01"
            if answer == b"RFB 003.008\n":
                self.send(struct.pack(">I", 0))
        info = await self.init(width, height)
        info["answer"] = answer
        return info

    def update(self, *rects: bytes, count: int | None = None) -> None:
        self.send(struct.pack(">BxH", 0, len(rects) if count is None else count) + b"".join(rects))

    async def request(self) -> tuple[int, int, int, int, int]:
        data = await self.read(10)
        assert data[0] == 3
        return struct.unpack(">BHHHH", data[1:])


def rect(x: int, y: int, w: int, h: int, encoding: int, payload: bytes = b"") -> bytes:
    return struct.pack(">HHHHi", x, y, w, h, encoding) + payload


def px(r: int, g: int, b: int) -> bytes:
    return bytes((r, g, b, 0))


class Viewer:
    """A client on one end of a socket pair and its callbacks' records."""

    def __init__(self) -> None:
        self.frames: asyncio.Queue[Frame] = asyncio.Queue()
        self.bells = 0
        self.texts: list[str] = []
        self.client: RfbClient
        self.peer: Peer
        self.task: asyncio.Task | None = None

    def bell(self) -> None:
        self.bells += 1

    async def frame(self) -> Frame:
        return await asyncio.wait_for(self.frames.get(), TIMEOUT)

    async def run(self) -> None:
        self.task = asyncio.create_task(self.client.run())


async def connect(**kw) -> Viewer:
    a, b = socket.socketpair()
    viewer = Viewer()
    creader, cwriter = await asyncio.open_connection(sock=a)
    sreader, swriter = await asyncio.open_connection(sock=b)
    viewer.peer = Peer(sreader, swriter)
    viewer.client = RfbClient(
        creader, cwriter, on_frame=viewer.frames.put_nowait, on_bell=viewer.bell,
        on_cut_text=viewer.texts.append, **kw,
    )
    return viewer


async def started(width: int = 8, height: int = 6, **kw) -> tuple[Viewer, dict]:
    viewer = await connect(**kw)
    info, _ = await asyncio.gather(viewer.peer.handshake(width, height), viewer.client.start())
    await viewer.run()
    return viewer, info


async def close(viewer: Viewer) -> None:
    viewer.peer.writer.close()
    if viewer.task is not None:
        await asyncio.wait_for(viewer.task, TIMEOUT)
    await viewer.client.close()


def pixel(frame: Frame, x: int, y: int) -> bytes:
    offset = (y * frame.width + x) * 4
    return frame.pixels[offset:offset + 4]


def reversed_bits(b: int) -> int:
    return sum(((b >> i) & 1) << (7 - i) for i in range(8))


def openssl_des(key: bytes, data: bytes) -> bytes:
    """DES-ECB by the openssl command line, independent of the code under test."""
    proc = subprocess.run(
        ["openssl", "enc", "-des-ecb", "-nopad", "-K", key.hex(), "-provider", "legacy", "-provider", "default"],
        input=data, capture_output=True, check=True,
    )
    return proc.stdout


# ------------------------------------------------------------------ handshake


@pytest.mark.parametrize(
    ("server", "answer"),
    [
        (b"RFB 003.003\n", b"RFB 003.003\n"),
        (b"RFB 003.005\n", b"RFB 003.003\n"),
        (b"RFB 003.007\n", b"RFB 003.007\n"),
        (b"RFB 003.008\n", b"RFB 003.008\n"),
        (b"RFB 003.889\n", b"RFB 003.008\n"),
        (b"RFB 004.001\n", b"RFB 003.008\n"),
    ],
)
async def test_version_and_security_none(server, answer):
    viewer = await connect()
    info, _ = await asyncio.gather(viewer.peer.handshake(640, 480, version=server), viewer.client.start())
    assert info["answer"] == answer
    assert info["shared"] == b"\x01"
    assert (viewer.client.width, viewer.client.height, viewer.client.name) == (640, 480, "guest")
    await viewer.client.close()


async def test_pixel_format_encodings_and_first_request():
    viewer, info = await started(320, 200, local=True)
    # SetPixelFormat: 32 bpp, depth 24, little-endian, true colour, 255 each, shifts 0/8/16
    assert info["pixel_format"] == bytes([0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0])
    assert info["encodings"][0] == 0  # Raw first on a local link
    for wanted in (1, 5, 6, -223, -308, -224, -258, -257, -256 + 1):
        assert wanted in info["encodings"]
    assert -261 not in info["encodings"]  # LED state only when asked: it turns off QEMU's lock sync
    assert info["request"] == struct.pack(">BBHHHH", 3, 0, 0, 0, 320, 200)  # non-incremental
    await close(viewer)

    remote, info = await started(320, 200, local=False, report_leds=True, compress_level=None)
    assert info["encodings"][0] == 6  # Zlib first on a remote one
    assert -261 in info["encodings"]
    assert not any(-256 <= e <= -247 for e in info["encodings"])
    await close(remote)


@pytest.mark.parametrize("version", [b"RFB 003.003\n", b"RFB 003.007\n", b"RFB 003.008\n"])
async def test_vnc_authentication(version):
    password = "s3cr\u00e9t-long-part"  # more than 8 bytes: only the first 8 count
    challenge = bytes(range(7, 23))
    viewer = await connect(password=password)
    peer = viewer.peer

    async def server() -> bytes:
        peer.send(version)
        answer = await peer.read(12)
        if answer == b"RFB 003.003\n":
            peer.send(struct.pack(">I", 2))
        else:
            peer.send(bytes([2, 19, 2]))  # VeNCrypt and VNC auth: the client picks 2
            assert await peer.read(1) == b"\x02"
        peer.send(challenge)
        response = await peer.read(16)
        peer.send(struct.pack(">I", 0))
        await peer.init(4, 4)
        return response

    response, _ = await asyncio.gather(server(), viewer.client.start())
    key = bytes(reversed_bits(b) for b in password.encode()[:8])
    assert response == openssl_des(key, challenge)
    await viewer.client.close()


def test_vnc_auth_short_password_is_zero_padded():
    challenge = b"0123456789abcdef"
    key = bytes(reversed_bits(b) for b in b"pw\0\0\0\0\0\0")
    assert vnc_auth_response("pw", challenge) == openssl_des(key, challenge)


async def test_auth_failure_carries_the_servers_reason():
    viewer = await connect(password="wrong")
    peer = viewer.peer

    async def server() -> None:
        peer.send(b"RFB 003.008\n")
        await peer.read(12)
        peer.send(b"\x01\x02")
        await peer.read(1)
        peer.send(bytes(16))
        await peer.read(16)
        peer.send(struct.pack(">I", 1) + peer.string("Authentication failed [x]"))

    with pytest.raises(RfbAuthFailed) as failed:
        await asyncio.gather(server(), viewer.client.start())
    assert failed.value.reason == "Authentication failed [x]"
    await viewer.client.close()


async def test_auth_failure_without_reason_on_3_7():
    viewer = await connect(password="wrong")
    peer = viewer.peer

    async def server() -> None:
        peer.send(b"RFB 003.007\n")
        await peer.read(12)
        peer.send(b"\x01\x02")
        await peer.read(1)
        peer.send(bytes(16))
        await peer.read(16)
        peer.send(struct.pack(">I", 1))

    with pytest.raises(RfbAuthFailed) as failed:
        await asyncio.gather(server(), viewer.client.start())
    assert failed.value.reason
    await viewer.client.close()


async def test_password_needed():
    viewer = await connect()
    peer = viewer.peer

    async def server() -> None:
        peer.send(b"RFB 003.008\n")
        await peer.read(12)
        peer.send(b"\x01\x02")

    with pytest.raises(RfbPasswordNeeded):
        await asyncio.gather(server(), viewer.client.start())
    await viewer.client.close()


@pytest.mark.parametrize(
    ("offer", "words"),
    [
        (b"\x01\x13", "VeNCrypt/TLS"),
        (b"\x02\x12\x10", "TLS, Tight"),
        (b"\x00" + struct.pack(">I", 9) + b"too many!", "too many!"),
    ],
)
async def test_unusable_security_is_an_error_naming_it(offer, words):
    viewer = await connect(password="pw")
    peer = viewer.peer

    async def server() -> None:
        peer.send(b"RFB 003.008\n")
        await peer.read(12)
        peer.send(offer)

    with pytest.raises(RfbError) as error:
        await asyncio.gather(server(), viewer.client.start())
    assert words in str(error.value)
    await viewer.client.close()


async def test_refusal_on_3_3_and_a_close_during_the_handshake():
    viewer = await connect()
    peer = viewer.peer

    async def refuse() -> None:
        peer.send(b"RFB 003.003\n")
        await peer.read(12)
        peer.send(struct.pack(">I", 0) + peer.string("max clients"))

    with pytest.raises(RfbError, match="max clients"):
        await asyncio.gather(refuse(), viewer.client.start())
    await viewer.client.close()

    viewer = await connect()
    viewer.peer.send(b"RFB 003.008\n")
    viewer.peer.writer.close()
    with pytest.raises(RfbClosed):
        await viewer.client.start()
    await viewer.client.close()


async def test_not_a_vnc_server():
    viewer = await connect()
    viewer.peer.send(b"SSH-2.0-Open")
    with pytest.raises(RfbError, match="not a VNC server"):
        await viewer.client.start()
    await viewer.client.close()


# ------------------------------------------------------------------- decoders


async def test_raw_rects_land_and_damage_accumulates():
    viewer, _ = await started(8, 6)
    peer = viewer.peer
    red, green = px(255, 0, 0), px(0, 255, 0)
    peer.update(rect(1, 2, 2, 1, 0, red + green), rect(0, 5, 8, 1, 0, green * 8))
    frame = await viewer.frame()
    assert (frame.width, frame.height, frame.serial) == (8, 6, 1)
    assert frame.damage == ((1, 2, 2, 1), (0, 5, 8, 1))
    assert pixel(frame, 1, 2) == red and pixel(frame, 2, 2) == green
    assert pixel(frame, 0, 2) == px(0, 0, 0)
    assert all(pixel(frame, x, 5) == green for x in range(8))
    assert await peer.request() == (1, 0, 0, 8, 6)  # then incremental, the whole screen

    peer.update(rect(7, 0, 1, 1, 0, red))
    second = await viewer.frame()
    assert second.serial == 2 and second.damage == ((7, 0, 1, 1),)
    assert pixel(second, 7, 0) == red and pixel(second, 1, 2) == red  # earlier pixels stay
    assert pixel(frame, 7, 0) == px(0, 0, 0)  # the first frame is a snapshot
    await close(viewer)


def reference_copy(pixels: list[bytes], width: int, src: tuple[int, int], dst: tuple[int, int, int, int]) -> list[bytes]:
    sx, sy = src
    x, y, w, h = dst
    before = list(pixels)
    after = list(pixels)
    for j in range(h):
        for i in range(w):
            after[(y + j) * width + x + i] = before[(sy + j) * width + sx + i]
    return after


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_copyrect_matches_a_per_pixel_copy(data):
    width, height = 9, 7
    w = data.draw(st.integers(1, width))
    h = data.draw(st.integers(1, height))
    sx, x = data.draw(st.integers(0, width - w)), data.draw(st.integers(0, width - w))
    sy, y = data.draw(st.integers(0, height - h)), data.draw(st.integers(0, height - h))
    start = [px(i, i * 3 % 256, 7) for i in range(width * height)]

    async def scenario() -> Frame:
        viewer, _ = await started(width, height)
        viewer.peer.update(rect(0, 0, width, height, 0, b"".join(start)))
        await viewer.frame()
        viewer.peer.update(rect(x, y, w, h, 1, struct.pack(">HH", sx, sy)))
        frame = await viewer.frame()
        await close(viewer)
        return frame

    frame = asyncio.run(scenario())
    expected = reference_copy(start, width, (sx, sy), (x, y, w, h))
    assert [pixel(frame, i % width, i // width) for i in range(width * height)] == expected
    assert frame.damage == ((x, y, w, h),)


async def test_zlib_keeps_one_stream_for_the_connection():
    viewer, _ = await started(4, 3, local=False)
    peer = viewer.peer
    stream = zlib.compressobj()
    blue, white = px(0, 0, 255), px(255, 255, 255)

    def zrect(x, y, w, h, data):
        body = stream.compress(data) + stream.flush(zlib.Z_SYNC_FLUSH)
        return rect(x, y, w, h, 6, struct.pack(">I", len(body)) + body)

    peer.update(zrect(0, 0, 4, 3, blue * 12))
    first = await viewer.frame()
    assert all(pixel(first, i % 4, i // 4) == blue for i in range(12))
    await peer.request()
    peer.update(zrect(1, 1, 2, 2, white * 4))  # only decodable with the first rect's history
    second = await viewer.frame()
    assert pixel(second, 1, 1) == white and pixel(second, 2, 2) == white
    assert pixel(second, 0, 0) == blue and pixel(second, 3, 2) == blue
    await close(viewer)


async def test_hextile_tiles_backgrounds_and_subrects():
    viewer, _ = await started(20, 17)
    peer = viewer.peer
    bg, fg, own = px(10, 20, 30), px(200, 0, 0), px(0, 200, 0)
    raw_tile = b"".join(px(i, 0, 0) for i in range(4 * 16))
    tiles = (
        # tile (0,0) 16x16: background, foreground, one plain subrect at (2,3) 4x2
        bytes([2 | 4 | 8]) + bg + fg + bytes([1, 0x23, 0x31])
        # tile (16,0) 4x16: raw
        + bytes([1]) + raw_tile
        # tile (0,16) 16x1: the previous background, one coloured subrect at (5,0) 2x1
        + bytes([8 | 16, 1]) + own + bytes([0x50, 0x10])
        # tile (16,16) 4x1: background only
        + bytes([2]) + fg
    )
    peer.update(rect(0, 0, 20, 17, 5, tiles))
    frame = await viewer.frame()
    assert pixel(frame, 0, 0) == bg and pixel(frame, 15, 15) == bg
    assert pixel(frame, 2, 3) == fg and pixel(frame, 5, 4) == fg and pixel(frame, 6, 4) == bg
    assert pixel(frame, 2, 5) == bg
    assert pixel(frame, 16, 0) == px(0, 0, 0) and pixel(frame, 17, 0) == px(1, 0, 0)
    assert pixel(frame, 19, 15) == px(63, 0, 0)
    assert pixel(frame, 4, 16) == bg and pixel(frame, 5, 16) == own and pixel(frame, 6, 16) == own
    assert pixel(frame, 7, 16) == bg
    assert pixel(frame, 16, 16) == fg and pixel(frame, 19, 16) == fg
    await close(viewer)


@pytest.mark.parametrize("encoding", [-223, -308])
async def test_desktop_size_gives_a_black_frame_and_a_full_request(encoding):
    viewer, _ = await started(4, 4)
    peer = viewer.peer
    peer.update(rect(0, 0, 4, 4, 0, px(9, 9, 9) * 16))
    await viewer.frame()
    assert await peer.request() == (1, 0, 0, 4, 4)
    payload = struct.pack(">B3x", 1) + struct.pack(">IHHHHI", 0, 0, 0, 6, 5, 0) if encoding == -308 else b""
    peer.update(rect(0, 0, 6, 5, encoding, payload))
    frame = await viewer.frame()
    assert (frame.width, frame.height) == (6, 5)
    assert frame.damage == ((0, 0, 6, 5),)
    assert frame.pixels == bytes(6 * 5 * 4)
    assert await peer.request() == (0, 0, 0, 6, 5)  # non-incremental, the new size
    peer.update(rect(5, 4, 1, 1, 0, px(1, 2, 3)))
    after = await viewer.frame()
    assert pixel(after, 5, 4) == px(1, 2, 3)
    await close(viewer)


async def test_pseudo_rects_and_last_rect():
    viewer, _ = await started(4, 4)
    peer = viewer.peer
    assert not viewer.client.extended_keys and viewer.client.absolute_pointer is None
    peer.update(rect(0, 0, 4, 4, -258), rect(1, 0, 4, 4, -257), rect(0, 0, 0, 0, -261, b"\x04"))
    peer.update(rect(0, 0, 1, 1, 0, px(5, 5, 5)), rect(0, 0, 0, 0, -224), count=0xFFFF)
    frame = await viewer.frame()
    assert frame.damage == ((0, 0, 1, 1),) and frame.serial == 1  # pseudo-rects alone make no frame
    assert viewer.client.extended_keys
    assert viewer.client.absolute_pointer is True
    assert viewer.client.leds == 4
    await close(viewer)


async def test_bell_cut_text_colour_map_and_qemu_audio_are_read():
    viewer, _ = await started(2, 2)
    peer = viewer.peer
    peer.send(b"\x02")
    peer.send(struct.pack(">BxHH", 1, 0, 2) + bytes(12))
    peer.send(struct.pack(">B3xI", 3, 5) + "h\u00e9llo".encode("latin-1"))
    peer.send(struct.pack(">BBH", 255, 1, 1) + struct.pack(">BBHI", 255, 1, 2, 3) + b"abc")
    peer.update(rect(0, 0, 1, 1, 0, px(1, 1, 1)))
    frame = await viewer.frame()
    assert pixel(frame, 0, 0) == px(1, 1, 1)
    assert viewer.bells == 1
    assert viewer.texts == ["h\u00e9llo"]
    await close(viewer)


async def test_unknown_encoding_is_an_error_with_its_number():
    viewer, _ = await started(2, 2)
    viewer.peer.update(rect(0, 0, 1, 1, 16))
    with pytest.raises(RfbError, match="16"):
        await asyncio.wait_for(viewer.task, TIMEOUT)
    await viewer.client.close()


async def test_rect_outside_the_screen_is_an_error():
    viewer, _ = await started(2, 2)
    viewer.peer.update(rect(1, 1, 2, 1, 0, bytes(8)))
    with pytest.raises(RfbError, match="outside"):
        await asyncio.wait_for(viewer.task, TIMEOUT)
    await viewer.client.close()


async def test_run_returns_when_the_server_closes():
    viewer, _ = await started(2, 2)
    viewer.peer.update(rect(0, 0, 2, 2, 0, bytes(16)))
    await viewer.frame()
    viewer.peer.writer.close()
    await asyncio.wait_for(viewer.task, TIMEOUT)
    assert viewer.task.exception() is None
    await viewer.client.close()


# ------------------------------------------------------------- client output


async def test_key_pointer_and_qemu_key_bytes():
    viewer, _ = await started(100, 50)
    client, peer = viewer.client, viewer.peer
    client.key(0xFF0D, True)
    client.key(0xFF0D, False)
    assert await peer.read(16) == bytes.fromhex("040100000000ff0d" "040000000000ff0d")
    client.pointer(10, 20, 0b101)
    client.pointer(500, -3, 0)  # clamped to the screen
    assert await peer.read(12) == bytes.fromhex("0505000a0014" "050000630000")
    # before QEMU acknowledges its extended key event, a qemu key goes as a plain key
    client.qemu_key(0x61, 0x1E, True)
    assert await peer.read(8) == bytes.fromhex("0401000000000061")
    peer.update(rect(0, 0, 100, 50, -258))
    await peer.request()
    assert client.extended_keys
    client.qemu_key(0x61, 0x1E, True)
    assert await peer.read(12) == bytes.fromhex("ff00000100000061" "0000001e")
    await close(viewer)


async def test_press_sends_shift_for_uppercase_by_keysym_and_by_code():
    viewer, _ = await started(10, 10)
    client, peer = viewer.client, viewer.peer
    client.press(keysyms.keysyms_for("A", "A"))
    events = [struct.unpack(">BBxxI", await peer.read(8)) for _ in range(4)]
    assert events == [(4, 1, 0xFFE1), (4, 1, 0x41), (4, 0, 0x41), (4, 0, 0xFFE1)]
    peer.update(rect(0, 0, 1, 1, -258))
    await peer.request()
    client.press((keysyms.CONTROL_L, ord("c")))
    events = [struct.unpack(">BBHII", await peer.read(12)) for _ in range(4)]
    assert events == [
        (255, 0, 1, 0xFFE3, 0x1D), (255, 0, 1, 0x63, 0x2E), (255, 0, 0, 0x63, 0x2E), (255, 0, 0, 0xFFE3, 0x1D),
    ]
    await close(viewer)
