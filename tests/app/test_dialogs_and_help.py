"""One confirmation convention in every dialog, `?` help with the screen's own keys, and a
footer and status line that keep what matters on screen from 80 columns up."""

from __future__ import annotations

import libvirt
import pytest

from tui.backend.xml.pool import PoolSpec, build_pool_xml
from tui.screens.help import HelpScreen

from .conftest import cell_text, make_app, wait_for
from .test_guest_delete import NAME, define_with_disk

POOL = "vd-dlg pool <&>"
NETWORK = "vd-dlg-net"


def screen_name(app) -> str:
    return type(app.screen).__name__


def screen_lines(app) -> list[str]:
    """What the terminal shows, line by line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def footer_text(app) -> str:
    return screen_lines(app)[-1]


def help_text(app) -> str:
    assert isinstance(app.screen, HelpScreen)
    return "\n".join(screen_lines(app))


def help_entries(app) -> dict[str, tuple[str, ...]]:
    """Description -> keys, as the help screen lists them (a widget's and its screen's merged)."""
    entries: dict[str, tuple[str, ...]] = {}
    for section in app.screen.sections:
        for entry in section.entries:
            entries[entry.description] = entries.get(entry.description, ()) + tuple(entry.keys)
    return entries


def select(app, name: str) -> None:
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name").endswith(name))
    table.move_cursor(row=table.get_row_index(key))


@pytest.fixture
def conn(fresh_default):
    """test:///default, with this module's pool and network removed afterwards."""
    yield fresh_default
    for pool in fresh_default.listAllStoragePools():
        if pool.name() == POOL:
            if pool.isActive():
                pool.destroy()
            pool.undefine()
    for net in fresh_default.listAllNetworks():
        if net.name() == NETWORK:
            if net.isActive():
                net.destroy()
            net.undefine()


# -- dialogs -------------------------------------------------------------------


async def test_force_off_asks_y_n_escape_and_enter_does_not_answer(tmp_path, conn):
    dom = conn.lookupByName("test")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        select(app, "test")
        for answer in ("n", "escape", "enter"):
            await pilot.press("F")
            await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the force-off question")
            footer = footer_text(app)
            assert "y Yes" in footer and "n No" in footer, footer
            await pilot.press(answer)
            if answer == "enter":  # says which keys answer, and answers nothing
                await wait_for(pilot, lambda: "n or escape answers no" in
                               " ".join(str(n.message) for n in app._notifications), what="the keys said")
                assert screen_name(app) == "ConfirmScreen"
                await pilot.press("n")
            await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen")
            assert dom.isActive(), f"{answer} must not force it off"
        await pilot.press("F")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: not dom.isActive(), what="forced off")


async def test_guest_delete_y_without_volumes_and_typed_name_with_them(tmp_path, conn):
    path = define_with_disk(conn)
    app = make_app(tmp_path, "-c", "test:///default")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.screen.table.row_count == 2)
            select(app, NAME)
            # n and escape cancel; enter neither deletes nor cancels (focus is on a volume's checkbox:
            # it ticks it), y with a volume ticked asks for the name instead of deleting.
            for cancel in ("n", "escape"):
                await pilot.press("D")
                await wait_for(pilot, lambda: screen_name(app) == "DeleteGuestScreen", what="the delete dialog")
                assert "y Delete" in footer_text(app) and "n Cancel" in footer_text(app), footer_text(app)
                await pilot.press(cancel)
                await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen")
                assert conn.lookupByName(NAME)
            await pilot.press("D")
            await wait_for(pilot, lambda: screen_name(app) == "DeleteGuestScreen")
            form = app.screen
            await pilot.press("space")  # tick the volume
            assert form.query_one("#disk-0-0").value is True
            await pilot.press("y")
            await wait_for(pilot, lambda: form.focused is form.query_one("#name-0"), what="the name field focused")
            assert f"Type {NAME} exactly" in form.query_one("#error").render().plain
            footer = footer_text(app)
            assert "⏎ Delete" in footer and "esc Cancel" in footer, footer
            await pilot.press(*"wrong", "enter")  # a wrong name says why; nothing goes, nothing is cancelled
            await wait_for(pilot, lambda: f"Type {NAME} exactly" in form.query_one("#error").render().plain)
            assert screen_name(app) == "DeleteGuestScreen" and conn.lookupByName(NAME)
            assert form.query_one("#name-0").value == "wrong"  # y and n typed letters, answered nothing
            form.query_one("#name-0").value = ""
            await pilot.press(*NAME, "enter")
            await wait_for(pilot, lambda: NAME not in {d.name() for d in conn.listAllDomains()}, what="deleted")
            names = [v.name() for v in conn.storagePoolLookupByName("default-pool").listAllVolumes()]
            assert "doomed.img" not in names
    finally:
        try:
            conn.storageVolLookupByPath(path).delete(0)
        except libvirt.libvirtError:
            pass


