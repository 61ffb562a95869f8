"""Serial consoles in panes, through the UI, on real TCG guests.

The shared `vd-tiny` guest serves the tests that only log in and type (each
logs out again with `exit`); a test that boots, destroys and restarts a guest
defines its own (`vd-console`) and removes it at the end.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import libvirt
import pytest
from rich.color import Color

from tests.app.conftest import wait_for
from tui.backend import eventloop
from tui.backend.model import ConnState
from tui.widgets.console_pane import ConsolePane

from .conftest import LOGIN_PROMPT, Testbed, TinyGuest, wait_until
from .test_app_on_libvirtd import app_for, host_state

PROMPT = "tiny# "
FLOOD = 1 << 20


# -- helpers -----------------------------------------------------------------


def guest_by_name(app, name: str, uri: str | None = None):
    for guest in app.inventory.guests.values():
        if guest.name == name and (uri is None or app.inventory.hosts[guest.conn_id].uri == uri):
            return guest
    return None


def lines(pane: ConsolePane) -> list[str]:
    return pane.view.screen_text()


def shows(pane: ConsolePane, text: str) -> bool:
    return any(text in line for line in lines(pane))


def last_line(pane: ConsolePane) -> str:
    """The line the guest's cursor is on."""
    term = pane.view.term
    return term.line_text(term.buffer[term.cursor.y]).rstrip()


async def open_console(pilot, app, name: str, uri: str | None = None, attach: bool = True) -> ConsolePane:
    await wait_for(pilot, lambda: guest_by_name(app, name, uri) is not None
                   and guest_by_name(app, name, uri).state in ("running", "paused"), timeout=30,
                   what=f"{name} in the guest list")
    guest = guest_by_name(app, name, uri)
    table = app.screen.table
    key = f"{guest.conn_id}|{guest.uuid}"
    await wait_for(pilot, lambda: key in table._tokens, what="the guest's row")
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()
    assert app.screen.check_action("console", ()) is True
    deck = app.screen.consoles
    await pilot.press("c")
    await wait_for(pilot, lambda: deck.pane_for(guest.conn_id, guest.uuid) is not None, what="the console pane")
    pane = deck.pane_for(guest.conn_id, guest.uuid)
    if attach:
        await wait_for(pilot, lambda: pane.view.attached, timeout=10, what="the console attached")
        assert app.focused is pane.view
    return pane


async def type_line(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(c, c) for c in text], "enter")


async def login(pilot, pane: ConsolePane) -> None:
    """From wherever the guest's console is, to a fresh shell prompt."""
    await pilot.press("enter")
    await wait_for(pilot, lambda: last_line(pane).startswith(("tiny login:", "tiny#")), timeout=30,
                   what="a login prompt or a shell prompt")
    if last_line(pane).startswith("tiny login:"):
        await type_line(pilot, "root")
        await wait_for(pilot, lambda: last_line(pane).startswith("tiny#"), timeout=15, what="the shell")


async def logout(pilot, pane: ConsolePane) -> None:
    pane.view.focus()
    await type_line(pilot, "exit")
    await wait_for(pilot, lambda: last_line(pane).startswith("tiny login:"), timeout=15,
                   what=f"the login prompt after exit: {lines(pane)}")


async def run(pilot, pane: ConsolePane, command: str, expect: str, timeout: float = 15) -> None:
    await type_line(pilot, command)
    await wait_for(pilot, lambda: any(line.strip() == expect for line in lines(pane)), timeout=timeout,
                   what=f"{expect!r} after {command!r}")


def style_at(pane: ConsolePane, x: int, y: int):
    """The rich style the widget renders at cell (x, y), and the text there."""
    strip = pane.view.render_line(y)
    position = 0
    for segment in strip:
        length = len(segment.text)
        if position <= x < position + length:
            return segment.style, segment.text[x - position]
        position += length
    raise AssertionError(f"no cell at {x},{y}")


# -- the shared guest ------------------------------------------------------------


