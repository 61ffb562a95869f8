"""App tier: the graphical console (`v`) on the demo host.

libvirt's test driver runs no display server, but it answers `virDomainScreenshot` with a
picture and takes `virDomainSendKey`: the pane uses the screenshot path there and says so.
The picture on screen is checked against the same screenshot read here, through a
connection of the test's own."""

from __future__ import annotations

import io

import libvirt
from PIL import Image

from tui.forms.display_prompts import KeyCombosScreen
from tui.widgets.display_pane import DisplayPane

from .conftest import make_app, wait_for


def screenshot(uri: str, name: str) -> Image.Image:
    conn = libvirt.open(uri)
    try:
        stream = conn.newStream(0)
        conn.lookupByName(name).screenshot(stream, 0, 0)
        chunks: list[bytes] = []
        stream.recvAll(lambda _s, data, acc: acc.append(data) or len(data), chunks)
        stream.finish()
    finally:
        conn.close()
    return Image.open(io.BytesIO(b"".join(chunks))).convert("RGB")


def cells(view) -> list[list[tuple[tuple[int, int, int], tuple[int, int, int]]]]:
    """Each cell's (upper, lower) colour as the view draws it ("▀": fg above, bg below)."""
    black = (0, 0, 0)
    out = []
    for y in range(view.size.height):
        row = []
        for segment in view.render_line(y):
            style = segment.style
            upper = tuple(style.color.get_truecolor()) if style and style.color else black
            lower = tuple(style.bgcolor.get_truecolor()) if style and style.bgcolor else black
            row.extend([(upper, lower)] * len(segment.text))
        out.append(row)
    return out


async def open_display(pilot, app, name: str) -> DisplayPane:
    await wait_for(pilot, lambda: any(g.name == name and g.state == "running" for g in app.inventory.guests.values()),
                   what=f"{name} running")
    guest = next(g for g in app.inventory.guests.values() if g.name == name)
    table = app.screen.table
    key = f"{guest.conn_id}|{guest.uuid}"
    await wait_for(pilot, lambda: key in table._tokens, what="the guest's row")
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()
    await pilot.press("v")
    deck = app.screen.consoles
    await wait_for(pilot, lambda: deck.display_for(guest.conn_id, guest.uuid) is not None, what="the display pane")
    pane = deck.display_for(guest.conn_id, guest.uuid)
    await wait_for(pilot, lambda: pane.view.frame is not None and pane.detail == "attached", timeout=15,
                   what=lambda: f"a picture (pane: {pane.detail} {pane.status_text})")
    return pane


def demo_uri(app) -> str:
    return next(h.uri for h in app.inventory.hosts.values())


async def test_v_shows_the_guests_screen_beside_the_list_and_says_how(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 50)) as pilot:
        pane = await open_display(pilot, app, "web-01")
        assert app.focused is pane.view
        assert str(pane._title) == f"web-01 @ {app.inventory.host_name(pane.conn_id)} ▣"
        assert "screenshots and send-key, because libvirt's test driver runs no display server" in pane.status_text
        shot = screenshot(demo_uri(app), "web-01")
        frame = pane.view.frame
        assert (frame.width, frame.height) == shot.size
        # fitted: each cell shows the mean of the screenshot's pixels under it
        drawn = cells(pane.view)
        lit = [(x, y) for y, row in enumerate(drawn) for x, (upper, _) in enumerate(row) if upper != (0, 0, 0)]
        left, top = min(x for x, _ in lit), min(y for _, y in lit)
        right, bottom = max(x for x, _ in lit) + 1, max(y for _, y in lit) + 1
        assert abs((right - left) / (2 * (bottom - top)) - shot.width / shot.height) < 0.05  # aspect kept
        expected = shot.convert("L").resize((right - left, 2 * (bottom - top)), Image.Resampling.BOX)
        errors = []
        for y in range(top, bottom):
            for x in range(left, right):
                upper, lower = drawn[y][x]
                for colour, py in ((upper, 2 * (y - top)), (lower, 2 * (y - top) + 1)):
                    errors.append(abs(sum(colour) / 3 - expected.getpixel((x - left, py))))
        assert sum(errors) / len(errors) < 12, "the picture on screen is not the guest's screen"


