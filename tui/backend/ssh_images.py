"""Host-side disk-image work with qemu-img: info, check, convert (with progress).

Over the host's one SSH connection for hosts virtdeck carries, as a local
subprocess otherwise; both run on the SSH loop through the same code. Calls block
(run them off the UI loop, e.g. inside a JobScreen's work).
"""

from __future__ import annotations

import asyncio
import json
import posixpath
import re
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass

from . import ssh
from .transport import TransportError

FORMATS = ("qcow2", "raw")
PERCENT = re.compile(rb"\((\d+(?:\.\d+)?)/100%\)")
CHECK_EXIT = {0: "no errors", 1: "check not completed (internal error)", 2: "corruptions found",
              3: "leaked clusters found (no corruption)", 63: "this format does not support checks"}

Progress = Callable[[float], None]  # percent done, 0..100, called on the SSH thread


class ImageError(Exception):
    pass


@dataclass(frozen=True)
class CheckResult:
    exit_status: int
    verdict: str
    report: dict | None
    text: str


def convert_target(source: str, new_name: str) -> str:
    """The new file next to the source; a bare file name only."""
    name = new_name.strip()
    if not name or "/" in name or name in (".", "..") or "\0" in name:
        raise ImageError("the new file needs a plain file name (no '/')")
    return posixpath.join(posixpath.dirname(source), name)


def convert_command(source: str, target: str, target_format: str, compress: bool) -> list[str]:
    if target_format not in FORMATS:
        raise ImageError(f"target format must be one of {', '.join(FORMATS)}")
    if compress and target_format != "qcow2":
        raise ImageError("only qcow2 images can be compressed")
    return ["qemu-img", "convert", "-p", "-O", target_format, *(["-c"] if compress else []), "--", source, target]


def parse_progress(chunk: bytes) -> float | None:
    found = PERCENT.findall(chunk)
    return float(found[-1]) if found else None


class DiskImages:
    """qemu-img on a host: `uri` names it; `transport` carries SSH URIs (None: always local)."""

    def __init__(self, transport: ssh.SshTransport | None) -> None:
        self.transport = transport

    def _remote(self, uri: str) -> bool:
        return self.transport is not None and ssh.owned_target(uri) is not None

    def info(self, uri: str, path: str) -> dict:
        status, out, err = ssh.run(self._run(uri, ["qemu-img", "info", "--output=json", "--", path]), 120)
        if status != 0:
            raise ImageError(err.strip() or f"qemu-img info exited with {status}")
        try:
            return json.loads(out)
        except ValueError as exc:
            raise ImageError(f"qemu-img info gave no JSON: {exc}") from None

    def check(self, uri: str, path: str) -> CheckResult:
        status, out, err = ssh.run(self._run(uri, ["qemu-img", "check", "--output=json", "--", path]), 3600)
        try:
            report = json.loads(out) if out.strip() else None
        except ValueError:
            report = None
        return CheckResult(status, CHECK_EXIT.get(status, f"qemu-img check exited with {status}"), report,
                           (out + err).strip())

    def convert(self, uri: str, source: str, new_name: str, target_format: str, compress: bool,
                progress: Progress | None = None, cancel: threading.Event | None = None) -> str:
        """Convert to a new file next to `source`; returns its path. An existing file is never overwritten."""
        target = convert_target(source, new_name)
        command = convert_command(source, target, target_format, compress)
        guarded = f"if [ -e {shlex.quote(target)} ]; then echo 'exists' >&2; exit 17; fi; exec {shlex.join(command)}"
        status, _out, err = ssh.run(self._stream(uri, ["sh", "-c", guarded], progress, cancel))
        if status == 17:
            raise ImageError(f"{target} already exists")
        if cancel is not None and cancel.is_set():
            raise ImageError("aborted")
        if status != 0:
            raise ImageError(err.strip() or f"qemu-img convert exited with {status}")
        return target

    # -- on the SSH loop ---------------------------------------------------------

    async def _run(self, uri: str, argv: list[str]) -> tuple[int, str, str]:
        return await self._stream(uri, argv, None, None)

    async def _stream(self, uri: str, argv: list[str], progress: Progress | None,
                      cancel: threading.Event | None) -> tuple[int, str, str]:
        err_parts: list[bytes] = []
        out_parts: list[bytes] = []

        def seen(chunk: bytes) -> None:
            out_parts.append(chunk)
            if progress is not None:
                percent = parse_progress(chunk)
                if percent is not None:
                    progress(percent)

        if self._remote(uri):
            assert self.transport is not None
            try:
                conn = await self.transport.session_for(uri)
                process = await conn.create_process(shlex.join(argv), encoding=None)
            except TransportError:
                raise
            except Exception as exc:
                raise ImageError(f"SSH: {exc}") from None
            stdout, stderr = process.stdout, process.stderr
            kill = process.terminate

            async def wait() -> int:
                result = await process.wait(check=False)
                return result.exit_status if result.exit_status is not None else -1
        else:
            local = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                         stdout=asyncio.subprocess.PIPE,
                                                         stderr=asyncio.subprocess.PIPE)
            stdout, stderr, kill = local.stdout, local.stderr, local.terminate

            async def wait() -> int:
                return await local.wait()

        async def pump(stream, sink) -> None:
            while chunk := await stream.read(4096):
                sink(chunk)

        async def watch_cancel() -> None:
            while cancel is not None and not cancel.is_set():
                await asyncio.sleep(0.2)
            if cancel is not None:
                try:
                    kill()
                except (OSError, ProcessLookupError):
                    pass

        watcher = asyncio.get_running_loop().create_task(watch_cancel()) if cancel is not None else None
        try:
            await asyncio.gather(pump(stdout, seen), pump(stderr, err_parts.append))
            status = await wait()
        finally:
            if watcher is not None:
                watcher.cancel()
        return status, b"".join(out_parts).decode(errors="replace"), b"".join(err_parts).decode(errors="replace")
