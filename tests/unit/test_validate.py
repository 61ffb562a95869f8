from hypothesis import given
from hypothesis import strategies as st

from tui.backend import validate


def test_good_uris():
    for uri in (
        "qemu:///system",
        "qemu:///session",
        "qemu+ssh://root@kvm01.example.org/system",
        "qemu+ssh://admin@10.0.0.5:2222/system?keyfile=/root/.ssh/id&no_tty=1",
        "qemu+tls://[2001:db8::1]/system",
        "test:///default",
        "test:///tmp/node.xml",
    ):
        assert validate.check_uri(uri) is None, uri


def test_bad_uris_say_what_is_wrong():
    assert "Enter" in validate.check_uri("")
    assert "driver" in validate.check_uri("kvm01")
    assert "Unknown driver" in validate.check_uri("vmware://host/")
    assert "Unknown transport" in validate.check_uri("qemu+telnet://host/system")
    assert "needs a host" in validate.check_uri("qemu+ssh:///system")
    assert "/system or /session" in validate.check_uri("qemu+ssh://host/")
    assert "Port" in validate.check_uri("qemu+ssh://host:99999/system")
    assert "spaces" in validate.check_uri("qemu:///sys tem")
    assert "host name" in validate.check_uri("qemu+ssh://bad_host!/system")


def test_ssh_uri_builder():
    assert validate.ssh_uri("root", "kvm01") == "qemu+ssh://root@kvm01/system"
    assert validate.ssh_uri("", "kvm01", "2222") == "qemu+ssh://kvm01:2222/system"
    assert validate.ssh_uri("a", "2001:db8::1") == "qemu+ssh://a@[2001:db8::1]/system"


@given(st.integers(min_value=1, max_value=65535))
def test_every_valid_port_passes(port):
    assert validate.check_port(str(port)) is None
    assert validate.check_uri(validate.ssh_uri("root", "host", str(port))) is None


@given(st.one_of(st.integers(max_value=0), st.integers(min_value=65536)))
def test_out_of_range_ports_fail(port):
    assert validate.check_port(str(port)) is not None


@given(st.text())
def test_checks_never_raise(text):
    for check in (validate.check_uri, validate.check_host, validate.check_port, validate.check_user,
                  validate.check_connection_name):
        result = check(text)
        assert result is None or isinstance(result, str)


@given(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True).filter(
        lambda h: not h.endswith("-") and ".-" not in h and "-." not in h
    ),
    st.from_regex(r"[a-z_][a-z0-9_-]{0,15}", fullmatch=True),
)
def test_built_ssh_uris_validate(host, user):
    assert validate.check_host(host) is None
    assert validate.check_uri(validate.ssh_uri(user, host)) is None


def test_connection_names():
    assert validate.check_connection_name("kvm01", {"kvm01"}) is not None
    assert validate.check_connection_name("x" * 65) is not None
    assert validate.check_connection_name("lab [1] <&>") is None


def test_non_ascii_digits_are_not_numbers():
    assert validate.check_port("¹") is not None
    assert validate.check_host("¹.1.1.1") is not None
    assert validate.check_uri("qemu+ssh://h:¹/system") is not None
