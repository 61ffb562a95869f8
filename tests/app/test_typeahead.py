"""Keys typed faster than the screen changes land where they were meant to.

`burst` hands every key to the driver at once, without letting the app run in
between, the way a word typed over SSH arrives in one read; Pilot's `press`
would wait for the app after each key and hide the problem.
"""

from __future__ import annotations

import asyncio
import threading

from textual import events
from textual.keys import _character_to_key
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

from tests.app.conftest import column_cells, make_app, wait_for
from tui.calls import ask
from tui.forms.delete_guest import DeleteGuestScreen
from tui.forms.new_guest import NewGuestScreen
from tui.screens.xml_view import XmlScreen


def burst(app, *keys: str) -> None:
    """Every key at once; a one-character string is a typed character."""
    for key in keys:
        if len(key) == 1:
            app._driver.send_message(events.Key(_character_to_key(key) if not key.isalnum() else key, key))
        else:
            app._driver.send_message(events.Key(key, "\x12" if key == "ctrl+r" else None))


def typed(*words: str) -> list[str]:
    return [char for word in words for char in word]


async def demo_ready(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.screen.table.row_count >= 9, what="the demo guests")


def filter_box(app) -> Input:
    return app.screen.query_one("#filter", Input)


async def test_a_word_typed_after_slash_goes_into_the_filter(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await demo_ready(pilot)
        shown_before = app.screen.table.row_count
        burst(app, *typed("/web"))
        await wait_for(pilot, lambda: filter_box(app).value == "web",
                       what=lambda: f"filter {filter_box(app).value!r}, focus {app.focused!r}")
        assert isinstance(app.focused, Input)
        rows = [cell.signature[0] for cell in column_cells(app.screen.table, "name")]
        assert rows and all("web" in name for name in rows), rows
        assert len(rows) < shown_before
        assert len(app.screen_stack) == 1, app.screen_stack


async def test_views_then_quit_in_one_burst(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await demo_ready(pilot)
        seen: list[str] = []
        original = app.switch_mode

        def recording(mode):
            seen.append(mode)
            return original(mode)

        app.switch_mode = recording
        burst(app, "2", "2", "3", "4", "q")
        await wait_for(pilot, lambda: app.return_code is not None, what=lambda: f"exit; modes {seen}")
        assert app.return_code == 0
        assert seen == ["networks", "networks", "storage", "hosts"]


async def test_views_in_one_burst_end_on_the_last(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await demo_ready(pilot)
        burst(app, "2", "3", "4")
        await wait_for(pilot, lambda: app.current_mode == "hosts" and app.screen.is_mounted
                       and app.focused is app.screen.table,
                       what=lambda: f"mode {app.current_mode}, focus {app.focused!r}")


async def test_a_name_typed_after_n_goes_into_the_new_guest_form(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 50)) as pilot:
        await demo_ready(pilot)
        burst(app, *typed("nvd-typed"))
        await wait_for(pilot, lambda: isinstance(app.screen, NewGuestScreen)
                       and [box.value for box in app.screen.query("#name")] == ["vd-typed"],
                       what=lambda: f"screen {app.screen!r}, focus {app.focused!r}")


async def test_characters_follow_each_other_into_a_field_and_tab_still_waits_for_the_next_one(tmp_path):
    """Characters a text field keeps go on without settling in between; tab, which moves
    focus, is still settled before the word after it."""
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 50)) as pilot:
        await demo_ready(pilot)
        burst(app, *typed("nvd-a"), "tab", *typed("debian"))
        await wait_for(pilot, lambda: isinstance(app.screen, NewGuestScreen)
                       and [box.value for box in app.screen.query("#name")] == ["vd-a"]
                       and [box.value for box in app.screen.query("#os-search")] == ["debian"],
                       what=lambda: f"name {[b.value for b in app.screen.query('#name')]}, search "
                                    f"{[b.value for b in app.screen.query('#os-search')]}, focus {app.focused!r}")


