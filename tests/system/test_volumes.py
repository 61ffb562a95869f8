"""Volumes on a real libvirtd, through the UI: create in each format, resize, clone, wipe,
upload and download with a checksum match, and failures that leave nothing behind.
Every result is checked with virsh, qemu-img or the file on the host."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.app.conftest import wait_for
from tui.backend.ops import volumes as volumes_ops

from .conftest import Testbed
from .test_stats import app_for

POOL = "vd-h7-pool"
POOL_DIR = Path("/var/lib/libvirt/images/virtdeck-test") / POOL
OTHER = "vd-h7-pool2"  # a second pool of the same host, to clone into
OTHER_DIR = POOL_DIR.parent / OTHER
MIB = 1 << 20


@pytest.fixture(scope="module")
def pool(testbed: Testbed):
    with testbed.dir_pool(POOL, POOL_DIR), testbed.dir_pool(OTHER, OTHER_DIR):
        yield POOL


@pytest.fixture
def clean_pool(testbed: Testbed, pool: str):
    yield pool
    for name in (POOL, OTHER):
        for vol in volume_names(testbed, name):
            testbed.virsh("vol-delete", "--pool", name, vol)


def volume_names(testbed: Testbed, pool: str = POOL) -> list[str]:
    out = testbed.virsh("vol-list", "--pool", pool)  # virsh -q: no header
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def vol_xml(testbed: Testbed, name: str) -> ET.Element:
    return ET.fromstring(testbed.virsh("vol-dumpxml", "--pool", POOL, name))


def qemu_img(path: Path) -> dict:
    return json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", str(path)], check=True,
                                     capture_output=True, text=True).stdout)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def holey_file(path: Path, seed: int = 7) -> Path:
    """A few MiB of random data with holes: 1 MiB hole, 1 MiB data, 2 MiB hole, 512 KiB data, 1 MiB hole."""
    rand = __import__("random").Random(seed)
    with open(path, "wb") as f:
        f.seek(MIB)
        f.write(rand.randbytes(MIB))
        f.seek(2 * MIB, os.SEEK_CUR)
        f.write(rand.randbytes(MIB // 2))
        f.truncate(f.tell() + MIB)
    return path


async def open_pool(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: any(p.name == POOL for p in app.inventory.pools.values()), timeout=30,
                   what="the test pool")
    await pilot.press("3")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "StorageScreen"
                   and any(c[0].plain == POOL for c in app.screen.table._cells.values()), what="storage view")
    table = app.screen.table
    table.move_cursor(row=table.get_row_index(next(k for k, c in table._cells.items() if c[0].plain == POOL)))
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen" and app.inventory.volumes.get(
        (app.screen.conn_id, app.screen.pool_uuid)) is not None, what="the volumes screen")


def shown(app, name: str) -> bool:
    return any(c[0].plain == name for c in app.screen.table._cells.values())


def select(app, name: str) -> None:
    table = app.screen.table
    table.move_cursor(row=table.get_row_index(next(k for k, c in table._cells.items() if c[0].plain == name)))


def notices(app) -> str:
    """Every notification so far, expired or not."""
    return "\n".join(app.said)


def recording(app):
    """The app, keeping what it notifies in `app.said` (toasts expire before a slow step ends)."""
    app.said = []
    notify = app.notify

    def keep(message, *args, **kwargs):
        app.said.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = keep
    return app


async def wait_said(pilot, predicate, timeout: float = 30, what: str = "condition") -> None:
    """wait_for, and on a timeout say what the app notified."""
    try:
        await wait_for(pilot, predicate, timeout=timeout, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; on {type(pilot.app.screen).__name__}; notifications: "
                             f"{notices(pilot.app)!r}") from None


async def new_volume(pilot, name: str, fmt: str, capacity: str, allocation: str = "thin",
                     backing: str | None = None) -> None:
    app = pilot.app
    await pilot.press("n")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "NewVolumeScreen", what="the new-volume form")
    form = app.screen
    form.query_one("#name").value = name
    if backing is not None:
        form.query_one("#backing").value = next(i for i, v in enumerate(form.backings) if v.name == backing)
        await pilot.pause()
    form.query_one("#format").value = fmt
    form.query_one("#allocation").value = allocation
    form.query_one("#capacity").value = capacity
    await pilot.pause()
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen" and shown(app, name), timeout=30,
                   what=f"{name} in the list")


async def test_create_each_format_resize_clone_and_wipe(tmp_path, testbed: Testbed, clean_pool: str):
    app = recording(app_for(tmp_path, testbed.system_uri, refresh="60"))
    async with app.run_test(size=(180, 50)) as pilot:
        await open_pool(pilot)

        await new_volume(pilot, "vd-h7-thin.qcow2", "qcow2", "64M")
        info = qemu_img(POOL_DIR / "vd-h7-thin.qcow2")
        assert (info["format"], info["virtual-size"]) == ("qcow2", 64 * MIB)
        assert int(vol_xml(testbed, "vd-h7-thin.qcow2").findtext("allocation")) < MIB

        await new_volume(pilot, "vd-h7-full.raw", "raw", "8M", allocation="preallocated")
        xml = vol_xml(testbed, "vd-h7-full.raw")
        assert xml.find("target/format").get("type") == "raw"
        assert int(xml.findtext("capacity")) == 8 * MIB and int(xml.findtext("allocation")) >= 8 * MIB

        await new_volume(pilot, "vd-h7-meta.qcow2", "qcow2", "16M", allocation="preallocated")
        assert qemu_img(POOL_DIR / "vd-h7-meta.qcow2")["virtual-size"] == 16 * MIB
        assert int(vol_xml(testbed, "vd-h7-meta.qcow2").findtext("allocation")) >= 16 * MIB
        await wait_for(pilot, lambda: any(line.startswith("vd-h7-meta.qcow2: qcow2, 16 MiB")
                                          and line.endswith("(preallocated in full)") for line in app.said),
                       what="what libvirt did, said")

        await new_volume(pilot, "vd-h7-top.qcow2", "qcow2", "64M", backing="vd-h7-thin.qcow2")
        info = qemu_img(POOL_DIR / "vd-h7-top.qcow2")
        assert info["backing-filename"] == str(POOL_DIR / "vd-h7-thin.qcow2")
        assert info.get("backing-filename-format") == "qcow2" and info["virtual-size"] == 64 * MIB
        assert vol_xml(testbed, "vd-h7-top.qcow2").findtext("backingStore/path") == str(POOL_DIR / "vd-h7-thin.qcow2")

        # info shows the backing chain
        select(app, "vd-h7-top.qcow2")
        await pilot.press("i")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumeInfoScreen")
        assert str(POOL_DIR / "vd-h7-thin.qcow2") in app.screen.query_one("#sheet").render().plain
        await pilot.press("escape")

        # grow
        select(app, "vd-h7-thin.qcow2")
        await pilot.press("plus")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ResizeVolumeScreen")
        app.screen.query_one("#capacity").value = "96M"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: qemu_img(POOL_DIR / "vd-h7-thin.qcow2")["virtual-size"] == 96 * MIB,
                       timeout=30, what="grown")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen", what="the form closed")

        # shrink needs the box and a second yes; libvirt's words when it refuses
        select(app, "vd-h7-full.raw")
        await pilot.press("r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ResizeVolumeScreen")
        app.screen.query_one("#capacity").value = "4M"
        app.screen.query_one("#shrink").value = True
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the second confirmation")
        await pilot.press("y")

        def refusal() -> str:
            """libvirt's words, in the form that stays open on a failure."""
            boxes = app.screen.query("#form-error")
            return str(boxes.first().render()) if boxes else ""

        # The volume is preallocated in full (8 MiB allocated): libvirt refuses any capacity below
        # its allocation, so this shrink is refused, in libvirt's words, and nothing changes.
        await wait_for(pilot, lambda: "can't shrink capacity below existing allocation" in refusal(), timeout=30,
                       what=lambda: f"libvirt's refusal, got {refusal()!r}")
        assert type(app.screen).__name__ == "ResizeVolumeScreen"
        assert int(vol_xml(testbed, "vd-h7-full.raw").findtext("capacity")) == 8 * MIB
        assert (POOL_DIR / "vd-h7-full.raw").stat().st_size == 8 * MIB
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "VolumesScreen", what="back to the volumes")

        # clone within the pool: the copy's bytes are the source's
        (POOL_DIR / "vd-h7-full.raw").write_bytes(os.urandom(MIB) + bytes(
            (POOL_DIR / "vd-h7-full.raw").stat().st_size - MIB))
        testbed.virsh("pool-refresh", POOL)
        select(app, "vd-h7-full.raw")
        await pilot.press("C")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CloneVolumeScreen")
        assert app.screen.query_one("#name").value == "vd-h7-full-copy.raw"
        await pilot.press("ctrl+s")
        await wait_said(pilot, lambda: "vd-h7-full-copy.raw" in volume_names(testbed) and shown(
            app, "vd-h7-full-copy.raw"), timeout=60, what="the copy")
        assert sha256(POOL_DIR / "vd-h7-full-copy.raw") == sha256(POOL_DIR / "vd-h7-full.raw")

        # clone into another pool of the host, its format and size kept
        select(app, "vd-h7-thin.qcow2")
        await pilot.press("C")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CloneVolumeScreen")
        other = next(p for p in app.inventory.pools.values() if p.name == OTHER)
        app.screen.query_one("#pool").value = other.uuid
        app.screen.query_one("#name").value = "vd-h7-moved.qcow2"
        await pilot.press("ctrl+s")
        await wait_said(pilot, lambda: "vd-h7-moved.qcow2" in volume_names(testbed, OTHER), timeout=60,
                        what="the copy in the other pool")
        info = qemu_img(OTHER_DIR / "vd-h7-moved.qcow2")
        assert (info["format"], info["virtual-size"]) == ("qcow2", 96 * MIB)

        # wipe: confirmed, then zeros
        select(app, "vd-h7-full-copy.raw")
        await pilot.press("W")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: "wiped" in notices(app), timeout=60, what="wiped")
        data = (POOL_DIR / "vd-h7-full-copy.raw").read_bytes()
        assert data and data.count(0) == len(data)


