"""Operating systems a new guest can be: osinfo-db (virt-install's database)
when it is installed, else a small built-in set.

The database holds ~800 files under /usr/share/osinfo/os. Nothing is read
until the first lookup; then one pass reads every file's own facts (about
0.3 s here: call it off the UI loop), and an entry's inherited facts
(resources, devices, firmware from <derives-from>) are resolved when asked
for and cached.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

OSINFO_DIRS = (Path("/usr/share/osinfo"), Path("/usr/local/share/osinfo"))
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MIB = 1024**2
GIB = 1024**3

# PCI ids osinfo lists for virtio devices (transitional and 1.0).
VIRTIO_BLOCK_IDS = frozenset({"http://pcisig.com/pci/1af4/1001", "http://pcisig.com/pci/1af4/1042"})
VIRTIO_NET_IDS = frozenset({"http://pcisig.com/pci/1af4/1000", "http://pcisig.com/pci/1af4/1041"})
VIRTIO_LINUX_SINCE = "2008-04"  # Linux 2.6.25
Q35_ID = "http://qemu.org/chipset/x86/q35"
# osinfo-db does not say which systems need a TPM and secure boot; these do.
_NEEDS_TPM = frozenset({"http://microsoft.com/win/11"})


@dataclass(frozen=True)
class OsVariant:
    """One operating system. Memory and storage in bytes; 0 when unknown."""

    id: str
    short_id: str
    name: str
    family: str  # linux, winnt, freebsd, ... ("" when unknown)
    distro: str = ""
    version: str = ""
    short_ids: tuple[str, ...] = ()
    min_memory: int = 0
    min_vcpus: int = 0
    min_storage: int = 0
    recommended_memory: int = 0
    recommended_vcpus: int = 0
    recommended_storage: int = 0
    virtio_disk: bool = False
    virtio_net: bool = False
    q35: bool = False
    needs_uefi: bool = False
    needs_secure_boot: bool = False
    needs_tpm: bool = False
    derives_from: str | None = None

    @property
    def is_windows(self) -> bool:
        return self.family == "winnt"

    @property
    def memory(self) -> int:
        """What to offer by default: recommended, else minimum, else 1 GiB."""
        return self.recommended_memory or self.min_memory or GIB

    @property
    def vcpus(self) -> int:
        return self.recommended_vcpus or self.min_vcpus or 1

    @property
    def storage(self) -> int:
        return self.recommended_storage or self.min_storage or 10 * GIB


@dataclass
class _Raw:
    """One file's own facts, before inheritance."""

    id: str
    short_ids: tuple[str, ...]
    name: str
    family: str | None
    distro: str | None
    version: str | None
    derives_from: str | None
    release_date: str = ""
    resources: dict[str, int] = field(default_factory=dict)
    resources_inherit: bool = False
    devices: dict[str, bool] = field(default_factory=dict)
    firmware: dict[str, bool] = field(default_factory=dict)  # type -> supported (x86_64 / all)


def _own_text(el: ET.Element, tag: str) -> str | None:
    """Text of the first <tag> without xml:lang (the untranslated one)."""
    for child in el.findall(tag):
        if child.get(XML_LANG) is None:
            return (child.text or "").strip() or None
    return None


def _resources(os_el: ET.Element) -> tuple[dict[str, int], bool]:
    """min_/rec_ memory, vcpus, storage for x86_64 (else 'all')."""
    chosen: dict[str, int] = {}
    inherit = False
    for arch in ("all", "x86_64"):  # x86_64 overrides all
        for res in os_el.findall("resources"):
            if res.get("arch", "all") != arch:
                continue
            if res.get("inherit") == "true":
                inherit = True
            for level, prefix in (("minimum", "min_"), ("recommended", "rec_")):
                block = res.find(level)
                if block is None:
                    continue
                for tag, key in (("ram", "memory"), ("n-cpus", "vcpus"), ("storage", "storage")):
                    text = block.findtext(tag)
                    if text and text.strip().isdigit():
                        chosen[prefix + key] = int(text.strip())
    return chosen, inherit


def _raw_from_element(os_el: ET.Element) -> _Raw | None:
    os_id = os_el.get("id")
    if not os_id:
        return None
    short_ids = tuple((s.text or "").strip() for s in os_el.findall("short-id") if (s.text or "").strip())
    derives = os_el.find("derives-from")
    resources, inherit = _resources(os_el)
    devices = {
        d.get("id"): d.get("supported", "true") != "false" for d in os_el.findall("devices/device") if d.get("id")
    }
    firmware = {
        f.get("type"): f.get("supported", "true") != "false"
        for f in os_el.findall("firmware")
        if f.get("type") and f.get("arch", "x86_64") in ("x86_64", "all")
    }
    return _Raw(
        id=os_id,
        short_ids=short_ids,
        name=_own_text(os_el, "name") or (short_ids[0] if short_ids else os_id),
        family=_own_text(os_el, "family"),
        distro=_own_text(os_el, "distro"),
        version=_own_text(os_el, "version"),
        derives_from=derives.get("id") if derives is not None else None,
        release_date=_own_text(os_el, "release-date") or "",
        resources=resources,
        resources_inherit=inherit,
        devices=devices,
        firmware=firmware,
    )