async def test_z_shows_the_screen_one_to_one_and_pans(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_display(pilot, app, "web-01")
        shot = screenshot(demo_uri(app), "web-01")
        await pilot.press("ctrl+right_square_bracket", "z")
        await wait_for(pilot, lambda: pane.view.zoomed, what="1:1")
        assert "blocks, 1:1" in pane.status_text or "1:1" in str(pane.status.render())

        def matches_at(x0: int, y0: int) -> bool:
            drawn = cells(pane.view)
            cols, rows = pane.view.size
            return all(drawn[row][col] == (shot.getpixel((x0 + col, y0 + 2 * row)),
                                          shot.getpixel((x0 + col, y0 + 2 * row + 1)))
                       for row in range(rows) for col in range(cols))

        view = pane.view.bview
        assert matches_at(view.x, view.y), "1:1 cells are not the screenshot's pixels"
        before = pane.view.bview
        await pilot.press("l", "j")
        await wait_for(pilot, lambda: pane.view.bview != before, what="a pan")
        after = pane.view.bview
        assert after.x > before.x and after.y > before.y
        assert matches_at(after.x, after.y)
        await pilot.press("z")
        await wait_for(pilot, lambda: not pane.view.zoomed, what="fitted again")


async def test_key_combinations_a_terminal_cannot_type_are_sent_from_a_menu(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 50)) as pilot:
        pane = await open_display(pilot, app, "web-01")
        await pilot.press("ctrl+right_square_bracket", "s")
        await wait_for(pilot, lambda: isinstance(app.screen, KeyCombosScreen), what="the key menu")
        labels = [label for label, _ in app.screen.combos]
        assert {"Ctrl+Alt+Del", "Ctrl+Alt+F1", "Ctrl+Alt+F12"} <= set(labels)
        await pilot.press("enter")  # the first: ctrl+alt+del, through virDomainSendKey
        await wait_for(pilot, lambda: not isinstance(app.screen, KeyCombosScreen), what="the menu closed")
        await wait_for(pilot, lambda: app.focused is pane.view, what="focus back on the picture")
        assert not [n for n in app._notifications if n.severity == "error"]
        assert pane.detail == "attached"


async def test_the_pane_follows_its_guest_off_and_on_again(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 50)) as pilot:
        pane = await open_display(pilot, app, "web-01")
        first = pane.session
        await pilot.press("ctrl+right_square_bracket", "escape")
        await wait_for(pilot, lambda: app.focused is app.screen.table, what="the list")
        await pilot.press("F")
        await pilot.press("y")
        await wait_for(pilot, lambda: pane.detail == "closed", timeout=15, what=lambda: f"closed, not {pane.detail}")
        assert "guest shut off: reattaches when it runs again" in pane.status_text
        shown = pane.view.frame
        await pilot.press("s")
        await wait_for(pilot, lambda: pane.detail == "attached" and pane.view.frame is not shown, timeout=15,
                       what=lambda: f"attached again, not {pane.detail}: {pane.status_text}")
        assert pane.session is first  # the same host connection: the session opened again


async def test_a_read_only_host_says_why_v_does_nothing(tmp_path):
    app = make_app(tmp_path, "--demo", "--read-only")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: any(g.state == "running" for g in app.inventory.guests.values()))
        guest = next(g for g in app.inventory.guests.values() if g.state == "running")
        table = app.screen.table
        key = f"{guest.conn_id}|{guest.uuid}"
        await wait_for(pilot, lambda: key in table._tokens)
        table.move_cursor(row=table.get_row_index(key))
        await pilot.pause()
        assert app.screen.check_action("display", ()) is None
        await pilot.press("v")
        await wait_for(pilot, lambda: any("read-only" in str(n.message) for n in app._notifications),
                       what="why not")
        assert not app.screen.consoles.display_panes


async def test_a_click_where_the_host_takes_no_monitor_commands_says_there_is_no_mouse(tmp_path):
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(160, 50)) as pilot:
        pane = await open_display(pilot, app, "web-01")
        assert "mouse" not in pane.status_text
        await pilot.click(pane.view, offset=(10, 10))
        await wait_for(pilot, lambda: "no mouse (" in pane.status_text, what=lambda: pane.status_text)
        assert "virDomainQemuMonitorCommand" in pane.status_text  # libvirt's own words
        assert pane.detail == "attached"  # keys still go to the guest
