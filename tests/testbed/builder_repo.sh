#!/usr/bin/env bash
# Build a local virt-builder template repository (no internet needed).
#
#   tests/testbed/builder_repo.sh [--force]
#
# Output, under /var/lib/libvirt/images/virtdeck-test/builder/:
#   vd-tiny.raw.xz       a 64 MiB MBR disk with one ext4 partition holding a
#                        Linux-looking root: busybox-static, /etc/os-release and
#                        /etc/debian_version (libguestfs inspection sees Debian 12),
#                        passwd/shadow/group, hostname, hosts, fstab
#   index                virt-builder's index for it (sha512 checksum, expand=/dev/sda1)
#   dirs/virt-builder/repos.d/virtdeck-test.conf
#                        the repository, for VIRT_BUILDER_DIRS=<...>/builder/dirs
#                        (which replaces /etc, so virt-builder's internet repositories
#                        are not read)
# virt-make-fs needs libguestfs, and libguestfs needs a kernel in /boot (setup.sh
# installs linux-image-cloud-amd64); KVM does not work here, so it runs with TCG.
# Skips the build when the files exist and this script did not change.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT=/var/lib/libvirt/images/virtdeck-test/builder
BUSYBOX=/bin/busybox
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg

log() { echo "builder_repo: $*" >&2; }
die() { echo "builder_repo: $*" >&2; exit 1; }

FORCE=0
[ "${1:-}" = --force ] && FORCE=1
stamp="$(sha256sum < "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
if [ "$FORCE" = 0 ] && [ -s "$OUT/vd-tiny.raw.xz" ] && [ -s "$OUT/index" ] &&
   [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$stamp" ]; then
    log "template repository already built in $OUT"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || die "must run as root (writes $OUT)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (install busybox-static)"
command -v virt-make-fs >/dev/null || die "virt-make-fs not found (install libguestfs-tools)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,sbin,etc,root,tmp,proc,sys,dev,var/lib,var/log,usr/bin,usr/sbin,home}
cp "$BUSYBOX" "$root/bin/busybox"
for applet in sh ls cat mount umount mkdir rm cp mv ln echo hostname init getty login passwd; do
    ln -s busybox "$root/bin/$applet"
done
cat > "$root/etc/os-release" <<'EOF'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
EOF
echo "12.0" > "$root/etc/debian_version"
echo "vd-template" > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tvd-template\n' > "$root/etc/hosts"
echo "/dev/sda1 / ext4 defaults 0 1" > "$root/etc/fstab"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:*:19000:0:99999:7:::" > "$root/etc/shadow"
echo "root:x:0:" > "$root/etc/group"
chmod 0640 "$root/etc/shadow"

log "making the template image (libguestfs under TCG)"
tar -C "$root" -cf "$work/root.tar" .
virt-make-fs --format=raw --type=ext4 --partition=mbr --size=64M "$work/root.tar" "$work/vd-tiny.raw"
size="$(stat -c %s "$work/vd-tiny.raw")"
xz -T0 -3 "$work/vd-tiny.raw"

mkdir -p "$OUT/dirs/virt-builder/repos.d"
mv "$work/vd-tiny.raw.xz" "$OUT/vd-tiny.raw.xz"
cat > "$OUT/index" <<EOF
[vd-tiny]
name=virtdeck tiny test template
osinfo=debian12
arch=x86_64
file=vd-tiny.raw.xz
checksum[sha512]=$(sha512sum "$OUT/vd-tiny.raw.xz" | cut -d' ' -f1)
format=raw
size=$size
compressed_size=$(stat -c %s "$OUT/vd-tiny.raw.xz")
expand=/dev/sda1
revision=1
notes=A busybox root that libguestfs takes for Debian 12.
 Built by tests/testbed/builder_repo.sh; no internet needed.
EOF
cat > "$OUT/dirs/virt-builder/repos.d/virtdeck-test.conf" <<EOF
[virtdeck-test]
uri=file://$OUT/index
proxy=off
EOF
chmod -R a+rX "$OUT"
echo "$stamp" > "$OUT/.stamp"
log "template repository ready: VIRT_BUILDER_DIRS=$OUT/dirs"
