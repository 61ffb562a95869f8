"""Lists follow libvirt events; tables update in place."""

from __future__ import annotations

import libvirt

from .conftest import cell_text, column_cells, make_app, wait_for

PROBE_XML = (
    "<domain type='test'><name>{name}</name><memory>65536</memory><vcpu>1</vcpu>"
    "<os><type>hvm</type></os></domain>"
)


def no_resync(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("resync = 86400\n", encoding="utf-8")
    return ["--config", str(path)]


def names(app) -> list[str]:
    return [cell.plain for cell in column_cells(app.screen.table, "name")]


def first_row(app, column: str) -> str:
    return column_cells(app.screen.table, column)[0].plain


async def test_outside_changes_arrive_by_event_and_keep_the_cursor(tmp_path, fresh_default):
    from tui.app import VirtdeckApp
    from tui.cli import settings_from

    app = VirtdeckApp(settings_from([*no_resync(tmp_path), "-c", "test:///default"]))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: names(app) == ["test"], what="the default guest")
        table = app.screen.table
        added, removed = [], []
        original_add, original_remove = table._add_rows, table.remove_row
        table._add_rows = lambda rows: added.extend(key for key, _ in rows) or original_add(rows)
        table.remove_row = lambda key: removed.append(key) or original_remove(key)

        for name in ("zz-probe", "aa-probe"):
            fresh_default.defineXML(PROBE_XML.format(name=name))
        await wait_for(pilot, lambda: names(app) == ["aa-probe", "test", "zz-probe"], what="defined guests")
        assert len(added) == 2 and not removed

        table.move_cursor(row=names(app).index("test"))
        selected = table.selected_key
        scroll = table.scroll_offset
        fresh_default.lookupByName("test").destroy()
        await wait_for(pilot, lambda: cell_text(table, selected, "state") == "shut off", what="destroyed")
        assert table.selected_key == selected and table.scroll_offset == scroll
        assert len(added) == 2 and not removed  # an update is an update_cell, not a rebuild

        fresh_default.lookupByName("aa-probe").undefine()
        await wait_for(pilot, lambda: "aa-probe" not in names(app), what="undefined")
        assert table.selected_key == selected  # the row above went away; the cursor stayed on "test"

        # A full resync that finds nothing new touches no row.
        app.fleet.resync_all()
        before = app.inventory.versions["guests"]
        await wait_for(pilot, lambda: app.inventory.hosts and app.fleet.connections[0].busy_for() == 0)
        await pilot.pause(0.2)
        assert app.inventory.versions["guests"] == before
        assert len(added) == 2 and len(removed) == 1

        await pilot.press("2")
        await wait_for(pilot, lambda: names(app) == ["default"])
        fresh_default.networkLookupByName("default").destroy()
        await wait_for(pilot, lambda: first_row(app, "active") == "inactive", what="net stopped")
        fresh_default.networkLookupByName("default").create()
        await wait_for(pilot, lambda: first_row(app, "active") == "active", what="net started")

        await pilot.press("3")
        await wait_for(pilot, lambda: names(app) == ["default-pool"])
        fresh_default.storagePoolLookupByName("default-pool").destroy()
        await wait_for(pilot, lambda: first_row(app, "state") == "inactive", what="pool stopped")

        await pilot.press("5")
        await wait_for(pilot, lambda: app.screen.table.row_count >= 6, what="events logged")
        details = {cell.plain for cell in column_cells(app.screen.table, "detail")}
        assert {"defined (added)", "stopped (destroyed)", "undefined (removed)", "stopped"} <= details


async def test_unreachable_host_does_not_hold_up_the_others(tmp_path, fresh_default):
    from tui.app import VirtdeckApp
    from tui.cli import settings_from
    from tui.backend.model import ConnState

    dead = "qemu+tcp://127.0.0.1:1/system"
    app = VirtdeckApp(settings_from([*no_resync(tmp_path), "-c", dead, "-c", "test:///default"]))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: names(app) == ["test"], what="the healthy host's guest")
        await wait_for(pilot, lambda: any(h.state == ConnState.RETRYING for h in app.inventory.hosts.values()),
                       what="the dead host retrying")
        host = next(h for h in app.inventory.hosts.values() if h.uri == dead)
        assert "unable to connect to server at '127.0.0.1:1': Connection refused" in host.last_error, host.last_error
        fresh_default.defineXML(PROBE_XML.format(name="while-dead"))
        await wait_for(pilot, lambda: "while-dead" in names(app))
        await pilot.press("6")
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1, what="triage lists the dead host")
        assert first_row(app, "severity") == "critical"
