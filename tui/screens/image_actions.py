"""qemu-img info / check / convert on the selected volume of the Volumes screen, run on the
volume's host: over virtdeck's own SSH connection for a remote host, locally for a local one."""

from __future__ import annotations

import threading

from ..backend.ssh import owned_target
from ..actions.recorder import Did
from ..backend.commands import on_host
from ..backend.ssh_images import DiskImages, convert_command, convert_target
from ..backend.uri import is_remote
from ..forms.image_forms import ConvertImageScreen, ConvertRequest
from ..forms.job import JobScreen, run_for_form
from ..render.cells import size_text
from .details import DetailsScreen

IMAGE_ACTIONS = frozenset({"image_info", "image_check", "image_convert"})


def info_facts(info: dict) -> list[tuple[str, str | None]]:
    facts: list[tuple[str, str | None]] = [
        ("File", info.get("filename")),
        ("Format", info.get("format")),
        ("Virtual size", size_text(info["virtual-size"]) if "virtual-size" in info else None),
        ("On disk", size_text(info["actual-size"]) if "actual-size" in info else None),
        ("Cluster size", size_text(info["cluster-size"]) if "cluster-size" in info else None),
        ("Backing file", info.get("backing-filename")),
        ("Backing format", info.get("backing-filename-format")),
        ("Dirty", "yes" if info.get("dirty-flag") else "no"),
    ]
    specific = (info.get("format-specific") or {}).get("data") or {}
    for key in ("compat", "compression-type", "lazy-refcounts", "corrupt", "extended-l2"):
        if key in specific:
            facts.append((key, str(specific[key])))
    return facts


class ImageActions:
    """Mixed into VolumesScreen (which has ctx, conn_id, selected(), connection, pool_uuid)."""

    def image_why_disabled(self, action: str) -> str | None:
        connection = self.connection
        uri = connection.uri if connection is not None else ""
        if is_remote(uri) and owned_target(uri) is None:
            return "qemu-img runs over virtdeck's own SSH connection; this host uses libvirt's ssh transport"
        if not uri.startswith("qemu"):
            return "qemu-img works on QEMU hosts only"
        vol = self.selected()
        if vol is None or not vol.path:
            return "no volume is selected"
        if action == "image_convert":
            host = self.ctx.inventory.hosts.get(self.conn_id)
            if host is None or host.read_only:
                return f"{self.ctx.inventory.host_name(self.conn_id)} is a read-only connection"
        return None

    def _images(self) -> DiskImages:
        return DiskImages(self.ctx.ssh)

    def _in_thread(self, work, then) -> None:
        """`work()` on a thread of its own; `then(result, error)` back on the UI loop."""

        def run() -> None:
            try:
                result, error = work(), None
            except Exception as exc:  # qemu-img's or SSH's words
                result, error = None, str(exc) or type(exc).__name__
            self.app.call_from_thread(then, result, error)

        threading.Thread(target=run, name="qemu-img", daemon=True).start()

    def action_image_info(self) -> None:
        vol = self.selected()
        if vol is None or self.image_why_disabled("image_info"):
            return
        uri = self.connection.uri

        def shown(info, error) -> None:
            if error is not None:
                self.notify(error, title=f"qemu-img info {vol.name}", severity="error", markup=False, timeout=8)
            else:
                self.app.push_screen(DetailsScreen(f"qemu-img info {vol.name}", info_facts(info)))

        self._in_thread(lambda: self._images().info(uri, vol.path), shown)

    def action_image_check(self) -> None:
        vol = self.selected()
        if vol is None or self.image_why_disabled("image_check"):
            return
        uri = self.connection.uri

        def ended(outcome) -> None:
            result, error = outcome
            if error is not None:
                self.notify(error, title=f"qemu-img check {vol.name}", severity="error", markup=False, timeout=8)
                return
            facts = [("Verdict", result.verdict), ("Exit status", str(result.exit_status))]
            for key in ("check-errors", "corruptions", "leaks", "allocated-clusters", "total-clusters",
                        "fragmented-clusters"):
                if result.report and key in result.report:
                    facts.append((key, str(result.report[key])))
            if not result.report and result.text:
                facts.append(("Output", result.text))
            self.app.push_screen(DetailsScreen(f"qemu-img check {vol.name}", facts))

        self.app.push_screen(JobScreen(self.ctx.actions.jobs, f"qemu-img check {vol.name}", self.connection,
                                       lambda _conn, progress: self._images().check(uri, vol.path)), ended)

    def action_image_convert(self) -> None:
        vol = self.selected()
        if vol is None or self.image_why_disabled("image_convert"):
            return
        uri = self.connection.uri
        taken = {v.name for v in self.volumes}

        def perform(request: ConvertRequest, finish) -> None:
            cancel = threading.Event()

            def work(_conn, progress):
                return self._images().convert(uri, vol.path, request.name, request.target_format, request.compress,
                                              progress=lambda pct: progress(int(pct * 10), 1000, "converting"),
                                              cancel=cancel)

            def ended(target, error: str | None) -> None:
                connection = self.connection
                if connection is not None:  # the new file becomes a volume of the pool
                    connection.call(lambda conn: conn.storagePoolLookupByUUIDString(self.pool_uuid).refresh(0),
                                    lambda _r, _e: connection.list_volumes(self.pool_uuid), "refresh pool")
                if error is not None:
                    self.notify(f"{vol.name} not converted: {error}", title="qemu-img convert", severity="error",
                                markup=False, timeout=10)
                else:
                    self.notify(f"{vol.name} converted to {target}", title="qemu-img convert", markup=False)

            pool = self.ctx.actions.volumes.pool_host(self.pool_uuid, self.conn_id)[2]
            did = Did("volume", f"{pool}/{vol.name}", f"convert to {request.name} ({request.target_format})",
                      tuple(describe(request)))
            run_for_form(self.app, JobScreen(self.ctx.actions.jobs, f"Convert {vol.name} to {request.target_format}",
                                             self.connection, self.ctx.actions.volumes.logged(self.conn_id, did, work),
                                             abort=lambda _conn: cancel.set()), finish, ended)

        def describe(request: ConvertRequest):
            target = convert_target(vol.path, request.name)
            return on_host(convert_command(vol.path, target, request.target_format, request.compress), uri)

        self.app.push_screen(ConvertImageScreen(vol.name, getattr(vol, "format", None), taken).performing(
            perform).describing(describe))
