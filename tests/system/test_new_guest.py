"""New guests from the form on a real libvirtd: a kernel-booted tiny guest
started under TCG to its login prompt, an imported disk image, a Windows 11
definition with its devices, and a forced failure that leaves no volume
behind. Every result is checked with virsh."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.app.conftest import wait_for
from tui.forms.new_guest import NewGuestScreen

from .conftest import Testbed, VirshError
from .test_stats import app_for

POOL = "vd-h8-pool"
POOL_DIR = Path("/var/lib/libvirt/images/virtdeck-test") / POOL


@pytest.fixture(scope="module")
def pool(testbed: Testbed):
    with testbed.dir_pool(POOL, POOL_DIR):
        yield POOL


def volumes(testbed: Testbed) -> list[str]:
    testbed.virsh("pool-refresh", POOL)
    return sorted(testbed.virsh("vol-list", POOL).split()[::2])


@pytest.fixture
def guests(testbed: Testbed, pool: str):
    """Names of guests a test makes; removed afterwards with the pool's volumes."""
    made: list[str] = []
    yield made
    for name in made:
        testbed.remove_domain(name)
    for name in volumes(testbed):
        testbed.virsh("vol-delete", "--pool", POOL, name)


async def open_form(pilot, app) -> NewGuestScreen:
    await wait_for(pilot, lambda: app.fleet.connections and app.fleet.connections[0].connected, timeout=30,
                   what="connected")
    await pilot.press("n")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "NewGuestScreen", what="the new-guest form")
    form = app.screen
    await wait_for(pilot, lambda: form.choices is not None and form.variant is not None, timeout=30,
                   what="the host's offers")
    return form


async def fill(pilot, form: NewGuestScreen, **values) -> None:
    """Set fields in order (ids with '_' for '-'), letting each change settle."""
    for key, value in values.items():
        form.query_one(f"#{key.replace('_', '-')}").value = value
        await pilot.pause()
        await pilot.pause()


async def choose_os(pilot, form: NewGuestScreen, short_id: str, os_id: str) -> None:
    form.query_one("#os-search").value = short_id
    await wait_for(pilot, lambda: os_id in form.variants, what=f"{short_id} among the matches")
    form.query_one("#os").value = os_id
    await wait_for(pilot, lambda: form.variant is not None and form.variant.id == os_id, what=f"{short_id}")


async def create(pilot, app) -> None:
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "XmlPreviewScreen", what="the XML preview")
    await pilot.press("y")


def dumpxml(testbed: Testbed, name: str) -> ET.Element:
    return ET.fromstring(testbed.virsh("dumpxml", "--inactive", name))


async def test_kernel_boot_from_the_form_reaches_the_login_prompt(tmp_path, testbed: Testbed, isolated_network,
                                                                   guests):
    name = "vd-h8-kernel [1] é"
    guests.append(name)
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(200, 50)) as pilot:
        form = await open_form(pilot, app)
        await fill(pilot, form, name=name, source="kernel", kernel=testbed.kernel, initrd=testbed.initrd,
                   cmdline="console=ttyS0 loglevel=4 panic=-1", virt_type="qemu")
        await fill(pilot, form, cpu_mode="maximum", vcpus="1", memory="128M", disk="none",
                   net="network", net_network=isolated_network, graphics="none", agent=False, console=True)
        form.query_one("#create-start").press()
        await wait_for(pilot, lambda: type(app.screen).__name__ == "XmlPreviewScreen", what="the XML preview")
        assert app.screen.plan.start
        await pilot.press("y")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestsScreen", timeout=60, what="created")
        assert testbed.virsh("domstate", name).strip() == "running"
        # the form opened its console: the guest boots to its prompt there
        deck = app.screen.consoles
        await wait_for(pilot, lambda: deck.panes and any(
            "tiny login:" in line for line in deck.panes[0].view.screen_text()), timeout=120,
            what="the login prompt on the console the form opened")
    root = dumpxml(testbed, name)
    assert root.get("type") == "qemu"
    assert root.findtext("name") == name
    assert root.findtext("os/kernel") == testbed.kernel and root.findtext("os/initrd") == testbed.initrd
    assert root.find("devices/interface/source").get("network") == isolated_network
    assert root.find("devices/serial") is not None


