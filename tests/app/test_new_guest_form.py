"""The new-guest form against the test driver: checks next to each field,
nothing defined on bad input, OS defaults, the XML preview, and a guest
defined with what was asked (read back from libvirt)."""

from __future__ import annotations

import libvirt

from tui.backend.xml.new_guest import parse_guest_spec

from .conftest import make_app, wait_for

NAME = "vd-h8 [x] <&>'\"é"


def screen_name(app) -> str:
    return type(app.screen).__name__


def error_of(form, field: str) -> str:
    return form.query_one(f"#{field}-error").render().plain


async def open_form(pilot, app):
    await wait_for(pilot, lambda: app.screen.table.row_count >= 1, what="the guest list")
    await pilot.press("n")
    await wait_for(pilot, lambda: screen_name(app) == "NewGuestScreen", what="the new-guest form")
    form = app.screen
    await wait_for(pilot, lambda: form.choices is not None and form.variant is not None, what="host offers and OS")
    return form


def names(conn) -> set[str]:
    return {d.name() for d in conn.listAllDomains()}


async def test_bad_input_is_explained_next_to_each_field_and_reaches_nothing(tmp_path, fresh_default):
    before = names(fresh_default)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        assert app.focused is form.query_one("#name")
        # as the user types: only what was touched speaks
        await pilot.press("t", "e", "s", "t")  # the test driver's own guest: taken
        await wait_for(pilot, lambda: "exists already" in error_of(form, "name"), what="name taken")
        assert error_of(form, "memory") == ""
        form.query_one("#memory").value = "lots"
        form.query_one("#vcpus").value = "0"
        form.query_one("#mac").value = "01:00:5e:00:00:01"
        form.query_one("#source").value = "iso"
        form.query_one("#iso-from").value = "path"
        form.query_one("#iso-path").value = "relative.iso"
        form.query_one("#disk-size").value = "20Q"
        await pilot.pause()
        assert "Not a size" in error_of(form, "memory")
        assert "At least 1 vCPU" in error_of(form, "vcpus")
        assert "multicast" in error_of(form, "mac")
        assert "absolute" in error_of(form, "iso-path")
        assert "Unknown unit" in error_of(form, "disk-size")
        # a live warning when the host would be overcommitted
        assert form.query_one("#overcommit").render().plain == ""
        form.query_one("#memory").value = "100G"
        await pilot.pause()
        assert "Overcommits the host" in form.query_one("#overcommit").render().plain
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen_name(app) == "NewGuestScreen"  # no preview, nothing defined
        form.query_one("#name").value = "vd-h8-bad/name"
        await pilot.pause()
        assert "'/'" in error_of(form, "name")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen_name(app) == "NewGuestScreen"
        # hidden fields hide: the ISO volume picker is not shown for a path
        assert not form.query_one("#row-iso-volume").display
        assert form.query_one("#row-iso-path").display
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen")
    other = libvirt.open("test:///default")  # a separate connection sees nothing new
    try:
        assert names(other) == before
        assert [v.name() for v in other.storagePoolLookupByName("default-pool").listAllVolumes()] == []
    finally:
        other.close()


