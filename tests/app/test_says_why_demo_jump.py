"""App tier, on the built-in demo host: keys that do not apply say why, what one view shows
the others agree with, forms refuse copies that cannot fit, and `:` jumps to anything."""

from __future__ import annotations

import socket

from textual.command import CommandPalette

from tui.backend.model import ConnState
from tui.backend.units import size_text

from .conftest import cell_text, column_cells, make_app, wait_for


def demo_loaded(app) -> bool:
    hosts = list(app.inventory.hosts.values())
    return (bool(hosts) and hosts[0].state == ConnState.CONNECTED and len(app.inventory.guests) == 9
            and len(app.inventory.pools) == 2 and bool(app.inventory.leases.get(hosts[0].conn_id)))


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))


def guest_key(app, name: str) -> str:
    guest = next(g for g in app.inventory.guests.values() if g.name == name)
    return f"{guest.conn_id}|{guest.uuid}"


def select(app, name: str) -> None:
    table = app.screen.table
    table.move_cursor(row=table.get_row_index(guest_key(app, name)))


def cursor_name(app) -> str:
    table = app.screen.table
    return cell_text(table, table.selected_key, "name")


def said(app) -> str:
    return " | ".join(str(n.message) for n in app._notifications)


async def test_console_key_stays_dimmed_and_says_why(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="the demo host")
        select(app, "mail-relay")  # shut off
        await pilot.pause()
        assert " c Console " in screen_lines(app)[-1], screen_lines(app)[-1]
        await pilot.press("c")
        await wait_for(pilot, lambda: "mail-relay is shut off" in said(app), what=lambda: said(app))

        app.clear_notifications()
        select(app, "web-01")  # running, with a serial console in its XML
        await pilot.pause()
        assert " c Console " in screen_lines(app)[-1], screen_lines(app)[-1]
        await pilot.press("c")
        await wait_for(pilot, lambda: "the demo host has no consoles" in said(app), what=lambda: said(app))
        assert "not supported" not in said(app)
        assert not app.screen.consoles.panes


async def test_the_ip_column_agrees_with_the_nics_tab(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 45)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="the demo host")
        table = app.screen.table
        # The leases come after the list (folded into the next refresh).
        await wait_for(pilot, lambda: "(lease)" in cell_text(table, guest_key(app, "web-01"), "ip"),
                       what=lambda: f"web-01's lease, the IP column shows "
                                    f"{cell_text(table, guest_key(app, 'web-01'), 'ip')!r}")
        shown = cell_text(table, guest_key(app, "web-01"), "ip")
        ip, source = shown.split(" ", 1)
        assert ip.startswith("192.168.122.") and source == "(lease)", shown
        select(app, "web-01")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "web-01 on demo" in screen_text(app), what="the detail screen")
        await pilot.press("]", "]")
        await wait_for(pilot, lambda: "Address sources" in screen_text(app), what=lambda: screen_text(app))
        text = screen_text(app)
        assert f"{ip}/24 (DHCP lease" in text, text
        assert "guest agent: could not answer: the guest has no guest agent channel" in text


async def test_disk_sizes_agree_between_the_disks_tab_and_the_pool(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 45)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="the demo host")
        select(app, "db-primary")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "db-primary on demo" in screen_text(app), what="the detail screen")
        await pilot.press("]")
        await wait_for(pilot, lambda: "Backing chains" in screen_text(app), what=lambda: screen_text(app))
        disks = {line.split()[0]: line.split() for line in screen_lines(app) if line.strip().startswith("vd")}
        assert "TiB" not in screen_text(app)
        assert disks["vda"][5:9] == ["40", "GiB", "12", "GiB"], disks["vda"]  # capacity, allocation
        assert disks["vdb"][5:9] == ["40", "GiB", "40", "GiB"], disks["vdb"]
        await pilot.press("escape")
        await pilot.press("3")
        await wait_for(pilot, lambda: app.current_mode == "storage" and app.screen.table.row_count == 2)
        app.screen.table.move_cursor(row=[c.plain for c in column_cells(app.screen.table, "name")].index("default"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "db-primary.qcow2" in screen_text(app), what="the volumes")
        line = next(line for line in screen_lines(app) if "db-primary.qcow2 " in line)
        assert line.split()[2:6] == ["40", "GiB", "12", "GiB"], line


async def test_the_host_sheet_names_the_demo_not_this_machine(tmp_path):
    app = make_app(tmp_path, "--demo", "--refresh", "1")
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="the demo host")
        await pilot.press("4")
        await wait_for(pilot, lambda: app.current_mode == "hosts" and app.screen.table.row_count == 1)
        await pilot.press("enter")
        # The sheet fills in as the Hosts view's samples arrive.
        await wait_for(pilot, lambda: "Hostname" in screen_text(app) and "CPU busy" in screen_text(app)
                       and "next tick" not in screen_text(app), timeout=15, what=lambda: screen_text(app))
        facts = {line.split("│")[1].strip()[:24].strip(): line.split("│")[1].strip()[24:].strip()
                 for line in screen_lines(app) if line.count("│") >= 2}
        assert facts["Hostname"] == "demo-node", facts
        if socket.gethostname() != "demo-node":
            assert socket.gethostname() not in screen_text(app)
        assert facts["Architecture"] == "x86_64"
        assert facts["CPU busy"].endswith("%") and facts["Memory free"] != "—", facts


