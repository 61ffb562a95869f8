"""The command behind an action (F2 in a form and in a confirmation) and the action log (its
rows in the Events view, its JSON lines in the state directory), on the test driver."""

from __future__ import annotations

import json
import shlex

import pytest

from tui.backend.action_log import ActionLog
from tui.backend.model import ActionRecord
from tui.config import state_dir

from .conftest import cell_text, make_app, wait_for
from .test_network_forms import open_form as open_network_form
from .test_volume_forms import make_volume, open_volumes, select, shown

POOL = "default-pool"
ODD_VOLUME = "vd-log vol $x 'q'.raw"
NETWORK = "vd-log net"


def screen_name(app) -> str:
    return type(app.screen).__name__


def sheet_text(app) -> str:
    return app.screen.query_one("#command-lines").render().plain


def logged() -> list[dict]:
    path = state_dir() / "actions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def action_rows(app) -> dict[str, dict[str, str]]:
    """The Events view's rows of virtdeck's actions, by row key: column id -> text."""
    table = app.screen.table
    return {key: {c: cell_text(table, key, c) for c in ("host", "kind", "subject", "detail")}
            for key in table._cells if key.startswith("a")}


@pytest.fixture
def pool(fresh_default):
    pool = fresh_default.storagePoolLookupByName(POOL)
    yield pool
    for vol in pool.listAllVolumes():
        if vol.name().startswith("vd-log"):
            vol.delete(0)
    for net in fresh_default.listAllNetworks():
        if net.name().startswith("vd-log"):
            if net.isActive():
                net.destroy()
            net.undefine()


async def test_f2_in_a_form_shows_the_command_even_from_a_text_field(tmp_path, pool):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(150, 45)) as pilot:
        await open_volumes(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "NewVolumeScreen", what="the new-volume form")
        form = app.screen
        assert app.focused is form.query_one("#name")  # a text field has the focus
        await pilot.press("f2")
        await wait_for(pilot, lambda: screen_name(app) == "CommandSheet", what="the sheet")
        assert "Fix the form first" in app.screen.query_one("#command-problem").render().plain
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is form)

        await pilot.press(*"vd-log a")
        form.query_one("#format").value = "raw"
        form.query_one("#capacity").value = "1 MiB"
        await pilot.pause()
        assert app.focused is form.query_one("#name")
        await pilot.press("f2")
        await wait_for(pilot, lambda: screen_name(app) == "CommandSheet", what="the sheet")
        text = sheet_text(app)
        assert text == "virsh -c test:///default vol-create-as default-pool 'vd-log a' 1048576 --format raw"
        await pilot.press("c")
        assert app.clipboard == text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is form)
        assert form.query_one("#name").value == "vd-log a"  # f2 typed nothing into the field
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "VolumesScreen" and shown(app, "vd-log a"),
                       what="the new volume")
    assert "vd-log a" in {v.name() for v in pool.listAllVolumes()}
    record = next(r for r in logged() if r["what"] == "create volume")
    assert record["command"] == text and record["outcome"] == "ok" and record["name"] == f"{POOL}/vd-log a"


async def test_f2_in_a_confirmation_shows_its_command(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(150, 45)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1, what="the guests")
        await pilot.press("F")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the question")
        confirm = app.screen
        await pilot.press("f2")
        await wait_for(pilot, lambda: screen_name(app) == "CommandSheet", what="the sheet")
        assert sheet_text(app) == "virsh -c test:///default destroy test"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is confirm)
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen")
    assert fresh_default.lookupByName("test").isActive()  # the sheet did nothing
    assert logged() == []


async def test_actions_are_logged_and_shown_among_the_events(tmp_path, pool):
    make_volume(pool, ODD_VOLUME)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(170, 45)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1, what="the guests")
        await pilot.press("F")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: any(g.state == "shut off" for g in app.inventory.guests.values()),
                       what="test forced off")
        await pilot.press("s")
        await wait_for(pilot, lambda: len(logged()) == 2, what="two records")

        await open_volumes(pilot)
        select(app, ODD_VOLUME)
        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the delete question")
        await pilot.press("y")
        await wait_for(pilot, lambda: not shown(app, ODD_VOLUME), what="the volume gone")
        await pilot.press("escape")

        form = await open_network_form(pilot, app)
        form.query_one("#name").value = NETWORK
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen", what="the preview")
        await pilot.press("f2")  # the preview knows the form's command too
        await wait_for(pilot, lambda: screen_name(app) == "CommandSheet")
        assert sheet_text(app).splitlines() == [
            "virsh -c test:///default net-define network.xml", "# network.xml: the XML the form shows",
            f"virsh -c test:///default net-start '{NETWORK}'"]
        await pilot.press("escape")
        await pilot.press("y")
        await wait_for(pilot, lambda: len(logged()) == 4, what="four records")

        await pilot.press("5")
        await wait_for(pilot, lambda: screen_name(app) == "EventsScreen" and len(action_rows(app)) == 4,
                       what="four actions in the Events view")
        rows = sorted(action_rows(app).values(), key=lambda r: r["detail"])
        assert {r["kind"] for r in rows} == {"virtdeck"} and {r["host"] for r in rows} == {"test:///default"}
        details = [r["detail"] for r in rows]
        assert "virtdeck: create network — ok" in details
        assert "virtdeck: delete volume — ok" in details
        assert "virtdeck: force off — ok" in details and "virtdeck: start — ok" in details
        assert {r["subject"] for r in rows} >= {"guest test", f"network {NETWORK}", f"volume {POOL}/{ODD_VOLUME}"}
        libvirt_rows = len(app.screen.table._cells) - 4
        assert libvirt_rows > 0  # libvirt's own events are there too (the guest stopped, started ...)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(app.screen.table._cells) == 4, what="only virtdeck's actions")
        await pilot.press("a")
        await wait_for(pilot, lambda: len(app.screen.table._cells) > 4, what="every event again")

    records = logged()
    assert [r["what"] for r in records] == ["force off", "start", "delete volume", "create network"]
    assert shlex.split(records[2]["command"]) == ["virsh", "-c", "test:///default", "vol-delete", "--pool", POOL,
                                                  ODD_VOLUME]
    assert all(r["uri"] == r["host"] == "test:///default" and not r["failed"] for r in records)
    assert records[0]["command"] == "virsh -c test:///default destroy test"


