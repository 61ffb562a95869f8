"""Names are text in the remaining forms, on the zoo: clone, rename, migrate, snapshot (take,
delete), every volume form (new, resize, clone, upload, download, info), qemu-img convert,
the add-connection form and its preview, and the config path in the app's sub-title."""

from __future__ import annotations

from tests import zoo
from tui.forms.image_forms import ConvertImageScreen

from .conftest import column_cells, wait_for
from .test_zoo_display import open_guest, tab
from .test_zoo_names import SIZE, back_to, on_screen, screen_text, select, shows

SNAPSHOT = "s [b]<&>'\"é☃"
CONNECTION = "lab[/]h[b]<&>"


async def modal(pilot, key: str, name: str) -> None:
    await pilot.press(key)
    await on_screen(pilot, name)


async def test_guest_forms_show_names_intact(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)
        await wait_for(pilot, lambda: app.screen.table.row_count == len(zoo.GUESTS), what="the zoo's guests")

        select(app, zoo.GUEST_BACKED)
        await modal(pilot, "R", "RenameGuestScreen")
        await shows(pilot, f"Rename {zoo.GUEST_BACKED} on {zoo.CONNECTION_NAME}.", what="the rename form")
        await back_to(pilot, "GuestsScreen")
        await modal(pilot, "C", "CloneGuestScreen")
        await shows(pilot, f"Clone {zoo.GUEST_BACKED} on {zoo.CONNECTION_NAME}:",
                    f"hda: {zoo.VOLUME_OVERLAY} → {zoo.GUEST_BACKED}-clone-hda.qcow2", what="the clone form")
        await back_to(pilot, "GuestsScreen")
        select(app, zoo.GUEST_EVERY_DEVICE)
        await modal(pilot, "M", "MigrateGuestScreen")
        await shows(pilot, f"Move {zoo.GUEST_EVERY_DEVICE} from {zoo.CONNECTION_NAME}.", what="the migrate form")
        await back_to(pilot, "GuestsScreen")

        # A snapshot with an odd name, taken and deleted through the Snapshots tab.
        await open_guest(pilot, zoo.GUEST_EVERY_DEVICE)
        snapshots = await tab(pilot, "snapshots")
        await modal(pilot, "n", "CreateSnapshotScreen")
        await shows(pilot, f"Snapshot of {zoo.GUEST_EVERY_DEVICE} (running)", what="the snapshot form")
        app.screen.query_one("#name").value = SNAPSHOT
        while type(app.screen).__name__ == "CreateSnapshotScreen":
            await pilot.press("ctrl+s")  # a second ctrl+s past a warning about the kind
            await pilot.pause()
        await on_screen(pilot, "GuestDetailScreen")
        await wait_for(pilot, lambda: SNAPSHOT in screen_text(app), what=lambda: f"the snapshot in\n{screen_text(app)}")
        assert snapshots.is_attached
        await modal(pilot, "D", "DeleteSnapshotScreen")
        await shows(pilot, SNAPSHOT, zoo.GUEST_EVERY_DEVICE, what="the snapshot delete dialog")
        await pilot.press("y")
        await on_screen(pilot, "GuestDetailScreen")
        await wait_for(pilot, lambda: SNAPSHOT not in screen_text(app), what="the snapshot gone")
        assert app.return_code is None


