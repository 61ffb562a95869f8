"""Rename, clone, reset, migrate's refusals and keys that say why they do not apply, on the test driver."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import libvirt

from .conftest import make_app, wait_for
from .test_guest_delete import define_with_disk
from .test_guest_lifecycle import select

ODD = "src [x] <&>'\"é"


def drop_volumes(conn, *names):
    pool = conn.storagePoolLookupByName("default-pool")
    for name in names:
        try:
            pool.storageVolLookupByName(name).delete(0)
        except libvirt.libvirtError:
            pass


def screen_name(app) -> str:
    return type(app.screen).__name__


async def test_rename_then_clone_an_odd_named_guest(tmp_path, fresh_default):
    define_with_disk(fresh_default, ODD, "src-é.img", start=False, mac="52:54:00:12:34:56")
    renamed = ODD + " renamed"
    app = make_app(tmp_path, "-c", "test:///default")
    try:
        async with app.run_test(size=(200, 45)) as pilot:
            await wait_for(pilot, lambda: app.screen.table.row_count == 2)
            select(app, ODD)
            await pilot.press("R")
            await wait_for(pilot, lambda: screen_name(app) == "RenameGuestScreen", what="the rename form")
            form = app.screen
            form.query_one("#name").value = "test"  # taken on this host
            await pilot.press("ctrl+s")
            assert screen_name(app) == "RenameGuestScreen"
            assert "exists already" in form.query_one("#name-error").render().plain
            form.query_one("#name").value = "a/b"
            await pilot.pause()
            assert "'/'" in form.query_one("#name-error").render().plain
            form.query_one("#name").value = renamed
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: any(g.name == renamed for g in app.inventory.guests.values()),
                           what="the new name listed")
            assert fresh_default.lookupByName(renamed).name() == renamed
            assert ODD not in {d.name() for d in fresh_default.listAllDomains()}

            select(app, renamed)
            await pilot.press("C")
            await wait_for(pilot, lambda: screen_name(app) == "CloneGuestScreen", what="the clone form")
            form = app.screen
            assert form.query_one("#name").value == renamed + "-clone"
            assert "src-é.img → src-é.img" not in str(form.query_one("#copies").render())
            clone_name = "copy <&> [y] é"
            form.query_one("#name").value = clone_name
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: any(g.name == clone_name for g in app.inventory.guests.values()),
                           timeout=20, what="the clone listed")
            clone = fresh_default.lookupByName(clone_name)
            assert not clone.isActive()
            root = ET.fromstring(clone.XMLDesc(0))
            original = ET.fromstring(fresh_default.lookupByName(renamed).XMLDesc(0))
            assert root.findtext("uuid") != original.findtext("uuid")
            assert root.find("devices/interface/mac").get("address") != "52:54:00:12:34:56"
            new_path = root.find("devices/disk/source").get("file")
            assert new_path != original.find("devices/disk/source").get("file")
            assert fresh_default.storageVolLookupByPath(new_path).info()[1] == 1 << 30
    finally:
        drop_volumes(fresh_default, "src-é.img", *[v for v in fresh_default.storagePoolLookupByName("default-pool")
                                                   .listVolumes() if v.startswith("copy")])


async def test_a_failed_clone_leaves_no_volume(tmp_path, fresh_default):
    define_with_disk(fresh_default, ODD, "src-é.img", start=False, mac="52:54:00:12:34:56")
    fresh_default.defineXML("<domain type='test'><name>taken</name><memory>65536</memory>"
                            "<os><type>hvm</type></os></domain>")
    app = make_app(tmp_path, "-c", "test:///default")
    pool = fresh_default.storagePoolLookupByName("default-pool")
    before = set(pool.listVolumes())
    try:
        async with app.run_test(size=(200, 45)) as pilot:
            await wait_for(pilot, lambda: app.screen.table.row_count == 3)
            select(app, ODD)
            await pilot.press("C")
            await wait_for(pilot, lambda: screen_name(app) == "CloneGuestScreen")
            form = app.screen
            form.taken = set()  # the form no longer knows: libvirt refuses the define after the copy
            form.query_one("#name").value = "taken"
            await pilot.press("ctrl+s")
            # back to the form, the name as typed and libvirt's words in it
            await wait_for(pilot, lambda: app.screen is form
                           and "Failed" in form.query_one("#form-error").render().plain,
                           timeout=20, what="the failure in the form")
            assert "taken" in form.query_one("#form-error").render().plain
            assert form.query_one("#name").value == "taken"
            assert set(pool.listVolumes()) == before
    finally:
        drop_volumes(fresh_default, "src-é.img")


async def test_keys_that_do_not_apply_say_why(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 45)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        select(app, "test")  # running
        assert app.screen.check_action("rename", ()) is None
        await pilot.press("R")
        await wait_for(pilot, lambda: any("shut it off to rename" in str(n.message) for n in app._notifications),
                       what="the reason")
        assert screen_name(app) == "GuestsScreen"
        await pilot.press("s")
        await wait_for(pilot, lambda: any("is running" in str(n.message) for n in app._notifications))

        await pilot.press("ctrl+r")  # reset confirms first
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.last_batch is not None and app.last_batch.verb == "reset")
        assert not app.last_batch.failed


async def test_migrate_without_a_target_and_to_the_same_host(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 45)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == 1)
        select(app, "test")
        await pilot.press("M")
        await wait_for(pilot, lambda: screen_name(app) == "MigrateGuestScreen")
        assert "No other connected host" in str(app.screen.query_one("#target").render())
        await pilot.press("ctrl+s")
        assert "no host to migrate to" in app.screen.query_one("#error").render().plain
        await pilot.press("escape")

    app = make_app(tmp_path, "-c", "test:///default", "-c", "test:///default?second")
    async with app.run_test(size=(200, 45)) as pilot:
        await wait_for(pilot, lambda: len([h for h in app.inventory.hosts.values() if h.state.value == "connected"]) == 2,
                       what="two hosts")
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1)
        select(app, "test")
        await pilot.press("M")
        await wait_for(pilot, lambda: screen_name(app) == "MigrateGuestScreen")
        form = app.screen
        form.query_one("#address").value = "not an address"
        await pilot.press("ctrl+s")
        assert "tcp://" in form.query_one("#address-error").render().plain
        form.query_one("#address").value = ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is form and "Failed" in form.query_one("#form-error").render().plain,
                       timeout=20, what="the refusal in the form")
        assert "same libvirt host" in form.query_one("#form-error").render().plain
        assert fresh_default.lookupByName("test").isActive()
