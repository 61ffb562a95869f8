"""The fleet's problems, worst first. Pure: reads an Inventory."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from .inventory import Inventory
from .model import ConnState
from .overcommit import Thresholds, host_load, provisioned_ratio
from .ssh_facts import ShellFacts, findings

CRITICAL, WARNING, NOTICE = 0, 1, 2
SEVERITY_NAMES = {CRITICAL: "critical", WARNING: "warning", NOTICE: "notice"}


@dataclass(frozen=True)
class Problem:
    severity: int
    view: str  # where `enter` jumps: guests, networks, storage, hosts
    row_key: str  # that view's row key
    host: str
    subject: str
    text: str

    @property
    def key(self) -> str:
        return f"{self.view}|{self.row_key}"


def problems(inventory: Inventory, thresholds: Thresholds, now: float | None = None,
             shell_facts: Mapping[str, ShellFacts] | None = None) -> list[Problem]:
    """`shell_facts`: what was read on each host beyond libvirt (pool filesystems, KSM, virt-host-validate)."""
    now = time.time() if now is None else now
    found: list[Problem] = []
    for host in inventory.hosts.values():
        if host.state in (ConnState.LOST, ConnState.FAILED, ConnState.RETRYING):
            text = f"{host.state.value}: {host.last_error or 'no answer'}"
            found.append(Problem(CRITICAL, "hosts", host.conn_id, host.name, host.uri, text))
        elif host.state == ConnState.CONNECTED and host.unresponsive_since is not None:
            text = f"not responding for {now - host.unresponsive_since:.0f} s"
            found.append(Problem(CRITICAL, "hosts", host.conn_id, host.name, host.uri, text))
        if host.state != ConnState.CONNECTED:
            continue
        load = host_load(inventory, host.conn_id)
        if load.vcpu_ratio is not None and load.vcpu_ratio > thresholds.vcpu_ratio:
            found.append(Problem(WARNING, "hosts", host.conn_id, host.name, host.uri,
                                 f"vCPU overcommit {load.vcpu_ratio:.2f} (threshold {thresholds.vcpu_ratio:g})"))
        if load.memory_ratio is not None and load.memory_ratio > thresholds.memory_ratio:
            found.append(Problem(WARNING, "hosts", host.conn_id, host.name, host.uri,
                                 f"guest memory {load.memory_ratio * 100:.0f}% of host memory "
                                 f"(threshold {thresholds.memory_ratio * 100:.0f}%)"))
        facts = (shell_facts or {}).get(host.conn_id)
        for severity, text in findings(facts, load.memory_ratio) if facts is not None else ():
            found.append(Problem(WARNING if severity == "warning" else NOTICE, "hosts", host.conn_id, host.name,
                                 host.uri, text))
    for key, guest in inventory.guests.items():
        host = inventory.host_name(guest.conn_id)
        row = f"{key[0]}|{key[1]}"
        if guest.state == "crashed":
            found.append(Problem(CRITICAL, "guests", row, host, guest.name, f"crashed ({guest.reason})"))
        elif guest.state == "paused" and guest.reason == "I/O error":
            found.append(Problem(CRITICAL, "guests", row, host, guest.name, "paused by an I/O error"))
        elif guest.state == "paused" and guest.reason not in ("user", "unknown", ""):
            found.append(Problem(WARNING, "guests", row, host, guest.name, f"paused: {guest.reason}"))
        elif guest.state == "blocked":
            found.append(Problem(WARNING, "guests", row, host, guest.name, "blocked"))
        if inventory.agents.get(key) is False and guest.state == "running":
            found.append(Problem(WARNING, "guests", row, host, guest.name, "guest agent stopped answering"))
        if guest.autostart and guest.state == "shut off" and not guest.managed_save:
            found.append(Problem(NOTICE, "guests", row, host, guest.name, "autostart guest is not running"))
    for key, pool in inventory.pools.items():
        host = inventory.host_name(pool.conn_id)
        row = f"{key[0]}|{key[1]}"
        if pool.state in ("inaccessible", "degraded"):
            found.append(Problem(CRITICAL, "storage", row, host, pool.name, f"pool {pool.state}"))
        if pool.state != "active":
            if pool.autostart:
                found.append(Problem(NOTICE, "storage", row, host, pool.name, "autostart pool is not active"))
            continue
        used = pool.used_fraction
        if used is not None and used >= thresholds.pool_used:
            found.append(Problem(WARNING, "storage", row, host, pool.name, f"pool {used * 100:.0f}% full"))
        ratio = provisioned_ratio(inventory, key)
        if ratio is not None and ratio > thresholds.pool_provisioned:
            found.append(Problem(WARNING, "storage", row, host, pool.name,
                                 f"volumes may grow to {ratio * 100:.0f}% of the pool (thin overcommit)"))
    for key, net in inventory.networks.items():
        if net.autostart and not net.active:
            found.append(Problem(NOTICE, "networks", f"{key[0]}|{key[1]}", inventory.host_name(net.conn_id),
                                 net.name, "autostart network is down"))
    found.sort(key=lambda p: (p.severity, p.host.casefold(), p.subject.casefold()))
    return found
