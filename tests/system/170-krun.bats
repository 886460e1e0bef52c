#!/usr/bin/env bats
# The krun runtime (issue 10) where libkrun cannot run: these machines have no libkrun
# package and their /dev/kvm cannot run a stock guest. The daemon loads a TEST DOUBLE for
# libkrun instead (tests/krun/fake-libkrun.c, built by the tests): it starts no VM, records
# every libkrun call with its arguments (ROSS_FAKE_KRUN_LOG) and ends krun_start_enter with
# the status the test chooses. What is checked here is everything Ross does around libkrun:
# the calls and their arguments, the limits, the fallbacks of an older library, the errors,
# the exit code, the console. The guest side (ross-init) runs for real in the qemu
# runtime's tests (160-vm.bats) and, in its --krun mode, in 166-guest-krun.bats;
# 171-krun-real.bats runs the real thing where libkrun and KVM are.

bats_require_minimum_version 1.5.0

load helpers

FAKE_FULL=$BUILD/tests/krun/libkrun-fake-full.so.1
FAKE_MIN=$BUILD/tests/krun/libkrun-fake-min.so.1
FAKE_18=$BUILD/tests/krun/libkrun-fake-1.8.so.1

setup() {
        [ -f "$FAKE_FULL" ] || skip "the libkrun test double is not built ($FAKE_FULL)"
        export ROSS_FAKE_KRUN_LOG=$BATS_TEST_TMPDIR/krun.jsonl
        unset ROSS_FAKE_KRUN_EXIT ROSS_FAKE_KRUN_FAIL ROSS_FAKE_KRUN_RUN ROSS_FAKE_KRUN_STDOUT \
                ROSS_FAKE_KRUN_STDERR ROSS_FAKE_KRUN_MAX_VCPUS ROSS_FAKE_KRUN_HOLD \
                ROSS_FAKE_KRUN_AS_REAL
}

teardown() {
        teardown_containers
}

# start the daemon on a library (and the double's settings exported before)
krun_daemon() { # LIBRARY [daemon args...]
        local lib=$1
        shift
        start_daemon --krun-library "$lib" "$@"
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
}

# the calls of the last VM: from its krun_create_ctx on (the daemon's probe made one too)
calls() {
        awk '/"call":"krun_create_ctx"/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' \
                "$ROSS_FAKE_KRUN_LOG"
}

call() { # NAME: its records, one JSON object a line
        calls | jq -c "select(.call == \"$1\")"
}

pty() {
        "$BATS_TEST_DIRNAME/ptydrive.py" "$@"
}

@test "krun: the defaults (2 vCPUs, 512 MiB), the root, ross-init as the workload, its channels; the exit code is the workload's" {
        export ROSS_FAKE_KRUN_EXIT=7
        krun_daemon "$FAKE_FULL"
        grep -q "test double for libkrun" "$DAEMON_LOG"
        run ross run --name kx --runtime krun "$REG_PLAIN/busybox" sh -c 'exit 7'
        assert_status 7
        [ "$(ross inspect kx | jq -r '.[0].State.ExitCode')" = 7 ]
        id=$(ross inspect kx | jq -r '.[0].Id')
        [ "$(call krun_set_vm_config | jq -c '[.num_vcpus, .ram_mib]')" = "[2,512]" ]
        [ "$(call krun_set_root | jq -r .root_path)" = "$DATA/containers/$id/rootfs" ]
        # ross-init and its config are in the root; the command is in the config, not on
        # libkrun's kernel command line
        [ -x "$DATA/containers/$id/rootfs/.ross/init" ]
        grep -q '^arg=exit 7$' "$DATA/containers/$id/rootfs/.ross/config"
        grep -q '^fs=virtiofs$' "$DATA/containers/$id/rootfs/.ross/config"
        [ "$(call krun_set_exec | jq -c '[.exec_path, .argv]')" = '["/.ross/init",["--krun"]]' ]
        # the control channel and stdout/stderr apart: vsock ports to the shim's sockets
        [ "$(call krun_add_vsock_port2 | jq -c '[.port, (.filepath | split("/") | last), .listen]' | tr -d '\n')" = \
                '[1024,"ctl.sock",false][1025,"out.sock",false][1026,"err.sock",false]' ]
        # no -p: an empty port map (without one libkrun exposes every guest port)
        [ "$(call krun_set_port_map | jq -c .port_map)" = "[]" ]
        # the order libkrun needs: the VM last
        [ "$(calls | tail -2 | jq -r .call | tr '\n' ' ')" = "krun_start_enter exit " ]
        # the daemon's log level reaches libkrun (errors only at info), its log to stderr
        # (vm/krun.log), no colours, RUST_LOG ignored
        [ "$(jq -c 'select(.call == "krun_init_log") | [.target_fd, .level, .style, .options]' "$ROSS_FAKE_KRUN_LOG")" = "[-1,1,2,1]" ]
        [ -f "$DATA/containers/$id/vm/krun.log" ]
}

