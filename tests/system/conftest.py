"""Fixtures for the system tier: real libvirtd + virtlogd, real QEMU (TCG)
guests, and sshd on 127.0.0.1 for qemu+ssh://.

The fixtures start what they need through ``tests/testbed/services.sh`` and
``tests/testbed/guest.sh``. A missing component fails the tests that need it, with
the reason, in CI and outside alike (DESIGN.md, "Testing": nothing is skipped).

One run at a time: libvirtd, its guests, networks and pools and the test users are
the machine's, so a second run waits for the first and says so (`run_lock`). The
users the test bed creates (`TEST_USERS`) are removed when the run ends, also when
it is interrupted, and a run removes what an earlier, killed run left.
"""

from __future__ import annotations

import contextlib
import ipaddress
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TESTBED_DIR = HERE.parent / "testbed"
SERVICES_SH = TESTBED_DIR / "services.sh"
GUEST_SH = TESTBED_DIR / "guest.sh"
LIBVIRTD_PIDFILE = Path("/run/libvirtd.pid")
VIRTLOGD_PIDFILE = Path("/run/virtlogd.pid")
LIBVIRT_SOCK = Path("/run/libvirt/libvirt-sock")

TINY_GUEST_NAME = "vd-tiny"
ISOLATED_NETWORK = "vd-isolated"
ISOLATED_BRIDGE = "vdiso0"


def _load_domain_module():
    return _load_testbed_module("domain")


def _load_testbed_module(name: str):
    # load tests/testbed modules by path so this works whatever sys.path pytest set up
    spec = importlib.util.spec_from_file_location(f"virtdeck_testbed_{name}", TESTBED_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


domain = _load_domain_module()
run_guard = _load_testbed_module("run_guard")
BOOT_MARKER = domain.BOOT_MARKER
LOGIN_PROMPT = domain.LOGIN_PROMPT
VT_BANNER = domain.VT_BANNER
GRAPHICS_GUEST_NAME = "vd-graphics"

# Characters of a US keyboard as Linux key names (virsh send-key's default
# codeset): the unshifted ones by name, the shifted ones with their key.
_PLAIN_KEYS = {
    " ": "SPACE", "-": "MINUS", "=": "EQUAL", "/": "SLASH", ".": "DOT", ",": "COMMA",
    ";": "SEMICOLON", "'": "APOSTROPHE", "`": "GRAVE", "\\": "BACKSLASH",
    "[": "LEFTBRACE", "]": "RIGHTBRACE", "\n": "ENTER", "\t": "TAB",
}
_SHIFTED_KEYS = {
    "!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8",
    "(": "9", ")": "0", "_": "MINUS", "+": "EQUAL", "?": "SLASH", ">": "DOT", "<": "COMMA",
    ":": "SEMICOLON", '"': "APOSTROPHE", "~": "GRAVE", "|": "BACKSLASH",
    "{": "LEFTBRACE", "}": "RIGHTBRACE",
}


def linux_keys(char: str) -> list[str]:
    """The keys (``KEY_*`` names) pressed together to type ``char`` on a US
    keyboard; ValueError for a character it has no key for."""
    if char.isascii() and char.isalnum():
        return ["KEY_LEFTSHIFT", f"KEY_{char}"] if char.isupper() else [f"KEY_{char.upper()}"]
    if char in _PLAIN_KEYS:
        return [f"KEY_{_PLAIN_KEYS[char]}"]
    if char in _SHIFTED_KEYS:
        return ["KEY_LEFTSHIFT", f"KEY_{_SHIFTED_KEYS[char]}"]
    raise ValueError(f"no key types {char!r}")


def missing(reason: str):
    """A component is missing: the test fails with the reason (never a skip)."""
    pytest.fail(f"system test bed: {reason}", pytrace=False)


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.system)


class VirshError(RuntimeError):
    pass


