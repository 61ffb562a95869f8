"""libvirt's callbacks for one connection (close, domain, network and pool events),
their registration, and what they hand over: an Event message, and a coalesced
re-read of the object on the connection's worker.

`EventCallbacks` is mixed into `Connection`. The callbacks run on the libvirt
event-loop thread and only hand work over. It uses the connection's `_generation`,
`_lock`, `conn_id`, `uri`, `submit`, `_emit`, `_lost` and `_refresh_one`.
"""

from __future__ import annotations

import logging

import libvirt

from . import states
from .errors import error_text
from .model import AgentChanged, Event, EventHappened

log = logging.getLogger(__name__)

_CLOSE_REASONS = {
    libvirt.VIR_CONNECT_CLOSE_REASON_ERROR: "connection error",
    libvirt.VIR_CONNECT_CLOSE_REASON_EOF: "connection closed by the host",
    libvirt.VIR_CONNECT_CLOSE_REASON_KEEPALIVE: "host stopped answering keepalives",
    libvirt.VIR_CONNECT_CLOSE_REASON_CLIENT: "closed",
}


class EventCallbacks:
    def __init__(self) -> None:
        self._pending: set[tuple[str, str]] = set()  # re-reads queued and not yet run
        self._callback_ids: list[tuple[str, int]] = []

    def _register_events(self, conn: libvirt.virConnect, generation: int) -> None:
        try:
            conn.registerCloseCallback(self._closed, generation)
        except libvirt.libvirtError:
            pass
        self._callback_ids = []
        registrations = [
            ("domain", libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self._domain_lifecycle),
            ("domain", libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, self._domain_reboot),
            ("domain", libvirt.VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON, self._domain_io_error),
            ("domain", libvirt.VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, self._domain_agent),
            ("network", libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, self._network_lifecycle),
            ("pool", libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, self._pool_lifecycle),
            ("pool", libvirt.VIR_STORAGE_POOL_EVENT_ID_REFRESH, self._pool_refresh),
        ]
        for kind, event_id, callback in registrations:
            register = {
                "domain": conn.domainEventRegisterAny,
                "network": conn.networkEventRegisterAny,
                "pool": conn.storagePoolEventRegisterAny,
            }[kind]
            try:
                self._callback_ids.append((kind, register(None, event_id, callback, generation)))
            except libvirt.libvirtError as exc:
                log.info("%s: cannot register %s event %s: %s", self.uri, kind, event_id, error_text(exc))

    def _deregister_events(self, conn: libvirt.virConnect) -> None:
        for kind, callback_id in self._callback_ids:
            deregister = {
                "domain": conn.domainEventDeregisterAny,
                "network": conn.networkEventDeregisterAny,
                "pool": conn.storagePoolEventDeregisterAny,
            }[kind]
            try:
                deregister(callback_id)
            except libvirt.libvirtError:
                pass
        self._callback_ids = []
        try:
            conn.unregisterCloseCallback()
        except libvirt.libvirtError:
            pass

    # -- event callbacks: on the event-loop thread, hand over only ---------

    def _closed(self, _conn: libvirt.virConnect, reason: int, generation: int) -> None:
        if reason == libvirt.VIR_CONNECT_CLOSE_REASON_CLIENT:
            return
        self.submit(self._lost, generation, _CLOSE_REASONS.get(reason, f"closed ({reason})"))

    def _queue_refresh(self, kind: str, uuid: str, generation: int) -> None:
        with self._lock:
            if (kind, uuid) in self._pending:
                return
            self._pending.add((kind, uuid))
        self.submit(self._refresh_one, kind, uuid, generation)

    def _domain_lifecycle(self, _conn, dom, event: int, detail: int, generation: int) -> None:
        if generation != self._generation:
            return
        name, text = states.domain_event(event, detail)
        self._emit(EventHappened(Event(self.conn_id, "guest", dom.name(), f"{name} ({text})")))
        self._queue_refresh("guest", dom.UUIDString(), generation)

    def _domain_reboot(self, _conn, dom, generation: int) -> None:
        if generation == self._generation:
            self._emit(EventHappened(Event(self.conn_id, "guest", dom.name(), "rebooted")))

    def _domain_io_error(self, _conn, dom, src_path: str, dev_alias: str, action: int, reason: str,
                         generation: int) -> None:
        if generation != self._generation:
            return
        actions = {0: "none", 1: "paused", 2: "reported", 3: "ignored"}
        detail = f"I/O error on {dev_alias or src_path} ({reason or 'unknown'}): {actions.get(action, action)}"
        self._emit(EventHappened(Event(self.conn_id, "io-error", dom.name(), detail)))
        self._queue_refresh("guest", dom.UUIDString(), generation)

    def _domain_agent(self, _conn, dom, state: int, reason: int, generation: int) -> None:
        if generation != self._generation:
            return
        connected = state == libvirt.VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED
        why = {libvirt.VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_REASON_DOMAIN_STARTED: "guest started",
               libvirt.VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_REASON_CHANNEL: "channel"}.get(reason, "unknown")
        self._emit(EventHappened(Event(self.conn_id, "agent", dom.name(),
                                       f"agent {'connected' if connected else 'disconnected'} ({why})")))
        self._emit(AgentChanged(self.conn_id, dom.UUIDString(), connected))

    def _network_lifecycle(self, _conn, net, event: int, _detail: int, generation: int) -> None:
        if generation != self._generation:
            return
        text = states.NETWORK_EVENTS.get(event, f"event {event}")
        self._emit(EventHappened(Event(self.conn_id, "network", net.name(), text)))
        self._queue_refresh("network", net.UUIDString(), generation)

    def _pool_lifecycle(self, _conn, pool, event: int, _detail: int, generation: int) -> None:
        if generation != self._generation:
            return
        text = states.POOL_EVENTS.get(event, f"event {event}")
        self._emit(EventHappened(Event(self.conn_id, "pool", pool.name(), text)))
        self._queue_refresh("pool", pool.UUIDString(), generation)

    def _pool_refresh(self, _conn, pool, generation: int) -> None:
        if generation == self._generation:
            self._queue_refresh("pool", pool.UUIDString(), generation)