@test "krun: --cpus and --memory, and their limits (the library's vCPU maximum too)" {
        export ROSS_FAKE_KRUN_MAX_VCPUS=4
        krun_daemon "$FAKE_FULL"
        run ross run --rm --runtime krun --cpus 3.5 --memory 1g "$REG_PLAIN/busybox" true
        assert_status 0
        [ "$(call krun_set_vm_config | jq -c '[.num_vcpus, .ram_mib]')" = "[4,1024]" ]
        run ross run --rm --runtime krun --cpus 6 "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "--cpus 6: libkrun runs at most 4 vCPUs here"
        run ross run --rm --runtime krun --cpus 100 "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "at most 64 vCPUs"
        run ross run --rm --runtime krun --memory 16m "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "at least 64 MiB"
        run ross run --rm --runtime krun --network host "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "not supported by the krun runtime"
}

@test "krun: volumes with and without :ro (virtiofs3's read-only flag); workdir, env, rlimits" {
        krun_daemon "$FAKE_FULL"
        mkdir -p "$BATS_TEST_TMPDIR/ro" "$BATS_TEST_TMPDIR/rw"
        run ross run --rm --runtime krun -v "$BATS_TEST_TMPDIR/rw:/data" -v "$BATS_TEST_TMPDIR/ro:/config:ro" \
                -w /data -e GREETING=hello -e 'ACCENT=café' "$REG_PLAIN/busybox" true
        assert_status 0
        [ "$(call krun_add_virtiofs3 | jq -c '[.tag, .path, .read_only]' | tr -d '\n')" = \
                "[\"ross.vol0\",\"$BATS_TEST_TMPDIR/rw\",false][\"ross.vol1\",\"$BATS_TEST_TMPDIR/ro\",true]" ]
        [ "$(call krun_set_workdir | jq -r .workdir_path)" = /data ]
        call krun_set_exec | jq -e '.envp | index("GREETING=hello")' >/dev/null
        # what libkrun's kernel command line cannot carry (it aborts on non-ASCII) stays out of
        # it; ross-init sets it from its config
        call krun_set_exec | jq -e '[.envp[] | select(startswith("ACCENT="))] | length == 0' >/dev/null
        [ "$(call krun_set_rlimits | jq -r '.rlimits[0]')" = "7=$(ulimit -Hn):$(ulimit -Hn)" ]
        # a volume source must exist; files are not shares
        run ross run --rm --runtime krun -v "$BATS_TEST_TMPDIR/none:/x" "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "bind source path does not exist"
        touch "$BATS_TEST_TMPDIR/file"
        run ross run --rm --runtime krun -v "$BATS_TEST_TMPDIR/file:/f" "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "shares directories, not files"
}

@test "krun: -p HOST:CTR through libkrun's port map (the docker CLI); UDP and a host port left out are refused" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        krun_daemon "$FAKE_FULL"
        run docker run --rm --runtime krun -p 18080:80 -p 127.0.0.1:18443:443 "$REG_PLAIN/busybox" true
        assert_status 0
        [ "$(call krun_set_port_map | jq -c '.port_map | sort')" = '["18080:80","18443:443"]' ]
        # ross-cli's -p the same
        run ross run --rm --runtime krun -p 18081:81 -p 127.0.0.1:18082:82/tcp "$REG_PLAIN/busybox" true
        assert_status 0
        [ "$(call krun_set_port_map | jq -c '.port_map | sort')" = '["18081:81","18082:82"]' ]
        run ross run --rm --runtime krun -p 1:2:3:4 "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains 'invalid argument "1:2:3:4" for -p'
        run docker run --rm --runtime krun -p 18053:53/udp "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "maps TCP ports only"
        run docker run --rm --runtime krun -p 80 "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "needs the host port given"
}

