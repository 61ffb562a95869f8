"""Names are text everywhere: on the zoo, under a connection named with markup, every
view, row kind, detail tab, XML view, form preview and dialog shows names intact.
And an exception nothing handles is logged with its traceback and ends the app with
a non-zero status; a refusal is one log line."""

from __future__ import annotations

import logging

import pytest

from tests import zoo
from tui.backend.errors import log_failure
from tui.backend.ops.recovery import Refused

from .conftest import wait_for

SIZE = (240, 70)


def screen_text(app) -> str:
    """Every cell of the screen on top, as drawn (a modal's own widgets included)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def rows(app) -> dict[str, str]:
    """Row key -> the first cell's text, for the current view's table."""
    table = app.screen.table
    return {key: cells[0].plain for key, cells in table._cells.items()}


def select(app, name: str) -> None:
    table = app.screen.table
    key = next(k for k, first in rows(app).items() if first.endswith(name))
    table.move_cursor(row=table.get_row_index(key))


async def shows(pilot, *names: str, what: str = "") -> None:
    app = pilot.app
    await wait_for(pilot, lambda: all(name in screen_text(app) for name in names),
                   what=lambda: f"{what}: {[n for n in names if n not in screen_text(app)]} on\n{screen_text(app)}")


async def on_screen(pilot, name: str) -> None:
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == name,
                   what=lambda: f"{name}, not {type(pilot.app.screen).__name__}")


async def back_to(pilot, name: str) -> None:
    await pilot.press("escape")
    await on_screen(pilot, name)


async def test_every_view_row_tab_preview_and_dialog_shows_names_intact(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)

        # Guests: the table, every guest's detail with every tab, the XML view, the delete dialog.
        await wait_for(pilot, lambda: app.screen.table.row_count == len(zoo.GUESTS), what="the zoo's guests")
        await shows(pilot, *zoo.GUESTS, what="the guests table")
        for name in zoo.GUESTS:
            select(app, name)
            await pilot.press("enter")
            await on_screen(pilot, "GuestDetailScreen")
            tabs = app.screen.query_one("TabbedContent")
            panes = [pane.id for pane in tabs.query("TabPane")]
            for index, pane in enumerate(panes):
                await wait_for(pilot, lambda pane=pane: tabs.active == pane, what=f"tab {pane} of {name}")
                await shows(pilot, name, what=f"{name}, tab {pane}")
                if index < len(panes) - 1:
                    await pilot.press("right_square_bracket")
            await back_to(pilot, "GuestsScreen")
            await pilot.press("x")
            await on_screen(pilot, "XmlScreen")
            await shows(pilot, name, what=f"XML of {name}")
            await back_to(pilot, "GuestsScreen")
        select(app, zoo.GUEST_EVERY_DEVICE)
        await pilot.press("D")
        await wait_for(pilot, lambda: app.screen.is_modal, what="the delete dialog")
        await shows(pilot, zoo.GUEST_EVERY_DEVICE, what="the delete dialog")
        await back_to(pilot, "GuestsScreen")

        # Networks: the table, every network's details and XML, the delete dialog.
        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen.table.row_count == len(zoo.NETWORKS), what="the zoo's networks")
        await shows(pilot, *zoo.NETWORKS, what="the networks table")
        for name in zoo.NETWORKS:
            select(app, name)
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen.is_modal, what=f"details of {name}")
            await shows(pilot, name, what=f"details of network {name}")
            await back_to(pilot, "NetworksScreen")
            await pilot.press("x")
            await on_screen(pilot, "XmlScreen")
            await shows(pilot, name, what=f"XML of network {name}")
            await back_to(pilot, "NetworksScreen")
        select(app, zoo.NETWORK_ODD)
        await pilot.press("D")
        await wait_for(pilot, lambda: app.screen.is_modal, what="the network delete dialog")
        await shows(pilot, zoo.NETWORK_ODD, what="the network delete dialog")
        await back_to(pilot, "NetworksScreen")

        # Storage: the table, every active pool's volumes, the pool XML, volume and pool dialogs.
        await pilot.press("3")
        await wait_for(pilot, lambda: app.screen.table.row_count == len(zoo.POOLS), what="the zoo's pools")
        await shows(pilot, *zoo.POOLS, what="the pools table")
        select(app, zoo.POOL_ODD)
        await pilot.press("x")
        await on_screen(pilot, "XmlScreen")
        await shows(pilot, zoo.POOL_ODD, what="XML of the odd pool")
        await back_to(pilot, "StorageScreen")
        select(app, zoo.POOL_ODD)
        await pilot.press("D")
        await wait_for(pilot, lambda: app.screen.is_modal, what="the pool delete dialog")
        await shows(pilot, zoo.POOL_ODD, what="the pool delete dialog")
        await back_to(pilot, "StorageScreen")
        select(app, zoo.POOL_ODD)
        await pilot.press("enter")
        await on_screen(pilot, "VolumesScreen")
        await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="the odd pool's volumes")
        await shows(pilot, zoo.POOL_ODD, zoo.VOLUME_ODD, zoo.VOLUME_CLICK, what="the odd pool's volumes")
        select(app, zoo.VOLUME_CLICK)
        await pilot.press("D")
        await wait_for(pilot, lambda: app.screen.is_modal, what="the volume delete dialog")
        await shows(pilot, zoo.VOLUME_CLICK, what="the volume delete dialog")
        await back_to(pilot, "VolumesScreen")
        await back_to(pilot, "StorageScreen")

        # Hosts: the connection's name in the table and on its sheet.
        await pilot.press("4")
        await wait_for(pilot, lambda: app.screen.table.row_count == 1, what="the zoo host")
        await shows(pilot, zoo.CONNECTION_NAME, what="the hosts table")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.is_modal, what="the host sheet")
        await shows(pilot, zoo.CONNECTION_NAME, what="the host sheet")
        await back_to(pilot, "HostsScreen")

        # Events and triage: the views draw, and each triage entry leads to its row.
        await pilot.press("5")
        await on_screen(pilot, "EventsScreen")
        await pilot.press("6")
        await on_screen(pilot, "TriageScreen")
        entries = list(rows(app))
        for key in entries:
            await pilot.press("6")
            await on_screen(pilot, "TriageScreen")
            await wait_for(pilot, lambda key=key: key in app.screen.table._tokens, what=f"triage entry {key}")
            app.screen.table.move_cursor(row=app.screen.table.get_row_index(key))
            await pilot.press("enter")
            await wait_for(pilot, lambda: type(app.screen).__name__ != "TriageScreen", what="the entry's view")
        assert app.return_code is None


async def test_create_form_previews_show_names_intact(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen.table.row_count == len(zoo.NETWORKS), what="the zoo's networks")
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewNetworkScreen", what="the new network form")
        name = "lab [t]<&> two"
        app.screen.query_one("#name").value = name
        await pilot.press("ctrl+s")
        await on_screen(pilot, "XmlPreviewScreen")
        await shows(pilot, f"Define network {name} on {zoo.CONNECTION_NAME}?", what="the network preview")
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.press("3")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "StorageScreen"
                       and app.screen.table.row_count == len(zoo.POOLS), what="the zoo's pools")
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewPoolScreen", what="the new pool form")
        name = "p [b]<&> two"
        app.screen.query_one("#name").value = name
        app.screen.query_one("#target").value = "/srv/p [b] two"
        await pilot.press("ctrl+s")
        await on_screen(pilot, "XmlPreviewScreen")
        await shows(pilot, f"Define pool {name} on {zoo.CONNECTION_NAME}?", "/srv/p [b] two",
                    what="the pool preview")
        assert app.return_code is None


class Boom(RuntimeError):
    pass


async def test_an_unhandled_exception_is_logged_and_ends_the_app_with_status_1(tmp_path, caplog, capsys):
    app = zoo.zoo_app(tmp_path)

    def explode() -> None:
        raise Boom("bad [/] markup <&> in the message")

    with caplog.at_level(logging.ERROR), pytest.raises(Boom):
        async with app.run_test(size=SIZE) as pilot:
            await zoo.open_zoo(pilot)
            app.call_later(explode)
            await wait_for(pilot, lambda: app.return_code is not None, what="the app to end")
    assert app.return_code == 1
    (record,) = [r for r in caplog.records if r.exc_info and r.exc_info[0] is Boom]
    assert "explode" in caplog.text and "Traceback" in caplog.text  # the traceback, down to the raise
    assert record.levelno == logging.ERROR
    # The terminal gets one line (cli prints it), the message as text; not Textual's traceback.
    assert app.crash_message.startswith(
        "virtdeck: unexpected error: Boom: bad [/] markup <&> in the message (traceback in ")
    assert "\n" not in app.crash_message
    assert "Traceback" not in capsys.readouterr().err


def test_a_refusal_is_one_log_line_and_a_bug_its_traceback(caplog):
    with caplog.at_level(logging.INFO, logger="tui.backend.connection"):
        for exc in (Refused("this host already has a guest with that name: plain"), KeyError("uuid")):
            try:
                raise exc
            except Exception as caught:  # noqa: BLE001 - as the worker catches them
                log_failure("test:///zoo", "import", caught)
    refusal, bug = caplog.records
    assert refusal.levelno == logging.WARNING and refusal.exc_info is None
    assert refusal.getMessage() == "test:///zoo: import refused: this host already has a guest with that name: plain"
    assert "\n" not in caplog.text.split("\n", 1)[0] and bug.exc_info is not None
    assert bug.exc_info[0] is KeyError
