"""The action log's file: JSON lines, rotated, read back newest last, and never a secret."""

from __future__ import annotations

import json

import pytest

from tui.actions.recorder import Did, Recorder, outcome_of
from tui.backend.action_log import ActionLog, from_line, redact, to_line
from tui.backend.commands import REDACTED, CommandLine
from tui.backend.inventory import Inventory
from tui.backend.model import ActionRecord, ConnState, Host, HostChanged


def record(n: int, **changes) -> ActionRecord:
    fields = dict(at=1_700_000_000.0 + n, host="kvm01", uri="qemu:///system", kind="guest", name=f"g{n}",
                  what="start", command=f"virsh -c qemu:///system start g{n}", outcome="ok")
    fields.update(changes)
    return ActionRecord(**fields)


def test_a_record_round_trips_through_its_line():
    r = record(1, name="a \"b\" ü\n$x", failed=True, outcome="Requested operation is not valid")
    line = to_line(r)
    assert line.endswith("\n") and line.count("\n") == 1
    assert from_line(line) == r
    assert from_line("not json") is None and from_line('{"at": 1}') is None and from_line("[1]") is None


def test_rotation_keeps_five_files_and_the_newest_records(tmp_path):
    log = ActionLog(tmp_path / "actions.jsonl", max_bytes=2000, keep=5)
    line_size = len(to_line(record(100)).encode())
    total = 200
    for n in range(total):
        log.append(record(n))
    files = log.files()
    assert [p.name for p in files] == [f"actions.jsonl.{n}" for n in (5, 4, 3, 2, 1)] + ["actions.jsonl"]
    assert all(p.stat().st_size <= 2000 for p in files)
    kept = [from_line(line) for p in files for line in p.read_text().splitlines()]
    names = [r.name for r in kept]
    assert names == [f"g{n}" for n in range(total - len(names), total)]  # the oldest dropped, none out of order
    assert len(names) >= 5 * (2000 // line_size)
    assert [r.name for r in log.last(7)] == [f"g{n}" for n in range(total - 7, total)]
    everything = log.last(10_000)
    assert [r.name for r in everything] == names


def test_last_reads_across_a_rotation(tmp_path):
    log = ActionLog(tmp_path / "actions.jsonl", max_bytes=600, keep=2)
    for n in range(5):
        log.append(record(n))
    assert log.rotated(1).exists()
    assert [r.name for r in log.last(4)] == ["g1", "g2", "g3", "g4"]
    (tmp_path / "actions.jsonl").write_text((tmp_path / "actions.jsonl").read_text() + "{broken\n")
    assert [r.name for r in log.last(2)] == ["g3", "g4"]


def test_the_file_is_private(tmp_path):
    log = ActionLog(tmp_path / "state" / "actions.jsonl")
    log.append(record(1))
    assert (log.path.stat().st_mode & 0o777) == 0o600


def test_redact_replaces_every_secret_longest_first():
    assert redact("pw=abc abcdef", ["abc", "abcdef"]) == f"pw={REDACTED} {REDACTED}"
    assert redact("nothing", ["", "zzz"]) == "nothing"


class Owner:
    """What a Recorder needs of the App: the inventory, and somewhere to post."""

    def __init__(self) -> None:
        self.inventory = Inventory()
        self.inventory.apply(HostChanged(Host("c1", "qemu:///system", "kvm01", ConnState.CONNECTED)))
        self.posted = []

    def post_message(self, message) -> bool:
        self.posted.append(message)
        return True


def test_a_secret_reaches_neither_the_file_nor_the_view(tmp_path):
    """The new guest's cloud-init password (the one verb that carries a secret) is redacted from
    the command and from an error that quotes it."""
    owner = Owner()
    log = ActionLog(tmp_path / "actions.jsonl")
    recorder = Recorder(owner, log)
    secret = "hunter2-$'\""
    did = Did("guest", "web", "create guest", (CommandLine(("virt-install", "--name", "web"), f"password {secret}"),),
              secrets=(secret,))

    def work(_conn, _progress):
        raise RuntimeError(f"cloud-init refused password {secret}")

    with pytest.raises(RuntimeError):
        recorder.wrap("c1", did, work)(None, None)
    text = (tmp_path / "actions.jsonl").read_text()
    assert secret not in text and "hunter2" not in text
    saved = json.loads(text)
    assert saved["failed"] is True and saved["outcome"] == f"cloud-init refused password {REDACTED}"
    assert saved["host"] == "kvm01" and saved["uri"] == "qemu:///system" and saved["kind"] == "guest"
    shown = owner.posted[0].update.record
    assert secret not in shown.command and secret not in shown.outcome


def test_the_new_guest_job_declares_its_password(tmp_path):
    from tui.actions.new_guest import NewGuestActions
    from tui.backend.cloud_init import Seed
    from tui.backend.ops.new_guest import NewGuestPlan
    from tui.backend.xml.new_guest import GuestSpec

    owner = Owner()
    recorder = Recorder(owner, ActionLog(tmp_path / "actions.jsonl"))
    actions = NewGuestActions(owner, recorder)
    plan = NewGuestPlan(GuestSpec(name="web"), seed=Seed(hostname="web", user="u", password="pa55word"),
                        seed_volume=("default", "web-seed.iso"))
    work = actions.create_work(plan, None, "c1")
    outcome = work(None, lambda *a: None)  # no connection: it fails at once, says so, and is logged
    assert outcome.error
    text = (tmp_path / "actions.jsonl").read_text()
    assert "pa55word" not in text and "virt-install" in text and '"failed": true' in text


def test_an_answer_that_reports_failure_is_logged_as_failed():
    class Outcome:
        failed = [("live", "Requested operation is not valid")]

    assert outcome_of(Outcome()) == "live: Requested operation is not valid"
    assert outcome_of("its 2 volume(s) deleted too") is None and outcome_of(None) is None


def test_a_cancelled_job_is_logged_as_aborted(tmp_path):
    from tui.backend.ops.volumes import Cancelled

    owner = Owner()
    recorder = Recorder(owner, ActionLog(tmp_path / "actions.jsonl"))
    did = Did("volume", "default/a.img", "upload /tmp/a.img", (CommandLine(("virsh", "vol-upload")),))

    def work(_conn, _progress):
        raise Cancelled("Upload cancelled")

    with pytest.raises(Cancelled):
        recorder.wrap("c1", did, work)(None, None)
    saved = json.loads((tmp_path / "actions.jsonl").read_text())
    assert saved["outcome"] == "aborted: Upload cancelled" and saved["failed"] is True


def test_the_demo_hosts_actions_are_shown_but_not_written(tmp_path):
    owner = Owner()
    owner.inventory.apply(HostChanged(Host("c2", "test:///demo", "demo", ConnState.CONNECTED, demo=True)))
    recorder = Recorder(owner, ActionLog(tmp_path / "actions.jsonl"))
    recorder.record("c2", Did("guest", "web", "start"), None)
    recorder.record("c1", Did("guest", "db", "start"), None)
    assert [r.name for r in ActionLog(tmp_path / "actions.jsonl").last(10)] == ["db"]
    assert [m.update.record.name for m in owner.posted] == ["web", "db"]


def test_an_events_export_holds_virtdecks_actions():
    from tui.backend.model import ActionLogged
    from tui.render import export

    inventory = Inventory()
    inventory.apply(ActionLogged(record(1, failed=True, outcome="Domain not found")))
    rows = [export.record(export.TABLES["events"], row) for row in export.ordered("events", export.rows("events",
                                                                                                     inventory))]
    assert [(r["kind"], r["subject"], r["detail"], r["uri"]) for r in rows] == [
        ("virtdeck", "guest g1", "virtdeck: start — failed: Domain not found", "qemu:///system")]
