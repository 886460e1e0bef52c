#!/usr/bin/env bats
# What a user sees when the qemu runtime cannot run (issue 9, "Errors and docs"): a kernel
# that is not there or cannot be read, no qemu, no guest kernel, KVM asked for on a host
# whose /dev/kvm cannot boot a stock kernel, a VM that does not come up in time; and that
# --vm-accel tcg and --default-runtime qemu do run VMs. Three boots, under TCG here.

bats_require_minimum_version 1.5.0

load helpers

setup() {
        if ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
                skip "qemu-system-x86 and linux-image-amd64 are not installed (scripts/install-deps.sh installs them)"
        fi
}

teardown() {
        teardown_containers
}

# A daemon start that must fail (ross-daemon start OPTIONS..., run by $WRAP if set): its own
# data and run dirs; stopped after 20 s if it serves instead (exit 124).
daemon_fails() {
        run timeout 20 ${WRAP:-} "$ROSS_DAEMON" start --data-dir "$BATS_TEST_TMPDIR/fd" \
                --run-dir "$BATS_TEST_TMPDIR/fr" --bridge none --min-free-space 64M "$@"
}

# No process of container $1 is left: its shim (--id ID), its QEMU (-name ross-ID12) and
# its virtiofsds (their sockets in <run>/runtime/qemu/ID16/) all name it.
nothing_left() {
        local id=$1
        [[ "$id" =~ ^[0-9a-f]{64}$ ]] || { echo "not a container id: '$id'" >&2; return 1; }
        if pgrep -af -- "${id:0:12}"; then
                echo "left running for $id (above)" >&2
                return 1
        fi
}

@test "vm errors: --vm-kernel naming a file that is not there or cannot be read: the daemon does not start" {
        daemon_fails --vm-kernel "$BATS_TEST_TMPDIR/no-such-vmlinuz"
        assert_status 2
        [ "$output" = "ross-daemon: --vm-kernel: '$BATS_TEST_TMPDIR/no-such-vmlinuz': No such file or directory" ]
        # root reads every file: without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH a mode 000
        # one is unreadable, as it is for any other user
        local k=$BATS_TEST_TMPDIR/vmlinuz-unreadable
        cp "$(ls /boot/vmlinuz-* | head -n 1)" "$k"
        chmod 000 "$k"
        WRAP="setpriv --bounding-set -dac_override,-dac_read_search" daemon_fails --vm-kernel "$k"
        assert_status 2
        [ "$output" = "ross-daemon: --vm-kernel: '$k': Permission denied" ]
}

@test "vm errors: no qemu, or no guest kernel: the daemon with --default-runtime qemu does not start and says what to install" {
        # no qemu-system-x86_64 on the daemon's PATH
        WRAP="env PATH=/nonexistent" daemon_fails --default-runtime qemu
        assert_status 1
        assert_output_contains "ross-daemon: qemu is not installed: the qemu runtime needs qemu-system-x86_64 (apt-get install qemu-system-x86)"
        # an empty /boot, in a mount namespace of the daemon's own
        cat >"$BATS_TEST_TMPDIR/no-boot" <<'SH'
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount -t tmpfs none /boot && exec "$@"' - "$@"
SH
        chmod +x "$BATS_TEST_TMPDIR/no-boot"
        WRAP=$BATS_TEST_TMPDIR/no-boot daemon_fails --default-runtime qemu
        assert_status 1
        [ "$output" = "ross-daemon: no guest kernel: the qemu runtime boots Debian's kernel (apt-get install linux-image-amd64), or the one --vm-kernel names" ]
}

@test "vm errors: --vm-accel kvm where /dev/kvm cannot boot a stock kernel: the run is refused, saying why" {
        if [ -e /sys/module/kvm_intel ] || [ -e /sys/module/kvm_amd ]; then
                skip "KVM is hardware virtualization here: --vm-accel kvm may run"
        fi
        start_daemon --vm-accel kvm
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        run ross run --name askkvm --runtime qemu "$REG_PLAIN/busybox" echo never
        assert_status 125
        assert_output_contains "--vm-accel kvm: KVM cannot run the guest here: "
        [[ "$output" != *never* ]]
        # the probe's reason: this machine's /dev/kvm is a PVM backend
        if [ -e /sys/module/kvm_pvm ]; then
                assert_output_contains "/dev/kvm is KVM-PVM (kvm_pvm), which runs only PVM-aware guest kernels, not a stock one"
                grep -q "micro-VMs: TCG, software emulation (/dev/kvm is KVM-PVM" "$DAEMON_LOG"
        elif [ ! -e /dev/kvm ]; then
                assert_output_contains "there is no /dev/kvm"
        fi
        local id
        id=$(ross inspect askkvm | jq -r '.[0].Id')
        nothing_left "$id"
}

@test "vm: --vm-accel tcg runs the VM under QEMU's software emulation" {
        start_daemon --vm-accel tcg
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        run --separate-stderr ross run --name tcg --runtime qemu "$REG_PLAIN/busybox" \
                sh -c 'echo under tcg; grep -m 1 "^model name" /proc/cpuinfo'
        assert_status 0
        [ "${lines[0]}" = "under tcg" ]
        # the guest's CPU is QEMU's emulated one
        [[ "${lines[1]}" == *"QEMU TCG CPU"* ]]
        local id
        id=$(ross inspect tcg | jq -r '.[0].Id')
        tr '\0' '\n' <"$DATA/containers/$id/vm/qemu.argv" | grep -A1 -x -- -accel | grep -qx tcg
}

@test "vm: ross-daemon start --default-runtime qemu: a plain run is a VM" {
        start_daemon --default-runtime qemu
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        run --separate-stderr ross run --name plain "$REG_PLAIN/busybox" \
                sh -c 'uname -r; cat /proc/cmdline; tr "\0" " " </proc/1/cmdline'
        assert_status 0
        # the guest kernel (the newest /boot/vmlinuz-*) and its command line, not the host's
        local kver
        kver=$(basename "$(ls /boot/vmlinuz-* | sort -V | tail -n 1)" | sed 's/^vmlinuz-//')
        [ "${lines[0]}" = "$kver" ]
        [[ "${lines[1]}" == "console=ttyS0 quiet panic=-1"* ]]
        [ "${lines[1]}" != "$(cat /proc/cmdline)" ]
        [[ "${lines[2]}" == /init* ]]
        [ "$(ross inspect plain | jq -r '.[0].HostConfig.Runtime')" = qemu ]
        [ "$(api GET /info | jq -r .DefaultRuntime)" = qemu ]
}

@test "vm errors: a VM that does not come up in ROSS_VM_BOOT_TIMEOUT_MS: the message names its console log; nothing is left running" {
        ROSS_VM_BOOT_TIMEOUT_MS=100 start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        run --separate-stderr ross run --name slow --runtime qemu "$REG_PLAIN/busybox" echo never
        assert_status 125
        local id
        id=$(ross inspect slow | jq -r '.[0].Id')
        [ "$stderr" = "ross-cli: start container ${id:0:12} (qemu): the VM did not come up in 0.1 s; its console log: $DATA/containers/$id/vm/console.log" ]
        [ -z "$output" ]
        # the log is kept with the container
        [ -f "$DATA/containers/$id/vm/console.log" ]
        [ "$(ross inspect slow | jq -r '.[0].State.Status')" = created ]
        # QEMU, its virtiofsds and the container's shim are gone
        local _
        for _ in $(seq 30); do
                pgrep -f -- "${id:0:12}" >/dev/null || break
                sleep 0.1
        done
        nothing_left "$id"
}
