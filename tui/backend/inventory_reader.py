"""Reads guests, networks, pools and volumes off an open connection.

Runs on the connection's worker thread. A full read uses bulk calls (filtered
lists and one getAllDomainStats); per-object calls are kept for single-object
refreshes after an event. A driver whose bulk stats lack vCPUs and memory (the
test driver: only the state group) has them read with a call per guest for a few
milliseconds (SIZES_WITH_THE_LIST); the guests left are listed without them, and
read after the list (`read_sizes`). libvirtd 9.0's QEMU driver gives
state, balloon and vCPU fields for inactive guests too, so a real host costs no
per-guest call.

The `*_steps` readers are generators that yield after each call, so the
connection's worker can run an action or a stats tick in between (through a slow
link a call is a round trip: an action waits for one at most); each returns what
it read (`result = yield from guest_steps(...)`). Networks and pools take their
flags from filtered lists too: a call for each flag, not one per object.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any

import libvirt

from . import handles, states
from .model import Guest, GuestChanged, Network, NetworkChanged, Pool, PoolChanged, Volume
from .xml.capabilities import parse_capabilities
from .xml.network import parse_network, parse_network_details
from .xml.pool import parse_pool
from .xml.volume import parse_volume

log = logging.getLogger(__name__)

# Seconds a list spends reading the sizes its bulk stats lack (a GetInfo per guest), and
# for its first few guests (a small host, the demo) a while longer; the guests left then
# are listed without them and read after the list (`read_sizes`).
SIZES_WITH_THE_LIST = 0.01
SIZES_OF_THE_FIRST = (16, 0.05)

_GONE = {
    libvirt.VIR_ERR_NO_DOMAIN,
    libvirt.VIR_ERR_NO_NETWORK,
    libvirt.VIR_ERR_NO_STORAGE_POOL,
    libvirt.VIR_ERR_NO_STORAGE_VOL,
}


def _gone(exc: libvirt.libvirtError) -> bool:
    return exc.get_error_code() in _GONE


def _optional(call: Any, default: Any = None) -> Any:
    try:
        return call()
    except libvirt.libvirtError:
        return default


def read_host(conn: libvirt.virConnect) -> dict[str, Any]:
    info = _optional(conn.getInfo, None)
    caps_xml = _optional(conn.getCapabilities, None)
    caps = None
    if caps_xml:
        try:
            caps = parse_capabilities(caps_xml)
        except ValueError:
            caps = None
    return {
        "hostname": _optional(conn.getHostname),
        "hypervisor": _optional(conn.getType),
        "hypervisor_version": states.version_text(_optional(conn.getVersion, 0) or 0),
        "libvirt_version": states.version_text(_optional(conn.getLibVersion, 0) or 0),
        "arch": (caps.arch if caps else None) or (info[0] if info else None),
        "cpu_model": (caps.cpu_model if caps else None) or (info[0] if info else None),
        "cpus": info[2] if info else None,
        "memory_kib": info[1] * 1024 if info else None,
        "cpu_mhz": info[3] if info else None,
        "numa_nodes": info[4] if info else None,
        "sockets": info[5] if info else None,
        "cores": info[6] if info else None,
        "threads": info[7] if info else None,
    }


def _uuids(conn: libvirt.virConnect, flag: int) -> set[str] | None:
    """The UUIDs of the guests a filtered list names; None where the driver takes no such filter."""
    try:
        listed = conn.listAllDomains(flag)
    except libvirt.libvirtError:
        return None
    uuids = set()
    while listed:
        dom = listed.pop()
        uuids.add(handles.uuid(dom))
        handles.release(dom)
        del dom
    return uuids


def _listed(list_all: Callable[[int], list], flag: int) -> set[str] | None:
    """The UUIDs a filtered list names; None where the driver takes no such filter."""
    try:
        return {obj.UUIDString() for obj in list_all(flag)}
    except libvirt.libvirtError:
        return None


def _flag(listed: set[str] | None, uuid: str, ask: Callable[[], Any], default: int) -> bool:
    """Whether a filtered list named this object; where there was no list, its own call."""
    return uuid in listed if listed is not None else bool(_optional(ask, default))


Steps = Generator[None, None, Any]


def _drive(steps: Steps) -> Any:
    """Run a `*_steps` reader to its end at once."""
    try:
        while True:
            next(steps)
    except StopIteration as done:
        return done.value


def read_guests(conn: libvirt.virConnect, conn_id: str) -> tuple[Guest, ...]:
    return _drive(guest_steps(conn, conn_id))[0]


def guest_steps(conn: libvirt.virConnect, conn_id: str) -> Steps:
    """Every guest in five calls: four filtered lists and one bulk stats call.
    Returns (guests, uuid -> virDomain)."""
    domains = conn.listAllDomains(0)
    yield
    persistent = _uuids(conn, libvirt.VIR_CONNECT_LIST_DOMAINS_PERSISTENT)
    yield
    autostart = _uuids(conn, libvirt.VIR_CONNECT_LIST_DOMAINS_AUTOSTART)
    yield
    saved = _uuids(conn, libvirt.VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE)
    yield
    stats: dict[str, dict[str, Any]] = {}
    groups = libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_BALLOON | libvirt.VIR_DOMAIN_STATS_VCPU
    try:
        records = conn.getAllDomainStats(groups, 0)
        while records:
            dom, record = records.pop()
            stats[handles.uuid(dom)] = record
            handles.release(dom)
            del dom
    except libvirt.libvirtError as exc:
        log.debug("bulk stats unavailable: %s", exc)
    yield
    guests = []
    kept = {}
    began = time.monotonic()
    first, first_for = SIZES_OF_THE_FIRST
    for dom in domains:
        spent = time.monotonic() - began
        uuid = handles.uuid(dom)
        kept[uuid] = dom
        try:
            guests.append(
                _guest_from(
                    dom,
                    conn_id,
                    stats.get(uuid, {}),
                    autostart=None if autostart is None else uuid in autostart,
                    persistent=None if persistent is None else uuid in persistent,
                    saved=None if saved is None else uuid in saved,
                    sizes_now=spent < SIZES_WITH_THE_LIST or len(guests) < first and spent < first_for,
                )
            )
        except libvirt.libvirtError as exc:
            if not _gone(exc):
                raise
    return tuple(guests), kept


def _guest_from(
    dom: libvirt.virDomain,
    conn_id: str,
    record: dict[str, Any],
    *,
    autostart: bool | None = None,
    persistent: bool | None = None,
    saved: bool | None = None,
    sizes_now: bool = True,
) -> Guest:
    sized = True
    if {"state.state", "state.reason", "vcpu.current", "balloon.current", "balloon.maximum"} <= record.keys():
        state, reason = record["state.state"], record["state.reason"]
        vcpus, memory, max_memory = record["vcpu.current"], record["balloon.current"], record["balloon.maximum"]
    elif not sizes_now and {"state.state", "state.reason"} <= record.keys():
        state, reason = record["state.state"], record["state.reason"]
        vcpus = memory = max_memory = 0
        sized = False
    else:
        state, max_memory, memory, vcpus, _cpu_time = dom.info()
        reason = record["state.reason"] if "state.reason" in record else dom.state()[1]
        state = record.get("state.state", state)
    if autostart is None:
        autostart = bool(_optional(dom.autostart, 0))
    if persistent is None:
        persistent = bool(_optional(dom.isPersistent, 1))
    if saved is None:
        saved = bool(_optional(lambda: dom.hasManagedSaveImage(0), 0))
    dom_id = handles.dom_id(dom)
    return Guest(
        conn_id=conn_id,
        uuid=handles.uuid(dom),
        name=handles.name(dom),
        state=states.domain_state(state),
        reason=states.domain_reason(state, reason),
        id=dom_id if dom_id is not None and dom_id >= 0 else None,
        vcpus=vcpus,
        memory_kib=memory,
        max_memory_kib=max_memory,
        autostart=autostart,
        persistent=persistent,
        managed_save=saved,
        sized=sized,
    )


def read_sizes(domains: Mapping[str, libvirt.virDomain], uuids: Iterable[str]) -> dict[str, tuple[int, int, int]]:
    """uuid -> (vCPUs, memory KiB, maximum memory KiB), a GetInfo each; gone guests are left out."""
    sizes = {}
    for uuid in uuids:
        dom = domains.get(uuid)
        if dom is None:
            continue
        try:
            _state, max_memory, memory, vcpus, _cpu_time = dom.info()
        except libvirt.libvirtError as exc:
            if not _gone(exc):
                raise
            continue
        sizes[uuid] = (vcpus, memory, max_memory)
    return sizes


def read_guest(conn: libvirt.virConnect, conn_id: str, uuid: str) -> GuestChanged | None:
    return _drive(guest_refresh_steps(conn, conn_id, uuid))


def guest_refresh_steps(conn: libvirt.virConnect, conn_id: str, uuid: str) -> Steps:
    """One guest again (after an event), a call a step: a lookup (for its current ID), its
    bulk stats record, and its three flags. Returns GuestChanged, or None if it is gone."""
    try:
        dom = conn.lookupByUUIDString(uuid)
        yield
        record = _record_of(conn, dom)
        yield
        autostart = bool(_optional(dom.autostart, 0))
        yield
        persistent = bool(_optional(dom.isPersistent, 1))
        yield
        saved = bool(_optional(lambda: dom.hasManagedSaveImage(0), 0))
        yield
        return GuestChanged(_guest_from(dom, conn_id, record, autostart=autostart, persistent=persistent,
                                        saved=saved))
    except libvirt.libvirtError as exc:
        if _gone(exc):
            return None
        raise


def _record_of(conn: libvirt.virConnect, dom: libvirt.virDomain) -> dict[str, Any]:
    """The guest's state, balloon and vCPU stats in one call ({} where the driver has no such call)."""
    groups = libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_BALLOON | libvirt.VIR_DOMAIN_STATS_VCPU
    try:
        records = conn.domainListGetStats([dom], groups, 0)
    except libvirt.libvirtError as exc:
        if _gone(exc):
            raise
        log.debug("stats of one guest unavailable: %s", exc)
        return {}
    return records[0][1] if records else {}