async def test_clone_that_cannot_fit_is_refused_in_the_form(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 45)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="the demo host")
        select(app, "db-replica")  # paused, one 40 GiB disk; the demo's default pool has 8.1 GiB free
        await pilot.press("C")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CloneGuestScreen", what="the clone form")
        await wait_for(pilot, lambda: "do not fit" in screen_text(app), what=lambda: screen_text(app))
        free = next(p.available for p in app.inventory.pools.values() if p.name == "default")
        assert f"pool default has {size_text(free)} free; the copies need 40 GiB" in screen_text(app), screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "CloneGuestScreen"  # refused: still the form
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestsScreen")
        assert {g.name for g in app.inventory.guests.values()} == {
            "backup-vault", "ci-runner-01", "db-primary", "db-replica", "lab [bold] [test] <&> 'q' \"é\" ü",
            "mail-relay", "web-01", "web-02", "win11-desktop"}

        select(app, "mail-relay")  # its 6 GiB copy fits: the README's clone goes through
        await pilot.press("C")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CloneGuestScreen", what="the clone form")
        assert "do not fit" not in screen_text(app)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "mail-relay cloned to mail-relay-clone" in said(app), timeout=20,
                       what=lambda: said(app))
        await wait_for(pilot, lambda: "mail-relay-clone" in {g.name for g in app.inventory.guests.values()})


async def _jump(pilot, app, text: str, mode: str, name: str) -> None:
    await pilot.press("colon")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the jump palette")
    await pilot.press(*text)
    palette = app.screen
    await wait_for(pilot, lambda: palette._list_visible and palette.query_one("CommandList").option_count > 0,
                   what="a hit")
    await pilot.press("down", "enter")
    await wait_for(pilot, lambda: app.current_mode == mode and not isinstance(app.screen, CommandPalette)
                   and app.screen.table.row_count > 0 and cursor_name(app) == name,
                   what=lambda: f"{mode} with {name} under the cursor, got {app.current_mode}")


async def test_colon_jumps_to_a_guest_network_pool_or_host(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 45)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="the demo host")
        await pilot.press("slash", *"web", "enter")  # a filter that hides the guest jumped to
        await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="the filter applied")
        await _jump(pilot, app, "db-repl", "guests", "db-replica")
        assert app.screen.table.row_count == 9  # the filter that hid it is gone
        await _jump(pilot, app, "storage-back", "networks", "storage-backend")
        await _jump(pilot, app, "iso", "storage", "iso")
        await _jump(pilot, app, "demo", "hosts", "demo")
        await _jump(pilot, app, "[bold]", "guests", "lab [bold] [test] <&> 'q' \"é\" ü")


async def test_new_volume_checks_the_pools_free_space(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: demo_loaded(app), what="the demo host")
        await pilot.press("3")
        await wait_for(pilot, lambda: app.current_mode == "storage" and app.screen.table.row_count == 2)
        app.screen.table.move_cursor(row=[c.plain for c in column_cells(app.screen.table, "name")].index("default"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "db-primary.qcow2" in screen_text(app), what="the volumes")
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewVolumeScreen", what="the form")
        form = app.screen
        form.query_one("#name").value = "big.qcow2"
        form.query_one("#capacity").value = "20G"
        await wait_for(pilot, lambda: "does not fit" in screen_text(app), what=lambda: screen_text(app))
        message = str(form.query_one("#capacity-error").content)
        assert message.endswith("a 20 GiB volume does not fit (this host allocates a new volume in full)"), message
        assert form.query_one("#capacity-error").display
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # refused
        form.query_one("#capacity").value = "2G"
        await wait_for(pilot, lambda: "does not fit" not in screen_text(app), what=lambda: screen_text(app))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(v.name == "big.qcow2" for vols in app.inventory.volumes.values()
                                          for v in vols), timeout=15, what=lambda: said(app))
