"""The TOML config file in the XDG config dir, and the user's keymap.

    refresh = 2.0                 # seconds between stats ticks
    resync = 60.0                 # safety-net full resync, seconds
    theme = "textual-dark"

    [[connection]]
    name = "kvm01"
    uri = "qemu+ssh://root@kvm01/system"
    autoconnect = true

    [thresholds]                  # warnings in Hosts, Storage and Triage
    vcpu_ratio = 4.0              # running vCPUs per host CPU
    memory_ratio = 1.0            # running guests' memory per host memory
    pool_used = 0.9               # pool allocation per capacity
    pool_provisioned = 1.0        # volume capacities per pool capacity

    [keymap]                      # binding id = keys
    "view.guests" = "1,f1"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from .backend.overcommit import Thresholds
from .backend.validate import check_uri


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class SavedConnection:
    uri: str
    name: str | None = None
    autoconnect: bool = True
    ssh: str = "virtdeck"  # who carries qemu+ssh://: "virtdeck" (asyncssh, in-app prompts) or "libvirt"


@dataclass
class Config:
    path: Path
    connections: list[SavedConnection] = field(default_factory=list)
    refresh: float = 2.0
    resync: float = 60.0
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    thresholds: Thresholds = field(default_factory=Thresholds)


def default_path() -> Path:
    return Path(platformdirs.user_config_dir("virtdeck")) / "config.toml"


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir("virtdeck"))


def _number(data: dict, key: str, default: float, path: Path) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{path}: {key} must be a positive number of seconds, not {value!r}")
    return float(value)


def load(path: Path | None = None) -> Config:
    path = path or default_path()
    if not path.exists():
        return Config(path=path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    connections = []
    for index, entry in enumerate(data.get("connection", []), start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("uri"), str):
            raise ConfigError(f"{path}: connection #{index} needs a uri string")
        problem = check_uri(entry["uri"])
        if problem:
            raise ConfigError(f"{path}: connection #{index} ({entry['uri']}): {problem}")
        name = entry.get("name")
        if name is not None and not isinstance(name, str):
            raise ConfigError(f"{path}: connection #{index}: name must be a string")
        autoconnect = entry.get("autoconnect", True)
        if not isinstance(autoconnect, bool):
            raise ConfigError(f"{path}: connection #{index}: autoconnect must be true or false")
        ssh = entry.get("ssh", "virtdeck")
        if ssh not in ("virtdeck", "libvirt"):
            raise ConfigError(f"{path}: connection #{index}: ssh must be \"virtdeck\" or \"libvirt\"")
        connections.append(SavedConnection(entry["uri"], name, autoconnect, ssh))
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        raise ConfigError(f"{path}: [keymap] maps binding ids to key strings")
    theme = data.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise ConfigError(f"{path}: theme must be a string")
    raw_thresholds = data.get("thresholds", {})
    if not isinstance(raw_thresholds, dict):
        raise ConfigError(f"{path}: [thresholds] is a table of numbers")
    defaults = Thresholds()
    thresholds = Thresholds(**{
        name: _number(raw_thresholds, name, getattr(defaults, name), path)
        for name in ("vcpu_ratio", "memory_ratio", "pool_used", "pool_provisioned")
    })
    unknown = set(raw_thresholds) - {"vcpu_ratio", "memory_ratio", "pool_used", "pool_provisioned"}
    if unknown:
        raise ConfigError(f"{path}: unknown threshold(s): {', '.join(sorted(unknown))}")
    return Config(
        path=path,
        thresholds=thresholds,
        connections=connections,
        refresh=_number(data, "refresh", 2.0, path),
        resync=_number(data, "resync", 60.0, path),
        theme=theme,
        keymap=dict(keymap),
    )


def _toml_string(value: str) -> str:
    escaped = []
    for char in value:
        if char == "\\":
            escaped.append("\\\\")
        elif char == '"':
            escaped.append('\\"')
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def dumps(config: Config) -> str:
    lines = [f"refresh = {config.refresh!r}", f"resync = {config.resync!r}"]
    if config.theme:
        lines.append(f"theme = {_toml_string(config.theme)}")
    for saved in config.connections:
        lines += ["", "[[connection]]"]
        if saved.name:
            lines.append(f"name = {_toml_string(saved.name)}")
        lines.append(f"uri = {_toml_string(saved.uri)}")
        lines.append(f"autoconnect = {'true' if saved.autoconnect else 'false'}")
        if saved.ssh != "virtdeck":
            lines.append(f"ssh = {_toml_string(saved.ssh)}")
    if config.thresholds != Thresholds():
        lines += ["", "[thresholds]"]
        lines += [f"{name} = {getattr(config.thresholds, name)!r}"
                  for name in ("vcpu_ratio", "memory_ratio", "pool_used", "pool_provisioned")]
    if config.keymap:
        lines += ["", "[keymap]"]
        lines += [f"{_toml_string(k)} = {_toml_string(v)}" for k, v in config.keymap.items()]
    return "\n".join(lines) + "\n"


def save(config: Config) -> None:
    config.path.parent.mkdir(parents=True, exist_ok=True)
    temporary = config.path.with_suffix(".toml.tmp")
    temporary.write_text(dumps(config), encoding="utf-8")
    os.replace(temporary, config.path)


def add_connection(config: Config, saved: SavedConnection) -> None:
    config.connections = [c for c in config.connections if c.uri != saved.uri] + [saved]
    save(config)


def remove_connection(config: Config, uri: str) -> bool:
    before = len(config.connections)
    config.connections = [c for c in config.connections if c.uri != uri]
    if len(config.connections) != before:
        save(config)
        return True
    return False
