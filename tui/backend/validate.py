"""Input checks shared by forms and the command line.

Each check returns None when the value is fine, else a message that says what
is wrong in words a user can act on.
"""

from __future__ import annotations

import ipaddress
import math
import posixpath
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Union
from urllib.parse import urlsplit

from .units import size_text

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

DRIVERS = ("qemu", "test", "lxc", "xen", "ch", "bhyve", "vz", "esx", "remote")
TRANSPORTS = ("tls", "tcp", "unix", "ssh", "libssh", "libssh2", "ext")

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
_IPV4 = re.compile(r"^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$")
_USER = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*$")

PRESETS = {
    "system": "qemu:///system",
    "session": "qemu:///session",
}


def check_uri(uri: str) -> str | None:
    uri = uri.strip()
    if not uri:
        return "Enter a libvirt URI, e.g. qemu:///system or qemu+ssh://root@host/system"
    if any(c.isspace() for c in uri):
        return "A URI has no spaces"
    if "://" not in uri:
        return "A URI looks like driver[+transport]://[user@][host][:port]/path"
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError as exc:
        return f"Not a valid URI: {exc}"
    driver, _, transport = parts.scheme.partition("+")
    if driver not in DRIVERS:
        return f"Unknown driver {driver!r}: expected one of {', '.join(DRIVERS)}"
    if transport and transport not in TRANSPORTS:
        return f"Unknown transport {transport!r}: expected one of {', '.join(TRANSPORTS)}"
    if transport in ("ssh", "libssh", "libssh2", "tls", "tcp") and not parts.hostname:
        return f"A {transport} URI needs a host name"
    if parts.hostname and check_host(parts.hostname):
        return check_host(parts.hostname)
    if port is not None and not 0 < port < 65536:
        return "Port must be between 1 and 65535"
    if driver == "qemu" and parts.path not in ("/system", "/session", "/embed"):
        return "A qemu URI ends in /system or /session"
    if driver == "test" and not parts.path:
        return "A test URI needs a path: test:///default or test:///path/to/node.xml"
    return None


def check_host(host: str) -> str | None:
    host = host.strip()
    if not host:
        return "Enter a host name or address"
    if host.startswith("[") and host.endswith("]"):
        return None
    match = _IPV4.match(host)
    if match:
        return None if all(int(part) <= 255 for part in match.groups()) else "Not a valid IPv4 address"
    if ":" in host and all(c in "0123456789abcdefABCDEF:." for c in host):
        return None
    if not _HOSTNAME.match(host):
        return "Not a valid host name"
    return None


def check_port(port: str) -> str | None:
    port = port.strip()
    if not port:
        return None
    if not (port.isascii() and port.isdigit()):
        return "Port is a number"
    if not 0 < int(port) < 65536:
        return "Port must be between 1 and 65535"
    return None


def check_user(user: str) -> str | None:
    user = user.strip()
    if not user:
        return None
    if not _USER.match(user) or len(user) > 32:
        return "Not a valid user name"
    return None


def check_connection_name(name: str, taken: set[str] = frozenset()) -> str | None:
    name = name.strip()
    if not name:
        return None
    if len(name) > 64:
        return "At most 64 characters"
    if name in taken:
        return f"A connection named {name!r} exists already"
    return None


def ssh_uri(user: str, host: str, port: str = "", path: str = "system") -> str:
    """qemu+ssh://[user@]host[:port]/system, bracketing IPv6 addresses."""
    host = host.strip()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    auth = f"{user.strip()}@" if user.strip() else ""
    port = f":{port.strip()}" if port.strip() else ""
    return f"qemu+ssh://{auth}{host}{port}/{path}"


# ---------------------------------------------------------------------------
# Checks for the create forms.  ``check_*`` return None or a message, like the
# ones above; ``parse_*`` turn text into a value and return ``(value, None)``
# or ``(None, message)``.

KIB = 1024
MIB = 1024**2
GIB = 1024**3

