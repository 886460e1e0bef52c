#!/usr/bin/env bats
# POST /containers/{id}/attach with logs and stream, as Docker answers it: an exited
# container answers at once (its log with logs=1, multiplexed or raw as its tty says, then
# the end); a running one replays its log, then goes on live without losing or repeating a
# byte at the seam; stream=0 stops after the log. Through curl, a raw client, the docker CLI
# and the python SDK.

bats_require_minimum_version 1.5.0

load helpers

setup() {
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
}

teardown() {
        teardown_containers
}

# attach_raw SECONDS QUERY CONTAINER: the stream's bytes (after the 101's head) on stdout,
# read until the daemon closes it or SECONDS pass; "[closed]" or "[open]" on stderr.
attach_raw() {
        python3 - "$SOCK" "$1" "$2" "$3" <<'PY'
import socket, sys, time
sock, secs, query, ctr = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
s.sendall(f"POST /containers/{ctr}/attach?{query} HTTP/1.1\r\nHost: x\r\n"
          "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n".encode())
s.settimeout(0.2)
data, end, closed = b"", time.time() + secs, False
while time.time() < end:
    try:
        d = s.recv(65536)
    except socket.timeout:
        continue
    if not d:
        closed = True
        break
    data += d
head, _, body = data.partition(b"\r\n\r\n")
sys.stdout.buffer.write(body)
print("[closed]" if closed else "[open]", file=sys.stderr)
PY
}

# demux < STREAM: Docker's frames as "STREAM:TEXT" lines, one per frame, \n shown as \n
demux() {
        python3 -c '
import struct, sys
d = sys.stdin.buffer.read()
i = 0
while i + 8 <= len(d):
    n = struct.unpack(">I", d[i + 4:i + 8])[0]
    print("%d:%s" % (d[i], d[i + 8:i + 8 + n].decode(errors="replace").replace("\n", "\\n")))
    i += 8 + n
if i != len(d):
    print("trailing %d bytes" % (len(d) - i))
'
}

@test "an exited container: logs=1 replays the log at once (only the streams asked), then closes" {
        ross run --name ex "$REG_PLAIN/busybox" sh -c 'echo line1; sleep 0.1; echo line2 >&2; sleep 0.1; echo line3' >/dev/null 2>&1
        start=$(date +%s%N)
        run timeout 5 curl -s --unix-socket "$SOCK" -X POST -H 'Connection: Upgrade' -H 'Upgrade: tcp' \
                "http://ross/containers/ex/attach?logs=1&stream=0&stdout=1&stderr=1" -o "$BATS_TEST_TMPDIR/all"
        assert_status 0
        [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ]
        run demux <"$BATS_TEST_TMPDIR/all"
        [ "$output" = $'1:line1\\n\n2:line2\\n\n1:line3\\n' ]
        run bash -c "timeout 5 curl -s --unix-socket '$SOCK' -X POST -H 'Connection: Upgrade' -H 'Upgrade: tcp' \
                'http://ross/containers/ex/attach?logs=1&stream=0&stdout=0&stderr=1' | python3 -c 'import sys; print(repr(sys.stdin.buffer.read()))'"
        [ "$output" = "b'\\x02\\x00\\x00\\x00\\x00\\x00\\x00\\x06line2\\n'" ]
        timeout 5 curl -s --unix-socket "$SOCK" -X POST -H 'Connection: Upgrade' -H 'Upgrade: tcp' \
                "http://ross/containers/ex/attach?logs=1&stream=0&stdout=1" -o "$BATS_TEST_TMPDIR/out"
        run demux <"$BATS_TEST_TMPDIR/out"
        [ "$output" = $'1:line1\\n\n1:line3\\n' ]
        # without logs and without stream: nothing, at once
        run attach_raw 5 "stdout=1&stderr=1" ex
        [ "$output" = "[closed]" ]
        # a tty's log comes back raw
        ross run -t --name extty "$REG_PLAIN/busybox" sh -c 'echo tty out; echo tty err >&2' >/dev/null
        run attach_raw 5 "logs=1&stream=0&stdout=1&stderr=1" extty
        [ "$output" = $'tty out\r\ntty err\r\n[closed]' ]
}

@test "an exited container with stream=1: the log, then the next start's output (start -a)" {
        ross create --name again "$REG_PLAIN/busybox" sh -c 'echo run at $(cat /proc/uptime | cut -d" " -f1)' >/dev/null
        ross start -a again >/dev/null
        first=$(ross logs again)
        attach_raw 8 "logs=1&stream=1&stdout=1&stderr=1" again >"$BATS_TEST_TMPDIR/s" 2>"$BATS_TEST_TMPDIR/e" &
        pid=$!
        sleep 1
        ross start again >/dev/null
        wait "$pid"
        run demux <"$BATS_TEST_TMPDIR/s"
        [ "${#lines[@]}" -eq 2 ] && [ "${lines[0]}" = "1:$first\\n" ]
        [[ "${lines[1]}" == "1:run at "* ]] && [ "${lines[1]}" != "${lines[0]}" ]
        grep -qx '\[closed\]' "$BATS_TEST_TMPDIR/e"
        # the docker CLI: start -a of an exited container prints its new run and its code
        ross create --name twice "$REG_PLAIN/busybox" sh -c 'echo again; exit 3' >/dev/null
        ross start twice >/dev/null
        ross wait twice >/dev/null
        run docker start -a twice
        assert_status 3
        [ "$output" = again ]
        # docker attach refuses an exited container at once
        run timeout 10 docker attach twice
        assert_status 1
        assert_output_contains "You cannot attach to a stopped container"
}

