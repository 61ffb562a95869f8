"""virt-builder on a pool's host: the template list, and building a template into a new file.

Over the host's one SSH connection for hosts virtdeck carries, as a local subprocess
otherwise; both through the same shell wrapper (`BUILD_SCRIPT`), so the root password
travels on the command's stdin into a 0600 file in a private directory that is removed
afterwards, and never on a command line. Closing that stdin cancels the build: the
wrapper sends SIGTERM to virt-builder's process group (it runs under `setsid`; SIGKILL
follows after STOP_GRACE) and removes the partial output. Calls block (run them off the UI loop, e.g. inside a JobScreen's work).
"""

from __future__ import annotations

import asyncio
import json
import os
import posixpath
import re
import shlex
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from . import ssh
from .transport import TransportError

FORMATS = ("qcow2", "raw")
POOL_TYPES = frozenset({"dir", "fs", "netfs"})  # pools whose volumes are files in a directory
NOT_INSTALLED = 127
EXISTS = 17
INSTALL_HINT = ("install libguestfs tools there: apt install libguestfs-tools (Debian, Ubuntu) "
                "or dnf install guestfs-tools (Fedora, RHEL)")
# Variables passed on to virt-builder on an SSH host when virtdeck was started with them
# (a local virt-builder inherits the whole environment).
FORWARDED_PREFIXES = ("LIBGUESTFS_",)
FORWARDED_NAMES = frozenset({"VIRT_BUILDER_DIRS"})
STEP = re.compile(r"^\[\s*\d+(?:\.\d+)?\]\s+(.*\S)\s*$")
PACKAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+_:@~-]*$")
STOP_GRACE = 30.0  # seconds virt-builder gets to stop on SIGTERM after a cancel, before SIGKILL
PGID_LINE = re.compile(rb"^virtdeck-builder-pgid (\d+)\n", re.M)

LIST_SCRIPT = """
command -v virt-builder >/dev/null 2>&1 || exit 127
exec virt-builder --list --list-format json
"""

# $1: the output file; the rest: virt-builder's arguments. stdin: one line, the root
# password (empty: none), then held open; its end (a cancel) stops the build.
BUILD_SCRIPT = """
command -v virt-builder >/dev/null 2>&1 || exit 127
out=$1; shift
if [ -e "$out" ]; then echo "$out already exists" >&2; exit 17; fi
dir=$(mktemp -d) || exit 70
IFS= read -r secret || secret=
if [ -n "$secret" ]; then
    (umask 077; printf '%s' "$secret" > "$dir/root-password")
    set -- "$@" --root-password "file:$dir/root-password"
fi
secret=
exec 3<&0
setsid virt-builder "$@" </dev/null &
pid=$!
echo "virtdeck-builder-pgid $pid" >&2
(while IFS= read -r _line; do :; done; env kill -s TERM -- "-$pid" 2>/dev/null || kill "$pid") <&3 &
watch=$!
exec 3<&-
wait "$pid"
status=$?
kill "$watch" 2>/dev/null
rm -rf -- "$dir"
if [ "$status" -ne 0 ]; then rm -f -- "$out"; fi
exit "$status"
"""

Progress = Callable[[int, int, str], None]  # (steps done, steps expected, what), on the SSH thread


class BuilderError(Exception):
    pass


class NotInstalled(BuilderError):
    pass


@dataclass(frozen=True)
class Template:
    os_version: str  # what virt-builder builds by: "debian-12"
    name: str
    arch: str
    size: int  # virtual size in bytes: the smallest a build can be
    osinfo: str = ""
    compressed_size: int | None = None
    notes: str = ""


@dataclass(frozen=True)
class BuildRequest:
    template: str
    directory: str  # the pool's target path on the host
    name: str  # the new volume's file name
    format: str = "qcow2"
    size: int | None = None  # bytes; None: the template's
    hostname: str = ""
    root_password: str = field(default="", repr=False)
    ssh_key: str = ""  # a public key line for root
    packages: tuple[str, ...] = ()
    firstboot: tuple[str, ...] = ()

    @property
    def output(self) -> str:
        return posixpath.join(self.directory, self.name)


