"""Pure parts of virtdeck's own SSH: which URIs it carries, known_hosts, the remote probes, host facts."""

from __future__ import annotations

import asyncssh
import pytest

from tui import config as config_file
from tui.backend import ssh_facts, ssh_keys, ssh_tunnel
from tui.backend.ssh import SshTarget, SshTransport, owned_target


@pytest.mark.parametrize(
    ("uri", "target"),
    [
        ("qemu+ssh://root@kvm01/system", SshTarget("qemu", "root", "kvm01", None, "/system")),
        ("qemu+ssh://kvm01:2222/session", SshTarget("qemu", None, "kvm01", 2222, "/session")),
        ("qemu+ssh://u@h", SshTarget("qemu", "u", "h", None, "/system")),
        ("qemu+ssh://root@h/system?command=/x/ssh-wrapper&no_tty=1", None),
        ("qemu+libssh://root@h/system", None),
        ("qemu:///system", None),
        ("test:///default", None),
    ],
)
def test_which_uris_virtdeck_carries(uri, target):
    assert owned_target(uri) == target


def test_resolve_reads_ssh_config(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    key = tmp_path / "k"
    key.write_text("x")
    config = tmp_path / "config"
    config.write_text(f"Host kvm\n  HostName 10.0.0.5\n  Port 2200\n  User admin\n  IdentityFile {key}\n"
                      f"  IdentityFile {tmp_path / 'missing'}\n  ProxyJump jump@bastion:2201\n"
                      f"  UserKnownHostsFile {tmp_path / 'kh'}\n  HashKnownHosts yes\n")
    resolved = SshTransport(config_paths=[config])._resolve(None, "kvm", None)
    assert (resolved.host, resolved.port, resolved.user) == ("10.0.0.5", 2200, "admin")
    assert resolved.identity_files == [key]  # a missing IdentityFile is skipped, as ssh does
    assert resolved.known_hosts == [tmp_path / "kh"]
    assert resolved.proxy_jump == "jump@bastion:2201"
    explicit = SshTransport(config_paths=[config], known_hosts=[tmp_path / "other"])._resolve("me", "kvm", 22)
    assert (explicit.user, explicit.port, explicit.known_hosts) == ("me", 22, [tmp_path / "other"])


@pytest.mark.parametrize("hashed", [False, True])
def test_remembered_key_is_known_and_another_key_is_a_change(tmp_path, hashed):
    known = tmp_path / "known_hosts"
    key = asyncssh.generate_private_key("ssh-ed25519")
    other = asyncssh.generate_private_key("ssh-ed25519")
    rsa = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
    key, other, rsa = (k.convert_to_public() for k in (key, other, rsa))
    assert ssh_keys.verdict([known], "10.1.1.1", "10.1.1.1", 2201, key) == ssh_keys.HostKeyVerdict(False, False)
    ssh_keys.remember(known, "10.1.1.1", 2201, key, hashed=hashed)
    line = known.read_text()
    assert line.startswith("|1|" if hashed else "[10.1.1.1]:2201 ssh-ed25519 ")
    assert ("10.1.1.1" in line) is not hashed
    assert ssh_keys.verdict([known], "10.1.1.1", "10.1.1.1", 2201, key).known
    assert ssh_keys.verdict([known], "10.1.1.1", "10.1.1.1", 2201, other) == ssh_keys.HostKeyVerdict(False, True)
    # Another port is another host; another key type is asked about, not called a change.
    assert not ssh_keys.verdict([known], "10.1.1.1", "10.1.1.1", 22, other).changed
    assert not ssh_keys.verdict([known], "10.1.1.1", "10.1.1.1", 2201, rsa).changed
    assert ssh_keys.prefers_hashed(known) is hashed
    ssh_keys.remember(known, "h", 22, other)
    assert known.read_text().splitlines()[-1].startswith("h ssh-ed25519 ")
    assert not ssh_keys.prefers_hashed(known)
    assert ssh_keys.fingerprint(key).startswith("SHA256:")


def test_probe_finds_the_socket_or_says_why_not():
    out = "ok /run/libvirt/virtqemud-sock\ndenied /run/libvirt/libvirt-sock\nhelper nc\nhome /home/u\nruntime \n"
    sockets, helpers, home, runtime = ssh_tunnel.parse_probe(out)
    assert sockets == {"/run/libvirt/virtqemud-sock": "ok", "/run/libvirt/libvirt-sock": "denied"}
    assert helpers == {"nc"} and home == "/home/u" and runtime == ""
    assert ssh_tunnel.socket_candidates("/session", "/home/u", "/run/user/1000")[0] == \
        "/run/user/1000/libvirt/libvirt-sock"
    assert ssh_tunnel.socket_candidates("/session", "/home/u", "")[0] == "/home/u/.cache/libvirt/libvirt-sock"
    assert ssh_tunnel.socket_candidates("/system", "/root", "")[0] == "/run/libvirt/libvirt-sock"


FACTS = """@@ksm
run 1
pages_shared 100
pages_sharing 2500
pages_unshared 7
full_scans 12
@@nested
kvm_intel Y
@@cpu
vmx
@@kvm
present
@@load
0.52 0.41 0.30 2/345 6789
@@df
=/var/lib/libvirt/images
/dev/sda1 107374182400 102005473280 5368709120 95% /
=/missing
=/srv/vm pool
/dev/sdb1 1000 900 100 90% /srv
@@validate
  QEMU: Checking for hardware virtualization                                 : PASS
  QEMU: Checking if device /dev/vhost-net exists                             : FAIL (Load the module)
@@end
"""


def test_facts_script_output_parses():
    facts = ssh_facts.parse(FACTS, now=1.0)
    assert facts.ksm_on and facts.ksm_saved == 2500 * 4096 and facts.ksm["full_scans"] == 12
    assert facts.nested_on and facts.cpu_virt == "vmx" and facts.dev_kvm
    assert facts.load == (0.52, 0.41, 0.30)
    assert facts.disks == {"/var/lib/libvirt/images": (107374182400, 5368709120), "/srv/vm pool": (1000, 100)}
    assert len(facts.validate) == 2 and facts.error is None
    found = ssh_facts.findings(facts, memory_ratio=1.5)
    assert [s for s, _ in found] == ["warning", "warning"]  # 95% full, the FAIL line; KSM is on
    off = ssh_facts.parse(FACTS.replace("run 1", "run 0").replace("kvm_intel Y", "kvm_intel N"))
    assert off.ksm_on is False and off.nested_on is False
    assert ("notice", "guest memory is 150% of host memory and KSM is off") in ssh_facts.findings(off, 1.5)
    cut = ssh_facts.parse(FACTS.split("@@validate")[0])
    assert cut.error and not ssh_facts.parse("").ksm


def test_facts_command_quotes_pool_paths():
    command = ssh_facts.command(["/srv/a b", "/x';rm -rf /'"], validate=True)
    assert command.startswith("VD_VALIDATE=1 sh -c ")
    assert "'/srv/a b'" in command and "rm -rf" in command and "'\"'\"'" in command


def test_local_facts_read_this_machine(tmp_path):
    facts = ssh_facts.read_local([str(tmp_path)])
    assert facts.error is None and facts.load is not None
    assert str(tmp_path) in facts.disks


def test_config_keeps_who_runs_ssh(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[[connection]]\nuri = "qemu+ssh://root@a/system"\nssh = "libvirt"\n'
                    '[[connection]]\nuri = "qemu+ssh://root@b/system"\n')
    loaded = config_file.load(path)
    assert [c.ssh for c in loaded.connections] == ["libvirt", "virtdeck"]
    assert 'ssh = "libvirt"' in config_file.dumps(loaded) and config_file.dumps(loaded).count("ssh =") == 1
    path.write_text('[[connection]]\nuri = "qemu+ssh://root@a/system"\nssh = "putty"\n')
    with pytest.raises(config_file.ConfigError, match="ssh must be"):
        config_file.load(path)
