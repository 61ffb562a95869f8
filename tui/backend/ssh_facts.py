"""Host facts libvirt does not give, read with one shell command per refresh.

The same script runs over the host's SSH connection (remote hosts virtdeck
carries) or locally (local URIs). Its sections are marked `@@name`; parsing is
pure and unit tested.
"""

from __future__ import annotations

import dataclasses
import shlex
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from .units import size_text
from .host_facts import PAGE_SIZE

SCRIPT = r"""
echo @@ksm
for f in run pages_shared pages_sharing pages_unshared full_scans; do
  [ -r /sys/kernel/mm/ksm/$f ] && echo "$f $(cat /sys/kernel/mm/ksm/$f)"
done
echo @@nested
for m in kvm_intel kvm_amd; do
  [ -r /sys/module/$m/parameters/nested ] && echo "$m $(cat /sys/module/$m/parameters/nested)"
done
echo @@cpu
grep -m1 -o -w -E 'vmx|svm' /proc/cpuinfo
echo @@kvm
[ -c /dev/kvm ] && echo present
echo @@load
cat /proc/loadavg
echo @@df
for p in "$@"; do echo "=$p"; df -PB1 "$p" 2>/dev/null | tail -n 1; done
echo @@validate
if [ "$VD_VALIDATE" = 1 ] && command -v virt-host-validate >/dev/null 2>&1; then
  timeout 20 virt-host-validate qemu 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
fi
echo @@end
"""


@dataclass(frozen=True)
class ShellFacts:
    read_at: float
    ksm: dict[str, int] = field(default_factory=dict)  # run, pages_shared, pages_sharing, ...
    nested: dict[str, str] = field(default_factory=dict)  # kvm_intel/kvm_amd -> Y/N/1/0
    cpu_virt: str | None = None  # "vmx", "svm" or None
    dev_kvm: bool = False
    load: tuple[float, float, float] | None = None
    disks: dict[str, tuple[int, int]] = field(default_factory=dict)  # asked path -> (size, available) bytes
    validate: tuple[str, ...] = ()  # virt-host-validate lines, when it ran
    error: str | None = None
    paths: tuple[str, ...] = ()  # the pool paths asked about, sorted

    @property
    def ksm_on(self) -> bool | None:
        return None if "run" not in self.ksm else self.ksm["run"] == 1

    @property
    def ksm_saved(self) -> int | None:
        return self.ksm["pages_sharing"] * PAGE_SIZE if "pages_sharing" in self.ksm else None

    @property
    def nested_on(self) -> bool | None:
        if not self.nested:
            return None
        return any(value.strip().upper() in ("Y", "1") for value in self.nested.values())


def command(pool_paths: Iterable[str], validate: bool = False) -> str:
    paths = " ".join(shlex.quote(p) for p in pool_paths if p)
    return f"VD_VALIDATE={1 if validate else 0} sh -c {shlex.quote(SCRIPT)} sh {paths}".rstrip()


def parse(out: str, pool_paths: Iterable[str] = (), now: float | None = None) -> ShellFacts:
    sections: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("@@"):
            current = line[2:].strip()
            sections[current] = []
        elif current is not None and line.strip():
            sections[current].append(line)
    ksm = {}
    for line in sections.get("ksm", []):
        name, _, value = line.partition(" ")
        if value.strip().isdigit():
            ksm[name] = int(value)
    nested = {}
    for line in sections.get("nested", []):
        name, _, value = line.partition(" ")
        nested[name] = value.strip()
    cpu = next((line.strip() for line in sections.get("cpu", []) if line.strip() in ("vmx", "svm")), None)
    load = None
    for line in sections.get("load", []):
        parts = line.split()
        try:
            load = (float(parts[0]), float(parts[1]), float(parts[2]))
        except (IndexError, ValueError):
            pass
    disks = {}
    asked = None
    for line in sections.get("df", []):
        if line.startswith("="):
            asked = line[1:]
            continue
        row = line.split()
        if asked is not None and len(row) >= 6 and row[1].isdigit() and row[3].isdigit():
            disks[asked] = (int(row[1]), int(row[3]))
        asked = None
    return ShellFacts(
        read_at=time.time() if now is None else now,
        ksm=ksm,
        nested=nested,
        cpu_virt=cpu,
        dev_kvm=bool(sections.get("kvm")),
        load=load,
        disks=disks,
        validate=tuple(sections.get("validate", [])),
        error=None if "end" in sections else "the facts script did not finish",
        paths=tuple(sorted(p for p in pool_paths if p)),
    )


