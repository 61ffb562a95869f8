"""A host's NUMA cells, hugepages and CPU topology, read through libvirt (so remote hosts
work too): the capabilities' `<topology>`, free memory per cell (`getCellsFreeMemory`)
and free pages per size and cell (`getFreePages`). Runs on a connection's worker."""

from __future__ import annotations

import dataclasses

import libvirt

from .xml.host_topology import Topology, parse_topology


def read_topology(conn: libvirt.virConnect, capabilities: str | None = None) -> Topology | None:
    """None when the host says nothing of its topology."""
    try:
        topology = parse_topology(capabilities if capabilities is not None else conn.getCapabilities())
    except (libvirt.libvirtError, ValueError):
        return None
    if not topology.cells:
        return None
    first = min(cell.id for cell in topology.cells)
    count = max(cell.id for cell in topology.cells) - first + 1
    try:
        free = conn.getCellsFreeMemory(first, count)
    except libvirt.libvirtError:
        free = []
    pages: dict = {}
    if topology.page_sizes:
        try:
            pages = conn.getFreePages(list(topology.page_sizes), first, count, 0) or {}
        except libvirt.libvirtError:
            pages = {}
    cells = []
    for cell in topology.cells:
        index = cell.id - first
        free_kib = free[index] // 1024 if index < len(free) and free[index] is not None else None
        free_pages = tuple(sorted((int(size), int(n)) for size, n in (pages.get(cell.id) or {}).items()))
        cells.append(dataclasses.replace(cell, free_kib=free_kib, free_pages=free_pages))
    return dataclasses.replace(topology, cells=tuple(cells))
