#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# ross-init --krun, for real, without libkrun: this machine has neither KVM that boots
# libkrunfw's kernel nor a vsock transport, so each run plays what libkrun would have done
# and lets ross-init do the rest. In new mount, PID, UTS and IPC namespaces a script mounts
# in a temporary root (a static busybox and ross-init as /.ross/init) what libkrun's init
# (init/init.c, mount_filesystems) mounts: proc, sysfs (read-write), a /dev (a tmpfs with
# the usual nodes, standing for devtmpfs), devpts and a tmpfs on /dev/shm; then, as
# libkrun's init does, it stays PID 1 and runs ross-init as its child (or, like
# KRUN_INIT_PID1=1, execs it as PID 1). ross-init's channels are unix sockets
# (--channel-dir, its test seam for vsock) and the volumes are directories bound from
# --share-dir (its test seam for virtio-fs). tests/vm/krunctl.py plays the shim on those
# sockets. TAP output; a few seconds in all.
#
#   ROSS_BUILD_DIR=/tmp/build tests/vm/guest-krun.sh
#
# ROSS_INIT (default $ROSS_BUILD_DIR/programs/ross-init), BUSYBOX (a static busybox, default
# /bin/busybox), ROSS_KRUN_KEEP=1 (keep the work dir), ROSS_KRUN_ONLY="basic features exec
# signal failures stdin orphans pid1 tty network options" (some of the parts) override.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${ROSS_BUILD_DIR:-$SRC/build}
INIT=${ROSS_INIT:-$BUILD/programs/ross-init}
BUSYBOX=${BUSYBOX:-/bin/busybox}
VMCTL=(python3 "$HERE/vmctl.py")
KRUNCTL=(python3 "$HERE/krunctl.py")

# shellcheck source=tests/vm/tap.sh
source "$HERE/tap.sh"
TAP_LOGS=(frames console.log)

[ "$(id -u)" = 0 ] || skip_all "needs root (namespaces, mounts, chroot)"
command -v python3 >/dev/null || skip_all "no python3"
command -v unshare >/dev/null || skip_all "no unshare (util-linux)"
command -v setsid >/dev/null || skip_all "no setsid (util-linux)"
[ -x "$INIT" ] || skip_all "no $INIT (build first, or set ROSS_BUILD_DIR)"
[ -x "$BUSYBOX" ] || skip_all "no $BUSYBOX (apt-get install busybox-static)"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
        skip_all "$BUSYBOX is not static (apt-get install busybox-static)"
unshare --mount --pid --fork --uts --ipc true 2>/dev/null ||
        skip_all "unshare --mount --pid --uts --ipc does not work here"

W=$(mktemp -d /tmp/ross-krun.XXXXXX)
if [ "${ROSS_KRUN_KEEP:-}" = 1 ]; then
        echo "# work dir: $W"
else
        trap 'rm -rf "$W"' EXIT
fi

# ---- the container's root, as Ross's krun backend leaves it: the image, /.ross/init
R=$W/root
mkdir -p "$R"/{bin,proc,sys,dev,etc,tmp,run,home/user,.ross,.t/shares}
cp "$BUSYBOX" "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do
        [ "$a" = busybox ] || ln -s busybox "$R/bin/$a"
done
cp "$INIT" "$R/.ross/init"
chmod 0777 "$R/home/user"
echo image-hosts >"$R/etc/hosts"
echo 10.1.2.3 cfg-hosts >"$R/.t/hosts"
echo krun-test >"$R/.t/hostname"
echo 'nameserver 10.0.0.1' >"$R/.t/resolv.conf"

# What libkrun's init has done when it runs KRUN_INIT, then ross-init: in the namespaces.
# krun-emu ROOT child|pid1 ARG...: ARG... is ross-init's command line, in ROOT.
cat >"$W/krun-emu" <<'EOF'
#!/bin/sh
set -e
root=$1 how=$2
shift 2
# the root is a mount of its own, as libkrun's virtio-fs root is
mount --bind "$root" "$root"
# KRUN_NET=1: the VM's NIC on a network (libkrun's virtio-net on the shim's tap), eth0 of a
# network namespace of the run's own, down and without an address as the guest kernel has it
if [ -n "${KRUN_NET:-}" ]; then
        ip tuntap add dev eth0 mode tap
