"""What the UI does to guests: a lifecycle verb on one guest or every marked guest (and
saying how it went), delete, rename, clone, migrate. Screens and forms take the pure
helpers they need (`why_not`, `name_problem`, the plans' types) from here."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

from ..backend import commands
from ..backend.commands import CommandLine
from ..backend.errors import error_text
from ..backend.model import Guest
from ..backend.ops import clone, jobs, migrate
from ..backend.ops import guests as ops
from ..backend.ops.clone import ClonePlan, new_volume_name
from ..backend.ops.guests import VERBS, DiskFile, name_problem, why_not
from ..backend.ops.migrate import MigrationRequest
from ..calls import Then
from ..messages import GuestActionFinished
from .batch import Batch
from .owner import OwnedActions, Owner
from .recorder import Did, Recorder

__all__ = ["VERBS", "Batch", "ClonePlan", "DiskFile", "GuestActions", "MigrationRequest", "choose", "finished", "launch",
           "name_problem", "new_volume_name", "why_not"]

_batches = itertools.count(1)
LONG = frozenset({"start", "restart", "managed_save", "delete", "clone"})


def choose(verbs: tuple[str, ...], guest: Guest) -> str | None:
    """The first of `verbs` that applies to `guest` (None: none does)."""
    return next((verb for verb in verbs if ops.why_not(verb, guest) is None), None)


def uri_of(owner: Owner, conn_id: str) -> str:
    host = owner.inventory.hosts.get(conn_id)
    return host.uri if host else ""


def verb_commands(owner: Owner, verb: str, guest: Guest) -> list[CommandLine]:
    """The command lines of the lifecycle verb `verb` (`ops.run`'s) on `guest`."""
    return commands.guest_verb(uri_of(owner, guest.conn_id), verb, guest.name)


def launch(owner: Owner, verb: str | tuple[str, ...], targets: list[Guest],
           work: Callable[[object, Guest], str | None] | None = None, recorder: Recorder | None = None,
           describe: Callable[[Guest, str], Did] | None = None) -> int | None:
    """Start `verb` on every target it applies to; returns the batch id (None: nothing to do).

    `verb` may be a tuple: each guest gets the first of them that applies to it (`p` pauses
    the running and resumes the paused). `work(conn, guest)` does it (default: `ops.run_on`);
    what it returns is noted in the report. `recorder` logs each guest's outcome, as
    `describe(guest, verb)` says (default: the verb and its virsh command).
    """
    verbs = verb if isinstance(verb, tuple) else (verb,)
    chosen = {g.key: v for g in targets if (v := choose(verbs, g)) is not None}
    applicable = [g for g in targets if g.key in chosen]
    skipped = [ops.why_not(verbs[0], g) or f"{g.name}: nothing to do" for g in targets if g.key not in chosen]
    hosts = owner.inventory.hosts
    read_only = [g for g in applicable if hosts.get(g.conn_id) and hosts[g.conn_id].read_only]
    skipped += [f"{g.name}: {owner.inventory.host_name(g.conn_id)} is read-only" for g in read_only]
    applicable = [g for g in applicable if g not in read_only]
    batch_id = next(_batches)
    batch = Batch(verbs[0], len(applicable), skipped,
                  chosen={g.name: chosen[g.key] for g in applicable if chosen[g.key] != verbs[0]})
    if not applicable:
        owner.notify("\n".join(skipped) or "nothing to do", title=ops.VERBS[verbs[0]].label, severity="warning",
                     markup=False)
        return None
    owner.guest_batches[batch_id] = batch
    if verbs[0] in ("managed_save", "delete") or (verbs[0] == "start" and any(g.managed_save for g in applicable)):
        owner.notify(f"{', '.join(g.name for g in applicable)}: working…", title=batch.title,
                     markup=False, timeout=3)
    for guest in applicable:
        verb = chosen[guest.key]
        connection = owner.fleet.get(guest.conn_id) if owner.fleet else None
        if connection is None:
            owner.post_message(GuestActionFinished(batch_id, guest.name, "not connected"))
            continue

        def job(conn, guest=guest, verb=verb, connection=connection):
            if work is not None:
                return work(conn, guest)
            return ops.run_on(connection.domain(conn, guest.uuid), verb)

        did = describe(guest, verb) if describe is not None else Did(
            "guest", guest.name, ops.VERBS[verb].label, tuple(verb_commands(owner, verb, guest)))

        def done(result, error, guest=guest, connection=connection, verb=verb, did=did):
            text = None
            if error is not None:
                text = error_text(error)
            elif verb.startswith("autostart"):
                connection.refresh_guest(guest.uuid)
            if recorder is not None:
                recorder.record(guest.conn_id, did, text, None if text else result if isinstance(result, str) else None)
            owner.post_message(GuestActionFinished(batch_id, guest.name, text, result if isinstance(result, str) else None))

        # Saving or restoring memory takes as long as the guest is big: off the worker,
        # so the host's events and stats go on meanwhile, on the connection's few long-call
        # threads (N marked guests queue there, never N threads).
        run = connection.run_long if verb in LONG else connection.call
        run(job, done, action=ops.VERBS[verb].label)
    return batch_id


def finished(owner: Owner, message: GuestActionFinished) -> None:
    batch = owner.guest_batches.get(message.batch)
    if batch is None:
        return
    if message.error is None:
        batch.done.append(message.guest)
        if message.note:
            batch.notes.append(f"{message.guest}: {message.note}")
    else:
        batch.failed.append((message.guest, message.error))
    if batch.finished:
        del owner.guest_batches[message.batch]
        text, severity = batch.summary()
        owner.notify(text, title=batch.title, severity=severity, markup=False,
                     timeout=10 if batch.failed else 4)
        owner.last_batch = batch


class GuestActions(OwnedActions):
    """The guest verbs the screens and forms call; each answer comes back on the UI loop."""

    def launch(self, verb: str | tuple[str, ...], targets: list[Guest],
               work: Callable[[object, Guest], str | None] | None = None) -> int | None:
        return launch(self.owner, verb, targets, work, self.recorder)

    def commands(self, verb: str | tuple[str, ...], targets: list[Guest]) -> list[CommandLine]:
        """What `launch(verb, targets)` would run, as command lines (each guest's chosen verb)."""
        verbs = verb if isinstance(verb, tuple) else (verb,)
        return [line for guest in targets if (chosen := choose(verbs, guest)) is not None
                for line in verb_commands(self.owner, chosen, guest)]

    def delete_commands(self, guest: Guest, volumes: tuple = ()) -> list[CommandLine]:
        """Deleting `guest` with `volumes` (their paths, or anything with a `path`)."""
        paths = [getattr(v, "path", v) for v in volumes]
        return commands.guest_delete(self.uri(guest.conn_id), guest.name, guest.state != "shut off",
                                     paths)

    def rename_commands(self, guest: Guest, new_name: str) -> list[CommandLine]:
        return commands.guest_rename(self.uri(guest.conn_id), guest.name, new_name)

    def clone_commands(self, guest: Guest, new_name: str, plan: ClonePlan | None = None) -> list[CommandLine]:
        """virt-clone, with the new disks' paths as `clone.plan` names them (none: virt-clone's own)."""
        files = tuple(os.path.join(os.path.dirname(c.source), new_volume_name(c.volume, guest.name, new_name, c.target,
                                                                              set()))
                      for c in (plan.copies if plan is not None else ()))
        return commands.guest_clone(self.uri(guest.conn_id), guest.name, new_name, files)

    def migrate_commands(self, guest: Guest, target_conn_id: str, request: MigrationRequest) -> list[CommandLine]:
        return commands.guest_migrate(self.uri(guest.conn_id), guest.name, self.uri(target_conn_id),
                                      active=guest.state != "shut off", paused=guest.state == "paused",
                                      persistent=guest.persistent, undefine_source=request.undefine_source,
                                      copy_storage=request.copy_storage, address=request.address)

    def finished(self, message: GuestActionFinished) -> None:
        finished(self.owner, message)

    def list_disks(self, target, guest: Guest, then: Then) -> None:
        self._ask(target, guest.conn_id, lambda conn: ops.deletable_disks(conn, guest.uuid), then, "list disks",
                  opens="delete")

    def delete(self, guests: list[Guest], volumes: dict[tuple[str, str], tuple]) -> None:
        """Delete `guests`, each with the volumes of its key in `volumes`."""

        def work(conn, guest) -> str | None:
            chosen = volumes.get(guest.key, ())
            problems = ops.delete(conn, guest.uuid, chosen)
            if problems:
                return "deleted, but " + "; ".join(problems)
            return f"its {len(chosen)} volume(s) deleted too" if chosen else None

        launch(self.owner, "delete", guests, work=work, recorder=self.recorder,
               describe=lambda guest, _verb: Did("guest", guest.name, "delete",
                                                 tuple(self.delete_commands(guest, volumes.get(guest.key, ())))))

    def rename(self, target, guest: Guest, new_name: str, then: Then) -> None:
        self._ask(target, guest.conn_id, lambda conn: ops.rename(conn, guest.uuid, new_name), then, "rename",
                  did=Did("guest", guest.name, f"rename to {new_name}", tuple(self.rename_commands(guest, new_name))))

    def plan_clone(self, target, guest: Guest, then: Then) -> None:
        self._ask(target, guest.conn_id, lambda conn: clone.plan(conn, guest.uuid, f"{guest.name}-clone"), then,
                  "plan clone", opens="clone")

    def clone_work(self, guest: Guest, new_name: str, plan: ClonePlan | None = None):
        """The job (conn, progress) that clones `guest` to `new_name` (`plan`: for its command)."""
        did = Did("guest", guest.name, f"clone to {new_name}", tuple(self.clone_commands(guest, new_name, plan)))
        return self.logged(guest.conn_id, did, lambda conn, progress: clone.clone(conn, guest.uuid, new_name, progress))

    def migrate_work(self, guest: Guest, target_conn_id: str, target_name: str, request: MigrationRequest):
        """The job (conn, progress) that moves `guest` to the host `target_conn_id`."""
        target = self.connection(target_conn_id)

        def work(conn, progress):
            dest = target.handle() if target is not None else None
            if dest is None:
                raise ConnectionError(f"{target_name} is not connected")
            return migrate.migrate(conn, guest.uuid, dest, request, progress)

        did = Did("guest", guest.name, f"migrate to {target_name}",
                  tuple(self.migrate_commands(guest, target_conn_id, request)))
        return self.logged(guest.conn_id, did, work)

    def abort_job(self, guest: Guest):
        """The abort (conn) of a job on `guest`."""
        return lambda conn: jobs.abort(conn, guest.uuid)