async def test_volume_forms_show_names_intact(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)
        await pilot.press("3")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "StorageScreen"
                       and app.screen.table.row_count == len(zoo.POOLS), what="the zoo's pools")
        select(app, zoo.POOL_ODD)
        await pilot.press("enter")
        await on_screen(pilot, "VolumesScreen")
        await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="the odd pool's volumes")
        select(app, zoo.VOLUME_ODD)

        await modal(pilot, "n", "NewVolumeScreen")
        await shows(pilot, zoo.POOL_ODD, zoo.CONNECTION_NAME, what="the new volume form")
        backing = app.screen.query_one("#backing")
        options = [str(prompt) for prompt, _value in backing._options]
        assert any(option.startswith(zoo.VOLUME_ODD) for option in options), options
        await back_to(pilot, "VolumesScreen")
        await modal(pilot, "r", "ResizeVolumeScreen")
        await shows(pilot, zoo.VOLUME_ODD, what="the resize form")
        await back_to(pilot, "VolumesScreen")
        await modal(pilot, "C", "CloneVolumeScreen")
        await shows(pilot, zoo.VOLUME_ODD, zoo.POOL_ODD, what="the volume clone form")
        await back_to(pilot, "VolumesScreen")
        await modal(pilot, "u", "UploadVolumeScreen")
        await shows(pilot, zoo.POOL_ODD, zoo.CONNECTION_NAME, what="the upload form")
        await back_to(pilot, "VolumesScreen")
        await modal(pilot, "w", "DownloadVolumeScreen")
        await shows(pilot, zoo.VOLUME_ODD, what="the download form")
        await back_to(pilot, "VolumesScreen")
        await modal(pilot, "enter", "VolumeInfoScreen")
        await shows(pilot, zoo.VOLUME_ODD, zoo.GUEST_EVERY_DEVICE, what="the volume info")
        await back_to(pilot, "VolumesScreen")

        # qemu-img works on QEMU hosts only: its form, opened on the odd volume's name.
        app.push_screen(ConvertImageScreen(zoo.VOLUME_ODD, "qcow2", {zoo.VOLUME_CLICK}))
        await on_screen(pilot, "ConvertImageScreen")
        await shows(pilot, zoo.VOLUME_ODD, what="the convert form")
        app.screen.query_one("#name").value = zoo.VOLUME_CLICK
        await pilot.pause()
        await shows(pilot, zoo.VOLUME_CLICK, what="the convert form's name")
        await back_to(pilot, "VolumesScreen")
        assert app.return_code is None


async def test_add_connection_preview_the_new_host_as_migrate_target_and_the_config_path(tmp_path):
    odd = tmp_path / "c [b]<&>[" / "]"  # a path that holds "[/]"
    odd.mkdir(parents=True)
    app = zoo.zoo_app(odd)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)
        config = str(odd / "config.toml")
        assert config in app.format_title(app.title, app.sub_title).plain

        await pilot.press("4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HostsScreen"
                       and app.screen.table.row_count == 1, what="the zoo host")
        await modal(pilot, "n", "AddConnectionScreen")
        form = app.screen
        form.query_one("#kind").value = "uri"
        await pilot.pause()
        form.query_one("#uri").value = "test:///default?x=[b]<&>"
        form.query_one("#name").value = CONNECTION
        await shows(pilot, "Will connect to: test:///default?x=[b]<&>", what="the add-connection preview")
        form.query_one("#uri").value = "test:///default"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await on_screen(pilot, "HostsScreen")
        await wait_for(pilot, lambda: app.screen.table.row_count == 2, what="the new host")
        await shows(pilot, CONNECTION, what="the hosts table")
        select(app, CONNECTION)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.is_modal, what="the host sheet")
        await shows(pilot, CONNECTION, what="the new host's sheet")
        await back_to(pilot, "HostsScreen")

        # The new host is where a zoo guest can migrate to: its name is the target's label.
        await pilot.press("1")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestsScreen"
                       and any(cell.plain.endswith(zoo.GUEST_EVERY_DEVICE)
                               for cell in column_cells(app.screen.table, "name")), what="the zoo's guests")
        select(app, zoo.GUEST_EVERY_DEVICE)
        await modal(pilot, "M", "MigrateGuestScreen")
        await shows(pilot, f"Move {zoo.GUEST_EVERY_DEVICE} from {zoo.CONNECTION_NAME}.", what="the migrate form")
        label = app.screen.query_one("#target SelectCurrent #label")
        await wait_for(pilot, lambda: label.render().plain == f"{CONNECTION} (test:///default)", what=lambda: label.render().plain)
        await back_to(pilot, "GuestsScreen")
        assert app.return_code is None
