"""The zoo (tests/data/zoo.xml): a test-driver node with every device and source
kind, every guest state, fifteen pools and names that are markup.

A node file cannot say autostart or inactive; `prepare` does that on an open
connection (each test:/// connection holds its own copy of the node, so it
must run on the connection that is looked at).

    conn = open_zoo_conn()                   # plain libvirt, prepared

    app = zoo_app(tmp_path)                  # the App, the zoo its only host
    async with app.run_test() as pilot:
        conn_id = await open_zoo(pilot)      # connected, prepared, listed
"""

from __future__ import annotations

import time
from pathlib import Path

import libvirt
import tomlkit

ZOO_XML = Path(__file__).parent / "data" / "zoo.xml"

# The connection's name: libvirt refuses '/' in object names, a connection name may hold it.
CONNECTION_NAME = "a[/]b[b]<&>'\"é☃"

GUEST_EVERY_DEVICE = "a[b]b[i]<&>'\"é☃"  # running; UEFI, host devices, every NIC kind
GUEST_NET_DISKS = "net disks <remote>"  # shut off; http/nbd/rbd/gluster/iscsi disks
GUEST_KERNEL_BOOT = "kernel boot ☃"  # paused; kernel/initrd/dtb are volumes
GUEST_BACKED = "backed [b]guest"  # shut off; its disk's backing file is a volume
GUEST_CRASHED = "crashed one"
GUEST_PMSUSPENDED = "pm suspended ⏾"
GUEST_TRANSIENT = "transient [t]<&>"  # running, transient
GUEST_SAVED = 'saved "state"'  # shut off with a managed save
GUEST_BLOCKED = "blocked guest"
GUEST_SHUTTING_DOWN = "shutting down"
GUEST_PLAIN = "plain"  # running, autostart

GUESTS = (
    GUEST_EVERY_DEVICE, GUEST_NET_DISKS, GUEST_KERNEL_BOOT, GUEST_BACKED, GUEST_CRASHED,
    GUEST_PMSUSPENDED, GUEST_TRANSIENT, GUEST_SAVED, GUEST_BLOCKED, GUEST_SHUTTING_DOWN, GUEST_PLAIN,
)
# virDomainState by guest, after prepare.
STATES = {
    GUEST_EVERY_DEVICE: libvirt.VIR_DOMAIN_RUNNING,
    GUEST_NET_DISKS: libvirt.VIR_DOMAIN_SHUTOFF,
    GUEST_KERNEL_BOOT: libvirt.VIR_DOMAIN_PAUSED,
    GUEST_BACKED: libvirt.VIR_DOMAIN_SHUTOFF,
    GUEST_CRASHED: libvirt.VIR_DOMAIN_CRASHED,
    GUEST_PMSUSPENDED: libvirt.VIR_DOMAIN_PMSUSPENDED,
    GUEST_TRANSIENT: libvirt.VIR_DOMAIN_RUNNING,
    GUEST_SAVED: libvirt.VIR_DOMAIN_SHUTOFF,
    GUEST_BLOCKED: libvirt.VIR_DOMAIN_BLOCKED,
    GUEST_SHUTTING_DOWN: libvirt.VIR_DOMAIN_SHUTDOWN,
    GUEST_PLAIN: libvirt.VIR_DOMAIN_RUNNING,
}

NETWORK_DEFAULT = "default"  # NAT via eth0, IPv4 + IPv6, static hosts, DNS, port groups
NETWORK_ODD = "lab [t]<&>"
NETWORK_OFF = "off net <x>"  # inactive after prepare
NETWORKS = (
    NETWORK_DEFAULT, NETWORK_ODD, "route ☃", "open net", "host bridge", "macvtap pool", "sr-iov vfs", NETWORK_OFF,
)

POOL_DEFAULT = "default"
POOL_ODD = "p [b]<&>"  # dir pool at "/srv/p b"
POOL_OFF = "fs pool"  # inactive after prepare
POOLS = (
    POOL_DEFAULT, POOL_ODD, POOL_OFF, "nfs ☃", "cifs share", "vg0", "sdc disk", "iscsi-target", "iscsi direct",
    "scsi hba", "multipath", "ceph <rbd>", "gluster gv0", "tank", "vstorage cluster",
)

