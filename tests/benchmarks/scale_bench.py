"""Big hosts and fleets (issue 17), for `make bench` (run.py calls `measure` and `report`).

A. Real libvirtd with 1000 defined, never started guests (tests/testbed/scale_guests.py),
   locally (`qemu:///system`) and through a relay that holds every chunk 10 ms each way
   (tests/testbed/latency_relay.py, `qemu+unix:///system?socket=...`):
   - the list on screen (`guests: N` and the first vdscale row, in a real pty), next to
     `virsh list --all` and a bare Textual table over libvirt (libvirt_table_app.py) on
     the same URI, interleaved run by run;
   - from virtdeck's own libvirt client trace (LIBVIRT_LOG_FILTERS=1:rpc, parsed by
     tests/rpc_trace.py, never a counter of the app): GetXMLDesc calls in the first
     10 s, the first stats tick after the list (the second GetAllDomainStats: the first
     is the resync's) and the longest gap between ticks in that window.
B. Fleets of 1, 10 and 50 hosts x 200 guests, `--refresh 1`: the list on screen, idle
   CPU over a window with no keys (once the opening reads are over: through libvirtd,
   XML_QUIET seconds without a GetXMLDesc in the client trace), peak RSS, and the CPU one host's tick costs (idle
   CPU per second, less the bare app's and the floor's, divided by the hosts). Each
   fleet is measured three ways (fleet_uris): test-driver hosts in virtdeck's process,
   the same served by libvirtd, and QEMU connections to the test bed's libvirtd. The
   test driver's bulk stats carry only each guest's state, so its hosts' vCPUs and memory
   come after the list, a GetInfo per guest; QEMU's carry them. The floor
   (libvirt_fleet_floor.py) opens the same hosts the same way from one thread each and
   makes the same calls, with no UI.

Needs root and the test bed's libvirtd for A (a note otherwise); B runs anywhere.
The guests it defines are removed at the end, also after a failure.

    python tests/benchmarks/scale_bench.py [--tree PATH]   (PATH: another checkout to measure)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for extra in (HERE, ROOT / "tests", ROOT / "tests" / "testbed", ROOT):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from gen_node import generate_node_xml  # noqa: E402
from ptyharness import PtyApp  # noqa: E402
from rpc_trace import CONNECT_GET_ALL_DOMAIN_STATS, DOMAIN_GET_INFO, DOMAIN_GET_XML_DESC, RpcTrace  # noqa: E402

PYTHON = sys.executable
REAL_GUESTS = 1000
DELAY = 0.010
RUNS = 3
TRACE_WINDOW = 10.0
FLEET_GUESTS = 200
FLEETS = tuple(int(n) for n in os.environ.get("VIRTDECK_FLEETS", "1,10,50").split(","))
IDLE_WINDOW = 15.0
SETTLE_MIN, SETTLE_MAX = 3.0, 40.0
XML_QUIET = 2.0  # seconds without a GetXMLDesc in the client trace: the opening reads are over
DEFAULT_REFRESH = 2.0
GOALS = {"local": 1.0, "relay": 2.0}
GOAL_FLEET_LIST, GOAL_FLEET_IDLE, GOAL_FLEET_RSS_MB = 3.0, 5.0, 150


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def epoch_of(stamp: float) -> float:
    """A perf_counter stamp as seconds since the epoch (the trace's clock)."""
    return time.time() - (time.perf_counter() - stamp)


class Runner:
    def __init__(self, started: list[int], env: dict[str, str], tree: Path) -> None:
        self.started, self.env, self.tree = started, env, tree

    def virtdeck(self, *args: str, trace: Path | None = None) -> PtyApp:
        env = dict(self.env)
        env["PYTHONPATH"] = str(self.tree)
        if trace is not None:
            env["LIBVIRT_LOG_FILTERS"], env["LIBVIRT_LOG_OUTPUTS"] = "1:rpc", f"1:file:{trace}"
        app = PtyApp([PYTHON, "-m", "tui", *args], env=env, cwd=str(self.tree), label="virtdeck")
        self.spawn_note(app)
        return app

    def baseline(self, argv: list[str], label: str) -> PtyApp:
        app = PtyApp(argv, env=self.env, cwd=str(ROOT), label=label)
        self.spawn_note(app)
        return app

    def spawn_note(self, app: PtyApp) -> None:
        self.started.append(app.pid)  # the caller's list of every pid started, for its leftovers check


def as_installed(env: dict[str, str], tree: Path) -> None:
    """virtdeck's modules byte-compiled once, as installing the package compiles them, and
    `env` letting Python use that: compiling every module from source on each start (about
    0.35 s here) is a cost the installed program never pays, nor the baselines, whose
    libraries pip compiled."""
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(tree / "tui")], env=env, check=True, capture_output=True)


