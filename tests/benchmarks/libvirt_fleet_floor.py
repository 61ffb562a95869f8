"""What a fleet of in-process test-driver hosts costs before any UI: the floor under
virtdeck's fleet figures (scale_bench.py section B).

One thread per host, as virtdeck has: open it, list its guests, read each running
guest's XML once (what the IP column needs), then one bulk stats call per second
with the groups virtdeck asks for, every host on the same clock. Prints `ready`
when the opening reads are done, then runs until it is killed.

    python tests/benchmarks/libvirt_fleet_floor.py URI [URI ...]
"""

from __future__ import annotations

import sys
import threading
import time

import libvirt

GROUPS = (libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL | libvirt.VIR_DOMAIN_STATS_BALLOON
          | libvirt.VIR_DOMAIN_STATS_BLOCK | libvirt.VIR_DOMAIN_STATS_INTERFACE)


def host(uri: str, opened: threading.Barrier) -> None:
    conn = libvirt.open(uri)
    for dom in conn.listAllDomains():
        if dom.isActive():
            dom.XMLDesc(0)
    opened.wait()
    while True:
        time.sleep(1 - time.time() % 1)
        conn.getAllDomainStats(GROUPS, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE)


def main(uris: list[str]) -> int:
    libvirt.registerErrorHandler(lambda *_: None, None)
    opened = threading.Barrier(len(uris) + 1)
    for uri in uris:
        threading.Thread(target=host, args=(uri, opened), daemon=True).start()
    opened.wait()
    print("ready", flush=True)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
