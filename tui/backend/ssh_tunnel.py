"""The libvirt socket of a remote host, reachable as a local UNIX socket over one SSH connection.

First choice: stream-local forwarding (`forward_local_path`), one channel per libvirt
client, no helper process on the host. When the server refuses that
(`AllowStreamLocalForwarding no`), a local listener gives every client an exec
channel running `virt-ssh-helper` (or `nc -U`) and pipes the bytes both ways.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from pathlib import Path

import asyncssh

log = logging.getLogger(__name__)

PROBE = r"""
for s in "$@"; do
  if [ -S "$s" ]; then
    if [ -r "$s" ] && [ -w "$s" ]; then echo "ok $s"; else echo "denied $s"; fi
  fi
done
command -v virt-ssh-helper >/dev/null 2>&1 && echo "helper virt-ssh-helper"
command -v nc >/dev/null 2>&1 && echo "helper nc"
echo "home $HOME"
echo "runtime ${XDG_RUNTIME_DIR:-}"
"""


class RemoteSocketError(Exception):
    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def socket_candidates(path: str, home: str, runtime: str) -> list[str]:
    if path == "/session":
        dirs = [f"{runtime}/libvirt"] if runtime else []
        return [f"{d}/libvirt-sock" for d in dirs + [f"{home}/.cache/libvirt"]] + \
               [f"{d}/virtqemud-sock" for d in dirs + [f"{home}/.cache/libvirt"]]
    return ["/run/libvirt/libvirt-sock", "/run/libvirt/virtqemud-sock", "/var/run/libvirt/libvirt-sock"]


def parse_probe(out: str) -> tuple[dict[str, str], set[str], str, str]:
    sockets: dict[str, str] = {}
    helpers: set[str] = set()
    home = runtime = ""
    for line in out.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("ok", "denied"):
            sockets[rest] = word
        elif word == "helper":
            helpers.add(rest)
        elif word == "home":
            home = rest
        elif word == "runtime":
            runtime = rest
    return sockets, helpers, home, runtime


async def _run(conn: asyncssh.SSHClientConnection, script: str, *args: str) -> str:
    command = "sh -c " + shlex.quote(script) + " sh " + " ".join(shlex.quote(a) for a in args)
    result = await conn.run(command, check=False)
    return str(result.stdout or "")


async def remote_socket(conn: asyncssh.SSHClientConnection, path: str, where: str) -> tuple[str, set[str]]:
    """The remote libvirt socket for `path` (/system or /session) and the helpers installed there."""
    first = await _run(conn, PROBE)
    _s, helpers, home, runtime = parse_probe(first)
    candidates = socket_candidates(path, home, runtime)
    sockets, helpers, _h, _r = parse_probe(await _run(conn, PROBE, *candidates))
    for candidate in candidates:
        if sockets.get(candidate) == "ok":
            return candidate, helpers
    for candidate in candidates:
        if sockets.get(candidate) == "denied":
            raise RemoteSocketError(f"not permitted: {where} may not use {candidate} (permission denied)", True)
    raise RemoteSocketError(f"libvirt is not running on {where}: no socket at {', '.join(candidates)}", False)


class Tunnel:
    """A local socket path that reaches one remote socket; `close()` removes it."""

    def __init__(self, local: Path, mode: str, closer) -> None:
        self.local = local
        self.mode = mode  # "forward" or "exec:<helper>"
        self._closer = closer

    def close(self) -> None:
        try:
            self._closer()
        finally:
            self.local.unlink(missing_ok=True)


async def _forwarding_allowed(conn: asyncssh.SSHClientConnection, remote: str) -> bool:
    try:
        reader, writer = await conn.open_unix_connection(remote)
    except asyncssh.ChannelOpenError as exc:
        log.info("stream-local forwarding refused (%s): using an exec channel", exc.reason)
        return False
    writer.close()
    return True


async def open_tunnel(conn: asyncssh.SSHClientConnection, local: Path, remote: str, path: str,
                      helpers: set[str]) -> Tunnel:
    local.unlink(missing_ok=True)
    if await _forwarding_allowed(conn, remote):
        listener = await conn.forward_local_path(str(local), remote)
        return Tunnel(local, "forward", listener.close)
    if "virt-ssh-helper" in helpers:
        command = shlex.join(["virt-ssh-helper", f"qemu://{path}" if path == "/session" else "qemu:///system"])
        mode = "exec:virt-ssh-helper"
        if remote not in ("/run/libvirt/libvirt-sock", "/var/run/libvirt/libvirt-sock") and path != "/session" \
                and "nc" in helpers:
            command, mode = shlex.join(["nc", "-U", remote]), "exec:nc"
    elif "nc" in helpers:
        command, mode = shlex.join(["nc", "-U", remote]), "exec:nc"
    else:
        raise RemoteSocketError("the SSH server refuses socket forwarding and the host has neither "
                                "virt-ssh-helper nor nc", True)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            process = await conn.create_process(command, encoding=None)
        except (asyncssh.Error, OSError) as exc:
            log.info("exec channel for libvirt failed: %s", exc)
            writer.close()
            return

        async def pump_in() -> None:
            try:
                while data := await reader.read(65536):
                    process.stdin.write(data)
            except (OSError, asyncssh.Error):
                pass
            finally:
                try:
                    process.stdin.write_eof()
                except (OSError, asyncssh.Error):
                    pass

        async def pump_out() -> None:
            try:
                while data := await process.stdout.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (OSError, asyncssh.Error):
                pass
            finally:
                writer.close()

        await asyncio.gather(pump_in(), pump_out())
        process.close()

    server = await asyncio.start_unix_server(serve, path=str(local))
    local.chmod(0o600)
    return Tunnel(local, mode, server.close)
