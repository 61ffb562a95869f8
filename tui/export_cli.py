"""`virtdeck --export TABLE`: the hosts the command line names, read without a UI, one table
printed as CSV or JSON. No Textual here: it runs without a terminal (a pipe, cron).

Exit status: 0 every host listed, 1 some host failed (each one said on stderr, and in the
JSON's `hosts`), 2 bad arguments (argparse's)."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from . import demo
from .backend.action_log import FILE_NAME as ACTION_LOG
from .backend.action_log import ActionLog
from .backend.collector import Collector
from .backend.files import write_whole
from .actions.recorder import SHOWN_ON_START
from .backend.model import ActionLogged
from .backend.ssh import SshTransport, owned_target
from .config import state_dir
from .render import export
from .settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportRequest:
    table: str  # one of export.TABLES
    form: str = "csv"  # "csv" or "json"
    output: Path | None = None  # None: stdout
    stats: bool = True  # wait one stats interval for the live figures
    timeout: float = 20.0  # seconds every host has to list


class _NoOneToAsk:
    """The SSH prompter of a run with nobody to answer: every question refused, and noted."""

    def __init__(self) -> None:
        self.asked = False

    def ask_host_key(self, host: str, keytype: str, fingerprint: str) -> bool:
        self.asked = True
        return False

    def ask_secret(self, host: str, kind: str, prompt: str) -> str | None:
        self.asked = True
        return None


def output_problem(path: Path) -> str | None:
    """Why `--output` cannot be written, or None."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        return f"{path} is a folder"
    if not folder.is_dir():
        return f"no folder {folder}"
    if not os.access(folder, os.W_OK):
        return f"cannot write in {folder}"
    return None


def run(settings: Settings, request: ExportRequest) -> int:
    log_path = state_dir() / "virtdeck.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_path, level=logging.INFO,
                        format="%(asctime)s %(threadName)s %(name)s: %(message)s")
    table = request.table
    collector = Collector(read_only=settings.read_only, refresh=settings.refresh, timeout=request.timeout)
    # qemu+ssh hosts go through virtdeck's own SSH, as in the app, with keys and the agent only:
    # nobody is there to accept a new host key or type a password, so those hosts fail and say why.
    refused = _NoOneToAsk()
    ssh = SshTransport(refused)
    libvirt_ssh = {c.uri for c in settings.config.connections if c.ssh == "libvirt"}
    try:
        for target in settings.targets:
            if target.demo:
                collector.add(target.uri, target.name, **demo.host_hooks())
            elif owned_target(target.uri) is not None and target.uri not in libvirt_ssh:
                collector.add(target.uri, target.name, transport=ssh)
            else:
                collector.add(target.uri, target.name)
        outcome = collector.collect(volumes=table == "volumes", host_stats=table == "hosts",
                                    addresses=table == "guests",
                                    stats=request.stats and table in export.LIVE_TABLES)
    finally:
        collector.close()
        ssh.close()
    inventory = outcome.inventory
    if table == "events":  # virtdeck's own actions, earlier sessions' too, as the Events view has them
        for record in ActionLog(state_dir() / ACTION_LOG).last(SHOWN_ON_START):
            inventory.apply(ActionLogged(record))
    for conn_id, reason in outcome.failed.items():
        host = inventory.hosts.get(conn_id)
        where = f"{host.name} ({host.uri})" if host else conn_id
        print(f"virtdeck: {where}: {reason}", file=sys.stderr)
    if refused.asked:
        print("virtdeck: --export asks nothing: accept a new host key by connecting once with virtdeck "
              "(or ssh), and log in with a key or the agent rather than a password", file=sys.stderr)
    rows = export.ordered(table, export.rows(table, inventory, settings.config.thresholds))
    hosts = []
    for conn_id, host in inventory.hosts.items():
        entry = export.host_entry(host)
        entry["listed"] = conn_id not in outcome.failed
        if conn_id in outcome.failed:
            entry["error"] = outcome.failed[conn_id]
        hosts.append(entry)
    content = export.text(table, request.form, rows, hosts)
    status = 1 if outcome.failed else 0
    if request.output is not None:
        try:
            write_whole(request.output, content)
        except OSError as exc:
            print(f"virtdeck: cannot write {request.output}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        return status
    try:
        sys.stdout.write(content)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left (`| head`): what it wanted it has; Python must not complain at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return status
