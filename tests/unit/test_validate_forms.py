"""The validators the create forms share (tui.backend.validate)."""

from __future__ import annotations

import ipaddress
import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tui.backend import validate as v

GIB = 1024**3
MIB = 1024**2

# Any name libvirt accepts: no '/', no control characters, not empty, short enough.
names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\ufffe\uffff"),
    min_size=1,
    max_size=60,
)


def _ok(result):
    value, error = result
    assert error is None, error
    return value


def _bad(result, *words):
    value, error = result
    assert value is None
    assert isinstance(error, str) and error
    for word in words:
        assert word in error, error
    return error


# --------------------------------------------------------------------------
# names


@given(names)
def test_any_libvirt_name_is_accepted(name):
    for kind in v.NAME_KINDS:
        assume(name not in (".", ".."))
        assert v.check_name(name, kind) is None


def test_hostile_names_pass():
    for name in ("vd-x [1] <&>'\"é", " spaced name ", "[bold]x[b]", "名前", "a" * 200):
        assert v.check_name(name) is None


@given(names, st.sampled_from(v.NAME_KINDS))
def test_names_with_slash_or_control_chars_fail(name, kind):
    assert "/" in v.check_name(name + "/x", kind)
    assert "control" in v.check_name(name + "\n", kind)
    assert "control" in v.check_name("\t" + name, kind)
    assert "control" in v.check_name(name + "\ufffe", kind)


def test_name_rules():
    assert "Enter a network name" == v.check_name("", "network")
    assert "bytes" in v.check_name("é" * 126)  # 252 bytes
    assert v.check_name("é" * 125) is None
    assert "'.' or '..'" in v.check_name("..", "volume")
    assert v.check_name("..", "guest") is None
    assert "exists already" in v.check_name("web", "guest", taken={"web", "db"})
    assert v.check_name("web2", "guest", taken={"web", "db"}) is None


# --------------------------------------------------------------------------
# sizes


def test_sizes_as_libvirt_reads_them():
    cases = {
        "20G": 20 * GIB,
        "20GiB": 20 * GIB,
        "20 gib": 20 * GIB,
        "20GB": 20 * 10**9,
        "512M": 512 * MIB,
        "512MiB": 512 * MIB,
        "1.5T": 3 * 1024**4 // 2,
        "1048576": 1048576,
        "100b": 100,
        ".5K": 512,
    }
    for text, expected in cases.items():
        assert _ok(v.parse_size(text)) == expected, text


def test_size_messages_say_what_g_means():
    error = _bad(v.parse_size("twenty"), "GiB")
    assert "1024" in error
    _bad(v.parse_size("20Q"), "Unknown unit")
    _bad(v.parse_size("0G"), "more than 0")
    _bad(v.parse_size("-1G"))
    _bad(v.parse_size("2T", maximum=GIB), "At most 1 GiB")
    _bad(v.parse_size("1M", minimum=10 * MIB), "At least 10 MiB")
    assert _ok(v.parse_size("20", default_unit="GiB")) == 20 * GIB


@given(st.integers(min_value=1, max_value=2**50), st.sampled_from(["", "K", "M", "G", "T", "KiB", "MiB", "GiB", "TiB"]))
def test_whole_sizes_round_trip(number, unit):
    scale = {"": 1, "K": 1024, "M": MIB, "G": GIB, "T": 1024**4}[unit[:1]]
    if number * scale <= v.SIZE_MAX:
        assert _ok(v.parse_size(f"{number}{unit}")) == number * scale
    else:  # past libvirt's 64-bit byte count
        _bad(v.parse_size(f"{number}{unit}"), "16 EiB")


@given(st.text())
def test_size_never_raises(text):
    value, error = v.parse_size(text)
    assert (value is None) != (error is None)
    if value is not None:
        assert value >= 1


