"""Tuning and host devices on real libvirtd with TCG guests, each change checked from
outside: virsh (vcpupin, emulatorpin, numatune, dumpxml, nodedev-list), the QEMU
threads' affinity (taskset), the kernel's hugepage counters, the virtiofsd process
and QEMU's command line.

What this machine cannot do, checked as far as it goes: a host device is never
started in a guest (no IOMMU here, and the PCI devices are this machine's own): the
definition is checked with virt-xml-validate and `virsh define`, and the running
guest's refusal. A virtiofs share is added in the app to a shut-off guest, which then
mounts it over its serial console, reads a host file and writes one back."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import libvirt
import pytest

from tests.app.conftest import wait_for
from tui.backend.ops import tuning
from tui.backend.xml import tuning as tx

from .conftest import LOGIN_PROMPT, Testbed, wait_until
from .test_stats import app_for

NAME = "vd-tune [x] <&>é"
OFF = "vd-tune-off [y]"
HUGEPAGES = Path("/proc/sys/vm/nr_hugepages")
SHARE_DIR = Path("/var/lib/libvirt/images/virtdeck-test/vd-tune share")


def define(testbed: Testbed, name: str, **kw) -> str:
    testbed.remove_domain(name)
    path = testbed.state_dir / "vd-tune.xml"
    path.write_text(testbed.guest_xml(name, serial_log=str(testbed.serial_log("vd-tune")), **kw))
    testbed.virsh("define", str(path))
    return testbed.virsh("domuuid", name).strip()


@pytest.fixture
def conn(testbed: Testbed):
    connection = libvirt.open(testbed.system_uri)
    yield connection
    connection.close()


@pytest.fixture
def running(testbed: Testbed, conn) -> str:
    """NAME with two vCPUs, started (QEMU's threads exist at once; the guest need not boot far)."""
    uuid = define(testbed, NAME, vcpus=2)
    testbed.virsh("start", NAME)
    yield uuid
    testbed.remove_domain(NAME)


@pytest.fixture
def shut_off(testbed: Testbed) -> str:
    uuid = define(testbed, OFF)
    yield uuid
    testbed.remove_domain(OFF)


def qemu_pid(testbed: Testbed, name: str) -> int:
    """QEMU's process: the one its first vCPU thread belongs to."""
    tid = vcpu_threads(testbed, name)[0]
    status = Path(f"/proc/{tid}/status").read_text().splitlines()
    return int(next(line.split()[1] for line in status if line.startswith("Tgid:")))


def affinity(tid: int) -> set[int]:
    """The CPUs a thread may run on, as the kernel has it (taskset -p)."""
    out = subprocess.run(["taskset", "-p", str(tid)], capture_output=True, text=True, check=True).stdout
    mask = int(out.rsplit(":", 1)[1].strip(), 16)
    return {cpu for cpu in range(64) if mask >> cpu & 1}


def vcpu_threads(testbed: Testbed, name: str) -> list[int]:
    out = testbed.virsh("qemu-monitor-command", name, "--hmp", "info cpus")
    return [int(part.split("=")[1]) for part in out.split() if part.startswith("thread_id=")]


def vcpupin_table(testbed: Testbed, name: str, *flags: str) -> dict[int, str]:
    rows = [line.split() for line in testbed.virsh("vcpupin", name, *flags).splitlines() if line.strip()]
    return {int(row[0]): row[1] for row in rows if row[0].isdigit()}


async def open_tuning(app, pilot, name):
    await wait_for(pilot, lambda: any(c[0].plain.endswith(name) for c in app.screen.table._cells.values()),
                   timeout=30, what="the guest listed")
    table = app.screen.table
    table.move_cursor(row=table.get_row_index(next(k for k, c in table._cells.items() if c[0].plain.endswith(name))))
    await pilot.press("enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen", what="the detail screen")
    app.screen.show_tab("tuning")
    tab = app.screen.tab("tuning")
    await wait_for(pilot, lambda: tab.view is not None, timeout=20, what="the tuning read")
    return tab


async def test_pinning_a_running_guest_live_and_for_next_boot(tmp_path, testbed, running):
    cpus = os.cpu_count() or 1
    last = cpus - 1
    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(200, 50)) as pilot:
        tab = await open_tuning(app, pilot, NAME)
        await pilot.press("p")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PinningScreen", what="the pinning form")
        form = app.screen
        form.query_one("#vcpu-0").value = str(last)
        form.query_one("#vcpu-1").value = "0"
        form.query_one("#emulator").value = str(last)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen", timeout=30,
                       what="the form closed")
        await wait_for(pilot, lambda: f"vCPU 0→{last}" in tab.query_one("#tune-summary").render().plain,
                       timeout=20, what="the pins shown")

    assert vcpupin_table(testbed, NAME, "--live") == {0: str(last), 1: "0"}
    assert vcpupin_table(testbed, NAME, "--config") == {0: str(last), 1: "0"}
    assert testbed.virsh("emulatorpin", NAME, "--live").split()[-1] == str(last)
    threads = vcpu_threads(testbed, NAME)
    assert len(threads) == 2
    assert affinity(threads[0]) == {last} and affinity(threads[1]) == {0}
    assert affinity(qemu_pid(testbed, NAME)) == {last}  # the emulator's main thread