async def test_console_login_type_colours_and_keys(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(180, 45)) as pilot:
        pane = await open_console(pilot, app, tiny_guest.name)
        # labelled guest @ host, beside the guest list
        assert str(app.screen.consoles.tabs.get_tab(pane.id).label) == f"{tiny_guest.name} @ {pane.host_name}"
        assert app.screen.table.display and app.screen.table.size.width > 0
        await login(pilot, pane)
        await run(pilot, pane, "echo hello-$((6*7))", "hello-42")

        # ANSI colour and cursor addressing land in the right cells
        await type_line(pilot, r"clear; printf '\033[5;10H\033[31mRED\033[0m\033[3;20H\033[1;32mGRN\033[0m\033[9;1H'")
        await wait_for(pilot, lambda: lines(pane)[4][9:12] == "RED" and lines(pane)[2][19:22] == "GRN",
                       what="RED at row 5 col 10 and GRN at row 3 col 20")
        await pilot.pause(0.05)
        style, char = style_at(pane, 9, 4)
        assert char == "R" and style.color == Color.from_ansi(1)
        style, char = style_at(pane, 19, 2)
        assert char == "G" and style.color == Color.from_ansi(2) and style.bold
        assert lines(pane)[4][:9].strip() == "" and lines(pane)[0].strip() == ""

        # the app's own keys reach the guest: ctrl+q / ctrl+p / ctrl+c / q / tab / 1
        await type_line(pilot, "stty -ixon; read -r x; echo \"[$x]\" | od -An -tx1")
        await pilot.press("ctrl+p", "ctrl+q", "ctrl+a", "q", "1", "enter")
        await wait_for(pilot, lambda: any("10 11 01 71 31" in line for line in lines(pane)),
                       what=f"ctrl+p ctrl+q ctrl+a q 1 read by the guest: {lines(pane)}")
        assert app.is_running and app.screen is not None and app.current_mode == "guests"
        assert type(app.screen).__name__ == "GuestsScreen"  # no command palette, no view switch
        assert app.focused is pane.view
        # ctrl+c interrupts a command in the guest
        await type_line(pilot, "sleep 600")
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: last_line(pane).startswith("tiny#"), what="prompt after ctrl+c")
        # arrows and home/end edit the guest's command line
        await pilot.press(*"echo bc", "left", "left", "a", "home", "right", "right", "right", "right",
                          "right", "Z", "end", "d", "enter")
        await wait_for(pilot, lambda: any(line.strip() == "Zabcd" for line in lines(pane)), what="Zabcd")
        # tab completes in the guest instead of moving the focus
        await pilot.press(*"ech", "tab")
        await pilot.press(*" tab-ok", "enter")
        await wait_for(pilot, lambda: any(line.strip() == "tab-ok" for line in lines(pane)), what="tab completion")
        assert app.focused is pane.view

        # a full-screen program: top, then q goes to it (not to the app)
        await type_line(pilot, "top")
        await wait_for(pilot, lambda: any("PID" in line for line in lines(pane)) and shows(pane, "Mem:"),
                       what="top's screen")
        assert lines(pane)[0].startswith("Mem:")
        await pilot.press("q")
        await wait_for(pilot, lambda: last_line(pane).startswith("tiny#"), what="prompt after top")
        assert app.is_running

        # scrollback: a line scrolled off the top is found again by search
        await type_line(pilot, "echo needle-$((3*3)); seq 1 100")
        await wait_for(pilot, lambda: any(line.strip() == "100" for line in lines(pane)), what="seq's output")
        assert not shows(pane, "needle-9")
        # ctrl+] leaves the terminal (the console stays open); search from the tab strip
        await pilot.press("ctrl+right_square_bracket")
        assert app.focused is not pane.view and pane.view.attached
        await pilot.press("slash")
        await pilot.press(*"needle-9", "enter")
        assert pane.view.match is not None and pane.view.scroll_back > 0
        assert shows(pane, "needle-9")
        await pilot.press("escape")
        await pilot.press("end")  # back to live
        assert pane.view.scroll_back == 0 and not shows(pane, "needle-9")
        # copy (OSC 52 through the app) of the screen when nothing is selected
        copied = []
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        await pilot.press("y")
        assert copied and "99\n100\ntiny#" in copied[0]
        await pilot.press("enter")  # back into the terminal
        assert app.focused is pane.view
        await logout(pilot, pane)


