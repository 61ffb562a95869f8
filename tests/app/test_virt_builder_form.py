"""`b` on a pool's volumes: the virt-builder form on the test driver, with the real virt-builder
listing a private template index (no image needed for a list), and on a host without it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import make_app, wait_for
from .test_volume_forms import error_of, make_volume, names, open_volumes

POOL = "default-pool"
TAKEN = "vd-vb-taken.qcow2"


@pytest.fixture
def pool(fresh_default):
    pool = fresh_default.storagePoolLookupByName(POOL)
    yield pool
    for vol in pool.listAllVolumes():
        if vol.name().startswith("vd-vb"):
            vol.delete(0)


@pytest.fixture
def template_index(tmp_path, monkeypatch) -> Path:
    """A repository of two templates that virt-builder reads instead of /etc's (its files are
    never fetched: listing reads only the index)."""
    repo = tmp_path / "repo"
    (repo / "dirs" / "virt-builder" / "repos.d").mkdir(parents=True)
    (repo / "index").write_text(
        "[vd-small]\nname=Small [test] <one>\nosinfo=debian12\narch=x86_64\nfile=small.xz\n"
        "format=raw\nsize=1073741824\nnotes=Made up for the form.\n\n"
        "[vd-huge]\nname=Huge\nosinfo=fedora40\narch=aarch64\nfile=huge.xz\nformat=raw\n"
        "size=2251799813685248\n")
    (repo / "dirs" / "virt-builder" / "repos.d" / "vd.conf").write_text(
        f"[vd]\nuri=file://{repo}/index\nproxy=off\n")
    monkeypatch.setenv("VIRT_BUILDER_DIRS", str(repo / "dirs"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return repo


async def open_form(pilot):
    app = pilot.app
    await open_volumes(pilot)
    await pilot.press("b")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "BuildImageScreen", timeout=60,
                   what=lambda: f"the virt-builder form ({[str(n.message) for n in app._notifications]})")
    return app.screen


async def test_a_host_without_virt_builder_says_what_to_install(tmp_path, pool, monkeypatch):
    bare = tmp_path / "bin"
    bare.mkdir()
    os.symlink(shutil.which("sh"), bare / "sh")
    monkeypatch.setenv("PATH", str(bare))
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 60)) as pilot:
        form = await open_form(pilot)
        note = form.query_one("#template-note").render().plain
        assert "virt-builder is not installed on" in note
        assert "apt install libguestfs-tools" in note and "dnf install guestfs-tools" in note
        form.query_one("#name").value = "vd-vb-new.qcow2"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "BuildImageScreen"
        assert "apt install libguestfs-tools" in error_of(form, "template")


async def test_the_form_lists_templates_and_checks_each_field(tmp_path, pool, template_index):
    make_volume(pool, TAKEN)
    key = tmp_path / "id_vd.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKxM vd@test\n")
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("hello\nworld\n")
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 60)) as pilot:
        form = await open_form(pilot)
        options = [str(prompt) for prompt, _value in form.query_one("#template")._options]
        assert any("vd-small" in o and "Small [test] <one>" in o and "1 GiB" in o for o in options), options
        assert any("vd-huge" in o and "aarch64" in o for o in options), options
        small = next(index for index, option in enumerate(options) if "vd-small" in option)
        huge = 1 - small
        form.query_one("#template").value = small
        await pilot.pause()
        note = form.query_one("#template-note").render().plain
        assert "debian12" in note and "Made up for the form." in note

        form.query_one("#name").value = TAKEN
        form.query_one("#size").value = "512M"
        form.query_one("#hostname").value = "bad_host!"
        form.query_one("#ssh_key").value = str(tmp_path / "missing.pub")
        form.query_one("#packages").value = "vim, `reboot`"
        await pilot.pause()
        assert "exists already" in error_of(form, "name")
        assert "At least the template's 1 GiB" in error_of(form, "size")
        assert "host name" in error_of(form, "hostname").lower()
        assert "Cannot read" in error_of(form, "ssh_key")
        assert "not a package name" in error_of(form, "packages")
        form.query_one("#ssh_key").value = str(not_a_key)
        await pilot.pause()
        assert "is not a public key file" in error_of(form, "ssh_key")

        form.query_one("#template").value = huge
        form.query_one("#size").value = ""
        await pilot.pause()
        assert "The pool has" in error_of(form, "size") and "free" in error_of(form, "size")

        before = names(pool)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "BuildImageScreen" and names(pool) == before

        form.query_one("#template").value = small
        form.query_one("#name").value = "vd-vb-new.qcow2"
        form.query_one("#size").value = "2G"
        form.query_one("#hostname").value = "vm1.example.org"
        form.query_one("#ssh_key").value = str(key)
        form.query_one("#packages").value = "vim, openssh-server"
        form.query_one("#root_password").value = "pw with 'quotes' $x"
        form.query_one("#firstboot").value = "echo 'first boot' > /root/fb"
        await pilot.pause()
        assert form.errors() == {}
        request = form.result()
        assert (request.template, request.name, request.size, request.format) == (
            "vd-small", "vd-vb-new.qcow2", 2 << 30, "qcow2")
        assert request.ssh_key == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKxM vd@test"
        assert request.packages == ("vim", "openssh-server")
        assert request.firstboot == ("echo 'first boot' > /root/fb",)
        assert request.directory == pool.XMLDesc(0).split("<path>")[1].split("</path>")[0]

        await pilot.press("f2")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandSheet", what="the command sheet")
        sheet = app.screen.query_one("#command-lines").render().plain
        assert sheet.startswith(f"virt-builder vd-small -o {request.directory}/vd-vb-new.qcow2 --format qcow2")
        assert "--hostname vm1.example.org" in sheet and "--install vim,openssh-server" in sheet
        assert "--root-password file:ROOT_PASSWORD_FILE" in sheet and "quotes" not in sheet


async def test_the_new_guest_form_offers_a_template_build_for_import(tmp_path, fresh_default, monkeypatch):
    bare = tmp_path / "bin"
    bare.mkdir()
    os.symlink(shutil.which("sh"), bare / "sh")
    monkeypatch.setenv("PATH", str(bare))
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 60)) as pilot:
        await wait_for(pilot, lambda: app.screen.table.row_count >= 1, what="the guest list")
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewGuestScreen", what="the new-guest form")
        form = app.screen
        await wait_for(pilot, lambda: form.choices is not None, what="the host's offers")
        assert not form.query_one("#row-import-build").display
        form.query_one("#name").value = "vd-vb-guest"
        form.query_one("#source").value = "import"
        form.query_one("#import-from").value = "builder"
        await pilot.pause()
        assert form.query_one("#row-import-build").display and form.query_one("#row-disk-pool").display
        assert not form.query_one("#row-import-volume").display
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "NewGuestScreen"
        assert "Build the volume first" in error_of(form, "import-build")
        form.query_one("#import-build").press()
        await wait_for(pilot, lambda: type(app.screen).__name__ == "BuildImageScreen", timeout=30,
                       what="the virt-builder form")
        builder = app.screen
        assert "Into pool default-pool" in builder.query_one("Static").render().plain
        assert "apt install libguestfs-tools" in builder.query_one("#template-note").render().plain
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is form, what="back to the new-guest form")
        assert form.query_one("#import-from").value == "builder"


async def test_keys_typed_before_the_form_is_up_go_into_it(tmp_path, pool, monkeypatch):
    """A host slow to list (a virt-builder that takes a second to fail, as one without a network
    would): what is typed meanwhile goes into the form, not to the volumes screen."""
    bare = tmp_path / "bin"
    bare.mkdir()
    os.symlink(shutil.which("sh"), bare / "sh")
    os.symlink(shutil.which("sleep"), bare / "sleep")
    slow = bare / "virt-builder"
    slow.write_text("#!/bin/sh\nsleep 1\necho 'virt-builder: error: no network' >&2\nexit 1\n")
    slow.chmod(0o755)
    monkeypatch.setenv("PATH", str(bare))
    app = make_app(tmp_path, "-c", "test:///default")
    async with app.run_test(size=(160, 60)) as pilot:
        await open_volumes(pilot)
        await pilot.press("b", *"vd-vbD")  # one burst: D would be the volumes screen's delete
        await wait_for(pilot, lambda: type(app.screen).__name__ == "BuildImageScreen", timeout=30, what="the form")
        form = app.screen
        await wait_for(pilot, lambda: form.query_one("#name").value == "vd-vbD",
                       what=lambda: f"the typed name (got {form.query_one('#name').value!r})")
        assert "virt-builder --list failed" in form.query_one("#template-note").render().plain
        assert "no network" in form.query_one("#template-note").render().plain
