"""SSH owned by virtdeck (asyncssh): one connection per (user, host, port) carries the
libvirt tunnel and every host-side command.

Everything asyncssh does runs on one event loop in a daemon thread of its own;
blocking callers (connection workers) wait on `run()`. Questions for the user
(host keys, passwords, passphrases) go through a `Prompter` the UI implements,
one at a time.
"""

from __future__ import annotations

import asyncio
import getpass
import importlib
import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from .transport import TransportError


class _OnFirstUse:
    """A module imported when one of its names is first used. asyncssh (and the
    cryptography it loads) costs ~18 MB; a dashboard with no owned SSH host never pays it."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name)
        self.__dict__.update(vars(module))
        return getattr(module, attr)


asyncssh = _OnFirstUse("asyncssh")
ssh_auth = _OnFirstUse(f"{__package__}.ssh_auth")
ssh_keys = _OnFirstUse(f"{__package__}.ssh_keys")
ssh_tunnel = _OnFirstUse(f"{__package__}.ssh_tunnel")

log = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT_TIMEOUT = 10.0
KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT_MAX = 3
DEFAULT_KEY_FILES = ("id_ed25519", "id_ecdsa", "id_rsa")


class Prompter(Protocol):
    """Asks the user; called on an SSH thread, blocks until answered."""

    def ask_host_key(self, host: str, keytype: str, fingerprint: str) -> bool: ...

    def ask_secret(self, host: str, kind: str, prompt: str) -> str | None:
        """kind: "password", "passphrase" or "kbdint"; None when the user cancels."""


class _Refuse:
    def ask_host_key(self, host: str, keytype: str, fingerprint: str) -> bool:
        return False

    def ask_secret(self, host: str, kind: str, prompt: str) -> str | None:
        return None


# -- the loop thread ------------------------------------------------------------

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None:
            new = asyncio.new_event_loop()
            threading.Thread(target=new.run_forever, name="ssh-loop", daemon=True).start()
            _loop = new
        return _loop


def run(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run `coro` on the SSH loop and wait for it (never call this on the SSH loop)."""
    future = asyncio.run_coroutine_threadsafe(coro, loop())
    try:
        return future.result(timeout)
    except TimeoutError:
        future.cancel()
        raise


# -- what a URI asks for ----------------------------------------------------------


@dataclass(frozen=True)
class SshTarget:
    driver: str  # "qemu"
    user: str | None
    host: str
    port: int | None
    path: str  # "/system" or "/session"

    @property
    def where(self) -> str:
        user = f"{self.user}@" if self.user else ""
        return f"{user}{self.host}" + (f":{self.port}" if self.port else "")


