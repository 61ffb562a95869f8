"""Host facts from the capabilities and domain capabilities XML."""

from __future__ import annotations

from dataclasses import dataclass

from . import parse


@dataclass(frozen=True)
class HostCapabilities:
    arch: str | None
    cpu_model: str | None
    cpu_vendor: str | None
    cpu_features: frozenset[str] = frozenset()
    domain_types: tuple[str, ...] = ()  # offered for the host's own arch
    iommu: bool | None = None


@dataclass(frozen=True)
class DomainCapabilities:
    domain_type: str | None
    machine: str | None
    host_model_features: frozenset[str]  # features the host-model CPU requires
    iommu: bool | None
    firmware: tuple[str, ...]


def parse_capabilities(xml: str) -> HostCapabilities:
    root = parse.root(xml, "capabilities")
    cpu = root.find("host/cpu")
    arch = cpu.findtext("arch") if cpu is not None else None
    features = frozenset(f.get("name", "") for f in cpu.findall("feature")) if cpu is not None else frozenset()
    types: list[str] = []
    for guest in root.findall("guest"):
        guest_arch = guest.find("arch")
        if guest_arch is None or (arch and guest_arch.get("name") != arch):
            continue
        for domain in guest_arch.findall("domain"):
            kind = domain.get("type")
            if kind and kind not in types:
                types.append(kind)
    iommu_el = root.find("host/iommu")
    iommu = None if iommu_el is None else iommu_el.get("support") == "yes"
    return HostCapabilities(
        arch=arch,
        cpu_model=cpu.findtext("model") if cpu is not None else None,
        cpu_vendor=cpu.findtext("vendor") if cpu is not None else None,
        cpu_features=features,
        domain_types=tuple(types),
        iommu=iommu,
    )


def parse_domain_capabilities(xml: str) -> DomainCapabilities:
    root = parse.root(xml, "domainCapabilities")
    host_model = None
    for mode in root.findall("cpu/mode"):
        if mode.get("name") == "host-model" and mode.get("supported") == "yes":
            host_model = mode
    features = frozenset(
        f.get("name", "") for f in (host_model.findall("feature") if host_model is not None else [])
        if f.get("policy") in ("require", "force")
    )
    iommu_el = root.find("devices/iommu")
    firmware = tuple(v.text or "" for v in root.findall("os/enum[@name='firmware']/value"))
    return DomainCapabilities(
        domain_type=root.findtext("domain"),
        machine=root.findtext("machine"),
        host_model_features=features,
        iommu=None if iommu_el is None else iommu_el.get("supported") == "yes",
        firmware=firmware,
    )