@test "a running container: logs=1 replays, then live, with nothing lost or repeated at the seam" {
        # an unfinished line at the moment of the attach comes once, joined to its end
        ross run -d --name part "$REG_PLAIN/busybox" sh -c 'echo first; echo -n part1; sleep 2; echo part2; sleep 60' >/dev/null
        sleep 1
        attach_raw 3 "logs=1&stream=1&stdout=1&stderr=1" part >"$BATS_TEST_TMPDIR/p" 2>/dev/null
        run demux <"$BATS_TEST_TMPDIR/p"
        [ "$(printf '%s' "$output" | sed 's/^1://' | tr -d '\n')" = 'first\npart1part2\n' ]
        # stream=0: the log so far, then the end, though it runs on
        attach_raw 5 "logs=1&stream=0&stdout=1" part >"$BATS_TEST_TMPDIR/p" 2>"$BATS_TEST_TMPDIR/pe"
        run demux <"$BATS_TEST_TMPDIR/p"
        [ "$output" = $'1:first\\n\n1:part1part2\\n' ]
        grep -qx '\[closed\]' "$BATS_TEST_TMPDIR/pe"
        [ "$(ross inspect part | jq -r '.[0].State.Running')" = true ]
        # a counter printed as fast as it goes, attached in the middle: every number once
        ross run -d --name count "$REG_PLAIN/busybox" sh -c 'i=0; while [ $i -lt 60000 ]; do echo $i; i=$((i+1)); done; echo -n end; sleep 60' >/dev/null
        sleep 0.2
        attach_raw 15 "logs=1&stream=1&stdout=1&stderr=1" count 2>/dev/null | python3 -c '
import struct, sys
d = sys.stdin.buffer.read()
out, i = b"", 0
while i + 8 <= len(d):
    n = struct.unpack(">I", d[i + 4:i + 8])[0]
    out += d[i + 8:i + 8 + n]
    i += 8 + n
want = "".join("%d\n" % k for k in range(60000)) + "end"
if out.decode() != want:
    print("got %d bytes, want %d; first difference at %d" % (len(out), len(want),
          next((k for k in range(min(len(out), len(want))) if out[k] != ord(want[k])), -1)))
    sys.exit(1)
'
}

@test "the python SDK: attach(logs=True, stream=False), exited and running, tty or not" {
        ross run --name pyex "$REG_PLAIN/busybox" sh -c 'echo out1; sleep 0.1; echo err1 >&2' >/dev/null 2>&1
        ross run -t --name pytty "$REG_PLAIN/busybox" sh -c 'echo tty1' >/dev/null
        ross run -d --name pyrun "$REG_PLAIN/busybox" sh -c 'echo running1; sleep 60' >/dev/null
        sleep 0.5
        run timeout 20 python3 - "$SOCK" <<'PY'
import sys, docker
c = docker.DockerClient(base_url="unix://" + sys.argv[1])
print(repr(c.containers.get("pyex").attach(logs=True, stream=False)))
print(repr(c.containers.get("pyex").attach(logs=True, stream=False, stdout=False)))
print(repr(c.containers.get("pytty").attach(logs=True, stream=False)))
print(repr(c.containers.get("pyrun").attach(logs=True, stream=False)))
print(repr(c.containers.get("pyex").attach(logs=False, stream=False)))
PY
        assert_status 0
        [ "${lines[0]}" = "b'out1\\nerr1\\n'" ]
        [ "${lines[1]}" = "b'err1\\n'" ]
        [ "${lines[2]}" = "b'tty1\\r\\n'" ]
        [ "${lines[3]}" = "b'running1\\n'" ]
        [ "${lines[4]}" = "b''" ]
}

@test "a query boolean that is not one is a 400 naming it (logs=maybe); Docker's spellings work" {
        ross run --name qb "$REG_PLAIN/busybox" sh -c 'echo said' >/dev/null 2>&1
        local p
        for p in logs stream stdin stdout stderr; do
                run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST -H 'Connection: Upgrade' \
                        -H 'Upgrade: tcp' "http://ross/containers/qb/attach?$p=maybe"
                [ "${lines[1]}" = 400 ] || { echo "$p=maybe: $output" >&2; return 1; }
                [ "$(jq -r .message <<<"${lines[0]}")" = "invalid value for $p: 'maybe' is not a boolean" ]
        done
        # a container that is not there is still a 404
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST \
                -H 'Connection: Upgrade' -H 'Upgrade: tcp' "http://ross/containers/nosuch/attach?logs=1"
        [ "$output" = 404 ]
        # "True" and "yes" are true, "false", "no", "0" and "" false
        attach_raw 5 "logs=True&stream=false&stdout=yes&stderr=no" qb >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e"
        run demux <"$BATS_TEST_TMPDIR/o"
        [ "$output" = '1:said\n' ]
        grep -qx '\[closed\]' "$BATS_TEST_TMPDIR/e"
        run attach_raw 5 "logs=0&stream=&stdout=1" qb
        [ "$output" = "[closed]" ]
}
