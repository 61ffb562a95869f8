"""virt-builder's pure parts: its JSON list, its progress lines, the command a build runs, and
the wrapper's handling of the root password (run with a stand-in virt-builder that reports
what it was given)."""

from __future__ import annotations

import json
import os
import shlex
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.backend import virt_builder as vb
from tui.backend.model import Pool
from tui.screens.builder_actions import pool_problem

LISTED = {
    "version": 1,
    "sources": [{"uri": "file:///repo/index"}],
    "templates": [
        {"os-version": "vd-tiny", "full-name": "virtdeck tiny", "arch": "x86_64", "size": 67108864,
         "compressed-size": "943780", "notes": {"C": "Line one.\nLine two."}, "osinfo": "debian12",
         "hidden": False},
        {"os-version": "alpine-3", "full-name": "Alpine", "arch": "aarch64", "size": 1 << 30,
         "notes": {"fr": "Bonjour"}, "hidden": False},
        {"os-version": "secret-one", "full-name": "Hidden", "arch": "x86_64", "size": 1, "hidden": True},
    ],
}


def test_the_json_list_gives_each_visible_template_sorted():
    templates = vb.parse_list(json.dumps(LISTED))
    assert [t.os_version for t in templates] == ["alpine-3", "vd-tiny"]
    tiny = templates[1]
    assert (tiny.name, tiny.arch, tiny.size, tiny.osinfo, tiny.compressed_size, tiny.notes) == (
        "virtdeck tiny", "x86_64", 67108864, "debian12", 943780, "Line one.\nLine two.")
    assert templates[0].notes == "Bonjour" and templates[0].compressed_size is None


def test_a_list_that_is_not_json_is_an_error():
    with pytest.raises(vb.BuilderError, match="no JSON"):
        vb.parse_list("virt-builder: error: no sources")


def test_progress_lines_are_steps():
    assert vb.parse_step("[  12.7] Setting the hostname: vd-one") == "Setting the hostname: vd-one"
    assert vb.parse_step("[   0.0] Downloading: file:///x") == "Downloading: file:///x"
    assert vb.parse_step("                   Output file: /tmp/x") is None
    assert vb.parse_step("virt-builder: warning: random seed could not be set") is None


def request(**changes) -> vb.BuildRequest:
    base = dict(template="debian-12", directory="/var/lib/libvirt/images", name="vm1.qcow2", size=(10 << 30) + 1,
                hostname="vm1", root_password="hunter2 'x'", ssh_key="ssh-ed25519 AAAA me@here",
                packages=("vim", "openssh-server"), firstboot=("touch /root/first",))
    base.update(changes)
    return vb.BuildRequest(**base)


def test_the_arguments_a_build_runs_with():
    argv = vb.build_arguments(request())
    assert argv == ["virt-builder", "debian-12", "-o", "/var/lib/libvirt/images/vm1.qcow2", "--format", "qcow2",
                    "--size", "10241M", "--hostname", "vm1", "--ssh-inject", "root:string:ssh-ed25519 AAAA me@here",
                    "--install", "vim,openssh-server", "--firstboot-command", "touch /root/first"]
    bare = vb.build_arguments(request(size=None, hostname="", ssh_key="", packages=(), firstboot=(), format="raw"))
    assert bare == ["virt-builder", "debian-12", "-o", "/var/lib/libvirt/images/vm1.qcow2", "--format", "raw"]
    key_only = vb.build_arguments(request(root_password=""))
    assert key_only[key_only.index("--root-password") + 1] == "disabled"
    with pytest.raises(vb.BuilderError):
        vb.build_arguments(request(format="vmdk"))


def test_the_root_password_is_in_no_argument_and_no_repr():
    built = request(root_password="s3cr3t-Ünïcode")
    words = vb.build_command(built) + [vb.remote_command(vb.build_command(built), {"LIBGUESTFS_X": "1"})]
    assert not any("s3cr3t" in word for word in words)
    assert "s3cr3t" not in repr(built)


@given(hostname=st.text(min_size=1, max_size=40), package=st.text(min_size=1, max_size=20),
       command=st.text(min_size=1, max_size=60), value=st.text(max_size=20))
def test_any_text_round_trips_through_the_remote_shell_line(hostname, package, command, value):
    for text in (hostname, package, command, value):
        if "\0" in text:
            return
    built = request(hostname=hostname, packages=(package,), firstboot=(command,))
    argv = vb.build_command(built)
    line = vb.remote_command(argv, {"LIBGUESTFS_BACKEND_SETTINGS": value, "HOME": "/x", "VIRT_BUILDER_DIRS": "/d"})
    words = shlex.split(line)
    assert words[:3] == ["env", f"LIBGUESTFS_BACKEND_SETTINGS={value}", "VIRT_BUILDER_DIRS=/d"]
    assert words[3:] == argv
    assert words[words.index("--hostname") + 1] == hostname
    assert words[words.index("--install") + 1] == package
    assert words[words.index("--firstboot-command") + 1] == command