@dataclass
class Testbed:
    __test__ = False

    state_dir: Path
    system_uri: str
    ssh_uri: str
    ssh_port: int
    kernel: str
    initrd: str
    env: dict[str, str] = field(default_factory=dict)
    boot_marker: str = BOOT_MARKER
    login_prompt: str = LOGIN_PROMPT

    # ------------------------------------------------------------- virsh
    def virsh(self, *args: str, uri: str | None = None, timeout: float = 60) -> str:
        """Run ``virsh -c URI ARGS``; return stdout, raise VirshError with stderr."""
        cmd = ["virsh", "-q", "-c", uri or self.system_uri, *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise VirshError(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr.strip()}")
        return proc.stdout

    # ---------------------------------------------------------- libvirtd
    def libvirtd_pid(self) -> int | None:
        return self._pidfile_alive(LIBVIRTD_PIDFILE)

    @staticmethod
    def _pidfile_alive(pidfile: Path) -> int | None:
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        if Testbed._proc_state(pid) in ("Z", "X", "?"):
            return None  # killed, not reaped yet
        return pid

    def _signal(self, sig: int) -> int:
        pid = self.libvirtd_pid()
        if pid is None:
            raise RuntimeError("libvirtd is not running")
        os.kill(pid, sig)
        return pid

    def kill_libvirtd(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        """Signal libvirtd (SIGTERM by default, or SIGKILL) and wait until it is gone.
        Running guests keep running: QEMU is not libvirtd's child here."""
        pid = self.libvirtd_pid()
        if pid is None:
            return
        if sig != signal.SIGKILL:
            # a stopped daemon would never handle SIGTERM
            os.kill(pid, signal.SIGCONT)
        os.kill(pid, sig)

        def gone():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            # a zombie (whose parent has not reaped it yet) counts as gone
            return self._proc_state(pid) in ("Z", "X", "?")

        try:
            wait_until(gone, timeout, what=f"libvirtd (pid {pid}) to exit")
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            wait_until(gone, 10, what=f"libvirtd (pid {pid}) to die")

    def libvirtd_ready(self) -> bool:
        if not LIBVIRT_SOCK.is_socket():
            return False
        proc = subprocess.run(
            ["virsh", "-q", "-c", self.system_uri, "uri"], capture_output=True, text=True, timeout=30
        )
        return proc.returncode == 0

    def start_libvirtd(self, timeout: float = 30) -> int:
        """Start libvirtd (and virtlogd) if not running; wait until it answers."""
        if self.libvirtd_pid() is None:
            if not self._pidfile_alive(VIRTLOGD_PIDFILE):
                subprocess.run(["virtlogd", "-d"], check=True)
            subprocess.run(["libvirtd", "-d"], check=True)
        wait_until(self.libvirtd_ready, timeout, interval=0.1, what="libvirtd to answer")
        pid = self.libvirtd_pid()
        assert pid is not None
        return pid

    @staticmethod
    def _proc_state(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return "?"

    def sigstop_libvirtd(self, timeout: float = 10) -> int:
        """SIGSTOP libvirtd (a hung host) and wait until it is stopped."""
        pid = self._signal(signal.SIGSTOP)
        wait_until(lambda: self._proc_state(pid) in ("T", "t"), timeout, interval=0.01,
                   what="libvirtd to stop")
        return pid

    def sigcont_libvirtd(self, timeout: float = 10) -> int:
        pid = self._signal(signal.SIGCONT)
        wait_until(lambda: self._proc_state(pid) not in ("T", "t"), timeout, interval=0.01,
                   what="libvirtd to continue")
        return pid

    # ------------------------------------------------------------ guests
    def serial_log(self, name: str) -> Path:
        return self.state_dir / f"serial-{name}.log"

    def serial_text(self, name: str) -> str:
        try:
            return self.serial_log(name).read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def type_on_serial(self, name: str, line: str, timeout: float = 60, log: Path | None = None) -> None:
        """Type a line on the guest's serial console and return once the guest echoed it on
        its serial log (`log`, default `serial_log(name)`). The console's pty is opened raw,
        so what the guest prints is not echoed back into it."""
        import tty

        log = log or self.serial_log(name)

        def text() -> str:
            try:
                return log.read_text(errors="replace")
            except FileNotFoundError:
                return ""

        pty = ET.fromstring(self.virsh("dumpxml", name)).find("devices/serial/source").get("path")
        before = len(text())
        fd = os.open(pty, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            tty.setraw(fd)
            os.write(fd, line.encode() + b"\r")

            def echoed() -> bool:
                try:
                    os.read(fd, 65536)  # drain what the guest printed: a full pty would stall it
                except BlockingIOError:
                    pass
                return line in text()[before:]

            wait_until(echoed, timeout, what=f"{line!r} echoed on the serial console of {name}")
        finally:
            os.close(fd)

    def wait_for_serial(self, name: str, text: str, timeout: float = 120) -> str:
        return wait_until(
            lambda: text in self.serial_text(name) and self.serial_text(name),
            timeout,
            what=f"{text!r} on the serial console of {name}",
        )

    def guest_xml(self, name: str, memory_mib: int = 128, network: str | None = None, **kw) -> str:
        kw.setdefault("serial_log", str(self.serial_log(name)))
        return domain.tiny_guest_xml(name, self.kernel, self.initrd, memory_mib, network, **kw)

    @contextlib.contextmanager
    def dir_pool(self, name: str, directory: Path) -> Iterator[Path]:
        """A started dir pool of the test's own in `directory`; it and the directory
        go afterwards (and first, if an earlier run left them)."""

        def remove() -> None:
            for args in (("pool-destroy", name), ("pool-undefine", name)):
                try:
                    self.virsh(*args)
                except VirshError:
                    pass
            shutil.rmtree(directory, ignore_errors=True)

        remove()
        directory.mkdir(parents=True)
        self.virsh("pool-define-as", name, "dir", "--target", str(directory))
        self.virsh("pool-start", name)
        try:
            yield directory
        finally:
            remove()

    def screenshot(self, name: str):
        """The guest's screen now (``virsh screenshot``), as an RGB PIL image."""
        from PIL import Image

        path = self.state_dir / f"screenshot-{name}"
        self.virsh("screenshot", name, "--file", str(path))
        with Image.open(path) as image:
            return image.convert("RGB")

    def type_text(self, name: str, text: str, holdtime_ms: int = 20) -> None:
        """Type ``text`` on the guest's keyboard (``virsh send-key``, one key or
        shifted key at a time, in one virsh run). Returns once QEMU has the
        keys queued; the guest sees them over the next ``holdtime_ms`` each."""
        commands = [
            " ".join(["send-key", name, "--holdtime", str(holdtime_ms), *linux_keys(ch)]) for ch in text
        ]
        if commands:
            self.virsh("; ".join(commands), timeout=60 + len(commands))

    def graphics_address(self, name: str) -> tuple[str, str | None, int | None, str | None]:
        """The first display of the running guest from its live XML: (type,
        listen address, port, unix socket); the missing ones are None."""
        root = ET.fromstring(self.virsh("dumpxml", name))
        graphics = root.find("devices/graphics")
        if graphics is None:
            raise VirshError(f"{name} has no <graphics>")
        port = graphics.get("port")
        listen = graphics.find("listen")
        address = graphics.get("listen") or (listen.get("address") if listen is not None else None)
        socket = graphics.get("socket") or (listen.get("socket") if listen is not None else None)
        return graphics.get("type", ""), address, int(port) if port and int(port) > 0 else None, socket

    def remove_domain(self, name: str, uri: str | None = None) -> None:
        """Destroy and undefine ``name`` if it exists (managed save and
        snapshot metadata included)."""
        try:
            state = self.virsh("domstate", name, uri=uri).strip()
        except VirshError:
            return
        if state not in ("shut off", "crashed"):
            try:
                self.virsh("destroy", name, uri=uri)
            except VirshError:
                pass
        try:
            self.virsh(
                "undefine", name, "--managed-save", "--snapshots-metadata", "--nvram", uri=uri
            )
        except VirshError:
            try:
                self.virsh("undefine", name, uri=uri)
            except VirshError:
                pass


def _read_env(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        key, value = line.split("=", 1)
        env[key.strip()] = value.strip().strip("'\"")
    return env


def _say(request: pytest.FixtureRequest):
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")

    def say(text: str) -> None:
        if reporter is not None:
            reporter.write_line(text, yellow=True)
        else:
            print(text, file=sys.__stderr__, flush=True)

    return say


@pytest.fixture(scope="session")
def testbed(request: pytest.FixtureRequest) -> Iterator[Testbed]:
    if os.geteuid() != 0:
        missing("the system tier runs as root (it starts libvirtd and sshd)")
    try:
        run_guard.begin_run(_say(request))
    except TimeoutError as exc:
        missing(str(exc))
    for binary in ("libvirtd", "virtlogd", "virsh", "qemu-system-x86_64", "ssh", "ssh-keygen"):
        if shutil.which(binary) is None:
            missing(f"{binary} not found (run tests/testbed/setup.sh)")
    if not Path("/usr/sbin/sshd").exists():
        missing("/usr/sbin/sshd not found (install openssh-server)")
    if not Path("/bin/busybox").exists():
        missing("/bin/busybox not found (install busybox-static)")

    for script in (SERVICES_SH, GUEST_SH):
        args = ["bash", str(script)] + (["start"] if script == SERVICES_SH else [])
        proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            missing(f"{' '.join(args[1:])} failed:\n{proc.stderr.strip()}")

    state_dir = Path(os.environ.get("VIRTDECK_TESTBED", "/tmp/virtdeck-testbed"))
    env = _read_env(state_dir / "env")
    yield Testbed(
        state_dir=state_dir,
        system_uri=env["TESTBED_SYSTEM_URI"],
        ssh_uri=env["TESTBED_SSH_URI"],
        ssh_port=int(env["TESTBED_SSH_PORT"]),
        kernel=env["TESTBED_KERNEL"],
        initrd=env["TESTBED_INITRD"],
        env=env,
    )
    run_guard.remove_test_users()


@pytest.fixture(autouse=True)
def libvirtd_up(request: pytest.FixtureRequest) -> None:
    """Each test starts with libvirtd answering. libvirtd 9.0 can crash (a segfault in
    remoteClientFreePrivateCallbacks) freeing the event callbacks of a client it lost
    while stopped; that fails the test it happened in, not every test after it."""
    if "testbed" not in request.fixturenames:
        return
    testbed: Testbed = request.getfixturevalue("testbed")
    if testbed.libvirtd_pid() is None:
        print("libvirtd was not running (it crashed in an earlier test?): starting it", file=sys.stderr)
        testbed.start_libvirtd()


def _used_ipv4_networks(testbed: Testbed) -> list[ipaddress.IPv4Network]:
    used: list[ipaddress.IPv4Network] = []
    # routes of the host (every address on an up interface has one)
    try:
        for line in Path("/proc/net/route").read_text().splitlines()[1:]:
            cols = line.split()
            dest = ipaddress.IPv4Address(int(cols[1], 16).to_bytes(4, "little"))
            mask = ipaddress.IPv4Address(int(cols[7], 16).to_bytes(4, "little"))
            if int(mask):
                used.append(ipaddress.IPv4Network(f"{dest}/{mask}", strict=False))
    except OSError:
        pass
    # libvirt networks, active or not
    for name in testbed.virsh("net-list", "--all", "--name").split():
        root = ET.fromstring(testbed.virsh("net-dumpxml", name))
        for ip in root.findall("ip"):
            addr = ip.get("address")
            if addr and ":" not in addr:
                prefix = ip.get("prefix") or ip.get("netmask") or "24"
                used.append(ipaddress.IPv4Network(f"{addr}/{prefix}", strict=False))
    return used


@pytest.fixture(scope="session")
def isolated_network(testbed: Testbed) -> str:
    """The isolated network ``vd-isolated`` (no <forward>), active."""
    created = False
    names = testbed.virsh("net-list", "--all", "--name").split()
    if ISOLATED_NETWORK not in names:
        used = _used_ipv4_networks(testbed)
        for third in range(213, 256):
            candidate = ipaddress.IPv4Network(f"192.168.{third}.0/24")
            if not any(candidate.overlaps(u) for u in used):
                break
        else:
            missing("no free 192.168.x.0/24 for the isolated network")
        xml = domain.isolated_network_xml(
            ISOLATED_NETWORK, ISOLATED_BRIDGE, str(candidate.network_address + 1)
        )
        path = testbed.state_dir / f"{ISOLATED_NETWORK}.xml"
        path.write_text(xml)
        testbed.virsh("net-define", str(path))
        created = True
    info = testbed.virsh("net-info", ISOLATED_NETWORK)
    if not any(line.split() == ["Active:", "yes"] for line in info.splitlines()):
        try:
            testbed.virsh("net-start", ISOLATED_NETWORK)
        except VirshError as exc:
            missing(f"cannot start network {ISOLATED_NETWORK}: {exc}")
    yield ISOLATED_NETWORK
    if created:
        for args in (("net-destroy", ISOLATED_NETWORK), ("net-undefine", ISOLATED_NETWORK)):
            try:
                testbed.virsh(*args)
            except VirshError:
                pass


@dataclass
class TinyGuest:
    name: str
    uuid: str
    uri: str
    network: str
    serial_log: Path


@pytest.fixture(scope="session")
def tiny_guest(testbed: Testbed, isolated_network: str) -> TinyGuest:
    """One running tiny guest ``vd-tiny`` on qemu:///system, shared by the
    session; booted to its login prompt. Tests must leave it running."""
    name = TINY_GUEST_NAME
    testbed.remove_domain(name)
    log = testbed.serial_log(name)
    log.unlink(missing_ok=True)
    path = testbed.state_dir / f"{name}.xml"
    path.write_text(testbed.guest_xml(name, network=isolated_network))
    testbed.virsh("define", str(path))
    try:
        testbed.virsh("start", name)
    except VirshError as exc:
        testbed.remove_domain(name)
        missing(f"cannot start a QEMU guest: {exc}")
    try:
        testbed.wait_for_serial(name, LOGIN_PROMPT, timeout=180)
    except TimeoutError:
        text = testbed.serial_text(name)
        testbed.remove_domain(name)
        pytest.fail(f"{name} did not reach its login prompt; serial output:\n{text[-3000:]}")
    uuid = testbed.virsh("domuuid", name).strip()
    yield TinyGuest(name=name, uuid=uuid, uri=testbed.system_uri, network=isolated_network, serial_log=log)
    if testbed.libvirtd_pid() is None:
        testbed.start_libvirtd()
    testbed.remove_domain(name)


@dataclass
class GraphicsGuest:
    """A running tiny guest with a VGA: its display's address from the live
    XML (``vnc_port`` on ``vnc_host`` for a TCP VNC display, ``vnc_socket``
    for a unix socket one), and its serial log."""

    name: str
    uuid: str
    uri: str
    serial_log: Path
    graphics: str | None
    vnc_host: str | None
    vnc_port: int | None
    vnc_socket: str | None
    vnc_password: str | None = None


@contextlib.contextmanager
def running_graphics_guest(
    testbed: Testbed, name: str, memory_mib: int = 128, **xml_kw
) -> Iterator[GraphicsGuest]:
    """Define and start a tiny guest with a display (``xml_kw`` go to
    ``tiny_guest_xml``: graphics, vnc_password, video, gfxdemo, ...), wait
    until it is at its login prompt on ttyS0 and, with a tty1 shell, until the
    shell printed its banner; remove it afterwards."""
    testbed.remove_domain(name)
    log = testbed.serial_log(name)
    log.unlink(missing_ok=True)
    xml_kw.setdefault("graphics", "vnc")
    xml = testbed.guest_xml(name, memory_mib, **xml_kw)
    path = testbed.state_dir / f"{name}.xml"
    path.write_text(xml)
    testbed.virsh("define", str(path))
    try:
        try:
            testbed.virsh("start", name)
        except VirshError as exc:
            missing(f"cannot start a QEMU guest with a display: {exc}")
        words = (ET.fromstring(xml).findtext("os/cmdline") or "").split()
        wanted = [LOGIN_PROMPT] + ([VT_BANNER] if "vd.vt" in words else [])
        for text in wanted:
            try:
                testbed.wait_for_serial(name, text, timeout=180)
            except TimeoutError:
                output = testbed.serial_text(name)[-3000:]
                pytest.fail(f"{name} did not print {text!r}; serial output:\n{output}")
        kind, address, port, socket = (None, None, None, None)
        if xml_kw["graphics"] != "none":
            kind, address, port, socket = testbed.graphics_address(name)
        yield GraphicsGuest(
            name=name,
            uuid=testbed.virsh("domuuid", name).strip(),
            uri=testbed.system_uri,
            serial_log=log,
            graphics=kind,
            vnc_host=address if kind == "vnc" else None,
            vnc_port=port if kind == "vnc" else None,
            vnc_socket=socket if kind == "vnc" else None,
            vnc_password=xml_kw.get("vnc_password"),
        )
    finally:
        if testbed.libvirtd_pid() is None:
            testbed.start_libvirtd()
        testbed.remove_domain(name)


@pytest.fixture(scope="session")
def graphics_guest(testbed: Testbed) -> Iterator[GraphicsGuest]:
    """One running tiny guest ``vd-graphics`` with a standard VGA and a VNC
    display on 127.0.0.1 (no password), shared by the session: a root shell on
    tty1 (VGA text mode, 720x400) that printed ``VT_BANNER`` on the top line
    of a cleared screen, the login prompt on ttyS0 and a serial log. Typing
    ``echo gfx-$((6*7)) > /dev/ttyS0`` and Enter on its keyboard puts
    ``gfx-42`` on the serial log. Tests must leave it running."""
    with running_graphics_guest(testbed, GRAPHICS_GUEST_NAME, graphics="vnc") as guest:
        yield guest
