"""A host whose bulk stats lack guests' vCPUs and memory (libvirt's test driver, served by the
test bed's libvirtd) through a slow link: its list is on screen before a GetInfo per guest
has been made, and the sizes then read match libvirt's, on screen and in `--export`
(which waits for them).

The link is the latency relay (tests/testbed/latency_relay.py, 10 ms each way); calls are
counted in libvirt's own client trace (tests/rpc_trace.py), never from the app.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import libvirt

from tests import rpc_trace as rpc
from tests.app.conftest import cell_text, wait_for
from tests.rpc_trace import RpcTrace

from .conftest import Testbed, _load_testbed_module

gen_node = _load_testbed_module("gen_node")
relay_module = _load_testbed_module("latency_relay")

GUESTS = 120  # a GetInfo each: 2.4 s through the relay when read before the list


def node_file(tmp_path: Path) -> Path:
    node = tmp_path / "node.xml"
    node.write_text(gen_node.generate_node_xml(GUESTS, seed=7))
    return node


def libvirt_sizes(uri: str) -> dict[str, tuple[int, int]]:
    """Guest name -> (vCPUs, memory KiB), read straight from libvirt."""
    conn = libvirt.open(uri)
    try:
        return {dom.name(): (dom.info()[3], dom.info()[2]) for dom in conn.listAllDomains()}
    finally:
        conn.close()


async def test_the_list_comes_before_a_getinfo_per_guest_and_the_sizes_follow(testbed: Testbed, tmp_path):
    from tui.app import VirtdeckApp
    from tui.cli import settings_from

    node = node_file(tmp_path)
    expected = libvirt_sizes(f"test+unix://{node}")
    assert len(set(expected.values())) > 1, "the generated guests all have one size"
    with relay_module.LatencyRelay(tmp_path / "relay.sock", delay=0.01) as relay:
        uri = f"test+unix://{node}?socket={relay.listen}"
        (tmp_path / "config.toml").write_text("resync = 86400\n", encoding="utf-8")
        app = VirtdeckApp(settings_from(["--config", str(tmp_path / "config.toml"), "-c", uri]))
        with RpcTrace(tmp_path / "rpc.log") as trace:
            async with app.run_test(size=(160, 40)) as pilot:
                await wait_for(pilot, lambda: len(app.inventory.guests) == GUESTS, timeout=60,
                               what=f"{GUESTS} guests listed")
                infos_when_shown = len(trace.calls([rpc.DOMAIN_GET_INFO], socket=str(relay.listen)))
                # The guests are read first, then the networks: the GetInfo calls sent before the
                # first network list are the ones the guest list waited for.
                networks_listed = min(c.at for c in trace.calls([rpc.CONNECT_LIST_ALL_NETWORKS],
                                                                socket=str(relay.listen)))
                info_calls_by_the_list = len([c for c in trace.calls([rpc.DOMAIN_GET_INFO], socket=str(relay.listen))
                                              if c.at < networks_listed])
                table = app.screen.table

                def shown() -> dict[str, tuple[str, str]]:
                    return {key: (cell_text(table, key, "vcpus"), cell_text(table, key, "memory"))
                            for key in table.keys_on_screen()}

                def names() -> dict[str, str]:
                    return {app.screen.row_key(*guest.key): guest.name for guest in app.inventory.guests.values()}

                await wait_for(pilot, lambda: all(g.sized for g in app.inventory.guests.values())
                               and shown() and all(v != "—" for v, _ in shown().values()), timeout=30,
                               what=lambda: f"every guest's size on screen: {list(shown().values())[:5]}")
                on_screen, by_key = shown(), names()
    assert info_calls_by_the_list < GUESTS // 4, (
        f"{info_calls_by_the_list} GetInfo calls were made before the list of {GUESTS} guests was read")
    assert infos_when_shown < GUESTS // 2, (
        f"{infos_when_shown} GetInfo calls were made before the list of {GUESTS} guests was on screen")
    for key, (vcpus, memory) in on_screen.items():
        name = by_key[key]
        assert vcpus == str(expected[name][0]), (name, vcpus, expected[name])
        assert memory.replace(" ", "") != "—", (name, memory)


def test_export_of_hosts_waits_for_the_sizes_read_after_the_list(testbed: Testbed, tmp_path):
    """The Hosts table's vCPU:CPU ratio sums the active guests' vCPUs: every size must be in."""
    node = node_file(tmp_path)
    conn = libvirt.open(f"test+unix://{node}")
    try:
        active_vcpus = sum(dom.info()[3] for dom in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE))
        cpus = conn.getInfo()[2]
    finally:
        conn.close()
    assert active_vcpus, "no active guest on the generated node"
    with relay_module.LatencyRelay(tmp_path / "relay.sock", delay=0.01) as relay:
        done = subprocess.run(
            [sys.executable, "-m", "tui", "--config", str(tmp_path / "config.toml"), "--export", "hosts",
             "--format", "json", "--no-stats", "--connect", f"test+unix://{node}?socket={relay.listen}"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, start_new_session=True,
        )
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)["rows"]
    assert abs(row["vcpu_ratio"] - active_vcpus / cpus) < 0.01, (row["vcpu_ratio"], active_vcpus, cpus)