def test_numa_placement_on_this_machines_node(testbed, conn, running):
    outcome = tuning.set_numa(conn, running, tuning.NumaRequest("strict", "static", "0"))
    assert "restart the guest for it to apply" in outcome.text()
    testbed.virsh("destroy", NAME)
    testbed.virsh("start", NAME)
    memory = ET.fromstring(testbed.virsh("dumpxml", NAME)).find("numatune/memory")
    assert memory.attrib == {"mode": "strict", "nodeset": "0"}
    numatune = {key.strip(): value.strip() for key, _, value in
                (line.partition(":") for line in testbed.virsh("numatune", NAME).splitlines() if ":" in line)}
    assert numatune["numa_mode"] == "strict" and numatune["numa_nodeset"] == "0"


def test_hugepages_refused_without_them_and_used_with_them(testbed, conn, shut_off):
    before = int(HUGEPAGES.read_text())
    try:
        HUGEPAGES.write_text("0\n")
        with pytest.raises(ValueError) as refused:
            tuning.set_hugepages(conn, shut_off, 2048)
        assert str(refused.value) == ("the guest's 128 MiB needs 64 pages of 2 MiB; the host has 0 free of 0 "
                                      "(raise vm.nr_hugepages on the host)")
        assert ET.fromstring(testbed.virsh("dumpxml", OFF, "--inactive")).find("memoryBacking") is None

        HUGEPAGES.write_text("80\n")
        if int(HUGEPAGES.read_text()) < 64:
            pytest.fail(f"the kernel here gave only {HUGEPAGES.read_text().strip()} of 80 hugepages of 2 MiB")
        tuning.set_hugepages(conn, shut_off, 2048)
        testbed.virsh("start", OFF)
        live = ET.fromstring(testbed.virsh("dumpxml", OFF))
        assert live.find("memoryBacking/hugepages/page").attrib == {"size": "2048", "unit": "KiB"}
        free = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                        if line.startswith("HugePages_Free:")))
        total = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("HugePages_Total:")))
        assert total == 80 and free <= 80 - 64, (total, free)  # QEMU's memory came from them
    finally:
        testbed.remove_domain(OFF)
        HUGEPAGES.write_text(f"{before}\n")


async def test_a_virtiofs_share_added_in_the_app_is_mounted_read_and_written_in_the_guest(
        tmp_path, testbed, shut_off):
    SHARE_DIR.mkdir(parents=True, exist_ok=True)
    content = f"from-the-host-{secrets.token_hex(8)}"
    (SHARE_DIR / "hello.txt").write_text(content + "\n")
    written = f"guest-{secrets.token_hex(6)}"
    tag = "vd share"
    log = testbed.serial_log("vd-tune")
    try:
        app = app_for(tmp_path, testbed.system_uri)
        async with app.run_test(size=(200, 50)) as pilot:
            tab = await open_tuning(app, pilot, OFF)
            await pilot.press("f")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "ShareScreen", what="the share form")
            app.screen.query_one("#source").value = str(SHARE_DIR)
            app.screen.query_one("#tag").value = tag
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen", timeout=30,
                           what="the form closed")
            await wait_for(pilot, lambda: any("the guest's memory is now shared (memfd)" in str(n.message)
                                              for n in app._notifications), timeout=20, what="the outcome")
            await wait_for(pilot, lambda: tab.table.row_count == 1, timeout=20, what="the share listed")
            kind, source, target = tab.table.get_row_at(0)[:3]
            assert (kind.plain, source.text, target.plain) == ("Shared folder", str(SHARE_DIR), tag)

        inactive = ET.fromstring(testbed.virsh("dumpxml", OFF, "--inactive"))
        assert inactive.find("memoryBacking/source").get("type") == "memfd"
        assert inactive.find("memoryBacking/access").get("mode") == "shared"
        fs = inactive.find("devices/filesystem")
        assert (fs.get("accessmode"), fs.find("driver").get("type"), fs.find("source").get("dir"),
                fs.find("target").get("dir")) == ("passthrough", "virtiofs", str(SHARE_DIR), tag)

        log.unlink(missing_ok=True)
        testbed.virsh("start", OFF)
        pid = qemu_pid(testbed, OFF)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert any(b"vhost-user-fs-pci" in word and tag.encode() in word for word in cmdline), cmdline
        daemons = subprocess.run(["pgrep", "-a", "-f", "virtiofsd"], capture_output=True, text=True).stdout
        assert any(str(SHARE_DIR) in line for line in daemons.splitlines()), daemons

        # In the guest: mount the share, read the host's file, write one back.
        def shown(text: str, what: str, timeout: float = 30) -> None:
            try:
                wait_until(lambda: text in log.read_text(errors="replace"), timeout, what=what)
            except TimeoutError as exc:
                pytest.fail(f"{exc}; the serial log ends:\n{log.read_text(errors='replace')[-1500:]}")

        shown(LOGIN_PROMPT, "the login prompt", timeout=180)
        testbed.type_on_serial(OFF, "root", log=log)
        testbed.type_on_serial(OFF, f'mount -t virtiofs "{tag}" /mnt && echo mount-$((6*7))-ok', log=log)
        shown("mount-42-ok", "the share mounted")
        testbed.type_on_serial(OFF, "cat /mnt/hello.txt", log=log)
        shown(content, "the host's file read in the guest")
        # short lines: the shell's line editor wraps one longer than the 80-column console
        testbed.type_on_serial(OFF, f"echo {written} > /mnt/out && sync && echo write-$((6*7))-ok", log=log)
        shown("write-42-ok", "the guest's write")
        assert (SHARE_DIR / "out").read_text() == written + "\n"
    finally:
        testbed.remove_domain(OFF)
        for child in SHARE_DIR.iterdir():
            child.unlink()
        SHARE_DIR.rmdir()


