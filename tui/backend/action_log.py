"""The action log's file: one JSON object a line (`ActionRecord`'s fields), appended as each
action ends, rotated at `max_bytes` into `actions.jsonl.1` ... `.keep` (the oldest dropped).
Safe to call from any thread (one lock); a write that fails is dropped, never raised: the
log must not stop the action it records."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from dataclasses import asdict, fields
from pathlib import Path

from .model import ActionRecord

FILE_NAME = "actions.jsonl"
MAX_BYTES = 1024 * 1024
KEEP = 5
_FIELDS = {f.name for f in fields(ActionRecord)}


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret in it replaced (longest first, so one inside another goes too)."""
    from .commands import REDACTED

    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def to_line(record: ActionRecord) -> str:
    return json.dumps(asdict(record), ensure_ascii=False) + "\n"


def from_line(line: str) -> ActionRecord | None:
    """The record of one line (None: not one of ours, or cut short)."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or not {"at", "host", "what"} <= data.keys():
        return None
    try:
        return ActionRecord(**{k: v for k, v in data.items() if k in _FIELDS})
    except TypeError:
        return None


class ActionLog:
    """`path` and its rotated files."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES, keep: int = KEEP) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.keep = keep
        self._lock = threading.Lock()

    def rotated(self, number: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{number}")

    def append(self, record: ActionRecord) -> None:
        data = to_line(record).encode()
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    size = self.path.stat().st_size
                except FileNotFoundError:
                    size = 0
                if size and size + len(data) > self.max_bytes:
                    self._rotate()
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
            except OSError:
                pass

    def _rotate(self) -> None:
        self.rotated(self.keep).unlink(missing_ok=True)
        for number in range(self.keep - 1, 0, -1):
            if self.rotated(number).exists():
                os.replace(self.rotated(number), self.rotated(number + 1))
        os.replace(self.path, self.rotated(1))

    def files(self) -> list[Path]:
        """The log's files, oldest first."""
        return [p for p in (*(self.rotated(n) for n in range(self.keep, 0, -1)), self.path) if p.exists()]

    def last(self, count: int) -> list[ActionRecord]:
        """The newest `count` records, oldest first (from the rotated files too if need be)."""
        found: list[ActionRecord] = []
        for path in reversed(self.files()):
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            records = [r for r in map(from_line, lines) if r is not None]
            found = records[-(count - len(found)):] + found if count > len(found) else found
            if len(found) >= count:
                break
        return found[-count:] if count else []
