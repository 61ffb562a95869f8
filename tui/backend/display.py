"""Graphical console sessions: a guest's screen and keyboard, for a pane.

A session reads the guest's live XML on the connection's worker (with the
display password where the connection may see it) and picks a way in:

- VNC, spoken by our RFB client (`rfb.py`) on the SSH loop's thread: straight
  to the display for a local host, through virtdeck's own SSH connection for a
  `qemu+ssh://` host it carries (a direct-tcpip channel to the address and port
  the display listens on, seen from the host, or a stream-local channel to its
  UNIX socket), straight to the host's name for other remote URIs when the
  display listens beyond the host's loopback;
- otherwise (SPICE only, no way to reach the display, the display refusing
  us): `virDomainScreenshot` a few times a second and `virDomainSendKey`, on
  the connection's worker, and the mouse through QEMU's `input-send-event`
  where the host takes monitor commands.

`how` says which is in use and why. Frames are handed over as immutable
`Frame`s: the newest waits in the session (older undrawn damage folded in)
and `notify(session, "frame")` is called once until the UI takes it, so a fast
screen becomes one message per UI drain. `notify(session, "state")` follows
every state change. Nothing here blocks the UI or imports Textual.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import libvirt

from . import keysyms
from .errors import error_text
from .frame_damage import damage_between, folded
from .model import DisplayState, Frame
from .ops.common import is_local
from .rfb import RfbAuthFailed, RfbClient, RfbPasswordNeeded, open_tcp, open_unix
from .ssh import SshTransport, owned_target
from .ssh import loop as ssh_loop
from .xml.graphics import ANY_ADDRESS, GraphicsDevice, graphics_devices, has_video

if TYPE_CHECKING:
    from .connection import Connection

log = logging.getLogger(__name__)

OPEN_TIMEOUT = 15.0
SHOT_INTERVAL = 0.5  # seconds between screenshots on the fallback path ...
# ... and after a key or click, so what it did shows soon: the guest may take a moment to
# draw it, so a few looks, each this long after the last (the next key starts them again).
SHOT_AFTER_INPUT = (0.045, 0.06, 0.15)
KEY_HOLD_MS = 20
# Keys go out at most this often: QEMU's PS/2 keyboard queues 16 bytes (two or three keys
# with their shifts), and a guest that is slow to take them (TCG, a busy boot) loses the rest
# of a burst, such as a pasted line or a word that arrived over SSH in one read.
KEY_GAP = 0.015
LOOPBACK = ("127.0.0.1", "::1", "localhost")
LINUX_LEFTSHIFT = 42  # KEY_LEFTSHIFT

Notify = Callable[["DisplaySession", str], None]


class DisplaySession:
    """The graphical console of one guest over one connection.

    `notify(session, kind)` is called from backend threads with kind "frame" (call `take()`)
    or "state" (read `state`, `message`, `how`). It must be thread-safe."""

    def __init__(self, connection: Connection, uuid: str, notify: Notify) -> None:
        self.connection = connection
        self.uuid = uuid
        self._notify = notify
        self._lock = threading.Lock()
        self._generation = 0
        self._frame: Frame | None = None
        self._announced = False
        self._path: _VncPath | _ScreenshotPath | None = None
        self.state = DisplayState.CLOSED
        self.message = ""
        self.how = ""

    # -- UI thread -----------------------------------------------------------

    def open(self, password: str | None = None) -> None:
        """Open (again); `password` is one the user typed."""
        generation = self._retire()
        self._set_state(DisplayState.OPENING, "opening the display")
        self.connection.call(
            lambda conn: self._choose(conn, generation, password),
            lambda result, error: self._chosen(generation, result, error),
            action="open display",
        )

    def close(self) -> None:
        """Detach for good (the pane closed)."""
        self._retire()
        self._set_state(DisplayState.CLOSED, "closed", announce=False)

    def detach(self, reason: str) -> None:
        """The connection or the guest is gone: stop and say why (a new open reattaches)."""
        if self._path is None:
            return
        self._retire()
        self._set_state(DisplayState.CLOSED, reason)

    def take(self) -> Frame | None:
        """The newest frame (with the damage of every frame since the last take)."""
        with self._lock:
            frame, self._frame = self._frame, None
            self._announced = False
        return frame

    def key(self, key: str, character: str | None) -> bool:
        """A key typed in the pane; False when it means nothing to a keyboard."""
        chord = keysyms.keysyms_for(key, character)
        if not chord or self._path is None or self.state != DisplayState.OPEN:
            return bool(chord)
        self._path.press(chord)
        return True

    def combo(self, chord: tuple[int, ...]) -> None:
        """Keys held together and let go (ctrl+alt+del ...), by keysym."""
        if self._path is not None and self.state == DisplayState.OPEN:
            self._path.press(chord)

    def pointer(self, x: int, y: int, buttons: int) -> None:
        """The mouse at framebuffer pixel (x, y) with `buttons` held (bit 0 left, 1 middle,
        2 right, 3/4 wheel up/down)."""
        if self._path is not None and self.state == DisplayState.OPEN:
            self._path.pointer(x, y, buttons)

    # -- worker thread ---------------------------------------------------------

    def _choose(self, conn: libvirt.virConnect, generation: int, password: str | None) -> _VncPath | _ScreenshotPath:
        dom = conn.lookupByUUIDString(self.uuid)
        if not dom.isActive():
            raise _NotRunning("the guest is not running")
        secure = not self.connection.read_only
        try:
            xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE if secure else 0)
        except libvirt.libvirtError:
            xml = dom.XMLDesc(0)
        if conn.getType().lower() == "test":
            return _ScreenshotPath(self, generation, "libvirt's test driver runs no display server")
        devices = graphics_devices(xml)
        vnc = next((d for d in devices if d.kind == "vnc" and d.listens), None)
        if vnc is not None:
            reach, why_not = self._reach(vnc)
            if reach is not None:
                if password is None and vnc.password:
                    reach.how += "; password from the guest's definition"
                return _VncPath(self, generation, reach, password or vnc.password)
            reason = why_not
        elif any(d.kind == "vnc" for d in devices):
            reason = "its VNC display does not listen anywhere virtdeck can reach"
        elif devices:
            kinds = ", ".join(sorted({d.kind.upper() for d in devices}))
            reason = f"its display is {kinds}, which virtdeck does not speak"
        elif has_video(xml):
            reason = "it has a video card but no display server"
        else:
            raise _NoScreen("the guest has no video card: use its serial console (c)")
        return _ScreenshotPath(self, generation, reason)

    def _reach(self, device: GraphicsDevice) -> tuple[_Reach | None, str]:
        uri = self.connection.uri
        transport = self.connection.transport
        if is_local(uri):
            kind = "unix" if device.socket else "tcp"
            return _Reach(kind, device.socket or device.connect_address, device.port or 0, None,
                          f"VNC on {device.where} (this machine)", True), ""
        target = owned_target(uri)
        if isinstance(transport, SshTransport) and target is not None:
            kind = "ssh-unix" if device.socket else "ssh-tcp"
            return _Reach(kind, device.socket or device.connect_address, device.port or 0, transport,
                          f"VNC on {device.where}, through virtdeck's SSH to {target.where}", False), ""
        host = urlsplit(uri).hostname or "the host"
        if device.socket:
            return None, "its VNC display is a UNIX socket on the host and virtdeck does not carry this connection"
        if device.address in ANY_ADDRESS or device.address is None:
            address = host  # listening everywhere: the host's own name reaches it
        elif device.connect_address in LOOPBACK:
            return None, (f"its VNC display listens only on {host}'s loopback, and this connection "
                          "does not go through virtdeck's SSH")
        else:
            address = device.connect_address
        return _Reach("tcp", address, device.port or 0, None, f"VNC on {address}:{device.port}, directly",
                      False), ""

    def _chosen(self, generation: int, path: Any, error: BaseException | None) -> None:
        if generation != self._generation:
            if path is not None:
                path.stop()
            return
        if error is not None:
            if isinstance(error, _NotRunning):
                self._set_state(DisplayState.CLOSED, str(error))
            else:
                self._set_state(DisplayState.FAILED, error_text(error))
            return
        self._path = path
        path.start()

    # -- from a path (any thread) ----------------------------------------------------

    def _retire(self) -> int:
        with self._lock:
            self._generation += 1
            path, self._path = self._path, None
            self._frame = None
            self._announced = False
            generation = self._generation
        if path is not None:
            path.stop()
        return generation

    def _framed(self, generation: int, frame: Frame) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._frame = folded(self._frame, frame)
            fresh = not self._announced
            self._announced = True
        if fresh:
            self._notify(self, "frame")

    def _fall_back(self, generation: int, reason: str) -> None:
        """The VNC display cannot be reached: screenshots and send-key instead."""
        with self._lock:
            if generation != self._generation:
                return
            path = self._path = _ScreenshotPath(self, generation, reason)
        path.start()

    def _path_state(self, generation: int, state: DisplayState, message: str, how: str | None = None) -> None:
        if generation != self._generation:
            return
        if how is not None:
            self.how = how
        if state in (DisplayState.CLOSED, DisplayState.FAILED, DisplayState.PASSWORD):
            with self._lock:
                if generation == self._generation:
                    self._path = None
        self._set_state(state, message)

    def _set_state(self, state: DisplayState, message: str, announce: bool = True) -> None:
        self.state = state
        self.message = message
        if announce:
            self._notify(self, "state")


class _NotRunning(Exception):
    pass


class _NoScreen(Exception):
    pass


class _Reach:
    """How to get to a VNC display: `kind` tcp / unix (from here), ssh-tcp / ssh-unix (a channel)."""

    def __init__(self, kind: str, address: str, port: int, transport: SshTransport | None, how: str,
                 local: bool) -> None:
        self.kind = kind
        self.address = address
        self.port = port
        self.transport = transport
        self.how = how
        self.local = local


class _VncPath:
    """VNC over a stream made on the SSH loop's thread; the RFB client runs there."""

    def __init__(self, session: DisplaySession, generation: int, reach: _Reach, password: str | None) -> None:
        self.session = session
        self.generation = generation
        self.reach = reach
        self.password = password
        self.loop = ssh_loop()
        self.client: RfbClient | None = None
        self.task: asyncio.Task | None = None
        self.stopped = False
        self.keys: deque[tuple[int, ...]] = deque()  # touched on the loop's thread only
        self.typing: asyncio.Task | None = None
        self.next_key_at = 0.0

    def start(self) -> None:
        def begin() -> None:
            if not self.stopped:
                self.task = self.loop.create_task(self._run())
        self.loop.call_soon_threadsafe(begin)

    def stop(self) -> None:
        self.stopped = True

        def end() -> None:
            if self.task is not None:
                self.task.cancel()
        self.loop.call_soon_threadsafe(end)

    def press(self, chord: tuple[int, ...]) -> None:
        def queue() -> None:
            self.keys.append(chord)
            if self.typing is None or self.typing.done():
                self.typing = self.loop.create_task(self._type())
        self.loop.call_soon_threadsafe(queue)

    async def _type(self) -> None:
        while self.keys and self.client is not None:
            wait = self.next_key_at - self.loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                if self.client is None:
                    break
            self.client.press(self.keys.popleft())
            self.next_key_at = self.loop.time() + KEY_GAP
        self.keys.clear()

    def pointer(self, x: int, y: int, buttons: int) -> None:
        def send() -> None:
            if self.client is not None:
                self.client.pointer(x, y, buttons)
        self.loop.call_soon_threadsafe(send)

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reach = self.reach
        if reach.kind == "unix":
            return await open_unix(reach.address)
        if reach.kind == "tcp":
            return await open_tcp(reach.address, reach.port)
        assert reach.transport is not None
        conn = await reach.transport.session_for(self.session.connection.uri)
        if reach.kind == "ssh-unix":
            return await conn.open_unix_connection(reach.address)
        return await conn.open_connection(reach.address, reach.port)

    async def _run(self) -> None:
        session, generation = self.session, self.generation
        how = self.reach.how
        writer = None
        try:
            reader, writer = await asyncio.wait_for(self._open(), OPEN_TIMEOUT)
            client = RfbClient(reader, writer, password=self.password, local=self.reach.local,
                               on_frame=self._framed)
            await asyncio.wait_for(client.start(), OPEN_TIMEOUT)
            self.client = client
            session._path_state(generation, DisplayState.OPEN, f"{client.width}x{client.height}", how)
            await client.run()
            session._path_state(generation, DisplayState.CLOSED, "the display closed")
        except asyncio.CancelledError:
            pass
        except RfbPasswordNeeded:
            session._path_state(generation, DisplayState.PASSWORD, "the display asks for a password", how)
        except RfbAuthFailed as exc:
            session._path_state(generation, DisplayState.PASSWORD, f"password refused: {exc}", how)
        except asyncio.TimeoutError:
            self._failed(f"no answer within {OPEN_TIMEOUT:g} s")
        except Exception as exc:  # socket, RFB and asyncssh channel errors
            log.debug("display: %s", exc, exc_info=True)
            self._failed(_reason(exc))
        finally:
            self.client = None
            if writer is not None:
                try:
                    writer.close()
                except Exception:
                    pass

    def _framed(self, frame: Frame) -> None:
        self.session._framed(self.generation, frame)

    def _failed(self, reason: str) -> None:
        """Once attached, the display went away; before, it could not be reached: the guest's
        screen is still there by screenshots."""
        if self.client is not None:
            self.session._path_state(self.generation, DisplayState.CLOSED, reason)
        else:
            self.session._fall_back(self.generation, f"{self.reach.how} failed: {reason}")


