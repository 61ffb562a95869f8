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
IMPORT_FROM_OPTIONS = [("a volume of a pool", "volume"), ("a path on the host", "path"),
                       ("a new volume from a virt-builder template", "builder")]
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

# Field id -> the GuestAnswers name it answers (host, os-search, os, start and console are the form's own).
ANSWERS = {
    "name": "name", "memory": "memory", "vcpus": "vcpus", "virt-type": "domain_type", "source": "source",
    "iso-from": "iso_from", "iso-volume": "iso_volume", "iso-path": "iso_path", "iso-file": "iso_file",
    "iso-pool": "iso_pool", "import-from": "import_from", "import-volume": "import_volume",
    "import-path": "import_path", "import-format": "import_format", "kernel": "kernel", "initrd": "initrd",
    "cmdline": "cmdline", "cloud-volume": "cloud_volume", "cloud-mode": "cloud_mode", "ci-hostname": "ci_hostname",
    "ci-user": "ci_user", "ci-password": "ci_password", "ci-key": "ci_key", "machine": "machine",
    "firmware": "firmware", "secure-boot": "secure_boot", "tpm": "tpm", "cpu-mode": "cpu_mode", "disk": "disk",
    "disk-pool": "disk_pool", "disk-size": "disk_size", "disk-format": "disk_format", "disk-volume": "disk_volume",
    "disk-bus": "disk_bus", "net": "nic", "net-network": "nic_network", "net-bridge": "nic_bridge",
    "net-dev": "nic_dev", "net-mode": "nic_mode", "net-model": "nic_model", "mac": "nic_mac",
    "agent": "guest_agent", "graphics": "graphics", "hyperv": "hyperv", "localtime": "localtime",
    "virtio-win": "virtio_win",
}
# A problem or failure named by its answer ("os": the OS variant) -> the field it is shown next to.
FIELD_OF = {answer: field for field, answer in ANSWERS.items()} | {"os": "os"}


def by_field(problems: dict[str, str]) -> dict[str, str]:
    """Problems keyed by answer, keyed by the field they are shown next to."""
    return {FIELD_OF.get(answer, answer): message for answer, message in problems.items()}


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
        shown |= {"path": {"import-path", "import-format"}, "builder": {"disk-pool", "import-build"}}.get(
            str(values.get("import-from")), {"import-volume"})
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
