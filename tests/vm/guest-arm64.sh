#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The aarch64 guest (a Mac's guest is aarch64 Linux): ross-init cross-built for aarch64
# (scripts/build-guest-arm64.sh) as the /init of a real aarch64 VM, qemu-system-aarch64's
# virt machine under TCG, with Debian's arm64 kernel and its modules in an initramfs that
# the qemu backend's own code builds (src/vm/initramfs.c, through tests/vm/mkinitramfs). The
# devices are the backend's (src/backend/qemu.c): the root and config shares on virtio-9p,
# the control and stdio ports on virtio-serial, a virtconsole for a tty, all on virtio-mmio.
# The root is a static aarch64 busybox. tests/vm/vmctl.py plays the host on the control
# socket. Two boots; TAP output.
#
#   ROSS_BUILD_DIR=/tmp/build tests/vm/guest-arm64.sh     (as root)
#
# The kernel and busybox come from scripts/fetch-guest-arm64.sh's cache, $ROSS_ARM64_CACHE
# (default /var/cache/ross/arm64). ROSS_INIT_ARM64 (a ross-init to use instead of building
# one in $ROSS_BUILD_DIR/guest-arm64), QEMU_AARCH64, ROSS_VM_KEEP=1 (keep the work dir)
# override.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${ROSS_BUILD_DIR:-$SRC/build}
CACHE=${ROSS_ARM64_CACHE:-/var/cache/ross/arm64}
QEMU=${QEMU_AARCH64:-qemu-system-aarch64}
MKINITRAMFS=$BUILD/tests/vm/mkinitramfs
VMCTL=(python3 "$HERE/vmctl.py")
# what the root needs of busybox (its --list cannot run on this host)
APPLETS=(sh cat echo uname id nproc sleep stty tty true)

# shellcheck source=tests/vm/tap.sh
source "$HERE/tap.sh"
TAP_LOGS=(frames stdout stderr tty console.log qemu.log)

command -v "$QEMU" >/dev/null || skip_all "no $QEMU (apt-get install qemu-system-arm)"
if [ -z "${ROSS_INIT_ARM64:-}" ]; then
        command -v aarch64-linux-gnu-gcc >/dev/null ||
                skip_all "no aarch64 cross compiler (apt-get install gcc-aarch64-linux-gnu)"
        [ -f /usr/aarch64-linux-gnu/lib/libc.a ] ||
                skip_all "no static aarch64 libc (apt-get install libc6-dev-arm64-cross)"
fi
command -v python3 >/dev/null || skip_all "no python3"
[ -x "$MKINITRAMFS" ] || skip_all "no $MKINITRAMFS (build first, or set ROSS_BUILD_DIR)"
[ "$(id -u)" = 0 ] || skip_all "needs root (QEMU's 9p passthrough keeps the guest's owners)"
KERNEL=
for k in "$CACHE"/vmlinuz-*; do
        [ -f "$k" ] && [ -f "$CACHE/lib/modules/${k##*/vmlinuz-}/modules.dep" ] && KERNEL=$k