def parse_list(text: str) -> list[Template]:
    """`virt-builder --list --list-format json` -> the templates it lists (hidden ones left out)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BuilderError(f"virt-builder --list gave no JSON: {exc}") from None
    templates = []
    for entry in data.get("templates") or () if isinstance(data, dict) else ():
        if not isinstance(entry, dict) or entry.get("hidden") or not entry.get("os-version"):
            continue
        notes = entry.get("notes") or {}
        note = notes.get("C") or next(iter(notes.values()), "") if isinstance(notes, dict) else str(notes)
        compressed = entry.get("compressed-size")
        templates.append(Template(
            os_version=str(entry["os-version"]), name=str(entry.get("full-name") or entry["os-version"]),
            arch=str(entry.get("arch") or ""), size=int(entry.get("size") or 0), osinfo=str(entry.get("osinfo") or ""),
            compressed_size=int(compressed) if str(compressed or "").isdigit() else None, notes=str(note or "")))
    return sorted(templates, key=lambda t: t.os_version)


def size_argument(size: int) -> str:
    """virt-builder's --size in whole MiB, rounded up."""
    return f"{-(-size // (1 << 20))}M"


def check_package(name: str) -> str | None:
    if not PACKAGE.match(name):
        return f"{name!r} is not a package name (letters, digits and . + _ : @ ~ -)"
    return None


def build_arguments(request: BuildRequest) -> list[str]:
    """virt-builder's arguments for `request` (the password is not among them: the wrapper
    adds `--root-password file:...` itself)."""
    if request.format not in FORMATS:
        raise BuilderError(f"format must be one of {', '.join(FORMATS)}")
    argv = ["virt-builder", request.template, "-o", request.output, "--format", request.format]
    if request.size:
        argv += ["--size", size_argument(request.size)]
    if request.hostname:
        argv += ["--hostname", request.hostname]
    if request.ssh_key:
        argv += ["--ssh-inject", f"root:string:{request.ssh_key}"]
        if not request.root_password:  # the key alone lets root in: no password to guess
            argv += ["--root-password", "disabled"]
    if request.packages:
        argv += ["--install", ",".join(request.packages)]
    for command in request.firstboot:
        argv += ["--firstboot-command", command]
    return argv


def shown_arguments(request: BuildRequest) -> list[str]:
    """virt-builder's arguments as a user would type them: the password as the file that holds it."""
    password = ["--root-password", "file:ROOT_PASSWORD_FILE"] if request.root_password else []
    return build_arguments(request) + password


def build_command(request: BuildRequest) -> list[str]:
    """The whole command run on the host: the wrapper, the output file, virt-builder's arguments."""
    return ["sh", "-c", BUILD_SCRIPT, "sh", request.output, *build_arguments(request)[1:]]


def expected_steps(request: BuildRequest) -> int:
    """About how many `[ t] Step` lines a build prints: download, plan, uncompress, convert or
    resize, open, random seed, finish; plus one per customisation."""
    steps = 7 + (request.format != "raw") + bool(request.size)
    steps += bool(request.hostname) + bool(request.ssh_key) + bool(request.packages) * 2
    steps += len(request.firstboot) + bool(request.root_password)
    return steps


def parse_step(line: str) -> str | None:
    """`[  12.3] Setting the hostname: vd` -> `Setting the hostname: vd`."""
    found = STEP.match(line)
    return found.group(1) if found else None


def forwarded_environment(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in sorted(environ.items())
            if name in FORWARDED_NAMES or name.startswith(FORWARDED_PREFIXES)}


def remote_command(argv: list[str], environ: Mapping[str, str]) -> str:
    """`argv` as one shell line for an SSH exec channel, with the forwarded variables in front."""
    env = forwarded_environment(environ)
    prefix = ["env", *(f"{name}={value}" for name, value in env.items())] if env else []
    return shlex.join(prefix + argv)


