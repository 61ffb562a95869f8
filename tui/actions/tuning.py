"""What the guest detail's Tuning tab and its forms ask of a guest's host: its tuning
(pinning, NUMA, hugepages, shares, host devices), the host's devices, and the changes.

Each verb takes the widget the answer goes to and `then(result, error)`. The pure checks
and types the forms need come from here too."""

from __future__ import annotations

from collections.abc import Callable

from ..backend import commands
from ..backend.commands import CommandLine
from ..backend.ops import tuning
from ..backend.ops.tuning import (AttachChecks, HostDevices, NumaRequest, PinRequest, TuningView, attach_checks,
                                  check_share_dir, check_tag, hugepage_problem)
from ..backend.xml.host_topology import Topology
from ..backend.xml.nodedev import NodeDevice
from ..backend.xml.tuning import NUMA_MODES, PLACEMENTS, HostdevRef, Share, Tuning, format_cpuset, parse_cpuset
from ..calls import Then
from .owner import OwnedActions
from .recorder import Did

Build = Callable[[str, str], list[CommandLine]]  # (uri, the guest's name) -> command lines

__all__ = [
    "AttachChecks", "HostDevices", "HostdevRef", "NUMA_MODES", "NodeDevice", "NumaRequest", "PLACEMENTS",
    "PinRequest", "Share", "Topology", "Tuning", "TuningActions", "TuningView", "attach_checks", "check_share_dir",
    "check_tag", "format_cpuset", "hugepage_problem", "hostdev_commands", "hugepages_commands", "numa_commands",
    "parse_cpuset", "pinning_commands", "share_commands", "unhostdev_commands", "unshare_commands",
]


def pinning_commands(request: PinRequest, host_cpus: int) -> Build:
    every = f"0-{host_cpus - 1}"  # an emptied cpuset: any host CPU
    pins = [(vcpu, format_cpuset(cpus) if cpus else every) for vcpu, cpus in sorted(request.vcpu_pins.items())]
    emulator = None if request.emulator is False else format_cpuset(request.emulator) if request.emulator else every
    return lambda uri, name: commands.vcpu_pinning(uri, name, pins, emulator, request.live, request.config)


def numa_commands(request: NumaRequest) -> Build:
    return lambda uri, name: commands.numatune(uri, name, request.mode, request.placement, request.nodeset)


def hostdev_text(device: NodeDevice, by_id: bool) -> str:
    ref = device.ref(by_id)
    if ref.kind == "usb" and ref.vendor_id:
        source = f"<vendor id='{ref.vendor_id}'/><product id='{ref.product_id}'/>"
    elif ref.kind == "usb":
        bus, _, dev = (ref.address or "").partition(":")
        source = f"<address bus='{bus}' device='{dev}'/>"
    else:
        source = f"<address> of {ref.address}"
    return f"<hostdev mode='subsystem' type='{ref.kind}' managed='yes'><source>{source}</source></hostdev>"


def hugepages_commands(size_kib: int | None) -> Build:
    return lambda uri, name: commands.hugepages(uri, name, size_kib)


def share_commands(source: str, tag: str) -> Build:
    return lambda uri, name: commands.share_attach(uri, name, source, tag)


def unshare_commands(tag: str) -> Build:
    return lambda uri, name: commands.share_detach(uri, name, tag)


def hostdev_commands(device: NodeDevice, by_id: bool) -> Build:
    return lambda uri, name: commands.hostdev_attach(uri, name, hostdev_text(device, by_id))


def unhostdev_commands() -> Build:
    return commands.hostdev_detach


class TuningActions(OwnedActions):
    def commands(self, conn_id: str, uuid: str, build: Build) -> list[CommandLine]:
        """`build(uri, the guest's name)`: the command lines of a change to the guest `uuid`."""
        return build(self.uri(conn_id), self.name_of("guests", conn_id, uuid))

    def _did(self, conn_id: str, uuid: str, what: str, build: Build) -> Did:
        return Did("guest", self.name_of("guests", conn_id, uuid), what, tuple(self.commands(conn_id, uuid, build)))

    def read(self, target, conn_id: str, uuid: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.read(conn, uuid), then, "read tuning",
                  opens="the tuning tab")

    def set_pinning(self, target, conn_id: str, uuid: str, request: PinRequest, host_cpus: int, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.set_pinning(conn, uuid, request), then, "pin vCPUs",
                  did=self._did(conn_id, uuid, "pin vCPUs", pinning_commands(request, host_cpus)))

    def set_numa(self, target, conn_id: str, uuid: str, request: NumaRequest, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.set_numa(conn, uuid, request), then, "NUMA placement",
                  did=self._did(conn_id, uuid, "NUMA placement", numa_commands(request)))

    def set_hugepages(self, target, conn_id: str, uuid: str, size_kib: int | None, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.set_hugepages(conn, uuid, size_kib), then, "hugepages",
                  did=self._did(conn_id, uuid, "hugepages", hugepages_commands(size_kib)))

    def add_share(self, target, conn_id: str, uuid: str, source: str, tag: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.add_share(conn, uuid, source, tag), then,
                  "add a shared folder", did=self._did(conn_id, uuid, f"share {source} as {tag}",
                                                       share_commands(source, tag)))

    def remove_share(self, target, conn_id: str, uuid: str, tag: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.remove_share(conn, uuid, tag), then,
                  "remove a shared folder", did=self._did(conn_id, uuid, f"remove the shared folder {tag}", unshare_commands(tag)))

    def host_devices(self, target, conn_id: str, then: Then) -> None:
        """`then(HostDevices, error)`: the host's PCI and USB devices and the guests using each."""
        self._ask(target, conn_id, tuning.list_host_devices, then, "list host devices", opens="host devices")

    def attach_hostdev(self, target, conn_id: str, uuid: str, device: NodeDevice, by_id: bool, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.attach_hostdev(conn, uuid, device.name, by_id), then,
                  "attach a host device", did=self._did(conn_id, uuid, f"assign {device.kind} {device.address}",
                                                        hostdev_commands(device, by_id)))

    def detach_hostdev(self, target, conn_id: str, uuid: str, ident: str, then: Then) -> None:
        self._ask(target, conn_id, lambda conn: tuning.detach_hostdev(conn, uuid, ident), then,
                  "detach a host device", did=self._did(conn_id, uuid, f"remove the host device {ident}", unhostdev_commands()))