def test_memory_and_vcpus_against_a_maximum():
    assert _ok(v.parse_memory("2048")) == 2 * GIB  # a bare number is MiB
    assert _ok(v.parse_memory("2G", maximum=8 * GIB)) == 2 * GIB
    _bad(v.parse_memory("16G", maximum=8 * GIB), "At most 8 GiB", "host")
    _bad(v.parse_memory("100K"), "At least 1 MiB")
    assert _ok(v.parse_vcpus("4", maximum=8)) == 4
    _bad(v.parse_vcpus("9", maximum=8), "At most 8")
    _bad(v.parse_vcpus("0"), "At least 1")
    _bad(v.parse_vcpus("two"), "whole number")
    _bad(v.parse_vcpus("1.5"))


@given(st.integers(min_value=1, max_value=64), st.integers(min_value=1, max_value=64))
def test_vcpus_property(count, maximum):
    value, error = v.parse_vcpus(str(count), maximum)
    if count <= maximum:
        assert value == count and error is None
    else:
        assert value is None and "At most" in error


# --------------------------------------------------------------------------
# addresses, subnets, DHCP


@given(st.ip_addresses())
def test_any_address_parses_in_its_family(address):
    assert _ok(v.parse_address(str(address))) == address
    assert _ok(v.parse_address(str(address), address.version)) == address
    _bad(v.parse_address(str(address), 10 - address.version), f"IPv{10 - address.version}")


def test_bad_addresses():
    for text in ("", "256.1.1.1", "1.2.3", "fe80:::1", "host"):
        _bad(v.parse_address(text))


def test_subnet_forms():
    expected = ipaddress.ip_network("192.168.100.0/24")
    for text, mask in (
        ("192.168.100.0/24", ""),
        ("192.168.100.1/24", ""),  # host bits dropped
        ("192.168.100.0/255.255.255.0", ""),
        ("192.168.100.0 255.255.255.0", ""),
        ("192.168.100.0", "255.255.255.0"),
    ):
        assert _ok(v.parse_subnet(text, mask)) == expected, (text, mask)
    assert _ok(v.parse_subnet("fd00:1::/64")) == ipaddress.ip_network("fd00:1::/64")
    _bad(v.parse_subnet("192.168.100.0"), "prefix")
    _bad(v.parse_subnet("192.168.100.0/24", "255.255.255.0"), "not both")
    _bad(v.parse_subnet("192.168.100.0/31"), "too small")
    _bad(v.parse_subnet("10.0.0.0/4"), "too large")
    _bad(v.parse_subnet("192.168.100.0/255.0.255.0"))
    _bad(v.parse_subnet("fd00::/64", version=4), "IPv4")


@st.composite
def ipv4_subnets(draw):
    prefix = draw(st.integers(min_value=8, max_value=30))
    address = draw(st.ip_addresses(v=4))
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


@given(ipv4_subnets())
def test_default_gateway_and_range_are_valid(network):
    assert _ok(v.parse_subnet(str(network))) == network
    gateway = v.default_gateway(network)
    assert _ok(v.parse_gateway(str(gateway), network)) == gateway
    start, end = v.default_dhcp_range(network, gateway)
    assert _ok(v.parse_dhcp_range(str(start), str(end), network, gateway)) == (start, end)


@given(ipv4_subnets(), st.data())
def test_dhcp_range_rules(network, data):
    hosts = list(network.hosts()) if network.num_addresses <= 4096 else None
    pick = (lambda: data.draw(st.sampled_from(hosts))) if hosts else (
        lambda: network.network_address + data.draw(st.integers(1, network.num_addresses - 2))
    )
    a, b = pick(), pick()
    gateway = pick()
    value, error = v.parse_dhcp_range(str(a), str(b), network, gateway)
    if a > b:
        assert value is None and "starts after it ends" in error
    elif int(a) >> 16 != int(b) >> 16:
        assert value is None and "65536" in error
    elif a <= gateway <= b:
        assert value is None and "gateway" in error
    else:
        assert value == (a, b) and error is None