def test_package_names():
    assert vb.check_package("openssh-server") is None and vb.check_package("libc6:amd64") is None
    assert vb.check_package("g++") is None
    assert vb.check_package("a,b") and vb.check_package("`reboot`") and vb.check_package("-rf")


def test_only_pools_of_files_in_a_directory_take_a_build():
    assert pool_problem(Pool("c", "u", "p", "dir", "active", target_path="/images")) is None
    assert "a logical pool has none" in pool_problem(Pool("c", "u", "p", "logical", "active", target_path="/dev/vg"))
    assert "no target directory" in pool_problem(Pool("c", "u", "p", "netfs", "active"))


STAND_IN = """#!/bin/sh
# virt-builder as the wrapper sees it: records its arguments, the password file's mode and
# content, then writes the output file (or, with "slow" as a first-boot command, waits).
out=""
pwfile=""
prev=""
for arg in "$@"; do
    case "$prev" in
        -o) out=$arg ;;
        --root-password) pwfile=${arg#file:} ;;
    esac
    prev=$arg
done
printf '%s\\n' "$@" > "$REPORT.argv"
if [ -n "$pwfile" ]; then stat -c %a "$pwfile" > "$REPORT.mode"; cat "$pwfile" > "$REPORT.secret"; echo "$pwfile" > "$REPORT.path"; fi
echo "[   0.0] Downloading: file:///x"
echo "writing" > "$out"
echo "[   1.0] Setting the hostname: x"
case "$*" in *slow*) echo $$ > "$REPORT.pid"; sleep 60 ;; esac
case "$*" in *stubborn*) trap '' TERM; echo $$ > "$REPORT.pid"; sleep 60 ;; esac
echo "[   2.0] Finishing off"
"""


@pytest.fixture
def stand_in(tmp_path, monkeypatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "virt-builder"
    tool.write_text(STAND_IN)
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("REPORT", str(tmp_path / "report"))
    return tmp_path


def test_the_wrapper_hands_the_password_over_in_a_private_file_it_removes(stand_in):
    seen: list[tuple[int, int, str]] = []
    built = request(directory=str(stand_in), root_password="pw with spaces 'and' $HOME")
    path = vb.VirtBuilder(None).build("qemu:///system", built, lambda *step: seen.append(step))
    assert path == str(stand_in / "vm1.qcow2") and (stand_in / "vm1.qcow2").read_text() == "writing\n"
    assert (stand_in / "report.secret").read_text() == "pw with spaces 'and' $HOME"
    assert (stand_in / "report.mode").read_text().strip() == "600"
    assert not Path((stand_in / "report.path").read_text().strip()).parent.exists()
    argv = (stand_in / "report.argv").read_text()
    assert "pw with spaces" not in argv and "--root-password\nfile:" in argv
    assert [what for _done, _total, what in seen] == ["Downloading: file:///x", "Setting the hostname: x",
                                                       "Finishing off", "built"]


def test_no_password_means_no_password_option_and_an_existing_file_is_kept(stand_in):
    built = request(directory=str(stand_in), root_password="", ssh_key="")
    vb.VirtBuilder(None).build("qemu:///system", built)
    assert "--root-password" not in (stand_in / "report.argv").read_text()
    with pytest.raises(vb.BuilderError, match="already exists"):
        vb.VirtBuilder(None).build("qemu:///system", built)
    assert (stand_in / "vm1.qcow2").read_text() == "writing\n"


def test_a_cancelled_build_leaves_no_file_and_no_process(stand_in):
    cancel = threading.Event()
    built = request(directory=str(stand_in), firstboot=("slow",))

    def cancel_once_running(_done, _total, what: str) -> None:
        if what.startswith("Setting the hostname"):
            cancel.set()

    with pytest.raises(vb.BuilderError, match="cancelled"):
        vb.VirtBuilder(None).build("qemu:///system", built, cancel_once_running, cancel)
    assert not (stand_in / "vm1.qcow2").exists()
    pid = int((stand_in / "report.pid").read_text())
    assert not Path(f"/proc/{pid}").exists()  # virt-builder's stand-in was stopped, and reaped


def test_a_build_that_ignores_sigterm_is_killed_after_the_grace(stand_in, monkeypatch):
    monkeypatch.setattr(vb, "STOP_GRACE", 1.0)
    cancel = threading.Event()
    built = request(directory=str(stand_in), firstboot=("stubborn",))

    def cancel_once_running(_done, _total, what: str) -> None:
        if what.startswith("Setting the hostname"):
            cancel.set()

    started = time.monotonic()
    with pytest.raises(vb.BuilderError, match="cancelled"):
        vb.VirtBuilder(None).build("qemu:///system", built, cancel_once_running, cancel)
    assert time.monotonic() - started < 20  # not the 60 s it would sleep
    assert not (stand_in / "vm1.qcow2").exists()
    assert not Path(f"/proc/{int((stand_in / 'report.pid').read_text())}").exists()