done
[ -n "$KERNEL" ] || skip_all "no aarch64 kernel in $CACHE (scripts/fetch-guest-arm64.sh)"
KVER=${KERNEL##*/vmlinuz-}
[ -x "$CACHE/busybox" ] || skip_all "no aarch64 busybox in $CACHE (scripts/fetch-guest-arm64.sh)"

W=$(mktemp -d /tmp/ross-vm-arm64.XXXXXX)
if [ "${ROSS_VM_KEEP:-}" = 1 ]; then
        echo "# work dir: $W"
else
        trap 'rm -rf "$W"' EXIT
fi

line() { [ "$(sed -n "$2p" "$LAST/$1")" = "$3" ]; }

# ---- ross-init for aarch64, and the initramfs as the backend makes it
if [ -n "${ROSS_INIT_ARM64:-}" ]; then
        INIT=$ROSS_INIT_ARM64
elif INIT=$("$SRC/scripts/build-guest-arm64.sh" "$BUILD/guest-arm64" 2>"$W/build.log"); then
        :
else
        LAST=
        fail "ross-init cross-builds for aarch64"
        sed 's/^/#   /' "$W/build.log" | tail -n 30
        echo "1..$n"
        exit 1
fi
check "ross-init is a static aarch64 executable" \
        bash -c "readelf -h '$INIT' | grep -q 'Machine:.*AArch64' && ! readelf -l '$INIT' | grep -q INTERP"
if INITRD=$("$MKINITRAMFS" "$INIT" "$CACHE/lib/modules/$KVER" "$W/initramfs" 2>"$W/mk.log"); then
        pass "the initramfs of the arm64 kernel's modules"
else
        fail "the initramfs of the arm64 kernel's modules: $(cat "$W/mk.log")"
        echo "1..$n"
        exit 1
fi

# ---- the container's root: a static aarch64 busybox
ROOT=$W/rootfs
mkdir -p "$ROOT"/{bin,etc,proc,sys,dev,tmp,run}
cp "$CACHE/busybox" "$ROOT/bin/busybox"
for a in "${APPLETS[@]}"; do
        ln -s busybox "$ROOT/bin/$a"
done

# vm NAME [QEMU ARGS...] -- [VMCTL STEPS...]: boot with $W/NAME/cfg as the config share
vm() {
        local name=$1
        shift
        local D=$W/$name qemu_args=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                qemu_args+=("$1")
                shift
        done
        shift
        LAST=$D
        : >"$D/stdout"
        : >"$D/stderr"
        local t0
        t0=$(date +%s.%N)
        "$QEMU" -M virt -accel tcg -cpu cortex-a57 -m 512 -smp 2 \
                -nodefaults -no-user-config -nographic -no-reboot \
                -kernel "$KERNEL" -initrd "$INITRD" \
                -append "console=ttyAMA0 quiet panic=-1" \
                -serial "file:$D/console.log" \
                -device virtio-serial-device,max_ports=8 \
                -chardev "socket,id=ctl,path=$D/ctl.sock,server=on,wait=off" \
                -device virtserialport,chardev=ctl,name=ross.ctl \
                -chardev "file,id=out,path=$D/stdout" \
                -device virtserialport,chardev=out,name=ross.stdout \
                -chardev "file,id=err,path=$D/stderr" \
                -device virtserialport,chardev=err,name=ross.stderr \
                -fsdev "local,id=root,path=$ROOT,security_model=passthrough" \
                -device virtio-9p-device,fsdev=root,mount_tag=ross.root \
                -fsdev "local,id=cfg,path=$D/cfg,security_model=none,readonly=on" \
                -device virtio-9p-device,fsdev=cfg,mount_tag=ross.cfg \
                "${qemu_args[@]}" </dev/null >"$D/qemu.log" 2>&1 &
        local qemu=$!
        T0=$t0 timeout 120 "${VMCTL[@]}" client "$D/ctl.sock" "$@" >"$D/frames" 2>&1
        # the guest powers off by itself; a QEMU still there after that is a failure
        local k
        for k in $(seq 100); do
                kill -0 $qemu 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 $qemu 2>/dev/null; then
                kill $qemu
                echo "QEMU-STILL-RUNNING" >>"$D/frames"
        fi
        wait $qemu 2>/dev/null
        echo "TOTAL $(awk "BEGIN { printf \"%.3f\", $(date +%s.%N) - $t0 }")" >>"$D/frames"
}

# config NAME KEY=VALUE...: the config share of boot NAME
config() {
        local D=$W/$1
        shift
        mkdir -p "$D/cfg"
        "${VMCTL[@]}" config "$@" >"$D/cfg/config"
}

# ---- 1: the command's stdio and exit code, its user, and a read-write volume
mkdir -p "$W/vol"
chmod 0777 "$W/vol"
config basic arg=sh arg=-c \
        'arg=uname -m; uname -r; nproc; id -u; echo written-by-aarch64 >/data/out; echo to-stderr >&2; exit 3' \
        env=PATH=/bin uid=1000 gid=1000 cwd=/ 'volume=ross.vol0 rw /data'
vm basic -fsdev "local,id=vol0,path=$W/vol,security_model=passthrough" \
        -device virtio-9p-device,fsdev=vol0,mount_tag=ross.vol0 --
check "the guest is aarch64 (uname -m)" line stdout 1 aarch64
check "... running Debian's arm64 kernel $KVER" line stdout 2 "$KVER"
check "... with 2 vCPUs" line stdout 3 2
check "the command runs as the config's user" line stdout 4 1000
check "stderr reaches the stderr port, apart" bash -c "[ \"\$(cat '$LAST/stderr')\" = to-stderr ]"
check "exit 3 is EXIT 3 for session 0" has frames "EXIT 0 3"
check "a file written on the rw volume is on the host, owned by the guest's user" \
        bash -c "[ \"\$(cat '$W/vol/out' 2>/dev/null)\" = written-by-aarch64 ] && [ \"\$(stat -c %u '$W/vol/out')\" = 1000 ]"
check "the VM powers off by itself (PSCI)" \
        bash -c "grep -q CLOSED '$LAST/frames' && ! grep -q QEMU-STILL-RUNNING '$LAST/frames'"
check "no error of ross-init on the console" bash -c "! grep -a 'ross-init:' '$LAST/console.log'"
echo "# boot to EXIT: $(sed -n 's/^ELAPSED //p' "$LAST/frames") s; QEMU start to exit: $(sed -n 's/^TOTAL //p' "$LAST/frames") s"

# ---- 2: the command on /dev/hvc0 (tty=1); execs with pipes, stdin, a pty, a missing
# command; SIGTERM to the command
config tty arg=sh arg=-c 'arg=tty; echo on-hvc0; exec sleep 100' env=PATH=/bin tty=1
D=$W/tty
"${VMCTL[@]}" config arg=sh arg=-c 'arg=echo exec-out; echo exec-err >&2; exit 5' env=PATH=/bin >"$D/e1"
"${VMCTL[@]}" config arg=cat env=PATH=/bin stdin=1 >"$D/e2"
"${VMCTL[@]}" config arg=nonexistent env=PATH=/bin >"$D/e3"
"${VMCTL[@]}" config arg=sh arg=-c 'arg=sleep 1; tty; stty size' env=PATH=/bin tty=1 >"$D/e4"
vm tty -chardev "file,id=con,path=$D/tty" -device virtconsole,chardev=con -- \
        wait:STARTED:0 \
        exec:1:"$D/e1" wait:EXIT:1 \
        exec:2:"$D/e2" wait:STARTED:2 'stdin:2:hello\n' eof:2 wait:EXIT:2 \
        exec:3:"$D/e3" wait:FAILED:3 \
        exec:4:"$D/e4" wait:STARTED:4 resize:4:30:100 wait:EXIT:4 \
        signal:0:15
check "tty=1: the command's terminal is /dev/hvc0" has tty /dev/hvc0
check "... and its output is there" has tty on-hvc0
check "an exec's stdout, stderr and exit code" bash -c "grep -qF \"STDOUT 1 b'exec-out\\\\n'\" '$LAST/frames' && grep -qF \"STDERR 1 b'exec-err\\\\n'\" '$LAST/frames' && grep -qF 'EXIT 1 5' '$LAST/frames'"
check "an exec's stdin, to its EOF" bash -c "grep -qF \"STDOUT 2 b'hello\\\\n'\" '$LAST/frames' && grep -qF 'EXIT 2 0' '$LAST/frames'"
check "a missing command: FAILED 127" has frames "FAILED 3 127 'exec: \"nonexistent\": executable file not found in \$PATH'"
check "an exec with a pty, resized" bash -c "grep -F 'STDOUT 4' '$LAST/frames' | grep -qF '/dev/pts/0' && grep -F 'STDOUT 4' '$LAST/frames' | grep -qF '30 100' && grep -qF 'EXIT 4 0' '$LAST/frames'"
check "SIGTERM to the command: EXIT 143, then power off" \
        bash -c "grep -qF 'EXIT 0 143' '$LAST/frames' && grep -q CLOSED '$LAST/frames' && ! grep -q QEMU-STILL-RUNNING '$LAST/frames'"
echo "# QEMU start to exit: $(sed -n 's/^TOTAL //p' "$LAST/frames") s"

echo "1..$n"
[ $failed = 0 ]
