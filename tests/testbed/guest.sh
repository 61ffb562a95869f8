#!/usr/bin/env bash
# Build the tiny test guest: Debian's cloud kernel and a busybox initramfs.
#
#   tests/testbed/guest.sh [--force]
#
# Output (readable by libvirt's qemu user):
#   /var/lib/libvirt/images/virtdeck-test/vmlinuz
#   /var/lib/libvirt/images/virtdeck-test/initrd.gz
# Work files live in ${VIRTDECK_TESTBED:-/tmp/virtdeck-testbed}/guest.
# Skips the build when both files exist and this script did not change.
#
# The guest: /init mounts proc, sys, dev (devtmpfs), loads a few virtio/ACPI
# modules when present (and fuse + virtiofs, for `mount -t virtiofs TAG /mnt`),
# prints "virtdeck-tiny-guest booted" on the console and hands over to busybox
# init, which loops a "tiny login: " prompt on ttyS0.
# Extras: /bin/burn [N] (N busy loops, for CPU tests), /bin/diskread DEV
# (reads a block device in a loop, for disk I/O tests), acpid so that an
# ACPI shutdown (virsh shutdown) powers the guest off, and Debian's
# qemu-guest-agent with the shared libraries it needs: /bin/agent-start runs
# it on the virtio-serial port org.qemu.guest_agent.0 (at boot with vd.agent
# on the kernel command line; `killall qemu-ga` stops it). A console login
# is recorded in utmp, so the agent reports a logged-in user.
# For guests with a VGA: vd.vt on the command line adds a root shell on tty1
# (the first virtual terminal, no login) that clears the screen and prints
# "virtdeck-vt-ready" first (and the same on ttyS0); vd.gfxdemo[=FPS] runs
# /bin/gfxdemo (tests/testbed/gfxdemo.c, built here with gcc -static): a
# 1024x768 picture that changes entirely FPS (default 20) times a second.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${VIRTDECK_TESTBED:-/tmp/virtdeck-testbed}"
WORK="$STATE/guest"
IMAGES=/var/lib/libvirt/images/virtdeck-test
BUSYBOX=/bin/busybox
MARKER="virtdeck-tiny-guest booted"
# In load order (each after what it depends on; modinfo -F depends names them).
MODULES=(virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
         virtio_blk failover net_failover virtio_net virtio_balloon virtio_console
         button evdev fuse virtiofs)

log() { echo "guest: $*" >&2; }
die() { echo "guest: $*" >&2; exit 1; }

FORCE=0
[ "${1:-}" = --force ] && FORCE=1

stamp="$(cat "${BASH_SOURCE[0]}" "$HERE/gfxdemo.c" | sha256sum | cut -d' ' -f1)"
if [ "$FORCE" = 0 ] && [ -s "$IMAGES/vmlinuz" ] && [ -s "$IMAGES/initrd.gz" ] &&
   [ "$(cat "$IMAGES/.stamp" 2>/dev/null)" = "$stamp" ]; then
    log "tiny guest already built in $IMAGES"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (writes $IMAGES)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (install busybox-static)"
command -v gcc >/dev/null || die "gcc not found (install gcc and libc6-dev: gfxdemo is built static)"
mkdir -p "$WORK"

# ------------------------------------------------------------------ kernel
kernel_pkg() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9].*-cloud-amd64/ { print $2; exit }'
}