async def test_console_key_then_a_typed_line_in_one_burst(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    """`c` and the words after it, arriving in one read: the words go to the guest, not the list."""
    from tests.app.test_typeahead import burst, typed

    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(180, 45)) as pilot:
        pane = await open_console(pilot, app, tiny_guest.name)
        await login(pilot, pane)
        burst(app, "ctrl+right_square_bracket", "escape")
        await wait_for(pilot, lambda: app.focused is app.screen.table, what=lambda: f"focus {app.focused!r}")
        table = app.screen.table
        sort_before = (table.sort_column, table.sort_reverse)
        dom = libvirt.open(testbed.system_uri).lookupByName(tiny_guest.name)
        boots_before = dom.ID()
        # s, r, o, b, u ... would start, reboot, sort on the list
        burst(app, "c", *typed("echo burst-$((6*7))"), "enter")
        await wait_for(pilot, lambda: any(line.strip() == "burst-42" for line in lines(pane)), timeout=15,
                       what=lambda: f"burst-42 in the console: {lines(pane)}")
        assert app.focused is pane.view
        assert (table.sort_column, table.sort_reverse) == sort_before
        assert dom.ID() == boots_before and dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
        await logout(pilot, pane)


async def test_console_resize_and_log(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await open_console(pilot, app, tiny_guest.name)
        await login(pilot, pane)
        view = pane.view
        assert (view.term.columns, view.term.lines) == (view.size.width, view.size.height)
        half = view.size.width
        # full screen: the emulated screen follows the pane
        await pilot.press("ctrl+right_square_bracket", "f", "enter")
        await wait_for(pilot, lambda: view.size.width > half + 40, what="the pane at full width")
        await pilot.pause()
        assert (view.term.columns, view.term.lines) == (view.size.width, view.size.height)
        # the guest can learn it the way `resize` does: move far, ask where the cursor is
        await type_line(pilot, r'''printf '\033[999;999H\033[6n'; read -r x; echo "size ${x#*[}"''')
        expect = f"size {view.term.lines};{view.term.columns}R"
        # the terminal's answer reaches the guest, whose tty echoes it
        await wait_for(pilot, lambda: shows(pane, f"[{view.term.lines};{view.term.columns}R"),
                       what=f"the cursor report echoed: {lines(pane)}")
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(line.strip() == expect for line in lines(pane)), what=f"{expect!r}: {lines(pane)}")
        # a smaller terminal window shrinks it again, the cursor line stays in view
        await pilot.resize_terminal(120, 30)
        await wait_for(pilot, lambda: view.term.lines == view.size.height and view.term.columns == view.size.width
                       and view.size.width <= 120, what="pyte resized with the window")
        await run(pilot, pane, "echo small-$((1+1))", "small-2")
        # log the session to a file
        log_dir = Path(tmp_path) / "state"
        deck = app.screen.consoles
        original = deck.log_dir
        deck.log_dir = log_dir / "consoles"
        try:
            await pilot.press("ctrl+right_square_bracket", "l", "enter")
            assert view.logging, (app.focused, lines(pane))
            assert app.focused is view, (app.focused, lines(pane))
            await run(pilot, pane, "echo logged-$((2+3))", "logged-5")
            await pilot.press("ctrl+right_square_bracket", "l", "f", "enter")
            assert not view.logging
        finally:
            deck.log_dir = original
        logs = list((log_dir / "consoles").glob("*.log"))
        assert len(logs) == 1 and b"logged-5" in logs[0].read_bytes()
        await logout(pilot, pane)


