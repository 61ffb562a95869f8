"""A host's PCI and USB devices from their node device XML (`virNodeDeviceGetXMLDesc`):
names, ids, address, IOMMU group and its other members, the driver that holds it."""

from __future__ import annotations

from dataclasses import dataclass

from . import parse
from .tuning import HostdevRef, pci_address


@dataclass(frozen=True)
class NodeDevice:
    name: str  # libvirt's node device name: pci_0000_02_00_0, usb_1_2
    kind: str  # pci, usb
    address: str  # PCI 0000:02:00.0; USB bus:device as '1:2'
    vendor: str | None  # the vendor's name, where the host's id database knows it
    product: str | None
    vendor_id: str | None  # 0x10de
    product_id: str | None
    driver: str | None  # vfio-pci, a host driver, or None
    iommu_group: int | None  # PCI only; None: no IOMMU group (no IOMMU on the host)
    group_members: tuple[str, ...] = ()  # PCI addresses in the same group, this one included
    pci_class: str | None = None  # 0x030000

    @property
    def description(self) -> str:
        names = " ".join(part for part in (self.vendor, self.product) if part)
        ids = f"{(self.vendor_id or '?')[2:] if (self.vendor_id or '').startswith('0x') else self.vendor_id}:" \
              f"{(self.product_id or '?')[2:] if (self.product_id or '').startswith('0x') else self.product_id}"
        return f"{names} [{ids}]" if names else f"[{ids}]"

    def ref(self, by_id: bool = True) -> HostdevRef:
        """What a `<hostdev>` names it by: a PCI address; a USB device by vendor/product
        (`by_id`, found again after a replug) or by bus/device (one of two identical sticks)."""
        if self.kind == "usb" and by_id and self.vendor_id:
            return HostdevRef("usb", self.address, self.vendor_id, self.product_id)
        return HostdevRef(self.kind, self.address)


def _int(text: str | None) -> int:
    if not text:
        return 0
    text = text.strip()
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def parse_node_device(xml: str) -> NodeDevice | None:
    """A PCI or USB device; None for any other kind."""
    root = parse.root(xml, "device")
    name = root.findtext("name") or ""
    driver = root.findtext("driver/name")
    for cap in root.findall("capability"):
        kind = cap.get("type")
        if kind not in ("pci", "usb_device"):
            continue
        vendor, product = cap.find("vendor"), cap.find("product")
        common = dict(
            name=name,
            vendor=(vendor.text or "").strip() or None if vendor is not None else None,
            product=(product.text or "").strip() or None if product is not None else None,
            vendor_id=vendor.get("id") if vendor is not None else None,
            product_id=product.get("id") if product is not None else None,
            driver=driver,
        )
        if kind == "usb_device":
            return NodeDevice(kind="usb", address=f"{_int(cap.findtext('bus'))}:{_int(cap.findtext('device'))}",
                              iommu_group=None, **common)
        address = pci_address(*(_int(cap.findtext(key)) for key in ("domain", "bus", "slot", "function")))
        group = cap.find("iommuGroup")
        members: tuple[str, ...] = ()
        if group is not None:
            members = tuple(pci_address(*(_int(a.get(key)) for key in ("domain", "bus", "slot", "function")))
                            for a in group.findall("address"))
        return NodeDevice(kind="pci", address=address,
                          iommu_group=_int(group.get("number")) if group is not None else None,
                          group_members=members, pci_class=cap.findtext("class"), **common)
    return None