# libvirt keeps a volume's capacity as an unsigned 64-bit count of bytes: a larger figure
# fails in libvirt as a "malformed capacity element".
SIZE_MAX = 2**64 - 1
# The largest image QEMU opens and the largest file Linux has (off_t; qemu-img: "Must be
# between 0 and 9223372036854775807"); libvirt's ceiling on guest memory is the same figure
# in bytes (virMemoryMaxValue: LLONG_MAX).
IMAGE_MAX = 2**63 - 1
MEMORY_MAX = 2**63 - 1
# qcow2 with the 64 KiB clusters libvirt creates: an L1 table of at most 32 MiB maps 2 PiB.
QCOW2_MAX = 2**51
# libvirt keeps a vCPU count as an unsigned int; the hypervisor's own maximum is far lower.
VCPUS_MAX = 2**32 - 1
# A guest larger than this many times what the host can back (its memory × memory_ratio)
# could never run there, however the host overcommits (swap, KSM, ballooning).
MEMORY_HARD_FACTOR = 4
_DIGITS_MAX = 40  # longer numbers are far past SIZE_MAX (and past int()'s digit limit)

NAME_KINDS = ("guest", "network", "pool", "volume")
# libvirt keeps a definition in <name>.xml (and a volume of a dir pool is a
# file of that name): one file name of at most 255 bytes.
NAME_MAX_BYTES = 250
BRIDGE_NAME_MAX = 15
# Prefixes libvirt gives the devices it names itself (guest NICs, macvtap).
_RESERVED_IFNAME_PREFIXES = ("vnet", "macvtap", "macvlan")
# Control characters, and what XML 1.0 cannot carry at all.
_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]*)\s*$")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")
_DNS_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_SIZE_HELP = "e.g. 20G, 20GiB, 512M, 1.5T or a number of bytes (G = GiB = 1024³ bytes; GB = 10⁹ bytes)"
_UNIT_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}

SUGGESTED_MAC_PREFIX = "52:54:00"
# libvirt refuses a DHCP range whose ends differ above their last 16 bits.
_DHCP_BLOCK = 0xFFFF


def unwritable(text: str) -> bool:
    """Whether `text` holds control characters or what XML 1.0 cannot carry at all."""
    return _CONTROL.search(text) is not None


def check_name(name: str, kind: str = "guest", taken: Iterable[str] = ()) -> str | None:
    """A name libvirt accepts for a guest, network, pool or volume.

    Everything else is kept exactly as typed (spaces, brackets, ``<&>'"``,
    any script): names are data, never markup or XML text.
    """
    if not name:
        return f"Enter a {kind} name"
    if "/" in name:
        return f"A {kind} name cannot contain '/'"
    if _CONTROL.search(name):
        return f"A {kind} name cannot contain control characters (tab, newline ...)"
    if kind == "volume" and name in (".", ".."):
        return "A volume name cannot be '.' or '..'"
    if len(name.encode("utf-8")) > NAME_MAX_BYTES:
        return f"At most {NAME_MAX_BYTES} bytes (UTF-8); this name has {len(name.encode('utf-8'))}"
    if name in set(taken):
        return f"A {kind} with this name exists already"
    return None


def _unit_bytes(unit: str) -> int | None:
    u = unit.lower()
    if u in ("", "b", "byte", "bytes"):
        return 1
    power = _UNIT_POWERS.get(u[:1])
    rest = u[1:]
    if power is None or rest not in ("", "ib", "b"):
        return None
    return (1000 if rest == "b" else 1024) ** power


