"""What the UI does to networks and pools: new, the verbs (start, stop, autostart,
delete ...), a network's DHCP leases; each answer comes back on the UI loop."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from ..backend import commands
from ..backend.commands import CommandLine
from ..backend.ops import networks, storage
from ..backend.ops.common import Created, is_local, pretty
from ..backend.ops.networks import NetworkFacts, free_bridge_name
from ..backend.ops.storage import BUILD_EFFECT, DESTRUCTIVE_BUILD
from ..calls import Then
from .owner import OwnedActions
from .recorder import Did

__all__ = ["BUILD_EFFECT", "DESTRUCTIVE_BUILD", "Created", "NetworkFacts", "free_bridge_name", "is_local", "pretty"]


class ObjectVerbs(OwnedActions):
    """One kind of object (network, pool): why a verb can't run, and running it."""

    KIND: str
    OPS: ModuleType  # why_not(verb, obj), set_autostart and one function per verb
    LONG: frozenset[str] = frozenset()  # verbs that run on a long-call thread
    COMMANDS: Callable[..., list[CommandLine]]  # (uri, verb, name, autostart=, active=) -> its command lines

    def why_not(self, verb: str, obj) -> str | None:
        return self.OPS.why_not(verb, obj)

    def commands(self, verb: str, obj) -> list[CommandLine]:
        """What `run(verb, obj)` does, as command lines."""
        return type(self).COMMANDS(self.uri(obj.conn_id), verb, obj.name, autostart=not obj.autostart,
                                   active=getattr(obj, "active", getattr(obj, "state", "") == "active"))

    def run(self, target, verb: str, obj, then: Then) -> None:
        """`verb` on `obj`; `then(update, error)`. `autostart` flips the object's autostart."""
        conn_id, uuid = obj.conn_id, obj.uuid
        fn: Callable
        if verb == "autostart":
            on = not obj.autostart
            fn = lambda conn: self.OPS.set_autostart(conn, conn_id, uuid, on)  # noqa: E731
        else:
            fn = lambda conn: getattr(self.OPS, verb)(conn, conn_id, uuid)  # noqa: E731
        what = f"autostart {'off' if obj.autostart else 'on'}" if verb == "autostart" else f"{verb} {self.KIND}"
        self._ask(target, conn_id, fn, then, f"{verb} {self.KIND}", long=verb in self.LONG,
                  did=Did(self.KIND, obj.name, what, tuple(self.commands(verb, obj))))


class NetworkActions(ObjectVerbs):
    KIND = "network"
    OPS = networks
    COMMANDS = staticmethod(commands.network_verb)

    def leases(self, target, net, then: Then) -> None:
        self._ask(target, net.conn_id, lambda conn: networks.leases(conn, net.uuid), then, "DHCP leases",
                  opens="network details")

    def read_facts(self, target, conn_id: str, local: bool, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: networks.read_facts(conn, local), then, "read networks")

    def create_commands(self, conn_id: str, spec, start: bool, autostart: bool) -> list[CommandLine]:
        return commands.network_create(self.uri(conn_id), spec.name, start, autostart)

    def create(self, target, conn_id: str, spec, start: bool, autostart: bool, xml: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: networks.create(conn, conn_id, spec, start, autostart, xml), then,
                  "create network",
                  did=Did("network", spec.name, "create network", tuple(self.create_commands(conn_id, spec, start,
                                                                                               autostart))))


class PoolActions(ObjectVerbs):
    KIND = "pool"
    OPS = storage
    LONG = frozenset({"delete", "refresh"})
    COMMANDS = staticmethod(commands.pool_verb)

    def create_commands(self, conn_id: str, spec, build: bool, start: bool, autostart: bool) -> list[CommandLine]:
        return commands.pool_create(self.uri(conn_id), spec.name, build, start, autostart)

    def create(self, target, conn_id: str, spec, build: bool, start: bool, autostart: bool, local: bool, xml: str,
               then: Then) -> None:
        self._ask(target, conn_id,
                  lambda conn: storage.create(conn, conn_id, spec, build, start, autostart, local, xml), then,
                  "create pool", long=build,
                  did=Did("pool", spec.name, "create pool", tuple(self.create_commands(conn_id, spec, build, start,
                                                                                         autostart))))
