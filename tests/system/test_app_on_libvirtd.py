"""The real App against a real libvirtd, locally and over qemu+ssh."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import libvirt
import pytest

from tests import rpc_trace as rpc
from tests.app.conftest import make_app, table_rows, wait_for
from tests.rpc_trace import RpcTrace
from tui.backend.model import ConnState

from .conftest import Testbed, TinyGuest  # noqa: F401  (types only)


SYSTEM_SOCKET = "/run/libvirt/libvirt-sock"


def rows(app) -> dict[str, tuple]:
    """Current view's rows as {name: plain cell texts}."""
    return {cells[0].plain: tuple(c.plain for c in cells) for cells in app.screen.table._cells.values()}


def host_state(app, uri: str) -> ConnState | None:
    for host in app.inventory.hosts.values():
        if host.uri == uri:
            return host.state
    return None


def no_polling_config(tmp_path: Path) -> str:
    """A config whose safety-net resync never fires during a test."""
    path = tmp_path / "config.toml"
    path.write_text("resync = 86400\n", encoding="utf-8")
    return str(path)


def app_for(tmp_path: Path, *uris: str):
    argv = ["--config", no_polling_config(tmp_path)]
    for uri in uris:
        argv += ["-c", uri]
    from tui.app import VirtdeckApp
    from tui.cli import settings_from

    return VirtdeckApp(settings_from(argv))