IMAGES = "/var/lib/libvirt/images"
VOLUME_ODD = "v [i]<&>'\"é☃.qcow2"  # in POOL_ODD, GUEST_EVERY_DEVICE's vdb
VOLUME_CLICK = "click [@click=app.quit]me.raw"  # in POOL_ODD, used by no guest
VOLUME_ORPHAN = "orphan [x]<&> é.raw"  # in default, used by no guest
# Volumes of the default pool a guest needs without them being its disk.
VOLUME_NVRAM = "a-b_VARS.fd"  # GUEST_EVERY_DEVICE's <nvram>
VOLUME_LOADER = "OVMF_CODE.secboot.fd"  # GUEST_EVERY_DEVICE's <loader>
VOLUME_CDROM = "debian-12.iso"  # GUEST_EVERY_DEVICE's CD-ROM
VOLUME_KERNEL = "vmlinuz-6.1"  # GUEST_KERNEL_BOOT's <kernel>
VOLUME_INITRD = "initrd.img-6.1"
VOLUME_DTB = "board.dtb"
VOLUME_BACKING = "base image.qcow2"  # backing file of overlay.qcow2, GUEST_BACKED's disk
VOLUME_OVERLAY = "overlay.qcow2"
POOL_UNDERFLOW = "vg0"  # its volumes allocate more than its capacity: libvirt reports 16 EiB available

AUTOSTART_GUESTS = (GUEST_PLAIN, GUEST_EVERY_DEVICE)
AUTOSTART_NETWORKS = (NETWORK_DEFAULT, NETWORK_ODD)
AUTOSTART_POOLS = (POOL_DEFAULT, POOL_ODD)


def zoo_uri() -> str:
    return f"test://{ZOO_XML.resolve()}"


def prepare(conn: libvirt.virConnect) -> None:
    """What the node file cannot say: autostart, and the network and pool left stopped."""
    for name in AUTOSTART_GUESTS:
        conn.lookupByName(name).setAutostart(1)
    for name in AUTOSTART_NETWORKS:
        conn.networkLookupByName(name).setAutostart(1)
    for name in AUTOSTART_POOLS:
        conn.storagePoolLookupByName(name).setAutostart(1)
    conn.networkLookupByName(NETWORK_OFF).destroy()
    conn.storagePoolLookupByName(POOL_OFF).destroy()


def open_zoo_conn() -> libvirt.virConnect:
    """A libvirt connection of its own to the zoo, prepared."""
    conn = libvirt.open(zoo_uri())
    prepare(conn)
    return conn


def write_zoo_config(tmp_path: Path, name: str = CONNECTION_NAME) -> Path:
    """A config file whose one connection is the zoo, under `name`."""
    path = tmp_path / "config.toml"
    document = tomlkit.document()
    connections = tomlkit.aot()
    entry = tomlkit.table()
    entry["name"] = name
    entry["uri"] = zoo_uri()
    entry["autoconnect"] = True
    connections.append(entry)
    document["connection"] = connections
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return path


def zoo_app(tmp_path: Path, *argv: str, name: str = CONNECTION_NAME):
    """The App as the command line builds it, with a config whose one connection is the zoo."""
    from tui.app import VirtdeckApp
    from tui.cli import settings_from

    config = write_zoo_config(tmp_path, name)
    return VirtdeckApp(settings_from(["--config", str(config), *argv]))


async def open_zoo(pilot, timeout: float = 15.0) -> str:
    """Wait for the app's zoo connection, prepare it on its worker, and wait until the
    inventory shows the prepared node. Returns the connection id."""
    app = pilot.app
    uri = zoo_uri()

    async def until(predicate, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            await pilot.pause(0.02)
        await pilot.pause()

    def connection():
        fleet = app.fleet
        return next((c for c in fleet.connections if c.uri == uri), None) if fleet is not None else None

    await until(lambda: connection() is not None and connection().connected, "the zoo connection")
    conn = connection()
    conn_id = conn.conn_id

    def synced() -> bool:
        inventory = app.inventory
        guests = {g.name for g in inventory.guests.values() if g.conn_id == conn_id}
        pools = {p.name: p for p in inventory.pools.values() if p.conn_id == conn_id}
        nets = {n.name: n for n in inventory.networks.values() if n.conn_id == conn_id}
        return (guests == set(GUESTS) and set(nets) == set(NETWORKS) and set(pools) == set(POOLS)
                and not nets[NETWORK_OFF].active and pools[POOL_OFF].state != "running"
                and nets[NETWORK_DEFAULT].autostart and pools[POOL_DEFAULT].autostart
                and all(g.autostart for g in inventory.guests.values()
                        if g.conn_id == conn_id and g.name in AUTOSTART_GUESTS))

    prepared: list[BaseException | None] = []

    def done(_result, error) -> None:
        prepared.append(error)
        conn.resync()

    conn.call(prepare, done, action="prepare the zoo")
    await until(lambda: bool(prepared), "prepare on the zoo connection")
    if prepared[0] is not None:
        raise prepared[0]
    await until(synced, "the prepared zoo in the inventory")
    return conn_id
