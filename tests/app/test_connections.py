"""Adding, saving, reconnecting and removing connections from the Hosts view."""

from __future__ import annotations

import os
import queue
import threading
import time

from tui import config
from tui.backend.model import ConnState

from .conftest import cell_text, make_app, wait_for


def connected(app, uri):
    return any(h.uri == uri and h.state == ConnState.CONNECTED for h in app.inventory.hosts.values())


def heal_events(app, conn_id):
    """The "healed after ..." lines a connection's reopening logs in the Events view."""
    return [e for _, e in app.inventory.events
            if e.kind == "connection" and e.conn_id == conn_id and e.detail.startswith("healed after")]


async def test_add_connection_validates_then_connects_and_saves(tmp_path, fresh_default):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: len(app.inventory.guests) == 9)
        await pilot.press("4", "n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "AddConnectionScreen")
        form = app.screen
        assert app.focused.id == "kind"  # first field focused

        # SSH preset: a bad host and port are explained next to their fields.
        await pilot.click("#host")
        await pilot.press(*"bad_host!")
        await pilot.click("#port")
        await pilot.press(*"99999")
        await pilot.press("ctrl+s")
        assert type(app.screen).__name__ == "AddConnectionScreen"
        assert "host name" in form.query_one("#host-error").render().plain
        assert "65535" in form.query_one("#port-error").render().plain
        assert len(app.inventory.hosts) == 1

        form.query_one("#kind").value = "uri"
        await pilot.pause()
        await pilot.click("#uri")
        await pilot.press(*"test:///default")
        await pilot.click("#name")
        await pilot.press(*"lab [x]")
        form.query_one("#save").value = True
        assert "Will connect to: test:///default" in form.query_one("#preview").render().plain
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: connected(app, "test:///default"), what="new connection")
        assert any(h.name == "lab [x]" for h in app.inventory.hosts.values())
        saved = config.load(tmp_path / "config.toml").connections
        assert saved == [config.SavedConnection("test:///default", "lab [x]", True)]
        await wait_for(pilot, lambda: app.screen.table.row_count == 2)

        # Reconnect, then remove it (with confirmation).
        key = next(k for k in app.screen.table._cells if cell_text(app.screen.table, k, "name") == "lab [x]")
        app.screen.table.move_cursor(row=app.screen.table.get_row_index(key))
        handle = app.fleet.get(key).handle()
        healed = len(heal_events(app, key))
        await pilot.press("r")
        # A new libvirt connection, opened after the key (the old one stays connected until then).
        await wait_for(pilot, lambda: len(heal_events(app, key)) == healed + 1, what="the reconnect")
        assert connected(app, "test:///default")
        assert app.fleet.get(key).handle() not in (None, handle)
        await pilot.press("D")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("n")
        assert len(app.inventory.hosts) == 2
        await pilot.press("D", "y")
        await wait_for(pilot, lambda: len(app.inventory.hosts) == 1, what="connection removed")
        assert not any(g.conn_id == key for g in app.inventory.guests.values())
        assert config.load(tmp_path / "config.toml").connections == []


