"""The action log, as the verbs see it: each verb says what it does (`Did`: the object, a
short phrase, the command lines that do the same) and the `Recorder` writes one record
when it ends (the file, `backend.action_log`) and hands it to the inventory, where the
Events view shows it among libvirt's events."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import libvirt

from ..backend.action_log import FILE_NAME, ActionLog, redact
from ..backend.commands import CommandLine, rendered
from ..backend.errors import error_text
from ..backend.model import ActionLogged, ActionRecord
from ..messages import BackendUpdated

SHOWN_ON_START = 300  # the last records of earlier sessions shown in the Events view


@dataclass(frozen=True)
class Did:
    """What an action does: to which object (kind, name), in a short phrase, and the command
    lines that do the same; `secrets` are words that must never be written (a password a
    seed carries) even if a command held one."""

    kind: str
    name: str
    what: str
    commands: tuple[CommandLine, ...] = ()
    secrets: tuple[str, ...] = ()

    @property
    def command_text(self) -> str:
        return redact(rendered(self.commands), self.secrets)


def aborted(exc: BaseException) -> bool:
    """Whether `exc` ends a job the user aborted (a transfer cancelled, libvirt's job aborted)."""
    code = exc.get_error_code() if isinstance(exc, libvirt.libvirtError) else None
    return code == libvirt.VIR_ERR_OPERATION_ABORTED or type(exc).__name__ == "Cancelled"


def outcome_of(result: Any) -> str | None:
    """What went wrong, from an answer that reports failure itself (None: nothing did)."""
    failed = getattr(result, "failed", None)
    if isinstance(failed, list) and failed:
        return "; ".join(f"{where}: {error}" for where, error in failed)
    error = getattr(result, "error", None)
    if isinstance(error, str) and error:
        return error
    return None


class Recorder:
    """Writes what `owner`'s actions did into `log` (None: keep no file) and the inventory."""

    def __init__(self, owner, log: ActionLog | None) -> None:
        self.owner = owner
        self.log = log

    @classmethod
    def in_state_dir(cls, owner) -> Recorder:
        from ..config import state_dir

        return cls(owner, ActionLog(state_dir() / FILE_NAME))

    def load(self, count: int = SHOWN_ON_START) -> None:
        """Earlier sessions' last records into the inventory (before the App runs)."""
        if self.log is not None:
            for record in self.log.last(count):
                self.owner.inventory.apply(ActionLogged(record))

    def record(self, conn_id: str | None, did: Did, error: str | None, outcome: str | None = None) -> ActionRecord:
        """One record, from any thread (the demo host's are shown, not written: they are not a
        host's history)."""
        host = self.owner.inventory.hosts.get(conn_id) if conn_id else None
        record = ActionRecord(
            at=time.time(), host=host.name if host else (conn_id or ""), uri=host.uri if host else "",
            kind=did.kind, name=did.name, what=did.what, command=did.command_text,
            outcome=redact(outcome or ("ok" if error is None else error), did.secrets), failed=error is not None,
            conn_id=conn_id or "")
        if self.log is not None and not (host is not None and host.demo):
            self.log.append(record)
        self.owner.post_message(BackendUpdated(ActionLogged(record)))
        return record

    def wrap(self, conn_id: str | None, did: Did | None, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn(conn, ...)` that records how it ended (its answer, or the error it raised)."""
        if did is None:
            return fn

        def run(*args):
            try:
                result = fn(*args)
            except BaseException as exc:
                text = error_text(exc) if isinstance(exc, Exception) else "aborted"
                self.record(conn_id, did, f"aborted: {text}" if aborted(exc) else text)
                raise
            problem = outcome_of(result)
            self.record(conn_id, did, problem)
            return result

        return run
