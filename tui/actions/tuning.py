"""What the guest detail's Tuning tab and its forms ask of a guest's host: its tuning
(pinning, NUMA, hugepages, shares, host devices), the host's devices, and the changes.

Each verb takes the widget the answer goes to and `then(result, error)`. The pure checks
and types the forms need come from here too."""

from __future__ import annotations

from ..backend.ops import tuning
from ..backend.ops.tuning import (AttachChecks, HostDevices, NumaRequest, PinRequest, TuningView, attach_checks,
                                  check_share_dir, check_tag, hugepage_problem)
from ..backend.xml.host_topology import Topology
from ..backend.xml.nodedev import NodeDevice
from ..backend.xml.tuning import NUMA_MODES, PLACEMENTS, HostdevRef, Share, Tuning, format_cpuset, parse_cpuset
from ..calls import Then
from .owner import OwnedActions

__all__ = [
    "AttachChecks", "HostDevices", "HostdevRef", "NUMA_MODES", "NodeDevice", "NumaRequest", "PLACEMENTS",
    "PinRequest", "Share", "Topology", "Tuning", "TuningActions", "TuningView", "attach_checks", "check_share_dir",
    "check_tag", "format_cpuset", "hugepage_problem", "parse_cpuset",
]


class TuningActions(OwnedActions):
    def read(self, target, conn_id: str, uuid: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.read(conn, uuid), then, "read tuning",
                  opens="the tuning tab")

    def set_pinning(self, target, conn_id: str, uuid: str, request: PinRequest, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.set_pinning(conn, uuid, request), then, "pin vCPUs")

    def set_numa(self, target, conn_id: str, uuid: str, request: NumaRequest, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.set_numa(conn, uuid, request), then, "NUMA placement")

    def set_hugepages(self, target, conn_id: str, uuid: str, size_kib: int | None, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.set_hugepages(conn, uuid, size_kib), then, "hugepages")

    def add_share(self, target, conn_id: str, uuid: str, source: str, tag: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.add_share(conn, uuid, source, tag), then,
                  "add a shared folder")

    def remove_share(self, target, conn_id: str, uuid: str, tag: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.remove_share(conn, uuid, tag), then,
                  "remove a shared folder")

    def host_devices(self, target, conn_id: str, then: Then) -> None:
        """`then(HostDevices, error)`: the host's PCI and USB devices and the guests using each."""
        self._ask(target, conn_id, tuning.list_host_devices, then, "list host devices", opens="host devices")

    def attach_hostdev(self, target, conn_id: str, uuid: str, device_name: str, by_id: bool, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.attach_hostdev(conn, uuid, device_name, by_id), then,
                  "attach a host device")

    def detach_hostdev(self, target, conn_id: str, uuid: str, ident: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.detach_hostdev(conn, uuid, ident), then,
                  "detach a host device")
