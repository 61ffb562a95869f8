"""libvirt's own client RPC trace, for counting the calls a test's App makes.

This is the trace `LIBVIRT_LOG_FILTERS=1:rpc LIBVIRT_LOG_OUTPUTS=1:file:F` gives a
program from its start: one `RPC_CLIENT_MSG_TX_QUEUE` line per call sent, with its
client, program and `proc=` number. Those variables are read once, when libvirt
initialises; a test process has long done that, so the trace is switched on and off
for the span of a test through the same log settings libvirt applies them with
(`virLogSetOutputs` / `virLogSetFilters`). Nothing here reads a counter the code
under test keeps.

Each client is tied to the UNIX socket it connected to (`virNetSocketNewConnectUNIX
path=`), so calls can be told apart per host, and a connection carried by virtdeck's
SSH tunnel shows as a client of the tunnel's local socket.
"""

from __future__ import annotations

import ctypes
import os
import ctypes.util
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REMOTE_PROGRAM = 0x20008086  # remote_protocol.x; keepalives are another program

# remote_protocol.x procedure numbers the tests name (checked against libvirt 9.0's trace)
DOMAIN_GET_XML_DESC = 14
DOMAIN_GET_INFO = 16
DOMAIN_LOOKUP_BY_NAME = 23
DOMAIN_LOOKUP_BY_UUID = 24
CONNECT_LIST_ALL_DOMAINS = 273
CONNECT_LIST_ALL_STORAGE_POOLS = 281
CONNECT_LIST_ALL_NETWORKS = 283
NETWORK_GET_DHCP_LEASES = 341
CONNECT_GET_ALL_DOMAIN_STATS = 344
LEASE_READ = frozenset({CONNECT_LIST_ALL_NETWORKS, NETWORK_GET_DHCP_LEASES})

_LINE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\+0000: (?P<thread>\d+): \w+ : (?P<where>\S+) : (?P<text>.*)$"
)
_lock = threading.Lock()  # one trace at a time: the log settings are the process's


@dataclass(frozen=True)
class Call:
    at: float  # seconds since the epoch, from the trace's own time stamp
    thread: int
    client: str
    socket: str | None  # the UNIX socket the client connected to, when the trace saw it
    proc: int
    length: int = 0  # bytes of the message, header included


def _libvirt() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("virt") or "libvirt.so.0")
    for name in ("virLogSetOutputs", "virLogSetFilters", "virLogDefineOutputs", "virLogDefineFilters"):
        if not hasattr(lib, name):
            raise AssertionError(f"libvirt exports no {name}: cannot switch its RPC trace on")
    return lib


class RpcTrace:
    """`with RpcTrace(path) as trace:` traces every libvirt RPC this process sends."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lib = _libvirt()

    def __enter__(self) -> RpcTrace:
        import libvirt  # noqa: F401  (libvirt is initialised before its log is set)

        _lock.acquire()
        self.path.unlink(missing_ok=True)
        if self._lib.virLogSetOutputs(f"1:file:{self.path}".encode()) < 0 or \
                self._lib.virLogSetFilters(b"1:rpc") < 0:
            self._off()
            raise AssertionError("libvirt refused the RPC trace's log settings")
        return self

    def __exit__(self, *_exc) -> None:
        self._off()

    def _off(self) -> None:
        try:
            self._lib.virLogDefineFilters(None, 0)
            self._lib.virLogDefineOutputs(None, 0)
        finally:
            _lock.release()

    # -- reading ----------------------------------------------------------------

    def calls(self, procs: Iterable[int] | None = None,
              socket: str | Callable[[str], bool] | None = None) -> list[Call]:
        """The remote-program calls sent so far, oldest first; only `procs` when given, and
        only on clients of `socket` (a path, or a test on the path) when given."""
        return self._select(self._parse(), procs, socket)

    def replies(self, procs: Iterable[int] | None = None,
                socket: str | Callable[[str], bool] | None = None) -> list[Call]:
        """The replies received so far (RPC_CLIENT_MSG_RX), selected as `calls` selects."""
        return self._select(self._read()[2], procs, socket)

    @staticmethod
    def _select(messages: list[Call], procs: Iterable[int] | None,
                socket: str | Callable[[str], bool] | None) -> list[Call]:
        wanted = set(procs) if procs is not None else None
        found = [c for c in messages if wanted is None or c.proc in wanted]
        if socket is not None:
            test = socket if callable(socket) else (lambda path, same=os.path.realpath(socket):
                                                     os.path.realpath(path) == same)
            found = [c for c in found if c.socket is not None and test(c.socket)]
        return found

    def sockets(self) -> set[str]:
        """Every UNIX socket a libvirt client of this process connected to while tracing."""
        return {c for c in self._clients().values() if c}

    def _clients(self) -> dict[str, str | None]:
        return self._read()[1]

    def _parse(self) -> list[Call]:
        return self._read()[0]

    def _read(self) -> tuple[list[Call], dict[str, str | None], list[Call]]:
        try:
            text = self.path.read_text(errors="replace")
        except FileNotFoundError:
            return [], {}, []
        last_path: dict[int, str] = {}  # thread -> the socket path it is connecting to
        socket_path: dict[str, str] = {}  # sock -> path
        clients: dict[str, str | None] = {}
        calls: list[Call] = []
        replies: list[Call] = []
        for line in text.splitlines():
            m = _LINE.match(line)
            if m is None:
                continue
            thread, where, body = int(m["thread"]), m["where"], m["text"]
            if where.startswith("virNetSocketNewConnectUNIX") and body.startswith("path="):
                last_path[thread] = body[len("path="):].split()[0]
            elif body.startswith("RPC_SOCKET_NEW:"):
                sock = _field(body, "sock")
                if thread in last_path:
                    socket_path[sock] = last_path.pop(thread)
            elif body.startswith("RPC_CLIENT_NEW:"):
                clients[_field(body, "client")] = socket_path.get(_field(body, "sock"))
            elif body.startswith(("RPC_CLIENT_MSG_TX_QUEUE:", "RPC_CLIENT_MSG_RX:")) and \
                    int(_field(body, "prog")) == REMOTE_PROGRAM:
                at = datetime.strptime(m["at"] + "+0000", "%Y-%m-%d %H:%M:%S.%f%z").timestamp()
                client = _field(body, "client")
                message = Call(at, thread, client, clients.get(client), int(_field(body, "proc")),
                               int(_field(body, "len") or 0))
                (calls if body.startswith("RPC_CLIENT_MSG_TX_QUEUE:") else replies).append(message)
        return calls, clients, replies


def _field(body: str, name: str) -> str:
    m = re.search(rf"\b{name}=(\S+)", body)
    return m.group(1) if m else ""
