"""An RFB (VNC) client on asyncio streams (RFC 6143, protocol 3.3, 3.7 and 3.8).

The caller opens the transport (TCP, a UNIX socket, an SSH channel wrapped as
streams) and hands over the (reader, writer) pair. `start()` shakes hands (security
None or VNC Authentication), asks for 32-bit R G B X pixels (the `Frame.pixels`
layout) and the first full picture; `run()` then reads until the server closes.
Each FramebufferUpdate is decoded (Raw, CopyRect, Zlib, Hextile) into one
framebuffer and handed on as one immutable `Frame` with the rectangles it changed;
then the next incremental update is asked for, so one request is outstanding at a
time and a slow reader throttles the server.

Input (`key`, `qemu_key`, `press`, `pointer`) writes on the loop's writer; call it on
the loop (from another thread through `call_soon_threadsafe`).

This module imports nothing from textual.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Callable

from . import keysyms
from .model import Frame, Rect

# encodings (RFC 6143 section 7.7; QEMU's pseudo-encodings)
RAW = 0
COPY_RECT = 1
HEXTILE = 5
ZLIB = 6
DESKTOP_SIZE = -223
LAST_RECT = -224
POINTER_TYPE_CHANGE = -257
QEMU_EXTENDED_KEY = -258
LED_STATE = -261
EXTENDED_DESKTOP_SIZE = -308
COMPRESS_LEVEL_0 = -256

SECURITY_NONE = 1
SECURITY_VNC = 2
SECURITY_NAMES = {
    5: "RA2",
    6: "RA2ne",
    16: "Tight",
    17: "Ultra",
    18: "TLS",
    19: "VeNCrypt/TLS",
    20: "SASL",
    21: "MD5 hash",
    22: "xvp",
    30: "Apple remote desktop",
    113: "MSLogonII",
    129: "Unix login",
}

# client -> server message types
_SET_PIXEL_FORMAT = 0
_SET_ENCODINGS = 2
_UPDATE_REQUEST = 3
_KEY_EVENT = 4
_POINTER_EVENT = 5
_CLIENT_CUT_TEXT = 6
_QEMU = 255

# 32 bits a pixel, depth 24, little-endian, true colour, 255 a channel, red at bit 0,
# green at 8, blue at 16: in memory R G B X
PIXEL_FORMAT = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 0, 8, 16)
BPP = 4


class RfbError(Exception):
    """The VNC display cannot be shown: the message says why, for the user."""


class RfbPasswordNeeded(RfbError):
    """The display asks for VNC authentication and no password was given."""

    def __init__(self) -> None:
        super().__init__("the display asks for a password")


class RfbAuthFailed(RfbError):
    """The server refused the password; `reason` is its own words where it sent any."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"authentication failed: {reason}")
        self.reason = reason


class RfbClosed(RfbError):
    """The server closed the connection during the handshake."""


def vnc_auth_response(password: str, challenge: bytes) -> bytes:
    """The 16-byte answer to a VNC Authentication challenge: the challenge DES-encrypted
    with the password (8 bytes, truncated or zero-padded; each byte's bits reversed)."""
    raw = password.encode("utf-8")[:8].ljust(8, b"\0")
    key = bytes(int(f"{b:08b}"[::-1], 2) for b in raw)
    # imported here: cryptography costs megabytes of memory a session without displays never uses
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    # TripleDES with one key three times is single DES
    encryptor = Cipher(TripleDES(key * 3), modes.ECB()).encryptor()
    return encryptor.update(challenge) + encryptor.finalize()


def security_name(kind: int) -> str:
    return SECURITY_NAMES.get(kind, f"security type {kind}")


def encodings_for(local: bool, compress_level: int | None = None, report_leds: bool = False) -> list[int]:
    """SetEncodings' list, most wanted first: Raw on a local link, Zlib on a remote one.

    QEMU's LED state only with `report_leds`: a client that asks for it turns off
    QEMU's own Caps Lock and Num Lock sync, which keeps letters in the case their
    keysym says when the guest's Caps Lock was toggled (a terminal cannot tell)."""
    pixels = [RAW, ZLIB, HEXTILE] if local else [ZLIB, HEXTILE, RAW]
    pseudo = [DESKTOP_SIZE, EXTENDED_DESKTOP_SIZE, LAST_RECT, QEMU_EXTENDED_KEY, POINTER_TYPE_CHANGE]
    if report_leds:
        pseudo.append(LED_STATE)
    if compress_level is not None:
        pseudo.append(COMPRESS_LEVEL_0 + compress_level)
    return [pixels[0], COPY_RECT, *pixels[1:], *pseudo]