def _network_from(net: libvirt.virNetwork, conn_id: str, flags: dict[str, set[str] | None] | None = None) -> Network:
    """`flags`: what the filtered lists said (active, autostart, persistent); without
    them, a call for each."""
    listed = flags or {}
    uuid = net.UUIDString()
    xml = net.XMLDesc(0)
    info, details = parse_network(xml), parse_network_details(xml)
    ipv6 = details.first("ipv6")
    active = listed.get("active")
    return Network(
        conn_id=conn_id,
        uuid=uuid,
        name=net.name(),
        active=uuid in active if active is not None else bool(net.isActive()),
        mode=info.mode,
        bridge=info.bridge,
        ipv4_subnet=info.ipv4_subnet,
        dhcp_range=info.dhcp_range,
        autostart=_flag(listed.get("autostart"), uuid, net.autostart, 0),
        persistent=_flag(listed.get("persistent"), uuid, net.isPersistent, 1),
        forward_dev=info.forward_dev,
        ipv6_subnet=ipv6.subnet if ipv6 is not None else None,
        details=details,
    )


def read_networks(conn: libvirt.virConnect, conn_id: str) -> tuple[Network, ...]:
    return _drive(network_steps(conn, conn_id))


_NETWORK_FLAGS = {
    "active": libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE,
    "autostart": libvirt.VIR_CONNECT_LIST_NETWORKS_AUTOSTART,
    "persistent": libvirt.VIR_CONNECT_LIST_NETWORKS_PERSISTENT,
}
_POOL_FLAGS = {
    "autostart": libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_AUTOSTART,
    "persistent": libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_PERSISTENT,
}


