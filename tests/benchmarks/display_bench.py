"""Graphical console figures on real TCG guests (run.py section 12, or alone).

1. Frames per second and bytes for gfxdemo's 1024x768 picture (~20 changes a
   second), with the pane open (in-process app, Textual's headless driver) over
   virtdeck's own SSH (`qemu+ssh://root@127.0.0.1:PORT/system`, an sshd of our own)
   and locally over VNC. Frames per second: distinct gfxdemo frame numbers decoded
   from the pane's shown frame (`pane.view.frame`, sampled every 5 ms over the
   window). Bytes: the kernel's counters of the TCP socket to QEMU's VNC port
   (`ss -tin`: bytes_received + bytes_acked of the socket whose peer is the port;
   sshd's socket on the SSH path, the app's locally), before and after. Baselines:
   the guest's own rate (frame numbers of two `virsh screenshot`s at the window's
   ends), and a bare `RfbClient` with nothing but a frame callback, through its own
   SSH connection to the same sshd and over plain TCP, the same window.
2. Key press to changed pixels: on a VGA text guest with a tty1 shell, `a` pressed
   in the pane (Pilot) -> the pane's shown frame differs from the one before (the
   cursor's underline rows left out: it blinks); then BackSpace, so the shell's
   line stays empty. Locally over VNC, through own SSH, and by screenshots and
   send-key (a guest without a display server). Baseline: a bare `RfbClient`
   sending the same key and waiting for the changed framebuffer, locally and
   through SSH.
3. CPU of the real program in a pty (`python -m tui --pictures blocks`) with the
   pane open on a still gfxdemo picture (`vd.gfxdemo=0`), from /proc/PID/stat over
   15 s, as % of a core; baseline: the same program with no pane, side by side over
   the same window.

Needs root, libvirtd and the test bed (`make testbed`). The guests (vd-bench-display-*)
and the sshd it starts are removed at the end.

    python tests/benchmarks/display_bench.py      # prints one JSON line
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for extra in (ROOT, ROOT / "tests", ROOT / "tests" / "testbed"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from ptyharness import PtyApp  # noqa: E402

import domain  # noqa: E402

PYTHON = sys.executable
URI = "qemu:///system"
DEMO = "vd-bench-display-demo"
STILL = "vd-bench-display-still"
TEXT = "vd-bench-display-text"
SHOTS = "vd-bench-display-shots"
TESTBED = Path(os.environ.get("VIRTDECK_TESTBED", "/tmp/virtdeck-testbed"))
FPS_WINDOW = 10.0
KEYS = 20
CPU_WINDOW = 15.0
CURSOR_ROWS = 13  # rows 13-15 of a 16-pixel VGA text cell hold the blinking underline cursor
GOAL_FPS, GOAL_KEY, GOAL_CPU = 10.0, 0.150, 2.0
Spawn = Callable[[list[str], str], PtyApp]


# -- guests ---------------------------------------------------------------------------


def virsh(*args: str, timeout: float = 60) -> str:
    done = subprocess.run(["virsh", "-q", "-c", URI, *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"virsh {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def remove_guest(name: str) -> None:
    for args in (("destroy", name), ("undefine", name)):
        subprocess.run(["virsh", "-q", "-c", URI, *args], capture_output=True, timeout=60)


def testbed_env() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (TESTBED / "env").read_text().split("\n") if "=" in line)
    return {k: v.strip("'\"") for k, v in pairs}


def boot(name: str, **xml_kw) -> None:
    """Define and start a tiny guest with a display; wait for its login prompt (and its tty1
    shell's banner)."""
    env = testbed_env()
    log = TESTBED / f"serial-{name}.log"
    log.unlink(missing_ok=True)
    remove_guest(name)
    xml = domain.tiny_guest_xml(name, env["TESTBED_KERNEL"], env["TESTBED_INITRD"], serial_log=str(log), **xml_kw)
    path = TESTBED / f"{name}.xml"
    path.write_text(xml)
    virsh("define", str(path))
    virsh("start", name)
    wanted = [domain.LOGIN_PROMPT] + ([domain.VT_BANNER] if "vd.vt" in xml else [])
    deadline = time.monotonic() + 180
    while not all(w in (log.read_text(errors="replace") if log.exists() else "") for w in wanted):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not reach {wanted}")
        time.sleep(0.2)


def vnc_port(name: str) -> int:
    graphics = ET.fromstring(virsh("dumpxml", name)).find("devices/graphics")
    assert graphics is not None
    return int(graphics.get("port", "0"))


def screenshot_frame(name: str) -> tuple[float, int]:
    """(the middle of the call, on perf_counter; gfxdemo's frame number in a `virsh screenshot`)."""
    from PIL import Image

    path = TESTBED / f"screenshot-{name}"
    began = time.perf_counter()
    virsh("screenshot", name, "--file", str(path))
    ended = time.perf_counter()
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        return (began + ended) / 2, domain.gfxdemo_frame(rgb.getpixel)


def frame_number(frame) -> int:
    """gfxdemo's frame number on a Frame (RGBX bytes)."""
    pixels, width = frame.pixels, frame.width
    return domain.gfxdemo_frame(lambda xy: pixels[(xy[1] * width + xy[0]) * 4:(xy[1] * width + xy[0]) * 4 + 3])


def text_differs(a, b) -> bool:
    """Two text-mode frames differ outside the cursor's underline rows."""
    if a is None or b is None:
        return a is not b
    if (a.width, a.height) != (b.width, b.height):
        return True
    stride = a.width * 4
    pa, pb = a.pixels, b.pixels
    return any(pa[y * stride:(y + 1) * stride] != pb[y * stride:(y + 1) * stride]
               for y in range(a.height) if y % 16 < CURSOR_ROWS)


# -- the kernel's view of the VNC socket ------------------------------------------------


SS_SOCKET = re.compile(r"^\S+\s+\S+\s+\S+\s+(\S+)\s+(\S+)", re.M)


def socket_bytes(port: int) -> dict[str, tuple[int, int]]:
    """Every established TCP socket to 127.0.0.1:port: its local address -> (bytes received,
    bytes acked by the peer), from `ss -tin`."""
    out = subprocess.run(["ss", "-Htin", "state", "established", "dst", f"127.0.0.1:{port}"],
                         capture_output=True, text=True, check=True).stdout
    found: dict[str, tuple[int, int]] = {}
    local = None
    for line in out.splitlines():
        if not line.startswith((" ", "\t")):
            fields = line.split()
            local = fields[2] if len(fields) >= 4 else None  # Recv-Q Send-Q Local Peer ("state" drops State)
            continue
        if local is None:
            continue
        received = re.search(r"\bbytes_received:(\d+)", line)
        acked = re.search(r"\bbytes_acked:(\d+)", line)
        found[local] = (int(received.group(1)) if received else 0, int(acked.group(1)) if acked else 0)
        local = None
    return found


def bytes_between(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> dict:
    received = sum(r - before.get(k, (0, 0))[0] for k, (r, _) in after.items())
    sent = sum(s - before.get(k, (0, 0))[1] for k, (_, s) in after.items())
    return {"received": received, "sent": sent, "sockets": len(after)}


# -- own SSH -------------------------------------------------------------------------------


class OwnSsh:
    """An sshd of our own on loopback in front of the system libvirtd, and a client HOME
    with a key it accepts (tests/testbed/ssh_hosts.py)."""

    def __init__(self, root: Path) -> None:
        from ssh_hosts import SshHost, keygen

        root.mkdir(parents=True, exist_ok=True)
        self.key = keygen(root / "id_ed25519", comment="vd-bench-display")
        authorized = root / "authorized_keys"
        authorized.write_text(Path(f"{self.key}.pub").read_text())
        self.host = SshHost("vd-bench-display", root, authorized)
        self.host.start()
        self.home = root / "home"
        (self.home / ".ssh").mkdir(parents=True, mode=0o700)
        for suffix in ("", ".pub"):
            (self.home / ".ssh" / f"id_ed25519{suffix}").write_bytes(Path(f"{self.key}{suffix}").read_bytes())
        (self.home / ".ssh" / "id_ed25519").chmod(0o600)
        (self.home / ".ssh" / "known_hosts").write_text(
            f"[127.0.0.1]:{self.host.port} {self.host.public_host_key()}\n")
        self.uri = f"qemu+ssh://root@127.0.0.1:{self.host.port}/system"

    def stop(self) -> None:
        self.host.stop()


# -- the app, in-process -------------------------------------------------------------------


def make_app(tmp: Path, uri: str):
    from tui.app import VirtdeckApp
    from tui.cli import settings_from

    config = tmp / "config.toml"
    config.write_text("resync = 86400\n", encoding="utf-8")
    return VirtdeckApp(settings_from(["--config", str(config), "-c", uri]))


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float, what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what() if callable(what) else what}")
        await pilot.pause(0.02)


async def open_display(pilot, app, name: str, uri: str):
    """Select the running guest `name` on `uri` and press `v`; the pane once it shows a frame."""

    def guest():
        return next((g for g in app.inventory.guests.values() if g.name == name
                     and app.inventory.hosts[g.conn_id].uri == uri and g.state == "running"), None)

    await wait_for(pilot, lambda: guest() is not None, 60, f"{name} running in the list")
    found = guest()
    table = app.screen.table
    key = f"{found.conn_id}|{found.uuid}"
    await wait_for(pilot, lambda: key in table._tokens, 20, "the guest's row")
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()
    await pilot.press("v")
    deck = app.screen.consoles
    await wait_for(pilot, lambda: deck.display_for(found.conn_id, found.uuid) is not None, 20, "the display pane")
    pane = deck.display_for(found.conn_id, found.uuid)
    await wait_for(pilot, lambda: pane.detail == "attached" and pane.view.frame is not None, 30,
                   lambda: f"the display attached ({pane.detail}: {pane.status_text})")
    return pane


async def app_fps(tmp: Path, uri: str, port: int) -> dict:
    """The pane on the demo guest: distinct frame numbers shown, bytes on the VNC socket."""
    app = make_app(tmp, uri)
    async with app.run_test(size=(200, 60)) as pilot:
        pane = await open_display(pilot, app, DEMO, uri)
        await pilot.pause(1.0)
        shown: set[int] = set()
        last = None
        shot_before = await asyncio.to_thread(screenshot_frame, DEMO)
        before, cpu, began = socket_bytes(port), time.process_time(), time.perf_counter()
        while time.perf_counter() - began < FPS_WINDOW:
            frame = pane.view.frame
            if frame is not last:
                last = frame
                shown.add(frame_number(frame))
            await asyncio.sleep(0.005)
        wall = time.perf_counter() - began
        after, cpu = socket_bytes(port), time.process_time() - cpu
        shot_after = await asyncio.to_thread(screenshot_frame, DEMO)
        how = pane.status_text
    return {"fps": len(shown) / wall, "wall": wall, "bytes": bytes_between(before, after), "cpu": cpu, "how": how, "guest_fps": guest_rate(shot_before, shot_after)}


GUEST_RATE_CEILING = 1000  # frames/s no TCG guest draws at 1024x768: above it, a frame number was misread


def guest_rate(a: tuple[float, int], b: tuple[float, int]) -> float | None:
    """Frames/s gfxdemo drew between two screenshots; None when a frame number was misread
    (a screenshot caught mid-draw, or before gfxdemo drew its counter)."""
    rate = (b[1] - a[1]) / (b[0] - a[0])
    return rate if 0 <= rate <= GUEST_RATE_CEILING else None


async def ssh_streams(ssh: OwnSsh, port: int):
    """An SSH connection of its own to the bench's sshd and a direct-tcpip channel to the VNC port."""
    import asyncssh

    conn = await asyncssh.connect("127.0.0.1", ssh.host.port, username="root", client_keys=[str(ssh.key)],
                                  known_hosts=None, agent_path=None)
    reader, writer = await conn.open_connection("127.0.0.1", port)
    return conn, reader, writer


async def tcp_streams(port: int):
    from tui.backend.rfb import open_tcp

    reader, writer = await open_tcp("127.0.0.1", port)
    return None, reader, writer


async def bare_session(opener: Callable[[], Awaitable], local: bool,
                       body: Callable[[object, list], Awaitable[dict]]) -> dict:
    """A bare RfbClient on the streams `opener` makes; `body(client, frames)` measures
    (frames: every Frame it received, newest last)."""
    from tui.backend.rfb import RfbClient

    conn, reader, writer = await opener()
    frames: list = []
    client = RfbClient(reader, writer, local=local, on_frame=frames.append)
    await client.start()
    task = asyncio.create_task(client.run())
    try:
        return await body(client, frames)
    finally:
        task.cancel()
        writer.close()
        if conn is not None:
            conn.close()
            await conn.wait_closed()


async def bare_fps(opener: Callable[[], Awaitable], local: bool, port: int) -> dict:
    async def body(client, frames: list) -> dict:
        await asyncio.sleep(1.0)
        shot_before = await asyncio.to_thread(screenshot_frame, DEMO)
        before, cpu, began = socket_bytes(port), time.process_time(), time.perf_counter()
        count = len(frames)
        await asyncio.sleep(FPS_WINDOW)
        wall = time.perf_counter() - began
        after, cpu = socket_bytes(port), time.process_time() - cpu
        shot_after = await asyncio.to_thread(screenshot_frame, DEMO)
        got = frames[count:]
        del frames[:-1]
        shown = {frame_number(f) for f in got}
        return {"fps": len(shown) / wall, "updates": len(got) / wall, "wall": wall,
                "bytes": bytes_between(before, after), "cpu": cpu, "guest_fps": guest_rate(shot_before, shot_after)}

    return await bare_session(opener, local, body)


async def wait_changed(get: Callable[[], object], before, deadline: float = 5.0) -> float:
    began = time.monotonic()
    while not text_differs(before, get()):
        if time.monotonic() - began > deadline:
            raise RuntimeError("the screen did not change after a key")
        await asyncio.sleep(0.002)
    return time.perf_counter()


def key_gaps():
    """Pauses after each key, the same for every run: random, so a key meets QEMU's VNC
    refresh timer (30 ms, 50 ms longer for each tick that found nothing) at any phase."""
    rng = random.Random(13)
    while True:
        yield rng.uniform(0.1, 0.4)


async def app_keys(tmp: Path, uri: str, name: str) -> dict:
    """`a` then BackSpace in the pane, KEYS times: seconds from the press to a changed frame."""
    app = make_app(tmp, uri)
    async with app.run_test(size=(200, 60)) as pilot:
        pane = await open_display(pilot, app, name, uri)
        await pilot.press("ctrl+u")
        await pilot.pause(1.0)
        letters, erases, calls = [], [], []
        gaps = key_gaps()
        for _ in range(KEYS):
            for key, into in (("a", letters), ("backspace", erases)):
                before = pane.view.frame
                sent = time.perf_counter()
                # Pilot.press returns once the app is idle, which may be after the picture
                # changed: the frame is watched meanwhile
                pressing = asyncio.create_task(pilot.press(key))
                into.append(await wait_changed(lambda: pane.view.frame, before) - sent)
                await pressing
                calls.append(time.perf_counter() - sent)
                await pilot.pause(next(gaps))
        how = pane.status_text
    return {"letter": letters, "backspace": erases, "press_call": calls, "how": how}


async def bare_keys(opener: Callable[[], Awaitable], local: bool) -> dict:
    from tui.backend import keysyms

    async def body(client, frames: list) -> dict:
        await asyncio.sleep(1.0)
        client.press(keysyms.keysyms_for("ctrl+u", None))
        await asyncio.sleep(1.0)
        letters, erases = [], []
        gaps = key_gaps()
        for _ in range(KEYS):
            for key, character, into in (("a", "a", letters), ("backspace", None, erases)):
                before = frames[-1] if frames else None
                sent = time.perf_counter()
                client.press(keysyms.keysyms_for(key, character))
                into.append(await wait_changed(lambda: frames[-1] if frames else None, before) - sent)
                del frames[:-1]
                await asyncio.sleep(next(gaps))
        return {"letter": letters, "backspace": erases}

    return await bare_session(opener, local, body)


# -- 3: CPU with a still screen, in a pty -------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def still_cpu(spawn: Spawn) -> dict:
    argv = [PYTHON, "-m", "tui", "--pictures", "blocks", "-c", URI]
    with_pane, without = spawn(argv, "virtdeck, pane open"), spawn(argv, "virtdeck, no pane")
    apps = (with_pane, without)
    result: dict = {}
    try:
        for app in apps:
            app.wait_for(lambda a: a.contains(f" {STILL} "), f"{STILL} in the list", deadline=60)
        with_pane.burst(list(f"/{STILL}") + ["\r"])
        with_pane.settle()
        with_pane.send("v")
        with_pane.wait_for(lambda a: a.contains("VNC on 127.0.0.1"), "the pane attached over VNC", deadline=30)
        with_pane.wait_for(lambda a: a.text().count("▀") > 200, "the picture in half blocks", deadline=30)
        end = time.perf_counter() + 3.0
        while time.perf_counter() < end:
            for app in apps:
                app._read_available(0.02)
        before = [(cpu_seconds(app.pid), app.received) for app in apps]
        began = time.perf_counter()
        while time.perf_counter() - began < CPU_WINDOW:  # no keys; keep both terminals drained
            for app in apps:
                app._read_available(0.02)
        wall = time.perf_counter() - began
        after = [(cpu_seconds(app.pid), app.received) for app in apps]
        for key, (cpu0, bytes0), (cpu1, bytes1) in zip(("pane", "no_pane"), before, after):
            result[key] = {"cpu": cpu1 - cpu0, "percent": (cpu1 - cpu0) / wall * 100, "bytes": bytes1 - bytes0}
        result["wall"] = wall
        result["still_attached"] = with_pane.contains("VNC on 127.0.0.1")
    finally:
        result["endings"] = [app.quit(keys=("\x1d", "q", "\x11")) for app in apps]
    return result


# -- the run ---------------------------------------------------------------------------------------


def with_home(home: Path, fn: Callable[[], object]):
    """Run fn with HOME at `home` and no SSH agent (virtdeck's SSH and asyncssh read ~/.ssh)."""
    saved = {k: os.environ.get(k) for k in ("HOME", "SSH_AUTH_SOCK")}
    os.environ["HOME"] = str(home)
    os.environ.pop("SSH_AUTH_SOCK", None)
    try:
        return fn()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def measure(spawn: Spawn, tmp: Path) -> dict:
    result: dict = {}
    ssh = OwnSsh(tmp / "ssh")
    try:
        # -- 1: a changing 1024x768 picture ------------------------------------------------------------
        boot(DEMO, gfxdemo=True)
        try:
            port = vnc_port(DEMO)
            time.sleep(2.0)  # gfxdemo's first pictures
            a = screenshot_frame(DEMO)
            time.sleep(5.0)
            result["guest_fps_idle"] = guest_rate(a, screenshot_frame(DEMO))
            fps = result["fps"] = {}
            fps["ssh"] = with_home(ssh.home, lambda: asyncio.run(app_fps(tmp, ssh.uri, port)))
            fps["bare_ssh"] = with_home(ssh.home, lambda: asyncio.run(
                bare_fps(lambda: ssh_streams(ssh, port), False, port)))
            fps["local"] = asyncio.run(app_fps(tmp, URI, port))
            fps["bare_tcp"] = asyncio.run(bare_fps(lambda: tcp_streams(port), True, port))
        finally:
            remove_guest(DEMO)

        # -- 2: key -> pixels ------------------------------------------------------------------------------
        boot(TEXT, graphics="vnc")
        try:
            port = vnc_port(TEXT)
            keys = result["keys"] = {}
            keys["local"] = asyncio.run(app_keys(tmp, URI, TEXT))
            keys["bare_tcp"] = asyncio.run(bare_keys(lambda: tcp_streams(port), True))
            keys["ssh"] = with_home(ssh.home, lambda: asyncio.run(app_keys(tmp, ssh.uri, TEXT)))
            keys["bare_ssh"] = with_home(ssh.home, lambda: asyncio.run(
                bare_keys(lambda: ssh_streams(ssh, port), False)))
        finally:
            remove_guest(TEXT)
        boot(SHOTS, graphics="none")
        try:
            result["keys"]["shots"] = asyncio.run(app_keys(tmp, URI, SHOTS))
        finally:
            remove_guest(SHOTS)

        # -- 3: a still screen -------------------------------------------------------------------------
        boot(STILL, gfxdemo=True, gfxdemo_fps=0)
        try:
            result["still"] = still_cpu(spawn)
        finally:
            remove_guest(STILL)
    finally:
        ssh.stop()
        for name in (DEMO, TEXT, SHOTS, STILL):
            remove_guest(name)
    return result


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="virtdeck-display-bench-"))
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache"),
                     ("XDG_DATA_HOME", "data")):
        os.environ.setdefault(var, str(tmp / sub))
    env = dict(os.environ)
    started: list[PtyApp] = []

    def spawn(argv: list[str], label: str) -> PtyApp:
        app = PtyApp(argv, env=env, cwd=str(ROOT), label=label)
        started.append(app)
        return app

    reason = unavailable()
    if reason is not None:
        print(json.dumps({"skipped": reason}))
        return 0
    print(json.dumps(measure(spawn, tmp)))
    return 0