async def test_host_devices_listed_as_virsh_lists_them(tmp_path, testbed, shut_off):
    expected = set()
    for cap in ("pci", "usb_device"):
        expected |= {line.strip() for line in testbed.virsh("nodedev-list", "--cap", cap).splitlines() if line.strip()}
    assert expected, "this machine lists no PCI device"
    app = app_for(tmp_path, testbed.system_uri)
    async with app.run_test(size=(220, 50)) as pilot:
        await open_tuning(app, pilot, OFF)
        await pilot.press("H")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HostDevicesScreen", timeout=30,
                       what="the device list")
        table = app.screen.query_one("#host-devices")
        assert set(table.rows) == expected
        some = sorted(expected)[0]
        xml = ET.fromstring(testbed.virsh("nodedev-dumpxml", some))
        cap = xml.find("capability")
        address = "{:04x}:{:02x}:{:02x}.{:x}".format(*(int(cap.findtext(k)) for k in ("domain", "bus", "slot",
                                                                                        "function")))
        assert table.get_row(some)[1].plain == address
        assert table.get_row(some)[4].plain == (xml.findtext("driver/name") or "none")


def test_a_host_device_in_a_shut_off_definition_and_refused_on_a_running_guest(tmp_path, testbed, conn, shut_off,
                                                                                running):
    host = tuning.list_host_devices(conn)
    device = next(d for d in host.devices if d.kind == "pci")
    checks = tuning.attach_checks(device, host, OFF, ())
    if device.iommu_group is None:  # this machine: no IOMMU
        assert any("the host has no IOMMU" in w for w in checks.warnings)
    tuning.attach_hostdev(conn, shut_off, device.name)  # never started: it is this machine's own device
    dumped = testbed.virsh("dumpxml", OFF, "--inactive")
    hostdev = ET.fromstring(dumped).find("devices/hostdev")
    assert tx.hostdev_ref(hostdev).address == device.address and hostdev.get("managed") == "yes"
    path = tmp_path / "off.xml"
    path.write_text(dumped)
    run = subprocess.run(["virt-xml-validate", str(path), "domain"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    testbed.virsh("define", str(path))  # libvirt takes it as written

    with pytest.raises(ValueError, match="shut the guest off first"):
        tuning.attach_hostdev(conn, running, device.name)
    assert ET.fromstring(testbed.virsh("dumpxml", NAME, "--inactive")).find("devices/hostdev") is None

    ident = tx.hostdev_ref(hostdev).ident
    tuning.detach_hostdev(conn, shut_off, ident)
    assert ET.fromstring(testbed.virsh("dumpxml", OFF, "--inactive")).find("devices/hostdev") is None
    assert testbed.virsh("domstate", OFF).strip() == "shut off"


def test_the_host_topology_is_libvirts(testbed, conn):
    from tui.backend.host_topology import read_topology

    topology = read_topology(conn)
    caps = ET.fromstring(testbed.virsh("capabilities"))
    cells = caps.findall("host/topology/cells/cell")
    assert [c.id for c in topology.cells] == [int(c.get("id")) for c in cells]
    assert [len(c.cpus) for c in topology.cells] == [len(c.findall("cpus/cpu")) for c in cells]
    free = {int(key.strip()): int(value.split()[0]) for key, _, value in
            (line.partition(":") for line in testbed.virsh("freecell", "--all").splitlines()) if key.strip().isdigit()}
    assert set(free) == {c.id for c in topology.cells}
    for cell in topology.cells:  # free memory moves: within 64 MiB of virsh's figure
        assert abs(cell.free_kib - free[cell.id]) < 64 * 1024
    pages = testbed.virsh("freepages", "--all")
    for size in topology.hugepage_sizes:
        assert f"{size}KiB" in pages
    HUGEPAGES_BEFORE = int(HUGEPAGES.read_text())
    try:
        HUGEPAGES.write_text("3\n")
        deadline = time.monotonic() + 5
        while read_topology(conn).pages(2048) != (3, 3) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert read_topology(conn).pages(2048) == (3, 3)
    finally:
        HUGEPAGES.write_text(f"{HUGEPAGES_BEFORE}\n")