async def test_os_variant_fills_defaults_and_windows_11_gets_its_devices(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#os-search").value = "win11"
        await wait_for(pilot, lambda: "http://microsoft.com/win/11" in form.variants, what="win11 in the matches")
        form.query_one("#os").value = "http://microsoft.com/win/11"
        await wait_for(pilot, lambda: form.variant is not None and form.variant.short_id == "win11")
        assert form.query_one("#firmware").value == "efi"
        assert form.query_one("#secure-boot").value is True
        assert form.query_one("#tpm").value is True
        assert form.query_one("#hyperv").value is True
        assert form.query_one("#localtime").value is True
        assert form.query_one("#disk-bus").value == "sata"
        assert form.query_one("#net-model").value == "e1000e"
        assert form.query_one("#memory").value == "4G"  # exact, as typed
        assert form.query_one("#row-virtio-win").display
        # Linux: virtio, BIOS, no Windows extras
        form.query_one("#os-search").value = "debian11"
        await wait_for(pilot, lambda: "http://debian.org/debian/11" in form.variants)
        form.query_one("#os").value = "http://debian.org/debian/11"
        await wait_for(pilot, lambda: form.variant.short_id == "debian11")
        assert form.query_one("#disk-bus").value == "virtio"
        assert form.query_one("#net-model").value == "virtio"
        assert form.query_one("#hyperv").value is False
        assert not form.query_one("#row-hyperv").display


async def test_preview_shows_the_xml_and_y_defines_what_was_asked(tmp_path, fresh_default):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#name").value = NAME
        form.query_one("#vcpus").value = "2"
        form.query_one("#memory").value = "768M"
        form.query_one("#source").value = "pxe"
        form.query_one("#disk").value = "none"
        form.query_one("#net-model").value = "e1000e"
        form.query_one("#mac").value = "52:54:00:AA:bb:01"
        form.query_one("#graphics").value = "vnc"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen", what="the XML preview")
        preview = app.screen
        shown = preview.plan.xml
        assert "<name>vd-h8 [x] &lt;&amp;&gt;'\"é</name>" in shown
        await pilot.press("n")  # back to the form: nothing defined yet
        await wait_for(pilot, lambda: screen_name(app) == "NewGuestScreen")
        assert NAME not in names(fresh_default)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen", what="the form closed")
        await wait_for(pilot, lambda: any(g.name == NAME for g in app.inventory.guests.values()),
                       what="the new guest listed")
    dom = fresh_default.lookupByName(NAME)
    back = parse_guest_spec(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    assert back.name == NAME
    assert back.vcpus == 2 and back.memory_kib == 768 * 1024
    assert back.boot == ("network",)
    assert [(n.kind, n.source, n.model, n.mac) for n in back.nics] == [("network", "default", "e1000e",
                                                                        "52:54:00:aa:bb:01")]
    assert back.graphics == "vnc" and back.guest_agent
    assert not dom.isActive()


async def test_create_with_a_new_volume_and_start(tmp_path, fresh_default):
    name = "vd-h8-vol é"
    app = make_app(tmp_path, "-c", "test:///default")
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            form = await open_form(pilot, app)
            form.query_one("#name").value = name
            form.query_one("#source").value = "kernel"
            form.query_one("#kernel").value = "/boot/vd-h8-vmlinuz"
            form.query_one("#cmdline").value = "console=ttyS0"
            form.query_one("#disk").value = "new"
            form.query_one("#disk-size").value = "1G"
            form.query_one("#disk-format").value = "raw"
            form.query_one("#console").value = False
            await pilot.pause()
            form.query_one("#create-start").press()
            await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen")
            await pilot.press("y")
            await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen", what="the form closed")
        dom = fresh_default.lookupByName(name)
        assert dom.isActive()
        back = parse_guest_spec(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        assert back.kernel == "/boot/vd-h8-vmlinuz" and back.cmdline == "console=ttyS0"
        assert [(d.pool, d.volume, d.format) for d in back.disks] == [("default-pool", f"{name}.img", "raw")]
        vol = fresh_default.storagePoolLookupByName("default-pool").storageVolLookupByName(f"{name}.img")
        assert vol.info()[1] == 1 << 30
    finally:
        try:
            fresh_default.storagePoolLookupByName("default-pool").storageVolLookupByName(f"{name}.img").delete(0)
        except libvirt.libvirtError:
            pass


async def test_a_define_failure_removes_the_volume_it_made(tmp_path, fresh_default, monkeypatch):
    from tui.forms.new_guest import NewGuestScreen

    defined: list[str] = []

    def broken(xml: str) -> str:
        defined.append(xml)
        return xml.replace("<domain", "<domian", 1)

    monkeypatch.setattr(NewGuestScreen, "define_xml", staticmethod(broken))
    name = "vd-h8-fail"
    app = make_app(tmp_path, "-c", "test:///default")
    pool = fresh_default.storagePoolLookupByName("default-pool")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#name").value = name
        form.query_one("#source").value = "pxe"
        form.query_one("#disk").value = "new"
        form.query_one("#disk-size").value = "64M"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen")
        shown = app.screen.plan.xml
        await pilot.press("y")
        await wait_for(pilot, lambda: "Not created" in form.query_one("#form-error").render().plain,
                       what="the failure shown")
        assert screen_name(app) == "NewGuestScreen"  # the form stays, to change and retry
        text = form.query_one("#form-error").render().plain
        assert "define failed" in text and "default-pool/vd-h8-fail.qcow2" in text
        assert defined == [shown]  # the preview showed exactly what went to libvirt
    assert name not in names(fresh_default)
    assert [v.name() for v in pool.listAllVolumes()] == []


async def test_tab_goes_from_field_to_field_never_to_the_scrolling_frame(tmp_path, fresh_default):
    """The frame scrolls to the focused field; it takes no focus itself (a form's fields do)."""
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app)
        frame = form.query_one(".frame")
        assert frame.is_scrollable and frame not in form.focus_chain
        assert frame.scroll_y == 0 and app.focused is form.query_one("#name")  # opened at its top, on Name
        visited = []
        for _ in range(len(form.focus_chain) + 1):
            await pilot.press("tab")
            visited.append(app.focused)
        assert frame not in visited and form.query_one("#name") in visited
        assert all(widget.id for widget in visited), visited


async def test_read_only_host_disables_n(tmp_path, fresh_default):
    app = make_app(tmp_path, "--read-only", "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1)
        assert app.screen.check_action("new_guest", ()) is None
        await pilot.press("n")
        await pilot.pause()
        assert screen_name(app) == "GuestsScreen"
        assert any("read-only" in str(n.message) for n in app._notifications)


async def test_a_new_guest_with_graphics_opens_its_graphical_console(tmp_path, fresh_default):
    name = "vd-h8-gfx"
    app = make_app(tmp_path, "-c", "test:///default")
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            form = await open_form(pilot, app)
            form.query_one("#name").value = name
            form.query_one("#source").value = "kernel"
            form.query_one("#kernel").value = "/boot/vd-h8-vmlinuz"
            form.query_one("#disk").value = "none"
            form.query_one("#graphics").value = "vnc"
            assert form.query_one("#console").value  # "open its console once started", the default
            await pilot.pause()
            form.query_one("#create-start").press()
            await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen")
            await pilot.press("y")
            await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen", what="the form closed")
            deck = app.screen.consoles
            await wait_for(pilot, lambda: any(p.guest_name == name for p in deck.display_panes),
                           what="the new guest's graphical console")
            assert not deck.panes  # not its serial console
            pane = deck.display_panes[0]
            await wait_for(pilot, lambda: pane.view.frame is not None, what="its screen")
            assert app.focused is pane.view
        assert fresh_default.lookupByName(name).isActive()
    finally:
        try:
            dom = fresh_default.lookupByName(name)
            dom.destroy()
            dom.undefine()
        except libvirt.libvirtError:
            pass