def test_dhcp_range_outside_or_reserved():
    net = ipaddress.ip_network("192.168.100.0/24")
    gw = ipaddress.ip_address("192.168.100.1")
    _bad(v.parse_dhcp_range("192.168.100.0", "192.168.100.20", net, gw), "network address")
    _bad(v.parse_dhcp_range("192.168.100.2", "192.168.100.255", net, gw), "broadcast")
    _bad(v.parse_dhcp_range("192.168.100.2", "192.168.101.20", net, gw), "not inside")
    _bad(v.parse_dhcp_range("192.168.100.20", "192.168.100.2", net, gw), "starts after")
    _bad(v.parse_dhcp_range("192.168.100.1", "192.168.100.9", net, gw), "gateway")
    _bad(v.parse_dhcp_range("fd00::2", "fd00::9", net, gw), "IPv4")
    big = ipaddress.ip_network("10.0.0.0/8")
    _bad(v.parse_dhcp_range("10.0.128.0", "10.1.0.5", big, None), "65536")
    assert v.default_dhcp_range(big, v.default_gateway(big)) == (
        ipaddress.ip_address("10.0.0.2"), ipaddress.ip_address("10.0.255.255"))
    last = ipaddress.ip_address("10.255.255.254")
    assert v.default_dhcp_range(big, last) == (ipaddress.ip_address("10.255.0.0"), ipaddress.ip_address("10.255.255.253"))
    _bad(v.parse_gateway("192.168.100.0", net), "network address")
    _bad(v.parse_gateway("192.168.100.255", net), "broadcast")
    net6 = ipaddress.ip_network("fd00:1::/64")
    gw6 = v.default_gateway(net6)
    start, end = v.default_dhcp_range(net6, gw6)
    assert _ok(v.parse_dhcp_range(str(start), str(end), net6, gw6)) == (start, end)


def test_subnet_overlap():
    net = ipaddress.ip_network("192.168.100.0/24")
    assert v.check_subnet_overlap(net, ["192.168.122.0/24", None, "", "fd00::/64", "junk"]) is None
    assert "192.168.0.0/16" in v.check_subnet_overlap(net, ["192.168.122.0/24", "192.168.0.0/16"])
    assert v.check_subnet_overlap(net, [ipaddress.ip_network("192.168.100.128/25")]) is not None


@given(ipv4_subnets(), ipv4_subnets())
def test_overlap_matches_ipaddress(a, b):
    assert (v.check_subnet_overlap(a, [str(b)]) is not None) == a.overlaps(b)


# --------------------------------------------------------------------------
# MACs, static hosts


macs = st.lists(st.integers(0, 255), min_size=6, max_size=6)


@given(macs, st.sampled_from([":", "-"]), st.booleans())
def test_macs(octets, sep, upper):
    text = sep.join(f"{o:02x}" for o in octets)
    text = text.upper() if upper else text
    value, error = v.parse_mac(text)
    if octets[0] & 1:
        assert value is None and "multicast" in error
    elif not any(octets):
        assert value is None
    else:
        assert value == ":".join(f"{o:02x}" for o in octets) and error is None


def test_bad_macs_suggest_libvirts_prefix():
    for text in ("", "52:54:00:12:34", "52:54:00:12:34:56:78", "52:54:00-12:34:56", "zz:54:00:12:34:56"):
        _bad(v.parse_mac(text), "52:54:00")


def test_suggested_macs_are_valid_and_free():
    rng = random.Random(4)
    taken = set()
    for _ in range(50):
        mac = v.suggest_mac(taken, rng)
        assert mac.startswith("52:54:00:") and _ok(v.parse_mac(mac)) == mac and mac not in taken
        taken.add(mac)