def parse_size(
    text: str,
    default_unit: str = "B",
    minimum: int = 1,
    maximum: int | None = None,
) -> tuple[int, None] | tuple[None, str]:
    """A size in bytes from ``20G``, ``20GiB``, ``512M``, ``1.5T``, ``1048576``.

    As in libvirt and virt-install, K M G T P E alone and KiB MiB GiB ... are
    powers of 1024; KB MB GB ... are powers of 1000. A number with no unit is
    in ``default_unit``. Fractions round up to a whole byte.
    """
    match = _SIZE.match(text or "")
    help_text = _SIZE_HELP if default_unit == "B" else _SIZE_HELP.replace("a number of bytes", f"a number of {default_unit}")
    if not match:
        return None, f"Not a size: {help_text}"
    number, unit = match.groups()
    scale = _unit_bytes(unit or default_unit)
    if scale is None:
        return None, f"Unknown unit {unit!r}: {help_text}"
    too_big = "At most 16 EiB (2⁶⁴ - 1 bytes): libvirt keeps sizes as 64-bit byte counts"
    if len(number.partition(".")[0].lstrip("0")) > _DIGITS_MAX:
        return None, too_big
    exact = Fraction(number[:_DIGITS_MAX * 2]) * scale
    value = math.ceil(exact)
    if value < minimum:
        return None, f"At least {size_text(minimum)}" if minimum > 1 else "Must be more than 0"
    if value > SIZE_MAX:
        return None, too_big
    if maximum is not None and value > maximum:
        return None, f"At most {size_text(maximum)} (G means GiB: 1024³ bytes)"
    return value, None


def volume_size_limit(fmt: str | None = None) -> tuple[int, str]:
    """The largest capacity a new volume of format `fmt` can have, and why."""
    if fmt == "qcow2":
        return QCOW2_MAX, "a qcow2 image (64 KiB clusters, as libvirt makes them) maps at most 2 PiB"
    return IMAGE_MAX, "QEMU opens images of at most 8 EiB (2⁶³ - 1 bytes), the largest file Linux has"


def parse_volume_size(text: str, fmt: str | None = None, minimum: int = 1,
                      default_unit: str = "B") -> tuple[int, None] | tuple[None, str]:
    """A volume capacity libvirt can store and QEMU can open in format `fmt`."""
    value, error = parse_size(text, default_unit=default_unit, minimum=minimum)
    if error:
        return None, error
    limit, why = volume_size_limit(fmt)
    if value > limit:
        return None, f"At most {size_text(limit)}: {why}"
    return value, None


def memory_limit(host_memory: int | None, memory_ratio: float = 1.0) -> tuple[int, str]:
    """The most memory a guest may be given on a host with `host_memory` bytes, and why:
    MEMORY_HARD_FACTOR times what the host backs at the configured memory_ratio (at least
    its memory once), never past libvirt's own ceiling."""
    if not host_memory:
        return MEMORY_MAX, "libvirt's ceiling on guest memory (2⁶³ - 1 bytes)"
    ratio = max(memory_ratio, 1.0)
    limit = int(host_memory * ratio * MEMORY_HARD_FACTOR)
    if limit >= MEMORY_MAX:
        return MEMORY_MAX, "libvirt's ceiling on guest memory (2⁶³ - 1 bytes)"
    return limit, (f"{MEMORY_HARD_FACTOR} × what the host backs ({size_text(host_memory)} of memory × "
                   f"memory_ratio {memory_ratio:g}); a larger guest could never run here, however far "
                   "the host overcommits")


def parse_memory(text: str, maximum: int | None = None, minimum: int = MIB,
                 why: str = "that is what the host has") -> tuple[int, None] | tuple[None, str]:
    """Guest memory in bytes; a bare number is MiB (as virt-install's --memory).
    ``maximum`` is the most the host can give, in bytes (`memory_limit`), ``why`` says why."""
    value, error = parse_size(text, default_unit="MiB", minimum=minimum)
    if error:
        return None, error
    if value > MEMORY_MAX:
        return None, "At most 8 EiB (2⁶³ - 1 bytes): libvirt's ceiling on guest memory"
    if maximum is not None and value > maximum:
        return None, f"At most {size_text(maximum)}: {why}"
    return value, None