def read_os_file(path: Path) -> list[_Raw]:
    """Every <os> of one osinfo file (unreadable files give nothing)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return []
    found = []
    for os_el in root.iter("os"):
        raw = _raw_from_element(os_el)
        if raw is not None:
            found.append(raw)
    return found


class OsDb:
    """Lookups over a set of OS entries; thread-safe lazy loading."""

    source = "osinfo-db"

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._raw: dict[str, _Raw] | None = None
        self._by_short_id: dict[str, str] = {}
        self._resolved: dict[str, OsVariant] = {}

    # -- loading

    def _load_raw(self) -> dict[str, _Raw]:
        raw: dict[str, _Raw] = {}
        if self.root is not None:
            for path in sorted((self.root / "os").rglob("*.xml")):
                for entry in read_os_file(path):
                    raw[entry.id] = entry
        return raw

    def _entries(self) -> dict[str, _Raw]:
        with self._lock:
            if self._raw is None:
                raw = self._load_raw()
                for entry in raw.values():
                    for short_id in entry.short_ids:
                        self._by_short_id.setdefault(short_id, entry.id)
                self._raw = raw
            return self._raw

    @property
    def loaded(self) -> bool:
        return self._raw is not None

    # -- resolving inheritance

    def _chain(self, os_id: str) -> list[_Raw]:
        entries = self._entries()
        chain: list[_Raw] = []
        seen: set[str] = set()
        current: str | None = os_id
        while current and current in entries and current not in seen:
            seen.add(current)
            chain.append(entries[current])
            current = entries[current].derives_from
        return chain

    def _resolve(self, os_id: str) -> OsVariant:
        chain = self._chain(os_id)
        own = chain[0]
        # Each level (minimum, recommended) comes whole from the nearest
        # entry that gives it; recommended is never below minimum.
        resources: dict[str, int] = {}
        for prefix in ("min_", "rec_"):
            giver = next((r for r in chain if any(k.startswith(prefix) for k in r.resources)), None)
            if giver is not None:
                resources.update({k: v for k, v in giver.resources.items() if k.startswith(prefix)})
        for key in ("memory", "vcpus", "storage"):
            if f"min_{key}" in resources:
                resources[f"rec_{key}"] = max(resources.get(f"rec_{key}", 0), resources[f"min_{key}"])
        devices: dict[str, bool] = {}
        firmware: dict[str, bool] = {}
        for raw in reversed(chain):
            devices.update(raw.devices)
            firmware.update(raw.firmware)
        family = next((r.family for r in chain if r.family), "")
        distro = next((r.distro for r in chain if r.distro), "")
        supported = {d for d, ok in devices.items() if ok}
        # Entries that list no devices: Linux has had virtio drivers since 2008.
        released = next((r.release_date for r in chain if r.release_date), "")
        by_family = family == "linux" and not devices and (not released or released >= VIRTIO_LINUX_SINCE)
        needs_uefi = firmware.get("bios") is False
        needs_tpm = any(r.id in _NEEDS_TPM for r in chain)
        return OsVariant(
            id=own.id,
            short_id=own.short_ids[0] if own.short_ids else own.id,
            short_ids=own.short_ids,
            name=own.name,
            family=family,
            distro=distro,
            version=own.version or "",
            min_memory=resources.get("min_memory", 0),
            min_vcpus=resources.get("min_vcpus", 0),
            min_storage=resources.get("min_storage", 0),
            recommended_memory=resources.get("rec_memory", 0),
            recommended_vcpus=resources.get("rec_vcpus", 0),
            recommended_storage=resources.get("rec_storage", 0),
            virtio_disk=bool(supported & VIRTIO_BLOCK_IDS) or by_family,
            virtio_net=bool(supported & VIRTIO_NET_IDS) or by_family,
            q35=Q35_ID in supported or needs_tpm,
            needs_uefi=needs_uefi or needs_tpm,
            needs_secure_boot=needs_tpm,
            needs_tpm=needs_tpm,
            derives_from=own.derives_from,
        )

    # -- lookups

    def get(self, key: str) -> OsVariant | None:
        """By full id (http://debian.org/debian/11) or any short id (debian11)."""
        entries = self._entries()
        os_id = key if key in entries else self._by_short_id.get(key)
        if os_id is None:
            return None
        with self._lock:
            found = self._resolved.get(os_id)
        if found is None:
            found = self._resolve(os_id)
            with self._lock:
                self._resolved[os_id] = found
        return found

    def all(self) -> list[OsVariant]:
        return [v for v in (self.get(i) for i in sorted(self._entries())) if v is not None]

    def search(self, text: str, limit: int | None = None) -> list[OsVariant]:
        """Entries whose short id starts with ``text`` or whose name contains
        it (case-insensitive): exact short ids first, then by name."""
        needle = text.strip().lower()
        exact, prefix, named = [], [], []
        for entry in self._entries().values():
            shorts = [s.lower() for s in entry.short_ids]
            if needle in shorts:
                exact.append(entry)
            elif any(s.startswith(needle) for s in shorts):
                prefix.append(entry)
            elif needle in entry.name.lower():
                named.append(entry)
        ordered = exact + sorted(prefix, key=lambda e: e.name) + sorted(named, key=lambda e: e.name)
        if limit is not None:
            ordered = ordered[:limit]
        return [v for v in (self.get(e.id) for e in ordered) if v is not None]


def _builtin(os_id, short, name, family, version, mem, vcpus, disk, rec_mem, rec_disk, virtio=True, tpm=False):
    return _Raw(
        id=os_id,
        short_ids=(short,),
        name=name,
        family=family,
        distro="",
        version=version,
        derives_from=None,
        resources={
            "min_memory": mem, "min_vcpus": vcpus, "min_storage": disk,
            "rec_memory": rec_mem, "rec_vcpus": vcpus, "rec_storage": rec_disk,
        },
        devices={
            **({d: True for d in VIRTIO_BLOCK_IDS | VIRTIO_NET_IDS} if virtio else {}),
            **({Q35_ID: True} if family == "winnt" else {}),
        },
        firmware={"bios": False} if tpm else {},
    )


BUILTIN = (
    _builtin("http://libosinfo.org/linux/2022", "linux2022", "Generic Linux 2022", "linux", "2022",
             1 * GIB, 1, 10 * GIB, 2 * GIB, 20 * GIB),
    _builtin("http://debian.org/debian/12", "debian12", "Debian 12", "linux", "12",
             1 * GIB, 1, 10 * GIB, 2 * GIB, 20 * GIB),
    _builtin("http://ubuntu.com/ubuntu/24.04", "ubuntu24.04", "Ubuntu 24.04 LTS", "linux", "24.04",
             2 * GIB, 2, 25 * GIB, 4 * GIB, 25 * GIB),
    _builtin("http://fedoraproject.org/fedora/unknown", "fedora-unknown", "Fedora", "linux", "unknown",
             2 * GIB, 1, 15 * GIB, 2 * GIB, 20 * GIB),
    _builtin("http://redhat.com/rhel/9.0", "rhel9.0", "Red Hat Enterprise Linux 9.0", "linux", "9.0",
             1536 * MIB, 1, 10 * GIB, 2 * GIB, 20 * GIB),
    _builtin("http://microsoft.com/win/10", "win10", "Microsoft Windows 10", "winnt", "10.0",
             2 * GIB, 1, 20 * GIB, 4 * GIB, 64 * GIB, virtio=False),
    _builtin("http://microsoft.com/win/11", "win11", "Microsoft Windows 11", "winnt", "11.0",
             4 * GIB, 2, 64 * GIB, 4 * GIB, 64 * GIB, virtio=False, tpm=True),
    _builtin("http://microsoft.com/win/2k22", "win2k22", "Microsoft Windows Server 2022", "winnt", "10.0",
             2 * GIB, 1, 32 * GIB, 4 * GIB, 64 * GIB, virtio=False),
    _builtin("http://libosinfo.org/unknown", "unknown", "Generic OS", "", "",
             512 * MIB, 1, 5 * GIB, 1 * GIB, 10 * GIB, virtio=False),
)


class BuiltinOsDb(OsDb):
    """The fallback when osinfo-db is not installed."""

    source = "built-in"

    def __init__(self, entries: Iterable[_Raw] = BUILTIN) -> None:
        super().__init__(None)
        self._builtin = tuple(entries)

    def _load_raw(self) -> dict[str, _Raw]:
        return {entry.id: entry for entry in self._builtin}


def find_osinfo_root(candidates: Iterable[Path] = OSINFO_DIRS) -> Path | None:
    for root in candidates:
        if (root / "os").is_dir() and next((root / "os").rglob("*.xml"), None) is not None:
            return root
    return None


_default: OsDb | None = None
_default_lock = threading.Lock()


def default_db() -> OsDb:
    """osinfo-db when installed, else the built-in set. Cheap: loads nothing."""
    global _default
    with _default_lock:
        if _default is None:
            root = find_osinfo_root()
            _default = OsDb(root) if root is not None else BuiltinOsDb()
        return _default
