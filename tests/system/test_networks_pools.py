"""Networks and pools created through the forms on the real libvirtd, each
result checked with virsh; a forced failure leaves nothing defined."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.app.conftest import wait_for

from .conftest import Testbed, VirshError, _used_ipv4_networks
from .test_stats import app_for

PREFIX = "vd-h6"
POOL_ROOT = Path("/var/lib/libvirt/images/virtdeck-test")
HOST_BRIDGE = "vdh6br0"
TAKEN_BRIDGE = "vdh6br1"


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True)


def _clean(testbed: Testbed) -> None:
    for name in testbed.virsh("net-list", "--all", "--name").split("\n"):
        if name.strip().startswith(PREFIX):
            for args in (("net-destroy", name.strip()), ("net-undefine", name.strip())):
                try:
                    testbed.virsh(*args)
                except VirshError:
                    pass
    for name in testbed.virsh("pool-list", "--all", "--name").split("\n"):
        if name.strip().startswith(PREFIX):
            for args in (("pool-destroy", name.strip()), ("pool-undefine", name.strip())):
                try:
                    testbed.virsh(*args)
                except VirshError:
                    pass
    for path in POOL_ROOT.glob(f"{PREFIX}-*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    for link in (HOST_BRIDGE, TAKEN_BRIDGE):
        _ip("link", "del", link)


@pytest.fixture
def h6(testbed: Testbed):
    _clean(testbed)
    yield testbed
    _clean(testbed)


def free_subnets(testbed: Testbed, count: int) -> list[ipaddress.IPv4Network]:
    used = _used_ipv4_networks(testbed)
    found = []
    for third in range(160, 213):  # the shared isolated network takes 213 and up
        candidate = ipaddress.IPv4Network(f"192.168.{third}.0/24")
        if not any(candidate.overlaps(u) for u in used):
            found.append(candidate)
            if len(found) == count:
                return found
    pytest.fail("no free 192.168.x.0/24 subnets for the network tests")


def screen_name(app) -> str:
    return type(app.screen).__name__


def info(testbed: Testbed, kind: str, name: str) -> dict[str, str]:
    text = testbed.virsh(f"{kind}-info", name)
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines()) if v}


async def open_form(pilot, app, view: str, form: str):
    await pilot.press(view)
    await wait_for(pilot, lambda: screen_name(app) in ("NetworksScreen", "StorageScreen")
                   and app.screen.table.row_count >= 0 and app.inventory.hosts, what="the view")
    await wait_for(pilot, lambda: app.screen.check_action("new", ()),
                   timeout=30, what="a writable host connected")
    await pilot.press("n")
    await wait_for(pilot, lambda: screen_name(app) == form, what=form)
    screen = app.screen
    if form == "NewNetworkScreen":
        await wait_for(pilot, lambda: screen.facts is not None, timeout=30, what="the host's networks read")
    return screen


async def fill(pilot, form, **fields) -> None:
    for field, value in fields.items():
        widget = form.query_one(f"#{field.replace('_', '-')}")
        widget.value = value
        await pilot.pause()


async def define(pilot, app, form, name: str) -> None:
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen", what=f"the preview of {name}")
    await pilot.press("y")
    await wait_for(pilot, lambda: screen_name(app) in ("NetworksScreen", "StorageScreen"), timeout=60,
                   what=f"{name} created (form closed)")


def select(app, name: str) -> None:
    table = app.screen.table
    key = next(k for k, c in table._cells.items() if c[0].plain == name)
    table.move_cursor(row=table.get_row_index(key))


async def test_dir_pool_built_started_refreshed_deleted(tmp_path, h6: Testbed):
    name = f"{PREFIX} pool [d] <&>"
    target = POOL_ROOT / f"{PREFIX}-dir"
    app = app_for(tmp_path, h6.system_uri, refresh="60")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app, "3", "NewPoolScreen")
        await fill(pilot, form, name=name, target=str(target))
        assert not target.exists()
        await define(pilot, app, form, name)
        assert target.is_dir()  # built
        facts = info(h6, "pool", name)
        assert facts["State"] == "running" and facts["Persistent"] == "yes"
        root = ET.fromstring(h6.virsh("pool-dumpxml", name))
        assert root.get("type") == "dir" and root.findtext("target/path") == str(target)
        await wait_for(pilot, lambda: any(c[0].plain == name for c in app.screen.table._cells.values()),
                       what="the pool's row")

        # a file put there appears as a volume only after a refresh
        (target / "vd-h6-file.img").write_bytes(b"\0" * 4096)
        assert "vd-h6-file.img" not in h6.virsh("vol-list", name)
        select(app, name)
        await pilot.pause()
        await pilot.press("f")
        await wait_for(pilot, lambda: "vd-h6-file.img" in h6.virsh("vol-list", name), timeout=30, what="refreshed")
        (target / "vd-h6-file.img").unlink()

        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "DeletePoolScreen", what="delete asks for the name")
        app.screen.query_one("#name").value = name
        await pilot.press("enter")
        await wait_for(pilot, lambda: name not in h6.virsh("pool-list", "--all", "--name"), timeout=30,
                       what="the pool gone")
        assert not target.exists()  # pool.delete removed the directory


async def test_networks_of_each_mode_defined_and_started(tmp_path, h6: Testbed):
    assert _ip("link", "add", HOST_BRIDGE, "type", "bridge").returncode == 0
    nat, routed, isolated, opened = free_subnets(h6, 4)
    cases = [
        ("nat", f"{PREFIX}-nat", nat, "vdh6nat"),
        ("route", f"{PREFIX}-route", routed, "vdh6rt"),
        ("isolated", f"{PREFIX}-iso [x] <&>", isolated, "vdh6iso"),
        ("open", f"{PREFIX}-open", opened, "vdh6open"),
    ]
    app = app_for(tmp_path, h6.system_uri, refresh="60")
    async with app.run_test(size=(160, 50)) as pilot:
        for mode, name, subnet, bridge in cases:
            form = await open_form(pilot, app, "2", "NewNetworkScreen")
            form.query_one("#mode").value = mode
            await pilot.pause()
            await fill(pilot, form, name=name, bridge=bridge, subnet=str(subnet))
            await define(pilot, app, form, name)
            facts = info(h6, "net", name)
            assert facts["Active"] == "yes" and facts["Bridge"] == bridge, (name, facts)
            root = ET.fromstring(h6.virsh("net-dumpxml", name))
            forward = root.find("forward")
            assert (forward.get("mode") if forward is not None else "isolated") == mode
            ip = root.find("ip")
            assert ipaddress.ip_network(f"{ip.get('address')}/{ip.get('prefix')}", strict=False) == subnet
            rng = ip.find("dhcp/range")
            assert (rng.get("start"), rng.get("end")) == (str(subnet[2]), str(subnet[254]))
            assert Path(f"/sys/class/net/{bridge}").exists()

        # an existing host bridge
        form = await open_form(pilot, app, "2", "NewNetworkScreen")
        form.query_one("#mode").value = "bridge"
        await pilot.pause()
        assert HOST_BRIDGE in str(form.query_one("#host-bridge-hint").render())
        await fill(pilot, form, name=f"{PREFIX}-br", host_bridge="eth0")
        assert "not a bridge" in str(form.query_one("#host-bridge-error").render())
        await fill(pilot, form, host_bridge=HOST_BRIDGE)
        await define(pilot, app, form, f"{PREFIX}-br")
        root = ET.fromstring(h6.virsh("net-dumpxml", f"{PREFIX}-br"))
        assert root.find("forward").get("mode") == "bridge" and root.find("bridge").get("name") == HOST_BRIDGE
        assert info(h6, "net", f"{PREFIX}-br")["Active"] == "yes"

        # macvtap: this kernel has no dummy interfaces ("Unknown device type"),
        # so the guests' lower device is the test bridge.
        form = await open_form(pilot, app, "2", "NewNetworkScreen")
        form.query_one("#mode").value = "macvtap"
        await pilot.pause()
        await fill(pilot, form, name=f"{PREFIX}-mvt", iface="vdh6nosuch")
        assert "No interface vdh6nosuch" in str(form.query_one("#iface-error").render())
        await fill(pilot, form, iface=HOST_BRIDGE)
        form.query_one("#macvtap-mode").value = "private"
        await pilot.pause()
        await define(pilot, app, form, f"{PREFIX}-mvt")
        root = ET.fromstring(h6.virsh("net-dumpxml", f"{PREFIX}-mvt"))
        assert root.find("forward").get("mode") == "private"
        assert root.find("forward/interface").get("dev") == HOST_BRIDGE
        assert info(h6, "net", f"{PREFIX}-mvt")["Active"] == "yes"

        # details list the DHCP leases libvirt knows (no guest on it: none)
        await wait_for(pilot, lambda: any(c[0].plain == f"{PREFIX}-nat" for c in app.screen.table._cells.values()))
        select(app, f"{PREFIX}-nat")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "DetailsScreen", what="details")
        assert dict(app.screen.facts)["DHCP leases"] == "none"
        await pilot.press("escape")

        # stop (confirmed) and delete from the keys
        await wait_for(pilot, lambda: screen_name(app) == "NetworksScreen")
        select(app, f"{PREFIX}-nat")
        await pilot.pause()
        await pilot.press("d")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: info(h6, "net", f"{PREFIX}-nat")["Active"] == "no", timeout=30, what="stopped")
        await pilot.press("D")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: f"{PREFIX}-nat" not in h6.virsh("net-list", "--all", "--name").split(),
                       timeout=30, what="deleted")


async def test_a_bridge_taken_after_the_form_opened_fails_the_start_and_leaves_nothing(tmp_path, h6: Testbed):
    (subnet,) = free_subnets(h6, 1)
    name = f"{PREFIX}-taken"
    app = app_for(tmp_path, h6.system_uri, refresh="60")
    async with app.run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot, app, "2", "NewNetworkScreen")
        await fill(pilot, form, name=name, bridge=TAKEN_BRIDGE, subnet=str(subnet))
        assert _ip("link", "add", TAKEN_BRIDGE, "type", "bridge").returncode == 0  # someone else took it meanwhile
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: "start failed" in str(form.query_one("#submit-error").render()), timeout=30,
                       what="the failure shown in the form")
        text = str(form.query_one("#submit-error").render())
        assert "File exists" in text and "nothing was left behind" in text
        assert screen_name(app) == "NewNetworkScreen"
    assert name not in h6.virsh("net-list", "--all", "--name").split()


async def test_failed_pool_steps_undo_the_build_and_the_definition(tmp_path, h6: Testbed, monkeypatch):
    import libvirt

    app = app_for(tmp_path, h6.system_uri, refresh="60")
    async with app.run_test(size=(160, 50)) as pilot:
        # a build that fails (the parent is a file): the pool is undefined again
        blocker = POOL_ROOT / f"{PREFIX}-file"
        blocker.write_text("not a directory\n")
        form = await open_form(pilot, app, "3", "NewPoolScreen")
        await fill(pilot, form, name=f"{PREFIX}-badbuild", target=str(blocker / "sub"))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: "build failed" in str(form.query_one("#submit-error").render()), timeout=30,
                       what="the build failure shown")
        assert "Not a directory" in str(form.query_one("#submit-error").render())
        assert f"{PREFIX}-badbuild" not in h6.virsh("pool-list", "--all", "--name").split()
        await pilot.press("escape")

        # a start that fails after the build made the directory: the directory goes too
        def refuse(self, flags=0):
            raise libvirt.libvirtError("forced start failure")

        monkeypatch.setattr(libvirt.virStoragePool, "create", refuse)
        target = POOL_ROOT / f"{PREFIX}-rollback"
        form = await open_form(pilot, app, "3", "NewPoolScreen")
        await fill(pilot, form, name=f"{PREFIX}-rollback", target=str(target))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "XmlPreviewScreen")
        await pilot.press("y")
        await wait_for(pilot, lambda: "start failed" in str(form.query_one("#submit-error").render()), timeout=30,
                       what="the start failure shown")
        assert "nothing was left behind" in str(form.query_one("#submit-error").render())
    assert f"{PREFIX}-rollback" not in h6.virsh("pool-list", "--all", "--name").split()
    assert not target.exists()