async def test_guest_delete_with_no_disks_is_a_plain_y(tmp_path, conn):
    conn.defineXML("<domain type='test'><name>vd-dlg-bare</name><memory>65536</memory>"
                   "<os><type>hvm</type></os></domain>")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 2)
        select(app, "vd-dlg-bare")
        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "DeleteGuestScreen")
        await pilot.press("enter")  # nothing focused: enter explains, it does not cancel
        await wait_for(pilot, lambda: "y: delete" in app.screen.query_one("#error").render().plain)
        assert screen_name(app) == "DeleteGuestScreen"
        await pilot.press("y")
        await wait_for(pilot, lambda: "vd-dlg-bare" not in {d.name() for d in conn.listAllDomains()})


async def test_pool_delete_needs_the_typed_name_then_enter(tmp_path, conn):
    conn.storagePoolDefineXML(build_pool_xml(PoolSpec(name=POOL, target_path="/srv/vd-dlg")), 0)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen" and app.screen.table.row_count == 2)
        select(app, POOL)
        await pilot.pause()
        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "DeletePoolScreen", what="the typed-name dialog")
        form = app.screen
        assert "⏎ Delete" in footer_text(app) and "esc Cancel" in footer_text(app), footer_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "exactly" in form.query_one("#error").render().plain, what="why not")
        await pilot.press(*"vd-dlg", "enter")  # a prefix is not the name; y and n went into the field
        await wait_for(pilot, lambda: form.query_one("#name").value == "vd-dlg")
        assert "exactly" in form.query_one("#error").render().plain and screen_name(app) == "DeletePoolScreen"
        assert POOL in {p.name() for p in conn.listAllStoragePools()}
        await pilot.press(*POOL.removeprefix("vd-dlg"), "enter")
        await wait_for(pilot, lambda: POOL not in {p.name() for p in conn.listAllStoragePools()}, what="deleted")
        await pilot.press("D")  # and escape cancels: nothing selected any more, or the dialog closes
        await wait_for(pilot, lambda: screen_name(app) in ("StorageScreen", "DeletePoolScreen"))
        if screen_name(app) == "DeletePoolScreen":
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "StorageScreen")


async def test_pool_delete_escape_cancels(tmp_path, conn):
    conn.storagePoolDefineXML(build_pool_xml(PoolSpec(name=POOL, target_path="/srv/vd-dlg")), 0)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen" and app.screen.table.row_count == 2)
        select(app, POOL)
        await pilot.pause()
        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "DeletePoolScreen")
        await pilot.press(*POOL, "escape")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen")
        assert POOL in {p.name() for p in conn.listAllStoragePools()}


async def test_network_delete_n_escape_then_y(tmp_path, conn):
    conn.networkDefineXML(f"<network><name>{NETWORK}</name></network>")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: screen_name(app) == "NetworksScreen" and app.screen.table.row_count == 2)
        select(app, NETWORK)
        await pilot.pause()
        for answer in ("n", "escape", "y"):
            await pilot.press("D")
            await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the delete question")
            await pilot.press(answer)
            await wait_for(pilot, lambda: screen_name(app) == "NetworksScreen")
            if answer != "y":
                assert NETWORK in {n.name() for n in conn.listAllNetworks()}
        await wait_for(pilot, lambda: NETWORK not in {n.name() for n in conn.listAllNetworks()}, what="deleted")


# -- help ----------------------------------------------------------------------

VIEW_KEYS = {
    "1": ("GuestsScreen", {"Force off": "F", "Mark": "space", "Filter": "/", "Help": "?", "Networks": "2"}),
    "2": ("NetworksScreen", {"Autostart": "a", "Delete": "D", "Sort": "o"}),
    "3": ("StorageScreen", {"Undefine": "U", "Volumes": "⏎", "Refresh": "f"}),
    "4": ("HostsScreen", {"Reconnect": "r", "Add connection": "n", "Remove": "D"}),
    "5": ("EventsScreen", {"Filter": "/", "Pause stats": "z"}),
    "6": ("TriageScreen", {"Go to": "⏎", "Quit": "q"}),
}


async def test_help_on_every_main_view_lists_its_keys_and_escape_closes_it(tmp_path):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        for view, (name, keys) in VIEW_KEYS.items():
            await pilot.press(view)
            await wait_for(pilot, lambda: screen_name(app) == name)
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: screen_name(app) == "HelpScreen", what=f"help over {name}")
            entries = help_entries(app)
            for description, key in keys.items():
                assert key in entries.get(description, ()), (name, description, entries.get(description))
            assert f"Keys: {name.removesuffix('Screen')}" in help_text(app)
            titles = [section.title for section in app.screen.sections]
            assert titles[0] == "Views" and "Move & find" in titles and titles[-1] == "General", titles
            closer = {"1": "escape", "2": "question_mark", "3": "q"}.get(view, "escape")
            await pilot.press(closer)
            await wait_for(pilot, lambda: screen_name(app) == name, what=f"{closer} closing the help")
        assert app.is_running  # q closed the help; it did not quit