def owned_target(uri: str) -> SshTarget | None:
    """The target when virtdeck should carry `uri` itself: `<driver>+ssh://` without `command=`."""
    parts = urlsplit(uri)
    if not parts.scheme.endswith("+ssh") or not parts.hostname:
        return None
    if any(key == "command" for key, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return None
    path = "/" + parts.path.strip("/") if parts.path.strip("/") else "/system"
    return SshTarget(parts.scheme.split("+", 1)[0], parts.username, parts.hostname, parts.port, path)


# -- one SSH connection -------------------------------------------------------------


@dataclass
class _Session:
    key: tuple[str, str, int]
    conn: asyncssh.SSHClientConnection
    resolved: ssh_auth.Resolved
    tunnels: dict[str, ssh_tunnel.Tunnel]
    via: _Session | None = None
    closed: bool = False


class SshTransport:
    """Transport for `qemu+ssh://` URIs virtdeck carries itself (see `owned_target`)."""

    def __init__(
        self,
        prompter: Prompter | None = None,
        *,
        config_paths: list[str | Path] | None = None,
        known_hosts: list[str | Path] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        keepalive_interval: float = KEEPALIVE_INTERVAL,
        keepalive_count_max: int = KEEPALIVE_COUNT_MAX,
        use_agent: bool = True,
    ) -> None:
        self.prompter: Prompter = prompter or _Refuse()
        home = Path.home()
        default_config = home / ".ssh" / "config"
        self.config_paths = [Path(p) for p in config_paths] if config_paths is not None else (
            [default_config] if default_config.is_file() else [])
        self.known_hosts = [Path(p) for p in known_hosts] if known_hosts is not None else None
        self.connect_timeout = connect_timeout
        self.keepalive_interval = keepalive_interval
        self.keepalive_count_max = keepalive_count_max
        self.use_agent = use_agent
        self._prompt_lock = threading.Lock()  # one question on screen at a time, across hosts
        self._sessions: dict[tuple[str, str, int], _Session] = {}
        self._connecting: dict[tuple[str, str, int], asyncio.Lock] = {}
        self._socket_dir: Path | None = None
        self._socket_count = 0
        self.last_tunnel_mode: str | None = None

    # -- Transport -------------------------------------------------------------

    def libvirt_uri(self, uri: str) -> str:
        target = owned_target(uri)
        if target is None:
            raise TransportError(f"{uri} is not an SSH URI virtdeck carries", permanent=True)
        return run(self._libvirt_uri(target))

    def dropped(self, uri: str) -> None:
        target = owned_target(uri)
        if target is not None:
            run(self._check_alive(target), timeout=30)

    # -- host-side commands over the same connection -------------------------

    def run_command(self, uri: str, command: str, timeout: float | None = 60) -> tuple[int, str, str]:
        """Run `command` (a shell string) on `uri`'s host; (exit status, stdout, stderr)."""
        target = owned_target(uri)
        if target is None:
            raise TransportError(f"{uri} is not an SSH URI virtdeck carries", permanent=True)
        return run(self._run_command(target, command), timeout)

    async def _run_command(self, target: SshTarget, command: str) -> tuple[int, str, str]:
        session = await self._session(target)
        result = await session.conn.run(command, check=False)
        return (result.exit_status if result.exit_status is not None else -1,
                str(result.stdout or ""), str(result.stderr or ""))

    async def session_for(self, uri: str) -> asyncssh.SSHClientConnection:
        target = owned_target(uri)
        if target is None:
            raise TransportError(f"{uri} is not an SSH URI virtdeck carries", permanent=True)
        return (await self._session(target)).conn

    def close(self) -> None:
        if _loop is None:
            return
        try:
            run(self._close_all(), timeout=5)
        except Exception:
            log.exception("closing SSH sessions")
        if self._socket_dir is not None:
            for leftover in self._socket_dir.glob("*.sock"):
                leftover.unlink(missing_ok=True)
            try:
                self._socket_dir.rmdir()
            except OSError:
                pass

    # -- on the SSH loop ---------------------------------------------------

    async def _libvirt_uri(self, target: SshTarget) -> str:
        session = await self._session(target)
        async with self._connecting[session.key]:  # two connections to one host: one tunnel
            return await self._tunnel_uri(target, session)

    async def _tunnel_uri(self, target: SshTarget, session: _Session) -> str:
        tunnel = session.tunnels.get(target.path)
        if tunnel is None or not tunnel.local.exists():
            try:
                remote, helpers = await ssh_tunnel.remote_socket(session.conn, target.path, target.where)
                tunnel = await ssh_tunnel.open_tunnel(session.conn, self._socket_path(), remote, target.path,
                                                      helpers)
            except ssh_tunnel.RemoteSocketError as exc:
                raise TransportError(str(exc), permanent=exc.permanent) from None
            except (asyncssh.Error, OSError) as exc:
                await self._forget(session)
                raise TransportError(f"{target.where}: SSH connection failed: {_reason(exc)}") from None
            session.tunnels[target.path] = tunnel
        self.last_tunnel_mode = tunnel.mode
        return f"{target.driver}+unix://{target.path}?" + urlencode({"socket": str(tunnel.local)}, safe="/")

    async def _check_alive(self, target: SshTarget) -> None:
        resolved = self._resolve(target.user, target.host, target.port)
        session = self._sessions.get((resolved.user, resolved.host, resolved.port))
        if session is None:
            return
        if session.closed:
            await self._forget(session)
            return
        try:
            await asyncio.wait_for(session.conn.run("true", check=False), timeout=self.connect_timeout)
        except (asyncio.TimeoutError, asyncssh.Error, OSError):
            await self._forget(session)

    async def _forget(self, session: _Session) -> None:
        if self._sessions.get(session.key) is session:
            del self._sessions[session.key]
        for tunnel in session.tunnels.values():
            tunnel.close()
        session.tunnels.clear()
        session.conn.close()

    async def _close_all(self) -> None:
        for session in list(self._sessions.values()):
            await self._forget(session)

    def _socket_path(self) -> Path:
        if self._socket_dir is None or not self._socket_dir.exists():
            base = os.environ.get("XDG_RUNTIME_DIR")
            base = base if base and os.path.isdir(base) and os.access(base, os.W_OK) else None
            self._socket_dir = Path(tempfile.mkdtemp(prefix="virtdeck-ssh-", dir=base))
            self._socket_dir.chmod(0o700)
        self._socket_count += 1
        return self._socket_dir / f"s{self._socket_count}.sock"

    def _resolve(self, user: str | None, host: str, port: int | None) -> ssh_auth.Resolved:
        local_user = getpass.getuser()
        config = asyncssh.config.SSHClientConfig.load(None, [str(p) for p in self.config_paths if p.is_file()], False, False, False,
                                      local_user, user or (), host, port or ())
        real_host = str(config.get("Hostname", host) or host)
        real_port = int(port or config.get("Port", 22) or 22)
        real_user = user or str(config.get("User", local_user) or local_user)
        ssh_dir = Path.home() / ".ssh"
        configured = [Path(str(p)).expanduser() for p in (config.get("IdentityFile", ()) or ())]
        identity = [p for p in configured if p.is_file()] or \
                   [ssh_dir / name for name in DEFAULT_KEY_FILES if (ssh_dir / name).is_file()]
        if self.known_hosts is not None:
            known = list(self.known_hosts)
        else:
            listed = config.get("UserKnownHostsFile", ()) or ()
            known = [Path(str(p)).expanduser() for p in listed] or [ssh_dir / "known_hosts"]
        jump = config.get("ProxyJump")
        jump = str(jump) if jump and str(jump).lower() != "none" else None
        return ssh_auth.Resolved(host, real_host, real_port, real_user, identity, known,
                         bool(config.get("HashKnownHosts", False)), jump)

    async def _session(self, target: SshTarget) -> _Session:
        return await self._session_for(target.user, target.host, target.port, target.where)

    async def _session_for(self, user: str | None, host: str, port: int | None, where: str,
                           through: _Session | None = None) -> _Session:
        """The shared connection to a host; `through`: reached via that one (a later ProxyJump hop)."""
        resolved = self._resolve(user, host, port)
        key = (resolved.user, resolved.host, resolved.port)
        lock = self._connecting.setdefault(key, asyncio.Lock())
        async with lock:
            session = self._sessions.get(key)
            if session is not None and not session.closed:
                return session
            if session is not None:
                await self._forget(session)
            via = through
            if via is None and resolved.proxy_jump:
                # ssh's order: the first hop (with its own config), each next hop through the one before.
                for hop in (h.strip() for h in resolved.proxy_jump.split(",") if h.strip()):
                    jump_user, _, rest = hop.rpartition("@")
                    jump_host, _, jump_port = rest.partition(":")
                    via = await self._session_for(jump_user or None, jump_host,
                                                  int(jump_port) if jump_port else None, hop, via)
            conn = await self._connect(resolved, where, via)
            session = _Session(key, conn, resolved, {}, via)
            self._sessions[key] = session

            async def watch() -> None:
                await conn.wait_closed()
                session.closed = True
                for tunnel in session.tunnels.values():
                    tunnel.close()
                session.tunnels.clear()

            asyncio.get_running_loop().create_task(watch())
            return session

    async def _connect(self, resolved: ssh_auth.Resolved, where: str, via: _Session | None,
                       accepted: asyncssh.SSHKey | None = None) -> asyncssh.SSHClientConnection:
        client = ssh_auth.SshClient(self, resolved)
        known_hosts: Any = [str(p) for p in resolved.known_hosts if p.is_file()] or ([], [], [])
        if accepted is not None:
            known_hosts = ([accepted], [], [])
        options: dict[str, Any] = dict(
            username=resolved.user,
            known_hosts=known_hosts,
            client_keys=[str(p) for p in resolved.identity_files if not ssh_auth.encrypted(p)],
            ignore_encrypted=True,
            keepalive_interval=self.keepalive_interval,
            keepalive_count_max=self.keepalive_count_max,
            login_timeout=0,
            config=None,
            agent_path=() if self.use_agent and os.environ.get("SSH_AUTH_SOCK") else None,
            password=None,
            preferred_auth="publickey,keyboard-interactive,password",
        )
        if via is not None:
            options["tunnel"] = via.conn
        async def connect() -> asyncssh.SSHClientConnection:
            return await asyncssh.connect(resolved.host, resolved.port, client_factory=lambda: client, **options)

        task = asyncio.get_running_loop().create_task(connect())
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=0.25)
                if done:
                    return task.result()
                if not client.prompting and time.monotonic() - client.progress_at > self.connect_timeout:
                    task.cancel()
                    raise TransportError(f"{where}: timed out: no SSH answer within {self.connect_timeout:g} s")
        except asyncssh.HostKeyNotVerifiable:
            if accepted is not None or client.presented is None:
                raise TransportError(f"{where}: host key refused", permanent=True) from None
            return await self._unknown_key(resolved, where, via, client.presented)
        except asyncssh.PermissionDenied:
            if client.cancelled:
                raise TransportError(f"{where}: authentication cancelled", permanent=True) from None
            methods = ",".join(client.methods) or "none"
            raise TransportError(f"{where}: Permission denied ({methods}): authentication refused for "
                                 f"{resolved.user}@{resolved.host}", permanent=True) from None
        except TransportError:
            raise
        except asyncio.CancelledError:
            task.cancel()
            raise
        except (asyncssh.Error, OSError, asyncio.TimeoutError) as exc:
            raise TransportError(f"{where}: {_unreachable(exc)}") from None
        finally:
            if not task.done():
                task.cancel()

    async def _unknown_key(self, resolved: ssh_auth.Resolved, where: str, via: _Session | None,
                           key: asyncssh.SSHKey) -> asyncssh.SSHClientConnection:
        addr = _address(resolved.host)
        verdict = ssh_keys.verdict(resolved.known_hosts, resolved.host, addr, resolved.port, key)
        pattern = ssh_keys.host_pattern(resolved.host, resolved.port)
        if verdict.changed:
            raise TransportError(
                f"{where}: host key CHANGED for {pattern}: the host now offers {key.get_algorithm()} "
                f"{ssh_keys.fingerprint(key)}, which does not match known_hosts. This is a possible "
                f"man-in-the-middle attack (or the host was reinstalled). virtdeck will not connect; "
                f"fix known_hosts yourself (ssh-keygen -R '{pattern}') once you know why.",
                permanent=True,
            )
        accepted = await self._ask(lambda: self.prompter.ask_host_key(pattern, key.get_algorithm(),
                                                                      ssh_keys.fingerprint(key)))
        if not accepted:
            raise TransportError(f"{where}: host key refused ({key.get_algorithm()} {ssh_keys.fingerprint(key)})",
                                 permanent=True)
        try:
            path = resolved.known_hosts[0]
            ssh_keys.remember(path, resolved.host, resolved.port, key,
                              resolved.hash_known_hosts or ssh_keys.prefers_hashed(path))
        except OSError as exc:
            log.warning("could not write %s: %s", resolved.known_hosts[0], exc)
        return await self._connect(resolved, where, via, accepted=key)

    async def ask_secret(self, resolved: ssh_auth.Resolved, kind: str, prompt: str) -> str | None:
        return await self._ask(lambda: self.prompter.ask_secret(
            f"{resolved.user}@{ssh_keys.host_pattern(resolved.host, resolved.port)}", kind, prompt))

    async def _ask(self, question):
        def blocking():
            with self._prompt_lock:
                return question()

        return await asyncio.get_running_loop().run_in_executor(None, blocking)


def _address(host: str) -> str:
    try:
        return socket.getaddrinfo(host, None)[0][4][0]
    except OSError:
        return host


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc or type(exc).__name__)


def _unreachable(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "unreachable: connection refused"
    if isinstance(exc, asyncio.TimeoutError) or isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"unreachable: {exc.strerror or exc}"
    if isinstance(exc, asyncssh.ConnectionLost):
        return f"connection lost during the SSH handshake: {_reason(exc)}"
    return f"SSH connection failed: {_reason(exc)}"
