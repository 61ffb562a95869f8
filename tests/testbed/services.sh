#!/usr/bin/env bash
# Real components for the system tests: virtlogd + libvirtd, and an sshd on
# 127.0.0.1 that makes the same host reachable as qemu+ssh://.
#
#   tests/testbed/services.sh start       start what is not running, write STATE/env
#   tests/testbed/services.sh status      show what runs
#   tests/testbed/services.sh stop        stop our sshd (libvirtd keeps running)
#   tests/testbed/services.sh stop all    also stop libvirtd and virtlogd
#
# STATE is ${VIRTDECK_TESTBED:-/tmp/virtdeck-testbed}. Must run as root (no
# systemd here: the daemons are started directly).
set -euo pipefail

STATE="${VIRTDECK_TESTBED:-/tmp/virtdeck-testbed}"
IMAGES=/var/lib/libvirt/images/virtdeck-test
LIBVIRTD_PIDFILE=/run/libvirtd.pid
VIRTLOGD_PIDFILE=/run/virtlogd.pid
LIBVIRT_SOCK=/run/libvirt/libvirt-sock
SSHD=/usr/sbin/sshd
SSH_PORT_FIRST=2222
SSH_PORT_LAST=2299
# A second libvirt host on this machine: a session libvirtd of an ordinary user,
# with a host UUID of its own, so guests can migrate between it and the system one.
SECOND_USER=vdmig
SECOND_HOST_UUID=5a4c3d2e-1f00-4000-8000-00000000beef

log() { echo "services: $*" >&2; }
die() { echo "services: $*" >&2; exit 1; }