def parse_vcpus(text: str, maximum: int | None = None,
                why: str = "the most this hypervisor takes") -> tuple[int, None] | tuple[None, str]:
    """A vCPU count from 1 to ``maximum`` (the host's or the hypervisor's limit)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None, "vCPUs is a whole number, e.g. 2"
    if len(text.lstrip("0")) > 10 or int(text) > VCPUS_MAX:
        return None, f"At most {maximum or VCPUS_MAX} vCPUs: " + (why if maximum else "libvirt's own ceiling")
    count = int(text)
    if count < 1:
        return None, "At least 1 vCPU"
    if maximum is not None and count > maximum:
        return None, f"At most {maximum} vCPUs: {why}"
    return count, None


def parse_address(text: str, version: int | None = None) -> tuple[IPAddress, None] | tuple[None, str]:
    """An IPv4 or IPv6 address (``version`` 4 or 6 to ask for one family)."""
    text = (text or "").strip()
    what = {4: "an IPv4", 6: "an IPv6"}.get(version, "an IP")
    if not text:
        return None, f"Enter {what} address"
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None, f"Not {what} address" + (": e.g. 192.168.100.1" if version != 6 else ": e.g. fd00:1::1")
    if version is not None and address.version != version:
        return None, f"Not {what} address"
    return address, None


def parse_subnet(text: str, netmask: str = "", version: int | None = None) -> tuple[IPNetwork, None] | tuple[None, str]:
    """A subnet as CIDR (``192.168.100.0/24``, ``fd00:1::/64``) or an address
    and a netmask (``192.168.100.0/255.255.255.0``, or ``netmask`` given
    apart). Host bits are dropped: ``192.168.100.1/24`` is 192.168.100.0/24."""
    text = (text or "").strip()
    netmask = (netmask or "").strip()
    if not text:
        return None, "Enter a subnet, e.g. 192.168.100.0/24"
    if netmask:
        if "/" in text:
            return None, "Give either a prefix (/24) or a netmask, not both"
        text = f"{text}/{netmask}"
    elif " " in text:
        address, _, mask = text.partition(" ")
        text = f"{address}/{mask.strip()}"
    if "/" not in text:
        return None, "Add a prefix length or netmask, e.g. 192.168.100.0/24"
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None, "Not a subnet: e.g. 192.168.100.0/24, 192.168.100.0/255.255.255.0 or fd00:1::/64"
    if version is not None and network.version != version:
        return None, f"Not an IPv{version} subnet"
    # Room for the gateway and at least one guest.
    if network.num_addresses < 4:
        return None, "Subnet too small: use at most /30 for IPv4, /126 for IPv6"
    if network.version == 4 and network.prefixlen < 8:
        return None, "Subnet too large: use at least /8"
    if network.version == 6 and network.prefixlen < 8:
        return None, "Subnet too large"
    return network, None


def _reserved_in(address: IPAddress, network: IPNetwork) -> str | None:
    if address not in network:
        return f"{address} is not inside {network}"
    if address == network.network_address:
        return f"{address} is the network address of {network}"
    if network.version == 4 and address == network.broadcast_address:
        return f"{address} is the broadcast address of {network}"
    return None


def parse_gateway(text: str, network: IPNetwork) -> tuple[IPAddress, None] | tuple[None, str]:
    """The host's address on the network (libvirt's <ip address=>): inside the
    subnet, not its network or broadcast address."""
    address, error = parse_address(text, network.version)
    if error:
        return None, error
    error = _reserved_in(address, network)
    return (None, error) if error else (address, None)


def default_gateway(network: IPNetwork) -> IPAddress:
    """The first host address, as libvirt's default network uses (.1)."""
    return network.network_address + 1


def default_dhcp_range(network: IPNetwork, gateway: IPAddress) -> tuple[IPAddress, IPAddress]:
    """The usable addresses after the gateway (before it if it is the last),
    within one block of 65536 as libvirt allows."""
    first = network.network_address + 1
    last = network.broadcast_address - 1 if network.version == 4 else network.broadcast_address
    if gateway < last:
        start = gateway + 1
        end = min(last, ipaddress.ip_address(int(start) | _DHCP_BLOCK))
    else:
        end = gateway - 1
        start = max(first, ipaddress.ip_address(int(end) & ~_DHCP_BLOCK))
    return start, end