@test "krun: -t makes the shim's pty the VM's only console; without -t the console writes vm/console.log and only the channels carry stdio" {
        # the double plays the guest on the console libkrun's calls set up
        export ROSS_FAKE_KRUN_RUN=1 ROSS_FAKE_KRUN_STDOUT="hello from the console" \
                ROSS_FAKE_KRUN_STDERR="and its stderr"
        krun_daemon "$FAKE_FULL"
        run pty "$ROSS_CLI" run -it --name kt --runtime krun "$REG_PLAIN/busybox" sh <<'STEPS'
expect hello from the console
expect and its stderr
STEPS
        assert_status 0
        # with a terminal only the control channel is a vsock port
        [ "$(call krun_add_vsock_port2 | jq -c .port | tr -d '\n')" = 1024 ]
        # the implicit console off, and one in its place on ross-krun's stdin and stdout (the
        # shim's pty) with stderr there too: one console port, hvc0, and no krun-stderr port
        # to ross-krun's own stderr (krun.log)
        [ "$(call krun_disable_implicit_console | jq -c .ret)" = 0 ]
        [ "$(call krun_add_virtio_console_default | jq -c '[.input_fd, .output_fd, .err_fd, .ret]')" = "[0,1,1,0]" ]
        ! call krun_set_console_output | grep -q .
        id=$(ross inspect kt | jq -r '.[0].Id')
        ! grep -q "and its stderr" "$DATA/containers/$id/vm/krun.log"
        run ross logs kt
        assert_output_contains "hello from the console"
        assert_output_contains "and its stderr"

        # without -t: the implicit console, its output to a file libkrun writes itself
        run ross run --name kn --runtime krun "$REG_PLAIN/busybox" true
        assert_status 0
        [ "$(call krun_add_vsock_port2 | jq -c .port | tr -d '\n')" = 102410251026 ]
        id=$(ross inspect kn | jq -r '.[0].Id')
        [ "$(call krun_set_console_output | jq -c '[.filepath, .ret]')" = "[\"$DATA/containers/$id/vm/console.log\",0]" ]
        ! call krun_disable_implicit_console | grep -q .
        ! call krun_add_virtio_console_default | grep -q .
        # what is said on the guest's console (the kernel, init, ross-init's own messages)
        # is in the console log, not in the container's log nor in libkrun's
        [ "$(cat "$DATA/containers/$id/vm/console.log")" = "hello from the consoleand its stderr" ]
        ! grep -q "hello from the console" "$DATA/containers/$id/vm/krun.log"
        run ross logs kn
        assert_status 0
        [ "$output" = "" ]
        # -i without -t: stdin gets its own port
        run ross run -i --rm --runtime krun "$REG_PLAIN/busybox" cat </dev/null
        assert_status 0
        [ "$(call krun_add_vsock_port2 | jq -c .port | tr -d '\n')" = 1024102510261027 ]
}

@test "krun: libkrun 1.8 (no console calls of 1.16): -t is the implicit console on ross-krun's stdio; krun_set_console_output without -t" {
        export ROSS_FAKE_KRUN_RUN=1 ROSS_FAKE_KRUN_STDOUT="hello from the console" \
                ROSS_FAKE_KRUN_STDERR="stderr to krun.log"
        krun_daemon "$FAKE_18"
        run pty "$ROSS_CLI" run -it --name kt --runtime krun "$REG_PLAIN/busybox" sh <<'STEPS'
expect hello from the console
STEPS
        assert_status 0
        ! call krun_disable_implicit_console | grep -q .
        ! call krun_add_virtio_console_default | grep -q .
        ! call krun_set_console_output | grep -q .
        # libkrun's console on fds 0, 1 and 2: the pty twice and krun.log, which libkrun
        # makes a krun-stderr port: ross-init's own stderr (its command's is hvc0, the pty)
        id=$(ross inspect kt | jq -r '.[0].Id')
        run ross logs kt
        assert_output_contains "hello from the console"
        [[ "$output" != *"stderr to krun.log"* ]]
        grep -q "stderr to krun.log" "$DATA/containers/$id/vm/krun.log"
        # without -t: libkrun 1.8 has krun_set_console_output
        run ross run --name kn --runtime krun "$REG_PLAIN/busybox" true
        assert_status 0
        id=$(ross inspect kn | jq -r '.[0].Id')
        [ "$(call krun_set_console_output | jq -r .filepath)" = "$DATA/containers/$id/vm/console.log" ]
        [ "$(cat "$DATA/containers/$id/vm/console.log")" = "hello from the consolestderr to krun.log" ]
}