class _ScreenshotPath:
    """Screenshots on the connection's worker, keys by `virDomainSendKey`, the mouse by
    QEMU's `input-send-event` where the host takes it."""

    def __init__(self, session: DisplaySession, generation: int, reason: str) -> None:
        self.session = session
        self.generation = generation
        self.how = f"screenshots and send-key, because {reason}"
        self.last: Frame | None = None
        self.timer: int | None = None  # a libvirt event-loop timeout
        self.timer_lock = threading.Lock()
        self.stopped = False
        self.shooting = False
        self.took = 0.0  # seconds the last screenshot took, to pace a slow host
        self.looks: list[float] = []  # the looks still to take after the last input
        self.serial = 0
        self.mouse_ok: bool | None = None
        self.pointer_at = (0, 0, 0)
        self.pointer_queued = False
        self.buttons_sent = 0

    def start(self) -> None:
        self.session._path_state(self.generation, DisplayState.OPEN, "screenshots", self.how)
        self._shoot_soon(0)

    def stop(self) -> None:
        self.stopped = True
        with self.timer_lock:
            if self.timer is not None:
                libvirt.virEventRemoveTimeout(self.timer)
                self.timer = None

    def _shoot_soon(self, delay: float, pace: float = 2.0) -> None:
        """The next screenshot in `delay` seconds, or `pace` times as long as the last one took
        (a slow link or a busy host is not kept busy by pictures: actions share its worker)."""
        delay = max(delay, pace * self.took)
        with self.timer_lock:
            if self.stopped:
                return
            if self.timer is not None:
                libvirt.virEventRemoveTimeout(self.timer)
            self.timer = libvirt.virEventAddTimeout(int(delay * 1000), self._queue, None)

    def _queue(self, timer: int, _opaque: object) -> None:
        with self.timer_lock:
            libvirt.virEventRemoveTimeout(timer)
            if self.timer == timer:
                self.timer = None
        if self.stopped or self.shooting:
            return
        self.shooting = True
        self.session.connection.call(self._shoot, self._shot, action="screenshot")

    def _shoot(self, conn: libvirt.virConnect) -> Frame:
        started = time.monotonic()
        dom = conn.lookupByUUIDString(self.session.uuid)
        stream = conn.newStream(0)
        chunks: list[bytes] = []
        try:
            dom.screenshot(stream, 0, 0)
            stream.recvAll(lambda _st, data, acc: acc.append(data) or len(data), chunks)
            stream.finish()
        except libvirt.libvirtError:
            try:
                stream.abort()
            except libvirt.libvirtError:
                pass
            raise
        self.took = time.monotonic() - started
        from PIL import Image

        with Image.open(io.BytesIO(b"".join(chunks))) as image:
            width, height = image.size
            pixels = image.convert("RGBX").tobytes()
        self.serial += 1
        last = self.last
        if last is None or (last.width, last.height) != (width, height):
            damage = ((0, 0, width, height),)
        else:
            damage = damage_between(last.pixels, pixels, width, height)
        return Frame(width, height, pixels, damage, self.serial)

    def _shot(self, frame: Frame | None, error: BaseException | None) -> None:
        self.shooting = False
        if self.stopped:
            return
        if error is not None:
            reason = error_text(error)
            self.session._path_state(self.generation, DisplayState.CLOSED, f"screenshot failed: {reason}")
            return
        assert frame is not None
        self.last = frame
        if frame.damage:
            self.session._framed(self.generation, frame)
        if self.looks:
            self._shoot_soon(self.looks.pop(0), pace=1.0)
        else:
            self._shoot_soon(SHOT_INTERVAL)

    def _look_after_input(self) -> None:
        self.looks = list(SHOT_AFTER_INPUT[1:])
        self._shoot_soon(SHOT_AFTER_INPUT[0], pace=1.0)

    def press(self, chord: tuple[int, ...]) -> None:
        codes: list[int] = []
        for keysym in chord:
            found = keysyms.linux_keycode(keysym)
            if found is None:
                continue
            code, shift = found
            if shift and LINUX_LEFTSHIFT not in codes:
                codes.append(LINUX_LEFTSHIFT)
            if code not in codes:
                codes.append(code)
        if not codes:
            return
        uuid = self.session.uuid

        def send(conn: libvirt.virConnect) -> None:
            conn.lookupByUUIDString(uuid).sendKey(libvirt.VIR_KEYCODE_SET_LINUX, KEY_HOLD_MS, codes, len(codes), 0)

        self.session.connection.call(send, self._sent, action="send key")

    def _sent(self, _result: Any, error: BaseException | None) -> None:
        if error is not None:
            log.debug("send key: %s", error_text(error))
        self._look_after_input()

    def pointer(self, x: int, y: int, buttons: int) -> None:
        if self.mouse_ok is False:
            return
        last = self.last
        if last is None or last.width <= 1 or last.height <= 1:
            return
        moved_only = buttons == self.buttons_sent and buttons < 8
        self.pointer_at = (x, y, buttons)
        if moved_only and self.pointer_queued:
            return  # the queued call sends the newest position
        self.pointer_queued = True
        self.buttons_sent = buttons
        uuid = self.session.uuid

        def send(conn: libvirt.virConnect) -> None:
            import libvirt_qemu

            self.pointer_queued = False
            px, py, held = self.pointer_at
            libvirt_qemu.qemuMonitorCommand(conn.lookupByUUIDString(uuid), self._pointer_command(px, py, held, last),
                                            0)

        def sent(_result: Any, error: BaseException | None) -> None:
            self.pointer_queued = False
            if error is not None:
                if self.mouse_ok is None:
                    self.mouse_ok = False
                    self.how += f"; no mouse ({error_text(error)})"
                    self.session._path_state(self.generation, DisplayState.OPEN, "screenshots", self.how)
                return
            if self.mouse_ok is None:
                self.mouse_ok = True
                self.how += "; mouse through QEMU's monitor"
            self._look_after_input()

        self.session.connection.call(send, sent, action="send mouse")

    @staticmethod
    def _pointer_command(x: int, y: int, buttons: int, last: Frame) -> str:
        events = [
            {"type": "abs", "data": {"axis": "x", "value": round(x * 32767 / (last.width - 1))}},
            {"type": "abs", "data": {"axis": "y", "value": round(y * 32767 / (last.height - 1))}},
        ]
        for bit, name in ((0, "left"), (1, "middle"), (2, "right")):
            events.append({"type": "btn", "data": {"button": name, "down": bool(buttons & (1 << bit))}})
        for bit, name in ((3, "wheel-up"), (4, "wheel-down")):
            if buttons & (1 << bit):
                events.append({"type": "btn", "data": {"button": name, "down": True}})
                events.append({"type": "btn", "data": {"button": name, "down": False}})
        return json.dumps({"execute": "input-send-event", "arguments": {"events": events}})


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, asyncio.IncompleteReadError) or isinstance(exc, EOFError):
        return "the display closed the connection"
    if isinstance(exc, ConnectionRefusedError):
        return f"the display refused the connection ({text})"
    if type(exc).__name__ == "ChannelOpenError" and getattr(exc, "code", None) == 1:
        # SSH_OPEN_ADMINISTRATIVELY_PROHIBITED: sshd's AllowTcpForwarding / AllowStreamLocalForwarding
        return f"the SSH server does not forward to it ({text})"
    return text
