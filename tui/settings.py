"""Which hosts to open and how, resolved from the command line, the config
file and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from . import demo
from .config import Config

SYSTEM_SOCKETS = (Path("/run/libvirt/libvirt-sock"), Path("/var/run/libvirt/libvirt-sock"))


@dataclass(frozen=True)
class Target:
    uri: str
    name: str | None = None
    demo: bool = False


@dataclass
class Settings:
    targets: list[Target]
    source: str
    config: Config
    read_only: bool = False
    refresh: float = 2.0
    resync: float = 60.0
    extra: dict = field(default_factory=dict)


def system_socket_exists() -> bool:
    return any(path.exists() for path in SYSTEM_SOCKETS)


def resolve_targets(
    uris: list[str],
    config: Config,
    environ: dict[str, str] | None = None,
    system_socket: bool | None = None,
) -> tuple[list[Target], str]:
    """The hosts to open and where that choice came from, in the documented order."""
    environ = os.environ if environ is None else environ
    if uris:
        return [Target(uri, demo=demo.is_demo_uri(uri)) for uri in uris], "command line"
    saved = [c for c in config.connections if c.autoconnect]
    if saved:
        return [Target(c.uri, c.name, demo.is_demo_uri(c.uri)) for c in saved], f"config {config.path}"
    if environ.get("LIBVIRT_DEFAULT_URI"):
        return [Target(environ["LIBVIRT_DEFAULT_URI"])], "LIBVIRT_DEFAULT_URI"
    if system_socket if system_socket is not None else system_socket_exists():
        return [Target("qemu:///system")], "local libvirtd"
    return [Target(demo.demo_uri(), "demo", demo=True)], "demo"
