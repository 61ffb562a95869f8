"""The guest agent, for real: Debian's qemu-ga in the tiny guest (tests/testbed/guest.sh,
``vd.agent``) on its virtio-serial channel. The Agent tab, agent addresses on the NICs tab
and in the Guests list, fsfreeze / thaw, agent connect / disconnect events and the triage
row, each checked against virsh. One guest, shared by the tests of this file; the agent is
stopped and started from the guest's serial console."""

from __future__ import annotations

import io
import ipaddress
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from tests.app.conftest import wait_for
from tui.backend.xml.network import parse_network

from .conftest import Testbed, VirshError, wait_until
from .test_stats import app_for

NAME = "vd-agent"
DATA = "/data"  # the guest's disk, an ext2 filesystem the agent can freeze (vd.fs)
HOST_PART = 61  # the guest's address on the isolated network: its subnet's .61
CHANNEL = "devices/channel/target[@name='org.qemu.guest_agent.0']"


@dataclass
class AgentGuest:
    name: str
    ip: str  # "192.168.x.61/24", as the agent reports it
    mac: str


def shown(widget) -> str:
    console = Console(width=300, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()


def type_line(testbed: Testbed, line: str, timeout: float = 30) -> None:
    testbed.type_on_serial(NAME, line, timeout)


def channel_state(testbed: Testbed) -> str | None:
    return ET.fromstring(testbed.virsh("dumpxml", NAME)).find(CHANNEL).get("state")


def agent_command(testbed: Testbed, command: str) -> str:
    return testbed.virsh("qemu-agent-command", NAME, f'{{"execute":"{command}"}}')


def agent_answers(testbed: Testbed) -> bool:
    try:
        return agent_command(testbed, "guest-ping").strip() == '{"return":{}}'
    except VirshError:
        return False


def guestinfo(testbed: Testbed) -> dict[str, str]:
    out = testbed.virsh("guestinfo", NAME)
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def domifaddr_agent(testbed: Testbed) -> dict[str, set[str]]:
    """MAC -> addresses, from `virsh domifaddr --source agent` (a row without a MAC continues the one above)."""
    found: dict[str, set[str]] = {}
    mac = None
    for line in testbed.virsh("domifaddr", NAME, "--source", "agent").splitlines():
        cols = line.split()
        if len(cols) != 4:
            continue
        if cols[1] != "-":
            mac = cols[1]
        found.setdefault(mac, set()).add(cols[3])
    return found


def fsfreeze_status(testbed: Testbed) -> str:
    return agent_command(testbed, "guest-fsfreeze-status").strip()


@pytest.fixture(scope="module")
def agent_guest(testbed: Testbed, isolated_network: str):
    """A tiny guest running qemu-ga, with an address on the isolated network, an ext2
    filesystem at /data, and root logged in on its console."""
    testbed.remove_domain(NAME)
    subnet = ipaddress.ip_network(parse_network(testbed.virsh("net-dumpxml", isolated_network)).ipv4_subnet)
    ip = f"{subnet.network_address + HOST_PART}/{subnet.prefixlen}"
    disk = Path(testbed.kernel).parent / f"{NAME}.raw"
    with open(disk, "wb") as f:
        f.truncate(16 * 1024 * 1024)
    cmdline = f"console=ttyS0 loglevel=4 panic=-1 vd.ip={ip} vd.fs={DATA}"
    path = testbed.state_dir / f"{NAME}.xml"
    path.write_text(testbed.guest_xml(NAME, network=isolated_network, cmdline=cmdline, disk=str(disk), agent=True))
    testbed.serial_log(NAME).unlink(missing_ok=True)
    testbed.virsh("define", str(path))
    try:
        testbed.virsh("start", NAME)
        testbed.wait_for_serial(NAME, testbed.login_prompt, timeout=120)
        wait_until(lambda: agent_answers(testbed), 60, interval=0.5, what=f"the guest agent of {NAME} to answer")
        type_line(testbed, "root")  # a login the agent lists among the users
        testbed.wait_for_serial(NAME, "welcome root", timeout=30)
        # The login writes its utmp record after the greeting.
        wait_until(lambda: guestinfo(testbed).get("user.count") == "1", 30, interval=0.5,
                   what=f"the guest agent of {NAME} to list the root login")
        mac = ET.fromstring(testbed.virsh("dumpxml", NAME)).find("devices/interface/mac").get("address")
        yield AgentGuest(NAME, ip, mac)
    finally:
        testbed.remove_domain(NAME)
        disk.unlink(missing_ok=True)


def select(app, name: str) -> None:
    table = app.screen.table
    table.move_cursor(row=table.get_row_index(next(k for k, c in table._cells.items() if c[0].plain == name)))


async def open_tab(app, pilot, tab_id: str):
    if type(app.screen).__name__ != "GuestDetailScreen":
        await wait_for(pilot, lambda: any(c[0].plain == NAME for c in app.screen.table._cells.values()),
                       timeout=30, what="the guest listed")
        select(app, NAME)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestDetailScreen")
    app.screen.show_tab(tab_id)
    tab = app.screen.tab(tab_id)
    await wait_for(pilot, lambda: tab.data is not None or tab.error is not None, timeout=30, what=f"{tab_id} read")
    assert tab.error is None, tab.error
    return tab


def notified(app, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


async def test_agent_tab_nics_and_guest_list_show_what_the_agent_says(tmp_path, testbed: Testbed,
                                                                     agent_guest: AgentGuest):
    said = guestinfo(testbed)
    hostname = testbed.virsh("domhostname", NAME).strip()
    filesystems = [tuple(line.split()[:3]) for line in testbed.virsh("domfsinfo", NAME).splitlines() if line.strip()]
    addresses = domifaddr_agent(testbed)
    assert channel_state(testbed) == "connected"
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    async with app.run_test(size=(220, 50)) as pilot:
        agent = await open_tab(app, pilot, "agent")
        assert agent.data.channel == "connected" and agent.data.error is None
        facts = agent.data.facts
        assert facts.os_name == said["os.pretty-name"] == "virtdeck tiny guest (busybox)"
        assert facts.kernel == said["os.kernel-release"]
        assert facts.hostname == hostname == "tiny"
        assert (said["timezone.name"], said["timezone.offset"]) == ("UTC", "0")
        assert facts.timezone == "UTC (UTC+00:00)"
        assert facts.users == tuple(said[f"user.{i}.name"] for i in range(int(said["user.count"]))) == ("root",)
        assert [(f.mountpoint, f.name, f.fstype) for f in facts.filesystems] == filesystems == [(DATA, "vda", "ext2")]
        assert facts.filesystems[0].total_bytes == int(said["fs.0.total-bytes"])
        text = shown(agent.body)
        for expected in ("org.qemu.guest_agent.0, connected", "answering", "virtdeck tiny guest (busybox)",
                         said["os.kernel-release"], "UTC (UTC+00:00)", DATA, "ext2",
                         "f freezes the guest's filesystems"):
            assert expected in text, (expected, text)
        assert agent.check_action("freeze", ()) and agent.check_action("thaw", ())

        nics = await open_tab(app, pilot, "nics")
        source = next(s for s in nics.data.sources if s.label == "guest agent")
        assert source.error is None
        assert {mac: set(found) for mac, found in source.addresses.items()} == addresses
        assert agent_guest.ip in addresses[agent_guest.mac]
        assert f"{agent_guest.ip} (guest agent)" in shown(nics.body)

        # What the NICs tab read, the Guests list shows with its source, for this run of the guest.
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GuestsScreen", what="the Guests list")
        table = app.screen.table
        ip_column = table.column_keys.index("ip")
        address = agent_guest.ip.split("/")[0]

        def ip_cell() -> str:
            return next(c[ip_column].plain for c in table._cells.values() if c[0].plain == NAME)

        await wait_for(pilot, lambda: ip_cell().startswith(f"{address} (agent)"), what=lambda: ip_cell())


async def test_freeze_and_thaw_from_the_agent_tab(tmp_path, testbed: Testbed, agent_guest: AgentGuest):
    assert fsfreeze_status(testbed) == '{"return":"thawed"}'
    app = app_for(tmp_path, testbed.system_uri, refresh="60")
    try:
        async with app.run_test(size=(220, 50)) as pilot:
            agent = await open_tab(app, pilot, "agent")
            await pilot.press("f")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen", what="the freeze question")
            await pilot.press("y")
            await wait_for(pilot, lambda: notified(app, f"{NAME}: 1 filesystem frozen."), timeout=30,
                           what=lambda: f"the freeze reported, got {[str(n.message) for n in app._notifications]}")
            assert fsfreeze_status(testbed) == '{"return":"frozen"}'
            with pytest.raises(VirshError, match="frozen"):
                testbed.virsh("domfsinfo", NAME)  # a frozen guest's agent answers only thaw and status
            # The tab reads again: the agent refuses, yet thaw stays at hand.
            await wait_for(pilot, lambda: agent.data.frozen, timeout=30, what="the tab read the frozen agent")
            assert agent.check_action("freeze", ()) is None and agent.check_action("thaw", ())
            text = shown(agent.body)
            assert "filesystems frozen: the agent answers only thaw (t)" in text
            assert "t thaws the guest's filesystems (f: unavailable, the filesystems are frozen)" in text

            await pilot.press("t")
            await wait_for(pilot, lambda: notified(app, f"{NAME}: 1 filesystem thawed."), timeout=30,
                           what="the thaw reported")
            assert fsfreeze_status(testbed) == '{"return":"thawed"}'
            await wait_for(pilot, lambda: agent.data.facts is not None and not agent.data.frozen, timeout=30,
                           what="the tab read the thawed agent")
            assert agent.check_action("freeze", ())
    finally:
        try:
            testbed.virsh("domfsthaw", NAME)
        except VirshError:
            pass


async def test_agent_stop_and_start_reach_events_and_triage(tmp_path, testbed: Testbed, agent_guest: AgentGuest):
    app = app_for(tmp_path, testbed.system_uri, refresh="60")

    def agent_events() -> list[str]:
        return [e.detail for _, e in app.inventory.events if e.subject == NAME and e.kind == "agent"]

    def rows() -> list[list[str]]:
        return [[cell.plain for cell in cells] for cells in app.screen.table._cells.values()]

    try:
        async with app.run_test(size=(200, 40)) as pilot:
            await wait_for(pilot, lambda: any(g.name == NAME for g in app.inventory.guests.values()), timeout=30,
                           what="the guest listed")
            type_line(testbed, "killall qemu-ga")
            await wait_for(pilot, lambda: "agent disconnected (channel)" in agent_events(), timeout=30,
                           what=lambda: f"the disconnect event, got {agent_events()}")
            assert channel_state(testbed) == "disconnected" and not agent_answers(testbed)

            await pilot.press("5")
            await wait_for(pilot, lambda: ["agent", NAME, "agent disconnected (channel)"] in [r[2:] for r in rows()],
                           what=lambda: f"the event listed, got {rows()}")
            await pilot.press("6")
            await wait_for(pilot, lambda: any(r[2] == NAME for r in rows()), what="the guest in triage")
            problem = next(r for r in rows() if r[2] == NAME)
            assert (problem[0], problem[3]) == ("warning", "guest agent stopped answering")

            type_line(testbed, "agent-start")
            await wait_for(pilot, lambda: "agent connected (channel)" in agent_events(), timeout=30,
                           what=lambda: f"the connect event, got {agent_events()}")
            assert channel_state(testbed) == "connected"
            wait_until(lambda: agent_answers(testbed), 30, interval=0.5, what="the agent answering again")
            await wait_for(pilot, lambda: not any(r[2] == NAME for r in rows()), what="the problem gone from triage")
            await pilot.press("5")
            await wait_for(pilot, lambda: ["agent", NAME, "agent connected (channel)"] in [r[2:] for r in rows()],
                           what=lambda: f"the event listed, got {rows()}")
    finally:
        if not agent_answers(testbed):
            type_line(testbed, "agent-start")