class VirtBuilder:
    """virt-builder on a host: `uri` names it; `transport` carries SSH URIs (None: always local)."""

    def __init__(self, transport: ssh.SshTransport | None, environ: Mapping[str, str] | None = None) -> None:
        self.transport = transport
        self.environ = os.environ if environ is None else environ

    def _remote(self, uri: str) -> bool:
        return self.transport is not None and ssh.owned_target(uri) is not None

    def templates(self, uri: str, where: str) -> list[Template]:
        """The templates virt-builder lists on the host (`where` names it in messages)."""
        status, out, err = ssh.run(self._run(uri, ["sh", "-c", LIST_SCRIPT], b"", None, None), 600)
        if status == NOT_INSTALLED:
            raise NotInstalled(f"virt-builder is not installed on {where}: {INSTALL_HINT}")
        if status != 0:
            raise BuilderError(last_lines(err) or f"virt-builder --list exited with {status}")
        return parse_list(out)

    def build(self, uri: str, request: BuildRequest, progress: Progress | None = None,
              cancel: threading.Event | None = None) -> str:
        """Build `request` into its output file; returns its path. A failed or cancelled build
        leaves no file behind; an existing file is never overwritten."""
        total = expected_steps(request)
        done = 0

        def line(text: str) -> None:
            nonlocal done
            step = parse_step(text)
            if step is not None and progress is not None:
                done += 1
                progress(min(done, total - 1), total, step)

        secret = request.root_password.encode() + b"\n"
        status, _out, err = ssh.run(self._run(uri, build_command(request), secret, line, cancel))
        if status == NOT_INSTALLED:
            raise NotInstalled(f"virt-builder is not installed on the host: {INSTALL_HINT}")
        if status == EXISTS:
            raise BuilderError(f"{request.output} already exists")
        if cancel is not None and cancel.is_set():
            raise BuilderError("cancelled; nothing was created")
        if status != 0:
            raise BuilderError(last_lines(err) or f"virt-builder exited with {status}")
        if progress is not None:
            progress(total, total, "built")
        return request.output

    # -- on the SSH loop ---------------------------------------------------------

    async def _run(self, uri: str, argv: list[str], stdin: bytes, on_line: Callable[[str], None] | None,
                   cancel: threading.Event | None) -> tuple[int, str, str]:
        """Run `argv` on the host; `stdin` (if any) is written and held open until the end or a
        cancel (the build wrapper takes its end for a cancel, so a virtdeck that dies stops it too)."""
        if self._remote(uri):
            assert self.transport is not None
            try:
                conn = await self.transport.session_for(uri)
                process = await conn.create_process(remote_command(argv, self.environ), encoding=None)
            except TransportError:
                raise
            except Exception as exc:
                raise BuilderError(f"SSH: {exc}") from None
            stdout, stderr, writer = process.stdout, process.stderr, process.stdin

            async def stop(pgid: int) -> None:
                await conn.run(shlex.join(["env", "kill", "-s", "KILL", "--", f"-{pgid}"]), check=False)

            async def wait() -> int:
                result = await process.wait(check=False)
                return result.exit_status if result.exit_status is not None else -1
        else:
            local = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.PIPE,
                                                         stdout=asyncio.subprocess.PIPE,
                                                         stderr=asyncio.subprocess.PIPE, start_new_session=True)
            stdout, stderr, writer = local.stdout, local.stderr, local.stdin

            async def stop(pgid: int) -> None:
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except (OSError, ProcessLookupError):
                    pass

            async def wait() -> int:
                return await local.wait()

        writer.write(stdin)
        if not stdin:
            writer.write_eof()
        out_parts: list[bytes] = []
        err_parts: list[bytes] = []

        async def pump_out() -> None:
            pending = b""
            while chunk := await stdout.read(4096):
                out_parts.append(chunk)
                if on_line is not None:
                    pending += chunk
                    *lines, pending = re.split(rb"[\r\n]", pending)
                    for text in lines:
                        on_line(text.decode(errors="replace"))

        pgid: list[int] = []  # virt-builder's process group, as the wrapper reports it

        async def pump_err() -> None:
            while chunk := await stderr.read(4096):
                if not pgid and (found := PGID_LINE.search(chunk)):
                    pgid.append(int(found.group(1)))
                    chunk = PGID_LINE.sub(b"", chunk)
                err_parts.append(chunk)

        async def watch_cancel() -> None:
            while cancel is not None and not cancel.is_set():
                await asyncio.sleep(0.2)
            try:
                writer.write_eof()  # the wrapper stops virt-builder and removes the partial file
            except (OSError, BrokenPipeError):
                pass
            await asyncio.sleep(STOP_GRACE)
            if pgid:  # it did not end in time; the wrapper still cleans up after it
                await stop(pgid[0])

        watcher = asyncio.get_running_loop().create_task(watch_cancel()) if cancel is not None else None
        try:
            await asyncio.gather(pump_out(), pump_err())
            status = await wait()
        finally:
            if watcher is not None:
                watcher.cancel()
        return status, b"".join(out_parts).decode(errors="replace"), b"".join(err_parts).decode(errors="replace")


def last_lines(text: str, count: int = 3) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-count:])