async def test_help_on_detail_screens_volumes_and_xml(tmp_path):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen")
        for tab in range(9):  # every tab of the guest, with its own keys
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: screen_name(app) == "HelpScreen")
            entries = help_entries(app)
            assert "]" in entries["Next tab"] and "esc" in entries["Back"]
            if tab == 5:
                assert "Attach disk" in entries, entries  # the hardware tab's keys
            if tab == 6:
                assert "Revert" in entries, entries  # the snapshots tab's
            if tab == 8:
                assert "Pinning" in entries and "Host device" in entries, entries  # the tuning tab's
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen")
            await pilot.press("right_square_bracket")
            await pilot.pause()
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_name(app) == "XmlScreen")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: screen_name(app) == "HelpScreen")
        assert "e" in help_entries(app)["Edit"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "XmlScreen")
        await pilot.press("escape", "escape", "3")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen" and app.screen.table.row_count >= 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "VolumesScreen")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: screen_name(app) == "HelpScreen")
        assert "W" in help_entries(app)["Wipe"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "VolumesScreen")


async def test_help_over_a_form_lists_the_forms_keys(tmp_path):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        await pilot.press("F")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        app.action_help()  # `?` is a dialog's own key there; the help must still hold up over it
        await wait_for(pilot, lambda: screen_name(app) == "HelpScreen")
        entries = help_entries(app)
        assert "y" in entries["Yes"] and "n" in entries["No"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen")


async def test_help_and_footer_follow_the_keymap(tmp_path):
    (tmp_path / "config.toml").write_text('[keymap]\n"guest.force_off" = "K"\n"help" = "h"\n', encoding="utf-8")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        assert "h Help" in footer_text(app) and "? Help" not in footer_text(app), footer_text(app)
        assert "F Force off" not in footer_text(app), footer_text(app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert screen_name(app) == "GuestsScreen"  # ? is no longer help
        await pilot.press("h")
        await wait_for(pilot, lambda: screen_name(app) == "HelpScreen")
        entries = help_entries(app)
        assert entries["Force off"] == ("K",) and entries["Help"] == ("h",)
        await pilot.press("h")  # the remapped key closes it too
        await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen")


# -- footer and status line ------------------------------------------------------


@pytest.mark.parametrize("width", [80, 200])
async def test_footer_keeps_help_and_quit_on_every_view(tmp_path, width):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(width, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        for view, (name, _keys) in VIEW_KEYS.items():
            await pilot.press(view)
            await wait_for(pilot, lambda: screen_name(app) == name)
            await wait_for(pilot, lambda: "? Help" in footer_text(app) and "q Quit" in footer_text(app),
                           what=lambda: f"help and quit in the footer of {name}: {footer_text(app)!r}")
            footer = footer_text(app).rstrip()
            assert footer.endswith("q Quit"), footer  # pinned at the right, after the view's keys
            if name == "GuestsScreen":
                assert "s Start" in footer
                if width == 200:
                    assert "R Rename" in footer
            words = [part.strip() for part in footer.replace("▏", "  ").split("  ") if part.strip()]
            assert all(" " in part for part in words), words  # every key shown has its words


async def test_footer_refits_when_the_terminal_narrows(tmp_path):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        await wait_for(pilot, lambda: "R Rename" in footer_text(app), what=lambda: footer_text(app))
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: "R Rename" not in footer_text(app) and "q Quit" in footer_text(app),
                       what=lambda: footer_text(app))
        assert len(footer_text(app)) == 80


async def test_the_footer_names_the_shown_views_keys_after_fast_switches_and_a_filter(tmp_path):
    """Each view keeps a footer of its own; switches and focus moves typed at once leave
    the shown one naming that view's keys, never the other view's or the filter's."""
    from .test_typeahead import burst

    app = make_app(tmp_path, "--demo")

    def footer() -> str:
        return (screen_lines(app) or [""])[-1]  # a screen just switched to may not be drawn yet

    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 9, what="the demo guests")
        burst(app, "2", "1", "2", "1", "2")
        await wait_for(pilot, lambda: screen_name(app) == "NetworksScreen" and "XML" in footer(),
                       what=lambda: footer())
        assert "Reboot" not in footer() and "q Quit" in footer(), footer()
        burst(app, "1", "/")
        await wait_for(pilot, lambda: "esc Clear filter" in footer(), what=lambda: footer())
        assert "Reboot" not in footer() and "XML" not in footer(), footer()
        burst(app, "escape", "2", "1")
        await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen" and "Reboot" in footer(),
                       what=lambda: footer())
        assert "Clear filter" not in footer() and "q Quit" in footer(), footer()


async def test_badges_stay_on_screen_at_80_columns(tmp_path):
    app = make_app(tmp_path, "--demo", "--read-only")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.inventory.guests) > 0)
        await pilot.press("z")
        for view in "123456":
            await pilot.press(view)
            await wait_for(pilot, lambda: all(badge in screen_lines(app)[0]
                                              for badge in ("DEMO HOST", "READ-ONLY", "STATS PAUSED")),
                           what=lambda: f"the badges on view {view}: {screen_lines(app)[0]!r}")
        await pilot.press("z")
        await wait_for(pilot, lambda: "STATS PAUSED" not in screen_lines(app)[0])
        assert "READ-ONLY" in screen_lines(app)[0]
