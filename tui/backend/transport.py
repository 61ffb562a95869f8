"""How a connection reaches its host when virtdeck, not libvirt, carries it (SSH tunnels)."""

from __future__ import annotations

from typing import Protocol


class TransportError(Exception):
    """The way to the host could not be made; `permanent` when retrying cannot help
    (authentication or host key refused)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    def libvirt_uri(self, uri: str) -> str:
        """Make the way to `uri`'s host ready (blocking, on the connection's worker) and
        return the URI libvirt should open instead. Raises TransportError."""

    def dropped(self, uri: str) -> None:
        """libvirt lost the host: the next `libvirt_uri` must check the way again."""
