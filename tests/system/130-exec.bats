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
        # found out once the stream is there, as Docker: the exec ran and failed, 126
        run ross exec -u nobody box true
        assert_status 126
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

# A raw client of the API (no SDK between the bytes and the test): HTTP over the socket.
# rawapi METHOD PATH [JSON BODY] [upgrade]: prints the response head's first line, the
# Content-Type, then the body/stream as Python bytes (repr).
rawapi() {
        python3 - "$SOCK" "$@" <<'PY'
import json, socket, sys, time
sock, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else b""
upgrade = len(sys.argv) > 5 and sys.argv[5] == "upgrade"
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
h = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
if upgrade:
    h += "Connection: Upgrade\r\nUpgrade: tcp\r\n"
s.sendall(h.encode() + b"\r\n" + body)
s.settimeout(10)
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(65536)
head, _, rest = data.partition(b"\r\n\r\n")
lines = head.decode().split("\r\n")
ctype = [l.split(": ", 1)[1] for l in lines[1:] if l.lower().startswith("content-type")]
if lines[0].split(" ")[1] != "101":
    n = [int(l.split(": ", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length")]
    while n and len(rest) < n[0]:
        rest += s.recv(65536)
else:
    while True:
        d = s.recv(65536)
        if not d:
            break
        rest += d
print(lines[0].split(" ", 2)[1])
print(ctype[0] if ctype else "")
print(repr(rest))
PY
}

exec_create() { # BODY: the new exec's id
        api POST /containers/box/exec -H 'Content-Type: application/json' -d "$1" | jq -r .Id
}

@test "exec with the daemon at --log-level debug: -t, -i, -it, docker exec -t (argv overflowed once)" {
        stop_daemon
        start_daemon --log-level debug
        run ross exec -t box sh -c 'tty; echo t-out'
        assert_status 0
        assert_output_contains /dev/pts/
        assert_output_contains t-out
        run ross exec -i box cat <<<"exec stdin"
        assert_status 0
        [ "$output" = "exec stdin" ]
        run ross exec -i -t box true </dev/null
        assert_status 125
        run "$BATS_TEST_DIRNAME/ptydrive.py" "$ROSS_CLI" exec -it box sh <<'STEPS'
expect # 
send echo $((4*4))z\r
expect 16z
send exit 2\r
STEPS
        assert_output_contains "[exit 2]"
        run docker exec -t box echo via-docker
        assert_status 0
        assert_output_contains via-docker
        ! grep -q "Bad address" "$DAEMON_LOG"
}

@test "an attached exec delivers every byte: 40 times each, tty or not, docker CLI and python SDK" {
        local i out
        for i in $(seq 40); do
                out=$(docker exec box sh -c 'echo hello out; echo hello err >&2' 2>&1)
                [ "$out" = $'hello out\nhello err' ] || { echo "run $i: [$out]"; return 1; }
                out=$(docker exec -t box sh -c 'echo hello out; echo hello err >&2')
                [ "$out" = $'hello out\r\nhello err\r' ] || { echo "tty run $i: [$out]"; return 1; }
                out=$(ross exec box sh -c 'echo hello out; echo hello err >&2' 2>&1)
                [ "$out" = $'hello out\nhello err' ] || { echo "ross run $i: [$out]"; return 1; }
        done
        run python3 - "$SOCK" <<'PY'
import sys, docker
box = docker.DockerClient(base_url="unix://" + sys.argv[1]).containers.get("box")
bad = 0
for tty, want in ((True, b"hello out\r\nhello err\r\n"), (False, b"hello out\nhello err\n")):
    for i in range(50):
        r = box.exec_run(["sh", "-c", "echo hello out; echo hello err >&2"], tty=tty)
        if r.output != want or r.exit_code != 0:
            bad += 1
            print("tty" if tty else "plain", i, repr(r.output), r.exit_code)
print("bad", bad)
PY
        [ "${lines[-1]}" = "bad 0" ] || { echo "$output"; return 1; }
}

@test "exec framing follows the start's Tty; the create's Tty gives the pty" {
        # a pty, started with Tty false: multiplexed, the pty's output as stdout frames
        id=$(exec_create '{"Cmd":["sh","-c","tty >/dev/null && echo hello out"],"Tty":true,"AttachStdout":true,"AttachStderr":true}')
        run rawapi POST "/exec/$id/start" '{"Detach":false,"Tty":false}' upgrade
        [ "${lines[0]}" = 101 ]
        [ "${lines[1]}" = application/vnd.docker.multiplexed-stream ]
        [ "${lines[2]}" = "b'\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x0bhello out\\r\\n'" ]
        # pipes, started with Tty true: raw bytes
        id=$(exec_create '{"Cmd":["sh","-c","echo a; sleep 0.2; echo b >&2"],"AttachStdout":true,"AttachStderr":true}')
        run rawapi POST "/exec/$id/start" '{"Detach":false,"Tty":true}' upgrade
        [ "${lines[1]}" = application/vnd.docker.raw-stream ]
        [ "${lines[2]}" = "b'a\\nb\\n'" ]
        # only the streams the create attached
        id=$(exec_create '{"Cmd":["sh","-c","echo a; echo b >&2"],"AttachStdout":false,"AttachStderr":true}')
        run rawapi POST "/exec/$id/start" '{"Detach":false,"Tty":false}' upgrade
        [ "${lines[2]}" = "b'\\x02\\x00\\x00\\x00\\x00\\x00\\x00\\x02b\\n'" ]
        # ConsoleSize sizes the pty (process.consoleSize, and the shim's resize once it holds
        # the pty: crun may hand the pty over before it applies the size, so give it a moment)
        id=$(exec_create '{"Cmd":["sh","-c","sleep 0.5; stty size"],"Tty":true,"AttachStdout":true}')
        run rawapi POST "/exec/$id/start" '{"Detach":false,"Tty":true,"ConsoleSize":[33,111]}' upgrade
        [ "${lines[2]}" = "b'33 111\\r\\n'" ]
        run rawapi POST "/exec/$id/start" '{"Detach":false,"Tty":true}' upgrade
        [ "${lines[0]}" = 409 ]
}

@test "exec DetachKeys from the create are honoured; bad ones are refused at create" {
        id=$(exec_create '{"Cmd":["sh","-c","sleep 30"],"Tty":true,"AttachStdin":true,"AttachStdout":true,"DetachKeys":"ctrl-x"}')
        run python3 - "$SOCK" "$id" <<'PY'
import socket, sys, time, json
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
body = b'{"Detach":false,"Tty":true}'
s.sendall(f"POST /exec/{sys.argv[2]}/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
s.settimeout(5)
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(4096)
time.sleep(0.3)
s.sendall(b"\x10\x11")   # the default keys: input here
time.sleep(0.3)
s.sendall(b"\x18")       # ctrl-x: detach
t = time.time()
while s.recv(4096):
    pass
print("closed after %.1f s" % (time.time() - t))
PY
        assert_output_contains "closed after 0."
        run curl -s --unix-socket "$SOCK" "http://ross/exec/$id/json"
        [ "$(echo "$output" | jq -r .Running)" = true ]
        [ "$(echo "$output" | jq -r .DetachKeys)" = ctrl-x ]
        run api POST /containers/box/exec -H 'Content-Type: application/json' -d '{"Cmd":["true"],"DetachKeys":"ctrl-%"}'
        assert_output_contains "Invalid escape keys (ctrl-%) provided"
        # ross-cli sends its --detach-keys with the create too
        run "$BATS_TEST_DIRNAME/ptydrive.py" "$ROSS_CLI" exec -it --detach-keys ctrl-b box sh <<'STEPS'
expect # 
send \x02
STEPS
        assert_output_contains "[exit 0]"
}

@test "a missing or non-executable command: the start succeeds, the exit code is 127 or 126" {
        id=$(exec_create '{"Cmd":["no-such-cmd"],"AttachStdout":true,"AttachStderr":true}')
        run rawapi POST "/exec/$id/start" '{"Detach":false,"Tty":false}' upgrade
        [ "${lines[0]}" = 101 ]
        assert_output_contains "OCI runtime exec failed"
        assert_output_contains "no-such-cmd"
        run curl -s --unix-socket "$SOCK" "http://ross/exec/$id/json"
        [ "$(echo "$output" | jq -r .ExitCode)" = 127 ] && [ "$(echo "$output" | jq -r .Running)" = false ]
        run -127 docker exec box no-such-cmd
        assert_output_contains "OCI runtime exec failed"
        assert_output_contains no-such-cmd
        run -126 docker exec box /etc
        assert_output_contains "OCI runtime exec failed"
        run -126 ross exec box /etc/passwd
        run -127 ross exec -t box no-such-cmd
        assert_output_contains no-such-cmd
        # detached, Docker answers the start with the error
        id=$(exec_create '{"Cmd":["no-such-cmd"]}')
        run api POST "/exec/$id/start" -H 'Content-Type: application/json' -d '{"Detach":true}' -w '\n%{http_code}'
        [ "${lines[-1]}" = 400 ]
        run curl -s --unix-socket "$SOCK" "http://ross/exec/$id/json"
        [ "$(echo "$output" | jq -r .ExitCode)" = 127 ]
        run python3 - "$SOCK" <<'PY'
import sys, docker
box = docker.DockerClient(base_url="unix://" + sys.argv[1]).containers.get("box")
r = box.exec_run(["no-such-cmd"])
print(r.exit_code, r.output)
PY
        assert_output_contains "127 b'OCI runtime exec failed"
}
