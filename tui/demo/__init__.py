"""The built-in demo host: libvirt's test driver loaded with node.xml."""

from __future__ import annotations

from pathlib import Path

NODE_XML = Path(__file__).with_name("node.xml")


def demo_uri() -> str:
    return f"test://{NODE_XML.resolve()}"


def is_demo_uri(uri: str) -> bool:
    return uri == demo_uri()


def host_hooks() -> dict:
    """What the fleet adds the demo host with (`Fleet.add`'s keywords)."""
    from . import activity

    return {"demo": True, "prepare": prepare, "augment_stats": activity.augment, "augment_host": activity.host_stats}


# The test driver answers getHostname() with the machine it runs on, and its
# capabilities call the host i686; the demo's guests are x86_64.
HOST_FACTS = {"hostname": "demo-node", "arch": "x86_64"}


def prepare(conn) -> dict:
    """Give the demo what a node file cannot say: autostart and stopped objects.
    Returns the host facts the demo reports instead of the test driver's.

    Runs on the connection's worker right after it opens; each test:/// file
    connection has its own copy of the node, so this touches nothing else.
    """
    import libvirt

    def quietly(call) -> None:
        try:
            call()
        except libvirt.libvirtError:
            pass

    for name in ("web-01", "web-02", "db-primary", "mail-relay"):
        quietly(lambda name=name: conn.lookupByName(name).setAutostart(1))
    for name in ("default", "dmz", "storage-backend"):
        quietly(lambda name=name: conn.networkLookupByName(name).setAutostart(1))
    quietly(lambda: conn.networkLookupByName("storage-backend").destroy())
    quietly(lambda: conn.networkLookupByName("lab-open").destroy())
    for name in ("default", "iso"):
        quietly(lambda name=name: conn.storagePoolLookupByName(name).setAutostart(1))
    return dict(HOST_FACTS)