def shows(count: int, row: str) -> Callable[[PtyApp], bool]:
    return lambda app: app.contains(f"guests: {count}") and app.contains(row)


# -- A: a big real host ----------------------------------------------------------


def host_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root (the test bed's libvirtd)"
    if not Path("/run/libvirt/libvirt-sock").exists():
        return "no libvirtd socket (make testbed)"
    return None


def real_host(runner: Runner, tmp: Path) -> dict:
    import latency_relay
    import libvirt
    import scale_guests

    scale_guests.remove_all()
    try:
        scale_guests.define(REAL_GUESTS)
        conn = libvirt.open("qemu:///system")
        total = len(conn.listAllDomains(0))
        running = len(conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE))
        conn.close()
        result: dict = {"guests": total, "running": running}
        with latency_relay.LatencyRelay(tmp / "relay.sock", delay=DELAY) as relay:
            for path, uri in (("local", "qemu:///system"), ("relay", relay.uri)):
                result[path] = one_path(runner, tmp, uri, total, path)
        return result
    finally:
        scale_guests.remove_all()


def one_path(runner: Runner, tmp: Path, uri: str, total: int, label: str) -> dict:
    row = f"{__import__('scale_guests').PREFIX}0001"
    out: dict = {"list": [], "virsh": [], "table": [], "xml": [], "info": [], "first_tick": [], "max_gap": []}
    for run in range(RUNS):  # interleaved: virtdeck, virsh, the bare table, again
        trace_path = tmp / f"rpc-{label}-{run}.log"
        app = runner.virtdeck("-c", uri, trace=trace_path)
        try:
            listed = app.wait_for(shows(total, row), f"'guests: {total}' and {row}", deadline=60)
            out["list"].append(listed - app.started)
            app.drain(TRACE_WINDOW)
        finally:
            app.quit()
        calls = RpcTrace(trace_path).calls()
        listed_at = epoch_of(listed)
        first = calls[0].at if calls else listed_at
        out["xml"].append(sum(1 for c in calls if c.proc == DOMAIN_GET_XML_DESC and c.at <= first + TRACE_WINDOW))
        out["info"].append(sum(1 for c in calls if c.proc == DOMAIN_GET_INFO and c.at <= first + TRACE_WINDOW))
        bulk = [c.at for c in calls if c.proc == CONNECT_GET_ALL_DOMAIN_STATS]
        ticks = bulk[1:]  # the first is the resync's
        if ticks:
            out["first_tick"].append(ticks[0] - listed_at)
            out["max_gap"].append(max((b - a for a, b in zip(ticks, ticks[1:])), default=0.0))
        start = time.perf_counter()
        done = subprocess.run(["virsh", "-c", uri, "list", "--all"], capture_output=True, text=True, timeout=120)
        if done.returncode == 0 and len(done.stdout.splitlines()) >= total + 2:
            out["virsh"].append(time.perf_counter() - start)
        table = runner.baseline([PYTHON, str(HERE / "libvirt_table_app.py"), uri], "bare table over libvirt")
        try:
            out["table"].append(table.wait_for(shows(total, row), f"'guests: {total}'", deadline=60) - table.started)
        finally:
            table.quit()
    return out


# -- B: fleets -------------------------------------------------------------------


def fleet_uris(tmp: Path, hosts: int, kind: str) -> tuple[list[str], str]:
    """The `-c URI` arguments of a fleet, and a guest name its list shows.

    in-process: `test://NODE`, the test driver inside virtdeck's process, so its memory
    and CPU are measured too. served: `test+unix://NODE`, the test driver in libvirtd,
    as a remote host runs its hypervisor: what virtdeck's process then costs is its
    own. qemu: the test bed's libvirtd's QEMU driver with FLEET_GUESTS defined guests
    (none running), reached through a socket path of its own per host (a symlink to
    libvirtd's socket), so each is a connection of its own: the bulk stats carry every
    guest's vCPUs and memory, as on a real KVM host."""
    uris = []
    for index in range(hosts):
        if kind == "qemu":
            link = tmp / f"sock-{index:02d}"
            if not link.is_symlink():
                link.symlink_to("/run/libvirt/libvirt-sock")
            uris += ["-c", f"qemu+unix:///system?socket={link}"]
            continue
        node = tmp / f"fleet-{index:02d}.xml"
        if not node.exists():
            node.write_text(generate_node_xml(FLEET_GUESTS))
        uris += ["-c", f"test+unix://{node}" if kind == "served" else f"test://{node}"]
    if kind == "qemu":
        import scale_guests

        return uris, f"{scale_guests.PREFIX}0001"
    return uris, "guest-0001"


