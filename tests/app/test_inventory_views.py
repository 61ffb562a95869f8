"""The four inventory views on real test-driver hosts."""

from __future__ import annotations

import libvirt

from tui.backend.model import ConnState
from tui.demo import NODE_XML

from .conftest import cell_text, column_cells, make_app, table_lines, table_rows, wait_for

ODD_NAME = "lab [bold] [test] <&> 'q' \"é\" ü"


def demo_loaded(app) -> bool:
    hosts = list(app.inventory.hosts.values())
    return bool(hosts) and hosts[0].state == ConnState.CONNECTED and len(app.inventory.guests) == 9


def selected_name(app) -> str:
    table = app.screen.table
    return cell_text(table, table.selected_key, "name")


async def test_guests_from_every_connection_in_one_table(tmp_path, fresh_default):
    app = make_app(tmp_path, "--demo", "-c", "test:///default")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 10, what="9 demo guests + 1 default guest")
        hosts = {cell.plain for cell in column_cells(app.screen.table, "host")}
        assert hosts == {"demo", "test:///default"}
        names = {cell.plain for cell in column_cells(app.screen.table, "name")}
        assert {"web-01", "db-replica", "test", ODD_NAME} <= names


async def test_demo_views_show_states_modes_and_pools(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        states = {c["name"].plain: c["state"].plain for c in table_rows(app.screen.table)}
        assert states["web-01"] == "running"
        assert states["db-replica"] == "paused"
        assert states["mail-relay"] == "shut off"
        assert states["win11-desktop"] == "saved"
        autostart = {c["name"].plain: c["autostart"].plain for c in table_rows(app.screen.table)}
        assert autostart["web-01"] == "yes" and autostart["backup-vault"] == "no"

        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen.table.row_count == 6, what="6 networks")
        modes = {c["name"].plain: c["mode"].plain for c in table_rows(app.screen.table)}
        assert modes == {
            "default": "NAT", "dmz": "routed", "storage-backend": "isolated",
            "lab-open": "open", "host-bridge": "bridge", "direct-eth1": "macvtap",
        }
        rows = {c["name"].plain: c for c in table_rows(app.screen.table)}
        assert rows["default"]["subnet"].plain == "192.168.122.0/24"
        assert rows["default"]["dhcp"].plain.startswith("192.168.122.")
        assert rows["lab-open"]["active"].plain == "inactive"

        await pilot.press("3")
        await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="2 pools")
        pools = {c["name"].plain: c for c in table_rows(app.screen.table)}
        assert pools["default"]["used"].plain == "92%"
        assert pools["default"]["capacity"].plain == "100 GiB"

        await pilot.press("4")
        await wait_for(pilot, lambda: app.screen.table.row_count == 1, what="1 host")
        (host,) = table_rows(app.screen.table)
        assert host["state"].plain == "connected"
        assert host["guests"].plain == "5/9"
        assert host["hostname"].plain
        assert "demo" in host["name"].plain


