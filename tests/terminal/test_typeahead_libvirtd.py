"""Type-ahead on a real libvirtd, with a TCG guest burning a core beside it:
a filter typed in one burst filters, and no guest changes state, autostart
or definition."""

from __future__ import annotations

import time

import pytest

from tests.system.conftest import Testbed, VirshError, testbed  # noqa: F401  (testbed: the fixture)

from .conftest import STARTUP, filter_box, listed_guests

BURNER = "vd-ta-burn"  # running, one vCPU busy
PARKED = "vd-ta-sar"  # shut off, autostart off: what the letters of its own name would start


def cpu_time(testbed: Testbed, name: str) -> float:
    stats = dict(line.strip().split("=", 1) for line in testbed.virsh("domstats", "--cpu-total", name).splitlines()
                 if "=" in line)
    return int(stats["cpu.time"]) / 1e9


@pytest.fixture
def guests(testbed: Testbed):
    for name in (BURNER, PARKED):
        testbed.remove_domain(name)
    burner_xml = testbed.state_dir / f"{BURNER}.xml"
    burner_xml.write_text(testbed.guest_xml(BURNER, cmdline="console=ttyS0 loglevel=4 panic=-1 vd.burn=1"))
    parked_xml = testbed.state_dir / f"{PARKED}.xml"
    parked_xml.write_text(testbed.guest_xml(PARKED))
    testbed.serial_log(BURNER).unlink(missing_ok=True)
    testbed.virsh("define", str(burner_xml))
    testbed.virsh("define", str(parked_xml))
    testbed.virsh("start", BURNER)
    try:
        testbed.wait_for_serial(BURNER, testbed.login_prompt, timeout=180)
        yield
    finally:
        for name in (BURNER, PARKED):
            testbed.remove_domain(name)


def host_facts(testbed: Testbed) -> dict[str, tuple[str, str, str]]:
    """name -> (state, autostart, inactive definition) of every guest on the host."""
    facts = {}
    for name in testbed.virsh("list", "--all", "--name").split("\n"):
        if not (name := name.strip()):
            continue
        state = testbed.virsh("domstate", name).strip()
        info = dict(line.split(":", 1) for line in testbed.virsh("dominfo", name).splitlines() if ":" in line)
        try:
            definition = testbed.virsh("dumpxml", "--inactive", name)
        except VirshError as exc:
            definition = str(exc)
        facts[name] = (state, info.get("Autostart", "").strip(), definition)
    return facts


def test_a_filter_typed_in_one_burst_filters_and_changes_no_guest(testbed: Testbed, guests, start, installed):
    before = cpu_time(testbed, BURNER)
    time.sleep(1.0)  # a measuring interval: the burner must really be busy
    busy = cpu_time(testbed, BURNER) - before
    assert busy > 0.25, f"{BURNER} used only {busy:.2f} s of CPU in 1 s"
    facts = host_facts(testbed)
    assert facts[PARKED][:2] == ("shut off", "disable"), facts[PARKED][:2]

    app = start([installed, "-c", testbed.system_uri])
    app.wait_for(lambda a: a.contains(f" {PARKED} ") and a.contains(f" {BURNER} "), "both test guests",
                 deadline=STARTUP)
    app.burst(list(f"/{PARKED}"))
    app.wait_for(lambda a: filter_box(a) == PARKED and listed_guests(a, set(facts)) == {PARKED},
                 f"the filter box with {PARKED} and only its row", deadline=20)
    app.quit()
    after = host_facts(testbed)
    changed = {name: (facts.get(name, ("absent",))[:2], after.get(name, ("absent",))[:2])
               for name in facts.keys() | after.keys() if facts.get(name) != after.get(name)}
    assert not changed, changed