# $WORK/modules/.list names the modules last taken from the kernel package: a
# changed MODULES takes them again.
if [ ! -s "$WORK/vmlinuz" ] || [ "$(cat "$WORK/modules/.list" 2>/dev/null)" != "${MODULES[*]}" ]; then
    pkg="$(kernel_pkg || true)"
    if [ -z "$pkg" ]; then
        log "apt-get update (linux-image-cloud-amd64 unknown to apt)"
        apt-get update -q
        pkg="$(kernel_pkg || true)"
    fi
    [ -n "$pkg" ] || die "cannot resolve linux-image-cloud-amd64 to a kernel package"
    log "downloading $pkg"
    rm -rf "$WORK/deb" "$WORK/kernel-root" "$WORK/modules"
    mkdir -p "$WORK/deb"
    # apt drops privileges to _apt for downloads; let it write here.
    chown _apt "$WORK/deb" 2>/dev/null || true
    (cd "$WORK/deb" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
    deb="$(ls "$WORK"/deb/*.deb 2>/dev/null | head -n1)"
    [ -n "$deb" ] || die "apt-get download $pkg produced no .deb"
    dpkg-deb -x "$deb" "$WORK/kernel-root"
    vmlinuz="$(ls "$WORK"/kernel-root/boot/vmlinuz-* | head -n1)"
    cp "$vmlinuz" "$WORK/vmlinuz"
    mkdir -p "$WORK/modules"
    for m in "${MODULES[@]}"; do
        f="$(find "$WORK/kernel-root/lib/modules" -name "$m.ko" -print -quit)"
        if [ -n "$f" ]; then cp "$f" "$WORK/modules/"; else log "$pkg has no module $m.ko (built in?)"; fi
    done
    echo "${MODULES[*]}" > "$WORK/modules/.list"
    rm -rf "$WORK/deb" "$WORK/kernel-root"
fi

# ------------------------------------------------------------- guest agent
# Debian's qemu-ga and the libraries ldd names for it, from this system, or
# from the packages qemu-guest-agent depends on when this system lacks them.
# $WORK/agent is a tree copied into the initramfs as it is.
agent_libs() {  # ldd's answer for qemu-ga as "PATH-IN-GUEST FILE" lines; fails naming what is missing
    local out
    out="$(LD_LIBRARY_PATH="${1:-}" ldd "$WORK/agent-deb/root/usr/sbin/qemu-ga")"
    if grep -q 'not found' <<<"$out"; then
        grep 'not found' <<<"$out" | awk '{ print $1 }' >&2
        return 1
    fi
    awk '$2 == "=>" && $3 ~ /^\// { n = split($3, p, "/"); print "/lib/x86_64-linux-gnu/" p[n], $3 }
         $1 ~ /^\// { print $1, $1 }' <<<"$out"
}

download_debs() {  # download_debs DIR PKG...: apt-get download into DIR, extract each .deb into DIR/root
    local dir="$1" deb found=0
    shift
    rm -rf "$dir"
    mkdir -p "$dir/debs"
    chown _apt "$dir/debs" 2>/dev/null || true
    (cd "$dir/debs" && apt-get download -q "$@" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
    for deb in "$dir"/debs/*.deb; do
        [ -e "$deb" ] || continue
        dpkg-deb -x "$deb" "$dir/root"
        found=1
    done
    [ "$found" = 1 ] || die "apt-get download $* produced no .deb"
}

if [ ! -x "$WORK/agent/usr/sbin/qemu-ga" ]; then
    if ! apt-cache show qemu-guest-agent >/dev/null 2>&1; then
        log "apt-get update (qemu-guest-agent unknown to apt)"
        apt-get update -q
    fi
    log "downloading qemu-guest-agent"
    download_debs "$WORK/agent-deb" qemu-guest-agent
    if ! libs="$(agent_libs 2>/dev/null)"; then
        deps="$(apt-cache depends qemu-guest-agent | awk '$1 == "Depends:" && $2 != "libc6" { print $2 }')"
        log "downloading the agent's libraries:" $deps
        download_debs "$WORK/agent-deps" $deps
        libs="$(agent_libs "$WORK/agent-deps/root/lib/x86_64-linux-gnu:$WORK/agent-deps/root/usr/lib/x86_64-linux-gnu")" ||
            die "libraries for qemu-ga not found (listed above)"
    fi
    rm -rf "$WORK/agent"
    mkdir -p "$WORK/agent/usr/sbin"
    while read -r dest file; do
        mkdir -p "$WORK/agent$(dirname "$dest")"
        cp -L "$file" "$WORK/agent$dest"
    done <<<"$libs"
    cp "$WORK/agent-deb/root/usr/sbin/qemu-ga" "$WORK/agent/usr/sbin/qemu-ga"
    rm -rf "$WORK/agent-deb" "$WORK/agent-deps"
fi

# --------------------------------------------------------------- initramfs
ROOTFS="$WORK/rootfs"
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"/{bin,sbin,usr/bin,usr/sbin,etc/acpi/PWRF,proc,sys,dev,tmp,root,lib/modules,run,var,mnt}
ln -s ../run "$ROOTFS/var/run"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
cp "$WORK"/modules/*.ko "$ROOTFS/lib/modules/" 2>/dev/null || true
cp -a "$WORK/agent/." "$ROOTFS/"

# What the agent reports as the guest's OS (guest-get-osinfo reads it).
cat > "$ROOTFS/etc/os-release" <<'EOF'
PRETTY_NAME="virtdeck tiny guest (busybox)"
NAME="virtdeck tiny"
ID=virtdeck-tiny
VERSION_ID=1
EOF

cat > "$ROOTFS/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
hostname tiny
# Load what the cloud kernel has as modules (virtio disk/net/balloon, ACPI
# power button, fuse + virtiofs). Order is not known here: retry until
# nothing more loads.
for pass in 1 2 3; do
    for ko in /lib/modules/*.ko; do
        [ -e "\$ko" ] || continue
        name=\$(basename "\$ko" .ko)
        grep -q "^\$name " /proc/modules || insmod "\$ko" 2>/dev/null
    done
done
ip link set lo up
for dev in /sys/class/net/eth*; do [ -e "\$dev" ] && ip link set "\${dev##*/}" up; done
: > /run/utmp
[ -d /dev/input ] && acpid -c /etc/acpi -l /tmp/acpid.log
# Workloads for stats tests, asked for on the kernel command line:
#   vd.burn=N  keep N CPUs busy     vd.diskread  read the first disk in a loop
#   vd.diskwrite  fill the first disk with zeros, once
#   vd.ip=ADDR/PREFIX vd.ping=ADDR  address eth0 and ping ADDR (the host's bridge)
#   vd.dhcp    ask the network's DHCP server for a lease (address not applied)
#   vd.fs=DIR  make an ext2 filesystem on the first disk and mount it at DIR
#   vd.agent   run the guest agent (qemu-ga) on its virtio-serial port
#   vd.vt      a root shell on tty1 (the VGA's text console)
#   vd.gfxdemo[=FPS]  a moving 1024x768 picture on the VGA (errors on ttyS0)
for word in \$(cat /proc/cmdline); do
    case "\$word" in
        vd.burn=*) /bin/burn "\${word#vd.burn=}" </dev/null >/dev/null 2>&1 & ;;
        vd.diskread) /bin/diskread </dev/null >/dev/null 2>&1 & ;;
        vd.diskwrite) dd if=/dev/zero of=/dev/vda bs=1M </dev/null >/dev/null 2>&1 & ;;
        vd.ip=*) ip addr add "\${word#vd.ip=}" dev eth0 ;;
        vd.ping=*) ping -q -i 0.2 -s 1000 "\${word#vd.ping=}" </dev/null >/dev/null 2>&1 & ;;
        vd.dhcp) udhcpc -i eth0 -b -q -s /bin/true </dev/null >/dev/null 2>&1 ;;
        vd.fs=*) mkdir -p "\${word#vd.fs=}" && mke2fs -q /dev/vda >/dev/null 2>&1 && mount /dev/vda "\${word#vd.fs=}" ;;
        vd.agent) /bin/agent-start </dev/null >/dev/null 2>&1 & ;;
        vd.vt) echo 'tty1::respawn:/bin/vt-shell' >> /etc/inittab ;;
        vd.gfxdemo|vd.gfxdemo=*)
            fps=\${word#vd.gfxdemo}
            (/bin/gfxdemo \${fps#=} || echo "gfxdemo: exit status \$?") </dev/null >/dev/console 2>&1 & ;;
    esac
done
echo "$MARKER" > /dev/console
exec /sbin/init
EOF
chmod 0755 "$ROOTFS/init"

cat > "$ROOTFS/etc/inittab" <<'EOF'
ttyS0::respawn:/bin/tiny-login
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/sync
EOF

cat > "$ROOTFS/bin/tiny-login" <<'EOF'
#!/bin/sh
# A login prompt without passwords: any name gives a root shell.
printf '\ntiny login: '
read -r user || exit 0
echo "welcome ${user:-root}"
# A utmp record (glibc's struct utmpx, 384 bytes) for the guest agent's user list:
# USER_PROCESS, this shell's pid, line ttyS0, user root, the login time.
le32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
                   $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"; }
pad() { head -c "$1" /dev/zero; }
{ printf '\007\000\000\000'; le32 $$; printf ttyS0; pad 27; printf S0; pad 2; printf root; pad 28
  pad 256; pad 8; le32 "$(date +%s)"; pad 4; pad 36; } >> /run/utmp
export HOME=/root PS1='tiny# '
cd /root
exec /bin/sh -l
EOF
chmod 0755 "$ROOTFS/bin/tiny-login"

cat > "$ROOTFS/bin/vt-shell" <<'EOF'
#!/bin/sh
# vt-shell: init runs it on tty1 (its controlling terminal) with vd.vt. The
# banner goes to the top left corner of a cleared screen, and to ttyS0.
printf '\033[H\033[2J%s\n' virtdeck-vt-ready
echo 'virtdeck-vt-ready on tty1' > /dev/ttyS0
export HOME=/root PS1='vt# '
cd /root
exec /bin/sh -l
EOF
chmod 0755 "$ROOTFS/bin/vt-shell"

# gcc -static needs libc.a (libc6-dev); a failure here stops the build.
gcc -static -O2 -Wall -o "$ROOTFS/bin/gfxdemo" "$HERE/gfxdemo.c" ||
    die "cannot build $HERE/gfxdemo.c with gcc -static (install gcc and libc6-dev)"
strip "$ROOTFS/bin/gfxdemo" 2>/dev/null || true

cat > "$ROOTFS/bin/agent-start" <<'EOF'
#!/bin/sh
# agent-start: run qemu-ga (daemonised) on the virtio-serial port
# org.qemu.guest_agent.0, once the port has its name (it arrives from the host
# after the virtio_console module loads; udev's /dev/virtio-ports link is made
# here). Fails when the guest has no such port.
name=org.qemu.guest_agent.0
mkdir -p /dev/virtio-ports
i=0
while [ ! -e "/dev/virtio-ports/$name" ] && [ "$i" -lt 100 ]; do
    for port in /sys/class/virtio-ports/vport*; do
        [ "$(cat "$port/name" 2>/dev/null)" = "$name" ] && ln -sf "../${port##*/}" "/dev/virtio-ports/$name"
    done
    [ -e "/dev/virtio-ports/$name" ] || sleep 0.1
    i=$((i + 1))
done
[ -e "/dev/virtio-ports/$name" ] || { echo "agent-start: no $name port" >&2; exit 1; }
exec /usr/sbin/qemu-ga -d -m virtio-serial -p "/dev/virtio-ports/$name" -l /run/qemu-ga.log
EOF
chmod 0755 "$ROOTFS/bin/agent-start"

cat > "$ROOTFS/bin/burn" <<'EOF'
#!/bin/sh
# burn [N]: keep N CPUs busy (default 1) until killed.
n=${1:-1}
i=1
while [ "$i" -lt "$n" ]; do
    ( while :; do :; done ) &
    i=$((i + 1))
done
while :; do :; done
EOF
chmod 0755 "$ROOTFS/bin/burn"

cat > "$ROOTFS/bin/diskread" <<'EOF'
#!/bin/sh
# diskread [DEV] [COUNT]: read DEV (default: first virtio disk) COUNT times
# (default: forever), dropping the page cache between passes.
dev=${1:-$(ls /dev/vd? 2>/dev/null | head -n1)}
[ -b "$dev" ] || { echo "diskread: no block device" >&2; exit 1; }
count=${2:-0}
i=0
while [ "$count" -eq 0 ] || [ "$i" -lt "$count" ]; do
    echo 3 > /proc/sys/vm/drop_caches 2>/dev/null
    dd if="$dev" of=/dev/null bs=1M 2>/dev/null
    i=$((i + 1))
done
EOF
chmod 0755 "$ROOTFS/bin/diskread"

# busybox acpid: the power button event is "PWRF/00000080".
cat > "$ROOTFS/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
poweroff
EOF
chmod 0755 "$ROOTFS/etc/acpi/PWRF/00000080"

# cpio (newc) + gzip, written in Python: no cpio binary or mknod needed, and
# /dev/console is added as a character device node owned by root.
python3 - "$ROOTFS" "$WORK/initrd.gz" <<'EOF'
import gzip, os, stat, sys

root, out = sys.argv[1], sys.argv[2]
ino = [1000]

def header(name, mode, size, rdev=(0, 0), nlink=1):
    ino[0] += 1
    fields = [ino[0], mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1],
              len(name) + 1, 0]
    h = b"070701" + b"".join(b"%08X" % f for f in fields)
    h += name.encode() + b"\0"
    return h + b"\0" * (-len(h) % 4)

def entry(name, mode, data=b"", rdev=(0, 0)):
    nlink = 2 if stat.S_ISDIR(mode) else 1
    return header(name, mode, len(data), rdev, nlink) + data + b"\0" * (-len(data) % 4)

chunks = []
for dirpath, dirnames, filenames in os.walk(root):
    rel = os.path.relpath(dirpath, root)
    if rel != ".":
        chunks.append(entry(rel, stat.S_IFDIR | 0o755))
    # os.walk lists a link to a directory among the directories, and does not enter it
    links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
    dirnames[:] = sorted(d for d in dirnames if d not in links)
    for fn in sorted(filenames + links):
        path = os.path.join(dirpath, fn)
        name = os.path.normpath(os.path.join(rel, fn))
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            chunks.append(entry(name, stat.S_IFLNK | 0o777, os.readlink(path).encode()))
        else:
            with open(path, "rb") as f:
                chunks.append(entry(name, stat.S_IFREG | stat.S_IMODE(st.st_mode), f.read()))
chunks.append(entry("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1)))
chunks.append(entry("dev/ttyS0", stat.S_IFCHR | 0o660, rdev=(4, 64)))
chunks.append(entry("dev/tty0", stat.S_IFCHR | 0o620, rdev=(4, 0)))
chunks.append(entry("dev/tty1", stat.S_IFCHR | 0o620, rdev=(4, 1)))
chunks.append(entry("dev/null", stat.S_IFCHR | 0o666, rdev=(1, 3)))
chunks.append(entry("TRAILER!!!", 0))
data = b"".join(chunks)
data += b"\0" * (-len(data) % 512)
with gzip.open(out, "wb", compresslevel=6) as f:
    f.write(data)
EOF

# ------------------------------------------------------------------ install
mkdir -p "$IMAGES"
chmod 0755 "$IMAGES"
install -m 0644 "$WORK/vmlinuz" "$IMAGES/vmlinuz"
install -m 0644 "$WORK/initrd.gz" "$IMAGES/initrd.gz"
echo "$stamp" > "$IMAGES/.stamp"
log "built $IMAGES/vmlinuz and $IMAGES/initrd.gz ($(du -h "$IMAGES/initrd.gz" | cut -f1))"
