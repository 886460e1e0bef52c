#!/usr/bin/env bats
# Interactive containers (issue 4, part 2): stdin, a real pty, window sizes, detach keys,
# attach; driven through a real pseudo-terminal (ptydrive.py) as a user's terminal would.

bats_require_minimum_version 1.5.0

load helpers

setup() {
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
}

teardown() {
        teardown_containers
}

# pty [--rows R --cols C] COMMAND...: run on a terminal, the steps from stdin
pty() {
        "$BATS_TEST_DIRNAME/ptydrive.py" "$@"
}

@test "-i streams stdin and closes it at EOF; every byte arrives" {
        run ross run -i "$REG_PLAIN/busybox" cat <<<hi
        assert_status 0
        [ "$output" = hi ]
        head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
        want=$(sha256sum <"$BATS_TEST_TMPDIR/in" | cut -d' ' -f1)
        run ross run -i --rm "$REG_PLAIN/busybox" sha256sum <"$BATS_TEST_TMPDIR/in"
        assert_status 0
        [ "${output%% *}" = "$want" ]
        # without -i the container's stdin is empty
        run ross run --rm "$REG_PLAIN/busybox" cat <<<ignored
        assert_status 0
        [ "$output" = "" ]
        # stdin and the exit code
        run ross run -i --rm "$REG_PLAIN/busybox" sh -c 'read x; exit $x' <<<7
        assert_status 7
}

@test "-it gives a real pty with the terminal's size, follows SIGWINCH, returns the exit code" {
        run pty --rows 30 --cols 100 "$ROSS_CLI" run -it --rm "$REG_PLAIN/busybox" sh <<'STEPS'
expect # 
send tty; stty size\r
expect 30 100
resize 41 123
sleep 0.3
send stty size\r
expect 41 123
send exit 6\r
STEPS
        assert_status 0
        assert_output_contains /dev/pts/0
        assert_output_contains "[exit 6]"
        # raw mode: a Ctrl-C goes to the container's shell, not to ross-cli
        run pty "$ROSS_CLI" run -it --rm "$REG_PLAIN/busybox" sh <<'STEPS'
expect # 
send sleep 30\r
sleep 0.5
send \x03
expect # 
send echo still here\r
expect still here
send exit 3\r
STEPS
        assert_output_contains "[exit 3]"
        # -it with a stdin that is not a terminal is refused, as Docker does
        run ross run -it --rm "$REG_PLAIN/busybox" true </dev/null
        assert_status 125
        assert_output_contains "the input device is not a TTY"
}

@test "Ctrl-P Ctrl-Q detaches, attach comes back, the exit code comes back" {
        run pty "$ROSS_CLI" run -it --name box "$REG_PLAIN/busybox" sh <<'STEPS'
expect # 
send echo one\r
expect one
send \x10\x11
STEPS
        assert_output_contains "[exit 0]"
        run ross inspect box
        [ "$(echo "$output" | jq -r '.[0].State.Status')" = running ]
        run pty "$ROSS_CLI" attach box <<'STEPS'
send echo $((1+1))two\r
expect 2two
send exit 4\r
STEPS
        assert_output_contains "[exit 4]"
        run ross inspect box
        [ "$(echo "$output" | jq -r '.[0].State.ExitCode')" = 4 ]
        # the whole session is in the log
        run ross logs box
        assert_output_contains "echo one"
        assert_output_contains "2two"
        # a Ctrl-P followed by something else is input, not a detach
        run pty "$ROSS_CLI" run -it --rm "$REG_PLAIN/busybox" sh <<'STEPS'
expect # 
send \x10x\x08\x08
send echo ok\r
expect ok
send exit 0\r
STEPS
        assert_output_contains "[exit 0]"
}

@test "--detach-keys sets other keys; bad keys are refused" {
        run pty "$ROSS_CLI" run -it --detach-keys ctrl-x,y --name other "$REG_PLAIN/busybox" sh <<'STEPS'
expect # 
send \x10\x11echo still attached\r
expect still attached
send \x18y
STEPS
        assert_output_contains "[exit 0]"
        run ross inspect other
        [ "$(echo "$output" | jq -r '.[0].State.Running')" = true ]
        run pty "$ROSS_CLI" attach --detach-keys ctrl-a other <<'STEPS'
send echo $((2+1))back\r
expect 3back
send \x01
STEPS
        assert_output_contains "[exit 0]"
        run ross inspect other
        [ "$(echo "$output" | jq -r '.[0].State.Running')" = true ]
        run ross run -it --detach-keys ctrl-% "$REG_PLAIN/busybox" true
        assert_status 125
        assert_output_contains 'invalid detach keys "ctrl-%"'
}

