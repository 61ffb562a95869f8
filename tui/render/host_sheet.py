"""Everything known about one host, as label/value lines for its details sheet."""

from __future__ import annotations

from ..backend.host_facts import ksm_saved_bytes
from ..backend.inventory import Inventory
from ..backend.overcommit import Thresholds, host_load, provisioned_ratio
from ..backend.ssh_facts import ShellFacts, findings
from .cells import size_text
from .host_topology import topology_lines
from ..backend.units import count_text

Facts = list[tuple[str, str | None]]


def _yes_no(value: bool | None, yes: str = "yes", no: str = "no") -> str:
    return "n/a" if value is None else yes if value else no


def _size(value: int | None) -> str | None:
    return size_text(value) if value is not None else None


def shell_lines(shell: ShellFacts | None, pool_paths: dict[str, str], memory_ratio: float | None = None) -> Facts:
    """Facts read on the host itself (over its SSH connection, or locally)."""
    if shell is None:
        return [("Host shell facts", "n/a (read on local hosts and over virtdeck's own SSH)")]
    if shell.error:
        return [("Host shell facts", f"could not read: {shell.error}")]
    facts: Facts = [
        ("Load average", " ".join(f"{value:.2f}" for value in shell.load) if shell.load else None),
        ("KSM (host)", None if shell.ksm_on is None else
         f"{'running' if shell.ksm_on else 'off'}; shared {shell.ksm.get('pages_shared', 'n/a')}, sharing "
         f"{shell.ksm.get('pages_sharing', 'n/a')}, unshared {shell.ksm.get('pages_unshared', 'n/a')}, "
         f"full scans {shell.ksm.get('full_scans', 'n/a')}"),
        ("KSM memory saved", _size(shell.ksm_saved)),
        ("CPU virt flags", shell.cpu_virt or "none (no vmx/svm in /proc/cpuinfo)"),
        ("/dev/kvm", "present" if shell.dev_kvm else "missing"),
        ("Nested (kvm module)", "n/a (no kvm_intel/kvm_amd loaded)" if shell.nested_on is None else
         ", ".join(f"{module}={value}" for module, value in sorted(shell.nested.items()))),
    ]
    for path, (size, available) in sorted(shell.disks.items()):
        name = pool_paths.get(path, path)
        facts.append((f"Disk under {name}", f"{size_text(available)} free of {size_text(size)} ({path})"))
    found = findings(shell, memory_ratio)
    if found:
        facts.append(("Findings", "\n".join(f"{severity}: {text}" for severity, text in found)))
    if shell.validate:
        facts.append(("virt-host-validate", "\n".join(" ".join(line.split()) for line in shell.validate)))
    return facts