class SlowToFocus(Widget, can_focus=True):
    """ctrl+y hands work to this widget's own queue; its handler awaits before it moves focus."""

    BINDINGS = [("ctrl+y", "later")]

    class Later(Message):
        pass

    def action_later(self) -> None:
        self.post_message(self.Later())

    async def on_slow_to_focus_later(self, _message: Later) -> None:
        await asyncio.sleep(0.2)  # a handler waiting on something (a mount, an answer) with its queue empty
        self.screen.query_one("#late-box", Input).focus()


async def test_the_next_key_waits_for_a_widget_whose_handler_is_still_running(tmp_path):
    """The widget has nothing queued while its handler awaits; the keys after ctrl+y still
    wait for it, and land in the box it focuses."""
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await demo_ready(pilot)
        slow, box = SlowToFocus(), Input(id="late-box")
        await app.screen.mount_all([slow, box])
        slow.focus()
        await pilot.pause()
        burst(app, "ctrl+y", *typed("abc"))
        await wait_for(pilot, lambda: box.value == "abc",
                       what=lambda: f"box {box.value!r}, focus {app.focused!r}, screens {app.screen_stack}")
        assert len(app.screen_stack) == 1, app.screen_stack


async def test_ctrl_r_in_the_filter_box_is_not_a_reset(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await demo_ready(pilot)
        burst(app, "/", "ctrl+r", *typed("db"))
        await wait_for(pilot, lambda: filter_box(app).value == "db", what=lambda: repr(filter_box(app).value))
        assert len(app.screen_stack) == 1, app.screen_stack
        assert isinstance(app.focused, Input)


async def test_keys_typed_while_a_dialog_opens_go_to_the_dialog(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await demo_ready(pilot)
        # D lists the guest's disks on the host before its dialog opens; x on the list would open the XML.
        burst(app, "D", "x")
        await wait_for(pilot, lambda: isinstance(app.screen, DeleteGuestScreen), what=lambda: repr(app.screen_stack))
        await pilot.pause()
        assert not any(isinstance(screen, XmlScreen) for screen in app.screen_stack), app.screen_stack


async def test_keys_typed_while_a_host_does_not_answer_are_dropped_not_misdelivered(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await demo_ready(pilot)
        screen = app.screen
        connection = app.fleet.connections[0]
        hung = threading.Event()
        opened: list[object] = []
        ask(screen, connection, lambda conn: hung.wait(30), lambda result, error: opened.append(result),
            "slow read", opens="a slow view")
        burst(app, "x", "2", "escape")
        await wait_for(pilot, lambda: any("2 key(s) typed meanwhile were dropped" in n.message
                                          for n in app._notifications),
                       what=lambda: [n.message for n in app._notifications])
        assert app.screen is screen and app.current_mode == "guests"
        hung.set()
        await wait_for(pilot, lambda: opened == [True])
        burst(app, "2")
        await wait_for(pilot, lambda: app.current_mode == "networks")
        assert not any(isinstance(s, XmlScreen) for s in app.screen_stack)


async def test_focus_and_row_come_back_after_a_modal_closes(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await demo_ready(pilot)
        table = app.screen.table
        burst(app, "down", "down", "x")
        await wait_for(pilot, lambda: isinstance(app.screen, XmlScreen), what=lambda: repr(app.screen_stack))
        burst(app, "escape")
        await wait_for(pilot, lambda: len(app.screen_stack) == 1 and app.focused is table,
                       what=lambda: f"{app.screen_stack}, focus {app.focused!r}")
        assert table.cursor_row == 2


async def test_the_footer_in_a_text_field_names_only_the_keys_that_act_there(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 40)) as pilot:
        await demo_ready(pilot)

        def footer() -> list[str]:
            return [key.description for key in app.screen.query_one("KeyFooter").query("FooterKey")]

        await wait_for(pilot, lambda: "Reset" in footer() and "Help" in footer(), what=lambda: footer())
        burst(app, "/", "w")
        await wait_for(pilot, lambda: "Clear filter" in footer(), what=lambda: footer())
        assert not {"Reset", "Help", "Start", "Sort"} & set(footer()), footer()
        burst(app, "enter")
        await wait_for(pilot, lambda: "Help" in footer() and "Reset" in footer(), what=lambda: footer())
