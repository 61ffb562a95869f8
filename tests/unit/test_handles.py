"""Guest handles read and freed with the GIL held (tui/backend/handles.py), on libvirt's
test driver: the same libvirt library and libvirt-python as for a real host."""

from __future__ import annotations

import gc

import libvirt
import pytest

from tests.testbed.gen_node import generate_node_xml
from tui.backend import handles


@pytest.fixture
def conn(tmp_path):
    node = tmp_path / "node.xml"
    node.write_text(generate_node_xml(2))  # a node of its own: test:///default is shared in a process
    conn = libvirt.open(f"test://{node}")
    for dom in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
        dom.destroy()
    conn.defineXML("<domain type='test'><name>idle</name><memory>1024</memory><os><type>hvm</type></os></domain>")
    yield conn
    gc.collect()
    conn.close()


def test_uuid_name_and_id_are_the_handles_own(conn):
    doms = conn.listAllDomains(0)
    assert len(doms) == 3
    for dom in doms:
        assert (handles.uuid(dom), handles.name(dom), handles.dom_id(dom)) == (dom.UUIDString(), dom.name(), dom.ID())
    running = conn.lookupByName("idle")
    running.create()
    assert handles.dom_id(running) == running.ID() > 0


def test_a_handle_only_the_caller_holds_is_freed_and_one_held_elsewhere_is_left(conn):
    held_elsewhere = conn.lookupByName("idle")
    kept = {"a": conn.lookupByName("idle"), "b": held_elsewhere}
    handles.release_all(kept)
    assert kept == {}
    assert held_elsewhere.name() == "idle"  # still a live handle: it was not freed under this name
    alone = conn.lookupByName("idle")
    handles.release(alone)
    assert alone._o is None  # freed: its __del__ frees nothing more
    del alone
    gc.collect()
    assert conn.lookupByName("idle").name() == "idle"