async def test_cancel_adds_nothing(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: len(app.inventory.guests) == 9)
        await pilot.press("4", "n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "AddConnectionScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HostsScreen")
        assert len(app.inventory.hosts) == 1
        assert not (tmp_path / "config.toml").exists()


def test_in_process_test_drivers_open_at_most_one_per_core(tmp_path, monkeypatch):
    """Each in-process test driver parses its node file in C as it opens: a fleet of them
    opening at once would leave the UI thread one share of the cores in many."""
    import libvirt

    from tests.testbed.gen_node import generate_node_xml
    from tui.backend.fleet import Fleet

    hosts = 2 * (os.cpu_count() or 1) + 2
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    real_open = libvirt.openAuth

    def timed_open(uri, auth, flags):
        began = time.monotonic()
        try:
            return real_open(uri, auth, flags)
        finally:
            with lock:
                spans.append((began, time.monotonic()))

    monkeypatch.setattr(libvirt, "openAuth", timed_open)
    nodes = []
    for index in range(hosts):
        node = tmp_path / f"node-{index}.xml"
        node.write_text(generate_node_xml(150, seed=index))
        nodes.append(node)
    fleet = Fleet(lambda update: None)
    try:
        connections = [fleet.add(f"test://{node}") for node in nodes]
        deadline = time.monotonic() + 60
        while not all(c.connected for c in connections):
            assert time.monotonic() < deadline, f"{sum(c.connected for c in connections)} of {hosts} hosts connected"
            time.sleep(0.05)
    finally:
        fleet.close().join(5)
    assert len(spans) == hosts
    at_once = max(sum(began <= at < ended for began, ended in spans) for at, _ in spans)
    assert at_once <= (os.cpu_count() or 1), f"{at_once} in-process opens at once"


def test_a_host_opened_while_the_ui_loads_is_the_connection_its_fleet_uses(tmp_path, monkeypatch):
    import libvirt

    from tests.testbed.gen_node import generate_node_xml
    from tui.backend import opening
    from tui.backend.fleet import Fleet

    opened: list[str] = []
    real_open = libvirt.openAuth

    def counted_open(uri, auth, flags):
        opened.append(uri)
        return real_open(uri, auth, flags)

    monkeypatch.setattr(libvirt, "openAuth", counted_open)
    node = tmp_path / "node.xml"
    node.write_text(generate_node_xml(20))
    uri, never_taken = f"test://{node}", f"test://{tmp_path / 'other.xml'}"
    (tmp_path / "other.xml").write_text(generate_node_xml(3))
    opening.open_early([uri, never_taken, "qemu+ssh://example.invalid/system"], read_only=False)
    fleet = Fleet(lambda update: None)
    try:
        connection = fleet.add(uri)
        deadline = time.monotonic() + 20
        while not connection.connected:
            assert time.monotonic() < deadline, "the host did not connect"
            time.sleep(0.02)
        answers: queue.SimpleQueue = queue.SimpleQueue()
        connection.call(lambda conn: len(conn.listAllDomains()), lambda result, error: answers.put((result, error)))
        guests, error = answers.get(timeout=10)
        assert error is None
    finally:
        fleet.close().join(5)
        opening.drop_early()
    assert guests == 20
    assert sorted(opened) == sorted([uri, never_taken]), "one open per local host, none for a remote one"


async def test_hosts_started_before_the_ui_keep_their_order_and_all_they_reported(tmp_path):
    from tests.testbed.gen_node import generate_node_xml
    from tui.app import VirtdeckApp
    from tui.backend import early_fleet
    from tui.backend.model import InventorySynced
    from tui.cli import settings_from

    node, second = tmp_path / "node.xml", tmp_path / "second.xml"
    node.write_text(generate_node_xml(20))
    second.write_text(generate_node_xml(1, seed=1))
    settings = settings_from(["--config", str(tmp_path / "config.toml"), "-c", f"test://{node}",
                              "-c", f"test://{second}", "-c", "qemu+ssh://virtdeck-nobody@127.0.0.1:1/system"])
    early = early_fleet.start([(t.uri, t.name, {}) for t in settings.targets], read_only=False,
                              resync_interval=60, refresh=2)
    assert early is not None and early.started == 2, "the remote host, last, waits for the UI"
    deadline = time.monotonic() + 20
    while sum(isinstance(update, InventorySynced) for update in list(early._updates._held)) < 2:
        assert time.monotonic() < deadline, "the local hosts did not list before the UI"
        time.sleep(0.02)
    app = VirtdeckApp(settings, early)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: len(app.inventory.guests) == 21, what=lambda: f"{len(app.inventory.guests)} guests")
        assert [(host.conn_id, host.uri) for host in app.inventory.hosts.values()] == [
            (f"c{index}", target.uri) for index, target in enumerate(settings.targets, 1)]
        assert app.fleet.get("c3").transport is app.ssh  # added by the UI, through virtdeck's own SSH
        app.fleet.get("c2").call(lambda conn: conn.defineXML(
            "<domain type='test'><name>late</name><memory>1024</memory><os><type>hvm</type></os></domain>"))
        await wait_for(pilot, lambda: any(guest.name == "late" for guest in app.inventory.guests.values()),
                       what="a guest defined after the UI took the hosts")
