#!/usr/bin/env bats
# The krun runtime for real: libkrun (libkrun.so.1, or ROSS_TEST_LIBKRUN=PATH) and a KVM
# that runs a stock guest (Linux), or Hypervisor.framework (macOS). These machines have
# neither, so every test here skips, saying why; docs/krun.md says how to run them on a KVM
# host or a Mac. 170-krun.bats checks the same paths against the test double.

bats_require_minimum_version 1.5.0

load helpers

setup() {
        local lib=${ROSS_TEST_LIBKRUN:-libkrun.so.1}
        start_daemon --log-level debug --krun-library "$lib"
        if ! grep -q "krun: .* loads, KVM works" "$DAEMON_LOG"; then
                local why
                why=$(sed -n 's/.*runtime krun cannot run containers here: //p' "$DAEMON_LOG" | head -1)
                skip "no real libkrun with a usable KVM here: ${why:-unknown}"
        fi
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
}

teardown() {
        teardown_containers
}

@test "krun real: run prints the output, keeps stdout and stderr apart, gives the exit code" {
        run --separate-stderr ross run --rm --runtime krun "$REG_PLAIN/busybox" \
                sh -c 'echo Hello from VM; echo oops >&2; exit 3'
        assert_status 3
        [ "$output" = "Hello from VM" ]
        [ "$stderr" = oops ]
        run ross run --rm --runtime krun "$REG_PLAIN/busybox" no-such-command
        assert_status 127
}

@test "krun real: -it is a terminal in the guest" {
        run "$BATS_TEST_DIRNAME/ptydrive.py" --rows 30 --cols 100 "$ROSS_CLI" run -it --rm --runtime krun "$REG_PLAIN/busybox" sh <<'STEPS'
expect # 
send stty size\r
expect 30 100
send exit 6\r
STEPS
        assert_status 0
        assert_output_contains "[exit 6]"
}

@test "krun real: -v :ro refuses writes, rw writes reach the host" {
        local rw=$BATS_TEST_TMPDIR/rw ro=$BATS_TEST_TMPDIR/ro
        mkdir -p "$rw" "$ro"
        echo original >"$ro/f"
        run ross run --rm --runtime krun -v "$rw:/data" -v "$ro:/config:ro" "$REG_PLAIN/busybox" \
                sh -c 'cat /config/f; echo written >/data/out; echo x >/config/f || echo refused'
        assert_status 0
        assert_output_contains original
        assert_output_contains refused
        [ "$(cat "$rw/out")" = written ]
        [ "$(cat "$ro/f")" = original ]
}

@test "krun real: stop delivers SIGTERM to the workload; exec runs inside the VM" {
        local v=$BATS_TEST_TMPDIR/v
        mkdir -p "$v"
        ross run -d --name kt --runtime krun -v "$v:/v" "$REG_PLAIN/busybox" \
                sh -c 'trap "echo got-term >/v/term; exit 42" TERM; while :; do sleep 0.1; done' >/dev/null
        run ross exec kt sh -c 'echo in-vm; exit 5'
        assert_status 5
        [ "$output" = in-vm ]
        ross stop kt
        [ "$(cat "$v/term")" = got-term ]
        [ "$(ross inspect kt | jq -r '.[0].State.ExitCode')" = 42 ]
}