async def test_upload_and_download_are_byte_identical(tmp_path, testbed: Testbed, clean_pool: str):
    local = holey_file(tmp_path / "holey.raw")
    qcow = tmp_path / "small.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(qcow), "5M"], check=True)
    app = recording(app_for(tmp_path, testbed.system_uri, refresh="60"))
    async with app.run_test(size=(180, 50)) as pilot:
        await open_pool(pilot)
        await pilot.press("u")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "UploadVolumeScreen")
        form = app.screen
        form.query_one("#path").value = str(local)
        await pilot.pause()
        assert "raw, 5.5 MiB" in form.query_one("#detected").render().plain
        form.query_one("#name").value = "vd-h7-up.raw"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "vd-h7-up.raw" in notices(app), timeout=60, what="uploaded")
        assert "failed" not in notices(app)
        host_copy = POOL_DIR / "vd-h7-up.raw"
        assert sha256(host_copy) == sha256(local)
        assert "(sparse)" in notices(app)
        assert host_copy.stat().st_blocks * 512 < host_copy.stat().st_size  # holes kept

        # a qcow2 file: format from its magic, capacity from its header
        await pilot.press("u")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "UploadVolumeScreen")
        app.screen.query_one("#path").value = str(qcow)
        app.screen.query_one("#name").value = "vd-h7-up.qcow2"
        await pilot.press("ctrl+s")
        await wait_said(pilot, lambda: f"{qcow} → vd-h7-up.qcow2: " in notices(app), timeout=60, what="qcow2 uploaded")
        assert "failed" not in notices(app)
        xml = vol_xml(testbed, "vd-h7-up.qcow2")
        assert xml.find("target/format").get("type") == "qcow2" and int(xml.findtext("capacity")) == 5 * MIB
        assert qemu_img(POOL_DIR / "vd-h7-up.qcow2")["virtual-size"] == 5 * MIB
        assert sha256(POOL_DIR / "vd-h7-up.qcow2") == sha256(qcow)

        # into an existing volume: the file's bytes at its start
        testbed.virsh("vol-create-as", POOL, "vd-h7-there.raw", "8M", "--format", "raw")
        app.fleet.list_volumes(app.screen.conn_id, app.screen.pool_uuid)
        await wait_for(pilot, lambda: shown(app, "vd-h7-there.raw"), timeout=30, what="the volume made by virsh")
        await pilot.press("u")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "UploadVolumeScreen")
        app.screen.query_one("#path").value = str(local)
        app.screen.query_one("#target").value = "vd-h7-there.raw"
        await pilot.press("ctrl+s")
        await wait_said(pilot, lambda: "→ vd-h7-there.raw" in notices(app), timeout=60, what="uploaded into it")
        there = (POOL_DIR / "vd-h7-there.raw").read_bytes()
        assert len(there) == 8 * MIB and hashlib.sha256(there[:local.stat().st_size]).hexdigest() == sha256(local)
        assert "→ vd-h7-there.raw: 5.5 MiB (whole)" in notices(app)  # a sparse stream would cut it short

        await wait_for(pilot, lambda: shown(app, "vd-h7-up.raw"))
        select(app, "vd-h7-up.raw")
        await pilot.press("w")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DownloadVolumeScreen")
        back = tmp_path / "back.raw"
        app.screen.query_one("#path").value = str(back)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: f"→ {back}" in notices(app), timeout=60, what="downloaded")
        assert sha256(back) == sha256(local)
        assert back.stat().st_blocks * 512 < back.stat().st_size  # sparse on this side too