@test "krun: libkrun 1.8 (no virtiofs3, no vsock_port2): :ro is a read-only bind in ross-krun's own mount namespace" {
        krun_daemon "$FAKE_18"
        mkdir -p "$BATS_TEST_TMPDIR/ro" "$BATS_TEST_TMPDIR/rw"
        run ross run --rm --runtime krun -v "$BATS_TEST_TMPDIR/rw:/data" -v "$BATS_TEST_TMPDIR/ro:/config:ro" \
                "$REG_PLAIN/busybox" true
        assert_status 0
        ! call krun_add_virtiofs3 | grep -q .
        # the host enforces :ro: libkrun serves the ro share from a read-only mount
        [ "$(call krun_add_virtiofs | jq -c '[.tag, .host_read_only]' | tr -d '\n')" = \
                '["ross.vol0",false]["ross.vol1",true]' ]
        # ... in ross-krun's namespace only: the host's directory stays writable
        touch "$BATS_TEST_TMPDIR/ro/still-writable"
        ! grep -q "$BATS_TEST_TMPDIR/ro" /proc/self/mountinfo
        [ "$(call krun_add_vsock_port | jq -c .port | tr -d '\n')" = 102410251026 ]
        # no vCPU maximum to ask: the VM config as given; the older logger
        ! call krun_get_max_vcpus | grep -q .
        grep -q '"call":"krun_set_log_level","level":1' "$ROSS_FAKE_KRUN_LOG"
}

@test "krun: a library without the optional calls (libkrun 1.0's) is refused with what is missing" {
        krun_daemon "$FAKE_MIN"
        run ross run --rm --runtime krun "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "this libkrun has no vsock ports (libkrun 1.8 or later is needed)"
        run ross run --rm --runtime krun -v "$BATS_TEST_TMPDIR:/x" "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "this libkrun has no virtio-fs (libkrun 1.8 or later is needed for volumes)"
        # nothing of it is left running
        ! pgrep -f "ross-krun .*$DATA" >/dev/null
}

@test "krun: a missing library, and a context libkrun cannot make: the note's message" {
        krun_daemon "$BATS_TEST_TMPDIR/no-such-libkrun.so.1"
        run ross run --rm --runtime krun "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "Failed to create libkrun context: $BATS_TEST_TMPDIR/no-such-libkrun.so.1: cannot open shared object file"
        # the other runtimes are not touched
        run ross run --rm "$REG_PLAIN/busybox" echo fine
        assert_status 0
        [ "$output" = fine ]
        stop_daemon
        export ROSS_FAKE_KRUN_FAIL=krun_create_ctx:-ENOMEM
        krun_daemon "$FAKE_FULL"
        run ross run --rm --runtime krun "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "Failed to create libkrun context: Cannot allocate memory"
}

@test "krun: a libkrun call that fails is the start's error, naming it; nothing runs" {
        export ROSS_FAKE_KRUN_FAIL=krun_add_vsock_port2:-ENODEV
        krun_daemon "$FAKE_FULL"
        run ross run --rm --runtime krun "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "libkrun: vsock port 1024: No such device"
        ! grep -q '"call":"krun_start_enter"' "$ROSS_FAKE_KRUN_LOG"
}

