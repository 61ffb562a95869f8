"""What the Storage view does to pools: new, start, stop, refresh, autostart,
delete (its storage too, the name typed) and undefine. Mixed into
StorageScreen (with AnswersCalls)."""

from __future__ import annotations

from textual.binding import Binding

from ..forms.confirm import ConfirmScreen
from ..forms.delete_pool import DeletePoolScreen
from ..forms.new_pool import NewPoolScreen
from .object_actions import ObjectActions

POOL_BINDINGS = [
    Binding("n", "new", "New", id="new"),
    Binding("s", "verb('start')", "Start", id="pool.start"),
    Binding("d", "verb('stop')", "Stop", id="pool.stop"),
    Binding("f", "verb('refresh')", "Refresh", id="pool.refresh"),
    Binding("a", "verb('autostart')", "Autostart", id="pool.autostart"),
    Binding("D", "verb('delete')", "Delete", id="delete"),
    Binding("U", "verb('undefine')", "Undefine", id="pool.undefine"),
]

# What pool.delete removes, by type, for the confirmation.
DELETES = {
    "dir": "its directory removed (it must be empty)",
    "netfs": "its mount point directory removed",
    "logical": "its volume group REMOVED with every volume in it",
    "disk": "its partition table wiped",
}


class PoolActions(ObjectActions):
    KIND = "pool"
    DONE = {"start": "started", "stop": "stopped", "refresh": "refreshed", "delete": "deleted",
            "undefine": "undefined"}

    def verbs(self):
        return self.ctx.actions.pools

    def objects(self) -> dict:
        return self.ctx.inventory.pools

    def new_screen(self, hosts, conn_id):
        return NewPoolScreen(hosts, conn_id, self.ctx.actions.pools, self.ctx.inventory)

    def confirm(self, verb: str, pool, go) -> None:
        host = self.ctx.inventory.host_name(pool.conn_id)
        if verb == "delete":
            question = DeletePoolScreen(pool.name, host, DELETES.get(pool.type, "its storage deleted"))
        elif verb == "undefine":
            question = ConfirmScreen(f"Undefine pool {pool.name} on {host}? It is stopped and libvirt forgets it; "
                                     "its storage stays as it is.")
        else:
            go()
            return
        self.app.push_screen(question.describing(lambda: self.verbs().commands(verb, pool)), lambda yes: yes and go())
