from tui.backend.inventory import Inventory
from tui.backend.model import (
    AgentChanged, ConnState, Guest, GuestChanged, Host, HostChanged, HostFactsRead, Network, NetworkChanged, Pool,
    PoolChanged,
)
from tui.backend.overcommit import Thresholds, host_load, provisioned_ratio
from tui.backend.triage import CRITICAL, NOTICE, WARNING, problems


def fleet():
    inv = Inventory()
    inv.apply(HostChanged(Host("c1", "qemu:///system", "kvm01", ConnState.CONNECTED, cpus=4, memory_kib=8 * 1024**2)))
    inv.apply(HostChanged(Host("c2", "qemu+ssh://x/system", "kvm02", ConnState.RETRYING, last_error="Connection refused")))
    return inv


def guest(uuid, state="running", reason="booted", vcpus=2, mem_gib=1, **kw):
    return Guest("c1", uuid, f"g-{uuid}", state, reason, vcpus=vcpus, memory_kib=mem_gib * 1024**2, **kw)


def test_host_load_and_overcommit():
    inv = fleet()
    for i in range(5):
        inv.apply(GuestChanged(guest(str(i), vcpus=4, mem_gib=2)))
    inv.apply(GuestChanged(guest("off", state="shut off", vcpus=64, mem_gib=64)))
    load = host_load(inv, "c1")
    assert (load.guests, load.vcpus, load.vcpu_ratio) == (6, 20, 5.0)
    assert load.memory_ratio == 10 / 8
    assert load.by_state == {"running": 5, "shut off": 1}
    found = problems(inv, Thresholds())
    texts = [p.text for p in found]
    assert any(t.startswith("vCPU overcommit 5.00") for t in texts)
    assert any(t.startswith("guest memory 125%") for t in texts)
    assert not problems(inv, Thresholds(vcpu_ratio=8, memory_ratio=2))[1:]  # only the unreachable host


def test_worst_first_and_jump_targets():
    inv = fleet()
    inv.apply(GuestChanged(guest("a", state="crashed", reason="panicked")))
    inv.apply(GuestChanged(guest("b", state="paused", reason="I/O error")))
    inv.apply(GuestChanged(guest("c", state="paused", reason="migrating")))
    inv.apply(GuestChanged(guest("d", state="paused", reason="user")))
    inv.apply(GuestChanged(guest("e", state="shut off", reason="shutdown", autostart=True)))
    inv.apply(GuestChanged(guest("f")))
    inv.apply(AgentChanged("c1", "f", False))
    inv.apply(PoolChanged(Pool("c1", "p", "images", "dir", "active", capacity=100, allocation=95, available=5)))
    inv.apply(HostFactsRead("c1", None, {"p": 300}))
    inv.apply(NetworkChanged(Network("c1", "n", "default", False, "nat", autostart=True)))
    found = problems(inv, Thresholds())
    severities = [p.severity for p in found]
    assert severities == sorted(severities)
    by_subject = {(p.subject, p.text): p for p in found}
    assert by_subject[("qemu+ssh://x/system", "retrying: Connection refused")].view == "hosts"
    assert by_subject[("g-a", "crashed (panicked)")].severity == CRITICAL
    assert by_subject[("g-b", "paused by an I/O error")].severity == CRITICAL
    assert by_subject[("g-c", "paused: migrating")].severity == WARNING
    assert not any(p.subject == "g-d" for p in found)
    assert by_subject[("g-e", "autostart guest is not running")].severity == NOTICE
    assert by_subject[("g-f", "guest agent stopped answering")].row_key == "c1|f"
    assert by_subject[("images", "pool 95% full")].view == "storage"
    assert provisioned_ratio(inv, ("c1", "p")) == 3.0
    assert ("images", "volumes may grow to 300% of the pool (thin overcommit)") in by_subject
    assert by_subject[("default", "autostart network is down")].view == "networks"


def test_one_pools_provisioning_update_leaves_the_others():
    inv = fleet()
    inv.apply(HostFactsRead("c1", None, {"p1": 10, "p2": 20}))
    inv.apply(HostFactsRead("c1", None, {"p1": 15}, pools=("p1",)))
    assert inv.provisioned == {("c1", "p1"): 15, ("c1", "p2"): 20}
    inv.apply(HostFactsRead("c1", None, {}, pools=("p2",)))  # p2 stopped: nothing to say about it
    assert inv.provisioned == {("c1", "p1"): 15}
    inv.apply(HostFactsRead("c1", None, {"p3": 5}))  # a full read replaces all
    assert inv.provisioned == {("c1", "p3"): 5}


def test_host_facts_beyond_libvirt_reach_triage():
    from tui.backend.ssh_facts import ShellFacts

    inv = fleet()
    for i in range(5):
        inv.apply(GuestChanged(guest(str(i), vcpus=1, mem_gib=2)))  # 10 GiB of 8: overcommitted
    facts = ShellFacts(read_at=0.0, ksm={"run": 0}, disks={"/var/lib/libvirt/images": (100 * 2**30, 5 * 2**30)},
                       validate=("QEMU: Checking for hardware virtualization : FAIL (Only emulated CPUs)",))
    found = [p for p in problems(inv, Thresholds(memory_ratio=2), shell_facts={"c1": facts}) if p.host == "kvm01"]
    assert {(p.severity, p.view, p.row_key) for p in found} == {(WARNING, "hosts", "c1"), (NOTICE, "hosts", "c1")}
    texts = " / ".join(p.text for p in found)
    assert "/var/lib/libvirt/images is 95% full" in texts
    assert "KSM is off" in texts
    assert "virt-host-validate: QEMU: Checking for hardware virtualization : FAIL" in texts
    assert not [p for p in problems(inv, Thresholds(memory_ratio=2)) if p.host == "kvm01"]
