#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# ross-init as the /init of a real micro-VM: QEMU's microvm under TCG, Debian's kernel with
# its virtio modules in the initramfs, a busybox root shared over virtio-9p, the config
# share, and the stdio and control ports on virtio-serial (src/vm/proto.h). tests/vm/vmctl.py
# plays the host: it writes the config and talks on the control socket. TAP output.
#
#   ROSS_BUILD_DIR=/tmp/build tests/vm/guest-smoke.sh
#
# ROSS_INIT (default $ROSS_BUILD_DIR/programs/ross-init), ROSS_VM_KERNEL (a vmlinuz with its
# /lib/modules/VERSION), QEMU, ROSS_VM_KEEP=1 (keep the work dir), ROSS_VM_PVH=1 (boot the
# kernel's ELF: faster under TCG), ROSS_VM_ONLY="basic features exec failures stdin tty"
# (some of the parts) override.
#
# ROSS_VM_ARCH=aarch64: the aarch64 guest instead, the same checks: qemu-system-aarch64's virt
# machine, ross-init from scripts/build-guest-arm64.sh (in $ROSS_BUILD_DIR/guest-arm64), the
# arm64 kernel and busybox of scripts/fetch-guest-arm64.sh's cache ($ROSS_ARM64_CACHE).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${ROSS_BUILD_DIR:-$SRC/build}
ARCH=${ROSS_VM_ARCH:-x86_64}
ARM64_CACHE=${ROSS_ARM64_CACHE:-/var/cache/ross/arm64}
case $ARCH in
x86_64)
        INIT=${ROSS_INIT:-$BUILD/programs/ross-init}
        QEMU=${QEMU:-qemu-system-x86_64}
        MACHINE=(-M microvm -cpu max)
        BUSYBOX=${BUSYBOX:-/bin/busybox}
        CONSOLE=ttyS0
        ;;
aarch64)
        INIT=${ROSS_INIT:-$BUILD/guest-arm64/programs/ross-init}
        QEMU=${QEMU:-qemu-system-aarch64}
        MACHINE=(-M virt -cpu cortex-a57)
        BUSYBOX=${BUSYBOX:-$ARM64_CACHE/busybox}
        CONSOLE=ttyAMA0
        ;;
*)
        echo "guest-smoke: ROSS_VM_ARCH is x86_64 or aarch64, not $ARCH" >&2
        exit 2
        ;;
esac
VMCTL=(python3 "$HERE/vmctl.py")
# what ross-init needs of the kernel: vmctl adds their dependencies, in load order
MODULES=(virtio_mmio virtio_console 9pnet_virtio 9p)

# shellcheck source=tests/vm/tap.sh
source "$HERE/tap.sh"

[ "$ARCH" != x86_64 ] || [ "$(uname -m)" = x86_64 ] ||
        skip_all "needs an x86_64 host (qemu-system-x86_64 -M microvm)"
command -v "$QEMU" >/dev/null || skip_all "no $QEMU (apt-get install qemu-system-x86 or -arm)"
command -v cpio >/dev/null || skip_all "no cpio"
command -v python3 >/dev/null || skip_all "no python3"
[ -x "$INIT" ] || skip_all "no $INIT (build first, or set ROSS_BUILD_DIR)"
[ -x "$BUSYBOX" ] || skip_all "no $BUSYBOX (apt-get install busybox-static)"
[ "$ARCH" = x86_64 ] || [ -x /bin/busybox ] ||
        skip_all "no /bin/busybox to name the applets (apt-get install busybox-static)"