def fleet(runner: Runner, tmp: Path, hosts: int, kind: str = "in-process") -> dict:
    if kind != "qemu":
        return measure_fleet(runner, tmp, hosts, kind)
    import scale_guests

    try:
        scale_guests.define(FLEET_GUESTS)
        return measure_fleet(runner, tmp, hosts, kind)
    finally:
        scale_guests.remove_all()


def measure_fleet(runner: Runner, tmp: Path, hosts: int, kind: str) -> dict:
    uris, row = fleet_uris(tmp, hosts, kind)
    total = hosts * FLEET_GUESTS
    # Through libvirtd, the client trace tells when the opening reads (every running guest's
    # XML, for its NICs) are over: the idle window starts after them.
    trace = tmp / f"rpc-fleet-{hosts}-{kind}.log" if kind != "in-process" else None
    app = runner.virtdeck("--refresh", "1", *uris, trace=trace)
    bare = runner.baseline([PYTHON, str(HERE / "bare_app.py")], "bare Textual app")
    floor = None
    try:
        listed = app.wait_for(shows(total, row), f"'guests: {total}'", deadline=120) - app.started
        floor = runner.baseline([PYTHON, str(HERE / "libvirt_fleet_floor.py"), *uris[1::2]], "libvirt floor")
        bare.wait_for(lambda a: a.received > 0, "any output")
        floor_listed = floor.wait_for(lambda a: a.contains("listed"), "the floor's lists", deadline=120) - floor.started
        floor.wait_for(lambda a: a.contains("ready"), "the floor's opening reads", deadline=120)
        everyone = (app, bare, floor)
        for a in everyone:
            a.drain(0)
        settle = settled(app, everyone, trace)
        before = [cpu_seconds(a.pid) for a in everyone]
        began = time.perf_counter()
        while time.perf_counter() < began + IDLE_WINDOW:
            for a in everyone:
                a.drain(0.02)
        wall = time.perf_counter() - began
        cpu, bare_cpu, floor_cpu = (cpu_seconds(a.pid) - b for a, b in zip(everyone, before))
        rss, floor_rss = app.peak_rss_kib(), floor.peak_rss_kib()
    finally:
        app.quit()
        bare.quit()
        if floor is not None:
            floor.quit(keys=())
    return {"hosts": hosts, "kind": kind, "rows": total, "list": listed, "floor_list": floor_listed, "settle": settle, "idle": cpu / wall * 100, "bare_idle": bare_cpu / wall * 100,
            "floor_idle": floor_cpu / wall * 100, "rss_kib": rss, "floor_rss_kib": floor_rss,
            "tick_per_host": max(cpu - bare_cpu - floor_cpu, 0.0) / wall / hosts}


def settled(app: PtyApp, everyone: tuple[PtyApp, ...], trace: Path | None = None) -> float:
    """Seconds until the first reads after the list are done (a big host's guests' XML
    comes in the background): two one-second CPU samples of the app within a quarter
    of each other, after at least SETTLE_MIN seconds and at most SETTLE_MAX; with a
    client trace, also XML_QUIET seconds since its last GetXMLDesc."""
    began = time.perf_counter()
    samples: list[float] = []
    while True:
        if trace is not None and time.perf_counter() - began < SETTLE_MAX:
            reads = RpcTrace(trace).calls([DOMAIN_GET_XML_DESC])
            if reads and reads[-1].at > time.time() - XML_QUIET:
                for a in everyone:
                    a.drain(0.5)
                continue
        at = cpu_seconds(app.pid)
        end = time.perf_counter() + 1.0
        while time.perf_counter() < end:
            for a in everyone:
                a.drain(0.02)
        samples.append(cpu_seconds(app.pid) - at)
        waited = time.perf_counter() - began
        steady = len(samples) >= 2 and abs(samples[-1] - samples[-2]) <= max(0.25 * samples[-2], 0.01)
        if waited >= SETTLE_MAX or (waited >= SETTLE_MIN and steady):
            return waited


def measure(started: list[int], env: dict[str, str], tree: Path = ROOT, fleets_only: bool = False) -> dict:
    runner = Runner(started, env, tree)
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="virtdeck-scale-") as name:
        tmp = Path(name)
        reason = "--fleets only" if fleets_only else host_unavailable()
        if reason is None:
            try:
                results["real"] = real_host(runner, tmp)
            except Exception as exc:  # noqa: BLE001 - printed; the fleets still run
                results["real"] = {"failed": str(exc)[:500]}
        else:
            results["real"] = {"skipped": reason}
        results["fleets"] = []
        kinds = ("in-process", "served", "qemu") if host_unavailable() is None else ("in-process",)
        for hosts in FLEETS:
            for kind in kinds:
                try:
                    results["fleets"].append(fleet(runner, tmp, hosts, kind))
                except Exception as exc:  # noqa: BLE001
                    results["fleets"].append({"hosts": hosts, "kind": kind, "failed": str(exc)[:500]})
    return results


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _verdict(value: float | None, goal: float) -> str:
    return "-" if value is None else ("met" if value < goal else "MISSED")


