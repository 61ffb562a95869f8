"""virtdeck's own SSH (asyncssh) against real sshd instances on loopback ports.

Each sshd here is its own "remote host" (own host key, config, log) in front of the
shared libvirtd. The client side lives in a private HOME (keys, known_hosts,
~/.ssh/config), so nothing depends on /root/.ssh.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from pathlib import Path

import libvirt
import pytest

from tests.app.conftest import wait_for
from tests.testbed.ssh_hosts import SshHost, keygen

from .conftest import Testbed, wait_until
from .test_stats import app_for

pytestmark = pytest.mark.system

USER = "vdh5user"
PASSWORD = "vd-h5 pass 1 [x] <&>"
PASSPHRASE = "vd-h5 phrase [y] <&>"


# -- fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def ssh_root(tmp_path_factory, testbed: Testbed) -> Path:
    return tmp_path_factory.mktemp("vd-h5-ssh")


@pytest.fixture(scope="module")
def client_keys(ssh_root: Path) -> dict[str, Path]:
    keys = ssh_root / "keys"
    keys.mkdir(exist_ok=True)
    plain = keygen(keys / "id_ed25519", comment="vd-h5-client")
    locked = keygen(keys / "locked_ed25519", passphrase=PASSPHRASE, comment="vd-h5-locked")
    authorized = ssh_root / "authorized_keys"
    authorized.write_text(Path(f"{plain}.pub").read_text() + Path(f"{locked}.pub").read_text())
    return {"plain": plain, "locked": locked, "authorized": authorized}


@pytest.fixture(scope="module")
def sshd_factory(ssh_root: Path, client_keys):
    started: list[SshHost] = []

    def make(name: str, *extra: str) -> SshHost:
        host = SshHost(f"vd-h5-{name}", ssh_root, client_keys["authorized"], list(extra))
        host.start()
        started.append(host)
        return host

    yield make
    for host in started:
        host.stop()


@pytest.fixture(scope="module")
def main_host(sshd_factory) -> SshHost:
    return sshd_factory("main")


@pytest.fixture(scope="module")
def password_host(sshd_factory) -> SshHost:
    subprocess.run(["userdel", "-r", USER], capture_output=True)
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", USER], check=True)
    subprocess.run(["chpasswd"], input=f"{USER}:{PASSWORD}\n", text=True, check=True)
    host = sshd_factory("password", "PasswordAuthentication yes", "PubkeyAuthentication no")
    yield host
    host.stop()
    subprocess.run(["userdel", "-r", USER], capture_output=True)


@pytest.fixture
def h5_pool(testbed: Testbed, tmp_path) -> Path:
    """A dir pool on the shared libvirtd, so host facts have a pool path to measure."""
    path = tmp_path / "vd-h5 pool"
    path.mkdir()
    testbed.virsh("pool-create-as", "vd-h5-pool", "dir", "--target", str(path))
    yield path
    try:
        testbed.virsh("pool-destroy", "vd-h5-pool")
    except Exception:
        pass


def make_home(tmp_path: Path, client_keys, *, key: bool = True, config: str = "") -> Path:
    home = tmp_path / "home"
    ssh = home / ".ssh"
    ssh.mkdir(parents=True, mode=0o700)
    if key:
        for suffix in ("", ".pub"):
            (ssh / f"id_ed25519{suffix}").write_bytes(Path(f"{client_keys['plain']}{suffix}").read_bytes())
        (ssh / "id_ed25519").chmod(0o600)
    if config:
        (ssh / "config").write_text(config)
    return home


def trust(home: Path, *hosts: SshHost) -> None:
    with open(home / ".ssh" / "known_hosts", "a") as out:
        for host in hosts:
            out.write(f"[127.0.0.1]:{host.port} {host.public_host_key()}\n")


@pytest.fixture
def private_home(monkeypatch, tmp_path):
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)

    def use(home: Path) -> Path:
        monkeypatch.setenv("HOME", str(home))
        return home

    return use


def uri_for(host: SshHost, user: str = "root", path: str = "system") -> str:
    return f"qemu+ssh://{user}@127.0.0.1:{host.port}/{path}"


def only_host(app):
    hosts = list(app.inventory.hosts.values())
    assert len(hosts) == 1, hosts
    return hosts[0]


def state_of(app, uri: str):
    for host in app.inventory.hosts.values():
        if host.uri == uri:
            return host
    return None


def screen_name(app) -> str:
    return type(app.screen).__name__


def virsh_hostname(testbed: Testbed) -> str:
    return testbed.virsh("hostname").strip()


# -- tests ----------------------------------------------------------------------------


async def test_key_auth_unknown_host_key_accepted_then_remembered(tmp_path, testbed, main_host, client_keys,
                                                                   private_home, h5_pool):
    home = private_home(make_home(tmp_path, client_keys))
    uri = uri_for(main_host)
    before = len(main_host.accepted())
    app = app_for(tmp_path, uri, refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "HostKeyScreen", timeout=20, what="the host key modal")
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        fingerprint = subprocess.run(["ssh-keygen", "-lf", f"{main_host.host_key}.pub"], capture_output=True,
                                     text=True, check=True).stdout.split()[1]
        assert fingerprint in text and "ssh-ed25519" in text and f"[127.0.0.1]:{main_host.port}" in text
        await pilot.press("y")
        await wait_for(pilot, lambda: only_host(app).state.value == "connected", timeout=30, what="connected")
        host = only_host(app)
        assert host.hostname == virsh_hostname(testbed)
        # Host facts come over the same SSH connection: the Hosts view asks for them.
        await pilot.press("4")
        await wait_for(pilot, lambda: host.conn_id in app.shell_facts and str(h5_pool) in
                       app.shell_facts[host.conn_id].disks, timeout=40, what="host facts with the pool's disk")
        facts = app.shell_facts[host.conn_id]
        size, available = facts.disks[str(h5_pool)]
        df = subprocess.run(["df", "-PB1", str(h5_pool)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[-1].split()
        assert size == int(df[1]) and abs(available - int(df[3])) < 256 << 20
        assert facts.error is None, facts.error
        assert facts.dev_kvm == Path("/dev/kvm").exists()
        assert facts.load is not None and facts.ksm.get("run") == int(Path("/sys/kernel/mm/ksm/run").read_text())
        assert any("QEMU: Checking" in line for line in facts.validate)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "HostSheet", what="the host sheet")
        sheet = "\n".join(_screen_text(app))
        assert "Load average" in sheet and "/dev/kvm" in sheet and "Disk under pool vd-h5-pool" in sheet
        # Exactly one SSH login carried the libvirt connection, the tunnel probe and the facts;
        # one sshd session process serves it.
        assert len(main_host.sessions()) == 1, main_host.sessions()
        await wait_for(pilot, lambda: len(main_host.accepted()) == before + 1, what="one login")
        assert "publickey" in main_host.accepted()[-1]
        assert app.ssh.last_tunnel_mode == "forward"
        known = (home / ".ssh" / "known_hosts").read_text()
        assert f"[127.0.0.1]:{main_host.port} {main_host.public_host_key()}" in known

    # Second start: the key is known, no modal at all.
    app = app_for(tmp_path, uri, refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        seen: list[str] = []

        def connected() -> bool:
            seen.append(screen_name(app))
            return only_host(app).state.value == "connected"

        await wait_for(pilot, connected, timeout=30, what="connected again without a prompt")
        assert "HostKeyScreen" not in seen


async def test_changed_host_key_is_refused_loudly_without_a_modal(tmp_path, testbed, main_host, client_keys,
                                                                  private_home):
    home = private_home(make_home(tmp_path, client_keys))
    impostor = keygen(tmp_path / "impostor", comment="impostor")
    key = " ".join(Path(f"{impostor}.pub").read_text().split()[:2])
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{main_host.port} {key}\n")
    before = len(main_host.accepted())
    app = app_for(tmp_path, uri_for(main_host), refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        seen: list[str] = []

        def failed() -> bool:
            seen.append(screen_name(app))
            return only_host(app).state.value == "failed"

        await wait_for(pilot, failed, timeout=30, what="refused")
        error = only_host(app).last_error
        assert "host key CHANGED" in error and "man-in-the-middle" in error and "known_hosts yourself" in error
        assert "HostKeyScreen" not in seen and "SecretScreen" not in seen
        await pilot.press("4")
        await wait_for(pilot, lambda: screen_name(app) == "HostsScreen")
        assert any("CHANGED" in line for line in _screen_text(app))
    assert len(main_host.accepted()) == before  # never logged in
    assert (home / ".ssh" / "known_hosts").read_text().count("\n") == 1  # left alone


def _screen_text(app) -> list[str]:
    lines = []
    for widget in app.screen.query("*"):
        render = getattr(widget, "render_line", None)
        if render is None or not widget.size.height:
            continue
        try:
            lines += [render(y).text for y in range(widget.size.height)]
        except Exception:
            continue
    lines += [str(n.message) for n in app._notifications]
    return lines


async def test_password_typed_into_the_modal(tmp_path, testbed, password_host, client_keys, private_home):
    home = private_home(make_home(tmp_path, client_keys, key=False))
    trust(home, password_host)
    uri = uri_for(password_host, USER)
    app = app_for(tmp_path, uri, refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SecretScreen", timeout=20, what="the password modal")
        assert app.screen.kind == "password" and USER in app.screen.host
        await pilot.press(*PASSWORD)
        await pilot.press("enter")
        # The password opens the SSH session and the tunnel; libvirtd then refuses an ordinary user
        # (it asks polkit, which does not run on this machine), in libvirt's own words.
        await wait_for(pilot, lambda: only_host(app).last_error is not None, timeout=30, what="libvirt's verdict")
        assert only_host(app).state.value == "failed"
        assert "Unable to get system bus connection" in only_host(app).last_error, only_host(app).last_error
        # Retrying cannot help (no polkit), so it is not retried on its own; `r` retries, reusing the session.
        first = only_host(app).changed_at
        app.fleet.reconnect(only_host(app).conn_id)
        await wait_for(pilot, lambda: only_host(app).changed_at > first and only_host(app).state.value == "failed",
                       timeout=30, what="a second attempt")
        assert screen_name(app) != "SecretScreen"  # the SSH session is reused: no second prompt
        accepted = password_host.accepted()
        assert len([line for line in accepted if f"Accepted password for {USER}" in line]) == 1, accepted
    assert PASSWORD not in (tmp_path / "config.toml").read_text()


async def test_wrong_password_is_reported(tmp_path, testbed, password_host, client_keys, private_home):
    home = private_home(make_home(tmp_path, client_keys, key=False))
    trust(home, password_host)
    app = app_for(tmp_path, uri_for(password_host, USER), refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        for attempt in range(3):
            await wait_for(pilot, lambda: screen_name(app) == "SecretScreen", timeout=20, what=f"prompt {attempt}")
            if attempt:
                assert "Permission denied, please try again" in app.screen.prompt
            screen = app.screen
            await pilot.press(*"wrong", "enter")
            await wait_for(pilot, lambda: app.screen is not screen, what="prompt answered")
        await wait_for(pilot, lambda: only_host(app).state.value == "failed", timeout=30, what="refused")
        error = only_host(app).last_error
        assert "Permission denied (" in error and "password" in error and "authentication refused" in error


async def test_encrypted_key_passphrase_typed_into_the_modal(tmp_path, testbed, main_host, client_keys,
                                                              private_home):
    config = f"Host vd-h5-locked\n  HostName 127.0.0.1\n  Port {main_host.port}\n  User root\n" \
             f"  IdentityFile {client_keys['locked']}\n"
    home = private_home(make_home(tmp_path, client_keys, key=False, config=config))
    trust(home, main_host)
    before = len(main_host.accepted())
    app = app_for(tmp_path, "qemu+ssh://vd-h5-locked/system", refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SecretScreen", timeout=20, what="the passphrase modal")
        assert app.screen.kind == "passphrase" and str(client_keys["locked"]) in app.screen.prompt
        await pilot.press(*PASSPHRASE, "enter")
        await wait_for(pilot, lambda: only_host(app).state.value == "connected", timeout=30, what="connected")
    assert len(main_host.accepted()) == before + 1
    fingerprint = subprocess.run(["ssh-keygen", "-lf", f"{client_keys['locked']}.pub"], capture_output=True,
                                 text=True, check=True).stdout.split()[1]
    assert fingerprint in main_host.accepted()[-1]


async def test_fallback_exec_channel_when_forwarding_is_refused(tmp_path, testbed, sshd_factory, client_keys,
                                                                private_home):
    host = sshd_factory("nofwd", "AllowStreamLocalForwarding no", "AllowTcpForwarding no")
    home = private_home(make_home(tmp_path, client_keys))
    trust(home, host)
    app = app_for(tmp_path, uri_for(host), refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: only_host(app).state.value == "connected", timeout=30, what="connected")
        assert app.ssh.last_tunnel_mode.startswith("exec:")
        assert only_host(app).hostname == virsh_hostname(testbed)
    assert len(host.accepted()) == 1


async def test_sshd_stopped_mid_session_and_restarted_heals(tmp_path, testbed, sshd_factory, main_host, client_keys,
                                                            private_home):
    flaky = sshd_factory("flaky")
    home = private_home(make_home(tmp_path, client_keys))
    trust(home, flaky, main_host)
    flaky_uri, steady_uri = uri_for(flaky), uri_for(main_host)
    app = app_for(tmp_path, flaky_uri, steady_uri, refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: all(state_of(app, u) and state_of(app, u).state.value == "connected"
                                          for u in (flaky_uri, steady_uri)), timeout=30, what="both connected")
        flaky.stop(sessions_too=True)
        await wait_for(pilot, lambda: state_of(app, flaky_uri).state.value in ("lost", "retrying"), timeout=20,
                       what="the host marked lost")
        assert state_of(app, steady_uri).state.value == "connected"
        flaky.start()
        await wait_for(pilot, lambda: state_of(app, flaky_uri).state.value == "connected", timeout=40,
                       what="healed")
        assert state_of(app, steady_uri).state.value == "connected"
        assert len(flaky.accepted()) == 2  # one login before, one after


async def test_jump_host_from_ssh_config(tmp_path, testbed, sshd_factory, main_host, client_keys, private_home):
    jump = sshd_factory("jump")
    config = f"Host vd-h5-behind\n  HostName 127.0.0.1\n  Port {main_host.port}\n  User root\n" \
             f"  ProxyJump root@127.0.0.1:{jump.port}\n"
    home = private_home(make_home(tmp_path, client_keys, config=config))
    trust(home, jump, main_host)
    main_before, jump_before = len(main_host.accepted()), len(jump.accepted())
    app = app_for(tmp_path, "qemu+ssh://vd-h5-behind/system", refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: only_host(app).state.value == "connected", timeout=30, what="connected")
    assert len(jump.accepted()) == jump_before + 1
    accepted = main_host.accepted()
    assert len(accepted) == main_before + 1
    # The jump host was asked to open the way on to the target (it forwards, it does not log in further).
    jump_log = jump.log.read_text()
    assert "Accepted publickey for root" in jump_log


async def test_several_hosts_one_prompt_at_a_time(tmp_path, testbed, sshd_factory, client_keys, private_home):
    hosts = [sshd_factory(f"fleet{i}") for i in range(3)]
    private_home(make_home(tmp_path, client_keys))
    uris = [uri_for(h) for h in hosts]
    app = app_for(tmp_path, *uris, refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        for round_ in range(3):
            await wait_for(pilot, lambda: screen_name(app) == "HostKeyScreen", timeout=30, what=f"modal {round_}")
            stacked = [type(s).__name__ for s in app.screen_stack]
            assert stacked.count("HostKeyScreen") == 1, stacked
            screen = app.screen
            await pilot.press("y")
            await wait_for(pilot, lambda: app.screen is not screen, what="modal closed")
        await wait_for(pilot, lambda: all(state_of(app, u) and state_of(app, u).state.value == "connected"
                                          for u in uris), timeout=40, what="all three connected")
        await pilot.press("4")
        await wait_for(pilot, lambda: screen_name(app) == "HostsScreen")
        assert len(app.screen.table.rows) == 3
    for host in hosts:
        assert len(host.accepted()) == 1


async def test_ui_answers_keys_while_an_ssh_connect_hangs(tmp_path, testbed, client_keys, private_home):
    private_home(make_home(tmp_path, client_keys))
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_stay_silent() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept_and_stay_silent, daemon=True).start()
    try:
        app = app_for(tmp_path, f"qemu+ssh://root@127.0.0.1:{port}/system", refresh="60")
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_for(pilot, lambda: bool(held), timeout=10, what="the SSH connect under way")
            for key, mode in (("4", "HostsScreen"), ("2", "NetworksScreen"), ("1", "GuestsScreen")):
                await pilot.press(key)
                await wait_for(pilot, lambda: screen_name(app) == mode, timeout=2, what=mode)
                assert only_host(app).state.value == "connecting"
            await wait_for(pilot, lambda: only_host(app).state.value == "retrying", timeout=20,
                           what="the connect timed out")
            assert "timed out" in only_host(app).last_error
    finally:
        stop.set()
        listener.close()
        for conn in held:
            conn.close()


async def test_refused_port_is_unreachable(tmp_path, testbed, client_keys, private_home):
    private_home(make_home(tmp_path, client_keys))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = app_for(tmp_path, f"qemu+ssh://root@127.0.0.1:{port}/system", refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: only_host(app).state.value == "retrying", timeout=20, what="retrying")
        assert "unreachable: connection refused" in only_host(app).last_error


def test_qemu_img_info_check_convert_over_the_same_ssh_connection(tmp_path, testbed, main_host, client_keys,
                                                                  private_home):
    from tui.backend.ssh import SshTransport
    from tui.backend.ssh_images import DiskImages, ImageError

    home = private_home(make_home(tmp_path, client_keys))
    trust(home, main_host)
    images = tmp_path / "vd-h5 images [1]"
    images.mkdir()
    source = images / "vd-h5-disk.raw"
    with open(source, "wb") as out:
        for _ in range(48):
            out.write(os.urandom(1 << 19) + bytes(1 << 19))  # half noise, half zeros: compression has work
    transport = SshTransport(known_hosts=[home / ".ssh" / "known_hosts"])
    before = len(main_host.accepted())
    try:
        uri = uri_for(main_host)
        disks = DiskImages(transport)
        assert disks.info(uri, str(source))["format"] == "raw"
        seen: list[float] = []
        target = disks.convert(uri, str(source), "vd-h5 copy.qcow2", "qcow2", True, seen.append)
        assert target == str(images / "vd-h5 copy.qcow2")
        assert seen and seen[-1] == 100.0 and len(seen) >= 3, seen
        local = subprocess.run(["qemu-img", "info", "--output=json", target], capture_output=True, text=True,
                               check=True).stdout
        assert '"format": "qcow2"' in local
        check = disks.check(uri, target)
        assert check.exit_status == 0 and check.verdict == "no errors" and check.report["check-errors"] == 0
        with pytest.raises(ImageError, match="already exists"):
            disks.convert(uri, str(source), "vd-h5 copy.qcow2", "raw", False)
        with pytest.raises(ImageError):
            disks.info(uri, str(images / "missing.img"))
        # The converted image and the source compare equal.
        subprocess.run(["qemu-img", "compare", str(source), target], check=True, capture_output=True)
        assert len(main_host.accepted()) == before + 1
    finally:
        transport.close()


def test_nothing_draws_over_the_tui_during_a_password_prompt(tmp_path, testbed, password_host, client_keys):
    import re
    import sys

    from tests.ptyharness import PtyApp

    home = make_home(tmp_path, client_keys, key=False)
    trust(home, password_host)
    env = dict(os.environ, HOME=str(home), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.pop("SSH_AUTH_SOCK", None)
    root = Path(__file__).resolve().parents[2]
    argv = [sys.executable, "-m", "tui", "-c", uri_for(password_host, USER)]
    with PtyApp(argv, env=env, cwd=str(root), size=(160, 40), label="virtdeck") as app:
        app.wait_for(lambda a: a.contains(f"{USER}@127.0.0.1's password:"), what="the password modal", deadline=30)
        app.send(PASSWORD)
        app.send("\r")
        app.wait_for(lambda a: not a.contains("password:"), what="the modal closed", deadline=20)
        app.wait_for(lambda a: any(f"Accepted password for {USER}" in line for line in password_host.accepted()),
                     what="the login", deadline=20)
        screen = app.lines_text()
        app.quit()
    raw = bytes(app.raw)
    assert PASSWORD.encode() not in raw  # typed into a masked field, never echoed
    assert b"password:" not in raw.replace(f"{USER}@127.0.0.1's password:".encode(), b"")
    escape_at_end = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]$")
    stray = [m.start() for m in re.finditer(rb"\r\n", raw)
             if not escape_at_end.search(raw[max(0, m.start() - 24):m.start()])]
    assert not stray, [raw[max(0, i - 80):i + 2] for i in stray[:3]]
    assert screen[0].startswith(" virtdeck"), screen[0]


async def test_remote_socket_missing_then_not_permitted(tmp_path, testbed, password_host, client_keys, private_home):
    import pwd

    home = private_home(make_home(tmp_path, client_keys, key=False))
    trust(home, password_host)
    user_home = Path(pwd.getpwnam(USER).pw_dir)
    sock_dir = user_home / ".cache" / "libvirt"
    sock_path = sock_dir / "libvirt-sock"
    sock_path.unlink(missing_ok=True)
    app = app_for(tmp_path, uri_for(password_host, USER, "session"), refresh="60")
    blocker = None
    try:
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "SecretScreen", timeout=20, what="the password modal")
            await pilot.press(*PASSWORD, "enter")
            await wait_for(pilot, lambda: only_host(app).last_error is not None, timeout=30, what="an error")
            assert "libvirt is not running on" in only_host(app).last_error
            assert only_host(app).state.value == "retrying"
            # A socket the user may not open: root's, mode 0600.
            sock_dir.mkdir(parents=True, exist_ok=True)
            for part in (user_home / ".cache", sock_dir):
                part.chmod(0o755)
            blocker = socket.socket(socket.AF_UNIX)
            blocker.bind(str(sock_path))
            sock_path.chmod(0o600)
            await wait_for(pilot, lambda: only_host(app).state.value == "failed", timeout=40, what="not permitted")
            assert "not permitted" in only_host(app).last_error and str(sock_path) in only_host(app).last_error
            assert screen_name(app) != "SecretScreen"
        assert len([line for line in password_host.accepted() if USER in line]) >= 1
    finally:
        if blocker is not None:
            blocker.close()
        sock_path.unlink(missing_ok=True)


async def test_agent_key_and_no_key_files(tmp_path, testbed, main_host, client_keys, monkeypatch):
    home = make_home(tmp_path, client_keys, key=False)
    trust(home, main_host)
    monkeypatch.setenv("HOME", str(home))
    agent_sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(agent_sock)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        wait_until(agent_sock.exists, timeout=10, what="ssh-agent's socket")
        env = dict(os.environ, SSH_AUTH_SOCK=str(agent_sock))
        subprocess.run(["ssh-add", str(client_keys["plain"])], env=env, check=True, capture_output=True)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(agent_sock))
        before = len(main_host.accepted())
        app = app_for(tmp_path, uri_for(main_host), refresh="60")
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_for(pilot, lambda: only_host(app).state.value == "connected", timeout=30, what="connected")
        assert len(main_host.accepted()) == before + 1
    finally:
        agent.terminate()
        agent.wait(10)


async def test_ssh_libvirt_setting_leaves_ssh_to_libvirt(tmp_path, testbed, main_host, client_keys, private_home):
    from tui.app import VirtdeckApp
    from tui.cli import settings_from

    private_home(make_home(tmp_path, client_keys))  # key present, host key NOT in known_hosts
    uri = uri_for(main_host)
    config = tmp_path / "config.toml"
    config.write_text(f'resync = 86400\n[[connection]]\nuri = "{uri}"\nssh = "libvirt"\n', encoding="utf-8")
    app = VirtdeckApp(settings_from(["--config", str(config), "--refresh", "60"]))
    async with app.run_test(size=(160, 40)) as pilot:
        seen: list[str] = []

        def failed() -> bool:
            seen.append(screen_name(app))
            return only_host(app).state.value == "failed"

        # libvirt's ssh (no_tty=1, BatchMode) cannot ask about the unknown host key: it fails, no modal.
        await wait_for(pilot, failed, timeout=30, what="libvirt's ssh refusing")
        assert "HostKeyScreen" not in seen
        assert "verification failed" in only_host(app).last_error.lower()
        assert app.fleet.connections[0].transport is None


async def test_two_libvirt_connections_share_one_ssh_connection(tmp_path, testbed, main_host, client_keys,
                                                                private_home):
    home = private_home(make_home(tmp_path, client_keys))
    trust(home, main_host)
    # Both resolve to (root, 127.0.0.1, port): the user of the first comes from the local login.
    uris = [uri_for(main_host), f"qemu+ssh://127.0.0.1:{main_host.port}/system"]
    before = len(main_host.accepted())
    app = app_for(tmp_path, *uris, refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.inventory.hosts) == 2 and all(
            h.state.value == "connected" for h in app.inventory.hosts.values()), timeout=30, what="both connected")
        await pilot.press("4")
        await wait_for(pilot, lambda: len(app.shell_facts) == 2, timeout=40, what="facts for both")
        assert len(main_host.sessions()) == 1
    assert len(main_host.accepted()) == before + 1


async def test_keyboard_interactive_question_answered_in_the_modal(tmp_path, testbed, sshd_factory, password_host,
                                                                   client_keys, private_home):
    # PAM asks its own "Password:" question over keyboard-interactive.
    host = sshd_factory("kbdint", "UsePAM yes", "KbdInteractiveAuthentication yes", "PasswordAuthentication no",
                        "PubkeyAuthentication no")
    home = private_home(make_home(tmp_path, client_keys, key=False))
    trust(home, host)
    app = app_for(tmp_path, uri_for(host, USER), refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SecretScreen", timeout=20, what="the PAM question")
        assert app.screen.kind == "kbdint" and "password" in app.screen.prompt.lower()
        await pilot.press(*PASSWORD, "enter")
        await wait_for(pilot, lambda: any(USER in line and "keyboard-interactive" in line for line in host.accepted()),
                       timeout=20, what="the login")


async def test_two_hop_proxy_jump(tmp_path, testbed, sshd_factory, main_host, client_keys, private_home):
    first, second = sshd_factory("hop1"), sshd_factory("hop2")
    config = f"Host vd-h5-far\n  HostName 127.0.0.1\n  Port {main_host.port}\n  User root\n" \
             f"  ProxyJump root@127.0.0.1:{first.port},root@127.0.0.1:{second.port}\n"
    home = private_home(make_home(tmp_path, client_keys, config=config))
    trust(home, first, second, main_host)
    main_before = len(main_host.accepted())
    app = app_for(tmp_path, "qemu+ssh://vd-h5-far/system", refresh="60")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: only_host(app).state.value == "connected", timeout=30, what="connected")
    # Every hop logged in once (a last-hop-only jump would leave the first hop unused).
    assert len(first.accepted()) == 1 and len(second.accepted()) == 1
    assert len(main_host.accepted()) == main_before + 1


def _export(tmp_path: Path, home: Path, uri: str) -> subprocess.CompletedProcess:
    import sys

    env = dict(os.environ, HOME=str(home), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.pop("SSH_AUTH_SOCK", None)
    return subprocess.run([sys.executable, "-m", "tui", "--export", "guests", "--format", "json", "--no-stats",
                           "--timeout", "30", "--connect", uri],
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                          start_new_session=True)


def test_export_goes_through_virtdeck_own_ssh_and_never_asks(tmp_path, testbed, sshd_factory, client_keys):
    """sshd's own log says how the rows came: a forwarded socket channel on one login (libvirt's
    ssh transport would run `nc` or `virt-ssh-helper` in a session channel instead)."""
    import json

    host = sshd_factory("export", "LogLevel DEBUG1")
    home = make_home(tmp_path, client_keys)
    trust(home, host)
    before = len(host.accepted())
    done = _export(tmp_path, home, uri_for(host))
    assert done.returncode == 0, done.stderr
    names = [line for line in testbed.virsh("list", "--all", "--name").splitlines() if line.strip()]
    assert sorted(row["name"] for row in json.loads(done.stdout)["rows"]) == sorted(names)
    assert len(host.accepted()) == before + 1 and "publickey" in host.accepted()[-1]
    log = host.log.read_text(errors="replace")
    assert "ctype direct-streamlocal@openssh.com" in log, log[-2000:]
    assert "virt-ssh-helper" not in log and " nc " not in log

    # A host key nobody accepted yet: refused, said on stderr, and nothing waits for an answer.
    stranger = make_home(tmp_path / "stranger", client_keys)
    done = _export(tmp_path, stranger, uri_for(host))
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "127.0.0.1" in done.stderr and "host key refused" in done.stderr, done.stderr
    assert "accept a new host key by connecting once" in done.stderr, done.stderr
    assert json.loads(done.stdout)["rows"] == []
