"""What a fleet of in-process test-driver hosts costs before any UI: the floor under
virtdeck's fleet figures (scale_bench.py section B).

One thread per host, as virtdeck has: open it, list its guests (its state in bulk;
prints `listed` when every host has), read each running guest's XML once (what the IP column needs), then the stats calls virtdeck makes
for a fleet whose view shows one guest of each host (the fleet bench's, sorted by
name): every host's bulk call every OFF_SCREEN seconds, the hosts spread over the
seconds, and on the seconds between a call for that one guest, with the groups
virtdeck asks for. Prints `ready` when the opening reads are done, then runs until
it is killed.

    python tests/benchmarks/libvirt_fleet_floor.py URI [URI ...]
"""

from __future__ import annotations

import sys
import threading
import time

import libvirt

GROUPS = (libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL | libvirt.VIR_DOMAIN_STATS_BALLOON
          | libvirt.VIR_DOMAIN_STATS_BLOCK | libvirt.VIR_DOMAIN_STATS_INTERFACE)


OFF_SCREEN = 5  # seconds (tui/backend/fleet.py OFF_SCREEN_SECONDS at --refresh 1)
ACTIVE = libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE


def host(uri: str, index: int, listed: threading.Barrier, opened: threading.Barrier) -> None:
    conn = libvirt.open(uri)
    domains = conn.listAllDomains()
    conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE, 0)
    listed.wait()
    running = [dom for dom in domains if dom.isActive()]
    for dom in running:
        dom.XMLDesc(0)
    opened.wait()
    while True:
        time.sleep(1 - time.time() % 1)
        if (round(time.time()) - index) % OFF_SCREEN == 0 or not running:
            conn.getAllDomainStats(GROUPS, ACTIVE)
        else:
            conn.domainListGetStats(running[:1], GROUPS, ACTIVE)


def main(uris: list[str]) -> int:
    libvirt.registerErrorHandler(lambda *_: None, None)
    listed, opened = threading.Barrier(len(uris) + 1), threading.Barrier(len(uris) + 1)
    for index, uri in enumerate(uris):
        threading.Thread(target=host, args=(uri, index, listed, opened), daemon=True).start()
    listed.wait()
    print("listed", flush=True)
    opened.wait()
    print("ready", flush=True)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
