#!/usr/bin/env bash
# Prepare a machine for virtdeck: system packages and the project venv.
#
#   tests/testbed/setup.sh          everything `make test` needs
#   tests/testbed/setup.sh --run    only what `make run` needs
#
# Idempotent: a second run checks installed packages with dpkg-query and the
# venv against a stamp file, and does nothing when all is in place.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

MODE=test
case "${1:-}" in
    --run|run) MODE=run ;;
    --test|test|"") MODE=test ;;
    *) echo "usage: $0 [--run|--test]" >&2; exit 2 ;;
esac

# libvirt-python has no wheels: pip builds it against libvirt-dev with gcc,
# pkg-config and the Python headers (python3-dev / python3-devel).
RUN_PKGS=(libvirt-dev pkg-config gcc python3-dev python3-venv osinfo-db xorriso)
TEST_PKGS=(libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
           openssh-server busybox-static tmux xorriso libc6-dev)
# virt-builder and virt-cat; libguestfs builds its appliance (supermin) from a kernel in
# /boot, which a container has none of: the cloud kernel is the smallest that works.
TEST_PKGS+=(libguestfs-tools linux-image-cloud-amd64)
# The same set on Fedora-like systems (for the hint printed to non-root users).
DNF_RUN_PKGS=(libvirt-devel pkgconf-pkg-config gcc python3 python3-devel osinfo-db xorriso)
DNF_TEST_PKGS=(libvirt-daemon-kvm libvirt-client qemu-system-x86 qemu-img
               openssh-server busybox tmux glibc-static)
DNF_TEST_PKGS+=(guestfs-tools kernel-core)

pkgs=("${RUN_PKGS[@]}")
dnf_pkgs=("${DNF_RUN_PKGS[@]}")
if [ "$MODE" = test ]; then
    pkgs+=("${TEST_PKGS[@]}")
    dnf_pkgs+=("${DNF_TEST_PKGS[@]}")
fi

log() { echo "setup: $*" >&2; }

# ---------------------------------------------------------------- packages
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${pkgs[@]}"; do
        status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)"
        case "$status" in
            ii*) ;;
            *) missing+=("$p") ;;
        esac
    done
elif [ -x /usr/bin/dnf ]; then
    for p in "${dnf_pkgs[@]}"; do
        rpm -q "$p" >/dev/null 2>&1 || missing+=("$p")
    done
fi

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing system packages: ${missing[*]}" >&2
        echo "setup: install them as root, then run this again:" >&2
        if [ -x /usr/bin/dnf ]; then
            echo "    sudo dnf install -y ${missing[*]}" >&2
        else
            echo "    sudo apt-get install -y ${missing[*]}" >&2
        fi
        exit 1
    fi
    if [ -x /usr/bin/dnf ] && ! command -v apt-get >/dev/null 2>&1; then
        log "dnf install -y ${missing[*]}"
        dnf install -y "${missing[@]}"
    else
        log "apt-get install -y ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        # Do not let the package scripts start daemons (there is no init
        # system here; services.sh starts what the tests need).
        policy_added=0
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
            chmod +x /usr/sbin/policy-rc.d
            policy_added=1
        fi
        rc=0
        apt-get install -y "${missing[@]}" || rc=$?
        [ "$policy_added" = 1 ] && rm -f /usr/sbin/policy-rc.d
        [ "$rc" = 0 ] || exit "$rc"
    fi
else
    log "system packages present"
fi

# -------------------------------------------------------------------- venv
pick_python() {
    local c
    for c in python3 python3.13 python3.12 python3.11 /usr/bin/python3; do
        if command -v "$c" >/dev/null 2>&1 &&
           "$c" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

VENV="$ROOT/.venv"
STAMP="$VENV/.virtdeck-installed"

need_install=0
if [ ! -x "$VENV/bin/python" ]; then
    need_install=1
elif [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
    need_install=1
elif [ "$MODE" = test ] && [ "$(cat "$STAMP")" != test ]; then
    need_install=1
fi

if [ "$need_install" = 1 ]; then
    if [ ! -x "$VENV/bin/python" ]; then
        py="$(pick_python)" || { echo "setup: need python3 >= 3.11 with venv" >&2; exit 1; }
        log "creating $VENV with $py"
        "$py" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install -q --upgrade pip || true
    if [ "$MODE" = test ]; then
        log "pip install -e '.[test]'"
        "$VENV/bin/python" -m pip install -q -e '.[test]'
    else
        log "pip install -e ."
        "$VENV/bin/python" -m pip install -q -e .
    fi
    echo "$MODE" > "$STAMP"
else
    log "venv up to date ($VENV)"
fi
