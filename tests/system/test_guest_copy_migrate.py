"""Rename, clone, delete with storage, bulk actions and migration on real TCG guests,
each result checked with virsh.

Migration goes between the system libvirtd and the test bed's second host (a session
libvirtd of another user with a host UUID of its own), and is refused between two URIs
that reach the same daemon (qemu:///system and qemu+ssh to 127.0.0.1)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.app.conftest import wait_for

from .conftest import Testbed, TinyGuest  # noqa: F401  (types only)
from .test_stats import app_for

POOL = "vd-copy-pool"


def screen_name(app) -> str:
    return type(app.screen).__name__


def select(app, name: str) -> None:
    table = app.screen.table
    table.move_cursor(row=table.get_row_index(next(k for k, c in table._cells.items() if c[0].plain.endswith(name))))


def listed(app, name: str) -> bool:
    return any(g.name == name for g in app.inventory.guests.values())


def domstate(testbed: Testbed, name: str, uri: str | None = None) -> str:
    return testbed.virsh("domstate", name, uri=uri).strip()


def names_on(testbed: Testbed, uri: str | None = None) -> set[str]:
    return set(testbed.virsh("list", "--all", "--name", uri=uri).split("\n")) - {""}


def notified(app, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


@pytest.fixture
def copy_pool(testbed: Testbed):
    with testbed.dir_pool(POOL, Path(testbed.kernel).parent / "copy-pool") as pool_dir:
        yield pool_dir


async def test_rename_clone_and_delete_with_storage(tmp_path, testbed: Testbed, tiny_guest: TinyGuest, copy_pool):
    name, renamed, cloned = "vd-copy [1] <&>é", "vd-copy renamed 'q'", "vd-copy clone \"c\" ü"
    for leftover in (name, renamed, cloned):
        testbed.remove_domain(leftover)
    testbed.virsh("vol-create-as", POOL, "vd-copy.qcow2", "32M", "--format", "qcow2")
    volume = str(copy_pool / "vd-copy.qcow2")
    xml = testbed.state_dir / "vd-copy.xml"
    xml.write_text(testbed.guest_xml(name, disk=volume, network=tiny_guest.network, serial_log=None))
    testbed.virsh("define", str(xml))
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    try:
        async with app.run_test(size=(200, 45)) as pilot:
            await wait_for(pilot, lambda: listed(app, name), timeout=30, what="the guest")
            select(app, name)
            await pilot.press("R")
            await wait_for(pilot, lambda: screen_name(app) == "RenameGuestScreen", what="the rename form")
            app.screen.query_one("#name").value = renamed
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: listed(app, renamed) and not listed(app, name), timeout=20,
                           what="renamed in the list")
            assert renamed in names_on(testbed) and name not in names_on(testbed)

            select(app, renamed)
            await pilot.press("C")
            await wait_for(pilot, lambda: screen_name(app) == "CloneGuestScreen", timeout=20, what="the clone form")
            app.screen.query_one("#name").value = cloned
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: listed(app, cloned), timeout=60, what="the clone listed")
            assert domstate(testbed, cloned) == "shut off"
            source = ET.fromstring(testbed.virsh("dumpxml", "--inactive", renamed))
            clone = ET.fromstring(testbed.virsh("dumpxml", "--inactive", cloned))
            assert clone.findtext("uuid") != source.findtext("uuid")
            assert clone.find("devices/interface/mac").get("address") != source.find("devices/interface/mac").get("address")
            clone_disk = clone.find("devices/disk/source").get("file")
            assert clone_disk != volume and Path(clone_disk).parent == copy_pool
            assert "qcow2" in testbed.virsh("vol-dumpxml", "--pool", POOL, Path(clone_disk).name)

            select(app, cloned)
            await pilot.press("s")
            await wait_for(pilot, lambda: domstate(testbed, cloned) == "running", timeout=30, what="the clone runs")

            await pilot.press("D")
            await wait_for(pilot, lambda: screen_name(app) == "DeleteGuestScreen", timeout=20, what="the delete form")
            form = app.screen
            assert [d.path for d in form.disks] == [clone_disk]
            form.query_one("#disk-0-0").value = True
            form.query_one("#name-0").value = cloned
            await pilot.press("y")
            await wait_for(pilot, lambda: not listed(app, cloned), timeout=30, what="the clone deleted")
            assert cloned not in names_on(testbed)
            assert not Path(clone_disk).exists() and Path(volume).exists()
    finally:
        for leftover in (name, renamed, cloned):
            testbed.remove_domain(leftover)


async def test_bulk_start_pause_force_off_on_three_guests(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    names = ["vd-bulk a [x]", "vd-bulk b <&>", "vd-bulk c é"]
    for name in names:
        testbed.remove_domain(name)
        path = testbed.state_dir / "vd-bulk.xml"
        path.write_text(testbed.guest_xml(name, serial_log=None))
        testbed.virsh("define", str(path))
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    try:
        async with app.run_test(size=(200, 45)) as pilot:
            await wait_for(pilot, lambda: all(listed(app, n) for n in names), timeout=30, what="three guests")
            for name in names:
                select(app, name)
                await pilot.press("space")
            await pilot.press("s")
            await wait_for(pilot, lambda: all(domstate(testbed, n) == "running" for n in names), timeout=60,
                           what="all three started")
            await wait_for(pilot, lambda: app.last_batch is not None and app.last_batch.verb == "start")
            assert sorted(app.last_batch.done) == sorted(names) and not app.last_batch.failed
            await wait_for(pilot, lambda: all(g.state == "running" for g in app.inventory.guests.values()
                                              if g.name in names), what="shown running")
            await pilot.press("p")
            await wait_for(pilot, lambda: all(domstate(testbed, n) == "paused" for n in names), timeout=30)
            await wait_for(pilot, lambda: all(g.state == "paused" for g in app.inventory.guests.values()
                                              if g.name in names), what="shown paused")
            await pilot.press("F")
            await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
            await pilot.press("y")
            await wait_for(pilot, lambda: all(domstate(testbed, n) == "shut off" for n in names), timeout=30,
                           what="all three forced off")
    finally:
        for name in names:
            testbed.remove_domain(name)


@pytest.fixture
def second_uri(testbed: Testbed) -> str:
    return testbed.env["TESTBED_SECOND_URI"]


async def test_migrate_live_and_back_offline_and_refused_to_the_same_host(
        tmp_path, testbed: Testbed, tiny_guest: TinyGuest, second_uri: str):
    name = "vd-mig [x] <&>é"
    for uri in (None, second_uri):
        testbed.remove_domain(name, uri=uri)
    path = testbed.state_dir / "vd-mig.xml"
    path.write_text(testbed.guest_xml(name, serial_log=None))  # no disk, no NIC: nothing to share
    testbed.virsh("define", str(path))
    testbed.virsh("start", name)
    app = app_for(tmp_path, testbed.system_uri, second_uri, testbed.ssh_uri, refresh="60")
    try:
        async with app.run_test(size=(200, 45)) as pilot:
            await wait_for(pilot, lambda: sum(g.name == name for g in app.inventory.guests.values()) == 2
                           and all(h.state.value == "connected" for h in app.inventory.hosts.values()),
                           timeout=40, what="three hosts, the guest seen twice (system and ssh)")
            system_id = next(h.conn_id for h in app.inventory.hosts.values() if h.uri == testbed.system_uri)
            second_id = next(h.conn_id for h in app.inventory.hosts.values() if h.uri == second_uri)
            ssh_id = next(h.conn_id for h in app.inventory.hosts.values() if h.uri not in (testbed.system_uri, second_uri))
            table = app.screen.table
            row = next(k for k in table._cells if app.screen.split_key(k)[0] == system_id
                       and app.inventory.guests[app.screen.split_key(k)].name == name)

            # Two URIs, one daemon: refused before anything moves.
            table.move_cursor(row=table.get_row_index(row))
            await pilot.press("M")
            await wait_for(pilot, lambda: screen_name(app) == "MigrateGuestScreen", what="the migrate form")
            refused = app.screen
            refused.query_one("#target").value = ssh_id
            await pilot.press("ctrl+s")
            # the form stays, with the reason in it
            await wait_for(pilot, lambda: "same libvirt host" in refused.query_one("#form-error").render().plain,
                           timeout=30, what="a clear refusal in the form")
            assert app.screen is refused and domstate(testbed, name) == "running"
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen", what="the guest list")

            # Live to the second host, undefined here.
            table.move_cursor(row=table.get_row_index(row))
            await pilot.press("M")
            await wait_for(pilot, lambda: screen_name(app) == "MigrateGuestScreen")
            form = app.screen
            assert "Live" in str(form.query_one("#intro").render())
            form.query_one("#target").value = second_id
            form.query_one("#address").value = "tcp://127.0.0.1"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: notified(app, "now (running)"), timeout=120, what="migrated live")
            assert domstate(testbed, name, uri=second_uri) == "running"
            assert name not in names_on(testbed)
            await wait_for(pilot, lambda: any(g.name == name and g.conn_id == second_id
                                              for g in app.inventory.guests.values()), timeout=20,
                           what="listed on the second host")

            # Shut off there, then back offline: only the definition moves.
            testbed.virsh("destroy", name, uri=second_uri)
            await wait_for(pilot, lambda: any(g.name == name and g.conn_id == second_id and g.state == "shut off"
                                              for g in app.inventory.guests.values()), timeout=20)
            back = next(k for k in table._cells if app.screen.split_key(k)[0] == second_id)
            table.move_cursor(row=table.get_row_index(back))
            await pilot.press("M")
            await wait_for(pilot, lambda: screen_name(app) == "MigrateGuestScreen")
            app.screen.query_one("#target").value = system_id
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: notified(app, "now (shut off)"), timeout=60, what="migrated offline")
            assert domstate(testbed, name) == "shut off"
            assert name not in names_on(testbed, uri=second_uri)
    finally:
        for uri in (None, second_uri):
            testbed.remove_domain(name, uri=uri)
