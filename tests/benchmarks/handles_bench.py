"""A host's worth of guest handles read (UUID, name, ID) and freed while another thread
computes, as a host's worker does while the UI draws: through libvirt-python's methods,
which let go of the GIL on every call, and through tui/backend/handles.py, which keeps it.

Usage: handles_bench.py URI RUNS; prints one JSON line of medians in ms."""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from pathlib import Path

import libvirt

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tui.backend import handles  # noqa: E402


def by_methods(doms: list) -> None:
    while doms:
        dom = doms.pop()
        dom.UUIDString(), dom.name(), dom.ID()
        del dom  # freed by its __del__


def by_handles(doms: list) -> None:
    while doms:
        dom = doms.pop()
        handles.uuid(dom), handles.name(dom), handles.dom_id(dom)
        handles.release(dom)
        del dom


def main() -> None:
    uri, runs = sys.argv[1], int(sys.argv[2])
    conn = libvirt.open(uri)
    stop = threading.Event()

    def compute() -> None:
        total = 0
        while not stop.is_set():
            for step in range(2000):
                total += step * step

    busy = threading.Thread(target=compute, daemon=True)
    busy.start()
    times: dict[str, list[float]] = {"methods": [], "handles": []}
    guests = 0
    for _ in range(runs):  # interleaved
        for label, walk in (("methods", by_methods), ("handles", by_handles)):
            doms = conn.listAllDomains(0)
            guests = len(doms)
            began = time.perf_counter()
            walk(doms)
            times[label].append((time.perf_counter() - began) * 1000)
    stop.set()
    busy.join()
    print(json.dumps({"guests": guests, "runs": runs,
                      **{label: statistics.median(values) for label, values in times.items()}}))


if __name__ == "__main__":
    main()
