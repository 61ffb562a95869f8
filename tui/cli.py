"""Command line -> Settings -> App."""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import sys
from pathlib import Path

from . import __version__, gc_policy
from .backend.validate import check_uri
from .config import PICTURES, ConfigError, load, state_dir
from .render.picture_support import detect as detect_pictures
from .settings import Settings, resolve_targets


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def libvirt_uri(text: str) -> str:
    problem = check_uri(text)
    if problem:
        raise argparse.ArgumentTypeError(f"{text!r}: {problem}")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="virtdeck",
        description="Keyboard-driven dashboard for KVM/QEMU hosts over libvirt.",
        epilog=(
            "Hosts, in order: every -c URI; else the config's connections with autoconnect; "
            "else $LIBVIRT_DEFAULT_URI; else qemu:///system when its socket exists; "
            "else the built-in demo host."
        ),
    )
    parser.add_argument(
        "-c", "--connect", metavar="URI", action="append", type=libvirt_uri, default=[],
        help="libvirt URI to open; repeat for several hosts",
    )
    parser.add_argument("--read-only", action="store_true", help="open every connection read-only")
    parser.add_argument(
        "--refresh", metavar="SECONDS", type=positive_seconds, default=None,
        help="seconds between stats refreshes (default 2, or the config's refresh)",
    )
    parser.add_argument("--config", metavar="FILE", type=Path, default=None, help="config file to use")
    parser.add_argument("--demo", action="store_true", help="open only the built-in demo host")
    parser.add_argument(
        "--pictures", choices=PICTURES, default=None,
        help="how graphical consoles are drawn: kitty graphics, sixel or block characters "
             "(default: the config's pictures, auto: from the terminal's environment)",
    )
    parser.add_argument("--version", action="version", version=f"virtdeck {__version__}")
    exports = parser.add_argument_group(
        "export a table without the UI",
        "Connects to the same hosts, waits until every host has listed (or failed: said on stderr, "
        "exit status 1) and, for tables with live figures (guests, hosts), one stats interval more "
        "(--refresh sets it; --no-stats skips it), prints the table and exits.")
    exports.add_argument("--export", metavar="TABLE", choices=EXPORT_TABLES, default=None,
                         help=f"the table to print: {', '.join(EXPORT_TABLES)}")
    exports.add_argument("--format", choices=("csv", "json"), default=None, help="csv (default) or json")
    exports.add_argument("--output", "-o", metavar="FILE", type=Path, default=None,
                         help="write the table to FILE instead of stdout")
    exports.add_argument("--no-stats", action="store_true", help="do not wait for live figures")
    exports.add_argument("--timeout", metavar="SECONDS", type=positive_seconds, default=20.0,
                         help="seconds the hosts have to list (default 20)")
    return parser


EXPORT_TABLES = ("guests", "hosts", "networks", "pools", "volumes", "events", "triage")


def settings_from(argv: list[str] | None = None) -> Settings:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load(args.config)
    except ConfigError as exc:
        parser.exit(2, f"virtdeck: {exc}\n")
    if args.pictures:
        config.pictures = args.pictures
    uris = list(args.connect)
    if args.demo:
        from .demo import demo_uri

        uris.append(demo_uri())
    targets, source = resolve_targets(uris, config)
    settings = Settings(
        targets=targets,
        source=source,
        config=config,
        read_only=args.read_only,
        refresh=args.refresh or config.refresh,
        resync=config.resync,
    )
    if args.export is None:
        if args.format or args.output or args.no_stats:
            parser.error("--format, --output and --no-stats go with --export TABLE")
    else:
        from .export_cli import ExportRequest, output_problem

        if args.output is not None and (problem := output_problem(args.output)):
            parser.error(f"--output: {problem}")
        settings.extra["export"] = ExportRequest(args.export, args.format or "csv", args.output,
                                                 stats=not args.no_stats, timeout=args.timeout)
    return settings


def few_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas before any thread starts.

    Every connection has its own worker thread, and glibc gives busy threads
    arenas of their own (up to eight per core); with a fleet of hosts their
    scattered free space held tens of MB of resident memory that Python and
    libvirt no longer used (50 hosts: 368 -> 313 MiB peak).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        pass  # not glibc: its allocator has its own policy


M_ARENA_MAX = -8  # glibc's malloc.h


def main(argv: list[str] | None = None) -> int:
    settings = settings_from(argv)
    if "export" in settings.extra:
        from .export_cli import run

        return run(settings, settings.extra["export"])
    few_malloc_arenas()
    gc_policy.starting()
    if detect_pictures(os.environ, settings.config.pictures).kind == "kitty":
        # the picture's cells name their image by colour: 256 colours would change the name
        os.environ.setdefault("COLORTERM", "truecolor")
    from . import demo
    from .backend import early_fleet, opening
    from .terminal import TerminalWatch, isolate

    log_path = state_dir() / "virtdeck.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # Python's last-resort handler would write warnings onto the terminal.
    logging.basicConfig(
        filename=log_path, level=logging.INFO, format="%(asctime)s %(threadName)s %(name)s: %(message)s"
    )
    terminal = isolate(log_path)
    # The local hosts open, and the leading ones list, while the UI's modules load
    # (libvirt's C code and the daemon's work run without the GIL).
    opening.open_early([target.uri for target in settings.targets], settings.read_only)
    early = early_fleet.start([(t.uri, t.name, demo.host_hooks() if t.demo else {}) for t in settings.targets],
                              read_only=settings.read_only, resync_interval=settings.resync,
                              refresh=settings.refresh)
    from .app import VirtdeckApp

    app = VirtdeckApp(settings, early)
    TerminalWatch(app, terminal).start()
    log = logging.getLogger(__name__)
    try:
        app.run()
    except Exception as exc:  # outside the app's own handling (the driver, the terminal)
        log.error("unexpected error, exiting", exc_info=exc)
        summary = (str(exc).strip().splitlines() or [""])[0]
        print(f"virtdeck: unexpected error: {type(exc).__name__}: {summary} (traceback in {log_path})",
              file=terminal or sys.stderr)
        return 1
    finally:
        opening.drop_early()
        if early is not None and not early.taken:
            early.close()  # the app never mounted
    crash = getattr(app, "crash_message", None)
    if crash:
        print(crash, file=terminal or sys.stderr)
    log.info("exited with status %s", app.return_code)
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
