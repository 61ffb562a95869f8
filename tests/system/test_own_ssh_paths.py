"""Console, stats, lifecycle, volume upload/download and migration through virtdeck's own
SSH: a `qemu+ssh://root@127.0.0.1:PORT/system` URI without `command=`, which virtdeck
carries over its asyncssh connection (a tunnel to a local socket), not libvirt's `ssh`.

The way is proven from outside the app, for every test: libvirt's client RPC trace shows
that every libvirt connection the app opened went to the tunnel's local socket (or to the
second host's own socket), none to libvirtd's socket; the sshd in front of the host logged
exactly one login for the run and serves exactly one session; the connection's transport
is virtdeck's SshTransport.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests import rpc_trace as rpc
from tests.app.conftest import wait_for
from tests.rpc_trace import RpcTrace
from tests.testbed.ssh_hosts import SshHost, keygen
from tui.backend.ssh import SshTransport

from .conftest import Testbed, TinyGuest
from .test_console import last_line, lines, login, logout, open_console, run
from .test_stats import app_for, stats_of
from .test_volumes import holey_file, notices, recording, wait_said

SYSTEM_SOCKET = "/run/libvirt/libvirt-sock"
POOL = "vd-own-pool"
GUEST = "vd-own [x] <&>é"


def tunnelled(path: str) -> bool:
    """A local socket of virtdeck's SSH tunnels (SshTransport makes them in a virtdeck-ssh-* directory)."""
    return Path(path).parent.name.startswith("virtdeck-ssh-")


