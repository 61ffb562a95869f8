"""The new-pool form and the pool keys, against the test driver; every result
checked on a separate libvirt connection."""

from __future__ import annotations

import libvirt
import pytest

from tui.backend.xml.pool import PoolSpec, build_pool_xml, parse_pool_spec

from .conftest import cell_text, column_cells, make_app, wait_for, worker_drained

ODD = "vd-h6 [p] <&>'\"é"


@pytest.fixture
def conn(fresh_default):
    """test:///default, with every vd-h6 pool removed afterwards."""
    yield fresh_default
    for pool in fresh_default.listAllStoragePools():
        if pool.name().startswith("vd-h6"):
            if pool.isActive():
                pool.destroy()
            if pool.isPersistent():
                pool.undefine()


def names(conn) -> set[str]:
    return {p.name() for p in conn.listAllStoragePools()}


def screen_name(app) -> str:
    return type(app.screen).__name__


async def open_form(pilot, app):
    await pilot.press("3")
    await wait_for(pilot, lambda: screen_name(app) == "StorageScreen" and app.screen.table.row_count >= 1,
                   what="the storage view")
    await pilot.press("n")
    await wait_for(pilot, lambda: screen_name(app) == "NewPoolScreen", what="the new-pool form")
    return app.screen


def error_of(form, field: str) -> str:
    widget = form.query_one(f"#{field}-error")
    return widget.render().plain if widget.has_class("shown") else ""


async def put(pilot, form, **fields) -> None:
    for field, text in fields.items():
        form.query_one(f"#{field.replace('_', '-')}").value = text
    await pilot.pause()


def shown(form, field: str) -> bool:
    return not any(node.has_class("hidden") for node in form.query_one(f"#{field}").ancestors_with_self
                   if hasattr(node, "has_class"))


@pytest.mark.parametrize(
    "kind, fields, field, expected",
    [
        ("dir", {"name": ""}, "name", "Enter a pool name"),
        ("dir", {"name": "default-pool"}, "name", "exists already"),
        ("dir", {"target": "images"}, "target", "must be absolute"),
        ("dir", {"target": "/a/../b"}, "target", "without '.' or '..'"),
        ("dir", {"target": "/default-pool"}, "target", "Pool default-pool uses this directory"),
        ("netfs", {"src_host": "bad host!", "src_path": "/export", "target": "/mnt/x"}, "src-host", "Not a valid host"),
        ("netfs", {"src_host": "nas", "src_path": "export", "target": "/mnt/x"}, "src-path", "export path must be"),
        ("logical", {"vg": "-vg"}, "vg", "volume group name"),
        ("logical", {"vg": "vg0", "devices": "/dev/sdb sdc"}, "devices", "must be absolute"),
        ("disk", {"device": "sdb"}, "device", "must be absolute"),
        ("iscsi", {"src_host": "portal", "iqn": "not-an-iqn"}, "iqn", "Not an iSCSI name"),
        ("iscsi", {"src_host": "portal", "iqn": "iqn.2004-04.com.example:d1", "port": "70000"}, "port",
         "between 1 and 65535"),
    ],
)
async def test_bad_input_is_explained_next_to_its_field_and_never_reaches_libvirt(tmp_path, conn, kind, fields, field,
                                                                                  expected):
    before = names(conn)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#type").value = kind
        await pilot.pause()
        await put(pilot, form, **{"name": "vd-h6-bad", **fields})
        if fields.get(field.replace("-", "_")):
            assert expected in error_of(form, field)  # as typed
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen_name(app) == "NewPoolScreen"
        assert expected in error_of(form, field)
    assert names(conn) == before


async def test_each_type_shows_its_own_fields(tmp_path, conn):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        expect = {
            "dir": {"target"},
            "netfs": {"src-host", "src-path", "target"},
            "logical": {"vg", "devices"},
            "disk": {"device", "disk-format"},
            "iscsi": {"src-host", "port", "iqn", "target"},
        }
        every = set().union(*expect.values())
        for kind, fields in expect.items():
            form.query_one("#type").value = kind
            await pilot.pause()
            assert {f for f in every if shown(form, f)} == fields, kind
        # building a volume group formats devices: offered unticked, with the warning
        form.query_one("#type").value = "logical"
        await pilot.pause()
        assert form.query_one("#build").value is False
        assert "FORMATS" in str(form.query_one("#build-effect").render())
        assert form.query_one("#build-effect").has_class("danger")
        form.query_one("#type").value = "iscsi"
        await pilot.pause()
        assert form.query_one("#target").value == "/dev/disk/by-path"


async def test_preview_then_define_an_odd_name_and_build_start_autostart(tmp_path, conn):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        await put(pilot, form, name=ODD, target="/srv/vd-h6 pool")
        form.query_one("#autostart").value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen", what="the preview")
        assert "&lt;&amp;&gt;" in app.screen.xml and "<path>/srv/vd-h6 pool</path>" in app.screen.xml
        assert "build it" in app.screen.steps
        assert ODD not in names(conn)
        await pilot.press("y")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen", what="the form closed")
        await wait_for(pilot, lambda: any(c.plain == ODD for c in column_cells(app.screen.table, "name")),
                       what="the new row, its name intact")
    pool = conn.storagePoolLookupByName(ODD)
    assert pool.isActive() and pool.autostart()
    spec = parse_pool_spec(pool.XMLDesc(0))
    assert (spec.name, spec.type, spec.target_path) == (ODD, "dir", "/srv/vd-h6 pool")


