#!/usr/bin/env bats
# exec: another process in a running container, through ross-cli and the docker CLI.

bats_require_minimum_version 1.5.0

load helpers

setup() {
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        ross run -d --name box "$REG_PLAIN/busybox" sleep 300 >/dev/null
}

teardown() {
        teardown_containers
}

@test "exec: output apart, exit code, env, workdir, user, stdin" {
        run --separate-stderr ross exec box sh -c 'echo out; echo err >&2; exit 3'
        assert_status 3
        [ "$output" = out ] && [ "$stderr" = err ]
        run ross exec -e FOO=bar -e PATH=/bin -w /tmp -u 1000:1000 box sh -c 'echo $FOO $PATH; pwd; id -u'
        assert_status 0
        [ "${lines[0]}" = "bar /bin" ] && [ "${lines[1]}" = /tmp ] && [ "${lines[2]}" = 1000 ]
        run ross exec -i box cat <<<"through stdin"
        assert_status 0
        [ "$output" = "through stdin" ]
        # it runs inside the container: its pid namespace, its hostname
        run ross exec box ps -o pid,comm
        [ "$(echo "$output" | awk '$1 == 1 { print $2 }')" = sleep ]
        run ross exec box hostname
        [ "$output" = "$(ross inspect box | jq -r '.[0].Id' | cut -c1-12)" ]
}

@test "exec -it: a pty with the terminal's size, resize, the exit code" {
        run "$BATS_TEST_DIRNAME/ptydrive.py" --rows 31 --cols 99 "$ROSS_CLI" exec -it box sh <<'STEPS'
expect # 
send tty; stty size\r
expect 31 99
resize 40 120
sleep 0.3
send stty size\r
expect 40 120
send exit 5\r
STEPS
        assert_output_contains /dev/pts/
        assert_output_contains "[exit 5]"
}

@test "exec -d runs in the background; bad input is refused" {
        run ross exec -d box sh -c 'echo bg > /tmp/marker'
        assert_status 0
        sleep 0.3
        run ross exec box cat /tmp/marker
        [ "$output" = bg ]
        run ross exec box no-such-command
        assert_status 127
        assert_output_contains no-such-command
        run ross exec nosuch true
        assert_status 1
        assert_output_contains "No such container"
        ross create --name stopped "$REG_PLAIN/busybox" true >/dev/null
        run ross exec stopped true
        assert_status 1
        assert_output_contains "is not running"
        run ross exec -w relative box true
        assert_status 125
        assert_output_contains "not absolute"
        run ross exec -u nobody box true
        assert_status 125
        assert_output_contains "unable to find user nobody"
        run curl -s --unix-socket "$SOCK" http://ross/exec/0123/json
        assert_output_contains "No such exec instance"
}

@test "the docker CLI: exec, exec -i, exec -it" {
        run docker exec box sh -c 'echo hi; exit 4'
        assert_status 4
        [ "$output" = hi ]
        run docker exec -i box cat <<<"via docker"
        [ "$output" = "via docker" ]
        run "$BATS_TEST_DIRNAME/ptydrive.py" docker exec -it box sh <<'STEPS'
expect # 
send echo $((3*3))\r
expect 9
send exit 2\r
STEPS
        assert_output_contains "[exit 2]"
}
