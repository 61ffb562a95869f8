"""Input checks shared by forms and the command line.

Each check returns None when the value is fine, else a message that says what
is wrong in words a user can act on.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

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