[ "$(id -u)" = 0 ] || skip_all "needs root (QEMU's 9p passthrough keeps the guest's owners)"
if [ -n "${ROSS_VM_KERNEL:-}" ]; then
        KERNEL=$ROSS_VM_KERNEL
        KVER=${KERNEL##*/vmlinuz-}
        MODDIR=/lib/modules/$KVER
elif [ "$ARCH" = aarch64 ]; then
        KERNEL=
        for k in "$ARM64_CACHE"/vmlinuz-*; do
                [ -f "$k" ] && KERNEL=$k
        done
        [ -n "$KERNEL" ] || skip_all "no arm64 kernel in $ARM64_CACHE (scripts/fetch-guest-arm64.sh)"
        KVER=${KERNEL##*/vmlinuz-}
        MODDIR=$ARM64_CACHE/lib/modules/$KVER
else
        KERNEL=
        for k in /boot/vmlinuz-*; do
                v=${k##*/vmlinuz-}
                if [ -r "$k" ] && [ -f "/lib/modules/$v/modules.dep" ]; then
                        KERNEL=$k
                        KVER=$v
                fi
        done
        [ -n "$KERNEL" ] || skip_all "no /boot/vmlinuz-* with its modules (apt-get install linux-image-amd64)"
        MODDIR=/lib/modules/$KVER
fi

# Under TCG the kernel calibrates the TSC against the emulated PIT, and that fails now and
# then (QEMU's timing): then it hangs early in boot, nothing on the console. Tell it the
# frequency instead; the guest's TSC runs at the host's under TCG.
TSC_MHZ=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | head -n 1)
[ -n "$TSC_MHZ" ] || TSC_MHZ=$(sed -n 's/^cpu MHz[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
CMDLINE="console=$CONSOLE quiet panic=-1"
[ "$ARCH" = x86_64 ] && [ -n "$TSC_MHZ" ] && CMDLINE="$CMDLINE tsc_early_khz=$(awk "BEGIN { printf \"%d\", $TSC_MHZ * 1000 }")"

W=$(mktemp -d /tmp/ross-vm.XXXXXX)
if [ "${ROSS_VM_KEEP:-}" = 1 ]; then
        echo "# work dir: $W"
else
        trap 'rm -rf "$W"' EXIT
fi

# ROSS_VM_PVH=1: boot the kernel's ELF (PVH entry) instead of the bzImage: QEMU loads it
# as is, and the xz decompression, slow under TCG, is skipped
if [ "${ROSS_VM_PVH:-}" = 1 ] && [ "$ARCH" = x86_64 ]; then
        python3 - "$KERNEL" "$W/vmlinux" <<'PY' || skip_all "cannot take the ELF out of $KERNEL"
import lzma, sys
data = open(sys.argv[1], "rb").read()
at = data.find(b"\xfd7zXZ\x00")
elf = lzma.LZMADecompressor().decompress(data[at:]) if at >= 0 else b""
if elf[:4] != b"\x7fELF":
    sys.exit(1)
open(sys.argv[2], "wb").write(elf)
PY
        KERNEL=$W/vmlinux
fi

# ---- the initramfs: /init and the modules, numbered in load order
mkdir -p "$W/initramfs/modules"
cp "$INIT" "$W/initramfs/init"
i=0
mods=$("${VMCTL[@]}" modules "$MODDIR" "${MODULES[@]}") || skip_all "modules: $mods"
for m in $mods; do
        i=$((i + 1))
        cp "$m" "$W/initramfs/modules/$(printf %02d $i)-${m##*/}"
done
(cd "$W/initramfs" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$W/initrd"

# ---- the container's root: busybox
ROOT=$W/rootfs
mkdir -p "$ROOT"/{bin,etc,proc,sys,dev,tmp,run,home/user}
cp "$BUSYBOX" "$ROOT/bin/busybox"
# an aarch64 busybox cannot run here: the host's, of the same Debian, has the same applets
for a in $(if [ "$ARCH" = x86_64 ]; then "$BUSYBOX" --list; else /bin/busybox --list; fi); do
        [ "$a" = busybox ] || ln -sf busybox "$ROOT/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' >"$ROOT/etc/group"
echo image-hosts >"$ROOT/etc/hosts"
echo 'image content' >"$ROOT/run/keep"
chown 1000:1000 "$ROOT/home/user"

is() { [ "$(cat "$LAST/$1")" = "$2" ]; }

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
        "$QEMU" "${MACHINE[@]}" -accel tcg -m 512 -smp 2 \
                -nodefaults -no-user-config -nographic -no-reboot \
                -kernel "$KERNEL" -initrd "$W/initrd" \
                -append "$CMDLINE" \
                -serial "file:$D/console.log" \
                -device virtio-serial-device \
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
        T0=$t0 timeout 300 "${VMCTL[@]}" client "$D/ctl.sock" "$@" >"$D/frames" 2>&1
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

elapsed() { sed -n 's/^ELAPSED //p' "$LAST/frames"; }
# ROSS_VM_ONLY="basic exec": only those parts
want() { [ -z "${ROSS_VM_ONLY:-}" ] || [[ " $ROSS_VM_ONLY " == *" $1 "* ]]; }

# ---- 1: stdio on the ports, the exit code, and how long it takes
if want basic; then
        config basic arg=sh arg=-c 'arg=echo out; echo err >&2; exit 3' env=PATH=/bin
        vm basic --
        check "stdout reaches the stdout port" is stdout out
        check "stderr reaches the stderr port" is stderr err
        check "EXIT 3 for session 0" has frames "EXIT 0 3"
        check "the VM powers off by itself" bash -c "! grep -q QEMU-STILL-RUNNING '$LAST/frames' && grep -q CLOSED '$LAST/frames'"
        echo "# boot to EXIT: $(elapsed) s; QEMU start to exit: $(sed -n 's/^TOTAL //p' "$LAST/frames") s ($KERNEL, $CMDLINE)"
        check "no error of ross-init on the console" bash -c "! grep -a 'ross-init:' '$LAST/console.log'"
fi

# ---- 2: user, groups, hostname, cwd, env, volumes, tmpfs, rlimits, /etc files, read-only root
if want features; then
        mkdir -p "$W/vol-ro" "$W/vol-rw"
        echo 'from the host' >"$W/vol-ro/hello"
        chmod 0777 "$W/vol-rw"
        config features arg=sh arg=-c 'arg=
        echo "host=$(hostname) uid=$(id -u) gid=$(id -g) groups=$(id -G) cwd=$(pwd)"
        echo "env=$(tr "\0" " " </proc/$$/environ)"
        echo "ro=$(cat /ro/hello)"
        echo x >/ro/new 2>/dev/null && echo ro-write=yes || echo ro-write=refused
        echo "by the guest" >/data/out && echo rw-write=yes
        echo "nofile=$(ulimit -n)/$(ulimit -Hn)"
        echo "hosts=$(cat /etc/hosts) hostname-file=$(cat /etc/hostname) resolv=$(cat /etc/resolv.conf)"
        touch /rootfile 2>/dev/null && echo root-write=yes || echo root-write=refused
        grep -q " /scratch tmpfs .*noexec" /proc/mounts && echo scratch=tmpfs
        grep " /scratch " /proc/mounts | grep -q size=1024k && echo scratch-size=1m
        echo tmp > /tmp/t && grep -q " /tmp tmpfs" /proc/mounts && echo tmp=tmpfs
        grep -q " /run tmpfs" /proc/mounts && echo run=tmpfs || echo "run=image $(cat /run/keep)"
        test -c /dev/ptmx && test -d /dev/pts && test -c /dev/null && test -L /dev/fd && echo dev=ok
        grep -q " /sys sysfs ro," /proc/mounts && echo sys=ro
        echo "now=$(date +%s)"
        echo "a special \\ value: $SPECIAL"' \
                env=PATH=/bin 'env=FOO=bar baz' 'env=SPECIAL=tab	and\back' \
                uid=1000 gid=1000 groups=10,20 cwd=/home/user hostname=guest-test readonly_root=1 \
                'volume=ross.vol0 ro /ro' 'volume=ross.vol1 rw /data' 'tmpfs=/scratch:size=1m,mode=1777' \
                'rlimit=nofile 123 456' stdin=0
        echo 10.1.2.3 cfg-hosts >"$W/features/cfg/hosts"
        echo guest-test >"$W/features/cfg/hostname"
        echo 'nameserver 10.0.0.1' >"$W/features/cfg/resolv.conf"
        vm features \
                -fsdev "local,id=vol0,path=$W/vol-ro,security_model=passthrough,readonly=on" \
                -device virtio-9p-device,fsdev=vol0,mount_tag=ross.vol0 \
                -fsdev "local,id=vol1,path=$W/vol-rw,security_model=passthrough" \
                -device virtio-9p-device,fsdev=vol1,mount_tag=ross.vol1 --
        check "hostname, uid, gid, groups, cwd" has stdout "host=guest-test uid=1000 gid=1000 groups=1000 10 20 cwd=/home/user"
        check "the environment is exactly the config's" has stdout "env=PATH=/bin FOO=bar baz SPECIAL=tab	and\\back "
        check "a read-only volume is read" has stdout "ro=from the host"
        check "a read-only volume is not written" has stdout "ro-write=refused"
        check "a read-write volume is written" has stdout "rw-write=yes"
        check "... and the host sees it, owned by the guest's user" \
                bash -c "[ \"\$(cat '$W/vol-rw/out')\" = 'by the guest' ] && [ \"\$(stat -c %u '$W/vol-rw/out')\" = 1000 ]"
        check "rlimit nofile 123 456" has stdout "nofile=123/456"
        check "/etc/hosts, /etc/hostname, /etc/resolv.conf are the config's" \
                has stdout "hosts=10.1.2.3 cfg-hosts hostname-file=guest-test resolv=nameserver 10.0.0.1"
        check "readonly_root: the root is read-only" has stdout "root-write=refused"
        check "a tmpfs with Docker's defaults (noexec)" has stdout "scratch=tmpfs"
        check "... and its size" has stdout "scratch-size=1m"
        check "an empty /tmp gets a tmpfs" has stdout "tmp=tmpfs"
        check "an image's /run with content is left alone" has stdout "run=image image content"
        check "/dev has ptmx, pts, null, fd" has stdout "dev=ok"
        check "/sys is read-only" has stdout "sys=ro"
        check "the guest's clock is the host's (within 30 s)" bash -c "t=\$(sed -n 's/^now=//p' '$LAST/stdout'); [ -n \"\$t\" ] && [ \$(( \$(date +%s) - t )) -lt 30 ] && [ \$(( t - \$(date +%s) )) -lt 30 ]"
        check "the image's /etc/hosts is not changed" bash -c "[ \"\$(cat '$ROOT/etc/hosts')\" = image-hosts ]"
        check "EXIT 0" has frames "EXIT 0 0"
fi

# ---- 3: execs (pipes, stdin, a pty, user), their failures, and SIGTERM to the command
if want exec; then
        config exec arg=sleep arg=100 env=PATH=/bin:/usr/bin cwd=/
        D=$W/exec
        "${VMCTL[@]}" config arg=sh arg=-c 'arg=echo exec-out; echo exec-err >&2; exit 5' env=PATH=/bin >"$D/e1"
        "${VMCTL[@]}" config arg=cat env=PATH=/bin stdin=1 >"$D/e2"
        "${VMCTL[@]}" config arg=nonexistent env=PATH=/bin >"$D/e3"
        "${VMCTL[@]}" config arg=sh arg=-c 'arg=sleep 1; tty; stty size' env=PATH=/bin tty=1 >"$D/e4"
        "${VMCTL[@]}" config arg=true env=PATH=/bin cwd=/nonexistent >"$D/e5"
        "${VMCTL[@]}" config arg=/etc/passwd env=PATH=/bin >"$D/e6"
        "${VMCTL[@]}" config arg=sh arg=-c 'arg=echo "$(id -u):$(id -g):$(pwd)"' env=PATH=/bin uid=1000 gid=1000 cwd=/home/user >"$D/e7"
        "${VMCTL[@]}" config arg=sleep arg=100 env=PATH=/bin >"$D/e8"
        "${VMCTL[@]}" config arg=sh arg=-c 'arg=yes 0123456789 | head -c 3000000; yes x | head -c 100000 >&2' env=PATH=/bin >"$D/e9"
        vm exec -- wait:STARTED:0 \
                exec:1:"$D/e1" wait:EXIT:1 \
                exec:2:"$D/e2" wait:STARTED:2 'stdin:2:hello\n' eof:2 wait:EXIT:2 \
                exec:3:"$D/e3" wait:FAILED:3 \
                exec:4:"$D/e4" wait:STARTED:4 resize:4:30:100 wait:EXIT:4 \
                exec:5:"$D/e5" wait:FAILED:5 \
                exec:6:"$D/e6" wait:FAILED:6 \
                exec:7:"$D/e7" wait:EXIT:7 \
                exec:8:"$D/e8" wait:STARTED:8 exec:8:"$D/e1" wait:FAILED:8 signal:8:9 wait:EXIT:8 \
                exec:9:"$D/e9" wait:EXIT:9 \
                signal:0:15
        check "an exec's stdout" has frames "STDOUT 1 b'exec-out\\n'"
        check "an exec's stderr" has frames "STDERR 1 b'exec-err\\n'"
        check "an exec's exit code" has frames "EXIT 1 5"
        check "an exec's stdin, to its EOF" bash -c "grep -qF \"STDOUT 2 b'hello\\\\n'\" '$LAST/frames' && grep -qF 'EXIT 2 0' '$LAST/frames'"
        check "not found: 127 in runc's words" has frames "FAILED 3 127 'exec: \"nonexistent\": executable file not found in \$PATH'"
        check "a pty for tty=1, resized" bash -c "grep -F 'STDOUT 4' '$LAST/frames' | grep -qF '/dev/pts/0' && grep -F 'STDOUT 4' '$LAST/frames' | grep -qF '30 100' && grep -qF 'EXIT 4 0' '$LAST/frames'"
        check "a cwd that is not there: 126" has frames "FAILED 5 126 'chdir to cwd (\"/nonexistent\") failed: no such file or directory'"
        check "not executable: 126" has frames "FAILED 6 126 'exec: \"/etc/passwd\": permission denied'"
        check "an exec's user and cwd" has frames "STDOUT 7 b'1000:1000:/home/user\\n'"
        check "SIGNAL to an exec: 137" has frames "EXIT 8 137"
        check "a session in use is refused" has frames "FAILED 8 1 'exec: session 8 is in use'"
        check "3 MB of an exec's stdout, all of it" has frames "BYTES STDOUT 9 3000000"
        check "... and its stderr too" has frames "BYTES STDERR 9 100000"
        check "... and then its EXIT" has frames "EXIT 9 0"
        check "SIGNAL 15 to the command: EXIT 143" has frames "EXIT 0 143"
        check "the VM powers off after it" has frames "CLOSED"
fi

# ---- 4: what never runs: FAILED for session 0, then power off
if want failures; then
        config notfound arg=nope env=PATH=/bin:/usr/bin
        vm notfound --
        check "command not found: FAILED 127" has frames "FAILED 0 127 'exec: \"nope\": executable file not found in \$PATH'"
        check "... and the VM powers off" bash -c "grep -q CLOSED '$LAST/frames' && ! grep -q QEMU-STILL-RUNNING '$LAST/frames'"
        check "... said on the console too" has console.log 'ross-init: exec: "nope": executable file not found in $PATH'
        config badcfg arg=true cwd=relative
        vm badcfg --
        check "a bad config: FAILED 1 naming the line" has frames "FAILED 0 1 'bad config: line 2: cwd \"relative\": not an absolute path'"
        check "... and the VM powers off" has frames "CLOSED"
        config badvol arg=true 'volume=ross.vol0 rw /a/../etc'
        vm badvol --
        check "a volume path with .. is refused" has frames "FAILED 0 1 'bad config: line 2: volume \"ross.vol0 rw /a/../etc\": the path"
fi

# ---- 5: stdin=1: the stdin port, to the host's EOF (the host connects it late: the command
# waits for it); a lot of output on the stdout port
if want stdin; then
        config stdin arg=sh arg=-c 'arg=cat; echo "cat done"; yes abc | head -c 2000000' env=PATH=/bin stdin=1
        vm stdin -chardev "socket,id=in,path=$W/stdin/stdin.sock,server=on,wait=off" \
                -device virtserialport,chardev=in,name=ross.stdin -- \
                sleep:5 "port:$W/stdin/stdin.sock:piped\n"
        check "the stdin port is the command's stdin, to its end" bash -c "head -n 2 '$LAST/stdout' | tr '\n' ' ' | grep -qx 'piped cat done '"
        check "... and the guest saw the host come, though it went at once" bash -c "! grep -q 'did not connect' '$LAST/frames'"
        check "2 MB through the stdout port, all of it" bash -c "[ \$(stat -c %s '$LAST/stdout') = \$((6 + 9 + 2000000)) ]"
fi

# ---- 6: tty=1: the command on /dev/hvc0
if want tty; then
        config tty arg=sh arg=-c 'arg=tty; echo on-the-tty' env=PATH=/bin tty=1
        vm tty -chardev "file,id=con,path=$W/tty/tty" -device virtconsole,chardev=con -- wait:STARTED:0 resize:0:40:120
        check "tty=1: the command's terminal is /dev/hvc0" has tty "/dev/hvc0"
        check "... and its output is there" has tty "on-the-tty"
        check "EXIT 0" has frames "EXIT 0 0"
fi

echo "1..$n"
[ $failed = 0 ]