def test_static_hosts():
    net = ipaddress.ip_network("192.168.100.0/24")
    gw = ipaddress.ip_address("192.168.100.1")
    host = _ok(v.parse_static_host("52:54:00:AA:BB:CC", "192.168.100.10", "web", net, gw))
    assert host == v.StaticHost("52:54:00:aa:bb:cc", ipaddress.ip_address("192.168.100.10"), "web")
    assert _ok(v.parse_static_host("52:54:00:aa:bb:cd", "192.168.100.11", "", net, gw)).name is None
    _bad(v.parse_static_host("52:54:00:aa:bb:cc", "192.168.101.10", "web", net, gw), "IP:", "not inside")
    _bad(v.parse_static_host("52:54:00:aa:bb:cc", "192.168.100.1", "web", net, gw), "gateway")
    _bad(v.parse_static_host("01:54:00:aa:bb:cc", "192.168.100.10", "web", net, gw), "MAC:")
    _bad(v.parse_static_host("52:54:00:aa:bb:cc", "192.168.100.10", "web server", net, gw), "Name:")
    _bad(v.parse_static_host("52:54:00:aa:bb:cc", "192.168.100.12", "x", net, gw, [host]), "MAC:", "already")
    _bad(v.parse_static_host("52:54:00:aa:bb:00", "192.168.100.10", "x", net, gw, [host]), "IP:", "already")
    _bad(v.parse_static_host("52:54:00:aa:bb:00", "192.168.100.13", "web", net, gw, [host]), "Name:", "already")


def test_domain_names():
    assert v.check_domain_name("") is None
    assert v.check_domain_name("lab.example") is None
    assert v.check_domain_name("bad_domain") is not None
    assert v.check_domain_name("-x.example") is not None


# --------------------------------------------------------------------------
# bridges, interfaces, paths


@given(st.from_regex(r"[a-z][a-z0-9_.-]{0,14}", fullmatch=True))
def test_bridge_names(name):
    assume(not name.startswith(("vnet", "macvtap", "macvlan")))
    assert v.check_bridge_name(name) is None
    assert "in use" in v.check_bridge_name(name, used=[name, "virbr0"])


def test_bad_bridge_names():
    assert "15" in v.check_bridge_name("a" * 16)
    for bad in ("", "br 0", "br/0", "br:0", ".", "..", "br\n"):
        assert v.check_bridge_name(bad) is not None, bad
    assert "libvirt" in v.check_bridge_name("vnet7")
    assert v.check_bridge_name("virbr10", used=["virbr0", "eth0"]) is None
    assert v.check_interface_name("eth0") is None
    assert v.check_interface_name("en p1") is not None


def test_host_paths():
    assert v.check_host_path("/var/lib/libvirt/images") is None
    assert v.check_host_path("/srv/iso/Windows 11 [x] é.iso") is None
    assert "absolute" in v.check_host_path("images/x.iso")
    assert "absolute" in v.check_host_path("~/x.iso")
    assert "Enter the ISO path" == v.check_host_path("", "ISO path")
    assert "control" in v.check_host_path("/a\nb")
    assert "'..'" in v.check_host_path("/a/../b")


@given(st.lists(names, min_size=1, max_size=5))
def test_any_absolute_path(parts):
    assume(not any(p in (".", "..") for p in parts))
    assert v.check_host_path("/" + "/".join(parts)) is None
    assert v.check_host_path("/".join(parts)) is not None


@pytest.mark.parametrize(
    "check",
    [
        lambda t: v.check_name(t),
        lambda t: v.check_bridge_name(t),
        lambda t: v.check_interface_name(t),
        lambda t: v.check_host_path(t),
        lambda t: v.check_hostname(t),
        lambda t: v.check_domain_name(t),
        lambda t: v.parse_mac(t)[1],
        lambda t: v.parse_address(t)[1],
        lambda t: v.parse_subnet(t)[1],
        lambda t: v.parse_memory(t)[1],
        lambda t: v.parse_vcpus(t, 8)[1],
    ],
)
@given(text=st.text())
def test_checks_never_raise(check, text):
    result = check(text)
    assert result is None or isinstance(result, str)
