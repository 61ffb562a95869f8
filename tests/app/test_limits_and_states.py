"""Limits checked where they are typed, forms that keep their input when libvirt refuses,
and a verb for every guest state (crashed, pm-suspended, a marked mix for `p`), against
libvirt's test driver."""

from __future__ import annotations

import libvirt
import pytest

from .conftest import cell_text, column_cells, make_app, wait_for

# One guest in each state the keys must handle (<test:runstate> is a virDomainState).
STATES_NODE = """<node>{}</node>"""
GUEST = """<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type>hvm</type></os>
  <test:runstate>{state}</test:runstate>
</domain>"""
STATES = {"runner": libvirt.VIR_DOMAIN_RUNNING, "pauser": libvirt.VIR_DOMAIN_PAUSED,
          "stopped": libvirt.VIR_DOMAIN_SHUTOFF, "crashed": libvirt.VIR_DOMAIN_CRASHED,
          "sleeper": libvirt.VIR_DOMAIN_PMSUSPENDED}


@pytest.fixture
def states_node(tmp_path) -> str:
    path = tmp_path / "states.xml"
    path.write_text(STATES_NODE.format("".join(GUEST.format(name=name, state=state)
                                               for name, state in STATES.items())), encoding="utf-8")
    return f"test://{path}"


@pytest.fixture
def pool(fresh_default):
    pool = fresh_default.storagePoolLookupByName("default-pool")
    yield pool
    for vol in pool.listAllVolumes():
        if vol.name().startswith("vd-h15"):
            vol.delete(0)


def screen_name(app) -> str:
    return type(app.screen).__name__


def notices(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


def state(app, name: str) -> str:
    return next(g.state for g in app.inventory.guests.values() if g.name == name)


def select(app, name: str) -> None:
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name").endswith(name))
    table.move_cursor(row=table.get_row_index(key))


def shown_error(form, selector: str) -> str:
    widget = form.query_one(selector)
    return widget.render().plain if widget.display and widget.styles.display != "none" else ""


async def open_guest_tab(app, pilot, name: str, tab_id: str):
    await wait_for(pilot, lambda: any(c.plain.endswith(name) for c in column_cells(app.screen.table, "name")),
                   what="the guest listed")
    select(app, name)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen", what="the detail screen")
    app.screen.show_tab(tab_id)
    await pilot.pause()
    return app.screen.tab(tab_id)


async def new_volume_form(app, pilot):
    await wait_for(pilot, lambda: bool(app.inventory.pools), what="pools")
    await pilot.press("3")
    await wait_for(pilot, lambda: screen_name(app) == "StorageScreen" and app.screen.table.row_count == 1,
                   what="the storage view")
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "VolumesScreen" and app.inventory.volumes.get(
        (app.screen.conn_id, app.screen.pool_uuid)) is not None, what="the volumes")
    await pilot.press("n")
    await wait_for(pilot, lambda: screen_name(app) == "NewVolumeScreen", what="the new-volume form")
    return app.screen


# -- limits where they are typed ---------------------------------------------------------


async def test_a_size_libvirt_cannot_hold_is_refused_as_typed_and_the_form_stays(tmp_path, pool):
    before = set(pool.listVolumes())
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await new_volume_form(app, pilot)
        form.query_one("#name").value = "vd-h15-huge.qcow2"
        form.query_one("#capacity").value = "99999999999T"
        await pilot.pause()
        said = shown_error(form, "#capacity-error")
        assert "16 EiB" in said and "64-bit" in said  # before any ctrl+s
        form.query_one("#capacity").value = "3P"  # fits libvirt, not a qcow2 with 64 KiB clusters
        await pilot.pause()
        assert "2 PiB" in shown_error(form, "#capacity-error")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and form.query_one("#capacity").value == "3P"
    assert set(pool.listVolumes()) == before