@test "krun: a KVM that cannot run a guest: libkrun is refused saying so; the daemon runs crun containers still" {
        # the double plays the real library: the daemon's probe then wants a KVM that runs a
        # guest, which it decides as for --vm-accel (src/vm/accel.c)
        export ROSS_FAKE_KRUN_AS_REAL=1
        krun_daemon "$FAKE_FULL"
        ! grep -q "test double for libkrun" "$DAEMON_LOG"
        if grep -q "krun: .* loads, KVM works" "$DAEMON_LOG"; then
                skip "this host's KVM runs a guest (the daemon's probe says so): there is no refusal to see"
        fi
        run ross run --rm --runtime krun "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "libkrun needs KVM, which cannot run a guest here: "
        # ... and why, in the probe's words: no /dev/kvm, no permission, or a KVM such as
        # this host's PVM backend that cannot run a stock guest
        local why='there is no /dev/kvm|no permission to open /dev/kvm|/dev/kvm does not open'
        why+='|another KVM API|KVM_CREATE_VM failed|a probe guest did not run|KVM-PVM|neither kvm_intel nor kvm_amd'
        [[ "$output" =~ $why ]]
        # no VM was started: the calls are the probe's alone
        ! grep -q '"call":"krun_set_vm_config"' "$ROSS_FAKE_KRUN_LOG"
        if command -v docker >/dev/null; then
                run docker run --rm --runtime krun "$REG_PLAIN/busybox" true
                [ "$status" -ne 0 ]
                assert_output_contains "libkrun needs KVM, which cannot run a guest here"
        fi
        # the other runtimes are not touched
        run ross run --rm --runtime crun "$REG_PLAIN/busybox" echo fine
        assert_status 0
        [ "$output" = fine ]
        run ross run --rm "$REG_PLAIN/busybox" echo fine
        assert_status 0
        [ "$output" = fine ]
        # named as the default runtime it stops the daemon from starting, with the same words
        stop_daemon
        run start_daemon --krun-library "$FAKE_FULL" --default-runtime krun
        [ "$status" -ne 0 ]
        grep -q "libkrun needs KVM, which cannot run a guest here" "$DAEMON_LOG"
}

@test "krun: ROSS_LOG=debug or --log-level debug is libkrun's debug level (4); libkrun 1.8 gets it too" {
        # the logger is set before the VM's context is made: the whole log, one VM at a time
        logger() { jq -c "select(.call == \"$1\") | $2" "$ROSS_FAKE_KRUN_LOG"; }
        krun_daemon "$FAKE_FULL" --log-level debug
        : >"$ROSS_FAKE_KRUN_LOG"
        run ross run --rm --runtime krun "$REG_PLAIN/busybox" true
        assert_status 0
        [ "$(logger krun_init_log '[.target_fd, .level, .style, .options, .ret]')" = "[-1,4,2,1,0]" ]
        stop_daemon
        # the environment variable (the daemon's alone: the CLI stays quiet)
        ROSS_LOG=debug krun_daemon "$FAKE_FULL"
        : >"$ROSS_FAKE_KRUN_LOG"
        run ross run --rm --runtime krun "$REG_PLAIN/busybox" true
        assert_status 0
        [ "$(logger krun_init_log .level)" = 4 ]
        stop_daemon
        # an older library: its only logger call
        krun_daemon "$FAKE_18" --log-level debug
        : >"$ROSS_FAKE_KRUN_LOG"
        run ross run --rm --runtime krun "$REG_PLAIN/busybox" true
        assert_status 0
        [ "$(logger krun_set_log_level '[.level, .ret]')" = "[4,0]" ]
        [ -z "$(logger krun_init_log .level)" ]
}

