"""A new volume built from a virt-builder template, on the pool's host (over virtdeck's own SSH
connection for a remote host, locally for a local one): `b` on the Volumes screen, and the
new-guest form's "a new volume from a virt-builder template"."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..actions.recorder import Did
from ..backend.commands import on_host
from ..backend.transport import TransportError
from ..backend.ssh import owned_target
from ..backend.uri import is_remote
from ..backend.virt_builder import POOL_TYPES, BuilderError, BuildRequest, NotInstalled, VirtBuilder, shown_arguments
from ..calls import ask
from ..forms.builder_form import BuildImageScreen
from ..forms.job import JobScreen, run_for_form
from ..render.rows import available_is_underflow
from .context import ScreenContext

Built = Callable[[BuildRequest | None], None]  # the request that was built (None: nothing was)


def pool_problem(pool) -> str | None:
    """Why virt-builder cannot write into `pool` (it writes a file into the pool's directory)."""
    if pool.type not in POOL_TYPES:
        return (f"virt-builder writes a file into a directory: a {pool.type} pool has none "
                f"(use a dir, fs or netfs pool)")
    if not pool.target_path:
        return "the pool has no target directory"
    return None


def transport_problem(uri: str) -> str | None:
    if is_remote(uri) and owned_target(uri) is None:
        return "virt-builder runs over virtdeck's own SSH connection; this host uses libvirt's ssh transport"
    return None


def build_into_pool(screen, ctx: ScreenContext, conn_id: str, pool_uuid: str, taken: set[str],
                    built: Built | None = None) -> None:
    """Ask the pool's host for its templates, then open the form over `screen`; a build runs as a
    job, the pool is refreshed after it, and `built(request or None)` says how it ended (None
    too when the form is cancelled)."""
    pool = ctx.inventory.pools.get((conn_id, pool_uuid))
    connection = ctx.actions.volumes.connection(conn_id)
    if pool is None or connection is None:
        screen.notify("the pool or its host is gone", title="virt-builder", severity="error", markup=False)
        if built is not None:
            built(None)
        return
    uri = connection.uri
    where = ctx.inventory.host_name(conn_id)
    screen.notify(f"asking virt-builder on {where} for its templates…", title="virt-builder", markup=False,
                  timeout=3)

    def listed(templates, error) -> None:
        current = ctx.inventory.pools.get((conn_id, pool_uuid)) or pool
        form = BuildImageScreen(pool.name, where, pool.target_path or "", templates or [], taken,
                                available=None if available_is_underflow(current) else current.available,
                                unavailable=transport_problem(uri) or pool_problem(pool) or error)
        outcome: list[BuildRequest] = []

        def perform(request: BuildRequest, finish) -> None:
            def done(error: str | None, *answer) -> None:
                if error is None:
                    outcome.append(request)
                finish(error, *answer)

            _run_build(screen, ctx, conn_id, pool_uuid, uri, request, done)

        screen.app.push_screen(form.performing(perform).describing(
            lambda request: on_host(shown_arguments(request), uri)),
            lambda _answer: built(outcome[0] if outcome else None) if built is not None else None)

    def listing(_conn):
        if problem := transport_problem(uri):
            raise BuilderError(problem)
        try:
            return VirtBuilder(ctx.ssh).templates(uri, where)
        except (NotInstalled, TransportError):
            raise
        except Exception as exc:  # virt-builder's or SSH's words
            raise BuilderError(f"virt-builder --list failed on {where}: {exc}") from None

    # keys typed before the form is up wait for it (on a long-call thread: a list can take a while)
    ask(screen, connection, listing, listed, "virt-builder templates", long=True, opens="virt-builder")


def build_into_named_pool(screen, ctx: ScreenContext, conn_id: str, pool_name: str, taken: set[str],
                          built: Built) -> None:
    """`build_into_pool` for the new-guest form, which knows its pools by name."""
    found = next((p for p in ctx.inventory.pools.values() if p.conn_id == conn_id and p.name == pool_name), None)
    if found is None:
        screen.notify(f"the pool {pool_name} is not known here", title="virt-builder", severity="error",
                      markup=False)
        built(None)
        return
    build_into_pool(screen, ctx, conn_id, found.uuid, taken, built)


def _run_build(screen, ctx: ScreenContext, conn_id: str, pool_uuid: str, uri: str, request: BuildRequest,
               finish) -> None:
    cancel = threading.Event()

    def build(_conn, progress):
        def step(done: int, total: int, what: str) -> None:  # steps, not bytes: said in the text
            progress(0, 0, f"step {done} of about {total}: {what}")

        return VirtBuilder(ctx.ssh).build(uri, request, step, cancel)

    did = Did("volume", request.name, f"build from the virt-builder template {request.template}",
              tuple(on_host(shown_arguments(request), uri)),
              secrets=(request.root_password,) if request.root_password else ())
    volumes = ctx.actions.volumes
    connection = volumes.connection(conn_id)

    def ended(path, error: str | None) -> None:
        # the new file becomes a volume of the pool (and a failed one is gone from it)
        if connection is not None:
            connection.call(lambda conn: conn.storagePoolLookupByUUIDString(pool_uuid).refresh(0),
                            lambda _r, _e: connection.list_volumes(pool_uuid), "refresh pool")
        if error is not None:
            screen.notify(f"{request.name} not built: {error}", title="virt-builder", severity="error",
                          markup=False, timeout=10)
        else:
            screen.notify(f"{request.template} built into {path}", title="virt-builder", markup=False)

    run_for_form(screen.app, JobScreen(ctx.actions.jobs, f"virt-builder {request.template} → {request.name}",
                                       connection, volumes.logged(conn_id, did, build),
                                       abort=lambda _conn: cancel.set()), finish, ended)


class BuilderActions:
    """Mixed into VolumesScreen (which has ctx, conn_id, pool, volumes, connection, pool_uuid)."""

    def builder_why_disabled(self) -> str | None:
        connection = self.connection
        if problem := transport_problem(connection.uri if connection is not None else ""):
            return problem
        host = self.ctx.inventory.hosts.get(self.conn_id)
        if host is None or host.read_only:
            return f"{self.ctx.inventory.host_name(self.conn_id)} is a read-only connection"
        pool = self.pool
        if pool is None or pool.state != "active":
            return "the pool is not active"
        return None

    def action_build_image(self) -> None:
        if self.pool is None or self.builder_why_disabled():
            return
        build_into_pool(self, self.ctx, self.conn_id, self.pool_uuid, {vol.name for vol in self.volumes})


__all__ = ["BuilderActions", "BuilderError", "build_into_named_pool", "build_into_pool", "pool_problem"]