async def test_local_and_ssh_host_show_the_running_tcg_guest(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    app = app_for(tmp_path, testbed.system_uri, testbed.ssh_uri)
    async with app.run_test(size=(180, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: sum(1 for g in app.inventory.guests.values() if g.name == tiny_guest.name) == 2,
            timeout=30,
            what="vd-tiny seen through qemu:///system and qemu+ssh://",
        )
        seen = [g for g in app.inventory.guests.values() if g.name == tiny_guest.name]
        assert {g.state for g in seen} == {"running"}
        assert {g.uuid for g in seen} == {tiny_guest.uuid}
        assert all(g.memory_kib == 128 * 1024 and g.vcpus == 1 for g in seen)
        hosts = {h.uri: h for h in app.inventory.hosts.values()}
        assert hosts[testbed.ssh_uri].state == ConnState.CONNECTED
        assert hosts[testbed.ssh_uri].hypervisor == "QEMU"
        assert hosts[testbed.system_uri].hostname == hosts[testbed.ssh_uri].hostname
        await pilot.press("2")
        await wait_for(pilot, lambda: tiny_guest.network in rows(app), what="the isolated network")
        assert rows(app)[tiny_guest.network][3] == "isolated"


async def test_outside_virsh_changes_arrive_through_events(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    name = "vd-event-probe"
    testbed.remove_domain(name)
    xml_path = tmp_path / f"{name}.xml"
    xml_path.write_text(testbed.guest_xml(name, network=tiny_guest.network))
    pool_dir = tmp_path / "pool"
    pool_dir.mkdir()
    net_xml = tmp_path / "net.xml"
    net_xml.write_text(
        "<network><name>vd-event-net</name><bridge name='vdevt0'/></network>", encoding="utf-8"
    )
    app = app_for(tmp_path, testbed.system_uri)
    latencies: dict[str, float] = {}

    async def change(label: str, predicate, *virsh_args: str) -> None:
        testbed.virsh(*virsh_args)
        started = time.monotonic()
        await wait_for(pilot, predicate, timeout=5, what=label)
        latencies[label] = time.monotonic() - started

    def guest(name_):
        return next((g for g in app.inventory.guests.values() if g.name == name_), None)

    try:
        with RpcTrace(tmp_path / "rpc.log") as trace:
            async with app.run_test(size=(180, 40)) as pilot:
                await wait_for(pilot, lambda: guest(tiny_guest.name) is not None, timeout=30, what="first sync")
                synced = threading.Event()
                app.fleet.connections[0].submit(synced.set)  # after everything the connect queued
                await wait_for(pilot, synced.is_set, what="the connect's reads done")
                pool_lists = len(trace.calls([rpc.CONNECT_LIST_ALL_STORAGE_POOLS], socket=SYSTEM_SOCKET))
                assert pool_lists >= 1
                await change("define", lambda: guest(name) is not None and name in rows(app), "define", str(xml_path))
                assert rows(app)[name][2] == "shut off"
                await change("start", lambda: rows(app).get(name, ("",) * 3)[2] == "running", "start", name)
                await change("destroy", lambda: rows(app).get(name, ("",) * 3)[2] == "shut off", "destroy", name)
                await change("undefine", lambda: name not in rows(app), "undefine", name)

                await pilot.press("2")
                await change("net-define", lambda: "vd-event-net" in rows(app), "net-define", str(net_xml))
                assert rows(app)["vd-event-net"][2] == "inactive"
                await change("net-start", lambda: rows(app)["vd-event-net"][2] == "active", "net-start", "vd-event-net")

                await pilot.press("3")
                testbed.virsh("pool-define-as", "vd-event-pool", "dir", "--target", str(pool_dir))
                await change("pool-start", lambda: rows(app).get("vd-event-pool", ("",) * 4)[3] == "active",
                             "pool-start", "vd-event-pool")
                await change("pool-destroy", lambda: rows(app)["vd-event-pool"][3] == "inactive",
                             "pool-destroy", "vd-event-pool")
                # Nothing above came from a full resync: libvirt was not asked for the list of
                # pools again after the connect's reads.
                again = trace.calls([rpc.CONNECT_LIST_ALL_STORAGE_POOLS], socket=SYSTEM_SOCKET)[pool_lists:]
                assert again == [], again
    finally:
        testbed.remove_domain(name)
        for args in (("net-destroy", "vd-event-net"), ("net-undefine", "vd-event-net"),
                     ("pool-destroy", "vd-event-pool"), ("pool-undefine", "vd-event-pool")):
            try:
                testbed.virsh(*args)
            except Exception:
                pass
    print("event latencies:", {k: f"{v * 1000:.0f} ms" for k, v in latencies.items()})
    assert max(latencies.values()) < 5


async def test_libvirtd_restart_heals_and_resyncs(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    app = app_for(tmp_path, testbed.system_uri)
    name = "vd-after-restart"
    testbed.remove_domain(name)
    xml_path = tmp_path / f"{name}.xml"
    xml_path.write_text(testbed.guest_xml(name, network=tiny_guest.network))
    try:
        async with app.run_test(size=(180, 40)) as pilot:
            await wait_for(pilot, lambda: tiny_guest.name in rows(app), timeout=30, what="first sync")
            testbed.kill_libvirtd()
            await wait_for(pilot, lambda: host_state(app, testbed.system_uri) in (ConnState.LOST, ConnState.RETRYING),
                           timeout=10, what="the host shown as lost")
            host = next(iter(app.inventory.hosts.values()))
            assert host.last_error
            await pilot.press("4")
            await wait_for(pilot, lambda: any(r[2].startswith(("lost", "retrying")) for r in rows(app).values()))
            testbed.start_libvirtd()
            back = time.monotonic()
            await wait_for(pilot, lambda: host_state(app, testbed.system_uri) == ConnState.CONNECTED,
                           timeout=15, what="reconnect after the restart")
            healed_after = time.monotonic() - back
            # Events are registered again on the new connection.
            await pilot.press("1")
            testbed.virsh("define", str(xml_path))
            await wait_for(pilot, lambda: name in rows(app), timeout=5, what="event after reconnect")
            assert rows(app)[tiny_guest.name][2] == "running"
            log = [event.detail for _, event in app.inventory.events if event.kind == "connection"]
            assert any(d.startswith("lost: ") for d in log) and any(d.startswith("healed after") for d in log)
    finally:
        testbed.remove_domain(name)
    print(f"reconnected {healed_after * 1000:.0f} ms after libvirtd was back")
    assert healed_after < 5


async def test_stopped_libvirtd_freezes_neither_ui_nor_other_host(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    other = libvirt.open("test:///default")
    app = app_for(tmp_path, testbed.system_uri, "test:///default")
    probe = None
    try:
        async with app.run_test(size=(180, 40)) as pilot:
            await wait_for(pilot, lambda: tiny_guest.name in rows(app) and "test" in rows(app), timeout=30)
            testbed.sigstop_libvirtd()
            try:
                # The UI answers keys at once.
                for key, mode in (("4", "hosts"), ("2", "networks"), ("1", "guests")):
                    started = time.monotonic()
                    await pilot.press(key)
                    await wait_for(pilot, lambda: app.current_mode == mode, timeout=2, what=f"view {mode}")
                    assert time.monotonic() - started < 2
                # Asking the hung host for a resync must not block anything.
                app.fleet.resync_all()
                # The other host keeps updating.
                probe = other.defineXML(
                    "<domain type='test'><name>vd-probe</name><memory>65536</memory>"
                    "<os><type>hvm</type></os></domain>"
                )
                await wait_for(pilot, lambda: "vd-probe" in rows(app), timeout=3, what="the other host's update")
                probe.create()
                await wait_for(pilot, lambda: rows(app)["vd-probe"][2] == "running", timeout=3)
                # The stopped host is reported, with libvirt's words, within keepalive time.
                await wait_for(
                    pilot,
                    lambda: host_state(app, testbed.system_uri) in (ConnState.LOST, ConnState.RETRYING),
                    timeout=40,
                    what="the stopped host reported lost",
                )
                host = next(h for h in app.inventory.hosts.values() if h.uri == testbed.system_uri)
                assert host.last_error
                await pilot.press("4")
                await wait_for(pilot, lambda: app.current_mode == "hosts", timeout=2)
            finally:
                testbed.sigcont_libvirtd()
            # libvirtd 9.0 may crash as it frees the callbacks of the client it lost while
            # stopped (a segfault in remoteClientFreePrivateCallbacks): the app heals either way.
            await wait_for(pilot, lambda: host_state(app, testbed.system_uri) == ConnState.CONNECTED
                           or testbed.libvirtd_pid() is None, timeout=40, what="heal after SIGCONT")
            if testbed.libvirtd_pid() is None:
                await asyncio.to_thread(testbed.start_libvirtd)
            await wait_for(pilot, lambda: host_state(app, testbed.system_uri) == ConnState.CONNECTED,
                           timeout=40, what="heal after SIGCONT")
            assert any(r[2] == "connected" for r in rows(app).values())
    finally:
        if probe is not None:
            try:
                probe.destroy()
            except libvirt.libvirtError:
                pass
            probe.undefine()
        other.close()


async def test_unreachable_and_refused_hosts_show_libvirts_error(tmp_path, testbed: Testbed):
    wrapper = testbed.state_dir / "ssh-wrapper"
    port = testbed.ssh_uri.split("@127.0.0.1:", 1)[1].split("/", 1)[0]
    unreachable = f"qemu+ssh://root@127.0.0.1:1/system?command={wrapper}"
    refused = f"qemu+ssh://nobody@127.0.0.1:{port}/system?command={wrapper}"
    app = app_for(tmp_path, unreachable, refused, "test:///default")
    async with app.run_test(size=(180, 40)) as pilot:
        await wait_for(pilot, lambda: host_state(app, "test:///default") == ConnState.CONNECTED)
        await wait_for(pilot, lambda: host_state(app, unreachable) == ConnState.RETRYING, timeout=20,
                       what="unreachable host retrying")
        await wait_for(pilot, lambda: host_state(app, refused) == ConnState.FAILED, timeout=20,
                       what="refused host failed")
        hosts = {h.uri: h for h in app.inventory.hosts.values()}
        assert "ssh: connect to host 127.0.0.1 port 1: Connection refused" in hosts[unreachable].last_error, \
            hosts[unreachable].last_error
        assert "permission denied" in hosts[refused].last_error.lower()
        await pilot.press("4")
        await wait_for(pilot, lambda: app.screen.table.row_count == 3)
        states = {c["uri"].plain: c["state"].plain for c in table_rows(app.screen.table)}
        assert states[refused].startswith("failed: ")
        assert "ermission denied" in states[refused]
        assert states[unreachable].startswith("retrying")