async def test_netfs_and_iscsi_define_what_was_asked(tmp_path, conn):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        for kind, fields in (("netfs", dict(name="vd-h6-nfs", src_host="nas.example", src_path="/export/img",
                                            target="/mnt/vd-h6")),
                             ("iscsi", dict(name="vd-h6-iscsi", src_host="192.0.2.9", port="3260",
                                            iqn="iqn.2004-04.com.example:storage.disk1"))):
            form = await open_form(pilot, app)
            form.query_one("#type").value = kind
            await pilot.pause()
            await put(pilot, form, **fields)
            form.query_one("#start").value = False
            form.query_one("#build").value = False
            await pilot.pause()
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen", what="the preview")
            await pilot.press("y")
            await wait_for(pilot, lambda: screen_name(app) == "StorageScreen", what="the form closed")
            await wait_for(pilot, lambda name=fields["name"]: name in names(conn))
    nfs = parse_pool_spec(conn.storagePoolLookupByName("vd-h6-nfs").XMLDesc(0))
    assert (nfs.host, nfs.source_path, nfs.target_path, nfs.source_format) == (
        "nas.example", "/export/img", "/mnt/vd-h6", "nfs")
    iscsi = parse_pool_spec(conn.storagePoolLookupByName("vd-h6-iscsi").XMLDesc(0))
    assert (iscsi.host, iscsi.port, iscsi.iqn, iscsi.target_path) == (
        "192.0.2.9", 3260, "iqn.2004-04.com.example:storage.disk1", "/dev/disk/by-path")
    assert not conn.storagePoolLookupByName("vd-h6-nfs").isActive()


async def test_a_failed_start_undefines_the_pool_and_says_why(tmp_path, conn, monkeypatch):
    def refuse(self, flags=0):
        raise libvirt.libvirtError("cannot open directory: Permission denied")

    monkeypatch.setattr(libvirt.virStoragePool, "create", refuse)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        await put(pilot, form, name="vd-h6-fail", target="/srv/vd-h6-fail")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: "start failed" in str(form.query_one("#submit-error").render()),
                       what="the failure shown in the form")
        assert "Permission denied" in str(form.query_one("#submit-error").render())
        assert screen_name(app) == "NewPoolScreen"
    assert "vd-h6-fail" not in names(conn)


async def test_pool_keys(tmp_path, conn):
    pool = conn.storagePoolDefineXML(build_pool_xml(PoolSpec(name=ODD, target_path="/srv/vd-h6-keys")), 0)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen" and app.screen.table.row_count == 2)
        table = app.screen.table
        table.move_cursor(row=table.get_row_index(next(k for k in table._cells if cell_text(table, k, "name") == ODD)))
        await pilot.pause()
        screen = app.screen
        assert screen.check_action("verb", ("stop",)) is None and screen.check_action("verb", ("refresh",)) is None
        await pilot.press("s")
        await wait_for(pilot, lambda: pool.isActive(), what="started")
        await wait_for(pilot, lambda: screen.check_action("verb", ("refresh",)) is True)
        await pilot.press("f")
        await wait_for(pilot, lambda: any("refreshed" in str(n.message) for n in app._notifications), what="refresh")
        await pilot.press("a")
        await wait_for(pilot, lambda: pool.autostart() == 1, what="autostart")
        await pilot.press("d")
        await wait_for(pilot, lambda: not pool.isActive(), what="stopped")
        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "DeletePoolScreen", what="delete asks for the name")
        form = app.screen
        await pilot.press("enter")  # name not typed: refused
        assert screen_name(app) == "DeletePoolScreen" and "exactly" in str(form.query_one("#error").render())
        form.query_one("#name").value = ODD
        await pilot.press("enter")
        await wait_for(pilot, lambda: ODD not in names(conn), what="deleted")


async def test_undefine_asks_and_keeps_storage(tmp_path, conn):
    conn.storagePoolDefineXML(build_pool_xml(PoolSpec(name="vd-h6-undef", target_path="/srv/x")), 0).create(0)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen" and app.screen.table.row_count == 2)
        table = app.screen.table
        table.move_cursor(row=table.get_row_index(next(k for k in table._cells
                                                       if cell_text(table, k, "name") == "vd-h6-undef")))
        await pilot.pause()
        await pilot.press("U")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("n")
        await worker_drained(pilot, app)
        assert "vd-h6-undef" in names(conn)
        await pilot.press("U")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: "vd-h6-undef" not in names(conn), what="undefined")


async def test_read_only_host_disables_every_pool_key(tmp_path, conn):
    before = names(conn)
    app = make_app(tmp_path, "-c", "test:///default", "--read-only")
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen" and app.screen.table.row_count == 1)
        screen = app.screen
        assert screen.check_action("new", ()) is None
        for verb in ("start", "stop", "refresh", "autostart", "delete", "undefine"):
            assert screen.check_action("verb", (verb,)) is None, verb
        for key in ("n", "d", "D", "U"):
            await pilot.press(key)
        await pilot.pause()
        assert screen_name(app) == "StorageScreen"
        assert any("read-only" in str(n.message) for n in app._notifications)
    assert names(conn) == before
    assert conn.storagePoolLookupByName("default-pool").isActive()


def test_pool_differences_ignore_what_libvirt_fills_in():
    from tui.backend.ops.storage import pool_differences

    asked = PoolSpec(name=ODD, type="netfs", host="nas", source_path="/x", target_path="/mnt/a/")
    assert pool_differences(asked, PoolSpec(name=ODD, type="netfs", host="nas", source_path="/x",
                                            target_path="/mnt/a", source_format="auto")) == ()
    assert pool_differences(asked, PoolSpec(name=ODD, type="netfs", host="nas2", source_path="/x",
                                            target_path="/mnt/a")) == ("host: asked 'nas', defined 'nas2'",)