fi
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs -o mode=0755 tmpfs "$root/dev"
mknod -m 666 "$root/dev/null" c 1 3
mknod -m 666 "$root/dev/zero" c 1 5
mknod -m 666 "$root/dev/full" c 1 7
mknod -m 666 "$root/dev/random" c 1 8
mknod -m 666 "$root/dev/urandom" c 1 9
mknod -m 666 "$root/dev/tty" c 5 0
mknod -m 666 "$root/dev/ptmx" c 5 2
mkdir "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance devpts "$root/dev/pts"
mount -t tmpfs tmpfs "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
# -t: the shim's pty is the console, hvc0, and the controlling terminal of libkrun's
# init's session (its setsid, TIOCSCTTY)
if [ -n "${KRUN_TTY:-}" ]; then
        touch "$root/dev/hvc0"
        mount --bind "$KRUN_TTY" "$root/dev/hvc0"
fi
ctty=
[ -n "${KRUN_TTY:-}" ] && ctty=-c
if [ "$how" = pid1 ]; then
        exec setsid $ctty chroot "$root" "$@"
fi
# PID 1 forks the workload and waits for it; its status is the VM's
exec setsid $ctty chroot "$root" /bin/sh -c '"$@"; st=$?; echo "init: the child exited $st"; exit $st' sh "$@"
EOF
chmod +x "$W/krun-emu"


# config NAME KEY=VALUE...: the config of run NAME, in the root at /.t/NAME/config
config() {
        local D=$R/.t/$1
        shift
        mkdir -p "$D"
        "${VMCTL[@]}" config "$@" >"$D/config"
}

