"""The TOML config file in the XDG config dir, and the user's keymap.

    refresh = 2.0                 # seconds between stats ticks
    resync = 60.0                 # safety-net full resync, seconds
    theme = "textual-dark"
    pictures = "auto"             # graphical consoles: auto, kitty, sixel or blocks

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

Adding, changing or removing a connection from the app edits the file as it is
on disk (tomlkit): comments, order, blank lines and keys virtdeck does not know
stay as the user wrote them. A file that does not parse is never written.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from .backend.overcommit import Thresholds
from .backend.validate import check_uri

if TYPE_CHECKING:
    from tomlkit.items import Item, Table
    from tomlkit.toml_document import TOMLDocument

# tomlkit (1.6 MB resident) only writes the file: it is imported where the file is written.


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class SavedConnection:
    uri: str
    name: str | None = None
    autoconnect: bool = True
    ssh: str = "virtdeck"  # who carries qemu+ssh://: "virtdeck" (asyncssh, in-app prompts) or "libvirt"


PICTURES = ("auto", "kitty", "sixel", "blocks")  # how a graphical console is drawn


@dataclass
class Config:
    path: Path
    connections: list[SavedConnection] = field(default_factory=list)
    refresh: float = 2.0
    resync: float = 60.0
    theme: str | None = None
    pictures: str = "auto"
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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    data = _parse(path, text)
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
    pictures = data.get("pictures", "auto")
    if pictures not in PICTURES:
        raise ConfigError(f"{path}: pictures must be one of {', '.join(PICTURES)}, not {pictures!r}")
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
        pictures=pictures,
        keymap=dict(keymap),
    )


def _parse(path: Path, text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line L, column C)"
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _connection_table(saved: SavedConnection) -> Table:
    import tomlkit

    table = tomlkit.table()
    if saved.name:
        table["name"] = saved.name
    table["uri"] = saved.uri
    table["autoconnect"] = saved.autoconnect
    if saved.ssh != "virtdeck":
        table["ssh"] = saved.ssh
    return table


def dumps(config: Config) -> str:
    """A new config file holding `config`. An existing file is edited in place instead (`_edit`)."""
    import tomlkit

    document = tomlkit.document()
    document["refresh"] = config.refresh
    document["resync"] = config.resync
    if config.theme:
        document["theme"] = config.theme
    if config.pictures != "auto":
        document["pictures"] = config.pictures
    if config.connections:
        connections = tomlkit.aot()
        for saved in config.connections:
            connections.append(_connection_table(saved))
        document["connection"] = connections
    if config.thresholds != Thresholds():
        document["thresholds"] = {name: getattr(config.thresholds, name)
                                  for name in ("vcpu_ratio", "memory_ratio", "pool_used", "pool_provisioned")}
    if config.keymap:
        document["keymap"] = dict(config.keymap)
    return tomlkit.dumps(document)


def _write(path: Path, text: str) -> None:
    """Replace the file in one step; through a symlink (a dotfiles repo), the file it points to."""
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    if target.exists():
        shutil.copymode(target, temporary)
    os.replace(temporary, target)


def save(config: Config) -> None:
    _write(config.path, dumps(config))


def _edit(path: Path, change: Callable[[TOMLDocument], None], new: Callable[[], str] | None) -> None:
    """Apply `change` to the config file as it is on disk and write it back: comments, order, blank
    lines and keys virtdeck does not know stay byte for byte. A file that does not parse is left as
    it is, and the error says where it is broken. No file yet: write `new()`, if given."""
    import tomlkit
    import tomlkit.exceptions
    from tomlkit.items import AoT

    if not path.exists():
        if new is not None:
            _write(path, new())
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    _parse(path, text)
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"{path}: cannot edit: {exc}") from exc  # "... at line L col C"
    connections = document.get("connection")
    if connections is not None and not isinstance(connections, AoT):
        raise ConfigError(f"{path}: connection is not a list of [[connection]] tables")
    change(document)
    text = tomlkit.dumps(document)
    _parse(path, text)  # never write what would not load
    _write(path, text)


def _following(document: TOMLDocument, key: str) -> Table | None:
    """The table whose header comes right after the top-level item `key`, if any."""
    from tomlkit.items import AoT, Table

    body = document.body
    index = next(i for i, (k, _) in enumerate(body) if k is not None and k.key == key)
    for _, item in body[index + 1:]:
        if isinstance(item, AoT) and len(item):
            return item[0]
        if isinstance(item, Table):
            return item
    return None


def _take_trailing(table: Table) -> list[tuple[None, Item]]:
    """Take the comments and blank lines off the end of a table: in the file they sit above the next
    header, and are about what follows. (They come after every key, so no key's index moves.)"""
    body = table.value.body
    end = len(body)
    while end and body[end - 1][0] is None:
        end -= 1
    taken = body[end:]
    del body[end:]
    return taken


def _set(table: Table, key: str, value: object, default: object) -> None:
    """Change one key only where its value changes, so an unchanged line keeps its comment; a new
    key goes after the last one, above the comments that lead to the next header."""
    if key in table:
        if value is None:
            del table[key]
        elif table[key] != value:
            table[key] = value
    elif value is not None and value != default:
        trailing = _take_trailing(table)
        table[key] = value
        table.value.body.extend(trailing)


def _blank_run(body: list) -> int:
    """How many blank-line items end `body` (the blank lines right above the next header)."""
    from tomlkit.items import Whitespace

    count = 0
    while count < len(body) and isinstance(body[len(body) - 1 - count][1], Whitespace):
        count += 1
    return count


def _above(document: TOMLDocument, index: int | None) -> list:
    """The items that end right above the header of [[connection]] number `index` (None: of
    whatever was where the list was): the table before it, or the top of the file."""
    from tomlkit.items import AoT, Null, Table

    if index:
        return document["connection"][index - 1].value.body
    body = document.body
    at = next((i for i, (k, _) in enumerate(body) if k is not None and k.key == "connection"), len(body))
    before = [entry for entry in body[:at] if not isinstance(entry[1], Null)]
    if not before or not isinstance(before[-1][1], Table | AoT):
        return body if at == len(body) else body[:at]
    last = before[-1][1]
    while True:
        table = last[-1] if isinstance(last, AoT) else last
        inner = table.value.body
        if not inner or not isinstance(inner[-1][1], Table | AoT):
            return inner
        last = inner[-1][1]


def _put(document: TOMLDocument, saved: SavedConnection) -> None:
    import tomlkit
    from tomlkit.items import Whitespace

    connections = document.get("connection")
    same = [i for i, table in enumerate(connections or ()) if table.get("uri") == saved.uri]
    if same:
        table = connections[same[0]]
        _set(table, "name", saved.name or None, None)
        _set(table, "autoconnect", saved.autoconnect, True)
        _set(table, "ssh", saved.ssh, "virtdeck")
        for index in reversed(same[1:]):
            _drop(document, index)
        return
    table = _connection_table(saved)
    if connections is None:
        if document.body and not document.as_string().endswith("\n\n"):
            table.trivia.indent = "\n"  # a blank line between what is there and the new table
        connections = tomlkit.aot()
        document.append("connection", connections)
    elif len(connections):
        # The new entry goes after the last one, and what led from the last one to the next header
        # (comments about it) now leads from the new one; the blank lines between stay the same.
        last = connections[-1]
        trailing = _take_trailing(last)
        lead = 0
        while lead < len(trailing) and isinstance(trailing[lead][1], Whitespace):
            lead += 1
        last.value.body.extend(trailing[:lead])
        table.value.body.extend(trailing)
        if not trailing and _following(document, "connection") is None:
            table.trivia.indent = "\n"  # the last thing in the file: a blank line above it
    connections.append(table)


def _drop(document: TOMLDocument, index: int) -> None:
    """Delete one [[connection]] table with the blank lines above its header. The comments between
    its last key and the next header are about what follows, so they stay."""
    from tomlkit.items import Null, Whitespace

    connections = document["connection"]
    above = _above(document, index)
    gap = _blank_run(above)
    kept = [item for _, item in _take_trailing(connections[index])]
    if gap or not above:  # blank lines above it already, or it starts the file
        while kept and isinstance(kept[0], Whitespace):
            kept.pop(0)
    after = connections[index + 1] if index + 1 < len(connections) else _following(document, "connection")
    del connections[index]
    if not len(connections):
        del document["connection"]
    if after is not None:
        after.trivia.indent = "".join(item.as_string() for item in kept) + after.trivia.indent
    elif kept:
        for item in kept:
            (connections[-1].value if len(connections) else document).append(None, item)
    elif gap:  # it was the last thing in the file: so are the blank lines above it
        body = connections[-1].value.body if len(connections) else _above(document, None)
        if body is document.body:
            while isinstance(body[-1][1], Null):  # where tomlkit kept the place of the deleted list
                body.pop()
        del body[len(body) - gap:]


def add_connection(config: Config, saved: SavedConnection) -> None:
    """Add `saved` to the file, or change the entry with its URI in place."""
    connections = [c for c in config.connections if c.uri != saved.uri] + [saved]
    _edit(config.path, lambda document: _put(document, saved),
          lambda: dumps(dataclasses.replace(config, connections=connections)))
    config.connections = connections


def remove_connection(config: Config, uri: str) -> bool:
    if not any(c.uri == uri for c in config.connections):
        return False

    def drop(document: TOMLDocument) -> None:
        for index in reversed([i for i, t in enumerate(document.get("connection") or ()) if t.get("uri") == uri]):
            _drop(document, index)

    _edit(config.path, drop, None)
    config.connections = [c for c in config.connections if c.uri != uri]
    return True
