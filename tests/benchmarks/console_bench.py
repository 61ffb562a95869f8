"""Serial console figures on a real TCG guest (run.py section 8, or alone).

virtdeck runs in a real pseudo-terminal (tests/ptyharness.py), exactly as a
user would run it; every figure is "key written -> the screen shows it":

- `c` -> the first byte of the guest's output on screen, while the guest
  prints a word every 5 ms. Baseline: `virsh console` started -> the same.
- 1 MiB of guest output (`yes | head -c 1048576`, so 1.5 MB with the tty's
  CR/LF) -> the end marker on screen, in the pane and in `virsh console`.
- key response while the guest floods: `f` (full screen) after ctrl+], from
  the key to the redrawn screen; baseline: the same key with the guest idle.

Needs root, libvirtd and the tiny guest's kernel (`make testbed`). Defines
its own guest and removes it at the end.

    python tests/benchmarks/console_bench.py      # prints one JSON line
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "testbed"))

from ptyharness import PtyApp  # noqa: E402

import domain  # noqa: E402

PYTHON = sys.executable
URI = "qemu:///system"
GUEST = "vd-bench-console"
TESTBED = Path(os.environ.get("VIRTDECK_TESTBED", "/tmp/virtdeck-testbed"))
FLOOD = 1 << 20
END = "END-42"
FLOOD_COMMAND = f"yes | head -c {FLOOD}; echo END-$((40+2))\r"
TICKER = "rm -f /tmp/stop; (while [ ! -e /tmp/stop ]; do printf 'tick '; usleep 5000; done) &\r"
STOP_TICKER = "touch /tmp/stop\r"
Spawn = Callable[[list[str], str], PtyApp]


def virsh(*args: str, timeout: float = 60) -> str:
    done = subprocess.run(["virsh", "-q", "-c", URI, *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"virsh {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def remove_guest() -> None:
    for args in (("destroy", GUEST), ("undefine", GUEST)):
        subprocess.run(["virsh", "-q", "-c", URI, *args], capture_output=True, timeout=60)


def boot_guest() -> None:
    env = dict(line.split("=", 1) for line in (TESTBED / "env").read_text().split("\n") if "=" in line)
    env = {k: v.strip("'\"") for k, v in env.items()}
    log = TESTBED / f"serial-{GUEST}.log"
    log.unlink(missing_ok=True)
    remove_guest()
    xml = domain.tiny_guest_xml(GUEST, env["TESTBED_KERNEL"], env["TESTBED_INITRD"], serial_log=str(log))
    path = TESTBED / f"{GUEST}.xml"
    path.write_text(xml)
    virsh("define", str(path))
    virsh("start", GUEST)
    deadline = time.monotonic() + 180
    while domain.LOGIN_PROMPT not in (log.read_text(errors="replace") if log.exists() else ""):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{GUEST} did not reach its login prompt")
        time.sleep(0.2)


def tail_has(app: PtyApp, text: str, window: int = 4096) -> bool:
    return text.encode() in app.raw[-window:]


FLOOD_LINE = re.compile(r"(^|\W)y$")


def flooding(app: PtyApp) -> bool:
    """At least five lines of `yes` on screen (alone, or at the right end beside the guest list)."""
    return sum(1 for line in app.screen.display if FLOOD_LINE.search(line.rstrip())) >= 5 or app.contains(END)


def screen_has(text: str) -> Callable[[PtyApp], bool]:
    return lambda app: app.contains(text)


def table_shown(app: PtyApp) -> bool:
    return any("Name" in line and "State" in line for line in app.screen.display)


def shell(app: PtyApp) -> None:
    """From a fresh console to a shell prompt (the pane or virsh console)."""
    app.send("\r")
    app.wait_for(lambda a: a.contains("tiny login:") or a.contains("tiny# "), "a login or shell prompt")
    if not app.contains("tiny# "):
        app.send("root\r")
        app.wait_for(screen_has("tiny# "), "the shell")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def flood(app: PtyApp, during: Callable[[], None] | None = None, cpu: dict | None = None) -> float:
    """Seconds from the command's Enter to the end marker on screen (CPU seconds of the
    program meanwhile go to cpu["cpu"])."""
    app.send(FLOOD_COMMAND[:-1])
    app.settle(0.2)
    sent = app.send("\r")
    cpu_before = cpu_seconds(app.pid)
    app.wait_for(flooding, "the flood on screen", deadline=30)
    if during is not None:
        during()
    done = app.wait_for(screen_has(END), "the end of the flood", deadline=240)
    if cpu is not None:
        cpu["cpu"] = cpu_seconds(app.pid) - cpu_before
    return done - sent


def virsh_console(spawn: Spawn) -> PtyApp:
    app = spawn(["/usr/bin/virsh", "-c", URI, "console", GUEST, "--force"], "virsh console")
    app.wait_for(screen_has("Escape character"), "virsh's banner")
    return app


def measure(spawn: Spawn, env: dict[str, str], reps: int = 5) -> dict:
    result: dict = {"guest": GUEST}
    boot_guest()
    try:
        # -- baseline: virsh console ------------------------------------------------
        app = virsh_console(spawn)
        shell(app)
        app.send(TICKER)
        app.wait_for(screen_has("tick tick"), "ticks")
        app.quit(keys=("\x1d",))  # ctrl+] leaves virsh console
        virsh_first = []
        for _ in range(reps):
            start = time.perf_counter()
            app = spawn(["/usr/bin/virsh", "-c", URI, "console", GUEST, "--force"], "virsh console")
            done = app.wait_for(screen_has("tick"), "the first tick in virsh console")
            virsh_first.append(done - start)
            app.quit(keys=("\x1d",))
        app = virsh_console(spawn)
        app.send(STOP_TICKER)
        app.settle(0.3)
        shell(app)
        cpu: dict = {}
        result["virsh_flood"] = flood(app, cpu=cpu)
        result["virsh_flood_cpu"] = cpu.get("cpu")
        app.send("exit\r")
        app.quit(keys=("\x1d",))
        result["virsh_first_byte"] = virsh_first

        # -- virtdeck --------------------------------------------------------------------
        vd = spawn([PYTHON, "-m", "tui", "-c", URI], "virtdeck")
        try:
            vd.wait_for(screen_has(GUEST), f"{GUEST} in the guest list")
            vd.send("/")
            vd.wait_for(screen_has("filter by"), "the filter box")
            vd.send(GUEST)
            vd.settle(0.3)
            vd.send("\r")
            vd.settle(0.3)
            vd.send("c")
            vd.wait_for(screen_has("attached"), "the console attached")
            shell(vd)
            vd.send(TICKER)
            vd.wait_for(screen_has("tick tick"), "ticks in the pane")
            vd.send("\x1d")  # ctrl+]: leave the terminal
            vd.wait_for(screen_has("Full screen"), "the pane's keys in the footer")
            vd.send("w")  # close the console
            vd.wait_for(lambda a: not a.contains("tick"), "the pane closed")
            vd.settle(0.3)
            first, attached = [], []
            for _ in range(reps):
                sent = vd.send("c")
                attached_at = vd.wait_for(screen_has("attached"), "the pane attached")
                first_at = vd.wait_for(screen_has("tick"), "the first tick in the pane")
                attached.append(attached_at - sent)
                first.append(first_at - sent)
                vd.send("\x1d")
                vd.wait_for(screen_has("Full screen"), "the pane's keys in the footer")
                vd.send("w")
                vd.wait_for(lambda a: not a.contains("tick"), "the pane closed")
                vd.settle(0.3)
            result["first_byte"] = first
            result["attached"] = attached
            vd.send("c")
            vd.wait_for(screen_has("attached"), "the pane attached")
            vd.send(STOP_TICKER)
            vd.settle(0.3)
            vd.send("clear\r")
            vd.settle(0.3)

            # key lag, guest idle: ctrl+] then z / z
            def zoom_lags(count: int) -> list[float]:
                lags = []
                for _ in range(count):
                    zoomed = not table_shown(vd)
                    lags.append(vd.press("f", (lambda a: table_shown(a)) if zoomed else
                                         (lambda a: not table_shown(a)), "the zoom toggled", deadline=10))
                return lags

            vd.send("\x1d")
            vd.wait_for(screen_has("Full screen"), "the pane's keys in the footer")
            result["zoom_idle"] = zoom_lags(reps * 2)
            if not table_shown(vd):
                vd.press("f", table_shown, "unzoomed")
            vd.send("\r")  # back into the terminal
            vd.settle(0.2)

            # throughput, and the same keys while it floods
            def keys_while_flooding() -> None:
                vd.send("\x1d")
                vd.wait_for(screen_has("Full screen"), "the pane's keys in the footer")
                result["zoom_flood"] = zoom_lags(reps * 2)
                result["zoom_flood_ended_early"] = vd.contains(END)
                if not table_shown(vd):
                    vd.press("f", table_shown, "unzoomed")
                vd.send("\r")

            cpu = {}
            result["flood"] = flood(vd, keys_while_flooding, cpu=cpu)
            result["flood_cpu"] = cpu.get("cpu")
            vd.settle(0.3)
            vd.send("exit\r")
            vd.wait_for(screen_has("tiny login:"), "logged out")
            vd.send("\x1d")
            vd.wait_for(screen_has("Full screen"), "the pane's keys in the footer")
            vd.send("\x1b")  # back to the guest list
            vd.settle(0.2)
            result["rss_kib"] = vd.peak_rss_kib()
        finally:
            result["ending"] = vd.quit()
    finally:
        remove_guest()
    return result


def summary(values: list[float] | None) -> dict | None:
    if not values:
        return None
    return {"median": statistics.median(values), "max": max(values), "n": len(values)}


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="virtdeck-console-bench-"))
    env = dict(os.environ)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache")):
        env[var] = str(tmp / sub)
    started: list[PtyApp] = []

    def spawn(argv: list[str], label: str) -> PtyApp:
        app = PtyApp(argv, env=env, cwd=str(ROOT), label=label)
        started.append(app)
        return app

    result = measure(spawn, env)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())




# -- for run.py --------------------------------------------------------------------


def unavailable() -> str | None:
    """Why this section cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (libvirtd, a TCG guest)"
    if not (TESTBED / "env").exists():
        return f"no test bed in {TESTBED} (make testbed)"
    return None


