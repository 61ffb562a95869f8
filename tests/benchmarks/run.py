"""virtdeck benchmarks: `make bench` (or `.venv/bin/python tests/benchmarks/run.py`).

Every figure is printed next to a baseline measured in the same run; nothing
is asserted, so a slow machine never fails. The exit status is non-zero only
when a figure could not be measured at all (the app did not show what the
harness waited for, or crashed); the failure text says what the screen showed.

virtdeck runs byte-compiled, as the installed package does (`scale_bench.as_installed`:
its modules compiled once before the first figure), not compiling its source at each start.

Figures, on a generated node with N guests (libvirt test driver, temp dir):

1. startup: process start -> `guests: N` in the status bar and the first
   rows drawn, in a real pseudo-terminal (200x50, xterm-256color) read
   through pyte. Baselines: `virsh list --all`, `python -c "import textual,
   libvirt"`, a plain DataTable app with the same number of rows.
2. peak RSS (VmHWM) just before quitting. Baseline: a bare Textual app and
   the plain DataTable app, same harness.
3. key -> changed screen: pagedown, switching views (2, 1), opening the
   filter, the last filter keystroke, typing the whole filter. Baseline: the
   same keys on the plain DataTable app.
4. in-process refresh of the Guests view (CPU and wall): nothing changed, and
   every row changed one cell. Baselines: clear() + add every row again in
   the same table; getAllDomainStats(STATE) on the same URI.
5. one stats tick with every guest's values changing (in-process, CPU and
   wall, stats_bench.py): fetch (the sampler's bulk call on the test
   driver), diff (`sample_once` -> `stats.compute` for every guest, fed with
   full records: the test driver has only the state group) and render
   (the App taking the sample from its inbox, up to idle). Baseline: the raw bulk call. Also every
   guest's handle read (UUID, name, ID) and freed while another thread
   computes (handles_bench.py), as a worker folds while the UI draws.
   Baseline: libvirt-python's own methods, which let go of the GIL each call.
6. CPU of the idle dashboard at `--refresh 1` over a 30 s window with no
   keys, from /proc/PID/stat, as % of one core. Baseline: the bare Textual
   app over the same window (both run side by side).
7. libvirt calls per stats tick per host in steady state, Guests view and
   with the Hosts view open, on the test node and on qemu:///system when
   it can be reached (a printed note otherwise).

8. serial console (tests/benchmarks/console_bench.py, a real TCG guest on
   qemu:///system): `c` -> the guest's first byte on screen, 1 MiB of guest
   output through the pane next to `virsh console`, and the key lag while
   the guest floods. Skipped without root or `make testbed`.

9. + 10. big hosts and fleets (tests/benchmarks/scale_bench.py): 1000 defined guests
   on real libvirtd, locally and through a 10 ms relay (list, first tick, GetXMLDesc
   calls from libvirt's trace; `virsh list --all` and a bare table over libvirt
   interleaved), and 1/10/50 test-driver hosts x 200 guests (list, idle CPU, RSS,
   per-host tick cost).

11. RSS after the first and after 200 guest detail + XML view opens on the
    demo host, stats paused (memory_bench.py, in-process). Baseline: a plain
    Textual app pushing and popping a screen with a Header and Footer as often.

12. graphical console (display_bench.py, TCG guests with a VGA): frames shown
    per second and bytes on the VNC socket for a changing 1024x768 picture,
    locally and through virtdeck's own SSH, next to the guest's own rate and a
    bare RFB client; key -> changed pixels; CPU with the pane on a still screen.
    Skipped without root or `make testbed`.

VIRTDECK_BENCH_SECTIONS=8,12 runs only those sections (by their leading number).

    python tests/benchmarks/run.py [--guests N] [--runs R] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "testbed"))

from gen_node import generate_node_xml  # noqa: E402
from ptyharness import HarnessError, PtyApp  # noqa: E402

import console_bench  # noqa: E402
import display_bench  # noqa: E402
import memory_bench  # noqa: E402
import scale_bench  # noqa: E402

PYTHON = sys.executable
DEADLINE = 30.0
GOAL_STARTUP = 1.0
GOAL_RSS_MB = 100  # decimal megabytes
GOAL_KEY = 0.050
GOAL_TICK_CPU = 0.050
GOAL_IDLE_PERCENT = 2.0
GOAL_CALLS = 1
IDLE_WINDOW = 30.0
SYSTEM_URI = "qemu:///system"

ROW = re.compile(r"(?<![\w-])(guest-\d{4,})\s+\S")
MODE_HEADER = re.compile(r"\bName\b.*\bMode\b")


# -- what the screen shows ---------------------------------------------------


def guest_rows(app: PtyApp) -> list[str]:
    rows = []
    for line in app.screen.display:
        match = ROW.search(line)
        if match:
            rows.append(match.group(1))
    return rows


def first_row(app: PtyApp) -> str | None:
    rows = guest_rows(app)
    return rows[0] if rows else None


def shows_networks(app: PtyApp) -> bool:
    return any(MODE_HEADER.search(line) for line in app.screen.display) and not guest_rows(app)


def shows_guests(app: PtyApp) -> bool:
    return bool(guest_rows(app)) and not any(MODE_HEADER.search(line) for line in app.screen.display)


def filtered(prefix: str) -> Callable[[PtyApp], bool]:
    def check(app: PtyApp) -> bool:
        rows = guest_rows(app)
        # a full table of matches (100 of 1000 match guest-09; the screen shows ~45)
        return len(rows) >= 20 and all(row.startswith(prefix) for row in rows)

    return check


def unfiltered(prefix: str) -> Callable[[PtyApp], bool]:
    def check(app: PtyApp) -> bool:
        rows = guest_rows(app)
        return len(rows) > 10 and any(not row.startswith(prefix) for row in rows)

    return check


# -- bookkeeping -------------------------------------------------------------


@dataclass
class Bench:
    tmp: Path
    env: dict[str, str]
    uri: str
    n: int
    runs: int
    started: list[int] = field(default_factory=list)  # every pid we spawned
    errors: list[str] = field(default_factory=list)
    results: dict = field(default_factory=dict)

    def spawn(self, argv: list[str], label: str) -> PtyApp:
        app = PtyApp(argv, env=self.env, cwd=str(ROOT), label=label)
        self.started.append(app.pid)
        return app

    def virtdeck(self) -> PtyApp:
        return self.spawn([PYTHON, "-m", "tui", "-c", self.uri], "virtdeck")

    def virtdeck_served(self) -> PtyApp:
        """The same node opened through libvirtd (`test+unix://`): the test driver's own
        memory is then libvirtd's, as a real host's definitions are, not virtdeck's."""
        return self.spawn([PYTHON, "-m", "tui", "-c", self.uri.replace("test://", "test+unix://", 1)],
                          "virtdeck (served)")

    def table_app(self) -> PtyApp:
        return self.spawn([PYTHON, str(HERE / "table_app.py"), str(self.n)], "plain DataTable app")

    def bare_app(self) -> PtyApp:
        return self.spawn([PYTHON, str(HERE / "bare_app.py")], "bare Textual app")

    def guarded(self, name: str, fn: Callable[[], None]) -> None:
        """Run one section; a failure is recorded and the others still run."""
        only = os.environ.get("VIRTDECK_BENCH_SECTIONS")
        if only and name.split()[0] not in only.split(","):
            return
        print(f"  {name} ...", file=sys.stderr, flush=True)
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - record it, run the other sections
            self.errors.append(f"{name}: {exc}")
            print(f"  {name}: FAILED: {exc}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def timed_command(argv: list[str], env: dict[str, str], check: Callable[[str], bool] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=DEADLINE, cwd=str(ROOT))
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise subprocess.SubprocessError(f"{argv[0]} exited {done.returncode}: {done.stderr.strip()[:500]}")
    if check is not None and not check(done.stdout):
        raise subprocess.SubprocessError(f"{' '.join(argv)}: unexpected output:\n{done.stdout[:500]}")
    return elapsed


# -- 1 + 2: startup and memory ----------------------------------------------


def loaded(n: int) -> Callable[[PtyApp], bool]:
    status = f"guests: {n}"
    return lambda app: app.contains(status) and first_row(app) == "guest-0001"


def startup_runs(bench: Bench, make: Callable[[], PtyApp], key: str) -> None:
    times, rss, endings = [], [], []
    for _ in range(bench.runs):
        app = make()
        try:
            done = app.wait_for(loaded(bench.n), f"'guests: {bench.n}' and the first rows")
            times.append(done - app.started)
            app.settle()
            rss.append(app.peak_rss_kib())
        finally:
            endings.append(app.quit())
    bench.results[key] = {"startup": times, "rss_kib": [r for r in rss if r], "endings": endings}


def section_startup(bench: Bench) -> None:
    startup_runs(bench, bench.virtdeck, "virtdeck")


def section_startup_baselines(bench: Bench) -> None:
    startup_runs(bench, bench.table_app, "table_app")
    lines = bench.n + 3  # header, rule, rows, blank line
    bench.results["virsh"] = [
        timed_command(["virsh", "-c", bench.uri, "list", "--all"], bench.env,
                      lambda out: len(out.splitlines()) >= lines)
        for _ in range(bench.runs)
    ]
    bench.results["imports"] = [
        timed_command([PYTHON, "-c", "import textual, libvirt"], bench.env) for _ in range(bench.runs)
    ]


def section_bare(bench: Bench) -> None:
    app = bench.bare_app()
    try:
        app.wait_for(lambda a: a.received > 0, "any output", deadline=DEADLINE)
        app.settle(0.5)
        rss = app.peak_rss_kib()
    finally:
        ending = app.quit()
    bench.results["bare"] = {"rss_kib": [rss] if rss else [], "endings": [ending]}


DRIVER_ALONE = """
import sys, libvirt
conn = libvirt.open(sys.argv[1])
domains = conn.listAllDomains(0)
conn.getAllDomainStats(0, 0)
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


def section_driver_alone(bench: Bench) -> None:
    """Peak RSS of a bare libvirt-python script that opens the node in-process and lists it:
    what the in-process test driver itself holds of every figure above."""
    done = subprocess.run([PYTHON, "-c", DRIVER_ALONE, bench.uri], env=bench.env, capture_output=True,
                          text=True, timeout=DEADLINE, cwd=str(ROOT))
    if done.returncode != 0:
        raise subprocess.SubprocessError(f"exited {done.returncode}: {done.stderr.strip()[-500:]}")
    bench.results["driver_alone_kib"] = int(done.stdout.split()[-1])


# -- 3: keys -------------------------------------------------------------------


def to_top(app: PtyApp) -> None:
    """ctrl+home: cursor and scroll back to the first row, so every repetition starts alike."""
    if first_row(app) != "guest-0001":
        app.send(b"\x1b[1;5H")
        app.wait_for(lambda a: first_row(a) == "guest-0001", "the first row after ctrl+home")
    app.settle()


def key_session(bench: Bench, app: PtyApp, reps: int) -> dict:
    out: dict[str, list[float]] = {k: [] for k in ("view2", "view1", "pagedown", "open_filter", "last_key",
                                                     "whole_filter", "clear_filter")}
    app.wait_for(loaded(bench.n), f"'guests: {bench.n}' and the first rows")
    app.settle()
    for _ in range(reps):  # views: 2 then 1
        out["view2"].append(app.press("2", shows_networks, "the networks table (a Mode column)"))
        app.settle()
        out["view1"].append(app.press("1", shows_guests, "the guests table again"))
        app.settle()
    for _ in range(reps * 2):  # pagedown from the top
        before = first_row(app)
        out["pagedown"].append(app.press(b"\x1b[6~", lambda a, b=before: first_row(a) not in (None, b),
                                         f"rows other than {before}... after pagedown"))
        app.settle()
    for _ in range(reps):  # filter: the last keystroke, then the whole word at once
        to_top(app)
        out["open_filter"].append(app.press("/", lambda a: a.contains("filter by"), "the filter box"))
        app.settle()
        app.send("guest-0")
        app.wait_for(lambda a: re.search(r"guest-0(?!\d)", a.text()) is not None, "'guest-0' in the filter box")
        app.settle()
        out["last_key"].append(app.press("9", filtered("guest-09"), "only guest-09* rows"))
        app.settle()
        out["clear_filter"].append(app.press(b"\x1b", unfiltered("guest-09"), "every row back"))
        app.settle()
        to_top(app)
        app.send("/")
        app.wait_for(lambda a: a.contains("filter by"), "the filter box")
        app.settle()
        out["whole_filter"].append(app.press("guest-09", filtered("guest-09"), "only guest-09* rows"))
        app.settle()
        app.send(b"\x1b")
        app.wait_for(unfiltered("guest-09"), "every row back")
        app.settle()
    rss = app.peak_rss_kib()
    return {**out, "rss_kib": rss}


def section_keys(bench: Bench, key: str, make: Callable[[], PtyApp], reps: int) -> None:
    app = make()
    try:
        result = key_session(bench, app, reps)
    finally:
        result_ending = app.quit()
    bench.results[f"keys_{key}"] = {**result, "ending": result_ending}


# -- 4: in-process refresh -----------------------------------------------------


def section_refresh(bench: Bench) -> None:
    argv = [PYTHON, str(HERE / "refresh_bench.py"), bench.uri, str(bench.n), "20", "3"]
    done = subprocess.run(argv, env=bench.env, capture_output=True, text=True, timeout=150, cwd=str(ROOT))
    if done.returncode != 0:
        raise subprocess.SubprocessError(f"refresh_bench exited {done.returncode}:\n{done.stderr.strip()[-2000:]}")
    bench.results["refresh"] = json.loads(done.stdout.strip().splitlines()[-1])


# -- 5 + 7: stats tick and calls per tick (in-process) ------------------------------


def stats_bench(bench: Bench, *args: str, timeout: float) -> dict:
    argv = [PYTHON, str(HERE / "stats_bench.py"), *args]
    done = subprocess.run(argv, env=bench.env, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    if done.returncode != 0:
        raise subprocess.SubprocessError(f"stats_bench {args[0]} exited {done.returncode}:\n"
                                         f"{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def section_stats_tick(bench: Bench) -> None:
    bench.results["stats_tick"] = stats_bench(bench, "tick", bench.uri, str(bench.n), "10", timeout=180)


def section_handles(bench: Bench) -> None:
    # libvirt-python's methods wait for the GIL up to 5 ms a call, four calls a handle: seconds a run
    done = subprocess.run([PYTHON, str(HERE / "handles_bench.py"), bench.uri, "3"], env=bench.env,
                          capture_output=True, text=True, timeout=240, cwd=str(ROOT))
    if done.returncode != 0:
        raise subprocess.SubprocessError(f"handles_bench exited {done.returncode}: {done.stderr.strip()[-1000:]}")
    bench.results["handles"] = json.loads(done.stdout.strip().splitlines()[-1])


def section_stats_calls(bench: Bench) -> None:
    bench.results["stats_calls"] = stats_bench(bench, "calls", bench.uri, "15", "--system", SYSTEM_URI, timeout=180)


# -- 11: memory after opening screens (in-process) ------------------------------------


def section_memory(bench: Bench) -> None:
    out = bench.results.setdefault("memory", {})
    for which in ("virtdeck", "bare"):
        argv = [PYTHON, str(HERE / "memory_bench.py"), which, "200"]
        done = subprocess.run(argv, env=bench.env, capture_output=True, text=True, timeout=900, cwd=str(ROOT))
        if done.returncode != 0:
            raise subprocess.SubprocessError(f"memory_bench {which} exited {done.returncode}:\n"
                                             f"{done.stderr.strip()[-2000:]}")
        out[which] = json.loads(done.stdout.strip().splitlines()[-1])


# -- 8: serial console ---------------------------------------------------------------


def section_console(bench: Bench) -> None:
    reason = console_bench.unavailable()
    if reason is not None:
        bench.results["console"] = {"skipped": reason}
        return
    bench.results["console"] = console_bench.measure(bench.spawn, bench.env)


# -- 12: graphical console --------------------------------------------------------------


def section_display(bench: Bench) -> None:
    reason = display_bench.unavailable()
    if reason is not None:
        bench.results["display"] = {"skipped": reason}
        return
    argv = [PYTHON, str(HERE / "display_bench.py")]
    done = subprocess.run(argv, env=bench.env, capture_output=True, text=True, timeout=900, cwd=str(ROOT))
    if done.returncode != 0:
        raise subprocess.SubprocessError(f"display_bench exited {done.returncode}:\n{done.stderr.strip()[-2000:]}")
    bench.results["display"] = json.loads(done.stdout.strip().splitlines()[-1])


# -- 6: idle CPU ------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of `pid` so far, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def section_idle(bench: Bench) -> None:
    """virtdeck at --refresh 1 and the bare app, side by side, over the same window."""
    virtdeck = bench.spawn([PYTHON, "-m", "tui", "--refresh", "1", "-c", bench.uri], "virtdeck --refresh 1")
    bare = bench.bare_app()
    apps = (virtdeck, bare)
    result: dict = {}
    try:
        virtdeck.wait_for(loaded(bench.n), f"'guests: {bench.n}' and the first rows")
        bare.wait_for(lambda a: a.received > 0, "any output")
        end = time.perf_counter() + 3.0  # the reads that follow the first sync, the first ticks
        while time.perf_counter() < end:
            for app in apps:
                app._read_available(0.02)
        before = [(cpu_seconds(app.pid), app.received) for app in apps]
        began = time.perf_counter()
        end = began + IDLE_WINDOW
        while time.perf_counter() < end:  # no keys; keep both terminals drained
            for app in apps:
                app._read_available(0.02)
        wall = time.perf_counter() - began
        after = [(cpu_seconds(app.pid), app.received) for app in apps]
        for key, (cpu0, bytes0), (cpu1, bytes1) in zip(("virtdeck", "bare"), before, after):
            result[key] = {"cpu": cpu1 - cpu0, "percent": (cpu1 - cpu0) / wall * 100, "bytes": bytes1 - bytes0}
        result["wall"] = wall
        result["still_shown"] = loaded(bench.n)(virtdeck)
    finally:
        result["endings"] = [app.quit() for app in apps]
    bench.results["idle"] = result


# -- leftovers -----------------------------------------------------------------


def leftovers(bench: Bench) -> list[str]:
    """Processes still alive that we started, or whose command line names our temp dir."""
    found = []
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == me:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next((line for line in (entry / "status").read_text().splitlines()
                          if line.startswith("State:")), "")
        except OSError:
            continue
        if "zombie" in state:
            continue
        if int(entry.name) in bench.started or str(bench.tmp) in cmdline:
            found.append(f"{entry.name}: {cmdline.strip()[:120]}")
    return found


def reap(bench: Bench) -> None:
    for pid in bench.started:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


# -- the table -----------------------------------------------------------------


def ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.1f} ms"


def secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f} s"


def mib(kib: float | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB ({kib * 1024 / 1e6:.0f} MB)"


def verdict(value: float | None, goal: float) -> str:
    if value is None:
        return "n/a"
    return "ok" if value < goal else "MISSED"


def report(bench: Bench) -> None:
    r = bench.results
    vd = r.get("virtdeck", {})
    ta = r.get("table_app", {})
    kv, kt = r.get("keys_virtdeck", {}), r.get("keys_table", {})
    rows: list[tuple[str, str, str, str]] = []

    def add(figure: str, value: str, baseline: str, goal: str) -> None:
        """One figure; several baselines ("; "-separated) go on lines of their own."""
        first, *more = baseline.split("; ")
        rows.append((figure, value, first, goal))
        rows.extend(("", "", extra, "") for extra in more)

    n = bench.n
    start = median(vd.get("startup", []))
    add(f"1 startup to {n}-guest list (median of {len(vd.get('startup', []))})", secs(start),
        f"virsh list --all {secs(median(r.get('virsh', [])))}; python -c 'import textual, libvirt' "
        f"{secs(median(r.get('imports', [])))}; plain DataTable app {secs(median(ta.get('startup', [])))}",
        f"< {GOAL_STARTUP:.1f} s: {verdict(start, GOAL_STARTUP)}")
    rss = median(vd.get("rss_kib", []))
    add("2 peak RSS after startup (VmHWM, median)", mib(rss),
        f"bare Textual app {mib(median(r.get('bare', {}).get('rss_kib', [])))}; "
        f"plain DataTable app {mib(median(ta.get('rss_kib', [])))}",
        f"< {GOAL_RSS_MB} MB: {verdict(None if rss is None else rss * 1024 / 1e6, GOAL_RSS_MB)}")
    rss_keys = kv.get("rss_kib")
    add("2 peak RSS after the key session below (in-process test driver)", mib(rss_keys),
        f"plain DataTable app {mib(kt.get('rss_kib'))}; "
        f"a bare libvirt-python script holding the same in-process node {mib(r.get('driver_alone_kib'))}",
        f"< {GOAL_RSS_MB} MB: {verdict(None if rss_keys is None else rss_keys * 1024 / 1e6, GOAL_RSS_MB)}")
    served = r.get("keys_served", {}).get("rss_kib")
    add("2   the same session, the node served by libvirtd (test+unix://)",
        mib(served) if served else f"n/a: {scale_bench.host_unavailable() or 'not measured'}",
        "(the guests' definitions live in libvirtd, as a real host's do)",
        f"< {GOAL_RSS_MB} MB: {verdict(None if served is None else served * 1024 / 1e6, GOAL_RSS_MB)}")
    sv = r.get("keys_served", {})
    if sv:
        add("3   served: '2' / '1' view switch (medians)",
            f"{ms(median(sv.get('view2', [])))} / {ms(median(sv.get('view1', [])))}", "", "")
    for key, label in (("pagedown", "pagedown"), ("view2", "'2' guests -> networks"),
                       ("view1", "'1' networks -> guests"), ("open_filter", "'/' opens the filter box"),
                       ("last_key", "'9' after 'guest-0' (900 rows go)"),
                       ("whole_filter", "'guest-09' typed at once (8 keys)"),
                       ("clear_filter", "escape clears the filter (900 rows back)")):
        value = median(kv.get(key, []))
        goal = f"< {GOAL_KEY * 1000:.0f} ms: {verdict(value, GOAL_KEY)}"
        if key == "clear_filter":
            goal = "none (incl. Textual's 100 ms ESCDELAY)"
        add(f"3 key: {label} (median of {len(kv.get(key, []))}, max {ms(max(kv[key]) if kv.get(key) else None)})",
            ms(value), f"plain DataTable app {ms(median(kt.get(key, [])))}", goal)
    rf = r.get("refresh", {})
    if rf:
        nc, ac, rb, bs = rf["no_change"], rf["all_changed"], rf["rebuild"], rf["bulk_stats"]
        add(f"4 refresh_view, nothing changed: call (median of {nc['n']})",
            f"cpu {ms(nc['cpu'])}, wall {ms(nc['wall'])}",
            f"getAllDomainStats(STATE): cpu {ms(bs['cpu'])}, wall {ms(bs['wall'])}", "")
        add("4   ... including the deferred work, up to idle",
            f"cpu {ms(nc['idle_cpu'])}, wall {ms(nc['idle_wall'])}", "(up-to-idle wall has a ~20 ms floor)", "")
        add(f"4 refresh_view, every row changed one cell: call (median of {ac['n']})",
            f"cpu {ms(ac['cpu'])}, wall {ms(ac['wall'])}",
            f"clear()+add {rb['rows']} rows: cpu {ms(rb['cpu'])}, wall {ms(rb['wall'])}", "")
        add("4   ... including the deferred work, up to idle",
            f"cpu {ms(ac['idle_cpu'])}, wall {ms(ac['idle_wall'])}",
            f"clear()+add, up to idle: cpu {ms(rb['idle_cpu'])}, wall {ms(rb['idle_wall'])}",
            "" if ac["cells_changed_every_time"] else "WARNING: cells did not change")
        sc = rf.get("stats_changed")
        if sc:
            add(f"4 refresh_view, a stats tick changing every row's CPU: up to idle (median of {sc['n']})",
                f"cpu {ms(sc['idle_cpu'])}, wall {ms(sc['idle_wall'])}",
                f"call alone: cpu {ms(sc['cpu'])}; nothing changed, up to idle: cpu {ms(nc['idle_cpu'])}",
                f"< 50 ms: {verdict(sc['idle_cpu'], 0.050)}"
                + ("" if sc["cells_changed_every_time"] else " WARNING: cells did not change"))
        add("   (medians; CPU is process_time of the whole process)", "", "", "")
    st = r.get("stats_tick", {})
    if st:
        fe, raw, diff, rend, rv, tick = (st[k] for k in ("fetch", "raw", "diff", "render", "refresh_view", "tick"))
        rest_cpu = rend["idle_cpu"] - rend["cpu"] - rv["cpu"]
        rest_wall = rend["idle_wall"] - rend["wall"] - rv["wall"]
        add(f"5 stats tick, {st['stats_guests']} guests all changing (median of {tick['n']}): fetch",
            f"cpu {ms(fe['cpu'])}, wall {ms(fe['wall'])}",
            f"raw getAllDomainStats, same groups+flags: cpu {ms(raw['cpu'])}, wall {ms(raw['wall'])}; "
            f"(test driver: {fe['records']} active guests, {fe['params']} fields each);"
            f" getAllDomainStats(STATE) of all {n}: cpu {ms(st['raw_all']['cpu'])}", "")
        add(f"5   diff: sample_once -> stats.compute x {st['stats_guests']} (full records)",
            f"cpu {ms(diff['cpu'])}, wall {ms(diff['wall'])}", f"max cpu {ms(diff['cpu_max'])}", "")
        add("5   render: the sample taken + deferred work, up to idle",
            f"cpu {ms(rend['idle_cpu'])}, wall {ms(rend['idle_wall'])}", "(up-to-idle wall has a ~20 ms floor)", "")
        add("5     taking it (History, Inventory, fold)", f"cpu {ms(rend['cpu'])}, wall {ms(rend['wall'])}",
            "", "")
        add(f"5     refresh_view: table sync of {st['rows']} rows", f"cpu {ms(rv['cpu'])}, wall {ms(rv['wall'])}", "", "")
        add(f"5     the rest: layout + paint ({st['visible_rows']} rows visible at "
            f"{st['size'][0]}x{st['size'][1]})", f"cpu {ms(rest_cpu)}, wall {ms(rest_wall)}", "", "")
        add("5   whole tick: fetch + diff + render", f"cpu {ms(fe['cpu'] + tick['cpu'])}, "
            f"wall {ms(fe['wall'] + tick['wall'])}",
            f"raw bulk call alone: cpu {ms(raw['cpu'])}; max of the ticks: cpu "
            f"{ms(fe['cpu'] + tick['cpu_max'])}",
            f"< {GOAL_TICK_CPU * 1000:.0f} ms CPU: {verdict(fe['cpu'] + tick['cpu'], GOAL_TICK_CPU)}"
            + ("" if st["changed_rows_min"] else " WARNING: a tick left the table as it was"))
        add(f"   (rows whose cells changed per tick: {st['changed_rows']:.0f} of {st['rows']}, min "
            f"{st['changed_rows_min']}; DataTable paints only the {st['visible_rows']} visible)", "", "", "")
    hd = r.get("handles", {})
    if hd:
        add(f"5 {hd['guests']} guest handles read (UUID, name, ID) and freed, another thread computing "
            f"(median of {hd['runs']})", ms(hd["handles"] / 1000),
            f"libvirt-python's own methods {ms(hd['methods'] / 1000)}", "")
    idle = r.get("idle", {})
    if idle.get("virtdeck"):
        v, b = idle["virtdeck"], idle["bare"]
        add(f"6 idle dashboard, --refresh 1, {n} guests, {idle['wall']:.0f} s, no keys",
            f"{v['percent']:.2f}% of one core ({v['cpu']:.2f} s CPU)",
            f"bare Textual app, same window: {b['percent']:.2f}% ({b['cpu']:.2f} s CPU)",
            f"< {GOAL_IDLE_PERCENT:g}%: {verdict(v['percent'], GOAL_IDLE_PERCENT)}")
        add(f"   (terminal output in the window: virtdeck {v['bytes'] / 1024:.1f} KiB, bare {b['bytes'] / 1024:.1f} KiB;"
            f" test driver: no rates, so no cell changes{'' if idle.get('still_shown') else '; WARNING: list gone'})",
            "", "", "")
    sc = r.get("stats_calls", {})
    for key, label in (("test", "test driver"), ("system", SYSTEM_URI)):
        host = sc.get(key)
        if not host:
            continue
        if "skipped" in host:
            add(f"7 libvirt calls per tick, {label}", "skipped", host["skipped"][:80], "")
            continue
        for view, what in (("guests", "Guests view"), ("hosts", "Hosts view open")):
            figure = host[view]
            bulk = figure["bulk_per_tick"]
            add(f"7 libvirt calls per tick, {label}, {what} (median of {len(figure['calls'])}, client trace)",
                f"{figure['median']:g} (max {figure['max']})",
                f"bulk stats calls {bulk:.2f} a tick; procedures {figure['procs']}"
                + ("; the host's CPU is getCPUStats, two RPCs (libvirt-python asks for the count first); "
                   "its memory and KSM every 5th tick" if view == "hosts" else "")
                + ("; the max is the tick that also re-reads DHCP leases (every 15th)"
                   if figure["max"] > figure["median"] else ""),
                f"{GOAL_CALLS} bulk stats call a tick: {'ok' if bulk <= GOAL_CALLS + 0.05 else 'MISSED'}")

    console_bench.report(r.get("console", {}), add)
    memory_bench.report(r.get("memory", {}), add)
    scale_bench.report(r.get("scale", {}), add)
    display_bench.report(r.get("display", {}), add)

    widths = [max(len(row[i]) for row in rows + [("figure", "virtdeck", "baseline (same run)", "goal")])
              for i in range(4)]
    header = ("figure", "virtdeck", "baseline (same run)", "goal")
    line = "  ".join("-" * w for w in widths)
    print()
    print(f"virtdeck benchmarks: {n} guests, {bench.uri.split('/')[-1]} (test driver), "
          f"terminal 200x50, python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(line)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print(line)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    print(line)
    endings = vd.get("endings", []) + ta.get("endings", []) + r.get("bare", {}).get("endings", [])
    endings += [kv.get("ending"), kt.get("ending"), r.get("keys_served", {}).get("ending")] + r.get("idle", {}).get("endings", [])
    endings = [e for e in endings if e]
    forced = [e for e in endings if e != "quit"]
    print(f"apps ended: {len(endings)} ({'all by q' if not forced else 'forced: ' + ', '.join(forced)})")


# -- main ----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each startup (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="virtdeck-bench-"))
    node = tmp / f"node-{args.guests}.xml"
    node.write_text(generate_node_xml(args.guests))
    env = dict(os.environ)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache"),
                     ("XDG_DATA_HOME", "data")):
        env[var] = str(tmp / sub)
    env.pop("LIBVIRT_DEFAULT_URI", None)
    scale_bench.as_installed(env, ROOT)
    bench = Bench(tmp=tmp, env=env, uri=f"test://{node}", n=args.guests, runs=args.runs)
    began = time.perf_counter()
    print(f"virtdeck benchmarks ({args.guests} guests, node file in {tmp}):", file=sys.stderr, flush=True)
    # a first run warms the disk cache for every run that follows
    subprocess.run([PYTHON, "-c", "import textual.app, textual.widgets, libvirt, pyte, tui.app"],
                   env=env, cwd=str(ROOT), capture_output=True, timeout=DEADLINE)
    try:
        bench.guarded("1 startup: virtdeck", lambda: section_startup(bench))
        bench.guarded("1 startup: baselines", lambda: section_startup_baselines(bench))
        bench.guarded("2 memory: bare Textual app", lambda: section_bare(bench))
        bench.guarded("3 keys: virtdeck", lambda: section_keys(bench, "virtdeck", bench.virtdeck, 5))
        bench.guarded("3 keys: plain DataTable app", lambda: section_keys(bench, "table", bench.table_app, 5))
        bench.guarded("2 memory: the test driver alone", lambda: section_driver_alone(bench))
        if scale_bench.host_unavailable() is None:
            bench.guarded("3 keys: virtdeck served by libvirtd",
                          lambda: section_keys(bench, "served", bench.virtdeck_served, 5))
        bench.guarded("4 refresh (in-process)", lambda: section_refresh(bench))
        bench.guarded("5 stats tick (in-process)", lambda: section_stats_tick(bench))
        bench.guarded(f"6 idle CPU, {IDLE_WINDOW:.0f} s: virtdeck and the bare app", lambda: section_idle(bench))
        bench.guarded("7 libvirt calls per tick", lambda: section_stats_calls(bench))
        bench.guarded("5 guest handles beside a busy thread", lambda: section_handles(bench))
        bench.guarded("8 serial console (real TCG guest)", lambda: section_console(bench))
        bench.guarded("11 memory after 200 guest detail + XML opens", lambda: section_memory(bench))
        bench.guarded("9 + 10 a big real host, through a 10 ms relay; fleets",
                      lambda: bench.results.__setitem__("scale", scale_bench.measure(bench.started, bench.env)))
        bench.guarded("12 graphical console (TCG guests with a VGA)", lambda: section_display(bench))
    finally:
        left = leftovers(bench)
        if left:
            reap(bench)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    report(bench)
    print(f"leftover processes: {'none' if not left else '; '.join(left) + ' (killed)'}")
    print(f"total benchmark time: {time.perf_counter() - began:.0f} s")
    if bench.errors:
        print("\nNOT MEASURED:")
        for error in bench.errors:
            print(f"- {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
