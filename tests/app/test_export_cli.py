"""`virtdeck --export` as a script runs it: no terminal (stdin /dev/null, stdout a pipe, its
own session), on libvirt's test driver; what it prints is checked against libvirt itself."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import libvirt

from tui.demo import demo_uri, prepare
from tui.render.columns import GUEST_COLUMNS, NETWORK_COLUMNS

DEAD = "qemu+tcp://127.0.0.1:1/system"  # nothing listens on port 1
STATES = {libvirt.VIR_DOMAIN_RUNNING: "running", libvirt.VIR_DOMAIN_PAUSED: "paused",
          libvirt.VIR_DOMAIN_SHUTOFF: "shut off"}


def export(tmp_path, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tui", "--config", str(tmp_path / "config.toml"), *argv],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, start_new_session=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")},
    )


def libvirt_guests(uri: str, prepared: bool = False) -> dict[str, str]:
    """Guest name -> state word, read straight from libvirt."""
    conn = libvirt.open(uri)
    try:
        if prepared:
            prepare(conn)
        # A shut-off guest with a managed save image reads "saved", as the table says.
        return {dom.name(): "saved" if dom.hasManagedSaveImage(0) else STATES[dom.state()[0]]
                for dom in conn.listAllDomains()}
    finally:
        conn.close()


def test_json_of_the_demo_lists_what_libvirt_lists(tmp_path):
    done = export(tmp_path, "--export", "guests", "--format", "json", "--demo")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["table"] == "guests"
    assert [(h["state"], h["listed"]) for h in document["hosts"]] == [("connected", True)]
    rows = document["rows"]
    assert {row["name"]: row["state"] for row in rows} == libvirt_guests(demo_uri(), prepared=True)
    assert [row["name"] for row in rows] == sorted((row["name"] for row in rows), key=str.casefold)
    assert all(set(row) == {c.id for c in GUEST_COLUMNS} | {"uri", "uuid"} for row in rows)
    # It waited for the live figures: running guests have a CPU % and rates, as numbers.
    running = [row for row in rows if row["state"] == "running"]
    assert running and all(isinstance(row["cpu"], float) for row in running)
    assert all(isinstance(row["disk"][0], int) for row in running)
    assert all(row["cpu"] is None for row in rows if row["state"] == "shut off")


def test_csv_of_the_default_test_host(tmp_path):
    done = export(tmp_path, "--export", "guests", "--connect", "test:///default", "--no-stats")
    assert done.returncode == 0, done.stderr
    lines = list(csv.reader(io.StringIO(done.stdout, newline="")))
    assert lines[0] == [c.header for c in GUEST_COLUMNS] + ["uri", "uuid"]
    records = [dict(zip(lines[0], line)) for line in lines[1:]]
    assert {r["Name"]: r["State"] for r in records} == libvirt_guests("test:///default")
    conn = libvirt.open("test:///default")
    try:
        dom = conn.lookupByName(records[0]["Name"])
        assert records[0]["uuid"] == dom.UUIDString()
        assert records[0]["Memory"] == str(dom.info()[2] * 1024)  # bytes, not "2.0 GiB"
    finally:
        conn.close()


def test_a_dead_host_is_said_on_stderr_and_the_others_rows_still_print(tmp_path):
    done = export(tmp_path, "--export", "networks", "--format", "json", "-c", "test:///default", "-c", DEAD)
    assert done.returncode == 1
    assert DEAD in done.stderr and "Connection refused" in done.stderr
    document = json.loads(done.stdout)
    hosts = {h["uri"]: h for h in document["hosts"]}
    assert hosts["test:///default"]["listed"] and not hosts[DEAD]["listed"]
    assert "Connection refused" in hosts[DEAD]["error"]
    conn = libvirt.open("test:///default")
    try:
        assert {row["name"] for row in document["rows"]} == {net.name() for net in conn.listAllNetworks()}
    finally:
        conn.close()
    assert all(set(row) == {c.id for c in NETWORK_COLUMNS} | {"uri", "uuid"} for row in document["rows"])


def test_output_file_and_bad_arguments(tmp_path):
    target = tmp_path / "pools.json"
    done = export(tmp_path, "--export", "pools", "--format", "json", "--demo", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    pools = json.loads(target.read_text())["rows"]
    assert {p["name"] for p in pools} == {"default", "iso"}
    assert all(isinstance(p["capacity"], int) and 0 <= p["used"] <= 100 for p in pools)
    for argv, said in (
        (["--export", "disks"], "invalid choice"),
        (["--format", "json"], "go with --export"),
        (["--export", "guests", "--output", str(tmp_path / "no" / "x.csv")], "no folder"),
    ):
        refused = export(tmp_path, *argv, "--demo")
        assert refused.returncode == 2 and said in refused.stderr, (argv, refused.stderr)
        assert refused.stdout == ""


def test_an_events_export_holds_the_action_log_with_its_commands(tmp_path):
    """virtdeck's own actions (earlier sessions' too) go out with the events, with the command
    line each one stands for; the record is written by the log's own writer, as the app would."""
    import time

    from tui.backend.action_log import FILE_NAME, ActionLog
    from tui.backend.model import ActionRecord

    uri = "test:///default"
    record = ActionRecord(at=time.time() - 3600, host="lab, \"odd\"", uri=uri, kind="guest", name="web 1",
                          what="force off", command="virsh -c test:///default destroy 'web 1'",
                          outcome="ok", conn_id="")
    ActionLog(tmp_path / "state" / "virtdeck" / FILE_NAME).append(record)
    done = export(tmp_path, "--export", "events", "--format", "json", "--connect", uri)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    ours = [row for row in rows if row["kind"] == "virtdeck"]
    assert len(ours) == 1, rows
    assert ours[0]["subject"] == "guest web 1" and ours[0]["host"] == record.host
    assert ours[0]["command"] == record.command and "force off" in ours[0]["detail"]
    assert all(row["command"] is None for row in rows if row["kind"] != "virtdeck")
    done = export(tmp_path, "--export", "events", "--format", "csv", "--connect", uri)
    table = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [row["command"] for row in table if row["Kind"] == "virtdeck"] == [record.command]
