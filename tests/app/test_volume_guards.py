"""Volumes a guest or another volume needs, on the zoo: the info sheet says who uses each and
how; delete, wipe and shrink are refused (a running guest's volume, a shut-off guest's disk
for delete, any backing file) or asked with the guest named (a shut-off guest's nvram, disk
for a wipe), and a volume nobody needs is asked about plainly."""

from __future__ import annotations

from tests import zoo

from .conftest import cell_text, column_cells, wait_for

SIZE = (200, 60)
EVERY = zoo.GUEST_EVERY_DEVICE


def notices(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


def names_shown(app) -> set[str]:
    return {cells.plain for cells in column_cells(app.screen.table, "name")}


def select(app, name: str) -> None:
    table = app.screen.table
    key = next(k for k in table._cells if cell_text(table, k, "name") == name)
    table.move_cursor(row=table.get_row_index(key))


async def open_default_pool(pilot) -> str:
    app = pilot.app
    conn_id = await zoo.open_zoo(pilot)
    await pilot.press("3")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "StorageScreen"
                   and zoo.POOL_DEFAULT in names_shown(app), what="the storage view")
    select(app, zoo.POOL_DEFAULT)
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen"
                   and zoo.VOLUME_ORPHAN in names_shown(app), what="the default pool's volumes")
    return conn_id


async def info_of(pilot, name: str) -> str:
    app = pilot.app
    select(app, name)
    await pilot.press("i")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumeInfoScreen", what=f"the info of {name}")
    text = app.screen.sheet().plain
    await pilot.press("escape")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen", what="back to the volumes")
    return text


async def refused(pilot, key: str, name: str, *words: str) -> None:
    """`key` on `name` ends in a refusal naming `words`, with no question asked."""
    app = pilot.app
    seen = len(app._notifications)
    select(app, name)
    await pilot.press(key)
    await wait_for(pilot, lambda: len(app._notifications) > seen, what=f"{key} on {name} answered")
    said = "\n".join(str(n.message) for n in list(app._notifications)[seen:])
    assert all(word in said for word in words), said
    assert type(app.screen).__name__ == "VolumesScreen"
    assert name in names_shown(app)


async def asked(pilot, key: str, name: str, *words: str) -> str:
    app = pilot.app
    select(app, name)
    await pilot.press(key)
    await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what=f"the question for {key}")
    question = app.screen.question
    assert all(word in question for word in words), question
    return question


async def test_the_info_says_who_needs_each_volume_and_how(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_default_pool(pilot)
        expected = {
            zoo.VOLUME_NVRAM: f"nvram of {EVERY} (running)",
            zoo.VOLUME_LOADER: f"loader of {EVERY} (running)",
            zoo.VOLUME_CDROM: f"CD-ROM sda of {EVERY} (running)",
            "a-b-root.qcow2": f"disk vda of {EVERY} (running)",
            zoo.VOLUME_KERNEL: f"kernel of {zoo.GUEST_KERNEL_BOOT} (paused)",
            zoo.VOLUME_INITRD: f"initrd of {zoo.GUEST_KERNEL_BOOT} (paused)",
            zoo.VOLUME_DTB: f"dtb of {zoo.GUEST_KERNEL_BOOT} (paused)",
            zoo.VOLUME_OVERLAY: f"disk hda of {zoo.GUEST_BACKED} (shut off)",
            zoo.VOLUME_BACKING: f"backing file of {zoo.VOLUME_OVERLAY} (disk hda of {zoo.GUEST_BACKED}) (shut off)",
            zoo.VOLUME_ORPHAN: "Used by     no guest or volume of this host",
        }
        for name, use in expected.items():
            text = await info_of(pilot, name)
            assert use in text, (name, text)
            if name != zoo.VOLUME_ORPHAN:
                assert "no guest" not in text


async def test_delete_wipe_and_shrink_are_refused_or_asked_with_the_guest_named(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        conn_id = await open_default_pool(pilot)

        # A running (or paused) guest keeps what it uses.
        await refused(pilot, "D", zoo.VOLUME_NVRAM, f"{EVERY} is running with {zoo.VOLUME_NVRAM} as its "
                      "UEFI variables (nvram): shut it off first")
        await refused(pilot, "W", zoo.VOLUME_LOADER, f"{EVERY} is running", "UEFI firmware (loader)")
        await refused(pilot, "D", zoo.VOLUME_CDROM, f"{EVERY} is running", "CD-ROM sda")
        await refused(pilot, "D", zoo.VOLUME_KERNEL, f"{zoo.GUEST_KERNEL_BOOT} is paused with "
                      f"{zoo.VOLUME_KERNEL} as its kernel")
        await refused(pilot, "W", zoo.VOLUME_DTB, f"{zoo.GUEST_KERNEL_BOOT} is paused", "device tree (dtb)")
        # A backing file is never deleted or wiped; a shut-off guest's disk is not deleted.
        backing = f"is the backing file of {zoo.VOLUME_OVERLAY} (disk hda of {zoo.GUEST_BACKED})"
        await refused(pilot, "D", zoo.VOLUME_BACKING, backing)
        await refused(pilot, "W", zoo.VOLUME_BACKING, backing)
        await refused(pilot, "D", zoo.VOLUME_OVERLAY, f"is a disk of {zoo.GUEST_BACKED} (hda): remove it")

        # Wiping a shut-off guest's disk is asked, naming the guest and what it loses.
        await asked(pilot, "W", zoo.VOLUME_OVERLAY, f"disk hda of {zoo.GUEST_BACKED} (shut off)",
                    f"what {zoo.GUEST_BACKED} keeps on it is lost")
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen")

        # Shrinking a backing file: the form stays open and says why.
        select(app, zoo.VOLUME_BACKING)
        await pilot.press("r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ResizeVolumeScreen", what="the resize form")
        form = app.screen
        form.query_one("#capacity").value = "1G"
        form.query_one("#shrink").value = True
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "not shrunk" in form.query_one("#form-error").render().plain,
                       what="the refusal in the form")
        assert backing in form.query_one("#form-error").render().plain and app.screen is form
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen")

        # Once the guest is off, deleting its nvram is asked, naming it and what breaks; yes deletes.
        connection = app.fleet.get(conn_id)
        off: list = []
        connection.call(lambda c: c.lookupByName(EVERY).destroy(), lambda result, error: off.append(error),
                        action="force off")
        await wait_for(pilot, lambda: bool(off), what="the guest forced off")
        assert off == [None]
        await asked(pilot, "D", zoo.VOLUME_NVRAM, f"Delete the volume {zoo.VOLUME_NVRAM}",
                    f"UEFI variables (nvram) of {EVERY} (shut off)", "secure-boot keys")
        await pilot.press("y")
        await wait_for(pilot, lambda: zoo.VOLUME_NVRAM not in names_shown(app), what="the nvram deleted")
        assert f"{zoo.VOLUME_NVRAM} deleted" in notices(app)

        # A volume nobody needs is asked about plainly.
        question = await asked(pilot, "D", zoo.VOLUME_ORPHAN, f"Delete the volume {zoo.VOLUME_ORPHAN}")
        assert "•" not in question
        await pilot.press("n")
