"""Extra sshd instances on loopback ports, each its own "remote host" for the SSH tests.

Every instance has its own host key, config, pid file and log under one directory;
`stop()` ends only that instance (by its pid file), `start()` brings it back on the
same port with the same host key.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"


def free_port(start: int = 2300) -> int:
    for port in range(start, start + 600):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port from 2300")


def keygen(path: Path, passphrase: str = "", comment: str = "vd-h5") -> Path:
    if not path.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", str(path)],
                       check=True)
    return path


@dataclass
class SshHost:
    name: str
    root: Path
    authorized_keys: Path
    extra: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def dir(self) -> Path:
        return self.root / self.name

    @property
    def pidfile(self) -> Path:
        return self.dir / "sshd.pid"

    @property
    def log(self) -> Path:
        return self.dir / "sshd.log"

    @property
    def host_key(self) -> Path:
        return self.dir / "host_ed25519"

    def public_host_key(self) -> str:
        return " ".join(Path(str(self.host_key) + ".pub").read_text().split()[:2])

    def write(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        keygen(self.host_key, comment=f"{self.name}-host")
        lines = [
            f"Port {self.port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {self.host_key}",
            f"PidFile {self.pidfile}",
            f"AuthorizedKeysFile {self.authorized_keys}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "X11Forwarding no",
            # OpenSSH 9.2 refuses direct-streamlocal channels under "AllowTcpForwarding no" too.
            "AllowTcpForwarding local",
            "AllowStreamLocalForwarding local",
            "PrintMotd no",
            "LogLevel INFO",
            "MaxStartups 50",
        ]
        overrides = {line.split()[0].lower(): line for line in self.extra}
        lines = [overrides.pop(line.split()[0].lower(), line) for line in lines] + list(overrides.values())
        (self.dir / "sshd_config").write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 20) -> None:
        if not self.port:
            self.port = free_port(2300 + (os.getpid() % 50) * 8)
        self.write()
        subprocess.run([SSHD, "-t", "-f", str(self.dir / "sshd_config")], check=True)
        subprocess.run([SSHD, "-f", str(self.dir / "sshd_config"), "-E", str(self.log)], check=True)
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"sshd {self.name} did not listen on {self.port}: {self.log.read_text()}")
            time.sleep(0.05)

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def stop(self, sessions_too: bool = True, timeout: float = 10) -> None:
        """Stop the listener; with sessions_too, also every session it forked (like a host going away)."""
        pid = self.pid()
        if pid is None:
            return
        children = self.sessions() if sessions_too else []
        os.kill(pid, signal.SIGTERM)
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while self.pid() is not None or any(_alive(c) for c in children):
            if time.monotonic() > deadline:
                raise RuntimeError(f"sshd {self.name} did not stop")
            time.sleep(0.05)

    def sessions(self) -> list[int]:
        """The sshd processes serving a connection (direct children of the listener)."""
        pid = self.pid()
        if pid is None:
            return []
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def accepted(self) -> list[str]:
        if not self.log.exists():
            return []
        return re.findall(r"^.*Accepted \S+ for .*$", self.log.read_text(errors="replace"), re.M)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"
