"""Pure parts of issue 15's guards: boot order over every device that carries one, the
namespace-keeping rewrite parser, who needs a volume and what that allows."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tui.backend.ops.volumes import (
    DELETE,
    SHRINK,
    WIPE,
    GuestDefinition,
    HostStorage,
    VolumeUse,
    guard,
    uses_of,
)
from tui.backend.xml import devices as dx
from tui.backend.xml import rewrite

DOMAIN = """<domain type='kvm'>
  <name>g [b]&lt;&amp;&gt;</name>
  <metadata><vd:x xmlns:vd="http://vd.example/ns"><vd:y a="1"/></vd:x><z xmlns="http://z.example/"/></metadata>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda' bus='virtio'/>
      <boot order='2' loadparm='X1'/></disk>
    <interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>
    <hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x06' slot='0x02' function='0x0'/>
      </source><boot order='9'/></hostdev>
    <redirdev bus='usb' type='spicevmc'><boot order='5'/></redirdev>
    <redirdev bus='usb' type='spicevmc'/>
    <filesystem type='mount'><source dir='/srv'/><target dir='share'/><boot order='1'/></filesystem>
  </devices>
</domain>"""

PCI = "hostdev:PCI host device 0000:06:02.0"
REDIR, REDIR2 = "redirdev:USB redirection (spicevmc)", "redirdev:USB redirection (spicevmc) #2"
FS = "filesystem:filesystem share"


def test_every_device_that_may_carry_a_boot_order_has_an_ident():
    root = rewrite.parse_domain(DOMAIN)
    idents = [ident for ident, _el in dx.boot_devices(root)]
    assert idents == ["disk:vda", "nic:52:54:00:00:00:01", PCI, REDIR, REDIR2, FS]
    assert all(dx.find_device(root, ident) is el for ident, el in dx.boot_devices(root))
    assert dx.parse_hardware(DOMAIN).boot_order() == (FS, "disk:vda", REDIR, PCI)


def test_a_new_order_renumbers_keeps_loadparm_and_the_devices_the_tab_does_not_list():
    xml = dx.set_boot_order(DOMAIN, ("nic:52:54:00:00:00:01", "disk:vda"))  # an order that names no others
    root = rewrite.parse_domain(xml)
    orders = {ident: el.find("boot").attrib for ident, el in dx.boot_devices(root) if el.find("boot") is not None}
    # the filesystem (1) stays first, the redirection (5) and host device (9) after the two named
    assert orders == {FS: {"order": "1"}, "nic:52:54:00:00:00:01": {"order": "2"},
                      "disk:vda": {"order": "3", "loadparm": "X1"}, REDIR: {"order": "4"}, PCI: {"order": "5"}}
    assert '<vd:x xmlns:vd="http://vd.example/ns"><vd:y a="1" /></vd:x><z xmlns="http://z.example/" />' in xml
    assert root.findtext("name") == "g [b]<&>"


def test_taking_a_disk_out_and_moving_past_a_host_device():
    order = dx.parse_hardware(DOMAIN).boot_order()
    moved = dx.parse_hardware(dx.set_boot_order(DOMAIN, dx.moved(order, "disk:vda", 2))).boot_order()
    assert moved == (FS, REDIR, PCI, "disk:vda")
    out = dx.parse_hardware(dx.set_boot_order(DOMAIN, tuple(i for i in order if i != "disk:vda"))).boot_order()
    assert out == (FS, REDIR, PCI)


def test_bad_orders_are_refused():
    with pytest.raises(ValueError, match="no device"):
        dx.set_boot_order(DOMAIN, ("disk:vdz",))
    with pytest.raises(ValueError, match="twice"):
        dx.set_boot_order(DOMAIN, ("disk:vda", "disk:vda"))
    with pytest.raises(ValueError, match="does not parse"):
        rewrite.parse("<domain>")


def test_os_boot_dev_is_replaced_by_device_orders():
    xml = ("<domain><name>n</name><os><type>hvm</type><boot dev='network'/></os><devices>"
           "<interface type='network'><mac address='52:54:00:00:00:01'/></interface></devices></domain>")
    assert dx.parse_hardware(xml).boot_order() == ("nic:52:54:00:00:00:01",)
    root = rewrite.parse_domain(dx.set_boot_order(xml, ("nic:52:54:00:00:00:01",)))
    assert root.find("os/boot") is None
    assert dx.find_device(root, "nic:52:54:00:00:00:01").find("boot").get("order") == "1"


# -- who needs a volume ----------------------------------------------------------------

def guest(name: str, active: bool, devices: str = "", os_extra: str = "") -> GuestDefinition:
    xml = (f"<domain><name>{name}</name><os><type>hvm</type>{os_extra}</os><devices>{devices}</devices></domain>")
    return GuestDefinition(name, active, "running" if active else "shut off", (xml,))


DISK = "<disk type='file' device='{device}'><source file='{path}'/><target dev='{target}'/>{chain}</disk>"


def host() -> HostStorage:
    return HostStorage(
        guests=(
            guest("db", True, DISK.format(device="disk", path="/p/top.qcow2", target="vda", chain="")),
            guest("web", False, DISK.format(device="cdrom", path="/p/cd.iso", target="sda", chain=""),
                  "<loader type='pflash'>/p/code.fd</loader><nvram template='/t.fd'>/p/vars.fd</nvram>"),
            guest("k1", False, "", "<kernel>/p/vmlinuz</kernel><initrd>/p/initrd</initrd><dtb>/p/b.dtb</dtb>"),
            guest("off", False, DISK.format(device="disk", path="/p/off.raw", target="vdb", chain="")),
            guest("chain", True, DISK.format(
                device="disk", path="/q/o.qcow2", target="vdc",
                chain="<backingStore type='file'><source file='/q/b.qcow2'/><backingStore/></backingStore>")),
        ),
        backing={"/p/mid.qcow2": (("top.qcow2", "p", "/p/top.qcow2"),),
                 "/p/base.qcow2": (("mid.qcow2", "p", "/p/mid.qcow2"),),
                 "/p/lone-base.qcow2": (("lone.qcow2", "p", "/p/lone.qcow2"),)},
    )


@pytest.mark.parametrize(("path", "texts"), [
    ("/p/top.qcow2", ["disk vda of db"]),
    ("/p/cd.iso", ["CD-ROM sda of web"]),
    ("/p/vars.fd", ["nvram of web"]),
    ("/p/code.fd", ["loader of web"]),
    ("/p/vmlinuz", ["kernel of k1"]),
    ("/p/initrd", ["initrd of k1"]),
    ("/p/b.dtb", ["dtb of k1"]),
    ("/p/mid.qcow2", ["backing file of top.qcow2 (disk vda of db)"]),
    ("/p/base.qcow2", ["backing file of mid.qcow2 (backing file of top.qcow2 (disk vda of db))"]),
    ("/p/lone-base.qcow2", ["backing file of lone.qcow2"]),
    ("/q/b.qcow2", ["backing file of disk vdc of chain"]),
    ("/p/nobody.raw", []),
])
def test_every_kind_of_use_is_found_and_said(path, texts):
    assert [use.text for use in uses_of(host(), path)] == texts


def test_a_pool_volume_source_is_found_by_pool_and_name():
    storage = HostStorage((guest("v", False, "<disk type='volume' device='disk'><source pool='p [1]' volume='x'/>"
                                             "<target dev='vda'/></disk>"),), {})
    assert [u.text for u in uses_of(storage, "/p/x", "p [1]/x")] == ["disk vda of v"]


def test_what_each_use_allows():
    def verdict(action, path):
        return guard(action, path.rsplit("/", 1)[1], uses_of(host(), path))

    # a running guest keeps everything it uses
    for action in (DELETE, WIPE, SHRINK):
        assert verdict(action, "/p/top.qcow2").refusal == (
            "db is running with top.qcow2 as its disk vda: shut it off first")
    # a backing file is never deleted, wiped or shrunk, even with no guest at the end of the chain
    for action in (DELETE, WIPE, SHRINK):
        assert "is the backing file of lone.qcow2" in verdict(action, "/p/lone-base.qcow2").refusal
    # a shut-off guest's disk is not deleted, but a wipe or shrink is asked with the guest named
    assert verdict(DELETE, "/p/off.raw").refusal == "off.raw is a disk of off (vdb): remove it from the guest first"
    wipe = verdict(WIPE, "/p/off.raw")
    assert wipe.refusal is None
    assert wipe.warnings == ("it is the disk vdb of off (shut off): what off keeps on it is lost",)
    # a shut-off guest's nvram, loader, kernel, CD-ROM: asked, guest and what breaks named
    nvram = verdict(DELETE, "/p/vars.fd")
    assert nvram.refusal is None and "UEFI variables (nvram) of web" in nvram.warnings[0]
    assert "secure-boot keys" in nvram.warnings[0]
    assert "web will not start" in verdict(DELETE, "/p/code.fd").warnings[0]
    assert "kernel of k1 (shut off): k1 will not start" in verdict(DELETE, "/p/vmlinuz").warnings[0]
    assert "CD-ROM sda of web (shut off): web will not start" in verdict(DELETE, "/p/cd.iso").warnings[0]
    assert verdict(DELETE, "/p/nobody.raw") == guard(DELETE, "nobody.raw", ())
    assert guard(DELETE, "x", ()).refusal is None and guard(DELETE, "x", ()).warnings == ()


def test_a_use_in_both_definitions_is_said_once():
    one = guest("db", True, DISK.format(device="disk", path="/p/a", target="vda", chain=""))
    both = GuestDefinition("db", True, "running", one.xmls * 2)
    assert uses_of(HostStorage((both,), {}), "/p/a") == (VolumeUse("disk", "db", True, "running", target="vda"),)


def test_the_rewrite_parser_keeps_prefixes_and_default_namespaces():
    xml = '<domain><metadata><a:b xmlns:a="urn:a"><a:c/></a:b><d xmlns="urn:d"><e/></d></metadata></domain>'
    assert rewrite.serialize(rewrite.parse_domain(xml)) == xml.replace("<a:c/>", "<a:c />").replace("<e/>", "<e />")
    assert ET.canonicalize(rewrite.serialize(rewrite.parse(xml))) == ET.canonicalize(xml)
