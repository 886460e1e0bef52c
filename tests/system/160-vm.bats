#!/usr/bin/env bats
# Micro-VM containers (issue 9): --runtime qemu boots each container in a real QEMU microvm
# with Debian's kernel and Ross's ross-init as the guest's PID 1. Under TCG here (this
# machine's /dev/kvm is a PVM backend on which a stock kernel does not boot): seconds each.

bats_require_minimum_version 1.5.0

load helpers

setup() {
        if ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
                skip "qemu-system-x86 and linux-image-amd64 are not installed (scripts/install-deps.sh installs them)"
        fi
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
}

teardown() {
        teardown_containers
}

pty() {
        "$BATS_TEST_DIRNAME/ptydrive.py" "$@"
}

# Wait (up to 20 s: a boot under TCG) until a container's stdout log is exactly $2.
wait_log_is() { # NAME TEXT
        local _
        for _ in $(seq 1 100); do
                [ "$(ross logs "$1" 2>/dev/null)" = "$2" ] && return 0
                sleep 0.2
        done
        return 1
}

@test "vm: output, stdout and stderr apart, the exit code, 127 for a missing command" {
        run --separate-stderr ross run --rm --runtime qemu "$REG_PLAIN/busybox" \
                sh -c 'echo Hello from VM; echo oops >&2; exit 3'
        assert_status 3
        [ "$output" = "Hello from VM" ]
        [ "$stderr" = oops ]
        # the daemon said once which accelerator it uses, and why
        grep -q "micro-VMs: TCG, software emulation (.*kvm_pvm\|micro-VMs: KVM\|micro-VMs: TCG" "$DAEMON_LOG"
        run ross run --rm --runtime qemu "$REG_PLAIN/busybox" no-such-command
        assert_status 127
        assert_output_contains "no-such-command"
        # the kernel's own ELF, taken once out of its bzImage, boots through PVH (Debian's
        # kernel has the entry); QEMU's command line names it
        ls "$DATA"/vm/vmlinux-* >/dev/null
        id=$(ross create --runtime qemu "$REG_PLAIN/busybox" true)
        ross start -a "$id"
        tr '\0' '\n' <"$DATA/containers/$id/vm/qemu.argv" | grep -A1 -x -- -kernel | grep -q "$DATA/vm/vmlinux-"
        ross rm "$id" >/dev/null
        # it is a VM: its own kernel, not the host's namespaces
        run ross run --rm --runtime qemu "$REG_PLAIN/busybox" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; nproc; grep MemTotal /proc/meminfo'
        assert_status 0
        [[ "${lines[0]}" == /init* ]]
        [ "${lines[1]}" = 2 ]
        local kb
        kb=$(echo "${lines[2]}" | awk '{print $2}')
        [ "$kb" -gt 400000 ] && [ "$kb" -le 524288 ]
}

@test "vm: -e, -w, -u, --hostname, --cpus and --memory" {
        run ross run --rm --runtime qemu -e GREETING=hi -w /tmp -u 1000:1000 --hostname vmhost \
                --cpus 1 --memory 256m "$REG_PLAIN/busybox" \
                sh -c 'echo $GREETING; pwd; id -u; id -g; hostname; nproc; grep MemTotal /proc/meminfo'
        assert_status 0
        [ "${lines[0]}" = hi ]
        [ "${lines[1]}" = /tmp ]
        [ "${lines[2]}" = 1000 ]
        [ "${lines[3]}" = 1000 ]
        [ "${lines[4]}" = vmhost ]
        [ "${lines[5]}" = 1 ]
        local kb
        kb=$(echo "${lines[6]}" | awk '{print $2}')
        [ "$kb" -le 262144 ]
        run ross run --rm --runtime qemu --memory 16m "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "at least 64 MiB"
        run ross run --rm --runtime qemu --network host "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "not supported by the qemu runtime"
        # this suite's daemon gives containers --network none (--bridge none): nothing to
        # publish on (180-network.bats publishes a VM's port on a bridge network)
        run ross run --rm --runtime qemu -p 18080:80 "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "publishing ports (-p) needs a network"
}

# -v rw and :ro, with :ro enforced by the host: root in the guest remounts the volume
# read-write and its writes are still refused.
check_volumes() {
        local rw=$BATS_TEST_TMPDIR/rw ro=$BATS_TEST_TMPDIR/ro
        mkdir -p "$rw" "$ro"
        echo original >"$ro/f"
        run ross run --rm --runtime qemu -v "$rw:/data" -v "$ro:/config:ro" "$REG_PLAIN/busybox" \
                sh -c 'cat /config/f; echo written >/data/out; echo tamper >/config/f && echo WROTE; echo x >/config/new || echo refused
                       mount -o remount,rw /config && echo remounted; echo tamper >/config/f && echo WROTE; echo y >/config/new2 || echo host-refused
                       grep " /data \| / " /proc/mounts | cut -d" " -f2,3'
        assert_status 0
        assert_output_contains original
        assert_output_contains refused
        assert_output_contains host-refused
        [[ "$output" != *WROTE* ]]
        [ "$(cat "$rw/out")" = written ]
        [ "$(cat "$ro/f")" = original ]
        [ ! -e "$ro/new" ] && [ ! -e "$ro/new2" ]
}

