"""The cloud-init NoCloud seed: user-data / meta-data text and the ISO."""

from __future__ import annotations

import json
import shutil
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.backend import cloud_init
from tui.backend.cloud_init import Seed, meta_data, seed_problems, user_data, yaml_string

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5 me@laptop"
HASH = "$6$saltsalt$" + "x" * 86


@given(st.text())
def test_yaml_string_is_one_double_quoted_scalar_holding_the_text(text):
    quoted = yaml_string(text)
    # Only \" \\ \n \t \uXXXX escapes: a JSON string is the same YAML scalar.
    assert json.loads(quoted) == text
    assert "\n" not in quoted and quoted.startswith('"') and quoted.endswith('"')


def test_user_data_with_a_password_hash_and_a_key():
    text = user_data(Seed("web01", "alice", HASH, (KEY,)))
    assert text.splitlines() == [
        "#cloud-config",
        'hostname: "web01"',
        "manage_etc_hosts: true",
        "users:",
        '  - name: "alice"',
        "    shell: /bin/bash",
        '    sudo: "ALL=(ALL) NOPASSWD:ALL"',
        "    groups: [sudo]",
        f'    passwd: "{HASH}"',
        "    lock_passwd: false",
        "    ssh_authorized_keys:",
        f'      - "{KEY}"',
        "ssh_pwauth: true",
    ]


def test_odd_values_stay_inside_their_quotes():
    key = 'ssh-rsa AAAA x"y: [z] #c\\'
    text = user_data(Seed("h", "bob", "", (key,)))
    line = next(line for line in text.splitlines() if line.startswith("      - "))
    assert json.loads(line[len("      - "):]) == key
    assert "ssh_pwauth: false" in text and "passwd:" not in text


def test_a_plain_password_is_hashed_never_written():
    text = user_data(Seed("h", "carol", "s3cret: \"#"))
    assert "s3cret" not in text
    hashed = json.loads(next(line for line in text.splitlines() if "passwd:" in line).split(": ", 1)[1])
    assert hashed.startswith("$6$")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # Python's own, until 3.13: checks the hash independently of how it was made
    assert crypt.crypt("s3cret: \"#", hashed) == hashed


def test_no_user_only_a_hostname():
    assert user_data(Seed("lonely")) == '#cloud-config\nhostname: "lonely"\nmanage_etc_hosts: true\n'


def test_meta_data():
    assert meta_data(Seed("web01", instance_id="iid-1")) == 'instance-id: "iid-1"\nlocal-hostname: "web01"\n'
    assert meta_data(Seed("a")).startswith('instance-id: "iid-')


@pytest.mark.parametrize("seed, field, words", [
    (Seed(""), "hostname", "host name"),
    (Seed("bad_host"), "hostname", "letters"),
    (Seed("h", "Root User", "pw"), "user", "lower-case"),
    (Seed("h", "", "pw"), "user", "Enter the user"),
    (Seed("h", "alice"), "password", "nobody can log in"),
    (Seed("h", "alice", "", ("not a key",)), "ssh_key", "OpenSSH public key"),
])
def test_seed_problems(seed, field, words):
    problems = seed_problems(seed)
    assert words in problems[field]


def test_good_seed_has_no_problems():
    assert seed_problems(Seed("web-01", "alice", "pw", (KEY,))) == {}


def test_seed_iso_is_labelled_cidata_and_holds_both_files():
    assert cloud_init.iso_tool() is not None, "no xorriso or genisoimage (make test installs xorriso)"
    data = cloud_init.build_seed_iso(Seed("web01", "alice", HASH, (KEY,), instance_id="iid-7"))
    assert data[0x8001:0x8006] == b"CD001"  # primary volume descriptor
    assert data[0x8028:0x8028 + 32].decode().strip() == "cidata"
    assert user_data(Seed("web01", "alice", HASH, (KEY,))).encode() in data
    assert b'instance-id: "iid-7"' in data
    # Rock Ridge / Joliet names: the guest sees user-data and meta-data, not USER_DAT.
    assert b"user-data" in data and b"meta-data" in data or "user-data".encode("utf-16-be") in data


def test_no_iso_tool_says_what_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(RuntimeError, match="xorriso"):
        cloud_init.build_seed_iso(Seed("h"))