async def test_import_a_disk_image_defined_and_started(tmp_path, testbed: Testbed, isolated_network, guests):
    name = "vd-h8-import"
    guests.append(name)
    testbed.virsh("vol-create-as", POOL, "vd-h8-image.qcow2", "16M", "--format", "qcow2")
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(200, 50)) as pilot:
        form = await open_form(pilot, app)
        image = next(v for v in form.choices.volumes if v.pool == POOL and v.name == "vd-h8-image.qcow2")
        await fill(pilot, form, name=name, source="import", import_from="volume")
        await fill(pilot, form, import_volume=image, virt_type="qemu")
        await fill(pilot, form, cpu_mode="maximum", memory="128M", vcpus="1", net="none", graphics="none",
                   console=False, start=True)
        await create(pilot, app)
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestsScreen", timeout=60, what="created")
    assert testbed.virsh("domstate", name).strip() == "running"
    disk = dumpxml(testbed, name).find("devices/disk[@device='disk']")
    assert disk.find("source").get("pool") == POOL and disk.find("source").get("volume") == "vd-h8-image.qcow2"
    assert disk.find("driver").get("type") == "qcow2"
    testbed.virsh("destroy", name)  # an empty disk boots nothing: do not keep a CPU busy
    assert volumes(testbed) == ["vd-h8-image.qcow2"]


async def test_windows_11_is_defined_with_its_devices(tmp_path, testbed: Testbed, isolated_network, guests):
    name = "vd-h8-win11"
    guests.append(name)
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(200, 50)) as pilot:
        form = await open_form(pilot, app)
        await fill(pilot, form, name=name)
        await choose_os(pilot, form, "win11", "http://microsoft.com/win/11")
        await fill(pilot, form, virt_type="qemu")
        await fill(pilot, form, source="iso", iso_from="path", iso_path="/var/lib/libvirt/images/vd-h8-win11.iso",
                   disk="new", disk_pool=POOL, disk_size="64M", net="network", net_network=isolated_network,
                   virtio_win="/var/lib/libvirt/images/vd-h8-virtio-win.iso")
        # what Windows 11 asked for, unchanged by the user
        assert form.query_one("#firmware").value == "efi" and form.query_one("#secure-boot").value
        assert form.query_one("#tpm").value and form.query_one("#hyperv").value
        assert form.query_one("#machine").value == "q35"
        await create(pilot, app)
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestsScreen", timeout=60, what="created")
    assert testbed.virsh("domstate", name).strip() == "shut off"
    root = dumpxml(testbed, name)
    assert "q35" in root.find("os/type").get("machine")
    assert root.find("os").get("firmware") == "efi"
    features = {f.get("name"): f.get("enabled") for f in root.findall("os/firmware/feature")}
    assert features.get("secure-boot") == "yes" and features.get("enrolled-keys") == "yes"
    assert root.find("features/smm").get("state") == "on"
    assert {el.tag for el in root.find("features/hyperv")} >= {"relaxed", "vapic", "spinlocks"}
    assert root.find("clock").get("offset") == "localtime"
    tpm = root.find("devices/tpm")
    assert tpm.get("model") == "tpm-crb" and tpm.find("backend").get("type") == "emulator"
    disks = root.findall("devices/disk")
    assert [(d.get("device"), d.find("target").get("bus")) for d in disks] == [
        ("disk", "sata"), ("cdrom", "sata"), ("cdrom", "sata")]
    assert disks[2].find("source").get("file") == "/var/lib/libvirt/images/vd-h8-virtio-win.iso"
    assert root.find("devices/interface/model").get("type") == "e1000e"
    assert volumes(testbed) == ["vd-h8-win11.qcow2"]