# -- for run.py --------------------------------------------------------------------


def unavailable() -> str | None:
    """Why this section cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (libvirtd, TCG guests with a VGA)"
    if not (TESTBED / "env").exists():
        return f"no test bed in {TESTBED} (make testbed)"
    return None


def report(result: dict, add: Callable[[str, str, str, str], None]) -> None:
    """The section's rows for run.py's table: add(figure, virtdeck, baseline, goal)."""
    if not result:
        return
    if "skipped" in result:
        add("12 graphical console", "skipped", result["skipped"], "")
        return

    def rate(bytes_: dict, wall: float, fps: float) -> str:
        per_s = (bytes_["received"] + bytes_["sent"]) / wall
        per_frame = f", {per_s / fps / 1024:.0f} KiB/frame" if fps else ""
        return f"{per_s / 1024 / 1024:.2f} MiB/s{per_frame}"

    def per_s(rate: float | None) -> str:
        return "n/a (its frame counter misread)" if rate is None else f"{rate:.1f}/s"

    fps = result.get("fps", {})
    guest_idle = result.get("guest_fps_idle")
    for key, label, bare_key, bare_label in (("ssh", "through own SSH", "bare_ssh", "bare RfbClient, own SSH"),
                                            ("local", "local VNC", "bare_tcp", "bare RfbClient, TCP")):
        mine, bare = fps.get(key), fps.get(bare_key)
        if not mine:
            continue
        add(f"12 display: 1024x768 gfxdemo frames shown/s, {label} ({mine['wall']:.0f} s)",
            f"{mine['fps']:.1f} fps",
            f"guest draws {per_s(mine['guest_fps'])} meanwhile ({per_s(guest_idle)} unwatched); "
            + (f"{bare_label} {bare['fps']:.1f} fps (guest {per_s(bare['guest_fps'])})" if bare else ""),
            f">= {GOAL_FPS:g} fps: " + ("ok" if mine["fps"] >= GOAL_FPS else "MISSED"))
        add(f"12   ... bytes on the VNC socket ({'sshd' if key == 'ssh' else 'the app'} <-> QEMU)",
            rate(mine["bytes"], mine["wall"], mine["fps"]),
            f"{bare_label} {rate(bare['bytes'], bare['wall'], bare['fps'])}" if bare else "", "")
        add("12   ... CPU of the app process", f"{mine['cpu'] / mine['wall'] * 100:.0f}% of a core",
            f"{bare_label} {bare['cpu'] / bare['wall'] * 100:.0f}%" if bare else "", "")

    def ms(values: list[float] | None, q: float) -> str:
        if not values:
            return "n/a"
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.0f}"

    def med(values: list[float]) -> float:
        return statistics.median(values)

    keys = result.get("keys", {})
    for key, label, bare_key in (("local", "local VNC", "bare_tcp"), ("ssh", "through own SSH", "bare_ssh"),
                                 ("shots", "screenshots + send-key", None)):
        mine = keys.get(key)
        if not mine:
            continue
        bare = keys.get(bare_key) if bare_key else None
        letters = mine["letter"]
        add(f"12 display: key -> changed pixels, {label} (`a`, median / p90 of {len(letters)})",
            f"{ms(letters, 0.5)} / {ms(letters, 0.9)} ms",
            (f"bare RfbClient {ms(bare['letter'], 0.5)} / {ms(bare['letter'], 0.9)} ms; " if bare else "")
            + f"BackSpace {ms(mine['backspace'], 0.5)} / {ms(mine['backspace'], 0.9)} ms"
            + (f"; (Pilot.press returned after {ms(mine['press_call'], 0.5)} ms)" if mine.get("press_call") else ""),
            f"< {GOAL_KEY * 1000:.0f} ms: " + ("ok" if med(letters) < GOAL_KEY else "MISSED"))
    still = result.get("still", {})
    if still.get("pane"):
        p, n = still["pane"], still["no_pane"]
        add(f"12 display: CPU, pane open on a still 1024x768 picture, pty, {still['wall']:.0f} s",
            f"{p['percent']:.2f}% of a core", f"same program, no pane, same window: {n['percent']:.2f}%",
            f"< {GOAL_CPU:g}%: " + ("ok" if p["percent"] < GOAL_CPU else "MISSED"))


if __name__ == "__main__":
    sys.exit(main())