def _flag_steps(list_all: Callable[[int], list], flags: dict[str, int]) -> Steps:
    listed = {}
    for name, flag in flags.items():
        listed[name] = _listed(list_all, flag)
        yield
    return listed


def network_steps(conn: libvirt.virConnect, conn_id: str) -> Steps:
    networks = []
    found = conn.listAllNetworks(0)
    yield
    if not found:
        return ()
    flags = yield from _flag_steps(conn.listAllNetworks, _NETWORK_FLAGS)
    for net in found:
        try:
            networks.append(_network_from(net, conn_id, flags))
        except libvirt.libvirtError as exc:
            if not _gone(exc):
                raise
        yield
    return tuple(networks)


def read_network(conn: libvirt.virConnect, conn_id: str, uuid: str) -> NetworkChanged | None:
    return _drive(network_refresh_steps(conn, conn_id, uuid))


def network_refresh_steps(conn: libvirt.virConnect, conn_id: str, uuid: str) -> Steps:
    """One network again, a call a step. Returns NetworkChanged, or None if it is gone."""
    try:
        net = conn.networkLookupByUUIDString(uuid)
        yield
        flags = yield from _object_flag_steps(uuid, {"active": net.isActive, "autostart": net.autostart,
                                                     "persistent": net.isPersistent})
        return NetworkChanged(_network_from(net, conn_id, flags))
    except libvirt.libvirtError as exc:
        if _gone(exc):
            return None
        raise