@test "krun: run -d and wait give the VM's status; start again; rm; --rm, with -d too" {
        export ROSS_FAKE_KRUN_EXIT=3
        krun_daemon "$FAKE_FULL"
        local id
        id=$(ross run -d --name kd --runtime krun "$REG_PLAIN/busybox" true)
        run ross wait kd
        assert_status 0
        [ "$output" = 3 ]
        [ "$(ross inspect kd | jq -r '.[0].State.Status')" = exited ]
        [ "$(ross inspect kd | jq -r '.[0].State.ExitCode')" = 3 ]
        ! pgrep -f "$DATA/containers/$id/vm/krun.cfg" >/dev/null
        # again: a VM of its own, the same status
        run ross start -a kd
        assert_status 3
        [ "$(jq -c 'select(.call == "exit") | .status' "$ROSS_FAKE_KRUN_LOG" | tr -d '\n')" = 33 ]
        run ross rm kd
        assert_status 0
        [ ! -e "$DATA/containers/$id" ]
        [ ! -e "$RUN/runtime/krun/${id:0:16}" ]
        # --rm: the container goes with its VM, its status is the run's
        run ross run --rm --name kr --runtime krun "$REG_PLAIN/busybox" true
        assert_status 3
        run ross inspect kr
        assert_status 1
        # -d --rm: the daemon removes it
        run ross run -d --rm --name kdr --runtime krun "$REG_PLAIN/busybox" true
        assert_status 0
        for _ in $(seq 1 50); do ross inspect kdr >/dev/null 2>&1 || break; sleep 0.1; done
        run ross inspect kdr
        assert_status 1
        [ -z "$(ross ps -a -q)" ]
}

@test "krun: a VM outlives a kill -9 of the daemon; its exit is recorded for the next one; rm" {
        # the double never speaks ross-init's protocol: to the shim its VM is starting until
        # it ends, here when the test says (ROSS_FAKE_KRUN_HOLD; within the shim's 10 s for
        # the control channel)
        export ROSS_FAKE_KRUN_EXIT=5 ROSS_FAKE_KRUN_HOLD=$BATS_TEST_TMPDIR/end-the-vm
        krun_daemon "$FAKE_FULL"
        ross create --name long --runtime krun "$REG_PLAIN/busybox" true >/dev/null
        local id i
        id=$(ross inspect long | jq -r '.[0].Id')
        ross start long >/dev/null 2>&1 3>&- &
        local starter=$!
        for i in $(seq 1 100); do
                grep -q '"call":"krun_start_enter"' "$ROSS_FAKE_KRUN_LOG" && break
                sleep 0.05
        done
        grep -q '"call":"krun_start_enter"' "$ROSS_FAKE_KRUN_LOG"
        kill -9 "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
        wait "$starter" || true # its daemon went away under it
        DATA=$DATA start_daemon --krun-library "$FAKE_FULL"
        # the shim and its VM are still there
        [ "$(ross inspect long | jq -r '.[0].State.Status')" = running ]
        pgrep -f "$DATA/containers/$id/vm/krun.cfg" >/dev/null
        touch "$ROSS_FAKE_KRUN_HOLD"
        run ross wait long
        assert_status 0
        [ "$output" = 5 ]
        [ "$(ross inspect long | jq -r '.[0].State.Status')" = exited ]
        [ "$(ross inspect long | jq -r '.[0].State.ExitCode')" = 5 ]
        ! pgrep -f "$DATA/containers/$id/vm/krun.cfg" >/dev/null
        ross rm long >/dev/null
        [ ! -e "$DATA/containers/$id" ]
        [ ! -e "$RUN/runtime/krun/${id:0:16}" ]
        run ross ps -a -q
        [ "$output" = "" ]
}

@test "krun: /info lists the runtime; docker run --runtime krun" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        export ROSS_FAKE_KRUN_EXIT=4
        krun_daemon "$FAKE_FULL"
        api GET /info | jq -e '.Runtimes | has("krun")' >/dev/null
        run docker run --rm --runtime krun "$REG_PLAIN/busybox" true
        assert_status 4
}

@test "krun: a build without libkrun support gives the note's message" {
        local b=${ROSS_KRUN_DISABLED_BUILD:-$BATS_RUN_TMPDIR/build-nokrun}
        if [ ! -x "$b/programs/ross-daemon" ]; then
                meson setup "$b" -Dlibkrun=disabled >/dev/null
                ninja -C "$b" programs/ross-daemon programs/ross-cli programs/ross-shim \
                        programs/ross-init programs/ross-pull programs/ross-rootfs >/dev/null
        fi
        ROSS_DAEMON=$b/programs/ross-daemon
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        run ross run --rm --runtime krun "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "libkrun support not available"
        assert_output_contains "-Dlibkrun=enabled"
}
