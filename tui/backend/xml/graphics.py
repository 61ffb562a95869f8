"""The graphical displays a domain XML offers (`<graphics>` devices), read from the XML
alone: which protocol, where it listens, whether it wants a password."""

from __future__ import annotations

from dataclasses import dataclass

from .parse import root

ANY_ADDRESS = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class GraphicsDevice:
    """One `<graphics>` of a running guest: `kind` "vnc", "spice", "rdp", "dbus", "egl-headless"...
    `port` is the live one (-1 or None while not listening on TCP), `socket` a UNIX socket path,
    `password` only when the XML was read with VIR_DOMAIN_XML_SECURE."""

    kind: str
    address: str | None
    port: int | None
    socket: str | None
    password: str | None
    has_password: bool

    @property
    def listens(self) -> bool:
        return bool(self.socket) or (self.port is not None and self.port > 0)

    @property
    def connect_address(self) -> str:
        """Where to connect from the host itself: its loopback when the display listens everywhere."""
        if self.address is None or self.address in ANY_ADDRESS:
            return "127.0.0.1"
        return self.address.strip("[]")

    @property
    def where(self) -> str:
        """Where it listens, seen from its host: the socket, or address:port."""
        if self.socket:
            return self.socket
        if self.port and self.port > 0:
            host = self.connect_address
            return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        return ""

    @property
    def label(self) -> str:
        return f"{self.kind.upper()} on {self.where}" if self.where else f"{self.kind.upper()} (not listening)"

def graphics_devices(xml: str) -> list[GraphicsDevice]:
    """Every `<graphics>` of a domain XML, in its order."""
    devices = root(xml, "domain").find("devices")
    if devices is None:
        return []
    found = []
    for element in devices.findall("graphics"):
        kind = element.get("type") or ""
        port_text = element.get("port")
        port = int(port_text) if port_text and port_text.lstrip("-").isdigit() else None
        address = element.get("listen")
        socket = element.get("socket")
        for listen in element.findall("listen"):
            listen_type = listen.get("type")
            if listen_type == "socket" and listen.get("socket"):
                socket = socket or listen.get("socket")
            elif listen_type in ("address", "network") and listen.get("address"):
                address = address or listen.get("address")
        password = element.get("passwd")
        found.append(GraphicsDevice(kind, address, port, socket, password,
                                    has_password=password is not None or element.get("passwdValidTo") is not None))
    return found


def has_video(xml: str) -> bool:
    """Whether the guest has a video card at all (a screenshot needs one)."""
    devices = root(xml, "domain").find("devices")
    if devices is None:
        return False
    return any((model := video.find("model")) is None or model.get("type") != "none"
               for video in devices.findall("video"))
