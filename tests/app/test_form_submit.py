"""The forms that once ran their own submit now go through FormScreen's: each submit button, enter
and ctrl+s check the fields, show a problem where it was typed and keep the form open, and only
then preview or answer. Against the test driver; nothing is defined."""

from __future__ import annotations

from tui.backend.ops import snapshots as ops
from tui.forms import recovery_forms
from tui.forms.snapshot_forms import CreateSnapshotScreen

from .conftest import make_app, wait_for


def screen_name(app) -> str:
    return type(app.screen).__name__


def shown(form, box: str) -> str:
    widget = form.query_one(f"#{box}")
    return widget.render().plain if widget.display else ""


async def test_new_network_buttons_and_enter_take_the_form_path(tmp_path, fresh_default):
    before = {n.name() for n in fresh_default.listAllNetworks()}
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: screen_name(app) == "NetworksScreen", what="the networks view")
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "NewNetworkScreen", what="the new-network form")
        form = app.screen
        await wait_for(pilot, lambda: form.facts is not None, what="the host's networks read")

        # enter in a static host's field adds the host; it does not submit
        form.query_one("#host-mac").value = "52:54:00:aa:00:01"
        form.query_one("#host-ip").value = "192.168.100.10"
        form.query_one("#host-ip").focus()
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(form.static_hosts) == 1, what="the static host added")
        assert app.screen is form

        # the Define button with a bad name: refused, the problem under the name, focus on it
        form.query_one("#name").value = "a/b"
        await pilot.pause()
        form.query_one("#define").press()
        await wait_for(pilot, lambda: "'/'" in shown(form, "name-error"), what="the name's problem")
        assert app.screen is form and form.focused is form.query_one("#name")

        # enter in the name field, once it is good, opens the preview; n goes back
        form.query_one("#name").value = "vd-h6-submit"
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen", what="the XML preview")
        assert "vd-h6-submit" in app.screen.xml and "52:54:00:aa:00:01" in app.screen.xml
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is form, what="back in the form")
    assert {n.name() for n in fresh_default.listAllNetworks()} == before


async def test_snapshot_button_checks_the_name_where_it_is_typed(tmp_path, fresh_default):
    plan = ops.SnapshotPlan(True, (ops.EXTERNAL_DISK,), None, has_internal=False, has_external=False,
                            taken=frozenset({"before-upgrade"}))
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        answers = []
        app.push_screen(CreateSnapshotScreen("vd [x]", plan), answers.append)
        await wait_for(pilot, lambda: screen_name(app) == "CreateSnapshotScreen", what="the snapshot form")
        form = app.screen
        form.query_one("#name").value = "before-upgrade"
        await pilot.pause()
        assert "already has a snapshot" in shown(form, "name-error")  # as typed
        form.query_one("#create").press()
        await pilot.pause()
        assert answers == [] and app.screen is form  # refused
        form.query_one("#name").value = "after"
        form.query_one("#description").value = "pasted \ufffe"  # XML cannot carry it: libvirt would refuse
        await pilot.pause()
        assert shown(form, "name-error") == "" and "U+FFFE" in shown(form, "description-error")
        form.query_one("#create").press()
        await pilot.pause()
        assert answers == [] and app.screen is form
        form.query_one("#description").value = "a [b] c"
        await pilot.pause()
        assert shown(form, "name-error") == shown(form, "description-error") == ""
        form.query_one("#create").press()
        await wait_for(pilot, lambda: answers, what="the form answered")
        assert (answers[0].name, answers[0].description, answers[0].kind) == ("after", "a [b] c", ops.EXTERNAL_DISK)


async def test_host_path_form_checks_the_path_as_typed(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: app.inventory.hosts, what="the host")
        recovery_forms.import_definition(app, app.inventory, app.actions.guest_detail)
        await wait_for(pilot, lambda: screen_name(app) == "HostPathScreen", what="the import form")
        form = app.screen
        form.query_one("#path").value = "relative.xml"
        await pilot.pause()
        assert "absolute path" in shown(form, "path-error")  # as typed, before any submit
        form.query_one("#ok").press()
        await pilot.pause()
        assert app.screen is form and "absolute path" in shown(form, "path-error")
        form.query_one("#path").value = str(tmp_path / "missing.xml")
        await pilot.pause()
        assert shown(form, "path-error") == ""
        form.query_one("#ok").press()
        await wait_for(pilot, lambda: shown(form, "path-error") not in ("", "working…"), what="the refusal")
        assert app.screen is form and form.query_one("#path").value == str(tmp_path / "missing.xml")