async def test_a_failed_action_logs_libvirts_error(tmp_path, pool):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(170, 45)) as pilot:
        await open_volumes(pilot)
        screen = app.screen
        answers = []
        app.actions.volumes.delete(screen, screen.conn_id, screen.pool_uuid, "vd-log missing",
                                   lambda result, error: answers.append(error))
        await wait_for(pilot, lambda: answers, what="the answer")
        assert answers[0] and "vd-log missing" in answers[0]
        await pilot.press("escape", "5")
        await wait_for(pilot, lambda: screen_name(app) == "EventsScreen" and action_rows(app), what="the row")
        key, row = next(iter(action_rows(app).items()))
        assert row["detail"] == f"virtdeck: delete volume — failed: {answers[0]}"
        assert app.screen.table._cells[key][app.screen.table.column_keys.index("detail")].style == "bold red"
    record = logged()[0]
    assert record["failed"] is True and record["outcome"] == answers[0]


async def test_the_previous_sessions_log_shows_on_start(tmp_path, fresh_default):
    ActionLog(state_dir() / "actions.jsonl").append(ActionRecord(
        at=1_700_000_000.0, host="kvm01", uri="qemu+ssh://root@kvm01/system", kind="guest", name="db [1]",
        what="migrate to kvm02", command="virsh -c qemu+ssh://root@kvm01/system migrate --live 'db [1]' x",
        outcome="ok"))
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(170, 45)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: screen_name(app) == "EventsScreen" and action_rows(app), what="the old row")
        assert list(action_rows(app).values()) == [{"host": "kvm01", "kind": "virtdeck", "subject": "guest db [1]",
                                                    "detail": "virtdeck: migrate to kvm02 — ok"}]
        table = app.screen.table
        table.move_cursor(row=table.get_row_index(next(iter(action_rows(app)))))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "CommandSheet", what="its command")
        assert sheet_text(app) == "virsh -c qemu+ssh://root@kvm01/system migrate --live 'db [1]' x"
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "EventsScreen")


async def sheet_of(pilot, key: str, modal: str) -> str:
    """Press `key`, then f2 in the modal it opens; the sheet's text; back to the modal and out."""
    app = pilot.app
    await pilot.press(key)
    await wait_for(pilot, lambda: screen_name(app) == modal, what=modal)
    opened = app.screen
    await pilot.press("f2")
    await wait_for(pilot, lambda: screen_name(app) == "CommandSheet", what=f"the sheet over {modal}")
    text = sheet_text(app)
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen is opened)
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen is not opened)
    return text


async def test_sheets_of_the_hardware_tab_the_networks_and_the_pools(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(220, 50)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1, what="the guests")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen", what="the detail screen")
        app.screen.show_tab("hardware")
        tab = app.screen.tab("hardware")
        await wait_for(pilot, lambda: tab.view is not None and tab.table.row_count > 0, what="the hardware read")
        assert await sheet_of(pilot, "v", "CpuMemoryScreen") == "nothing to run: as it stands, this changes nothing"
        await pilot.press("v")
        await wait_for(pilot, lambda: screen_name(app) == "CpuMemoryScreen")
        app.screen.query_one("#vcpus").value = "1"
        app.screen.query_one("#memory").value = "512M"
        await pilot.press("f2")
        await wait_for(pilot, lambda: screen_name(app) == "CommandSheet")
        assert sheet_text(app).splitlines() == ["virsh -c test:///default setvcpus test 1 --live --config",
                                                "virsh -c test:///default setmem test 524288KiB --live --config"]
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen")
        tab.table.move_cursor(row=tab.table.get_row_index("disk:vda"))
        assert (await sheet_of(pilot, "D", "ConfirmScreen")).startswith(
            "virsh -c test:///default detach-device test disk:vda.xml --live --config")
        app.screen.show_tab("snapshots")
        snapshots = app.screen.tab("snapshots")
        await wait_for(pilot, lambda: snapshots.has_focus_within, what="the snapshots tab")
        text = await sheet_of(pilot, "n", "CreateSnapshotScreen")
        assert text.startswith("virsh -c test:///default snapshot-create-as test ")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen")

        await pilot.press("2")
        await wait_for(pilot, lambda: screen_name(app) == "NetworksScreen" and app.screen.table.row_count >= 1)
        assert await sheet_of(pilot, "d", "ConfirmScreen") == "virsh -c test:///default net-destroy default"
        await pilot.press("3")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen" and app.screen.table.row_count >= 1)
        assert (await sheet_of(pilot, "U", "ConfirmScreen")).splitlines() == [
            "virsh -c test:///default pool-destroy default-pool", "virsh -c test:///default pool-undefine default-pool"]
    assert fresh_default.networkLookupByName("default").isActive()  # the sheets did nothing
    assert logged() == []
