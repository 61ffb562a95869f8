"""A host's NUMA cells, hugepages and CPU topology as label/value lines of its sheet."""

from __future__ import annotations

from ..backend.units import count_text
from ..backend.xml.host_topology import Cell, Topology
from ..backend.xml.tuning import format_cpuset
from .cells import size_text


def page_size_text(kib: int) -> str:
    return size_text(kib * 1024)


def _cell_cpus(cell: Cell) -> str:
    sockets: dict[int | None, list] = {}
    for cpu in cell.cpus:
        sockets.setdefault(cpu.socket, []).append(cpu)
    parts = []
    for socket, cpus in sorted(sockets.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        cores = {cpu.core for cpu in cpus}
        threads = max(sum(1 for c in cpus if c.core == core) for core in cores) if cores else 1
        siblings = sorted({cpu.siblings for cpu in cpus if cpu.siblings and not cpu.siblings.isdigit()})
        text = (f"socket {socket if socket is not None else '?'}: {count_text(len(cores), 'core')}, "
                f"{count_text(threads, 'thread')} per core, CPUs {format_cpuset({cpu.id for cpu in cpus})}")
        if siblings:
            text += "; siblings " + " | ".join(siblings)
        parts.append(text)
    return "\n".join(parts) or "no CPUs listed"


def topology_lines(topology: Topology | None) -> list[tuple[str, str | None]]:
    """NUMA cells (memory total/free, CPUs), hugepages per size (total/free, per cell)."""
    if topology is None:
        return [("NUMA topology", "n/a (libvirt reports none for this host)")]
    lines: list[tuple[str, str | None]] = []
    for cell in topology.cells:
        memory = size_text(cell.memory_kib * 1024) if cell.memory_kib is not None else "?"
        free = f", {size_text(cell.free_kib * 1024)} free" if cell.free_kib is not None else ""
        lines.append((f"NUMA cell {cell.id}", f"{memory}{free}"))
        lines.append((f"Cell {cell.id} CPUs", _cell_cpus(cell)))
    sizes = topology.hugepage_sizes
    if not sizes:
        lines.append(("Hugepages", "none offered"))
    for size in sizes:
        total, free = topology.pages(size)
        per_cell = []
        for cell in topology.cells:
            cell_total = dict(cell.pages).get(size, 0)
            cell_free = dict(cell.free_pages).get(size)
            per_cell.append(f"cell {cell.id}: {cell_total}" + (f" ({cell_free} free)" if cell_free is not None else ""))
        free_text = f"{free} free" if free is not None else "free n/a"
        lines.append((f"Hugepages {page_size_text(size)}", f"{total} total, {free_text}"
                       + (f"; {', '.join(per_cell)}" if len(topology.cells) > 1 else "")))
    return lines
