"""virt-builder for real: the test bed's local template repository (tests/testbed/builder_repo.sh,
no internet), libguestfs under TCG, a dir pool on qemu:///system. A build through the UI is
checked with qemu-img info and virt-cat; a cancelled one leaves no file and no process; the
new-guest form builds a volume and imports it; over virtdeck's own SSH the template list and a
cancel reach the host."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.app.conftest import wait_for

from tui.backend.xml.new_guest import parse_guest_spec
from tui.config import state_dir

from .conftest import Testbed, missing, wait_until
from .test_ssh import client_keys, main_host, make_home, private_home, ssh_root, sshd_factory, trust, uri_for  # noqa: F401
from .test_stats import app_for

pytestmark = pytest.mark.system

POOL = "vd-vb-pool"
REPO_SH = Path(__file__).resolve().parents[1] / "testbed" / "builder_repo.sh"
REPO = Path("/var/lib/libvirt/images/virtdeck-test/builder")
PASSWORD = "vd-vb root 'pw' $x [1]"


@pytest.fixture(scope="module")
def template_repo(testbed: Testbed) -> Path:
    proc = subprocess.run(["bash", str(REPO_SH)], capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        missing(f"tests/testbed/builder_repo.sh failed:\n{proc.stderr.strip()}")
    return REPO


@pytest.fixture
def builder_env(template_repo: Path, testbed: Testbed, monkeypatch) -> None:
    """What virt-builder needs here: TCG (KVM does not work on these machines) and only the
    local repository (VIRT_BUILDER_DIRS replaces /etc's, which point at the internet)."""
    monkeypatch.setenv("LIBGUESTFS_BACKEND", "direct")
    monkeypatch.setenv("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")
    monkeypatch.setenv("VIRT_BUILDER_DIRS", str(template_repo / "dirs"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(testbed.state_dir / "virt-builder-cache"))


@pytest.fixture
def pool_dir(testbed: Testbed, builder_env):
    with testbed.dir_pool(POOL, Path(testbed.kernel).parent / "vb-pool") as directory:
        yield directory


def processes_naming(text: str) -> list[int]:
    """Processes whose command line holds `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if text.encode() in cmdline and entry.name != str(os.getpid()):
                found.append(int(entry.name))
    return found


def screen_name(app) -> str:
    return type(app.screen).__name__


async def open_form(pilot, app):
    await pilot.press("3")
    await wait_for(pilot, lambda: any(p.name == POOL for p in app.inventory.pools.values()), timeout=30)
    table = app.screen.table
    pool = next(p for p in app.inventory.pools.values() if p.name == POOL)
    table.move_cursor(row=table.get_row_index(f"{pool.conn_id}|{pool.uuid}"))
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "VolumesScreen", timeout=20, what="the volumes screen")
    await pilot.press("b")
    await wait_for(pilot, lambda: screen_name(app) == "BuildImageScreen", timeout=120,
                   what=lambda: f"the form ({[str(n.message) for n in app._notifications]})")
    form = app.screen
    options = [str(prompt) for prompt, _value in form.query_one("#template")._options]
    assert any(option.startswith("vd-tiny") for option in options), options
    return form


def notices(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def test_build_a_template_into_a_dir_pool(tmp_path, testbed: Testbed, pool_dir: Path):
    name = "vd-vb built é.qcow2"
    key = tmp_path / "vd_vb_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vd-vb@test", "-f", str(key)], check=True)
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    seen_password: list[int] = []
    async with app.run_test(size=(160, 60)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#name").value = name
        form.query_one("#size").value = "100M"
        form.query_one("#hostname").value = "vd-built"
        form.query_one("#root_password").value = PASSWORD
        form.query_one("#ssh_key").value = f"{key}.pub"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "JobScreen", timeout=20, what="the job")
        steps: set[str] = set()
        deadline = time.monotonic() + 300
        while screen_name(app) != "VolumesScreen":
            assert time.monotonic() < deadline, f"the build did not end: {notices(app)}"
            seen_password += processes_naming(PASSWORD)
            if screen_name(app) == "JobScreen":
                steps.add(app.screen.query_one("#job-status").render().plain)
            await pilot.pause(0.1)
        assert "not built" not in notices(app), notices(app)
        await wait_for(pilot, lambda: app.screen.table.row_count == 1, timeout=30, what="the new volume listed")
    assert not seen_password  # never on a command line
    log = (state_dir() / "actions.jsonl").read_text()
    assert "virt-builder vd-tiny -o" in log and "file:ROOT_PASSWORD_FILE" in log and PASSWORD not in log
    assert any(step.startswith("step ") and "Setting the hostname: vd-built" in step for step in steps), steps
    image = pool_dir / name
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(image)], capture_output=True,
                                     text=True, check=True).stdout)
    assert info["format"] == "qcow2" and info["virtual-size"] == 100 << 20
    env = dict(os.environ)
    hostname = subprocess.run(["virt-cat", "-a", str(image), "/etc/hostname"], capture_output=True, text=True,
                              env=env, timeout=300)
    assert hostname.stdout.strip() == "vd-built", hostname.stderr
    shadow = subprocess.run(["virt-cat", "-a", str(image), "/etc/shadow"], capture_output=True, text=True,
                            env=env, timeout=300).stdout
    root = next(line for line in shadow.splitlines() if line.startswith("root:"))
    assert root.split(":")[1].startswith("$"), root  # a password hash where the template had '*'
    assert PASSWORD not in shadow
    authorized = subprocess.run(["virt-cat", "-a", str(image), "/root/.ssh/authorized_keys"], capture_output=True,
                                text=True, env=env, timeout=300).stdout
    assert Path(f"{key}.pub").read_text().strip() in authorized


async def test_a_cancelled_build_leaves_nothing(tmp_path, testbed: Testbed, pool_dir: Path):
    name = "vd-vb-cancelled.qcow2"
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(160, 60)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#name").value = name
        form.query_one("#hostname").value = "vd-cancel"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "JobScreen", timeout=20, what="the job")

        def opening() -> bool:
            return (screen_name(app) == "JobScreen"
                    and "Opening the new disk" in app.screen.query_one("#job-status").render().plain)

        await wait_for(pilot, opening, timeout=120, what="virt-builder opening the new disk")
        assert (pool_dir / name).exists() and processes_naming(str(pool_dir / name))
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "BuildImageScreen", timeout=60,
                       what=lambda: f"the form back ({screen_name(app)})")
        assert "cancelled" in app.screen.query_one("#form-error").render().plain
    assert not (pool_dir / name).exists()
    wait_until(lambda: not processes_naming(str(pool_dir / name)), timeout=30,
               what="virt-builder and its appliance gone")
    assert testbed.virsh("vol-list", POOL).strip() == ""


def test_list_and_cancel_over_virtdecks_own_ssh(tmp_path, testbed: Testbed, builder_env, main_host, client_keys,
                                               private_home):
    from tui.backend.ssh import SshTransport
    from tui.backend.virt_builder import BuilderError, BuildRequest, VirtBuilder

    home = private_home(make_home(tmp_path, client_keys))
    trust(home, main_host)
    target = tmp_path / "vd-vb remote"
    target.mkdir()
    transport = SshTransport(known_hosts=[home / ".ssh" / "known_hosts"])
    try:
        uri = uri_for(main_host)
        builder = VirtBuilder(transport)
        templates = builder.templates(uri, "127.0.0.1")
        assert [t.os_version for t in templates] == ["vd-tiny"] and templates[0].osinfo == "debian12"

        cancel = threading.Event()
        steps: list[str] = []

        def progress(_done, _total, what: str) -> None:
            steps.append(what)
            if what.startswith("Opening the new disk"):
                cancel.set()

        request = BuildRequest("vd-tiny", str(target), "remote.qcow2", root_password=PASSWORD)
        with pytest.raises(BuilderError, match="cancelled"):
            builder.build(uri, request, progress, cancel)
        assert "Opening the new disk" in steps
        assert not (target / "remote.qcow2").exists()
        wait_until(lambda: not processes_naming(str(target / "remote.qcow2")), timeout=30,
                   what="the remote virt-builder gone")
    finally:
        transport.close()


async def test_new_guest_from_a_template_build(tmp_path, testbed: Testbed, pool_dir: Path):
    """The new-guest form's "a new volume from a virt-builder template": the build, then the
    guest defined importing what it built."""
    guest, volume = "vd-vb-imported", "vd-vb-imported.qcow2"
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    try:
        async with app.run_test(size=(160, 60)) as pilot:
            await wait_for(pilot, lambda: any(p.name == POOL for p in app.inventory.pools.values()), timeout=30)
            await pilot.press("n")
            await wait_for(pilot, lambda: screen_name(app) == "NewGuestScreen", what="the new-guest form")
            form = app.screen
            await wait_for(pilot, lambda: form.choices is not None, timeout=30, what="the host's offers")
            form.query_one("#name").value = guest
            form.query_one("#source").value = "import"
            form.query_one("#import-from").value = "builder"
            form.query_one("#disk-pool").value = POOL
            form.query_one("#net").value = "none"
            form.query_one("#console").value = False
            await pilot.pause()
            form.query_one("#import-build").press()
            await wait_for(pilot, lambda: screen_name(app) == "BuildImageScreen", timeout=120,
                           what=lambda: f"the virt-builder form ({notices(app)})")
            builder = app.screen
            builder.query_one("#name").value = volume
            builder.query_one("#hostname").value = "vd-imported"
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: app.screen is form and form.query_one("#import-from").value == "volume",
                           timeout=300, what=lambda: f"the built volume chosen ({screen_name(app)}: {notices(app)})")
            chosen = form.query_one("#import-volume").value
            assert (chosen.pool, chosen.name) == (POOL, volume)
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen", timeout=30,
                           what=lambda: f"the preview ({form.errors()})")
            await pilot.press("y")
            await wait_for(pilot, lambda: screen_name(app) == "GuestsScreen", timeout=60, what="the guest made")
        disks = parse_guest_spec(testbed.virsh("dumpxml", "--inactive", guest)).disks
        assert [(d.pool, d.volume, d.format) for d in disks] == [(POOL, volume, "qcow2")]
        assert (pool_dir / volume).exists()
    finally:
        try:
            testbed.virsh("undefine", guest)
        except Exception:
            pass