async def test_a_volume_libvirt_refuses_keeps_the_form_and_its_input(tmp_path, pool):
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await new_volume_form(app, pilot)
        form.query_one("#name").value = "vd-h15-race.qcow2"
        form.query_one("#capacity").value = "1M"
        await pilot.pause()
        assert shown_error(form, "#name-error") == ""
        # made behind the form's back: libvirt refuses the name the form thought free
        pool.createXML("<volume><name>vd-h15-race.qcow2</name><capacity>4096</capacity></volume>", 0)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Failed" in form.query_one("#form-error").render().plain,
                       what="libvirt's refusal in the form")
        said = form.query_one("#form-error").render().plain
        assert "exists" in said  # libvirt's own words
        assert app.screen is form
        assert (form.query_one("#name").value, form.query_one("#capacity").value) == ("vd-h15-race.qcow2", "1M")
        form.query_one("#name").value = "vd-h15-second.qcow2"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "VolumesScreen", what="the form closed once it worked")
    assert pool.storageVolLookupByName("vd-h15-second.qcow2").info()[1] == 1 << 20


async def test_vcpus_past_the_hypervisor_maximum_are_refused_on_the_hardware_tab_as_typed(tmp_path, fresh_default):
    maximum = fresh_default.getMaxVcpus("test")  # libvirt's own figure, asked apart from the app
    config_before = fresh_default.lookupByName("test").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(220, 50)) as pilot:
        tab = await open_guest_tab(app, pilot, "test", "hardware")
        await wait_for(pilot, lambda: tab.view is not None, what="the hardware read")
        await pilot.press("v")
        await wait_for(pilot, lambda: screen_name(app) == "CpuMemoryScreen", what="the form")
        form = app.screen
        form.query_one("#vcpus").value = "99999"
        form.query_one("#memory").value = "99999T"
        await pilot.pause()
        assert form.query_one("#vcpus-error").render().plain.startswith(f"At most {maximum} vCPUs")
        assert "At most" in form.query_one("#memory-error").render().plain
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and form.query_one("#vcpus").value == "99999"
    assert fresh_default.lookupByName("test").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE) == config_before


async def test_a_new_guest_of_100000_vcpus_and_99999T_is_refused(tmp_path, fresh_default):
    before = {d.name() for d in fresh_default.listAllDomains()}
    maximum = fresh_default.getMaxVcpus("test")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1, what="the guest list")
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "NewGuestScreen", what="the new-guest form")
        form = app.screen
        await wait_for(pilot, lambda: form.choices is not None and form.variant is not None, what="host offers")
        await wait_for(pilot, lambda: app.inventory.hosts[form.conn_id].memory_kib, what="host memory")
        form.query_one("#name").value = "vd-h15-giant"
        form.query_one("#vcpus").value = "100000"
        form.query_one("#memory").value = "99999T"
        await pilot.pause()
        assert form.query_one("#vcpus-error").render().plain.startswith(f"At most {maximum} vCPUs")
        memory = form.query_one("#memory-error").render().plain
        assert memory.startswith("At most") and "memory_ratio" in memory
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen_name(app) == "NewGuestScreen"  # no preview
    assert {d.name() for d in fresh_default.listAllDomains()} == before


async def test_a_failed_export_keeps_its_form_and_path(tmp_path, fresh_default):
    taken = tmp_path / "taken.xml"
    taken.write_text("mine\n", encoding="utf-8")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(200, 50)) as pilot:
        await open_guest_tab(app, pilot, "test", "backup")
        await pilot.press("E")
        await wait_for(pilot, lambda: screen_name(app) == "PathScreen", what="the export form")
        form = app.screen
        form.query_one("#path").value = str(tmp_path / "missing" / "test.xml")
        await pilot.pause()
        assert "No folder" in form.query_one("#path-error").render().plain  # as typed
        form.query_one("#path").value = str(taken)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Failed" in form.query_one("#path-error").render().plain,
                       what="the refusal in the form")
        assert "exists" in form.query_one("#path-error").render().plain
        assert app.screen is form and form.query_one("#path").value == str(taken)
        form.query_one("#replace").value = True
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "GuestDetailScreen", what="the form closed")
    assert "<domain" in taken.read_text(encoding="utf-8")