def report(results: dict, add: Callable[..., None]) -> None:
    real = results.get("real", {})
    if "skipped" in real or "failed" in real:
        add("9 real libvirtd, 1000 guests", "not measured", real.get("skipped") or real.get("failed", "")[:100], "")
    elif real:
        add(f"9 real libvirtd: {real['guests']} guests ({real['running']} running)", "", "", "")
        for path, what in (("local", "qemu:///system"), ("relay", f"relay, {DELAY * 1000:.0f} ms each way")):
            p = real[path]
            value = median(p["list"])
            add(f"9   list on screen, {what} (median of {len(p['list'])})", _s(value),
                f"virsh list --all {_s(median(p['virsh']))}; bare table over libvirt {_s(median(p['table']))}",
                f"< {GOALS[path]:.1f} s: {_verdict(value, GOALS[path])}")
            tick = median(p["first_tick"])
            add(f"9   first stats tick after the list, {what}", _s(tick),
                f"longest gap between ticks in {TRACE_WINDOW:.0f} s: {_s(max(p['max_gap'], default=None))}",
                f"< {2 * DEFAULT_REFRESH:.0f} s: {_verdict(tick, 2 * DEFAULT_REFRESH)}")
            add(f"9   GetXMLDesc calls in the first {TRACE_WINDOW:.0f} s, {what}", f"{max(p['xml'], default=0)}",
                "libvirt's client trace", f"<= running guests ({real['running']})")
            add(f"9   GetInfo calls in the first {TRACE_WINDOW:.0f} s, {what}", f"{max(p.get('info', []), default=0)}",
                "libvirt's client trace (the bulk stats carry state, vCPUs and memory)", "0")
    for f in results.get("fleets", []):
        where = {"served": "test hosts, served by libvirtd (test+unix://)", "in-process": "test hosts, in-process (test://)",
                 "qemu": "QEMU connections to the test bed's libvirtd (none running)"}[f["kind"]]
        if "failed" in f:
            add(f"10 fleet: {f['hosts']} {where} x {FLEET_GUESTS}", "not measured", f["failed"][:100], "")
            continue
        big = f["hosts"] == max(FLEETS)
        add(f"10 fleet: {f['hosts']} {where} x {FLEET_GUESTS} ({f['rows']} rows): list on screen",
            _s(f["list"]), f"a bare libvirt script opening and listing them (one thread each, "
            f"run beside the idle app) {_s(f.get('floor_list'))}",
            f"< {GOAL_FLEET_LIST:.0f} s: {_verdict(f['list'], GOAL_FLEET_LIST)}" if big else "")
        add(f"10   idle CPU at --refresh 1, no keys ({f.get('settle', 0):.0f} s after the list)", f"{f['idle']:.1f}% of a core",
            f"bare Textual app {f['bare_idle']:.1f}%; the same hosts in a bare libvirt script (one thread "
            f"each, the same stats calls) {f.get('floor_idle', 0):.1f}%; virtdeck's own per host per tick "
            f"{f['tick_per_host'] * 1000:.2f} ms CPU",
            f"< {GOAL_FLEET_IDLE:.0f}%: {_verdict(f['idle'], GOAL_FLEET_IDLE)}" if big else "")
        mb, floor_mb = (None if f.get(k) is None else f[k] * 1024 / 1e6 for k in ("rss_kib", "floor_rss_kib"))
        add("10   peak RSS (VmHWM)", "-" if mb is None else f"{mb:.0f} MB",
            "" if floor_mb is None else f"the same hosts in a bare libvirt script: {floor_mb:.0f} MB",
            f"< {GOAL_FLEET_RSS_MB} MB: {_verdict(mb, GOAL_FLEET_RSS_MB)}" if big else "")


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose virtdeck is measured")
    parser.add_argument("--fleets", action="store_true", help="only section B (the test-driver fleets)")
    args = parser.parse_args()
    started: list[int] = []
    env = dict(os.environ)
    env.pop("LIBVIRT_DEFAULT_URI", None)
    as_installed(env, args.tree.resolve())
    with tempfile.TemporaryDirectory(prefix="virtdeck-scale-home-") as home:
        for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
            env[var] = str(Path(home) / var.lower())
        results = measure(started, env, args.tree.resolve(), fleets_only=args.fleets)
    rows: list[tuple[str, str, str, str]] = []
    report(results, lambda *row: rows.append(tuple(str(c) for c in row)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"virtdeck at scale ({args.tree}), {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
