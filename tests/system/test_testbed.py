"""Smoke tests of the system test bed itself."""

from __future__ import annotations

import libvirt


def test_tiny_guest_is_running(testbed, tiny_guest):
    assert testbed.virsh("domstate", tiny_guest.name).strip() == "running"


def test_ssh_uri_lists_the_guest(testbed, tiny_guest):
    out = testbed.virsh("list", "--all", "--name", uri=testbed.ssh_uri)
    assert tiny_guest.name in out.split()
    assert testbed.virsh("hostname", uri=testbed.ssh_uri).strip()


def test_libvirt_python_over_ssh(testbed, tiny_guest):
    conn = libvirt.openReadOnly(testbed.ssh_uri)
    try:
        dom = conn.lookupByName(tiny_guest.name)
        assert dom.UUIDString() == tiny_guest.uuid
        assert dom.isActive()
    finally:
        conn.close()


def test_serial_shows_boot_marker_and_prompt(testbed, tiny_guest):
    text = tiny_guest.serial_log.read_text(errors="replace")
    assert testbed.boot_marker in text
    assert testbed.login_prompt in text


def test_guest_is_on_the_isolated_network(testbed, tiny_guest):
    xml = testbed.virsh("net-dumpxml", tiny_guest.network)
    assert "<forward" not in xml
    assert tiny_guest.network in testbed.virsh("domiflist", tiny_guest.name)


def _proc_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def test_sigstop_and_sigcont_libvirtd(testbed, tiny_guest):
    pid = testbed.sigstop_libvirtd()
    try:
        assert _proc_state(pid) == "T"
    finally:
        testbed.sigcont_libvirtd()
    assert testbed.virsh("domstate", tiny_guest.name).strip() == "running"


def test_restart_libvirtd_keeps_the_guest(testbed, tiny_guest):
    old = testbed.libvirtd_pid()
    assert old is not None
    testbed.kill_libvirtd()
    assert testbed.libvirtd_pid() is None
    new = testbed.start_libvirtd()
    assert new != old
    assert testbed.virsh("domstate", tiny_guest.name).strip() == "running"