def host_sheet(inventory: Inventory, conn_id: str, thresholds: Thresholds,
               shell: ShellFacts | None = None) -> Facts:
    host = inventory.hosts[conn_id]
    stats = inventory.host_stats.get(conn_id)
    checks = inventory.checks.get(conn_id)
    load = host_load(inventory, conn_id)
    facts: Facts = [
        ("Name", host.name),
        ("URI", host.uri),
        ("State", host.state.value),
        ("Last error", host.last_error),
        ("Attempts", str(host.attempts) if host.attempts else None),
        ("Read-only", "yes" if host.read_only else "no"),
        ("Demo host", "yes: libvirt's test driver, nothing here is a real machine" if host.demo else "no"),
        ("Hostname", host.hostname),
        ("Hypervisor", f"{host.hypervisor or ''} {host.hypervisor_version or ''}".strip() or None),
        ("libvirt", host.libvirt_version),
        ("", None),
        ("Architecture", host.arch),
        ("CPU model", host.cpu_model),
        ("CPUs", str(host.cpus) if host.cpus else None),
        ("Topology", f"{count_text(host.numa_nodes or 0, 'NUMA node')}, {count_text(host.sockets, 'socket')} per node, "
                     f"{count_text(host.cores or 0, 'core')} per socket, {count_text(host.threads or 0, 'thread')} per core"
         if host.sockets else None),
        ("CPU MHz", str(host.cpu_mhz) if host.cpu_mhz else None),
        ("CPU busy", f"{stats.cpu_percent:.1f}%" if stats and stats.cpu_percent is not None else "next tick"),
        ("Memory total", _size(stats.memory_total if stats and stats.memory_total else
                               (host.memory_kib * 1024 if host.memory_kib else None))),
        ("Memory free", _size(stats.memory_free) if stats and stats.memory_free is not None else
                        "unknown (libvirt does not report it for this host)" if stats else "next tick"),
        ("Memory used", _size(stats.memory_total - stats.memory_free - (stats.memory_cached or 0)
                              - (stats.memory_buffers or 0))
                        if stats and stats.memory_total and stats.memory_free is not None else "unknown"),
        ("Memory cached", _size(stats.memory_cached) if stats else None),
        ("Memory buffers", _size(stats.memory_buffers) if stats else None),
        ("", None),
        ("Guests", f"{load.guests}: " + ", ".join(f"{n} {state}" for state, n in sorted(load.by_state.items()))
         if load.guests else "none"),
    ]
    if load.vcpu_ratio is not None:
        warn = " (over the threshold)" if load.vcpu_ratio > thresholds.vcpu_ratio else ""
        facts.append(("vCPU overcommit", f"{load.vcpus} vCPUs of active guests on {host.cpus} CPUs = "
                                         f"{load.vcpu_ratio:.2f} (warn above {thresholds.vcpu_ratio:g}){warn}"))
    if load.memory_ratio is not None:
        warn = " (over the threshold)" if load.memory_ratio > thresholds.memory_ratio else ""
        facts.append(("Memory commitment", f"{size_text(load.memory)} of active guests = {load.memory_ratio * 100:.0f}% "
                                           f"of host memory (warn above {thresholds.memory_ratio * 100:.0f}%){warn}"))
    ksm = stats.ksm if stats else None
    if ksm:
        facts.append(("KSM pages", f"shared {ksm.get('shm_pages_shared', 'n/a')}, sharing "
                                   f"{ksm.get('shm_pages_sharing', 'n/a')}, unshared "
                                   f"{ksm.get('shm_pages_unshared', 'n/a')}, volatile "
                                   f"{ksm.get('shm_pages_volatile', 'n/a')}, full scans {ksm.get('shm_full_scans', 'n/a')}"))
        facts.append(("KSM saves", _size(ksm_saved_bytes(ksm))))
    else:
        facts.append(("KSM", "n/a (libvirt gives no node memory parameters here)" if stats else "next tick"))
    facts.append(("", None))
    if checks is not None:
        facts += [
            ("Hardware virtualization", _yes_no(checks.hardware_virt, "yes (vmx/svm)", "no vmx/svm in the host CPU")),
            ("KVM domain type", _yes_no(checks.kvm_offered, "offered", "not offered (test driver: no real guests)"
                                        if "test" in checks.domain_types else "not offered (TCG only)")),
            ("Nested virtualization", _yes_no(checks.nested, "available to guests", "not passed to guests")),
            ("IOMMU", _yes_no(checks.iommu, "supported", "not supported")),
            ("Domain types", ", ".join(checks.domain_types) or None),
            ("Default machine", ", ".join(checks.machines) or None),
        ]
        facts.append(("", None))
        facts += topology_lines(checks.topology)
    else:
        facts.append(("Virtualization checks", "n/a"))
    pools = [pool for key, pool in inventory.pools.items() if key[0] == conn_id]
    if pools:
        facts.append(("", None))
    for pool in sorted(pools, key=lambda p: p.name):
        ratio = provisioned_ratio(inventory, pool.key)
        total = inventory.provisioned.get(pool.key)
        if ratio is None or total is None:
            facts.append((f"Pool {pool.name}", f"{pool.state}; provisioning n/a"))
            continue
        warn = " (overcommitted)" if ratio > thresholds.pool_provisioned else ""
        facts.append((f"Pool {pool.name}", f"volumes may grow to {size_text(total)} of {size_text(pool.capacity)}"
                                          f" = {ratio * 100:.0f}% provisioned{warn}"))
    if not host.demo:
        facts.append(("", None))
        facts += shell_lines(shell, {pool.target_path: f"pool {pool.name}" for pool in pools if pool.target_path},
                             load.memory_ratio)
    return facts
