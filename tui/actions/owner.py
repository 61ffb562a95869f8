"""What the actions need of the App that owns them (`Owner`), and what every group of verbs
shares (`OwnedActions`: the connection of a host, asking it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.message import Message
from textual.message_pump import MessagePump
from textual.notifications import SeverityLevel

from ..backend.connection import Connection
from ..backend.fleet import Fleet
from ..backend.inventory import Inventory
from ..calls import Then, ask
from .batch import Batch
from .recorder import Did, Recorder


class Owner(Protocol):
    """The App as the actions see it: the connections, what the hosts reported, where a bulk
    verb's report is kept, and its toasts and messages."""

    fleet: Fleet | None  # None until the App is mounted
    inventory: Inventory
    guest_batches: dict[int, Batch]  # the bulk verbs still running, by batch id
    last_batch: Batch | None  # the last bulk verb's report

    def post_message(self, message: Message) -> bool: ...

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None: ...


class OwnedActions:
    """A group of verbs on its owner's hosts; each answer comes back on the UI loop. A verb
    that changes something says what it does (`Did`, with its command lines, from the same
    arguments it runs with): the recorder logs how it ended."""

    def __init__(self, owner: Owner, recorder: Recorder | None = None) -> None:
        self.owner = owner
        self.recorder = recorder if recorder is not None else Recorder(owner, None)

    def uri(self, conn_id: str | None) -> str:
        """The host's URI, as `virsh -c` takes it."""
        host = self.owner.inventory.hosts.get(conn_id) if conn_id else None
        return host.uri if host else ""

    def name_of(self, table: str, conn_id: str, uuid: str) -> str:
        """The name of a guest, network or pool (`table`: the inventory's dict) by its key."""
        found = getattr(self.owner.inventory, table).get((conn_id, uuid))
        return found.name if found is not None else uuid

    def connection(self, conn_id: str | None) -> Connection | None:
        """`conn_id`'s connection (None: not connected, and asking it says so)."""
        fleet = self.owner.fleet
        return fleet.get(conn_id) if conn_id and fleet is not None else None

    def _ask(self, target: MessagePump, conn_id: str | None, fn: Callable, then: Then, action: str,
             long: bool = False, opens: str | None = None, did: Did | None = None) -> None:
        """`fn(conn)` off the UI loop on `conn_id`'s connection; `then(result, error)` back on it
        (`target` mixes in `calls.AnswersCalls`; `opens`: see `calls.ask`; `did`: what it does,
        logged when it ends)."""
        ask(target, self.connection(conn_id), self.recorder.wrap(conn_id, did, fn), then, action, long=long,
            opens=opens)

    def logged(self, conn_id: str | None, did: Did, work: Callable) -> Callable:
        """A job's `work(conn, progress)` that logs how it ended."""
        return self.recorder.wrap(conn_id, did, work)