def read_local(pool_paths: list[str], validate: bool = False, timeout: float = 40) -> ShellFacts:
    try:
        done = subprocess.run(["sh", "-c", command(pool_paths, validate)], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return ShellFacts(time.time(), error=str(exc), paths=tuple(sorted(p for p in pool_paths if p)))
    return parse(done.stdout, pool_paths)


def read_remote(transport, uri: str, pool_paths: list[str], validate: bool = False,
                timeout: float = 40) -> ShellFacts:
    """Over the host's one SSH connection (`transport` is an SshTransport)."""
    from .transport import TransportError

    try:
        _status, out, _err = transport.run_command(uri, command(pool_paths, validate), timeout=timeout)
    except TransportError as exc:
        return ShellFacts(time.time(), error=str(exc), paths=tuple(sorted(p for p in pool_paths if p)))
    except Exception as exc:  # the SSH connection broke mid-command
        return ShellFacts(time.time(), error=str(exc) or type(exc).__name__,
                          paths=tuple(sorted(p for p in pool_paths if p)))
    return parse(out, pool_paths)


def findings(facts: ShellFacts, memory_ratio: float | None, pool_free_warn: float = 0.1) -> list[tuple[str, str]]:
    """(severity "warning"/"notice", text) for Triage: nearly full pool filesystems, KSM off while
    memory is overcommitted, and what virt-host-validate fails."""
    found = []
    for path, (size, available) in sorted(facts.disks.items()):
        if size and available / size < pool_free_warn:
            found.append(("warning", f"filesystem under {path} is {100 - available * 100 // size}% full "
                                     f"({size_text(available)} free)"))
    if memory_ratio is not None and memory_ratio > 1.0 and facts.ksm_on is False:
        found.append(("notice", f"guest memory is {memory_ratio * 100:.0f}% of host memory and KSM is off"))
    for line in facts.validate:
        if ": FAIL" in line:
            found.append(("warning", "virt-host-validate: " + " ".join(line.split())))
    return found


class FactsReader:
    """Reads a host's facts on a thread of its own, one read per host at a time;
    `deliver(conn_id, facts)` is called on that thread. virt-host-validate runs on
    the first read of a host only (it takes seconds); later reads keep its lines."""

    def __init__(self, transport, deliver) -> None:
        self.transport = transport
        self.deliver = deliver
        self._busy: set[str] = set()
        self._validated: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def request(self, conn_id: str, uri: str, pool_paths: list[str], remote: bool) -> bool:
        with self._lock:
            if conn_id in self._busy:
                return False
            self._busy.add(conn_id)
        threading.Thread(target=self._read, args=(conn_id, uri, pool_paths, remote),
                         name=f"facts-{conn_id}", daemon=True).start()
        return True

    def _read(self, conn_id: str, uri: str, pool_paths: list[str], remote: bool) -> None:
        try:
            validate = conn_id not in self._validated
            facts = read_remote(self.transport, uri, pool_paths, validate) if remote \
                else read_local(pool_paths, validate)
            if facts.error is None:
                if validate:
                    self._validated[conn_id] = facts.validate
                else:
                    facts = dataclasses.replace(facts, validate=self._validated.get(conn_id, ()))
            try:
                self.deliver(conn_id, facts)
            except RuntimeError:  # the app is gone
                pass
        finally:
            with self._lock:
                self._busy.discard(conn_id)
