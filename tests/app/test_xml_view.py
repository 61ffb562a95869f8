"""`x`: the XML of a guest, network or pool, and editing it in $EDITOR, against the
test driver. The editor is a small script that changes the file as a test says."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

import libvirt
import pytest

from .conftest import cell_text, column_cells, make_app, wait_for

NAME = "vd-h1 xml [1] <&>'\"é"

EDITOR = r'''
import os, sys
path = sys.argv[1]
mode = os.environ["VD_H1_EDIT"]
text = open(path, encoding="utf-8").read()
if mode == "memory":
    text = text.replace(">131072</memory>", ">262144</memory>")
elif mode == "broken":
    text = text.replace("</name>", "</nam>", 1)
elif mode == "rename":
    text = text.replace("vd-h1 xml", "vd-h1 other", 1)
elif mode == "bad-value":
    text = text.replace(">131072</memory>", ">lots</memory>")
elif mode == "fix":  # given back after a refusal: the user's text, the reason on its first line
    if not text.startswith("<!-- virtdeck: not defined: libvirt refused it: ") or ">lots</memory>" not in text:
        sys.exit(4)
    text = text.replace(">lots</memory>", ">131072</memory>")
elif mode == "title":
    text = text.replace("(transient)</title>", "(edited)</title>")
elif mode == "fail":
    sys.exit(3)
open(path, "w", encoding="utf-8").write(text)
'''


def guest_xml() -> str:
    dom = ET.Element("domain", type="test")
    ET.SubElement(dom, "name").text = NAME
    ET.SubElement(dom, "memory", unit="KiB").text = "131072"
    ET.SubElement(ET.SubElement(dom, "os"), "type").text = "hvm"
    return ET.tostring(dom, encoding="unicode")


@pytest.fixture
def editor(tmp_path, monkeypatch):
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)

    def mode(what: str) -> None:
        monkeypatch.setenv("VD_H1_EDIT", what)

    return mode


def memory_of(conn: libvirt.virConnect) -> str:
    """The persistent definition's <memory>, through a connection of the test's own."""
    root = ET.fromstring(conn.lookupByName(NAME).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    return root.findtext("memory")


def select(app, name):
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name").endswith(name))
    table.move_cursor(row=table.get_row_index(key))


def screen_name(app) -> str:
    return type(app.screen).__name__


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def open_xml(app, pilot):
    await wait_for(pilot, lambda: any(c.plain.endswith(NAME) for c in column_cells(app.screen.table, "name")),
                   what="the guest listed")
    select(app, NAME)
    await pilot.press("x")
    await wait_for(pilot, lambda: screen_name(app) == "XmlScreen" and app.screen.xml is not None, what="the XML")


async def test_view_then_edit_memory_no_then_yes(tmp_path, fresh_default, editor):
    fresh_default.defineXML(guest_xml())
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        await open_xml(app, pilot)
        view = app.screen
        assert f"<name>{NAME.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}" in view.xml \
            or NAME in ET.fromstring(view.xml).findtext("name")
        assert ET.fromstring(view.xml).findtext("name") == NAME
        assert "131072" in view.query_one("#xml-text").content.code  # the highlighted Syntax holds the XML
        assert view.check_action("edit", ()) is True

        editor("memory")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "XmlDiffScreen", what="the diff")
        diff = app.screen.diff
        assert "-  <memory unit='KiB'>131072</memory>" in diff and "+  <memory unit='KiB'>262144</memory>" in diff
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "XmlScreen")
        assert memory_of(fresh_default) == "131072"
        assert "Edit dropped: nothing defined." in notes(app)

        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "XmlDiffScreen", what="the diff again")
        await pilot.press("y")
        await wait_for(pilot, lambda: memory_of(fresh_default) == "262144", what="the new definition")
        await wait_for(pilot, lambda: "262144" in (view.xml or ""), what="the view reloaded")
        assert "new definition saved" in " ".join(notes(app))

        editor("nothing")
        await pilot.press("e")
        await wait_for(pilot, lambda: "No change: nothing defined." in notes(app), what="no change said")
        assert screen_name(app) == "XmlScreen"


async def test_parse_error_rename_and_define_error(tmp_path, fresh_default, editor):
    fresh_default.defineXML(guest_xml())
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        await open_xml(app, pilot)

        editor("broken")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "XmlProblemScreen", what="the parse error")
        problem = app.screen.problem
        assert problem.line == 2 and problem.column is not None and "does not parse" in problem.text
        assert problem.text.count("column") == 0  # the position is said once, by the dialog
        assert "line 2, column" in app.screen.query_one("#problem").content.plain
        editor("memory")  # "edit again" starts from the broken text: memory changes, the name stays broken
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "XmlProblemScreen" and app.screen.problem is not problem,
                       what="still broken after the re-edit")
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "XmlScreen")
        assert memory_of(fresh_default) == "131072"

        editor("rename")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "XmlProblemScreen", what="the rename refused")
        assert "use rename" in app.screen.problem.text
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "XmlScreen")
        assert fresh_default.lookupByName(NAME)
        assert "vd-h1 other" not in " ".join(d.name() for d in fresh_default.listAllDomains())

        editor("bad-value")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "XmlDiffScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen_name(app) == "XmlProblemScreen", what="libvirt's refusal")
        assert app.screen.problem.text.startswith("libvirt refused it: ") and app.screen.problem.line is None
        assert memory_of(fresh_default) == "131072"
        editor("fix")  # edit again: the editor gets the refused text back with the reason, not the original
        await pilot.press("e")
        await wait_for(pilot, lambda: "No change: nothing defined." in notes(app), what="the fixed edit")
        assert screen_name(app) == "XmlScreen"

        # Someone else defines a change while the view is open: the edit is refused, theirs stays.
        defined = fresh_default.lookupByName(NAME).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        fresh_default.defineXML(defined.replace(">131072<", ">196608<"))
        editor("memory")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "XmlDiffScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: any("changed since it was shown" in m for m in notes(app)),
                       what="the edit refused")
        assert memory_of(fresh_default) == "196608"
        fresh_default.defineXML(defined)

        editor("fail")
        await pilot.press("e")
        await wait_for(pilot, lambda: any("exited with status 3" in m for m in notes(app)), what="editor failure")
        assert memory_of(fresh_default) == "131072"


async def test_network_and_pool_xml(tmp_path, fresh_default, editor):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1)
        await pilot.press("2")
        await wait_for(pilot, lambda: screen_name(app) == "NetworksScreen" and app.screen.table.row_count >= 1)
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_name(app) == "XmlScreen" and app.screen.xml is not None)
        assert ET.fromstring(app.screen.xml).tag == "network"
        editor("nothing")
        await pilot.press("e")
        await wait_for(pilot, lambda: "No change: nothing defined." in notes(app))
        await pilot.press("escape")
        await pilot.press("3")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen" and app.screen.table.row_count >= 1)
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_name(app) == "XmlScreen" and app.screen.xml is not None)
        assert ET.fromstring(app.screen.xml).tag == "pool"


async def test_read_only_host_views_only(tmp_path, fresh_default, editor):
    fresh_default.defineXML(guest_xml())
    app = make_app(tmp_path, "--read-only", "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        await open_xml(app, pilot)
        assert app.screen.check_action("edit", ()) is None
        assert "read-only host: view only" in app.screen.query_one("#xml-title").content.plain
        editor("memory")
        await pilot.press("e")
        await wait_for(pilot, lambda: any("read-only" in m for m in notes(app)), what="the reason")
        app.clear_notifications()
        app.screen.action_edit()  # even called directly, it refuses and says why
        await wait_for(pilot, lambda: any("read-only" in m for m in notes(app)), what="the reason again")
        assert screen_name(app) == "XmlScreen"
        assert memory_of(fresh_default) == "131072"


async def test_read_only_guest_details_disable_freeze(tmp_path, fresh_default):
    from .test_guest_details import NAME as ODD, odd_guest_xml

    fresh_default.defineXML(odd_guest_xml()).create()
    app = make_app(tmp_path, "--read-only", "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: any(c.plain.endswith(ODD) for c in column_cells(app.screen.table, "name")))
        select(app, ODD)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen")
        app.screen.show_tab("agent")
        agent = app.screen.tab("agent")
        await wait_for(pilot, lambda: agent.data is not None, what="the agent read")
        assert agent.why_not() == "the host is read-only"
        await pilot.press("t")
        await wait_for(pilot, lambda: any("Can't thaw: the host is read-only" in m for m in notes(app)))
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_name(app) == "XmlScreen" and app.screen.xml is not None)
        assert app.screen.check_action("edit", ()) is None


async def test_a_transient_guests_edit_asks_how_and_says_what_each_does(tmp_path, editor):
    """The demo's ci-runner-01 is transient: its header says so, and its edit asks first."""
    app = make_app(tmp_path, "--demo")
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: any(c.plain.endswith("ci-runner-01")
                                          for c in column_cells(app.screen.table, "name")), what="the demo guests")
        select(app, "ci-runner-01")
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_name(app) == "XmlScreen" and app.screen.xml is not None, what="the XML")
        view = app.screen
        assert "transient guest: its running definition" in view.query_one("#xml-title").content.plain

        editor("title")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "XmlTransientScreen", what="the question")
        said = app.screen.query_one("#choices").content.plain
        assert "p: define it persistent" in said and "r: restart it from this XML" in said and "n / escape" in said
        await pilot.press("n")
        await wait_for(pilot, lambda: "Edit dropped: nothing changed." in notes(app), what="dropped")
        assert view.scope.transient and "(transient)</title>" in view.xml

        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "XmlTransientScreen", what="the question again")
        await pilot.press("p")
        await wait_for(pilot, lambda: view.scope is not None and not view.scope.transient
                       and "(edited)</title>" in (view.xml or ""), what="defined persistent")
        assert any("defined persistent" in m for m in notes(app))
        assert "transient" not in view.query_one("#xml-title").content.plain