async def test_a_cancelled_upload_leaves_no_new_volume(tmp_path, testbed: Testbed, clean_pool: str, monkeypatch):
    local = holey_file(tmp_path / "big.raw")
    started = threading.Event()
    real_read = volumes_ops.read_chunk

    def slow_read(fd, size):  # the first chunk goes, then the stream waits for the user
        chunk = real_read(fd, min(size, 64 * 1024))
        started.set()
        threading.Event().wait(0.2)
        return chunk

    monkeypatch.setattr(volumes_ops, "read_chunk", slow_read)
    app = recording(app_for(tmp_path, testbed.system_uri, refresh="60"))
    async with app.run_test(size=(180, 50)) as pilot:
        await open_pool(pilot)
        await pilot.press("u")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "UploadVolumeScreen")
        app.screen.query_one("#path").value = str(local)
        app.screen.query_one("#name").value = "vd-h7-cancel.raw"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: started.is_set(), timeout=30, what="the stream running")
        assert "vd-h7-cancel.raw" in volume_names(testbed)
        assert type(app.screen).__name__ == "JobScreen"
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Upload cancelled" in notices(app), timeout=30, what="cancelled")
        assert "vd-h7-cancel.raw" not in volume_names(testbed)
        assert not (POOL_DIR / "vd-h7-cancel.raw").exists()