async def test_pool_enter_lists_its_volumes(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        await pilot.press("3")
        await wait_for(pilot, lambda: app.screen.table.row_count == 2)
        app.screen.table.move_cursor(row=[c.plain for c in column_cells(app.screen.table, "name")].index("iso"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen" and app.screen.table.row_count == 4,
                       what="the iso pool's 4 volumes")
        formats = {c["name"].plain: c["format"].plain for c in table_rows(app.screen.table)}
        assert formats["virtio-win-0.1.240.iso"] == "iso"
        paths = [c.plain for c in column_cells(app.screen.table, "path")]
        assert all(p.startswith("/var/lib/libvirt/iso/") for p in paths)
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "StorageScreen")


async def test_odd_names_display_exactly(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        lines = table_lines(app)
        assert any(line.strip().startswith(ODD_NAME + " ") for line in lines), lines
        await pilot.press("slash")
        await pilot.press(*"[bold]")
        await wait_for(pilot, lambda: app.screen.table.row_count == 1, what="filter on a markup-looking name")
        assert table_lines(app)[1].strip().startswith(ODD_NAME + " ")


async def test_sort_by_any_column_and_filter(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        table = app.screen.table

        def column(key: str) -> list[str]:
            return [cell.plain for cell in column_cells(table, key)]

        names = column("name")
        assert names == sorted(names, key=str.casefold)
        await wait_for(pilot, lambda: any(" / " in text for text in column("memory")), what="memory figures")
        while table.sort_column != "memory":  # o steps through the columns
            await pilot.press("o")
        memory = [cell.sort_key for cell in column_cells(table, "memory")]
        figures = [value for has, value in memory if has == 0]
        assert figures == sorted(figures, reverse=True)  # a figure starts highest first
        assert column("name")[0] == "db-primary"  # 16 GiB, sorted as bytes not text
        await pilot.press("O")
        assert column("name")[len(figures) - 1] == "db-primary"  # last of the guests with a figure

        await pilot.press("slash", *"web")
        await wait_for(pilot, lambda: table.row_count == 2, what="filter 'web'")
        assert sorted(column("name")) == ["web-01", "web-02"]
        await pilot.press("enter")
        assert app.focused is table
        assert table.row_count == 2
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.row_count == 9, what="filter cleared")

        await pilot.press("slash", *"DEMO")  # filters by host name too, case-insensitive
        await wait_for(pilot, lambda: table.row_count == 9)
        await pilot.press("ctrl+a", "backspace", *"no-such-guest")
        await wait_for(pilot, lambda: table.row_count == 0)


async def test_thousand_guests(tmp_path, node_1000):
    app = make_app(tmp_path, "-c", node_1000)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1000, timeout=30, what="1000 guests")
        lines = table_lines(app)
        assert lines[1].strip().startswith("guest-0001")
        await pilot.press("pagedown")
        assert app.screen.table.cursor_row > 10
        await pilot.press("slash", *"guest-09")
        await wait_for(pilot, lambda: app.screen.table.row_count == 100, what="guest-09xx")


async def test_read_only_connections(tmp_path):
    app = make_app(tmp_path, "--demo", "--read-only")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        assert all(h.read_only for h in app.inventory.hosts.values())
        await pilot.press("4")
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        (host,) = table_rows(app.screen.table)
        assert host["name"].plain.endswith("[ro]")
        assert "READ-ONLY" in app.screen.query_one("StatusBar").render().plain


async def test_demo_host_says_it_is_a_demo(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        assert "DEMO HOST" in app.screen.query_one("StatusBar").render().plain


async def test_help_and_command_palette(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen", what="the help screen")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestsScreen", what="the help closed")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette", what="palette")
        await pilot.press(*"View: Hosts")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "hosts", what="hosts view from the palette")
        footer_keys = {b.key for b in app.screen.active_bindings and [a.binding for a in app.screen.active_bindings.values()]}
        assert {"n", "r", "D"} <= footer_keys


async def test_keymap_and_theme_from_config(tmp_path):
    from tui.app import VirtdeckApp
    from tui.cli import settings_from

    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n[keymap]\n"view.networks" = "f9"\n"filter" = "ctrl+f"\n', encoding="utf-8")
    app = VirtdeckApp(settings_from(["--config", str(path), "--demo"]))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        assert app.theme == "nord"
        await pilot.press("f9")  # f2 is the Guests view's own (the commands of its keys)
        await wait_for(pilot, lambda: app.current_mode == "networks", what="remapped view key")
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: app.screen.query_one("#filter").has_focus, what="remapped filter key")


async def test_triage_lists_problems_worst_first_and_jumps(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        await pilot.press("6")
        await wait_for(pilot, lambda: app.screen.table.row_count >= 3, what="the demo's problems")
        table = app.screen.table
        problems = [(row["severity"].plain, row["problem"].plain) for row in table_rows(table)]
        assert ("warning", "pool 92% full") in problems
        assert ("notice", "autostart network is down") in problems
        assert [p[0] for p in problems] == sorted((p[0] for p in problems), key=["critical", "warning", "notice"].index)
        table.move_cursor(row=[p[1] for p in problems].index("pool 92% full"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "storage", what="jump to storage")
        await wait_for(pilot, lambda: selected_name(app) == "default")
        await pilot.press("6")
        table = app.screen.table
        table.move_cursor(row=[p[1] for p in problems].index("autostart network is down"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "networks", what="jump to networks")
        await wait_for(pilot, lambda: selected_name(app) == "storage-backend")


async def test_demo_live_figures_and_pause(tmp_path):
    app = make_app(tmp_path, "--demo", "--refresh", "0.2")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="demo host")
        await wait_for(pilot, lambda: any(c.plain.endswith("%") for c in column_cells(app.screen.table, "cpu")),
                       what="CPU % in the table")
        await pilot.press("z")
        assert app.stats_paused
        assert "STATS PAUSED" in app.screen.query_one("StatusBar").render().plain
        frozen = dict(app.inventory.stats)
        assert not app.fleet.sampling["active"] and not app.fleet.connections[0]._sampling  # no tick re-arms
        await pilot.press("z")
        await wait_for(pilot, lambda: app.inventory.stats != frozen, what="stats resumed")
