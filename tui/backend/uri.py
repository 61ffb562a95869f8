"""What a libvirt URI says about where it points."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def is_remote(uri: str) -> bool:
    parts = urlsplit(uri)
    return "+" in parts.scheme and not parts.scheme.endswith("+unix") or bool(parts.hostname)


def driver_in_process(uri: str) -> bool:
    """The test driver without a transport: libvirt runs it, node file and all, in this process."""
    parts = urlsplit(uri)
    return parts.scheme == "test" and not parts.hostname


def is_ssh(uri: str) -> bool:
    scheme = urlsplit(uri).scheme
    return scheme.endswith("+ssh") or scheme.endswith("+libssh") or scheme.endswith("+libssh2")


def effective_uri(uri: str) -> str:
    """The URI libvirt is given: SSH transports never get a terminal to prompt on."""
    if not urlsplit(uri).scheme.endswith("+ssh"):
        return uri
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "no_tty" for key, _ in query):
        return uri
    query.append(("no_tty", "1"))
    return urlunsplit(parts._replace(query=urlencode(query, safe="/:")))


def display_name(uri: str) -> str:
    """A short label for a URI: the host name, or what a local URI means."""
    parts = urlsplit(uri)
    driver = parts.scheme.split("+", 1)[0]
    path = parts.path.strip("/")
    if parts.hostname:
        return parts.hostname if not path or path == "system" else f"{parts.hostname}/{path}"
    if driver == "test":
        return "demo" if path.endswith("node.xml") else f"test://{parts.path or '/default'}"
    if path in ("system", "session"):
        return f"local {path}" if driver == "qemu" else f"{driver} {path}"
    return uri