async def test_console_takeover_from_another_client(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    eventloop.start()  # before the other client connects, so that it hears of the takeover
    other = libvirt.open(testbed.system_uri)
    holder = other.newStream(libvirt.VIR_STREAM_NONBLOCK)
    other.lookupByName(tiny_guest.name).openConsole(None, holder, 0)
    app = app_for(tmp_path, testbed.system_uri)
    try:
        async with app.run_test(size=(160, 40)) as pilot:
            pane = await open_console(pilot, app, tiny_guest.name, attach=False)
            await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the takeover question")
            assert pane.detail == "busy"
            await pilot.press("y")
            await wait_for(pilot, lambda: pane.view.attached, what="attached after the takeover")
            await login(pilot, pane)
            # the other client lost it

            def holder_broken() -> bool:
                try:
                    return holder.recv(1024) == b""
                except libvirt.libvirtError:
                    return True

            await wait_for(pilot, holder_broken, what="the other client's stream ended")
            # now the other client takes it back: the pane says so and does not fight for it
            holder2 = other.newStream(libvirt.VIR_STREAM_NONBLOCK)
            other.lookupByName(tiny_guest.name).openConsole(None, holder2, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
            await wait_for(pilot, lambda: not pane.view.attached and pane.detail == "closed", what="closed pane")
            assert shows(pane, "[console closed")
            pane.view.focus()
            await pilot.press("enter")  # try again: busy, no question this time
            await wait_for(pilot, lambda: pane.detail == "busy", what="busy")
            await pilot.press("enter")  # enter on a busy console takes it over
            await wait_for(pilot, lambda: pane.view.attached, what="attached again")
            await logout(pilot, pane)
    finally:
        for stream in (holder, locals().get("holder2")):
            try:
                if stream is not None:
                    stream.abort()
            except libvirt.libvirtError:
                pass  # taken over: already broken
        other.close()


async def test_console_over_ssh(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    app = app_for(tmp_path, testbed.ssh_uri)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await open_console(pilot, app, tiny_guest.name, uri=testbed.ssh_uri)
        assert pane.host_name == app.inventory.hosts[pane.conn_id].name
        await login(pilot, pane)
        await run(pilot, pane, "echo ssh-$((6*7))", "ssh-42")
        await type_line(pilot, r"printf '\033[2;5H\033[34mBLUE\033[0m\n'")
        await wait_for(pilot, lambda: lines(pane)[1][4:8] == "BLUE", what="BLUE at row 2 col 5")
        await pilot.pause(0.05)
        style, _ = style_at(pane, 4, 1)
        assert style.color == Color.from_ansi(4)
        await logout(pilot, pane)


async def test_console_flood_keeps_up_and_app_answers(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await open_console(pilot, app, tiny_guest.name)
        await login(pilot, pane)
        view = pane.view
        before = view.fed
        began = time.perf_counter()
        await type_line(pilot, f"yes | head -c {FLOOD}; echo END-$((40+2))")
        await wait_for(pilot, lambda: view.fed - before > 64 << 10, timeout=30, what="the flood streaming")
        # the app answers keys while the guest floods: leave the terminal, full screen on and off
        await pilot.press("ctrl+right_square_bracket")
        lags = []
        table = app.screen.table
        for _ in range(10):
            zoomed = not table.display
            started = time.perf_counter()
            app.simulate_key("f")  # as the driver would post it: no waiting for idle
            while (not table.display) == zoomed:
                assert time.perf_counter() - started < 5, "the app did not answer a key within 5 s"
                await asyncio.sleep(0.002)
            lags.append(time.perf_counter() - started)
        assert not shows(pane, "END-42"), f"the flood ended before the keys were measured: {view.fed - before}"
        await pilot.press("enter")
        await wait_for(pilot, lambda: shows(pane, "END-42"), timeout=180, what="the end of the flood")
        # every byte of output went through pyte: 1 MiB of "y\n", each \n sent as \r\n
        assert view.fed - before >= FLOOD * 3 // 2
        assert pane.session.pending == 0
        print(f"flood: {view.fed - before} bytes in {time.perf_counter() - began:.1f} s; "
              f"key lag while flooding: max {max(lags) * 1000:.0f} ms, "
              f"median {sorted(lags)[len(lags) // 2] * 1000:.0f} ms")
        assert max(lags) < 1.0
        await logout(pilot, pane)


async def test_console_lost_host_reattaches(tmp_path, testbed: Testbed, tiny_guest: TinyGuest):
    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(160, 40)) as pilot:
        pane = await open_console(pilot, app, tiny_guest.name)
        await login(pilot, pane)
        testbed.kill_libvirtd()
        try:
            await wait_for(pilot, lambda: not pane.view.attached, timeout=15, what="the console detached")
            await wait_for(pilot, lambda: pane.detail == "lost", timeout=15, what="the pane saying the host is lost")
        finally:
            testbed.start_libvirtd()
        await wait_for(pilot, lambda: host_state(app, testbed.system_uri) == ConnState.CONNECTED, timeout=20)
        await wait_for(pilot, lambda: pane.view.attached, timeout=15, what="reattached after the host healed")
        pane.view.focus()
        await run(pilot, pane, "echo back-$((6*7))", "back-42")
        await logout(pilot, pane)


# -- a guest of its own: boot, shut down, start again, reset ------------------------


@pytest.fixture
def console_guest(testbed: Testbed, tiny_guest: TinyGuest):
    name = "vd-console"
    testbed.remove_domain(name)
    path = testbed.state_dir / f"{name}.xml"
    path.write_text(testbed.guest_xml(name))
    testbed.virsh("define", str(path))
    testbed.virsh("start", "--paused", name)
    yield name
    testbed.remove_domain(name)


def _count(pane: ConsolePane, text: str) -> int:
    return sum(line.count(text) for line in pane.view.all_text())


async def test_console_boot_shutdown_and_reattach(tmp_path, testbed: Testbed, console_guest: str):
    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(180, 45)) as pilot:
        # attach while the guest is paused before its first instruction: the whole boot shows
        pane = await open_console(pilot, app, console_guest)
        testbed.virsh("resume", console_guest)
        await wait_for(pilot, lambda: shows(pane, testbed.boot_marker), timeout=90, what="the boot marker")
        await wait_for(pilot, lambda: last_line(pane).startswith(LOGIN_PROMPT.strip()), timeout=60,
                       what="the login prompt")
        first_id = guest_by_name(app, console_guest).id

        # shut off: the pane says so
        testbed.virsh("destroy", console_guest)
        await wait_for(pilot, lambda: not pane.view.attached, timeout=15, what="the console closed")
        await wait_for(pilot, lambda: "shut off" in pane.status_text, timeout=15, what="'guest shut off' in the pane")
        assert shows(pane, "[console closed")

        # running again: the pane attaches by itself and shows the new boot
        markers = _count(pane, testbed.boot_marker)
        testbed.virsh("start", console_guest)
        await wait_for(pilot, lambda: pane.view.attached, timeout=15, what="reattached after start")
        assert guest_by_name(app, console_guest).id != first_id
        await wait_for(pilot, lambda: _count(pane, testbed.boot_marker) > markers, timeout=90,
                       what="the boot marker of the second boot")
        await wait_for(pilot, lambda: last_line(pane).startswith(LOGIN_PROMPT.strip()), timeout=60,
                       what="the login prompt again")

        # a reset keeps the same QEMU: the console stays attached through the reboot
        markers = _count(pane, testbed.boot_marker)
        testbed.virsh("reset", console_guest)
        await wait_for(pilot, lambda: _count(pane, testbed.boot_marker) > markers, timeout=90,
                       what="the boot marker after reset")
        assert pane.view.attached
        await wait_for(pilot, lambda: last_line(pane).startswith(LOGIN_PROMPT.strip()), timeout=60)
        # closing the tab detaches: another client can open the console without force
        await pilot.press("ctrl+right_square_bracket", "w")
        await wait_for(pilot, lambda: not app.screen.consoles.panes, what="the pane closed")

        def free() -> bool:
            conn = libvirt.open(testbed.system_uri)
            try:
                stream = conn.newStream(0)
                conn.lookupByName(console_guest).openConsole(None, stream, 0)
                stream.abort()
                return True
            except libvirt.libvirtError:
                return False
            finally:
                conn.close()

        await wait_for(pilot, free, timeout=10, what="the console released")
