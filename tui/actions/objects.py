"""What the UI does to networks and pools: new, the verbs (start, stop, autostart,
delete ...), a network's DHCP leases; each answer comes back on the UI loop."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from ..backend.ops import networks, storage
from ..backend.ops.common import Created, is_local, pretty
from ..backend.ops.networks import NetworkFacts, free_bridge_name
from ..backend.ops.storage import BUILD_EFFECT, DESTRUCTIVE_BUILD
from ..calls import Then
from .owner import OwnedActions

__all__ = ["BUILD_EFFECT", "DESTRUCTIVE_BUILD", "Created", "NetworkFacts", "free_bridge_name", "is_local", "pretty"]


class ObjectVerbs(OwnedActions):
    """One kind of object (network, pool): why a verb can't run, and running it."""

    KIND: str
    OPS: ModuleType  # why_not(verb, obj), set_autostart and one function per verb
    LONG: frozenset[str] = frozenset()  # verbs that run on a long-call thread

    def why_not(self, verb: str, obj) -> str | None:
        return self.OPS.why_not(verb, obj)

    def run(self, target, verb: str, obj, then: Then) -> None:
        """`verb` on `obj`; `then(update, error)`. `autostart` flips the object's autostart."""
        conn_id, uuid = obj.conn_id, obj.uuid
        fn: Callable
        if verb == "autostart":
            on = not obj.autostart
            fn = lambda conn: self.OPS.set_autostart(conn, conn_id, uuid, on)  # noqa: E731
        else:
            fn = lambda conn: getattr(self.OPS, verb)(conn, conn_id, uuid)  # noqa: E731
        self._ask(target, conn_id, fn, then, f"{verb} {self.KIND}", long=verb in self.LONG)


class NetworkActions(ObjectVerbs):
    KIND = "network"
    OPS = networks

    def leases(self, target, net, then: Then) -> None:
        self._ask(target, net.conn_id, lambda conn: networks.leases(conn, net.uuid), then, "DHCP leases",
                  opens="network details")

    def read_facts(self, target, conn_id: str, local: bool, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: networks.read_facts(conn, local), then, "read networks")

    def create(self, target, conn_id: str, spec, start: bool, autostart: bool, xml: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: networks.create(conn, conn_id, spec, start, autostart, xml), then,
                  "create network")


class PoolActions(ObjectVerbs):
    KIND = "pool"
    OPS = storage
    LONG = frozenset({"delete", "refresh"})

    def create(self, target, conn_id: str, spec, build: bool, start: bool, autostart: bool, local: bool, xml: str,
               then: Then) -> None:
        self._ask(target, conn_id,
                  lambda conn: storage.create(conn, conn_id, spec, build, start, autostart, local, xml), then,
                  "create pool", long=build)
