"""The fields of the new-guest form: which exist, in which section, and which
show for which choices."""

from __future__ import annotations

from ..backend.osinfo import OsVariant
from ..backend.xml.new_guest import DIRECT_MODES, DISK_BUSES, GRAPHICS, NIC_MODELS

SOURCE_OPTIONS = [
    ("ISO image (install from CD-ROM)", "iso"),
    ("Import an existing disk image", "import"),
    ("Network boot (PXE)", "pxe"),
    ("Direct kernel boot", "kernel"),
    ("Cloud image + cloud-init", "cloud"),
]
ISO_FROM_OPTIONS = [("a volume of a pool", "volume"), ("a path on the host", "path"),
                    ("a file on this machine, uploaded into a pool", "upload")]
IMPORT_FROM_OPTIONS = [("a volume of a pool", "volume"), ("a path on the host", "path")]
CLOUD_MODE_OPTIONS = [("a new qcow2 overlay on it (thin)", "overlay"), ("a full copy of it", "copy")]
DISK_OPTIONS = [("a new volume", "new"), ("an existing volume", "existing"), ("no disk", "none")]
DISK_FORMAT_OPTIONS = [("qcow2 (thin)", "qcow2"), ("raw (preallocated)", "raw")]
FORMAT_OPTIONS = [("qcow2", "qcow2"), ("raw", "raw")]
NET_OPTIONS = [("a virtual network", "network"), ("a host bridge", "bridge"), ("macvtap (direct)", "direct"),
               ("no network", "none")]
BUS_OPTIONS = [(bus, bus) for bus in DISK_BUSES]
MODEL_OPTIONS = [(model, model) for model in NIC_MODELS]
MODE_OPTIONS = [(mode, mode) for mode in DIRECT_MODES]
GRAPHICS_OPTIONS = [(g, g) for g in GRAPHICS]
FIRMWARE_LABELS = {"bios": "BIOS", "efi": "UEFI"}
MATCHES = 8


def visible_rows(values: dict[str, object], variant: OsVariant | None) -> set[str]:
    """Field ids whose rows show for these choices (the rest hide)."""
    source = values.get("source")
    shown = {"host", "name", "os-search", "os", "source", "virt-type", "machine", "firmware", "cpu-mode", "tpm",
             "vcpus", "memory", "net", "agent", "graphics", "start", "console"}
    if values.get("firmware") == "efi":
        shown.add("secure-boot")
    if source == "iso":
        shown.add("iso-from")
        shown |= {"volume": {"iso-volume"}, "path": {"iso-path"}, "upload": {"iso-file", "iso-pool"}}.get(
            str(values.get("iso-from")), set())
    elif source == "import":
        shown |= {"import-from", "disk-bus"}
        shown |= {"import-path", "import-format"} if values.get("import-from") == "path" else {"import-volume"}
    elif source == "kernel":
        shown |= {"kernel", "initrd", "cmdline"}
    elif source == "cloud":
        shown |= {"cloud-volume", "cloud-mode", "ci-hostname", "ci-user", "ci-password", "ci-key",
                  "disk-pool", "disk-size", "disk-bus"}
    if source in ("iso", "pxe", "kernel"):
        shown.add("disk")
        disk = values.get("disk")
        if disk == "new":
            shown |= {"disk-pool", "disk-size", "disk-format", "disk-bus"}
        elif disk == "existing":
            shown |= {"disk-volume", "disk-bus"}
    net = values.get("net")
    if net != "none":
        shown |= {"net-model", "mac"}
        shown |= {"network": {"net-network"}, "bridge": {"net-bridge"}, "direct": {"net-dev", "net-mode"}}.get(
            str(net), set())
    if variant is not None and variant.is_windows or values.get("hyperv") or values.get("virtio-win"):
        shown |= {"hyperv", "localtime", "virtio-win"}
    return shown