@test "vm: -v rw and :ro over virtio-fs; a write to the ro volume fails inside and nothing changes on the host" {
        [ -x /usr/lib/qemu/virtiofsd ] || [ -x /usr/libexec/virtiofsd ] || skip "no virtiofsd (Debian 12: qemu-system-common)"
        check_volumes
        # the root and the volumes are virtio-fs shares, one virtiofsd each
        assert_output_contains "/ virtiofs"
        assert_output_contains "/data virtiofs"
        # the source must exist
        run ross run --rm --runtime qemu -v "$BATS_TEST_TMPDIR/none:/x" "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "bind source path does not exist"
        # every virtiofsd went with its VM
        ! pgrep -f "virtiofsd --socket-path=$RUN/" >/dev/null
}

@test "vm: --vm-fs 9p: the root and volumes over 9p, :ro enforced by QEMU" {
        stop_daemon
        start_daemon --vm-fs 9p
        check_volumes
        assert_output_contains "/ 9p"
        assert_output_contains "/data 9p"
        run "$ROSS_DAEMON" start --vm-fs nfs
        assert_status 2
        assert_output_contains "--vm-fs: 'nfs' is not auto, virtiofs or 9p"
}

@test "vm: -i streams stdin with EOF; -it is a real terminal in the guest" {
        run ross run -i --rm --runtime qemu "$REG_PLAIN/busybox" sh -c 'cat; echo done'  <<<"from the host"
        assert_status 0
        [ "${lines[0]}" = "from the host" ] && [ "${lines[1]}" = done ]
        run pty --rows 30 --cols 100 "$ROSS_CLI" run -it --rm --runtime qemu "$REG_PLAIN/busybox" sh <<'STEPS'
expect # 
send tty; stty size\r
expect 30 100
resize 41 123
sleep 0.5
send stty size\r
expect 41 123
send exit 6\r
STEPS
        assert_status 0
        assert_output_contains /dev/hvc0
        assert_output_contains "[exit 6]"
}

@test "vm: stop delivers SIGTERM to the workload (its trap writes a file on a volume); kill -s; logs apart" {
        local v=$BATS_TEST_TMPDIR/v
        mkdir -p "$v"
        ross run -d --name trapper --runtime qemu -v "$v:/v" "$REG_PLAIN/busybox" \
                sh -c 'trap "echo got-term >/v/term; exit 42" TERM; echo up; echo up-err >&2; while :; do sleep 0.1; done' >/dev/null
        wait_log_is trapper up
        run --separate-stderr ross logs trapper
        [ "$output" = up ] && [ "$stderr" = up-err ]
        run ross stop -t 20 trapper
        assert_status 0
        [ "$(cat "$v/term")" = got-term ]
        [ "$(ross inspect trapper | jq -r '.[0].State.ExitCode')" = 42 ]
        # kill -s reaches the workload; SIGKILL powers the VM off at once
        ross run -d --name usr1 --runtime qemu -v "$v:/v" "$REG_PLAIN/busybox" \
                sh -c 'trap "echo usr1 >/v/usr1; exit 7" USR1; echo up; while :; do sleep 0.1; done' >/dev/null
        wait_log_is usr1 up
        ross kill -s USR1 usr1 >/dev/null
        run ross wait usr1
        [ "$output" = 7 ]
        [ "$(cat "$v/usr1")" = usr1 ]
        ross run -d --name k9 --runtime qemu "$REG_PLAIN/busybox" sleep 600 >/dev/null
        ross kill k9 >/dev/null
        [ "$(ross inspect k9 | jq -r '.[0].State.Status')" = exited ]
        [ "$(ross inspect k9 | jq -r '.[0].State.ExitCode')" = 137 ]
        ! pgrep -f "ross-$(ross inspect k9 | jq -r '.[0].Id' | cut -c1-12)" >/dev/null
}

@test "vm: pause stops the VM (QMP), unpause lets it go on" {
        ross run -d --name pz --runtime qemu "$REG_PLAIN/busybox" sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.2; done' >/dev/null
        local i
        for i in $(seq 1 100); do
                [ -n "$(ross logs pz 2>/dev/null)" ] && break
                sleep 0.2
        done
        run ross pause pz
        assert_status 0
        [ "$(ross inspect pz | jq -r '.[0].State.Status')" = paused ]
        sleep 0.5
        local a b
        a=$(ross logs pz | wc -l)
        sleep 1.5
        b=$(ross logs pz | wc -l)
        [ "$a" = "$b" ]
        ross unpause pz >/dev/null
        sleep 1.5
        [ "$(ross logs pz | wc -l)" -gt "$b" ]
        ross rm -f pz >/dev/null
}

