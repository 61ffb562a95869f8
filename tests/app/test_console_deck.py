"""App tier: the console deck as the Guests view hands it what it uses (sessions opened
through `app.actions.consoles`, the inventory, the log directory), on the test driver.

The test driver has no consoles, so `c` is off there (test_console_app.py); these tests open
a pane the way `c` does once it applies, and watch what the real session answers."""

from __future__ import annotations

from .conftest import make_app, wait_for


def _guest(app, name: str):
    return next(g for g in app.inventory.guests.values() if g.name == name)


def _said(app, title: str) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == title]


async def test_a_console_libvirt_cannot_open_says_libvirts_words_and_closes(tmp_path):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1)
        guest = _guest(app, "test")
        deck = app.screen.consoles
        await deck.open_console(guest.conn_id, guest.uuid, guest.name, app.inventory.host_name(guest.conn_id))
        # the session went to the host, whose driver refused: its words, and no pane left behind
        await wait_for(pilot, lambda: _said(app, "console test"), what="libvirt's answer")
        assert not deck.panes
        assert "virDomainOpenConsole" in _said(app, "console test")[0]
        assert app.is_running


async def test_a_pane_whose_host_is_not_connected_says_so_and_logs_to_the_state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1)
        deck = app.screen.consoles
        pane = await deck.open_console("gone-host", "0000", "a[b]", "elsewhere")
        await wait_for(pilot, lambda: pane.detail == "failed", what=lambda: f"failed, not {pane.detail}")
        assert pane.status_text == "elsewhere is not connected"
        assert pane.session is None
        assert deck.panes == [pane]
        # `l` on the tab strip logs the pane to the state directory the view handed the deck
        await pilot.press("ctrl+right_square_bracket", "l")
        await wait_for(pilot, lambda: pane.view.logging, what="logging")
        logs = list((tmp_path / "state" / "virtdeck" / "consoles").glob("a_b__elsewhere-*.log"))
        assert logs == [pane.view.log_path]
        assert f"logging to {logs[0]}" in str(pane.status.render())
        await pilot.press("l")
        await wait_for(pilot, lambda: not pane.view.logging, what="logging stopped")
        await pilot.press("w")
        await wait_for(pilot, lambda: not deck.panes, what="the pane closed")
        assert app.focused is app.screen.table


async def test_f_shows_the_consoles_alone_and_back_and_closing_the_last_pane_shows_the_list(tmp_path):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1)
        deck, table = app.screen.consoles, app.screen.table
        pane = await deck.open_console("gone-host", "0000", "a[b]", "elsewhere")
        await wait_for(pilot, lambda: pane.detail == "failed", what=lambda: f"failed, not {pane.detail}")
        list_width = table.region.width
        await pilot.press("ctrl+right_square_bracket", "f")
        await wait_for(pilot, lambda: not table.display and deck.region.width == 160, what="the deck alone")
        assert deck.zoomed
        await pilot.press("f")
        await wait_for(pilot, lambda: table.display and table.region.width == list_width, what="the list back")
        await pilot.press("f")
        await wait_for(pilot, lambda: not table.display, what="the deck alone again")
        await pilot.press("w")
        await wait_for(pilot, lambda: not deck.panes and table.display and table.region.width == 160,
                       what="the list alone, full width")
        assert not deck.zoomed