async def test_a_failure_after_the_volume_was_made_leaves_no_volume(tmp_path, testbed: Testbed, guests, pool,
                                                                   monkeypatch):
    name = "vd-h8-fails"
    guests.append(name)

    def bogus_emulator(xml: str) -> str:
        root = ET.fromstring(xml)
        ET.SubElement(root.find("devices"), "emulator").text = "/usr/bin/vd-h8-no-such-emulator"
        return ET.tostring(root, encoding="unicode")

    monkeypatch.setattr(NewGuestScreen, "define_xml", staticmethod(bogus_emulator))
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(200, 50)) as pilot:
        form = await open_form(pilot, app)
        await fill(pilot, form, name=name, source="pxe", virt_type="qemu")
        await fill(pilot, form, cpu_mode="maximum", disk="new", disk_pool=POOL, disk_size="32M",
                   disk_format="raw", net="none")
        form.query_one("#net").value = "none"
        await pilot.pause()
        # PXE needs a NIC: the form says so and nothing is made
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "PXE" in form.query_one("#net-error").render().plain
        assert type(app.screen).__name__ == "NewGuestScreen"
        await fill(pilot, form, source="iso", iso_from="path", iso_path="/var/lib/libvirt/images/vd-h8.iso")
        await create(pilot, app)
        await wait_for(pilot, lambda: "Not created" in form.query_one("#form-error").render().plain, timeout=60,
                       what="the failure shown in the form")
        text = form.query_one("#form-error").render().plain
        assert "vd-h8-no-such-emulator" in text and f"{POOL}/{name}.img" in text
        assert "libvirt:" in form.query_one("#virt-type-error").render().plain
    assert volumes(testbed) == []
    with pytest.raises(VirshError):
        testbed.virsh("dominfo", name)


async def test_cloud_image_overlay_with_a_seed_and_an_uploaded_iso(tmp_path, testbed: Testbed, guests):
    cloud, installer = "vd-h8-cloud", "vd-h8-upload"
    guests += [cloud, installer]
    testbed.virsh("vol-create-as", POOL, "vd-h8-base.qcow2", "16M", "--format", "qcow2")
    local_iso = tmp_path / "vd-h8-install.iso"
    local_iso.write_bytes(bytes(range(256)) * 4096)  # 1 MiB, not sparse
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(200, 50)) as pilot:
        form = await open_form(pilot, app)
        base = next(v for v in form.choices.volumes if v.pool == POOL and v.name == "vd-h8-base.qcow2")
        await fill(pilot, form, name=cloud, source="cloud", virt_type="qemu")
        await fill(pilot, form, cloud_volume=base, cloud_mode="overlay", disk_pool=POOL, disk_size="32M",
                   ci_hostname="vd-h8-cloud", ci_user="alice", ci_password="pw", cpu_mode="maximum", net="none")
        await create(pilot, app)
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestsScreen", timeout=60, what="created")

        form = await open_form(pilot, app)
        await fill(pilot, form, name=installer, source="iso", iso_from="upload", virt_type="qemu")
        await fill(pilot, form, iso_file=str(local_iso), iso_pool=POOL, disk="none", cpu_mode="maximum", net="none")
        await create(pilot, app)
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestsScreen", timeout=60, what="created")
    assert volumes(testbed) == sorted(["vd-h8-base.qcow2", f"{cloud}.qcow2", f"{cloud}-cidata.iso",
                                       "vd-h8-install.iso"])
    overlay = ET.fromstring(testbed.virsh("vol-dumpxml", "--pool", POOL, f"{cloud}.qcow2"))
    assert overlay.findtext("backingStore/path") == str(POOL_DIR / "vd-h8-base.qcow2")
    seed = ET.fromstring(testbed.virsh("vol-dumpxml", "--pool", POOL, f"{cloud}-cidata.iso"))
    seed_path = seed.findtext("target/path")
    data = Path(seed_path).read_bytes()
    assert data[0x8028:0x8028 + 32].decode().strip() == "cidata" and b'hostname: "vd-h8-cloud"' in data
    cdroms = dumpxml(testbed, cloud).findall("devices/disk[@device='cdrom']")
    assert [c.find("source").get("file") for c in cdroms] == [seed_path]
    uploaded = ET.fromstring(testbed.virsh("vol-dumpxml", "--pool", POOL, "vd-h8-install.iso")).findtext("target/path")
    assert Path(uploaded).read_bytes() == local_iso.read_bytes()
    cdroms = dumpxml(testbed, installer).findall("devices/disk[@device='cdrom']")
    assert [c.find("source").get("file") for c in cdroms] == [uploaded]
