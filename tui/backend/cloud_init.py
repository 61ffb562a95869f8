"""A cloud-init NoCloud seed: user-data and meta-data on an ISO labelled
``cidata``, the way cloud-localds makes it.

The YAML is written by hand (no YAML library): every value the user typed is
a double-quoted scalar with its specials escaped, so a name, key or password
hash can never become YAML structure. The ISO is built here with xorriso
(Debian package ``xorriso``) and then uploaded into a pool as a volume, so
the seed works on remote hosts too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from .validate import check_hostname

SEED_LABEL = "cidata"
ISO_TOOLS = ("xorriso", "genisoimage", "mkisofs")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_SSH_KEY = re.compile(r"^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)"
                      r" [A-Za-z0-9+/]+={0,3}( .*)?$")
_HASHED = re.compile(r"^\$(1|5|6|y|2[aby])\$")


@dataclass(frozen=True)
class Seed:
    """What the seed says: a user with a password (plain, hashed here) or SSH
    keys (or both), and the guest's host name."""

    hostname: str
    user: str = ""
    password: str = ""
    ssh_keys: tuple[str, ...] = ()
    instance_id: str = ""


def check_user(user: str) -> str | None:
    if not user:
        return None
    if not _USER.match(user):
        return "A user name is lower-case letters, digits, '_' and '-', starting with a letter or '_'"
    return None


def check_ssh_key(key: str) -> str | None:
    key = key.strip()
    if not key:
        return None
    if "\n" in key or not _SSH_KEY.match(key):
        return "Not an OpenSSH public key: one line like 'ssh-ed25519 AAAA… comment'"
    return None


def seed_problems(seed: Seed) -> dict[str, str]:
    """Field -> what is wrong (hostname, user, password, ssh_key)."""
    problems: dict[str, str] = {}
    error = check_hostname(seed.hostname)
    if error:
        problems["hostname"] = error
    error = check_user(seed.user)
    if error:
        problems["user"] = error
    for key in seed.ssh_keys:
        error = check_ssh_key(key)
        if error:
            problems["ssh_key"] = error
    if (seed.password or seed.ssh_keys) and not seed.user:
        problems["user"] = "Enter the user the password or SSH key is for"
    if seed.user and not (seed.password or seed.ssh_keys):
        problems["password"] = "Give the user a password or an SSH key, or nobody can log in"
    return problems


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar holding exactly ``text``."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or code in (0x2028, 0x2029, 0xFEFF):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def hash_password(password: str) -> str:
    """SHA-512 crypt of ``password`` (a hash already given stays as it is)."""
    if _HASHED.match(password):
        return password
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt
        except ImportError:  # Python 3.13 dropped it: openssl does the same
            crypt = None
    if crypt is not None:
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))
    proc = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password, capture_output=True,
                          text=True, check=True)
    return proc.stdout.strip()


def user_data(seed: Seed, hashed: str | None = None) -> str:
    """#cloud-config for ``seed``; ``hashed`` is the password hash (made
    here when not given)."""
    lines = ["#cloud-config", f"hostname: {yaml_string(seed.hostname)}", "manage_etc_hosts: true"]
    if seed.user:
        lines += ["users:", f"  - name: {yaml_string(seed.user)}", "    shell: /bin/bash",
                  "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"", "    groups: [sudo]"]
        if seed.password:
            password_hash = hashed or hash_password(seed.password)
            lines += [f"    passwd: {yaml_string(password_hash)}", "    lock_passwd: false"]
        if seed.ssh_keys:
            lines.append("    ssh_authorized_keys:")
            lines += [f"      - {yaml_string(key.strip())}" for key in seed.ssh_keys]
        lines.append(f"ssh_pwauth: {'true' if seed.password else 'false'}")
    return "\n".join(lines) + "\n"


def meta_data(seed: Seed) -> str:
    instance = seed.instance_id or f"iid-{uuid.uuid4()}"
    return f"instance-id: {yaml_string(instance)}\nlocal-hostname: {yaml_string(seed.hostname)}\n"


def iso_tool() -> str | None:
    for tool in ISO_TOOLS:
        if shutil.which(tool):
            return tool
    return None


def build_seed_iso(seed: Seed, hashed: str | None = None) -> bytes:
    """The seed ISO's bytes (volume id ``cidata``, Joliet + Rock Ridge)."""
    tool = iso_tool()
    if tool is None:
        raise RuntimeError("Making a cloud-init seed needs xorriso (or genisoimage) on this machine: "
                           "apt-get install xorriso")
    with tempfile.TemporaryDirectory(prefix="virtdeck-seed-") as tmp:
        root = Path(tmp) / "seed"
        root.mkdir()
        (root / "user-data").write_text(user_data(seed, hashed), encoding="utf-8")
        (root / "meta-data").write_text(meta_data(seed), encoding="utf-8")
        out = Path(tmp) / "seed.iso"
        if tool == "xorriso":
            cmd = ["xorriso", "-as", "genisoimage"]
        else:
            cmd = [tool]
        cmd += ["-output", str(out), "-volid", SEED_LABEL, "-joliet", "-rock", "-quiet", str(root)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{tool} failed: {proc.stderr.strip()[-500:]}")
        return out.read_bytes()