def _object_flag_steps(uuid: str, asks: dict[str, Callable[[], Any]]) -> Steps:
    """An object's flags, a call a step, in the form the filtered lists give them."""
    flags: dict[str, set[str] | None] = {}
    for name, ask in asks.items():
        try:
            flags[name] = {uuid} if ask() else set()
        except libvirt.libvirtError as exc:
            if _gone(exc):
                raise
            flags[name] = None  # no such call here: _network_from / _pool_from ask again, and default
        yield
    return flags


def _pool_from(pool: libvirt.virStoragePool, conn_id: str, flags: dict[str, set[str] | None] | None = None,
               info: tuple[int, int, int, int] | None = None) -> Pool:
    """`flags`: what the filtered lists said (autostart, persistent); without them, a
    call for each. `info`: the pool's `info()`, when already read."""
    listed = flags or {}
    uuid = pool.UUIDString()
    state, capacity, allocation, available = info if info is not None else pool.info()
    described = parse_pool(pool.XMLDesc(0))
    return Pool(
        conn_id=conn_id,
        uuid=uuid,
        name=pool.name(),
        type=described.type,
        state=states.pool_state(state),
        capacity=capacity,
        allocation=allocation,
        available=available,
        autostart=_flag(listed.get("autostart"), uuid, pool.autostart, 0),
        persistent=_flag(listed.get("persistent"), uuid, pool.isPersistent, 1),
        target_path=described.target_path,
    )


def read_pools(conn: libvirt.virConnect, conn_id: str) -> tuple[Pool, ...]:
    return _drive(pool_steps(conn, conn_id))


def pool_steps(conn: libvirt.virConnect, conn_id: str) -> Steps:
    pools = []
    found = conn.listAllStoragePools(0)
    yield
    if not found:
        return ()
    flags = yield from _flag_steps(conn.listAllStoragePools, _POOL_FLAGS)
    for pool in found:
        try:
            info = pool.info()
            yield
            pools.append(_pool_from(pool, conn_id, flags, info))
        except libvirt.libvirtError as exc:
            if not _gone(exc):
                raise
        yield
    return tuple(pools)


def read_pool(conn: libvirt.virConnect, conn_id: str, uuid: str) -> PoolChanged | None:
    return _drive(pool_refresh_steps(conn, conn_id, uuid))


def pool_refresh_steps(conn: libvirt.virConnect, conn_id: str, uuid: str) -> Steps:
    """One pool again, a call a step. Returns PoolChanged, or None if it is gone."""
    try:
        pool = conn.storagePoolLookupByUUIDString(uuid)
        yield
        info = pool.info()
        yield
        flags = yield from _object_flag_steps(uuid, {"autostart": pool.autostart, "persistent": pool.isPersistent})
        return PoolChanged(_pool_from(pool, conn_id, flags, info))
    except libvirt.libvirtError as exc:
        if _gone(exc):
            return None
        raise


def read_volumes(conn: libvirt.virConnect, conn_id: str, pool_uuid: str) -> tuple[Volume, ...]:
    pool = conn.storagePoolLookupByUUIDString(pool_uuid)
    if not pool.isActive():
        return ()
    volumes = []
    for vol in pool.listAllVolumes(0):
        try:
            _type, capacity, allocation = vol.info()
            info = parse_volume(vol.XMLDesc(0))
            volumes.append(
                Volume(
                    conn_id=conn_id,
                    pool_uuid=pool_uuid,
                    key=vol.key(),
                    name=vol.name(),
                    format=info.format,
                    capacity=capacity,
                    allocation=allocation,
                    path=info.path or _optional(vol.path),
                )
            )
        except libvirt.libvirtError as exc:
            if not _gone(exc):
                raise
    return tuple(volumes)