@test "vm: a VM survives kill -9 of the daemon; its exit is recorded; --rm and rm work" {
        ross run -d --name long --runtime qemu "$REG_PLAIN/busybox" sh -c 'echo before; sleep 4; echo after; exit 5' >/dev/null
        local i
        for i in $(seq 1 100); do
                [ "$(ross logs long 2>/dev/null)" = before ] && break
                sleep 0.2
        done
        kill -9 "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
        DATA=$DATA start_daemon
        [ "$(ross inspect long | jq -r '.[0].State.Status')" = running ]
        run ross wait long
        [ "$output" = 5 ]
        run ross logs long
        [ "${lines[0]}" = before ] && [ "${lines[1]}" = after ]
        local id
        id=$(ross inspect long | jq -r '.[0].Id')
        [ -d "$DATA/containers/$id/rootfs/bin" ] # its own clone of the flat rootfs
        ross rm long >/dev/null
        [ ! -e "$DATA/containers/$id" ]
        [ ! -e "$RUN/runtime/qemu/${id:0:16}" ]
        run ross ps -a -q
        [ "$output" = "" ]
}

@test "vm: the docker CLI runs a VM container: docker run --runtime qemu" {
        run docker run --rm --runtime qemu "$REG_PLAIN/busybox" sh -c 'echo from docker; uname -r'
        assert_status 0
        [ "${lines[0]}" = "from docker" ]
        [ "${lines[1]}" = "$(basename "$(ls /boot/vmlinuz-* | sort -V | tail -1)" | sed 's/^vmlinuz-//')" ]
}

@test "vm: exec runs inside the guest, with its own stdio and exit code; exec -it gets a terminal" {
        ross run -d --name ex --runtime qemu -e FROM=container "$REG_PLAIN/busybox" sleep 600 >/dev/null
        run --separate-stderr ross exec ex sh -c 'echo $FROM; echo to-err >&2; cat /proc/1/cmdline | tr "\0" " "; exit 4'
        assert_status 4
        [ "${lines[0]}" = container ]
        [[ "${lines[1]}" == /init* ]]
        [ "$stderr" = to-err ]
        run ross exec -e FROM=exec -u 1000 -w /tmp ex sh -c 'echo $FROM $(id -u) $(pwd)'
        assert_status 0
        [ "$output" = "exec 1000 /tmp" ]
        run ross exec -i ex sh -c 'cat; echo end' <<<"piped in"
        [ "${lines[0]}" = "piped in" ] && [ "${lines[1]}" = end ]
        run ross exec ex no-such-command
        assert_status 127
        run pty --rows 25 --cols 90 "$ROSS_CLI" exec -it ex sh <<'STEPS'
expect # 
send tty; stty size\r
expect 25 90
send exit 3\r
STEPS
        assert_status 0
        assert_output_contains /dev/pts/
        assert_output_contains "[exit 3]"
        ross rm -f ex >/dev/null
}

@test "vm: a workload that ignores SIGTERM is powered off after --stop-timeout (137); restart boots it again; attach with stdin; wait" {
        ross run -d --name stubborn --runtime qemu --stop-timeout 2 "$REG_PLAIN/busybox" \
                sh -c 'trap "" TERM; echo up; while :; do sleep 0.1; done' >/dev/null
        wait_log_is stubborn up
        [ "$(ross logs stubborn)" = up ]
        run ross stop stubborn
        assert_status 0
        [ "$(ross inspect stubborn | jq -r '.[0].State.Status + " " + (.[0].State.ExitCode | tostring)')" = "exited 137" ]
        ! pgrep -f "ross-$(ross inspect stubborn | jq -r '.[0].Id' | cut -c1-12)" >/dev/null
        # restart: a new boot of the same container, its log goes on
        first=$(ross inspect stubborn | jq -r '.[0].State.StartedAt')
        run ross restart -t 1 stubborn
        assert_status 0
        for i in $(seq 1 100); do
                [ "$(ross logs stubborn 2>/dev/null | grep -c up)" = 2 ] && break
                sleep 0.2
        done
        [ "$(ross logs stubborn | grep -c up)" = 2 ]
        [ "$(ross inspect stubborn | jq -r '.[0].State.Running')" = true ]
        [ "$(ross inspect stubborn | jq -r '.[0].State.StartedAt')" != "$first" ]
        ross kill stubborn >/dev/null
        # attach to a VM that waits for a line on stdin: the line goes in, its answer and exit
        # code come back; wait then says the same code
        ross run -d -i --name reader --runtime qemu "$REG_PLAIN/busybox" sh -c 'read l; echo "got $l"; exit 5' >/dev/null
        run ross attach reader <<<hello
        assert_status 5
        [ "$output" = "got hello" ]
        run ross wait reader
        [ "$output" = 5 ]
}