def parse_dhcp_range(
    start: str, end: str, network: IPNetwork, gateway: IPAddress | None = None
) -> tuple[tuple[IPAddress, IPAddress], None] | tuple[None, str]:
    """A DHCP range inside ``network``: start <= end, neither the network nor
    the broadcast address, and the gateway not inside the range."""
    first, error = parse_address(start, network.version)
    if error:
        return None, f"Start: {error}"
    last, error = parse_address(end, network.version)
    if error:
        return None, f"End: {error}"
    for label, address in (("Start", first), ("End", last)):
        error = _reserved_in(address, network)
        if error:
            return None, f"{label}: {error}"
    if first > last:
        return None, f"The range starts after it ends ({first} > {last})"
    if int(first) >> 16 != int(last) >> 16:
        return None, (
            "libvirt takes at most 65536 addresses, and start and end may differ only in their last "
            "16 bits (e.g. 10.0.0.2 - 10.0.255.254)"
        )
    if gateway is not None and first <= gateway <= last:
        return None, f"The gateway {gateway} is inside the range: start after it or end before it"
    return (first, last), None


def parse_mac(text: str) -> tuple[str, None] | tuple[None, str]:
    """A unicast MAC address of 6 octets, returned lower case with colons."""
    text = (text or "").strip()
    example = f"e.g. {SUGGESTED_MAC_PREFIX}:12:34:56 (52:54:00 is the prefix libvirt/QEMU use)"
    if not _MAC.match(text):
        return None, f"Not a MAC address: six hex octets, {example}"
    mac = text.replace("-", ":").lower()
    first = int(mac[:2], 16)
    if first & 1:
        return None, f"A multicast MAC address (first octet is odd): use a unicast one, {example}"
    if mac == "00:00:00:00:00:00":
        return None, f"Not a usable MAC address: {example}"
    return mac, None


def suggest_mac(taken: Iterable[str] = (), rng: random.Random | None = None) -> str:
    """A random 52:54:00:xx:xx:xx address not in ``taken``."""
    rng = rng or random.SystemRandom()
    used = {m.lower() for m in taken}
    while True:
        tail = ":".join(f"{rng.randrange(256):02x}" for _ in range(3))
        mac = f"{SUGGESTED_MAC_PREFIX}:{tail}"
        if mac not in used:
            return mac


def check_hostname(name: str) -> str | None:
    """A single DNS label, as dnsmasq hands out (letters, digits, '-')."""
    if not name:
        return "Enter a host name"
    if not _DNS_LABEL.match(name):
        return "A host name has letters, digits and '-' (not first or last), at most 63"
    return None


def check_domain_name(name: str) -> str | None:
    """A DNS domain for a network's <domain name=>, e.g. lab.example; may be empty."""
    name = (name or "").strip()
    if not name:
        return None
    if len(name) > 253 or not all(_DNS_LABEL.match(label) for label in name.rstrip(".").split(".")):
        return "Not a DNS domain name: labels of letters, digits and '-' joined by '.'"
    return None


@dataclass(frozen=True)
class StaticHost:
    mac: str
    ip: IPAddress
    name: str | None = None


def parse_static_host(
    mac: str,
    ip: str,
    name: str,
    network: IPNetwork,
    gateway: IPAddress | None = None,
    others: Iterable[StaticHost] = (),
) -> tuple[StaticHost, None] | tuple[None, str]:
    """A DHCP static lease: MAC + IP inside the subnet + optional host name,
    none of them already used by another entry."""
    mac_value, error = parse_mac(mac)
    if error:
        return None, f"MAC: {error}"
    address, error = parse_address(ip, network.version)
    if error:
        return None, f"IP: {error}"
    error = _reserved_in(address, network)
    if error:
        return None, f"IP: {error}"
    if gateway is not None and address == gateway:
        return None, f"IP: {address} is the gateway"
    name = (name or "").strip()
    if name:
        error = check_hostname(name)
        if error:
            return None, f"Name: {error}"
    for other in others:
        if other.mac == mac_value:
            return None, f"MAC: {mac_value} has a static entry already"
        if other.ip == address:
            return None, f"IP: {address} has a static entry already"
        if name and other.name == name:
            return None, f"Name: {name} has a static entry already"
    return StaticHost(mac_value, address, name or None), None