# krun NAME [child|pid1] [KRUNCTL ARGS...] [-- ROSS-INIT OPTIONS...]: one run, ross-init with
# --channel-dir /.t/NAME --config /.t/NAME/config --etc-dir /.t --share-dir /.t/shares and
# the options given
krun() {
        local name=$1 how=child
        shift
        if [ "${1:-}" = child ] || [ "${1:-}" = pid1 ]; then
                how=$1
                shift
        fi
        local ctl=() opts=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                ctl+=("$1")
                shift
        done
        [ $# -gt 0 ] && shift
        opts=("$@")
        [ ${#opts[@]} -gt 0 ] || opts=(--config "/.t/$name/config" --etc-dir /.t --share-dir /.t/shares)
        local D=$R/.t/$name
        LAST=$D
        mkdir -p "$D"
        rm -f "$D"/*.sock
        timeout 60 "${KRUNCTL[@]}" "$D" "${ctl[@]}" -- \
                unshare --mount --pid --fork --uts --ipc ${KRUN_NET:+--net} "$W/krun-emu" "$R" "$how" \
                /.ross/init --krun --channel-dir "/.t/$name" "${opts[@]}" >"$D/frames" 2>&1
        echo "EXITED $?" >>"$D/frames"
}

want() { [ -z "${ROSS_KRUN_ONLY:-}" ] || [[ " $ROSS_KRUN_ONLY " == *" $1 "* ]]; }

# ---- stdout and stderr apart, the exit code in EXIT and as ross-init's own status
if want basic; then
        config basic arg=sh arg=-c 'arg=echo out; echo err >&2; exit 7' env=PATH=/bin fs=virtiofs
        krun basic
        check "stdout reaches out.sock" has frames "OUT b'out\\n'"
        check "stderr reaches err.sock, apart" has frames "ERR b'err\\n'"
        check "STARTED for session 0" grep -q '^STARTED 0 [0-9]' "$LAST/frames"
        check "EXIT 7 for session 0" has frames "EXIT 0 7"
        check "ross-init exits 7: what libkrun's init hands to the VMM" has console.log "init: the child exited 7"
        check "... the whole run's status" has frames "STATUS 7"
        check "no stdin without stdin=1: ctl, out and err only" has frames "CONNECTED ctl out err"
        check "the control channel ends with ross-init" has frames "EXITED 0"
fi

# ---- -e, -w, -u, groups, hostname, volumes, tmpfs, rlimits, the /etc files, read-only root,
# and the mounts libkrun's init left: kept, not mounted twice
if want features; then
        mkdir -p "$R/.t/shares/ross.vol0" "$R/.t/shares/ross.vol1"
        echo 'from the host' >"$R/.t/shares/ross.vol0/hello"
        chmod 0777 "$R/.t/shares/ross.vol1"
        rm -f "$R/.t/shares/ross.vol1/out"
        config features arg=sh arg=-c 'arg=
        echo "host=$(hostname) uid=$(id -u) gid=$(id -g) groups=$(id -G) cwd=$(pwd)"
        echo "env=$(tr "\0" " " </proc/$$/environ)"
        echo "ro=$(cat /ro/hello)"
        echo x >/ro/new 2>/dev/null && echo ro-write=yes || echo ro-write=refused
        echo "by the guest" >/data/out && echo rw-write=yes
        echo "nofile=$(ulimit -n)/$(ulimit -Hn)"
        echo "hosts=$(cat /etc/hosts) hostname-file=$(cat /etc/hostname) resolv=$(cat /etc/resolv.conf)"
        touch /rootfile 2>/dev/null && echo root-write=yes || echo root-write=refused
        grep " /scratch " /proc/mounts | grep -q "size=1024k" && echo scratch=tmpfs-1m
        grep -q " /tmp tmpfs" /proc/mounts && grep -q " /run tmpfs" /proc/mounts && echo tmp-run=tmpfs
        test -c /dev/ptmx && test -c /dev/null && test -L /dev/fd && test -L /dev/stdin && echo dev=ok
        echo "proc-mounts=$(grep -c " /proc proc " /proc/mounts)"
        grep -q " /sys sysfs ro," /proc/mounts && echo sys=ro
        grep " /dev/pts devpts " /proc/mounts | tail -n 1 | grep -q "gid=5,mode=620,ptmxmode=666" && echo pts=ours
        grep " /dev/shm tmpfs " /proc/mounts | tail -n 1 | grep -q "size=65536k" && echo shm=ours
        grep -q " /dev/mqueue mqueue " /proc/mounts && echo mqueue=yes' \
                env=PATH=/bin 'env=FOO=bar baz' uid=1000 gid=1000 groups=10,20 cwd=/home/user \
                hostname=krun-test readonly_root=1 fs=virtiofs \
                'volume=ross.vol0 ro /ro' 'volume=ross.vol1 rw /data' 'tmpfs=/scratch:size=1m' \
                'rlimit=nofile 123 456'
        krun features
        check "-u, groups, --hostname, -w" has frames "host=krun-test uid=1000 gid=1000 groups=1000 10 20 cwd=/home/user"
        check "-e: the environment is exactly the config's" has frames "env=PATH=/bin FOO=bar baz \\n"
        check "a read-only volume is read" has frames "ro=from the host"
        check "... and not written" has frames "ro-write=refused"
        check "a read-write volume is written" has frames "rw-write=yes"
        check "... and the host has it, owned by the guest's user" \
                bash -c "[ \"\$(cat '$R/.t/shares/ross.vol1/out')\" = 'by the guest' ] && [ \"\$(stat -c %u '$R/.t/shares/ross.vol1/out')\" = 1000 ]"
        check "rlimit nofile 123 456" has frames "nofile=123/456"
        check "/etc/hosts, /etc/hostname, /etc/resolv.conf from --etc-dir" \
                has frames "hosts=10.1.2.3 cfg-hosts hostname-file=krun-test resolv=nameserver 10.0.0.1"
        check "readonly_root: the root is read-only" has frames "root-write=refused"
        check "a tmpfs of the config" has frames "scratch=tmpfs-1m"
        check "/tmp and /run get a tmpfs" has frames "tmp-run=tmpfs"
        check "/dev has ptmx, null, fd, stdin" has frames "dev=ok"
        check "libkrun's /proc is kept, not mounted again" has frames "proc-mounts=1"
        check "libkrun's /sys is made read-only" has frames "sys=ro"
        check "a devpts of ross-init's own over libkrun's" has frames "pts=ours"
        check "... and a /dev/shm" has frames "shm=ours"
        check "... and /dev/mqueue" has frames "mqueue=yes"
        check "the image's /etc/hosts is not changed" bash -c "[ \"\$(cat '$R/etc/hosts')\" = image-hosts ]"
        check "EXIT 0" has frames "EXIT 0 0"
fi

# ---- execs: pipes, stdin, a pty resized, 127, an exec's user
if want exec; then
        config exec arg=sleep arg=100 env=PATH=/bin cwd=/
        D=$R/.t/exec
        "${VMCTL[@]}" config arg=sh arg=-c 'arg=echo exec-out; echo exec-err >&2; exit 5' env=PATH=/bin >"$D/e1"
        "${VMCTL[@]}" config arg=cat env=PATH=/bin stdin=1 >"$D/e2"
        "${VMCTL[@]}" config arg=nonexistent env=PATH=/bin >"$D/e3"
        "${VMCTL[@]}" config arg=sh arg=-c 'arg=sleep 0.5; tty; stty size' env=PATH=/bin tty=1 >"$D/e4"
        "${VMCTL[@]}" config arg=sh arg=-c 'arg=echo "$(id -u):$(id -g):$(pwd)"' env=PATH=/bin uid=1000 gid=1000 cwd=/home/user >"$D/e5"
        krun exec wait:STARTED:0 \
                exec:1:"$D/e1" wait:EXIT:1 \
                exec:2:"$D/e2" wait:STARTED:2 'stdin:2:hello\n' eof:2 wait:EXIT:2 \
                exec:3:"$D/e3" wait:FAILED:3 \
                exec:4:"$D/e4" wait:STARTED:4 resize:4:30:100 wait:EXIT:4 \
                exec:5:"$D/e5" wait:EXIT:5 \
                signal:0:9
        check "an exec's stdout" has frames "STDOUT 1 b'exec-out\\n'"
        check "an exec's stderr" has frames "STDERR 1 b'exec-err\\n'"
        check "an exec's exit code" has frames "EXIT 1 5"
        check "an exec's stdin, to its EOF" bash -c "grep -qF \"STDOUT 2 b'hello\\\\n'\" '$LAST/frames' && grep -qF 'EXIT 2 0' '$LAST/frames'"
        check "an exec not found: FAILED 127" has frames "FAILED 3 127 'exec: \"nonexistent\": executable file not found in \$PATH'"
        check "a pty for tty=1, resized" bash -c "grep -F 'STDOUT 4' '$LAST/frames' | grep -qF '/dev/pts/0' && grep -F 'STDOUT 4' '$LAST/frames' | grep -qF '30 100' && grep -qF 'EXIT 4 0' '$LAST/frames'"
        check "an exec's user and cwd" has frames "STDOUT 5 b'1000:1000:/home/user\\n'"
        check "SIGKILL to the command: EXIT 137, ross-init exits 137" \
                bash -c "grep -qF 'EXIT 0 137' '$LAST/frames' && grep -qF 'STATUS 137' '$LAST/frames'"
fi

# ---- SIGTERM over the control channel reaches the command
if want signal; then
        config signal arg=sh arg=-c "arg=trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.05; done" env=PATH=/bin
        krun signal wait:STARTED:0 sleep:0.3 signal:0:15
        check "the command has SIGTERM (its trap ran)" has frames "OUT b'ready\\ngot-term\\n'"
        check "... EXIT 42, and ross-init exits 42" \
                bash -c "grep -qF 'EXIT 0 42' '$LAST/frames' && grep -qF 'STATUS 42' '$LAST/frames'"
fi

# ---- what never runs: FAILED with 127, and ross-init's status
if want failures; then
        config notfound arg=no-such-command env=PATH=/bin
        krun notfound
        check "a missing command: FAILED 127" has frames "FAILED 0 127 'exec: \"no-such-command\": executable file not found in \$PATH'"
        check "... no STARTED" bash -c "! grep -q '^STARTED 0' '$LAST/frames'"
        check "... ross-init exits 127" has frames "STATUS 127"
        config badcfg arg=true cwd=relative
        krun badcfg
        check "a bad config: FAILED 1 naming the line" has frames "FAILED 0 1 'bad config: line 2: cwd \"relative\": not an absolute path'"
        check "... ross-init exits 1" has frames "STATUS 1"
        krun noconfig -- --config /.t/none --etc-dir /.t
        check "no config file: FAILED 1" \
                bash -c "grep '^FAILED 0 1 ' '$LAST/frames' | grep -qF \"the config: open '/.t/none'\""
        config novol arg=true fs=virtiofs 'volume=ross.vol9 rw /data'
        krun novol
        check "a volume's share not there: FAILED 1 naming it" \
                bash -c "grep '^FAILED 0 1 ' '$LAST/frames' | grep -qF \"volume /data: bind the share '/.t/shares/ross.vol9' on '/data': No such file or directory\""
fi

# ---- stdin=1: in.sock is the command's stdin, to the host's end
if want stdin; then
        config stdin arg=sh arg=-c 'arg=cat; echo "cat done"' env=PATH=/bin stdin=1
        krun stdin --stdin 'piped\n'
        check "in.sock is the command's stdin, to its end" has frames "OUT b'piped\\ncat done\\n'"
        check "stdin=1: ross-init connected in.sock too" has frames "CONNECTED ctl out err in"
fi

# ---- an orphan comes to ross-init (a child subreaper), and is reaped
if want orphans; then
        config orphans arg=sh arg=-c 'arg=
        sh -c "sleep 1 & echo \$! >/tmp/orphan"
        sleep 0.2
        echo "orphan-parent=$(cut -d" " -f4 /proc/$(cat /tmp/orphan)/stat) init=$PPID"
        sleep 1.2
        test -e /proc/$(cat /tmp/orphan) && echo orphan=zombie || echo orphan=reaped' env=PATH=/bin
        krun orphans
        check "an orphan's parent is ross-init, not libkrun's init" \
                bash -c "grep -Eq 'orphan-parent=([0-9]+) init=\\1\\b' '$LAST/frames'"
        check "... and ross-init reaps it" has frames "orphan=reaped"
fi

# ---- as PID 1 (libkrun's KRUN_INIT_PID1=1), with the default --config and --etc-dir
if want pid1; then
        "${VMCTL[@]}" config arg=sh arg=-c 'arg=echo "pid=$PPID hosts=$(cat /etc/hosts)"; exit 3' env=PATH=/bin >"$R/.ross/config"
        cp "$R/.t/hosts" "$R/.ross/hosts"
        krun pid1 pid1 -- --share-dir /.t/shares
        check "PID 1: the command runs, /.ross/config and /.ross/hosts by default" has frames "pid=1 hosts=10.1.2.3 cfg-hosts"
        check "... EXIT 3" has frames "EXIT 0 3"
        # a reboot by PID 1 of a PID namespace ends it with SIGHUP: the VMM's exit, there
        check "... then a reboot, as libkrun's init ends the VM (SIGHUP in a PID namespace)" has frames "STATUS 129"
        rm -f "$R/.ross/config" "$R/.ross/hosts"
fi

# ---- tty=1: the command on hvc0, the console, taken from libkrun's init's session
if want tty; then
        config tty arg=sh arg=-c 'arg=sleep 0.3; tty; stty size; echo on-the-tty' env=PATH=/bin tty=1
        krun tty --tty wait:STARTED:0 resize:0:40:120
        check "tty=1: the command's terminal is /dev/hvc0" has frames "/dev/hvc0"
        check "... resized over the control channel" has frames "40 120"
        check "... its output is on the terminal" has frames "on-the-tty"
        check "... no stdio sockets with a tty" grep -qx "CONNECTED ctl" "$LAST/frames"
        check "... EXIT 0" has frames "EXIT 0 0"
fi

# ---- on a network: eth0 gets the config's address and the default route (as under QEMU)
if want network; then
        config network arg=sh arg=-c 'arg=ip -o -4 addr show eth0; ip route' env=PATH=/bin \
                fs=virtiofs 'net=10.89.3.7/24 10.89.3.1'
        KRUN_NET=1 krun network
        check "net: eth0 has the config's address" has frames "inet 10.89.3.7/24"
        check "... the default route through the gateway" has frames "default via 10.89.3.1 dev eth0"
        check "... EXIT 0" has frames "EXIT 0 0"
fi

# ---- options
if want options; then
        "$INIT" --krun --no-such-option >"$W/options.out" 2>&1
        st=$?
        check "an unknown option: status 2" [ "$st" = 2 ]
        check "... and the reason" grep -qF 'unknown option "--no-such-option"' "$W/options.out"
fi

echo "1..$n"
[ $failed = 0 ]
