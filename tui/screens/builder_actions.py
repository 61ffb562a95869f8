"""`b` on the Volumes screen: a new volume built from a virt-builder template, on the pool's
host (over virtdeck's own SSH connection for a remote host, locally for a local one)."""

from __future__ import annotations

import threading

from ..actions.recorder import Did
from ..backend.commands import on_host
from ..backend.ssh import owned_target
from ..backend.uri import is_remote
from ..backend.virt_builder import POOL_TYPES, BuilderError, BuildRequest, NotInstalled, VirtBuilder, shown_arguments
from ..forms.builder_form import BuildImageScreen
from ..forms.job import JobScreen, run_for_form
from ..render.rows import available_is_underflow


def pool_problem(pool) -> str | None:
    """Why virt-builder cannot write into `pool` (it writes a file into the pool's directory)."""
    if pool.type not in POOL_TYPES:
        return (f"virt-builder writes a file into a directory: a {pool.type} pool has none "
                f"(use a dir, fs or netfs pool)")
    if not pool.target_path:
        return "the pool has no target directory"
    return None


class BuilderActions:
    """Mixed into VolumesScreen (which has ctx, conn_id, pool, volumes, connection, pool_uuid)."""

    def builder_why_disabled(self) -> str | None:
        connection = self.connection
        uri = connection.uri if connection is not None else ""
        if is_remote(uri) and owned_target(uri) is None:
            return "virt-builder runs over virtdeck's own SSH connection; this host uses libvirt's ssh transport"
        host = self.ctx.inventory.hosts.get(self.conn_id)
        if host is None or host.read_only:
            return f"{self.ctx.inventory.host_name(self.conn_id)} is a read-only connection"
        pool = self.pool
        if pool is None or pool.state != "active":
            return "the pool is not active"
        return None

    def _builder(self) -> VirtBuilder:
        return VirtBuilder(self.ctx.ssh)

    def action_build_image(self) -> None:
        pool = self.pool
        if pool is None or self.builder_why_disabled():
            return
        uri = self.connection.uri
        where = self.ctx.inventory.host_name(self.conn_id)
        self.notify(f"asking virt-builder on {where} for its templates…", title="virt-builder", markup=False,
                    timeout=3)

        def listed(templates, error) -> None:
            unavailable = pool_problem(pool) or error
            current = self.pool or pool
            self.app.push_screen(BuildImageScreen(
                pool.name, where, pool.target_path or "", templates or [], {vol.name for vol in self.volumes},
                available=None if available_is_underflow(current) else current.available,
                unavailable=unavailable).performing(self._build_in_job).describing(
                lambda request: on_host(shown_arguments(request), uri)))

        def ask():
            try:
                return self._builder().templates(uri, where), None
            except NotInstalled as exc:
                return None, str(exc)

        def run() -> None:
            try:
                templates, error = ask()
            except Exception as exc:  # virt-builder's or SSH's words
                templates, error = None, f"virt-builder --list failed on {where}: {exc}"
            self.app.call_from_thread(listed, templates, error)

        threading.Thread(target=run, name="virt-builder list", daemon=True).start()

    def _build_in_job(self, request: BuildRequest, finish) -> None:
        uri = self.connection.uri
        cancel = threading.Event()

        def build(_conn, progress):
            return self._builder().build(uri, request, progress, cancel)

        did = Did("volume", request.name, f"build from the virt-builder template {request.template}",
                  tuple(on_host(shown_arguments(request), uri)),
                  secrets=(request.root_password,) if request.root_password else ())
        work = self.ctx.actions.volumes.logged(self.conn_id, did, build)

        def ended(path, error: str | None) -> None:
            connection = self.connection
            if connection is not None:  # the new file becomes a volume of the pool
                connection.call(lambda conn: conn.storagePoolLookupByUUIDString(self.pool_uuid).refresh(0),
                                lambda _r, _e: connection.list_volumes(self.pool_uuid), "refresh pool")
            if error is not None:
                self.notify(f"{request.name} not built: {error}", title="virt-builder", severity="error",
                            markup=False, timeout=10)
            else:
                self.notify(f"{request.template} built into {path}", title="virt-builder", markup=False)

        run_for_form(self.app, JobScreen(self.ctx.actions.jobs, f"virt-builder {request.template} → {request.name}",
                                         self.connection, work, abort=lambda _conn: cancel.set()), finish, ended)


__all__ = ["BuilderActions", "BuilderError", "pool_problem"]
