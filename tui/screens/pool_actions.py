"""What the Storage view does to pools: new, start, stop, refresh, autostart,
delete (its storage too, the name typed) and undefine. Mixed into
StorageScreen (with AnswersCalls)."""

from __future__ import annotations

from textual.binding import Binding

from ..backend.model import ConnState
from ..backend.ops import storage as ops
from ..calls import ask
from ..forms.confirm import ConfirmScreen
from ..forms.delete_pool import DeletePoolScreen
from ..forms.new_pool import NewPoolScreen
from ..messages import BackendUpdated
from ..widgets.says_why import SaysWhyDisabled

POOL_BINDINGS = [
    Binding("n", "new_pool", "New", id="new"),
    Binding("s", "pool('start')", "Start", id="pool.start"),
    Binding("d", "pool('stop')", "Stop", id="pool.stop"),
    Binding("f", "pool('refresh')", "Refresh", id="pool.refresh"),
    Binding("a", "pool('autostart')", "Autostart", id="pool.autostart"),
    Binding("D", "pool('delete')", "Delete", id="delete"),
    Binding("U", "pool('undefine')", "Undefine", id="pool.undefine"),
]

# What pool.delete removes, by type, for the confirmation.
DELETES = {
    "dir": "its directory removed (it must be empty)",
    "netfs": "its mount point directory removed",
    "logical": "its volume group REMOVED with every volume in it",
    "disk": "its partition table wiped",
}
DONE = {"start": "started", "stop": "stopped", "refresh": "refreshed", "delete": "deleted", "undefine": "undefined"}


class PoolActions(SaysWhyDisabled):
    def selected_pool(self):
        key = self.table.selected_key
        return self.vd.inventory.pools.get(self.split_key(key)) if key else None

    def writable_hosts(self) -> list[tuple[str, str]]:
        return [(h.name if h.demo else f"{h.name} ({h.uri})", h.conn_id) for h in self.vd.inventory.hosts.values()
                if h.state == ConnState.CONNECTED and not h.read_only]

    def why_disabled(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        if action == "new_pool":
            return None if self.writable_hosts() else "no connected host takes changes (read-only or not connected)"
        if action != "pool":
            return None
        pool = self.selected_pool()
        if pool is None:
            return "no pool is selected"
        host = self.vd.inventory.hosts.get(pool.conn_id)
        if host is None or host.read_only:
            return f"{self.vd.inventory.host_name(pool.conn_id)}: read-only connection"
        return ops.why_not(str(parameters[0]) if parameters else "", pool)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new_pool", "pool"):
            return True if self.why_disabled(action, parameters) is None else None
        return True

    def on_data_table_row_highlighted(self, _event) -> None:
        self.refresh_bindings()

    def refresh_view(self, kinds: frozenset[str] | None = None) -> None:
        super().refresh_view(kinds)
        self.refresh_bindings()

    def apply_update(self, update) -> None:
        if update is not None:
            self.app.post_message(BackendUpdated(update))

    def action_new_pool(self) -> None:
        hosts = self.writable_hosts()
        if not hosts:
            return
        pool = self.selected_pool()

        def created(result) -> None:
            if result is None:
                return
            self.apply_update(result.update)
            self.notify(f"Pool {result.name} defined.", title="New pool", markup=False)
            if result.differences:
                self.notify("libvirt defined it differently from what was asked:\n" + "\n".join(result.differences),
                            title=f"Pool {result.name}", severity="warning", markup=False, timeout=15)

        self.app.push_screen(NewPoolScreen(hosts, pool.conn_id if pool else None), created)

    def action_pool(self, verb: str) -> None:
        pool = self.selected_pool()
        if pool is None or self.why_disabled("pool", (verb,)) is not None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_pool_verb(verb, pool)

        host = self.vd.inventory.host_name(pool.conn_id)
        if verb == "delete":
            self.app.push_screen(DeletePoolScreen(pool.name, host, DELETES.get(pool.type, "its storage deleted")),
                                 answered)
        elif verb == "undefine":
            self.app.push_screen(ConfirmScreen(
                f"Undefine pool {pool.name} on {host}? It is stopped and libvirt forgets it; "
                "its storage stays as it is."), answered)
        else:
            self.run_pool_verb(verb, pool)

    def run_pool_verb(self, verb: str, pool) -> None:
        conn_id, uuid = pool.conn_id, pool.uuid
        if verb == "autostart":
            on = not pool.autostart
            fn = lambda conn: ops.set_autostart(conn, conn_id, uuid, on)  # noqa: E731
            past = "set to autostart" if on else "set not to autostart"
        else:
            fn = lambda conn: getattr(ops, verb)(conn, conn_id, uuid)  # noqa: E731
            past = DONE[verb]

        def done(update, error: str | None) -> None:
            if error is not None:
                self.notify(error, title=f"{pool.name}: {verb} failed", severity="error", markup=False, timeout=10)
                return
            self.apply_update(update)
            self.notify(f"{pool.name} {past}.", markup=False)

        ask(self, self.vd.fleet.get(conn_id), fn, done, f"{verb} pool", long=verb in ("delete", "refresh"))
