"""Snapshots, save/restore, export/import and backup on the test driver, with a guest whose name
is full of markup; every result checked through a separate libvirt connection."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt

from tui.backend.ops import recovery
from tui.backend.ops.snapshots import INTERNAL_MEMORY
from tui.forms import recovery_forms
from tui.forms.snapshot_forms import NewSnapshot

from .conftest import cell_text, make_app, wait_for

NAME = "vd-h3 [x] <&>'\"é"


def guest_xml() -> str:
    dom = ET.Element("domain", type="test")
    ET.SubElement(dom, "name").text = NAME
    ET.SubElement(dom, "memory").text = "65536"
    ET.SubElement(ET.SubElement(dom, "os"), "type").text = "hvm"
    disk = ET.SubElement(ET.SubElement(dom, "devices"), "disk", type="file", device="disk")
    ET.SubElement(disk, "driver", name="qemu", type="qcow2")
    ET.SubElement(disk, "source", file="/guest/vd-h3.qcow2")
    ET.SubElement(disk, "target", dev="vda", bus="virtio")
    return ET.tostring(dom, encoding="unicode")


def define_guest(conn: libvirt.virConnect, start: bool = True) -> libvirt.virDomain:
    dom = conn.defineXML(guest_xml())
    if start:
        dom.create()
    return dom


def screen_name(app) -> str:
    return type(app.screen).__name__


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def open_tab(app, pilot, tab_id: str):
    await wait_for(pilot, lambda: any(g.name == NAME for g in app.inventory.guests.values()), what="the guest")
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name").endswith(NAME))
    table.move_cursor(row=table.get_row_index(key))
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen", what="the detail screen")
    app.screen.show_tab(tab_id)
    tab = app.screen.tab(tab_id)
    await wait_for(pilot, lambda: tab.has_focus_within, what=f"the {tab_id} tab focused")
    return tab


async def take_snapshot(app, pilot, tab, name: str, description: str = "") -> None:
    await pilot.press("n")
    await wait_for(pilot, lambda: screen_name(app) == "CreateSnapshotScreen", what="the snapshot form")
    app.screen.query_one("#name").value = name
    app.screen.query_one("#description").value = description
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: any(s.name == name for s in tab.snapshots), what=f"snapshot {name} listed")


async def snapshots_taken(app, pilot, *names: str):
    """The snapshots tab, once it has read the list and taken `names` one after another."""
    tab = await open_tab(app, pilot, "snapshots")
    await wait_for(pilot, lambda: tab.loaded, what="the snapshots read")
    for name in names:
        await take_snapshot(app, pilot, tab, name)
    return tab


def select_snapshot(tab, name: str) -> None:
    node = next(n for n in tab.snapshot_tree._tree_nodes.values() if n.data == name)
    tab.snapshot_tree.move_cursor(node)


def tree_text(tab) -> str:
    return "\n".join(str(n.label) for n in tab.snapshot_tree._tree_nodes.values())


async def test_snapshot_tree_create_revert_delete(tmp_path, fresh_default):
    dom = define_guest(fresh_default)
    first, second, third = f"{NAME} one", "two <b>", "three [red]"
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        tab = await open_tab(app, pilot, "snapshots")
        await wait_for(pilot, lambda: tab.loaded, what="the snapshots read")
        assert tab.snapshots == ()

        # a name that is taken or has a slash is refused next to the field
        await take_snapshot(app, pilot, tab, first, "desc <&> [b]")
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "CreateSnapshotScreen")
        form = app.screen
        form.query_one("#name").value = first
        await pilot.press("ctrl+s")
        assert screen_name(app) == "CreateSnapshotScreen"
        assert "already has a snapshot" in str(form.query_one("#name-error").content)
        form.query_one("#name").value = "a/b"
        await pilot.press("ctrl+s")
        assert "'/'" in str(form.query_one("#name-error").content)
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen")

        snap = dom.snapshotLookupByName(first)
        assert ET.fromstring(snap.getXMLDesc()).findtext("description") == "desc <&> [b]"
        assert ET.fromstring(snap.getXMLDesc()).find("memory").get("snapshot") == "internal"

        dom.suspend()  # the second is taken while paused: reverting to it leaves the guest paused
        await take_snapshot(app, pilot, tab, second)
        dom.resume()
        await take_snapshot(app, pilot, tab, third)
        assert dom.snapshotLookupByName(second).getParent().getName() == first
        assert dom.snapshotLookupByName(third).getParent().getName() == second
        assert [(s.name, s.depth) for s in tab.snapshots] == [(first, 0), (second, 1), (third, 2)]
        assert [s.name for s in tab.snapshots if s.current] == [third]
        text = tree_text(tab)
        assert first in text and "desc <&> [b]" in text and "internal" in text and " current" in text

        # revert to the paused one: confirm first; "n" leaves everything as it was
        select_snapshot(tab, second)
        await pilot.pause()
        await pilot.press("v")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the revert question")
        assert "lost unless you snapshot it first" in app.screen.question and "paused" in app.screen.question
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen")
        assert dom.snapshotCurrent().getName() == third
        await pilot.press("v")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: dom.snapshotCurrent().getName() == second, what="the revert")
        assert dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED
        await wait_for(pilot, lambda: [s.name for s in tab.snapshots if s.current] == [second])

        # delete the first, keeping its children: the second becomes a root
        select_snapshot(tab, first)
        await pilot.pause()
        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "DeleteSnapshotScreen", what="the delete form")
        assert app.screen.descendants == (second, third) or set(app.screen.descendants) == {second, third}
        await pilot.press("y")
        await wait_for(pilot, lambda: [s.name for s in tab.snapshots] == [second, third], what="first gone")
        assert sorted(s.getName() for s in dom.listAllSnapshots()) == sorted([second, third])
        assert dom.snapshotLookupByName(third).getParent().getName() == second
        try:
            dom.snapshotLookupByName(second).getParent()
            raise AssertionError("the second should have no parent now")
        except libvirt.libvirtError:
            pass

        # delete the second with its children
        select_snapshot(tab, second)
        await pilot.pause()
        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "DeleteSnapshotScreen")
        app.screen.query_one("#children").value = "children"
        await pilot.press("y")
        await wait_for(pilot, lambda: tab.loaded and tab.snapshots == (), what="all gone")
        assert dom.listAllSnapshots() == []


async def test_a_key_typed_as_the_list_reloads_acts_on_the_snapshot_it_moved_to(tmp_path, fresh_default):
    """Up typed the moment a new snapshot is listed, then v: the question names the one above,
    never the new one the reload selected."""
    dom = define_guest(fresh_default)
    first, second = "one <&>", "two [b]"
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        tab = await snapshots_taken(app, pilot, first, second)
        # The list's answer lands (the new snapshot selected) and up is handled before the next frame.
        tab._show(tab.snapshots, None, second)
        tab.snapshot_tree.action_cursor_up()
        await pilot.press("v")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the revert question")
        assert f"to snapshot {first}?" in app.screen.question, app.screen.question
        await pilot.press("y")
        await wait_for(pilot, lambda: dom.snapshotCurrent().getName() == first, what="the revert to the first")


async def test_a_take_that_ends_after_the_user_moved_leaves_the_cursor_where_the_user_put_it(tmp_path, fresh_default):
    """The cursor follows a new snapshot only when it is still where it was when the take began."""
    dom = define_guest(fresh_default)
    first, second, third = "one <&>", "two [b]", "three"
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        tab = await snapshots_taken(app, pilot, first, second)
        await wait_for(pilot, lambda: tab.selected_name() == second, what="the second selected")
        # The take is under way (its answer can only land once this coroutine yields) when the user moves up.
        tab._create(NewSnapshot(third, "", INTERNAL_MEMORY))
        select_snapshot(tab, first)
        await wait_for(pilot, lambda: any(f"snapshot {third} taken" in n for n in notes(app)), what="the take's end")
        await wait_for(pilot, lambda: any(s.name == third for s in tab.snapshots), what=f"{third} listed")
        assert dom.snapshotCurrent().getName() == third
        assert tab.selected_name() == first
        await pilot.press("v")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the revert question")
        assert f"to snapshot {first}?" in app.screen.question, app.screen.question


async def test_refused_snapshots_show_libvirts_words_and_offer_external(tmp_path, fresh_default):
    dom = define_guest(fresh_default)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        tab = await open_tab(app, pilot, "snapshots")
        await wait_for(pilot, lambda: tab.loaded)
        # external disk-only: the test driver refuses the flag, and the user reads why
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "CreateSnapshotScreen")
        form = app.screen
        form.query_one("#name").value = "first"
        form.query_one("#kind").value = "external-disk"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("unsupported flags" in n for n in notes(app)), what="libvirt's words")
        assert screen_name(app) == "GuestDetailScreen"  # nothing else to offer after an external one
        assert dom.listAllSnapshots() == []

        # an internal one refused (here: the name was taken behind the form's back) offers external
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "CreateSnapshotScreen")
        app.screen.query_one("#name").value = "raced"
        dom.snapshotCreateXML("<domainsnapshot><name>raced</name></domainsnapshot>", 0)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the external offer")
        assert "refused the internal snapshot" in app.screen.question and "disk-only external" in app.screen.question
        count = len(notes(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: len(notes(app)) > count and "unsupported flags" in notes(app)[-1],
                       what="the external attempt refused in libvirt's words")
        assert [s.getName() for s in dom.listAllSnapshots()] == ["raced"]


async def test_mixing_kinds_warns_before_taking(tmp_path, fresh_default):
    from tui.backend.ops import snapshots as ops
    from tui.forms.snapshot_forms import CreateSnapshotScreen

    plan = ops.SnapshotPlan(True, (ops.INTERNAL_MEMORY, ops.EXTERNAL_DISK), None, has_internal=True,
                            has_external=False, taken=frozenset())
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        answers = []
        app.push_screen(CreateSnapshotScreen(NAME, plan, ops.EXTERNAL_DISK), answers.append)
        await wait_for(pilot, lambda: screen_name(app) == "CreateSnapshotScreen")
        assert "internal snapshots" in str(app.screen.query_one("#warning").content)
        await pilot.press("ctrl+s")
        assert answers == [] and "again" in str(app.screen.query_one("#warning").content)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: answers, what="the form answered")
        assert answers[0].kind == ops.EXTERNAL_DISK


async def test_export_and_import_definition_round_trip(tmp_path, fresh_default, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    dom = define_guest(fresh_default, start=False)
    uuid = dom.UUIDString()
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        tab = await open_tab(app, pilot, "backup")
        await pilot.press("E")
        await wait_for(pilot, lambda: screen_name(app) == "PathScreen", what="the export form")
        default = app.screen.query_one("#path").value
        assert default == str(tmp_path / "vd-h3_x.xml")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("definition written" in n for n in notes(app)), what="the export")
        exported = tmp_path / "vd-h3_x.xml"
        root = ET.fromstring(exported.read_text(encoding="utf-8"))
        assert root.findtext("name") == NAME and root.findtext("uuid") == uuid

        # exporting again does not overwrite unless asked to
        await pilot.press("E")
        await wait_for(pilot, lambda: screen_name(app) == "PathScreen")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("exists" in n for n in notes(app)), what="the refusal")
        assert screen_name(app) == "PathScreen"  # the refused form stays, to tick replace or change the path
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen")

        # importing while the guest exists is refused in the form, with the reason
        assert any(c.title == "Import a guest definition" for c in app.get_system_commands(app.screen))
        recovery_forms.import_definition(app, app.inventory, app.actions.guest_detail)
        await wait_for(pilot, lambda: screen_name(app) == "HostPathScreen", what="the import form")
        form = app.screen
        form.query_one("#path").value = str(exported)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "already has a guest with that name" in str(form.query_one("#path-error").content),
                       what="the refusal")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen")

        dom.undefine()
        await wait_for(pilot, lambda: not any(g.name == NAME for g in app.inventory.guests.values()))
        recovery_forms.import_definition(app, app.inventory, app.actions.guest_detail)
        await wait_for(pilot, lambda: screen_name(app) == "HostPathScreen")
        app.screen.query_one("#path").value = str(exported)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(n.endswith("defined on test:///default") or "defined on" in n
                                          for n in notes(app)), what="the import")
        again = fresh_default.lookupByName(NAME)
        assert again.UUIDString() == uuid and not again.isActive()


async def test_save_to_a_file_and_restore(tmp_path, fresh_default):
    dom = define_guest(fresh_default)
    saved = tmp_path / "vd-h3.save"
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        tab = await open_tab(app, pilot, "backup")
        await pilot.press("S")
        await wait_for(pilot, lambda: screen_name(app) == "PathScreen", what="the save form")
        assert app.screen.query_one("#path").value == recovery.default_save_path(NAME)
        app.screen.query_one("#path").value = str(saved)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("saved to" in n for n in notes(app)), what="the save")
        assert not dom.isActive() and saved.exists()
        await wait_for(pilot, lambda: tab.guest is not None and tab.guest.state == "shut off")
        assert tab.check_action("save", ()) is None and tab.check_action("backup", ()) is None

        await pilot.press("S")  # not running: says why
        await wait_for(pilot, lambda: any("only a running guest" in n for n in notes(app)), what="the reason")
        await pilot.press("B")
        await wait_for(pilot, lambda: any("push-mode backup needs a running guest" in n for n in notes(app)))
        assert screen_name(app) == "GuestDetailScreen"

        assert any(c.title == "Restore a guest from a saved file" for c in app.get_system_commands(app.screen))
        recovery_forms.restore_from_file(app, app.inventory, app.actions.guest_detail)
        await wait_for(pilot, lambda: screen_name(app) == "HostPathScreen", what="the restore form")
        app.screen.query_one("#path").value = str(tmp_path / "missing.save")
        await pilot.press("ctrl+s")
        form = app.screen
        await wait_for(pilot, lambda: str(form.query_one("#path-error").content) not in ("", "working…"),
                       what="libvirt's refusal")
        assert screen_name(app) == "HostPathScreen"
        form.query_one("#path").value = str(saved)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("restored on" in n for n in notes(app)), what="the restore")
        assert dom.isActive()


async def test_backup_on_the_test_driver_says_libvirts_words(tmp_path, fresh_default):
    define_guest(fresh_default)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        await open_tab(app, pilot, "backup")
        await pilot.press("B")
        await wait_for(pilot, lambda: screen_name(app) == "PathScreen", what="the backup form")
        assert app.screen.query_one("#path").value == "/guest"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("backup failed" in n and "not supported" in n for n in notes(app)),
                       what="libvirt's words")


async def test_read_only_host_disables_every_key(tmp_path, fresh_default):
    dom = define_guest(fresh_default)
    dom.snapshotCreateXML("<domainsnapshot><name>ro</name></domainsnapshot>", 0)
    app = make_app(tmp_path, "-c", "test:///default", "--read-only")
    async with app.run_test(size=(200, 50)) as pilot:
        tab = await open_tab(app, pilot, "snapshots")
        await wait_for(pilot, lambda: [s.name for s in tab.snapshots] == ["ro"], what="the snapshot listed")
        for action in ("create", "revert", "delete"):
            assert tab.check_action(action, ()) is None
        for key in ("n", "v", "D"):
            await pilot.press(key)
            assert screen_name(app) == "GuestDetailScreen"
        assert sum("read-only" in n for n in notes(app)) == 3
        app.screen.show_tab("backup")
        backup = app.screen.tab("backup")
        await wait_for(pilot, lambda: backup.has_focus_within)
        for action in ("save", "export", "backup"):
            assert backup.check_action(action, ()) is None
        for key in ("S", "E", "B"):
            await pilot.press(key)
            assert screen_name(app) == "GuestDetailScreen"
        assert sum("read-only" in n for n in notes(app)) == 6
        assert dom.isActive() and [s.getName() for s in dom.listAllSnapshots()] == ["ro"]
