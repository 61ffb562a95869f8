"""A host's NUMA cells from its capabilities XML (`<host><topology><cells>`): memory,
pages per size, and CPUs with their socket, core and siblings."""

from __future__ import annotations

from dataclasses import dataclass

from . import parse

UNIT_KIB = {"kib": 1, "k": 1, "mib": 1024, "m": 1024, "gib": 1024 ** 2, "g": 1024 ** 2, "b": 1 / 1024, "bytes": 1 / 1024}


@dataclass(frozen=True)
class HostCpu:
    id: int
    socket: int | None
    core: int | None
    siblings: str | None  # a cpuset: this CPU and its hyperthreads


@dataclass(frozen=True)
class Cell:
    id: int
    memory_kib: int | None
    pages: tuple[tuple[int, int], ...]  # (page size KiB, pages in this cell)
    cpus: tuple[HostCpu, ...]
    free_kib: int | None = None  # getCellsFreeMemory, where read
    free_pages: tuple[tuple[int, int], ...] = ()  # (page size KiB, free pages), getFreePages where read


@dataclass(frozen=True)
class Topology:
    cells: tuple[Cell, ...]
    page_sizes: tuple[int, ...]  # KiB, every size the host offers (from <host><cpu><pages>)

    def pages(self, size_kib: int) -> tuple[int, int | None]:
        """(total, free) pages of this size over every cell; free None when libvirt gave no figure."""
        total = sum(n for cell in self.cells for size, n in cell.pages if size == size_kib)
        frees = [n for cell in self.cells for size, n in cell.free_pages if size == size_kib]
        return total, (sum(frees) if frees else None)

    @property
    def hugepage_sizes(self) -> tuple[int, ...]:
        """The page sizes above the base page (4 KiB on x86)."""
        base = min(self.page_sizes) if self.page_sizes else 4
        return tuple(size for size in self.page_sizes if size > base)


def _kib(text: str | None, unit: str | None) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    return int(int(text) * UNIT_KIB.get((unit or "KiB").lower(), 1))


def _opt_int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def parse_topology(xml: str) -> Topology:
    root = parse.root(xml, "capabilities")
    sizes = sorted({_kib(p.get("size"), p.get("unit")) or 0 for p in root.findall("host/cpu/pages")} - {0})
    cells = []
    for cell in root.findall("host/topology/cells/cell"):
        memory = cell.find("memory")
        pages = []
        for page in cell.findall("pages"):
            size = _kib(page.get("size"), page.get("unit"))
            if size and (page.text or "").strip().isdigit():
                pages.append((size, int(page.text)))
        cpus = tuple(HostCpu(int(cpu.get("id", "0")), _opt_int(cpu.get("socket_id")), _opt_int(cpu.get("core_id")),
                             cpu.get("siblings"))
                     for cpu in cell.findall("cpus/cpu"))
        cells.append(Cell(int(cell.get("id", "0")), _kib(memory.text, memory.get("unit")) if memory is not None else None,
                          tuple(pages), cpus))
    for size, _ in (p for c in cells for p in c.pages):
        if size not in sizes:
            sizes.append(size)
    return Topology(tuple(cells), tuple(sorted(sizes)))