def report(result: dict, add: Callable[[str, str, str, str], None], goal_first: float = 0.2,
           goal_lag: float = 0.1) -> None:
    """The section's rows for run.py's table: add(figure, virtdeck, baseline, goal)."""
    if not result:
        return
    if "skipped" in result:
        add("8 serial console", "skipped", result["skipped"], "")
        return

    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 1000:.0f} ms"

    def med(key: str) -> float | None:
        values = result.get(key)
        return statistics.median(values) if values else None

    def top(key: str) -> float | None:
        values = result.get(key)
        return max(values) if values else None

    def verdict(value: float | None, goal: float) -> str:
        return "n/a" if value is None else ("ok" if value < goal else "MISSED")

    first = med("first_byte")
    add(f"8 console: `c` -> first guest byte on screen (median of {len(result.get('first_byte', []))}, "
        f"max {ms(top('first_byte'))})", ms(first),
        f"virsh console start -> first byte {ms(med('virsh_first_byte'))}; `c` -> attached {ms(med('attached'))}",
        f"< {goal_first * 1000:.0f} ms: {verdict(first, goal_first)}")
    flood, virsh_flood = result.get("flood"), result.get("virsh_flood")
    add(f"8 console: 1 MiB of guest output (`yes | head -c 1M`, 1.5 MB on the wire) -> end marker",
        "n/a" if flood is None else f"{flood:.1f} s ({FLOOD * 1.5 / flood / 1024:.0f} KiB/s)",
        "n/a" if virsh_flood is None else f"virsh console {virsh_flood:.1f} s "
        f"({FLOOD * 1.5 / virsh_flood / 1024:.0f} KiB/s)",
        "no slower than virsh: " + ("n/a" if None in (flood, virsh_flood)
                                    else "ok" if flood <= virsh_flood * 1.05 else f"MISSED ({flood / virsh_flood:.2f}x)"))
    add("8   ... CPU of the program during it", f"{result.get('flood_cpu') or 0:.1f} s",
        f"virsh console {result.get('virsh_flood_cpu') or 0:.1f} s (the guest's TCG vCPU uses a core meanwhile)", "")
    lag = med("zoom_flood")
    add(f"8 console: key lag while the guest floods (`f`, median of {len(result.get('zoom_flood', []))}, "
        f"max {ms(top('zoom_flood'))})", ms(lag), f"same key, guest idle {ms(med('zoom_idle'))}",
        f"< {goal_lag * 1000:.0f} ms: {verdict(lag, goal_lag)}"
        + (" (flood ended first)" if result.get("zoom_flood_ended_early") else ""))