async def test_pool_directories_are_compared_normalised_and_root_is_refused(tmp_path, fresh_default):
    before = {p.name() for p in fresh_default.listAllStoragePools()}
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: screen_name(app) == "StorageScreen" and app.screen.table.row_count >= 1)
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "NewPoolScreen", what="the new-pool form")
        form = app.screen
        form.query_one("#name").value = "vd-h15-pool"
        for typed, expected in (("//default-pool", "Pool default-pool uses this directory already"),
                                ("/default-pool//", "Pool default-pool uses this directory already"),
                                ("/", "Not / itself"), ("/etc", "system directory")):
            form.query_one("#target").value = typed
            await pilot.pause()
            assert expected in form.query_one("#target-error").render().plain, typed
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen_name(app) == "NewPoolScreen"
    assert {p.name() for p in fresh_default.listAllStoragePools()} == before


# -- a verb for every state --------------------------------------------------------------


async def test_s_on_a_crashed_guest_says_what_to_do_and_r_restarts_it(tmp_path, states_node):
    app = make_app(tmp_path, "-c", states_node)
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == len(STATES), what="every guest")
        select(app, "crashed")
        await pilot.pause()
        await pilot.press("s")
        await wait_for(pilot, lambda: "F forces it off, then s starts it" in notices(app), what="the hint")
        assert state(app, "crashed") == "crashed"
        await pilot.press("r")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the restart question")
        assert "crashed" in app.screen.question and "forced off" in app.screen.question
        await pilot.press("y")
        await wait_for(pilot, lambda: state(app, "crashed") == "running", what="restarted")
        assert app.last_batch.chosen == {"crashed": "restart"} and app.last_batch.done == ["crashed"]
        assert "restarted: crashed" in app.last_batch.summary()[0]


async def test_s_wakes_a_pm_suspended_guest(tmp_path, states_node):
    # Whether this libvirt's test driver implements virDomainPMWakeup, asked of a copy of the node.
    probe = libvirt.open(states_node)
    try:
        probe.lookupByName("sleeper").pMWakeup(0)
        supported = True
    except libvirt.libvirtError as exc:
        assert exc.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT
        supported = False
    finally:
        probe.close()
    app = make_app(tmp_path, "-c", states_node)
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == len(STATES), what="every guest")
        select(app, "sleeper")
        await pilot.pause()
        assert app.screen.check_action("lifecycle", ("start",)) is True  # `s` is on for it
        await pilot.press("s")
        await wait_for(pilot, lambda: app.last_batch is not None, what="the wake-up's report")
        batch = app.last_batch
        assert batch.verb == "start" and batch.chosen == {"sleeper": "wakeup"}
        if supported:
            await wait_for(pilot, lambda: state(app, "sleeper") == "running", what="awake")
            assert "woken up: sleeper" in batch.summary()[0]
        else:  # libvirt's words name the call that was made
            assert batch.failed and "virDomainPMWakeup" in batch.failed[0][1]


async def test_p_on_marked_guests_pauses_the_running_resumes_the_paused_and_skips_the_rest(tmp_path, states_node):
    app = make_app(tmp_path, "-c", states_node)
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count == len(STATES), what="every guest")
        for name in ("runner", "pauser", "stopped"):
            select(app, name)
            await pilot.press("space")
        assert len(app.screen.marked) == 3
        await pilot.press("p")
        await wait_for(pilot, lambda: state(app, "runner") == "paused" and state(app, "pauser") == "running",
                       what="one paused, one resumed")
        await wait_for(pilot, lambda: app.last_batch is not None and app.last_batch.verb == "pause")
        text, severity = app.last_batch.summary()
        assert "paused: runner" in text and "resumed: pauser" in text
        assert "skipped: stopped is shut off" in text and severity == "information"
        assert state(app, "stopped") == "shut off"
        assert "pause / resume" in app.last_batch.title
