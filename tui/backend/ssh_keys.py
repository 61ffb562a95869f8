"""known_hosts: what is trusted for a host, and remembering a key the user accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

import asyncssh


@dataclass(frozen=True)
class HostKeyVerdict:
    known: bool  # the presented key is listed
    changed: bool  # other keys are listed for this host, not this one


def host_pattern(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: asyncssh.SSHKey) -> str:
    return key.get_fingerprint("sha256")


def _readable(paths: list[Path]) -> list[str]:
    return [str(path) for path in paths if path.is_file() and os.access(path, os.R_OK)]


def trusted_keys(paths: list[Path], host: str, addr: str, port: int) -> list[asyncssh.SSHKey]:
    readable = _readable(paths)
    if not readable:
        return []
    known = asyncssh.read_known_hosts(readable)
    trusted, _ca, _revoked, *_ = known.match(host, addr, port if port != 22 else None)
    return list(trusted)


def verdict(paths: list[Path], host: str, addr: str, port: int, key: asyncssh.SSHKey) -> HostKeyVerdict:
    trusted = trusted_keys(paths, host, addr, port)
    if any(k.public_data == key.public_data for k in trusted):
        return HostKeyVerdict(True, False)
    # Like ssh: only a listed key of the same type makes a different key "changed";
    # a host offering another key type than the one remembered is asked about.
    same_type = [k for k in trusted if k.get_algorithm() == key.get_algorithm()]
    return HostKeyVerdict(False, bool(same_type))


def _hashed(pattern: str) -> str:
    salt = os.urandom(20)
    digest = hmac.new(salt, pattern.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def prefers_hashed(path: Path) -> bool:
    """ssh's HashKnownHosts, read off the file itself: hash when every entry there is hashed."""
    try:
        entries = [line for line in path.read_text(errors="replace").splitlines()
                   if line.strip() and not line.startswith("#")]
    except OSError:
        return False
    return bool(entries) and all(line.startswith("|1|") for line in entries)


def remember(path: Path, host: str, port: int, key: asyncssh.SSHKey, hashed: bool = False) -> None:
    """Append the key the way ssh writes known_hosts (`[host]:port` off port 22, hashed on request)."""
    pattern = host_pattern(host, port)
    line = f"{_hashed(pattern) if hashed else pattern} {key.export_public_key('openssh').decode().split()[0]} " \
           f"{key.export_public_key('openssh').decode().split()[1]}\n"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    existing = path.read_bytes() if path.exists() else b""
    with open(path, "a", encoding="utf-8") as out:
        if existing and not existing.endswith(b"\n"):
            out.write("\n")
        out.write(line)
