"""The Hardware tab's Source column says a network disk's source as the Disks tab does:
protocol, hosts, ports and sockets, not only the image's name."""

from __future__ import annotations

from tests import zoo

from .conftest import wait_for
from .test_zoo_display import SIZE, open_guest, tab
from .test_zoo_names import shows

SOURCES = (
    "http://images.example.org:8080/images/my-file.img",
    "nbd://nbd.example.org:10809/export [x]",
    "nbd+unix:///?socket=/run/nbd/socket [s]",
    "rbd:rbdpool/image-1 @ mon1.example.org:6789,mon2.example.org:6789,mon3.example.org:6789",
    "gluster://gluster.example.org:24007/gv0/images/disk.qcow2",
    "gluster+unix:///gv0/images/unix.img?socket=/var/run/glusterd.socket",
    "iscsi://iscsi.example.org:3260/iqn.2013-07.com.example:iscsi-pool/1",
    "https://isos.example.org:443/isos/installer.iso?token=a&b",
)


async def test_hardware_tab_shows_network_disk_sources_whole(tmp_path):
    app = zoo.zoo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await zoo.open_zoo(pilot)
        await open_guest(pilot, zoo.GUEST_NET_DISKS)
        await tab(pilot, "disks")
        await shows(pilot, *SOURCES, what="the Disks tab's sources")
        hardware = await tab(pilot, "hardware")
        await wait_for(pilot, lambda: hardware.table.row_count > 0, what="the hardware rows")
        sources = {str(row[3].text) for row in (hardware.table.get_row(key) for key in hardware.table.rows)}
        assert set(SOURCES) <= sources, sources
        await shows(pilot, *SOURCES, what="the Hardware tab's sources")
