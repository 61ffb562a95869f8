"""The graphical console's pure parts: what a domain XML says about its displays, and
damage between two pictures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.backend.frame_damage import damage_between, folded
from tui.backend.model import Frame
from tui.backend.xml.graphics import graphics_devices, has_video


def domain(*devices: str) -> str:
    return f"<domain type='qemu'><name>g</name><devices>{''.join(devices)}</devices></domain>"


def test_a_vnc_display_on_an_address_and_port():
    [vnc] = graphics_devices(domain(
        "<graphics type='vnc' port='5901' autoport='yes' listen='0.0.0.0'>"
        "<listen type='address' address='0.0.0.0'/></graphics>"))
    assert (vnc.kind, vnc.port, vnc.socket, vnc.listens) == ("vnc", 5901, None, True)
    assert vnc.connect_address == "127.0.0.1"  # listening everywhere: the host's own loopback reaches it
    assert vnc.label == "VNC on 127.0.0.1:5901"
    assert not vnc.has_password


def test_a_vnc_display_on_a_unix_socket_and_its_password():
    [vnc] = graphics_devices(domain(
        "<graphics type='vnc' passwd='s3cr&amp;t'><listen type='socket' socket='/run/vd/vnc.sock'/></graphics>"))
    assert (vnc.socket, vnc.password, vnc.has_password, vnc.listens) == ("/run/vd/vnc.sock", "s3cr&t", True, True)


def test_a_display_not_listening_and_spice_and_ipv6():
    devices = graphics_devices(domain(
        "<graphics type='vnc' port='-1' autoport='yes'/>",
        "<graphics type='spice' port='5930' listen='::1'><listen type='address' address='::1'/></graphics>",
        "<graphics type='vnc' port='5902' listen='fd00::2'/>"))
    assert [d.kind for d in devices] == ["vnc", "spice", "vnc"]
    assert not devices[0].listens and devices[0].label == "VNC (not listening)"
    assert devices[1].connect_address == "::1" and devices[1].label == "SPICE on [::1]:5930"
    assert devices[2].connect_address == "fd00::2"


def test_video_cards():
    assert has_video(domain("<video><model type='vga'/></video>"))
    assert not has_video(domain("<video><model type='none'/></video>"))
    assert not has_video(domain())


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20))
def test_any_password_reads_back(password):
    element = ET.Element("graphics", {"type": "vnc", "port": "5900", "passwd": password})
    xml = domain(ET.tostring(element, encoding="unicode"))
    assert graphics_devices(xml)[0].password == password


def picture(width: int, height: int, fill: int = 0) -> bytearray:
    return bytearray([fill]) * (width * height * 4)


def test_one_changed_pixel_is_one_tile_rect():
    old = picture(100, 50)
    new = bytearray(old)
    new[(37 * 100 + 70) * 4] = 255  # pixel (70, 37)
    assert damage_between(bytes(old), bytes(new), 100, 50) == ((64, 32, 16, 16),)


def test_edges_are_clipped_to_the_picture():
    old = picture(100, 50)
    new = bytearray(old)
    new[(49 * 100 + 99) * 4 + 2] = 1  # the last pixel
    assert damage_between(bytes(old), bytes(new), 100, 50) == ((96, 48, 4, 2),)
    assert damage_between(bytes(old), bytes(old), 100, 50) == ()


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 63), st.integers(0, 39)), max_size=12))
def test_every_changed_pixel_is_covered(points):
    width, height = 64, 40
    old = picture(width, height)
    new = bytearray(old)
    for x, y in points:
        new[(y * width + x) * 4] = 7
    rects = damage_between(bytes(old), bytes(new), width, height)
    for x, y in points:
        assert any(rx <= x < rx + rw and ry <= y < ry + rh for rx, ry, rw, rh in rects)
    for rx, ry, rw, rh in rects:
        assert 0 <= rx and rx + rw <= width and 0 <= ry and ry + rh <= height
    assert len(rects) <= len({y // 16 for _, y in points})


def test_damage_of_undrawn_frames_is_kept():
    a = Frame(4, 4, bytes(64), ((0, 0, 1, 1),), 1)
    b = Frame(4, 4, bytes(64), ((2, 2, 1, 1),), 2)
    assert folded(a, b).damage == ((0, 0, 1, 1), (2, 2, 1, 1))
    assert folded(None, b) is b
    resized = Frame(8, 4, bytes(128), ((0, 0, 8, 4),), 3)
    assert folded(a, resized) is resized