# A pid counts as alive when it exists and is not a zombie (PID 1 here may
# be slow to reap a killed daemon).
proc_alive() { # pid
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state="$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)"
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

pid_alive() { # pidfile
    local pid
    [ -s "$1" ] || return 1
    pid="$(cat "$1" 2>/dev/null)" || return 1
    [ -n "$pid" ] && proc_alive "$pid"
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
    local secs="$1"; shift
    local deadline=$(( $(date +%s) + secs ))
    until "$@"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

port_free() { # port
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as sshd does
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

port_listening() { # port
    python3 - "$1" <<'EOF'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
except OSError:
    sys.exit(1)
EOF
}

# without_inherited_fds COMMAND...: run COMMAND with only stdin/out/err open,
# so a daemon it starts does not keep a caller's lock or pipe open for life.
without_inherited_fds() {
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd="${fd##*/}"
            [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
        done
        exec "$@"
    )
}

sock_ready() { [ -S "$LIBVIRT_SOCK" ] && virsh -q -c qemu:///system uri >/dev/null 2>&1; }

ssh_uri() {
    echo "qemu+ssh://root@127.0.0.1:$1/system?command=$STATE/ssh-wrapper&no_tty=1"
}

# ------------------------------------------------------------------ libvirt
start_libvirt() {
    mkdir -p /run/libvirt /var/lib/libvirt/images "$IMAGES" /var/log/libvirt/qemu
    if ! pid_alive "$VIRTLOGD_PIDFILE"; then
        log "starting virtlogd"
        without_inherited_fds virtlogd -d
    fi
    if pid_alive "$LIBVIRTD_PIDFILE"; then
        log "libvirtd already running (pid $(cat "$LIBVIRTD_PIDFILE"))"
    else
        log "starting libvirtd"
        without_inherited_fds libvirtd -d
    fi
    wait_for 30 sock_ready || die "libvirtd did not open $LIBVIRT_SOCK within 30 s"
}

stop_libvirt() {
    local f pid
    for f in "$LIBVIRTD_PIDFILE" "$VIRTLOGD_PIDFILE"; do
        if pid_alive "$f"; then
            pid="$(cat "$f")"
            log "stopping $(basename "$f" .pid) (pid $pid)"
            kill "$pid"
            wait_for 20 eval "! proc_alive $pid" || kill -9 "$pid" 2>/dev/null || true
        fi
    done
}

second_home() { getent passwd "$SECOND_USER" | cut -d: -f6; }
second_uri() { echo "qemu+unix:///session?socket=$(second_home)/.run/libvirt/libvirt-sock"; }
second_ready() { virsh -q -c "$(second_uri)" uri >/dev/null 2>&1; }

start_second_host() {
    local home
    id "$SECOND_USER" >/dev/null 2>&1 || useradd -m -s /bin/sh "$SECOND_USER"
    home="$(second_home)"
    mkdir -p "$home/.config/libvirt" "$home/.run"
    printf 'host_uuid = "%s"\n' "$SECOND_HOST_UUID" > "$home/.config/libvirt/libvirtd.conf"
    chown -R "$SECOND_USER:" "$home/.config" "$home/.run"
    chmod 0700 "$home/.run"
    if second_ready; then
        log "second host already running ($(second_uri))"
        return 0
    fi
    log "starting the second host: session libvirtd of $SECOND_USER"
    without_inherited_fds su -s /bin/sh "$SECOND_USER" -c "cd && XDG_RUNTIME_DIR='$home/.run' libvirtd --daemon"
    wait_for 30 second_ready || die "the second host did not answer on $(second_uri)"
}

# ---------------------------------------------------------------------- sshd
write_ssh_files() { # port
    local port="$1"
    mkdir -p "$STATE" /run/sshd
    chmod 0755 /run/sshd
    chmod 0700 "$STATE" 2>/dev/null || true
    [ -f "$STATE/ssh_host_ed25519_key" ] ||
        ssh-keygen -q -t ed25519 -N '' -C virtdeck-testbed-host -f "$STATE/ssh_host_ed25519_key"
    [ -f "$STATE/id_ed25519" ] ||
        ssh-keygen -q -t ed25519 -N '' -C virtdeck-testbed-client -f "$STATE/id_ed25519"
    cp "$STATE/id_ed25519.pub" "$STATE/authorized_keys"
    chmod 0600 "$STATE/authorized_keys"

    cat > "$STATE/sshd_config" <<EOF
# virtdeck test bed: loopback only, throwaway keys, keys only.
Port $port
ListenAddress 127.0.0.1
HostKey $STATE/ssh_host_ed25519_key
PidFile $STATE/sshd.pid
AuthorizedKeysFile $STATE/authorized_keys .ssh/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
LogLevel INFO
Subsystem sftp internal-sftp
EOF

    printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$STATE/ssh_host_ed25519_key.pub")" \
        > "$STATE/known_hosts"

    cat > "$STATE/ssh_config" <<EOF
Host *
    IdentityFile $STATE/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $STATE/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    PasswordAuthentication no
    ConnectTimeout 10
    LogLevel ERROR
EOF

    cat > "$STATE/ssh-wrapper" <<EOF
#!/bin/sh
# Used by libvirt's ssh transport (URI parameter command=...).
exec ssh -F '$STATE/ssh_config' "\$@"
EOF
    chmod 0755 "$STATE/ssh-wrapper"
}

start_sshd() {
    local port
    [ -x "$SSHD" ] || die "$SSHD not found (install openssh-server)"
    if pid_alive "$STATE/sshd.pid" && [ -s "$STATE/ssh_port" ]; then
        port="$(cat "$STATE/ssh_port")"
        log "sshd already running on 127.0.0.1:$port (pid $(cat "$STATE/sshd.pid"))"
        write_ssh_files "$port"   # refresh client files; sshd reads keys per connection
        return 0
    fi
    port=""
    for p in $(seq "$SSH_PORT_FIRST" "$SSH_PORT_LAST"); do
        if port_free "$p"; then port="$p"; break; fi
    done
    [ -n "$port" ] || die "no free port in $SSH_PORT_FIRST-$SSH_PORT_LAST"
    write_ssh_files "$port"
    "$SSHD" -t -f "$STATE/sshd_config" || die "sshd_config rejected"
    log "starting sshd on 127.0.0.1:$port"
    without_inherited_fds "$SSHD" -f "$STATE/sshd_config" -E "$STATE/sshd.log"
    echo "$port" > "$STATE/ssh_port"
    wait_for 20 port_listening "$port" || die "sshd did not listen on 127.0.0.1:$port (see $STATE/sshd.log)"
}

stop_sshd() {
    local pid
    if pid_alive "$STATE/sshd.pid"; then
        pid="$(cat "$STATE/sshd.pid")"
        log "stopping sshd (pid $pid)"
        kill "$pid"
        wait_for 10 eval "! proc_alive $pid" || kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/sshd.pid"
}

write_env() {
    local port
    port="$(cat "$STATE/ssh_port")"
    cat > "$STATE/env" <<EOF
TESTBED_STATE='$STATE'
TESTBED_SYSTEM_URI='qemu:///system'
TESTBED_SSH_URI='$(ssh_uri "$port")'
TESTBED_SSH_PORT='$port'
TESTBED_SSH_CONFIG='$STATE/ssh_config'
TESTBED_KERNEL='$IMAGES/vmlinuz'
TESTBED_INITRD='$IMAGES/initrd.gz'
TESTBED_SECOND_URI='$(second_uri)'
EOF
}

verify_ssh() {
    local uri out
    uri="$(ssh_uri "$(cat "$STATE/ssh_port")")"
    out="$(virsh -c "$uri" hostname 2>&1)" || die "virsh over ssh failed: $out"
    virsh -c "$uri" list --all >/dev/null 2>&1 || die "virsh -c '$uri' list --all failed"
    log "qemu+ssh works (hostname: $out)"
}

status() {
    local rc=0
    if pid_alive "$VIRTLOGD_PIDFILE"; then echo "virtlogd: running (pid $(cat $VIRTLOGD_PIDFILE))"; else echo "virtlogd: stopped"; rc=1; fi
    if pid_alive "$LIBVIRTD_PIDFILE"; then echo "libvirtd: running (pid $(cat $LIBVIRTD_PIDFILE))"; else echo "libvirtd: stopped"; rc=1; fi
    if pid_alive "$STATE/sshd.pid"; then
        echo "sshd: running on 127.0.0.1:$(cat "$STATE/ssh_port") (pid $(cat "$STATE/sshd.pid"))"
    else
        echo "sshd: stopped"; rc=1
    fi
    [ -f "$STATE/env" ] && sed 's/^/  /' "$STATE/env"
    return "$rc"
}

[ "$(id -u)" -eq 0 ] || die "must run as root"

case "${1:-}" in
    start)
        command -v libvirtd >/dev/null || die "libvirtd not found (run tests/testbed/setup.sh)"
        command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (run tests/testbed/setup.sh)"
        start_libvirt
        start_second_host
        start_sshd
        write_env
        verify_ssh
        log "ready; see $STATE/env"
        ;;
    stop)
        stop_sshd
        if [ "${2:-}" = all ]; then
            stop_libvirt
            pkill -u "$SECOND_USER" -x libvirtd 2>/dev/null || true
        fi
        ;;
    status)
        status
        ;;
    *)
        echo "usage: $0 start|stop [all]|status" >&2
        exit 2
        ;;
esac