@test "attach: a stopped container is refused; -d -i keeps stdin open for attach" {
        ross create --name made "$REG_PLAIN/busybox" true >/dev/null
        run ross attach made
        assert_status 1
        assert_output_contains "You cannot attach to a stopped container"
        run ross attach nosuch
        assert_status 1
        assert_output_contains "No such container"
        # -d -i: stdin stays open until someone attaches and types
        ross run -d -i --name reader "$REG_PLAIN/busybox" sh -c 'read line; echo "got $line"; exit 2' >/dev/null
        sleep 0.3
        run ross inspect reader
        [ "$(echo "$output" | jq -r '.[0].State.Running')" = true ]
        run ross attach reader <<<"hello"
        assert_status 2
        assert_output_contains "got hello"
}

@test "start -a -i attaches stdin and waits for the exit; output printed at once is kept" {
        ross create -i --name si "$REG_PLAIN/busybox" sh -c 'echo first; cat; echo last >&2' >/dev/null
        run --separate-stderr ross start -a -i si <<<"middle"
        assert_status 0
        [ "${lines[0]}" = first ] && [ "${lines[1]}" = middle ]
        [ "$stderr" = last ]
        # a container that prints and exits at once: every line arrives, every time
        for i in 1 2 3 4 5; do
                run ross run --rm "$REG_PLAIN/busybox" sh -c 'i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo $i; done'
                [ "${#lines[@]}" -eq 2000 ] && [ "${lines[1999]}" = 2000 ]
        done
}

@test "attach, stdin and stop work after kill -9 of the daemon" {
        run pty "$ROSS_CLI" run -it --name keep "$REG_PLAIN/busybox" sh <<'STEPS'
expect # 
send \x10\x11
STEPS
        kill -9 "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
        DATA=$DATA start_daemon
        run pty "$ROSS_CLI" attach keep <<'STEPS'
send echo $((6*7)) after restart\r
expect 42 after restart
send \x10\x11
STEPS
        assert_output_contains "[exit 0]"
        run ross stop -t 1 keep
        assert_status 0
        run ross inspect keep
        [ "$(echo "$output" | jq -r '.[0].State.Running')" = false ]
}

@test "the docker CLI: run -i with stdin, run -it with a pty, detach and attach" {
        run docker run -i --rm "$REG_PLAIN/busybox" cat <<<"through docker"
        assert_status 0
        [ "$output" = "through docker" ]
        run pty --rows 25 --cols 91 docker run -it --name dk "$REG_PLAIN/busybox" sh <<'STEPS'
expect # 
send stty size\r
expect 25 91
send \x10\x11
STEPS
        run docker inspect -f '{{.State.Running}}' dk
        [ "$output" = true ]
        run pty docker attach dk <<'STEPS'
send exit 9\r
STEPS
        assert_output_contains "[exit 9]"
}

@test "with the daemon logging at debug: run -it, run -i, attach, exec -t/-i/-it (its argv once overflowed)" {
        stop_daemon
        start_daemon --log-level debug
        run pty --rows 27 --cols 95 "$ROSS_CLI" run -it --name dbg "$REG_PLAIN/busybox" sh <<'STEPS'
expect # 
send stty size\r
expect 27 95
send \x10\x11
STEPS
        assert_output_contains "[exit 0]"
        run ross run -i --rm "$REG_PLAIN/busybox" cat <<<"debug stdin"
        assert_status 0
        [ "$output" = "debug stdin" ]
        run ross exec -t dbg sh -c 'tty; echo t-out'
        assert_status 0
        assert_output_contains /dev/pts/
        assert_output_contains t-out
        run ross exec -i dbg cat <<<"exec stdin"
        assert_status 0
        [ "$output" = "exec stdin" ]
        run pty "$ROSS_CLI" exec -it dbg sh <<'STEPS'
expect # 
send echo $((5*5))x\r
expect 25x
send exit 3\r
STEPS
        assert_output_contains "[exit 3]"
        run pty docker exec -it dbg sh <<'STEPS'
expect # 
send echo $((6*6))y\r
expect 36y
send exit 0\r
STEPS
        assert_output_contains "[exit 0]"
        run pty "$ROSS_CLI" attach dbg <<'STEPS'
send exit 7\r
STEPS
        assert_output_contains "[exit 7]"
        # the shims logged at debug too (the flag reached them)
        id=$(ross inspect dbg | jq -r '.[0].Id')
        grep -q "runs as pid" "$DATA/containers/$id/shim.log"
        ! grep -q "Bad address" "$DAEMON_LOG"
}