def check_subnet_overlap(network: IPNetwork, existing: Iterable[str | IPNetwork]) -> str | None:
    """None unless ``network`` overlaps a subnet of another network (strings
    from NetworkInfo.ipv4_subnet, or ipaddress networks)."""
    for other in existing:
        if not other:
            continue
        try:
            other_net = ipaddress.ip_network(other, strict=False) if isinstance(other, str) else other
        except ValueError:
            continue
        if other_net.version == network.version and network.overlaps(other_net):
            return f"Overlaps {other_net}, the subnet of another network"
    return None


def check_bridge_name(name: str, used: Iterable[str] = ()) -> str | None:
    """A Linux interface name for a bridge: 1-15 bytes, no '/', ':' or
    whitespace, not '.'/'..', not one libvirt names its own devices with,
    not an interface that exists already (``used``)."""
    if not name:
        return "Enter a bridge name, e.g. virbr10"
    if len(name.encode("utf-8")) > BRIDGE_NAME_MAX:
        return f"At most {BRIDGE_NAME_MAX} characters (a Linux interface name)"
    if name in (".", "..") or any(c in name for c in "/:%") or _CONTROL.search(name) or any(c.isspace() for c in name):
        return "An interface name has no '/', ':', '%', spaces or control characters"
    if not name.isascii():
        return "Use ASCII letters, digits, '-', '_' and '.'"
    if name.startswith(_RESERVED_IFNAME_PREFIXES):
        return "Names starting with vnet, macvtap or macvlan are libvirt's own"
    if name in set(used):
        return f"{name} is in use already"
    return None


def check_interface_name(name: str) -> str | None:
    """A host network interface (macvtap/bridge source): a valid name."""
    if not name:
        return "Enter a host interface, e.g. eth0"
    if len(name.encode("utf-8")) > BRIDGE_NAME_MAX or name in (".", "..") or any(
        c in name for c in "/:"
    ) or any(c.isspace() for c in name) or _CONTROL.search(name):
        return "Not a network interface name (at most 15 characters, no '/', ':' or spaces)"
    return None


# Where a storage pool's directory may not be: the system's own directories, and (with
# everything under them) the kernel's pseudo file systems.
SYSTEM_DIRS = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/lost+found",
    "/proc", "/root", "/run", "/sbin", "/sys", "/tmp", "/usr", "/var",
    "/usr/bin", "/usr/lib", "/usr/lib64", "/usr/sbin", "/usr/share", "/usr/local", "/var/lib", "/var/log",
    "/var/run", "/var/lib/libvirt",
})
PSEUDO_FS = ("/proc", "/sys", "/dev")


def normalize_host_path(path: str) -> str:
    """`//a//b/./` -> `/a/b`: what the kernel resolves it to, spelled once (POSIX leaves a
    leading `//` to the system; Linux reads it as `/`)."""
    path = re.sub("/+", "/", (path or "").strip())
    if not path.startswith("/"):
        return path
    return re.sub("/+", "/", posixpath.normpath(path))


def check_pool_dir(path: str) -> str | None:
    """A directory for a dir/fs/netfs pool: an absolute path that is not `/` or a system
    directory. The path is checked as `normalize_host_path` spells it."""
    problem = check_host_path(path, "target path")
    if problem:
        return problem
    path = normalize_host_path(path)
    if path == "/":
        return "Not / itself: a pool's directory holds only its volumes (e.g. /var/lib/libvirt/images/pool)"
    if path in SYSTEM_DIRS:
        return f"{path} is a system directory: use a directory of its own (e.g. /var/lib/libvirt/images/pool)"
    top = next((top for top in PSEUDO_FS if path.startswith(f"{top}/")), None)
    if top is not None:
        return f"{path} is inside {top}, a file system the kernel makes up: not a place for volumes"
    return None


def check_host_path(path: str, kind: str = "path") -> str | None:
    """An absolute path on the hypervisor host."""
    if not path:
        return f"Enter the {kind}"
    if not path.startswith("/"):
        return f"The {kind} must be absolute (start with '/'), on the host"
    if _CONTROL.search(path):
        return f"The {kind} cannot contain control characters"
    if any(part in (".", "..") for part in path.split("/")):
        return f"Write the {kind} without '.' or '..' parts"
    if len(path.encode("utf-8")) > 4095:
        return f"The {kind} is too long"
    return None