async def test_a_cancelled_download_leaves_no_partial_file(tmp_path, testbed: Testbed, clean_pool: str,
                                                           monkeypatch):
    (tmp_path / "src.raw").write_bytes(os.urandom(4 * MIB))
    testbed.virsh("vol-create-as", POOL, "vd-h7-down.raw", "4M", "--format", "raw")
    testbed.virsh("vol-upload", "--pool", POOL, "vd-h7-down.raw", str(tmp_path / "src.raw"))
    started = threading.Event()
    real_write = volumes_ops.write_chunk

    def slow_write(fd, data):
        started.set()
        threading.Event().wait(0.2)
        return real_write(fd, data)

    monkeypatch.setattr(volumes_ops, "write_chunk", slow_write)
    target = tmp_path / "partial.raw"
    app = recording(app_for(tmp_path, testbed.system_uri, refresh="60"))
    async with app.run_test(size=(180, 50)) as pilot:
        await open_pool(pilot)
        await wait_for(pilot, lambda: shown(app, "vd-h7-down.raw"))
        select(app, "vd-h7-down.raw")
        await pilot.press("w")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DownloadVolumeScreen")
        app.screen.query_one("#path").value = str(target)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: started.is_set(), timeout=30, what="the stream running")
        assert target.exists()
        await pilot.press("escape")
        await wait_said(pilot, lambda: "Download cancelled" in notices(app), timeout=30, what="cancelled")
        assert not target.exists()
        assert "vd-h7-down.raw" in volume_names(testbed)


async def test_a_failure_after_the_volume_was_made_leaves_no_orphan(tmp_path, testbed: Testbed, clean_pool: str,
                                                                    monkeypatch):
    local = holey_file(tmp_path / "vanishing.raw")
    real_create = volumes_ops.create

    def create_then_lose_the_file(conn, pool_uuid, spec):
        made = real_create(conn, pool_uuid, spec)
        local.unlink()  # the file disappears between the volume's creation and the stream
        return made

    monkeypatch.setattr(volumes_ops, "create", create_then_lose_the_file)
    app = recording(app_for(tmp_path, testbed.system_uri, refresh="60"))
    async with app.run_test(size=(180, 50)) as pilot:
        await open_pool(pilot)
        await pilot.press("u")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "UploadVolumeScreen")
        app.screen.query_one("#path").value = str(local)
        app.screen.query_one("#name").value = "vd-h7-orphan.raw"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "No such file" in notices(app), timeout=30, what="the failure, said")
        assert "vd-h7-orphan.raw" not in volume_names(testbed)
        assert not (POOL_DIR / "vd-h7-orphan.raw").exists()