# -- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def ssh_host(tmp_path_factory, testbed: Testbed):
    """An sshd of its own on a loopback port in front of the system libvirtd, and a client
    HOME whose key it accepts and whose known_hosts trusts it."""
    root = tmp_path_factory.mktemp("vd-own-ssh")
    key = keygen(root / "id_ed25519", comment="vd-own-client")
    authorized = root / "authorized_keys"
    authorized.write_text(Path(f"{key}.pub").read_text())
    host = SshHost("vd-own", root, authorized)
    host.start()
    home = root / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    for suffix in ("", ".pub"):
        (home / ".ssh" / f"id_ed25519{suffix}").write_bytes(Path(f"{key}{suffix}").read_bytes())
    (home / ".ssh" / "id_ed25519").chmod(0o600)
    (home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{host.port} {host.public_host_key()}\n")
    host.home = home
    host.uri = f"qemu+ssh://root@127.0.0.1:{host.port}/system"
    yield host
    host.stop()


@pytest.fixture
def own_ssh(ssh_host: SshHost, monkeypatch) -> SshHost:
    """The host, with HOME pointing at the client side (no agent, no /root/.ssh)."""
    monkeypatch.setenv("HOME", str(ssh_host.home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return ssh_host


class Proof:
    """Checks, after an app ran, that its libvirt traffic went through virtdeck's SSH."""

    def __init__(self, host: SshHost, trace: RpcTrace, also: set[str] = frozenset()):
        self.host, self.trace, self.also = host, trace, also
        self.logins = len(host.accepted())

    def during(self, app) -> None:
        """While the app runs: its connection to the host is carried by SshTransport over one session."""
        ours = [c for c in app.fleet.connections if c.uri == self.host.uri]
        assert len(ours) == 1 and isinstance(ours[0].transport, SshTransport), ours
        assert len(self.host.sessions()) == 1, self.host.sessions()

    def after(self) -> list[rpc.Call]:
        """The calls made through the tunnel; every client went to the tunnel or to `also`."""
        sockets = self.trace.sockets()
        assert sockets, "libvirt's trace saw no client socket"
        assert all(tunnelled(s) or s in self.also for s in sockets), sockets
        assert not self.trace.calls(socket=SYSTEM_SOCKET)
        through = self.trace.calls(socket=tunnelled)
        assert through, "no libvirt call went through the tunnel"
        accepted = self.host.accepted()[self.logins:]
        assert len(accepted) == 1 and "Accepted publickey for root" in accepted[0], accepted
        return through


def guest_row(app, name: str, conn_id: str) -> str:
    table = app.screen.table
    return next(k for k in table._cells if app.screen.split_key(k)[0] == conn_id
                and app.inventory.guests[app.screen.split_key(k)].name == name)


def select(app, key: str) -> None:
    app.screen.table.move_cursor(row=app.screen.table.get_row_index(key))


def conn_id_of(app, uri: str) -> str:
    return next(h.conn_id for h in app.inventory.hosts.values() if h.uri == uri)


def domstate(testbed: Testbed, name: str, uri: str | None = None) -> str:
    return testbed.virsh("domstate", name, uri=uri).strip()


def shown_state(app, name: str, conn_id: str) -> str | None:
    return next((g.state for g in app.inventory.guests.values() if g.name == name and g.conn_id == conn_id), None)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- tests ---------------------------------------------------------------------------


async def test_console_login_and_live_stats_through_the_tunnel(tmp_path, testbed: Testbed, tiny_guest: TinyGuest,
                                                               own_ssh: SshHost):
    app = app_for(tmp_path, own_ssh.uri)
    with RpcTrace(tmp_path / "rpc.log") as trace:
        proof = Proof(own_ssh, trace)
        async with app.run_test(size=(180, 45)) as pilot:
            await wait_for(pilot, lambda: any(h.state.value == "connected" for h in app.inventory.hosts.values()),
                           timeout=30, what="connected over virtdeck's SSH")
            proof.during(app)
            # live stats of the running shared guest
            await wait_for(pilot, lambda: (s := stats_of(app, tiny_guest.name)) is not None
                           and s.cpu_percent is not None, timeout=20, what="a CPU rate for vd-tiny")
            # the table shows it once the coalesced refresh after the sample has run
            await wait_for(pilot, lambda: next(c for c in app.screen.table._cells.values()
                                               if c[0].plain == tiny_guest.name)[
                               app.screen.table.column_keys.index("cpu")].plain.endswith("%"),
                           what="the CPU figure in vd-tiny's row")
            # its serial console: log in, run a command, log out
            pane = await open_console(pilot, app, tiny_guest.name, own_ssh.uri)
            await login(pilot, pane)
            await run(pilot, pane, "echo own-ssh-$((6*7))", "own-ssh-42")
            await logout(pilot, pane)
            assert last_line(pane).startswith("tiny login:"), lines(pane)
            proof.during(app)
    through = proof.after()
    assert sum(c.proc == rpc.CONNECT_GET_ALL_DOMAIN_STATS for c in through) >= 2


async def test_lifecycle_and_migration_through_the_tunnel(tmp_path, testbed: Testbed, own_ssh: SshHost):
    second = testbed.env["TESTBED_SECOND_URI"]
    second_socket = second.split("socket=", 1)[1]
    for uri in (None, second):
        testbed.remove_domain(GUEST, uri=uri)
    path = testbed.state_dir / "vd-own.xml"
    path.write_text(testbed.guest_xml(GUEST, serial_log=None))  # no disk, no NIC: nothing to share
    testbed.virsh("define", str(path))
    app = recording(app_for(tmp_path, own_ssh.uri, second, refresh="60"))
    try:
        with RpcTrace(tmp_path / "rpc.log") as trace:
            proof = Proof(own_ssh, trace, also={second_socket})
            async with app.run_test(size=(200, 45)) as pilot:
                await wait_for(pilot, lambda: len(app.inventory.hosts) == 2 and all(
                    h.state.value == "connected" for h in app.inventory.hosts.values()), timeout=40,
                    what="the tunnelled host and the second host connected")
                proof.during(app)
                here, there = conn_id_of(app, own_ssh.uri), conn_id_of(app, second)
                await wait_for(pilot, lambda: shown_state(app, GUEST, here) == "shut off", timeout=20,
                               what="the guest listed")
                row = guest_row(app, GUEST, here)

                async def press(key: str, state: str, shown: str, confirm: bool = False) -> None:
                    select(app, row)
                    await pilot.press(key)
                    if confirm:
                        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
                        await pilot.press("y")
                    await wait_for(pilot, lambda: domstate(testbed, GUEST) == state, timeout=60,
                                   what=f"{state} after {key}")
                    await wait_for(pilot, lambda: shown_state(app, GUEST, here) == shown, timeout=20,
                                   what=f"shown {shown}")

                await press("s", "running", "running")
                await press("p", "paused", "paused")
                await press("p", "running", "running")
                await press("F", "shut off", "shut off", confirm=True)
                await press("s", "running", "running")

                # live to the second host: the source's side of it goes through the tunnel
                select(app, row)
                await pilot.press("M")
                await wait_for(pilot, lambda: type(app.screen).__name__ == "MigrateGuestScreen")
                app.screen.query_one("#target").value = there
                app.screen.query_one("#address").value = "tcp://127.0.0.1"
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: "now (running)" in notices(app), timeout=120, what="migrated live")
                assert domstate(testbed, GUEST, uri=second) == "running"
                assert GUEST not in testbed.virsh("list", "--all", "--name").splitlines()
                await wait_for(pilot, lambda: shown_state(app, GUEST, there) == "running", timeout=20)

                # shut off there, then back offline: the definition arrives through the tunnel
                testbed.virsh("destroy", GUEST, uri=second)
                await wait_for(pilot, lambda: shown_state(app, GUEST, there) == "shut off", timeout=20)
                select(app, guest_row(app, GUEST, there))
                await pilot.press("M")
                await wait_for(pilot, lambda: type(app.screen).__name__ == "MigrateGuestScreen")
                app.screen.query_one("#target").value = here
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: "now (shut off)" in notices(app), timeout=60, what="migrated offline")
                assert domstate(testbed, GUEST) == "shut off"
                assert GUEST not in testbed.virsh("list", "--all", "--name", uri=second).splitlines()
                proof.during(app)
        proof.after()
    finally:
        for uri in (None, second):
            testbed.remove_domain(GUEST, uri=uri)


async def test_volume_upload_and_download_through_the_tunnel(tmp_path, testbed: Testbed, own_ssh: SshHost):
    local = holey_file(tmp_path / "holey.raw")
    back = tmp_path / "back.raw"
    pool_dir = Path(testbed.kernel).parent / POOL
    with testbed.dir_pool(POOL, pool_dir):
        app = recording(app_for(tmp_path, own_ssh.uri, refresh="60"))
        with RpcTrace(tmp_path / "rpc.log") as trace:
            proof = Proof(own_ssh, trace)
            async with app.run_test(size=(180, 50)) as pilot:
                await wait_for(pilot, lambda: any(p.name == POOL for p in app.inventory.pools.values()), timeout=30,
                               what="the pool, over the tunnel")
                proof.during(app)
                await pilot.press("3")
                await wait_for(pilot, lambda: type(app.screen).__name__ == "StorageScreen"
                               and any(c[0].plain == POOL for c in app.screen.table._cells.values()))
                table = app.screen.table
                select(app, next(k for k, c in table._cells.items() if c[0].plain == POOL))
                await pilot.press("enter")
                await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen" and app.inventory.volumes.get(
                    (app.screen.conn_id, app.screen.pool_uuid)) is not None, what="the volumes screen")

                await pilot.press("u")
                await wait_for(pilot, lambda: type(app.screen).__name__ == "UploadVolumeScreen")
                app.screen.query_one("#path").value = str(local)
                app.screen.query_one("#name").value = "vd-own-up.raw"
                await pilot.press("ctrl+s")
                await wait_said(pilot, lambda: "vd-own-up.raw" in notices(app), timeout=60, what="uploaded")
                assert "failed" not in notices(app)
                assert sha256(pool_dir / "vd-own-up.raw") == sha256(local)

                await wait_for(pilot, lambda: any(c[0].plain == "vd-own-up.raw"
                                                  for c in app.screen.table._cells.values()), timeout=30)
                select(app, next(k for k, c in app.screen.table._cells.items() if c[0].plain == "vd-own-up.raw"))
                await pilot.press("w")
                await wait_for(pilot, lambda: type(app.screen).__name__ == "DownloadVolumeScreen")
                app.screen.query_one("#path").value = str(back)
                await pilot.press("ctrl+s")
                await wait_said(pilot, lambda: f"→ {back}" in notices(app), timeout=60, what="downloaded")
                assert sha256(back) == sha256(local)
                proof.during(app)
        proof.after()
