"""Lifecycle keys on one guest and on marked guests, against the test driver."""

from __future__ import annotations

import libvirt

from .conftest import cell_text, column_cells, make_app, wait_for, worker_drained

PROBE = "<domain type='test'><name>{}</name><memory>65536</memory><os><type>hvm</type></os></domain>"


def state(app, name):
    return next(g.state + (" saved" if g.managed_save else "") for g in app.inventory.guests.values()
                if g.name == name)


def said(app) -> str:
    return " | ".join(str(n.message) for n in app._notifications)


def select(app, name):
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name").endswith(name))
    table.move_cursor(row=table.get_row_index(key))


async def test_lifecycle_keys_on_marked_guests(tmp_path, fresh_default):
    fresh_default.defineXML(PROBE.format("probe-b")).create()
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="two guests")
        select(app, "probe-b")
        await pilot.press("space")
        select(app, "test")
        await pilot.press("space")
        assert app.screen.marked and len(app.screen.marked) == 2
        names = sorted(c.plain for c in column_cells(app.screen.table, "name"))
        assert names == ["● probe-b", "● test"]

        await pilot.press("p")
        await wait_for(pilot, lambda: state(app, "test") == "paused" and state(app, "probe-b") == "paused")
        await pilot.press("p")
        await wait_for(pilot, lambda: state(app, "test") == "running" and state(app, "probe-b") == "running")

        await pilot.press("F")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: state(app, "test") == "shut off" and state(app, "probe-b") == "shut off")
        assert "forced off" in app.last_batch.summary()[0]

        await pilot.press("s")
        await wait_for(pilot, lambda: state(app, "test") == "running" and state(app, "probe-b") == "running")
        await pilot.press("m")
        await wait_for(pilot, lambda: state(app, "test") == "shut off saved", what="managed save")
        assert any(c.plain == "saved" for c in column_cells(app.screen.table, "state"))
        await pilot.press("s")  # restores the managed save
        await wait_for(pilot, lambda: state(app, "test") == "running" and state(app, "probe-b") == "running")

        await pilot.press("a")
        await wait_for(pilot, lambda: all(g.autostart for g in app.inventory.guests.values()), what="autostart on")
        await pilot.press("a")
        await wait_for(pilot, lambda: not any(g.autostart for g in app.inventory.guests.values()))

        # Unmark one: keys act on the other marked guest only; a mixed batch reports what it skipped.
        select(app, "probe-b")
        await pilot.press("space")
        await pilot.press("d")
        await wait_for(pilot, lambda: state(app, "test") == "shut off" and state(app, "probe-b") == "running")
        select(app, "probe-b")
        await pilot.press("space")
        await pilot.press("s")
        await wait_for(pilot, lambda: app.last_batch is not None and app.last_batch.verb == "start"
                       and state(app, "test") == "running")
        text, _severity = app.last_batch.summary()
        assert "started: test" in text and "skipped: probe-b is running" in text


async def test_keys_that_do_not_apply_are_disabled(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        screen = app.screen
        assert screen.check_action("lifecycle", ("start",)) is None  # running already
        assert screen.check_action("lifecycle", ("shutdown",)) is True
        fresh_default.lookupByName("test").destroy()
        await wait_for(pilot, lambda: state(app, "test") == "shut off")
        assert screen.check_action("lifecycle", ("start",)) is True
        assert screen.check_action("lifecycle", ("shutdown",)) is None
        assert screen.check_action("pause_resume", ()) is None
        assert screen.check_action("force_off", ()) is None
        await pilot.press("d")  # disabled: says why, sends nothing
        await wait_for(pilot, lambda: "test is shut off" in said(app), what=lambda: f"the reason, got {said(app)!r}")
        await worker_drained(pilot, app)
        assert not any("shutdown" in n.lower() and "fail" in n.lower() for n in said(app).split(" | ")), said(app)
        assert fresh_default.lookupByName("test").state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
        assert state(app, "test") == "shut off"


async def test_read_only_disables_every_lifecycle_key(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default", "--read-only")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        screen = app.screen
        for action, params in (("lifecycle", ("shutdown",)), ("lifecycle", ("reboot",)), ("force_off", ()),
                               ("pause_resume", ()), ("lifecycle", ("managed_save",)), ("autostart", ())):
            assert screen.check_action(action, params) is None, action
        await pilot.press("p")
        await wait_for(pilot, lambda: "read-only" in said(app), what=lambda: f"the reason, got {said(app)!r}")
        await worker_drained(pilot, app)
        assert fresh_default.lookupByName("test").state()[0] == libvirt.VIR_DOMAIN_RUNNING
        assert state(app, "test") == "running"


async def test_a_key_acts_on_a_guest_renamed_since_the_host_was_listed(tmp_path, fresh_default):
    """Lifecycle keys use the guest's handle from the last list (no lookup first): it must
    still reach the guest under its new name."""
    fresh_default.defineXML(PROBE.format("probe-old"))
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="two guests")
        fresh_default.lookupByName("probe-old").rename("probe-new", 0)
        await wait_for(pilot, lambda: any(g.name == "probe-new" for g in app.inventory.guests.values()),
                       what="the new name listed")
        select(app, "probe-new")
        await pilot.press("s")
        await wait_for(pilot, lambda: app.last_batch is not None and app.last_batch.verb == "start",
                       what="the start's report")
        assert app.last_batch.failed == [], app.last_batch.summary()
        assert fresh_default.lookupByName("probe-new").isActive() == 1
        await wait_for(pilot, lambda: state(app, "probe-new") == "running", what="probe-new shown running")