async def open_tcp(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Streams to a display on TCP (asyncio sets TCP_NODELAY)."""
    return await asyncio.open_connection(host, port)


async def open_unix(path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Streams to a display on a UNIX socket."""
    return await asyncio.open_unix_connection(path)


class RfbClient:
    """One VNC session on a (reader, writer) pair.

    After `start()`: `name`, `width`, `height`, `version` (3.3, 3.7 or 3.8). While it
    runs: `extended_keys` (QEMU acknowledged its extended key event), `absolute_pointer`
    (None until the server says), `leds` (QEMU's LED state, asked for with `report_leds`:
    bit 0 scroll, 1 num, 2 caps lock; None until it says). `encodings` may be replaced
    before `start()`.

    `compress_level` (0-9, None for the server's default) is Zlib's level on the
    server: QEMU's default, 9, costs the server far more CPU than 1."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        password: str | None = None,
        local: bool = False,
        on_frame: Callable[[Frame], None],
        on_bell: Callable[[], None] | None = None,
        on_cut_text: Callable[[str], None] | None = None,
        compress_level: int | None = 1,
        report_leds: bool = False,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._password = password
        self.encodings = encodings_for(local, compress_level, report_leds)
        self._on_frame = on_frame
        self._on_bell = on_bell
        self._on_cut_text = on_cut_text
        self.version = (3, 8)
        self.name = ""
        self.width = 0
        self.height = 0
        self.pixels = bytearray()
        self.serial = 0
        self.extended_keys = False
        self.absolute_pointer: bool | None = None
        self.leds: int | None = None
        self._zlib = zlib.decompressobj()

    # ------------------------------------------------------------ reading
    async def _read(self, n: int) -> bytes:
        return await self._reader.readexactly(n)

    async def _unpack(self, fmt: str) -> tuple:
        return struct.unpack(fmt, await self._read(struct.calcsize(fmt)))

    async def _read_string(self) -> str:
        (length,) = await self._unpack(">I")
        return (await self._read(length)).decode("utf-8", errors="replace")

    def _send(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)

    # ---------------------------------------------------------- handshake
    async def start(self) -> None:
        """Handshake and initialisation, then ask for the first full picture."""
        try:
            await self._handshake()
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            raise RfbClosed("the display closed the connection during the handshake") from exc
        self._send(bytes([_SET_PIXEL_FORMAT, 0, 0, 0]) + PIXEL_FORMAT)
        self._send(struct.pack(">BxH", _SET_ENCODINGS, len(self.encodings))
                   + struct.pack(f">{len(self.encodings)}i", *self.encodings))
        self.request_update(incremental=False)
        await self._writer.drain()

    async def _handshake(self) -> None:
        banner = await self._read(12)
        if not (banner.startswith(b"RFB ") and banner[7:8] == b"." and banner.endswith(b"\n")
                and banner[4:7].isdigit() and banner[8:11].isdigit()):
            raise RfbError(f"not a VNC server (it said {banner!r})")
        major, minor = int(banner[4:7]), int(banner[8:11])
        if major < 3:
            raise RfbError(f"the display speaks RFB {major}.{minor}, older than 3.3")
        if major > 3 or minor >= 8:
            self.version = (3, 8)
        elif minor == 7:
            self.version = (3, 7)
        else:
            self.version = (3, 3)
        self._send(b"RFB 003.%03d\n" % self.version[1])

        if self.version == (3, 3):
            (kind,) = await self._unpack(">I")
            if kind == 0:
                raise RfbError(f"the display refused the connection: {await self._read_string()}")
            offered = [kind]
        else:
            (count,) = await self._unpack(">B")
            if count == 0:
                raise RfbError(f"the display refused the connection: {await self._read_string()}")
            offered = list(await self._read(count))

        if SECURITY_NONE in offered:
            kind = SECURITY_NONE
        elif SECURITY_VNC in offered:
            kind = SECURITY_VNC
            if self._password is None:
                raise RfbPasswordNeeded()
        else:
            names = ", ".join(security_name(k) for k in offered)
            raise RfbError(f"the display asks for {names}, which virtdeck cannot speak")
        if self.version != (3, 3):
            self._send(bytes([kind]))

        if kind == SECURITY_VNC:
            assert self._password is not None
            challenge = await self._read(16)
            self._send(vnc_auth_response(self._password, challenge))
        if kind == SECURITY_VNC or self.version == (3, 8):
            (result,) = await self._unpack(">I")
            if result != 0:
                reason = await self._read_string() if self.version == (3, 8) else ""
                raise RfbAuthFailed(reason or "the display refused the password")

        self._send(b"\x01")  # ClientInit: shared, never kick other viewers
        self.width, self.height = await self._unpack(">HH")
        await self._read(16)  # the server's pixel format: we set our own
        self.name = await self._read_string()
        self.pixels = bytearray(self.width * self.height * BPP)

    # ----------------------------------------------------------- messages
    async def run(self) -> None:
        """Read server messages until the server closes the connection (also in the
        middle of a message: a guest that stops takes its display with it)."""
        try:
            while True:
                kind = await self._reader.read(1)
                if not kind:
                    return
                await self._message(kind[0])
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    async def _message(self, kind: int) -> None:
        if kind == 0:
            await self._update()
        elif kind == 1:  # SetColourMapEntries: not used with true colour
            _, count = await self._unpack(">xHH")
            await self._read(count * 6)
        elif kind == 2:
            if self._on_bell is not None:
                self._on_bell()
        elif kind == 3:
            (length,) = await self._unpack(">3xI")
            text = (await self._read(length)).decode("latin-1")
            if self._on_cut_text is not None:
                self._on_cut_text(text)
        elif kind == 255:
            await self._qemu_message()
        else:
            raise RfbError(f"the display sent an unknown message (type {kind})")

    async def _qemu_message(self) -> None:
        (sub,) = await self._unpack(">B")
        if sub != 1:
            raise RfbError(f"the display sent an unknown QEMU message (subtype {sub})")
        (operation,) = await self._unpack(">H")  # audio: 0 end, 1 begin, 2 data
        if operation == 2:
            (length,) = await self._unpack(">I")
            await self._read(length)

    async def _update(self) -> None:
        (count,) = await self._unpack(">xH")
        damage: list[Rect] = []
        resized = False
        for _ in range(count):
            x, y, w, h, encoding = await self._unpack(">HHHHi")
            if encoding == LAST_RECT:
                break
            if encoding in (DESKTOP_SIZE, EXTENDED_DESKTOP_SIZE):
                if encoding == EXTENDED_DESKTOP_SIZE:
                    (screens,) = await self._unpack(">B3x")
                    await self._read(screens * 16)
                    if y != 0:  # an error status: nothing changed
                        continue
                if (w, h) != (self.width, self.height):
                    self.width, self.height = w, h
                    self.pixels = bytearray(w * h * BPP)
                    damage = [(0, 0, w, h)]
                    resized = True
                continue
            if encoding == QEMU_EXTENDED_KEY:
                self.extended_keys = True
                continue
            if encoding == POINTER_TYPE_CHANGE:
                self.absolute_pointer = bool(x)
                continue
            if encoding == LED_STATE:
                (self.leds,) = await self._unpack(">B")
                continue
            if x + w > self.width or y + h > self.height:
                raise RfbError(
                    f"the display sent a rectangle {w}x{h}+{x}+{y} outside its "
                    f"{self.width}x{self.height} screen"
                )
            if encoding == RAW:
                self._put(x, y, w, h, await self._read(w * h * BPP))
            elif encoding == COPY_RECT:
                self._copy(*await self._unpack(">HH"), x, y, w, h)
            elif encoding == ZLIB:
                (length,) = await self._unpack(">I")
                data = self._zlib.decompress(await self._read(length))
                if len(data) != w * h * BPP:
                    raise RfbError("the display sent a Zlib rectangle of the wrong size")
                self._put(x, y, w, h, data)
            elif encoding == HEXTILE:
                await self._hextile(x, y, w, h)
            else:
                raise RfbError(f"the display sent a rectangle in encoding {encoding}, which virtdeck did not ask for")
            if w and h:
                damage.append((x, y, w, h))
        if damage:
            self.serial += 1
            self._on_frame(Frame(self.width, self.height, bytes(self.pixels), tuple(damage), self.serial))
        self.request_update(incremental=not resized)

    # ----------------------------------------------------------- decoders
    def _put(self, x: int, y: int, w: int, h: int, data: bytes) -> None:
        stride = self.width * BPP
        row = w * BPP
        start = (y * self.width + x) * BPP
        if x == 0 and w == self.width:
            self.pixels[start:start + row * h] = data
            return
        for i in range(h):
            offset = start + i * stride
            self.pixels[offset:offset + row] = data[i * row:(i + 1) * row]

    def _copy(self, sx: int, sy: int, x: int, y: int, w: int, h: int) -> None:
        if sx + w > self.width or sy + h > self.height:
            raise RfbError("the display sent a CopyRect from outside its screen")
        stride = self.width * BPP
        row = w * BPP
        rows = range(h - 1, -1, -1) if y > sy else range(h)  # overlapping rows: copy away from them
        pixels = self.pixels
        for i in rows:
            src = ((sy + i) * self.width + sx) * BPP
            dst = src + (y - sy) * stride + (x - sx) * BPP
            pixels[dst:dst + row] = pixels[src:src + row]

    def _fill(self, x: int, y: int, w: int, h: int, pixel: bytes) -> None:
        stride = self.width * BPP
        line = pixel * w
        start = (y * self.width + x) * BPP
        for i in range(h):
            offset = start + i * stride
            self.pixels[offset:offset + w * BPP] = line

    async def _hextile(self, x: int, y: int, w: int, h: int) -> None:
        background = foreground = b"\0\0\0\0"
        for ty in range(y, y + h, 16):
            th = min(16, y + h - ty)
            for tx in range(x, x + w, 16):
                tw = min(16, x + w - tx)
                (flags,) = await self._unpack(">B")
                if flags & 1:  # raw tile
                    self._put(tx, ty, tw, th, await self._read(tw * th * BPP))
                    continue
                if flags & 2:
                    background = await self._read(BPP)
                if flags & 4:
                    foreground = await self._read(BPP)
                self._fill(tx, ty, tw, th, background)
                if not flags & 8:
                    continue
                (subrects,) = await self._unpack(">B")
                coloured = bool(flags & 16)
                data = await self._read(subrects * (BPP + 2 if coloured else 2))
                offset = 0
                for _ in range(subrects):
                    colour = foreground
                    if coloured:
                        colour = data[offset:offset + BPP]
                        offset += BPP
                    xy, wh = data[offset], data[offset + 1]
                    offset += 2
                    sx, sy = tx + (xy >> 4), ty + (xy & 15)
                    sw, sh = (wh >> 4) + 1, (wh & 15) + 1
                    if sx + sw > tx + tw or sy + sh > ty + th:
                        raise RfbError("the display sent a Hextile subrectangle outside its tile")
                    self._fill(sx, sy, sw, sh, colour)

    # ------------------------------------------------------------- output
    def request_update(self, incremental: bool = True) -> None:
        """Ask for the changes of the whole screen (all of it when not incremental)."""
        self._send(struct.pack(">BBHHHH", _UPDATE_REQUEST, int(incremental), 0, 0, self.width, self.height))

    def key(self, keysym: int, down: bool) -> None:
        self._send(struct.pack(">BBxxI", _KEY_EVENT, int(down), keysym))

    def qemu_key(self, keysym: int, keycode: int, down: bool) -> None:
        """A key by its QNUM scan code (QEMU's extended key event), or by its keysym
        alone where the server did not acknowledge that extension."""
        if not self.extended_keys:
            self.key(keysym, down)
            return
        self._send(struct.pack(">BBHII", _QEMU, 0, int(down), keysym, keycode))

    def press(self, chord: keysyms.Chord) -> None:
        """Press and release a chord (modifiers first): by key code where QEMU takes it
        and every key has one, else by keysyms."""
        events = keysyms.qnum_events(chord) if self.extended_keys else None
        if events is not None:
            for keysym, code, down in events:
                self.qemu_key(keysym, code, down)
            return
        for keysym, down in keysyms.chord_events(chord):
            self.key(keysym, down)

    def type_text(self, text: str) -> None:
        for chord in keysyms.text_chords(text):
            self.press(chord)

    def pointer(self, x: int, y: int, buttons: int) -> None:
        """Move the pointer to (x, y) with `buttons` down (bit 0 left, 1 middle, 2 right,
        3 and 4 wheel up and down); clamped to the screen."""
        x = max(0, min(x, max(self.width - 1, 0)))
        y = max(0, min(y, max(self.height - 1, 0)))
        self._send(struct.pack(">BBHH", _POINTER_EVENT, buttons & 0xFF, x, y))

    def cut_text(self, text: str) -> None:
        data = text.encode("latin-1", errors="replace")
        self._send(struct.pack(">B3xI", _CLIENT_CUT_TEXT, len(data)) + data)

    async def close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass
