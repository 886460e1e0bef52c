#!/usr/bin/env bats
# The container log as Docker's json-file keeps it: --log-opt max-size and max-file rotate
# container.log into container.log.1 .. .N-1 (each file within max-size, but for the line
# that crossed it), every reader (GET /containers/{id}/logs, with follow across rotations,
# and attach with logs=1) reads all the files oldest first with no gap and no line twice;
# --log-driver none writes nothing and logs answers Docker's 501; bad options are refused at
# create in Docker's words; until leaves out what came later. Through ross-cli, curl, the
# docker CLI and the python SDK.

bats_require_minimum_version 1.5.0

load helpers

setup() {
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
}

teardown() {
        if command -v docker >/dev/null; then
                local id
                for id in $(docker ps -a -q 2>/dev/null); do docker rm -f "$id" >/dev/null 2>&1; done
        fi
        teardown_containers
}

# A shell command that prints 1..N, one line each (the test busybox has no seq).
count_to() { echo "i=1; while [ \$i -le $1 ]; do echo \$i; i=\$((i+1)); done"; }

# The directory of a container's log files.
log_dir() { dirname "$(api GET "/containers/$1/json" | jq -r .LogPath)"; }

# demux < STREAM: the payload of Docker's frames, concatenated.
demux() {
        python3 -c '
import struct, sys
d, i, out = sys.stdin.buffer.read(), 0, sys.stdout.buffer
while i + 8 <= len(d):
    n = struct.unpack(">I", d[i + 4:i + 8])[0]
    out.write(d[i + 8:i + 8 + n])
    i += 8 + n
'
}

# Wait until the container's log has a line that is exactly $2.
wait_log_line() {
        local i
        for i in $(seq 100); do
                ross logs "$1" 2>/dev/null | grep -qx "$2" && return 0
                sleep 0.1
        done
        echo "no line '$2' in the log of $1" >&2
        return 1
}

# assert_tail_of N: $output is "M\nM+1\n...\nN" for some M (the last lines, in order, none
# missing, none twice)
assert_tail_of() {
        local first
        first=$(head -1 <<<"$output")
        [[ "$first" =~ ^[0-9]+$ ]] || { echo "not a number first: $first" >&2; return 1; }
        if [ "$output" != "$(seq "$first" "$1")" ]; then
                echo "not the lines $first..$1 in order:" >&2
                diff <(echo "$output") <(seq "$first" "$1") | head -20 >&2
                return 1
        fi
}

@test "max-size=10k max-file=3: three files within 10k, logs gives the last lines in order across them" {
        ross run --name rot --log-opt max-size=10k --log-opt max-file=3 "$REG_PLAIN/busybox" sh -c "$(count_to 2000)" >/dev/null
        local d f size
        d=$(log_dir rot)
        [ -f "$d/container.log" ] && [ -f "$d/container.log.1" ] && [ -f "$d/container.log.2" ]
        [ ! -e "$d/container.log.3" ]
        for f in "$d"/container.log*; do
                size=$(stat -c %s "$f")
                # 10k is Docker's 10,000 bytes; a file may pass it by the one line that crossed
                [ "$size" -le 10100 ] || { echo "$f: $size bytes" >&2; return 1; }
        done
        # the two older files are full: the rotation kept what it should
        [ "$(stat -c %s "$d/container.log.2")" -gt 9000 ]
        run --separate-stderr ross logs rot
        assert_status 0
        assert_tail_of 2000
        local kept=${#lines[@]}
        [ "$kept" -gt 250 ] && [ "$kept" -lt 400 ]
        # exactly what the three files hold, oldest first: nothing lost or doubled at the seams
        [ "$output" = "$(cat "$d/container.log.2" "$d/container.log.1" "$d/container.log" | jq -j .log)" ]
        # the entries are Docker's json-file lines
        head -1 "$d/container.log.2" | jq -e '.stream == "stdout" and (.time | test("^20[0-9-]+T[0-9:.]+Z$"))' >/dev/null
        # a tail across the files' boundaries
        run ross logs --tail 200 rot
        [ "$output" = "$(seq 1801 2000)" ]
        run ross logs --tail 0 rot
        [ "$output" = "" ]
        # the API, raw: the same lines, framed
        api GET "/containers/rot/logs?stdout=1&stderr=1" | demux >"$BATS_TEST_TMPDIR/api"
        [ "$(cat "$BATS_TEST_TMPDIR/api")" = "$(ross logs rot)" ]
        # what the typed config keeps, as inspect shows it
        [ "$(api GET /containers/rot/json | jq -cS .HostConfig.LogConfig)" = '{"Config":{"max-file":"3","max-size":"10k"},"Type":"json-file"}' ]
}

@test "attach with logs=1 replays every rotated file, from the shim of a running container" {
        ross run -d --name rep --log-opt max-size=10k --log-opt max-file=3 "$REG_PLAIN/busybox" sh -c "$(count_to 2000); exec sleep 300" >/dev/null
        wait_log_line rep 2000
        timeout 10 curl -s --unix-socket "$SOCK" -X POST -H 'Connection: Upgrade' -H 'Upgrade: tcp' \
                "http://ross/containers/rep/attach?logs=1&stream=0&stdout=1&stderr=1" | demux >"$BATS_TEST_TMPDIR/replay"
        output=$(cat "$BATS_TEST_TMPDIR/replay")
        assert_tail_of 2000
        [ "$output" = "$(ross logs rep)" ]
        [ ${#output} -gt 1000 ]
}

@test "max-file=1: one file, begun again when full, no backup" {
        ross run --name one --log-opt max-size=5k --log-opt max-file=1 "$REG_PLAIN/busybox" sh -c "$(count_to 2000)" >/dev/null
        local d
        d=$(log_dir one)
        [ "$(cd "$d" && ls container.log*)" = container.log ]
        [ "$(stat -c %s "$d/container.log")" -le 5100 ]
        run ross logs one
        assert_tail_of 2000
        # what came since the last time it was begun again: at most a file's worth
        [ ${#lines[@]} -ge 1 ] && [ ${#lines[@]} -le 70 ]
}

@test "without max-size: Ross's 10 MiB and two files, stored with the container" {
        ross create --name dflt "$REG_PLAIN/busybox" true >/dev/null
        local id
        id=$(api GET /containers/dflt/json | jq -r .Id)
        [ "$(sqlite3 "$DATA/ross.db" "SELECT config FROM containers WHERE id = '$id'" | jq -c .RossConfig.log)" = '{"driver":"json-file","max_size":10485760,"max_file":2}' ]
        ross create --name sized --log-opt max-size=1m --log-opt max-file=4 "$REG_PLAIN/busybox" sleep 300 >/dev/null
        id=$(api GET /containers/sized/json | jq -r .Id)
        [ "$(sqlite3 "$DATA/ross.db" "SELECT config FROM containers WHERE id = '$id'" | jq -c .RossConfig.log)" = '{"driver":"json-file","max_size":1000000,"max_file":4}' ]
        # the shim is told so
        ross start sized >/dev/null
        run pgrep -af "ross-shim --id $id"
        assert_output_contains "--log-max=1000000 --log-files=4"
        # and the flags are where a user looks for them
        run ross run --help
        assert_output_contains "--log-driver NAME"
        assert_output_contains "--log-opt KEY=VALUE"
        assert_output_contains "max-size=SIZE"
        run ross logs --help
        assert_output_contains "--until TIME"
}

@test "--log-driver none: no container.log, attached output still shown, logs refused with Docker's 501" {
        run --separate-stderr ross run --name nolog --log-driver none "$REG_PLAIN/busybox" sh -c 'echo out-line; echo err-line >&2'
        assert_status 0
        [ "$output" = out-line ] && [ "$stderr" = err-line ]
        local id d
        id=$(api GET /containers/nolog/json | jq -r .Id)
        d=$DATA/containers/$id
        [ -d "$d" ]
        [ ! -e "$d/container.log" ]
        [ "$(api GET /containers/nolog/json | jq -r .LogPath)" = "" ]
        run ross logs nolog
        assert_status 1
        assert_output_contains "configured logging driver does not support reading"
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" 'http://ross/containers/nolog/logs?stdout=1'
        [ "${lines[0]}" = '{"message":"configured logging driver does not support reading"}' ]
        [ "${lines[1]}" = 501 ]
        # a running one: attach streams it live, and still no file
        ross run -d --name nolog2 --log-driver none "$REG_PLAIN/busybox" sh -c 'sleep 1; echo live-line; sleep 300' >/dev/null
        # timeout's SIGTERM must end the client, not be passed to the container's PID 1
        run timeout -k 2 5 "$ROSS_CLI" attach --sig-proxy=false nolog2
        assert_output_contains live-line
        id=$(api GET /containers/nolog2/json | jq -r .Id)
        [ ! -e "$DATA/containers/$id/container.log" ]
}

@test "bad log options are refused at create in Docker's words, and leave no container" {
        local opt want
        while IFS='|' read -r opt want; do
                run ross run --log-opt "$opt" "$REG_PLAIN/busybox" true
                assert_status 125
                assert_output_contains "$want"
        done <<'EOF'
max-size=abc|failed to initialize logging driver: invalid size: 'abc'
max-size=10x|failed to initialize logging driver: invalid suffix: 'x'
max-size=0|failed to initialize logging driver: max-size must be a positive number
max-file=0|failed to initialize logging driver: max-file cannot be less than 1
max-file=two|failed to initialize logging driver: strconv.Atoi: parsing "two": invalid syntax
compress=true|failed to initialize logging driver: compress cannot be true when max-file is less than 2 or max-size is not set
mode=fast|logger: logging mode not supported: fast
colour=red|unknown log opt 'colour' for json-file log driver
EOF
        run ross create --log-driver journald "$REG_PLAIN/busybox" true
        assert_status 125
        assert_output_contains "no log driver named 'journald'"
        # the API: a 400 with the message
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -H 'Content-Type: application/json' \
                -d "{\"Image\":\"$REG_PLAIN/busybox\",\"HostConfig\":{\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-size\":\"1q\"}}}}" \
                http://ross/containers/create
        [ "$(jq -r .message <<<"${lines[0]}")" = "failed to initialize logging driver: invalid suffix: 'q'" ]
        [ "${lines[1]}" = 400 ]
        [ "$(ross ps -a -q)" = "" ]
        [ "$(ls "$DATA/containers" 2>/dev/null | wc -l)" = 0 ]
}

@test "until: later lines left out (Unix seconds, RFC 3339, a duration), with since too" {
        ross run --name tu "$REG_PLAIN/busybox" sh -c 'echo early; sleep 2; echo late' >/dev/null
        local t1 u ufrac urfc
        t1=$(ross logs -t tu | head -1 | cut -d' ' -f1)
        u=$(( $(date -d "$t1" +%s) + 1 ))
        ufrac=$(date -d "$t1 + 1 second" +%s.%N)
        urfc=$(date -u -d "$t1 + 1 second" +%Y-%m-%dT%H:%M:%S.%NZ)
        run ross logs --until "$u" tu
        [ "$output" = early ]
        run ross logs --until "$ufrac" tu
        [ "$output" = early ]
        run ross logs --until "$urfc" tu
        [ "$output" = early ]
        run ross logs --since "$ufrac" tu
        [ "$output" = late ]
        run ross logs --until 10m tu
        [ "$output" = "" ]
        run ross logs --until tomorrow tu
        assert_status 125
        assert_output_contains 'invalid argument "tomorrow" for --until'
        # the API takes both forms
        [ "$(api GET "/containers/tu/logs?stdout=1&until=$ufrac" | demux)" = early ]
        [ "$(api GET "/containers/tu/logs?stdout=1&until=$urfc" | demux)" = early ]
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" 'http://ross/containers/tu/logs?stdout=1&until=soon'
        [ "${lines[1]}" = 400 ]
        assert_output_contains "invalid value for until: 'soon'"
}

@test "logs -f --until: the stream ends once until has passed" {
        ross run -d --name tf "$REG_PLAIN/busybox" sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done' >/dev/null
        local u start took
        u=$(date -d '+2 seconds' +%s.%N)
        start=$(date +%s%N)
        run timeout 15 "$ROSS_CLI" logs -f --until "$u" tf
        assert_status 0
        took=$(( ($(date +%s%N) - start) / 1000000 ))
        [ "$took" -lt 6000 ]
        [ ${#lines[@]} -ge 5 ]
        # nothing after until: the same lines as a plain read up to it
        sleep 1
        [ "$output" = "$(ross logs --until "$u" tf)" ]
        [ "$(ross logs tf | wc -l)" -gt ${#lines[@]} ]
}

@test "logs -f across rotations: every line once, in order" {
        ross run -d --name fol --log-opt max-size=10k --log-opt max-file=3 "$REG_PLAIN/busybox" \
                sh -c 'sleep 1; i=1; while [ $i -le 3000 ]; do echo $i; [ $((i % 50)) = 0 ] && sleep 0.05; i=$((i+1)); done' >/dev/null
        run --separate-stderr timeout 60 "$ROSS_CLI" logs -f fol
        assert_status 0
        [ "$output" = "$(seq 1 3000)" ]
        # it did rotate while followed: the first lines are gone from the files
        [ -f "$(log_dir fol)/container.log.2" ]
        run ross logs fol
        [ "${lines[0]}" != 1 ]
        assert_tail_of 3000
        # a follower that starts with --tail goes on from there
        ross run -d --name fol2 --log-opt max-size=10k --log-opt max-file=2 "$REG_PLAIN/busybox" \
                sh -c 'i=1; while [ $i -le 500 ]; do echo $i; i=$((i+1)); done; sleep 2; i=501; while [ $i -le 2500 ]; do echo $i; [ $((i % 50)) = 0 ] && sleep 0.05; i=$((i+1)); done' >/dev/null
        wait_log_line fol2 500
        run --separate-stderr timeout 60 "$ROSS_CLI" logs -f --tail 10 fol2
        [ "$output" = "$(seq 491 2500)" ]
}

@test "docker CLI: run --log-opt max-size/max-file, logs --until, the none driver" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        docker run --name dk --log-opt max-size=10k --log-opt max-file=3 "$REG_PLAIN/busybox" sh -c "$(count_to 2000)" >/dev/null
        [ "$(docker inspect -f '{{json .HostConfig.LogConfig}}' dk)" = '{"Type":"json-file","Config":{"max-file":"3","max-size":"10k"}}' ]
        run --separate-stderr docker logs dk
        assert_status 0
        assert_tail_of 2000
        [ "$output" = "$(ross logs dk)" ]
        [ ! -e "$(log_dir dk)/container.log.3" ]
        run docker logs --tail 5 dk
        [ "$output" = "$(seq 1996 2000)" ]

        docker run --name dku "$REG_PLAIN/busybox" sh -c 'echo early; sleep 2; echo late' >/dev/null
        local t1
        t1=$(docker logs -t dku | head -1 | cut -d' ' -f1)
        run docker logs --until "$(date -u -d "$t1 + 1 second" +%Y-%m-%dT%H:%M:%SZ)" dku
        [ "$output" = early ]
        run docker logs --until 10m dku
        [ "$output" = "" ]

        run docker run --log-opt max-size=abc "$REG_PLAIN/busybox" true
        [ "$status" -ne 0 ]
        assert_output_contains "failed to initialize logging driver: invalid size: 'abc'"

        run docker run --name dkn --log-driver none "$REG_PLAIN/busybox" echo from-none
        assert_output_contains from-none
        run docker logs dkn
        [ "$status" -ne 0 ]
        assert_output_contains "configured logging driver does not support reading"
}

@test "docker-py: log_config max-size/max-file, container.logs(until=...), the none driver" {
        python3 -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        run env IMG="$REG_PLAIN/busybox" python3 - <<'PY'
import datetime, os, docker
from docker.types import LogConfig
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
img = os.environ["IMG"]
lc = LogConfig(type=LogConfig.types.JSON, config={"max-size": "10k", "max-file": "3"})
count = "i=1; while [ $i -le 2000 ]; do echo $i; i=$((i+1)); done"
ct = c.containers.run(img, ["sh", "-c", count], detach=True, name="pyrot", log_config=lc)
ct.wait()
out = ct.logs().decode().split()
print(out[-1], out == [str(i) for i in range(int(out[0]), 2001)])
ct = c.containers.run(img, ["sh", "-c", "echo early; sleep 2; echo late"], detach=True, name="pyu")
ct.wait()
first = ct.logs(timestamps=True).decode().splitlines()[0].split()[0]
t = datetime.datetime.strptime(first[:26] + "Z", "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print(repr(ct.logs(until=t + datetime.timedelta(seconds=1))))
print(repr(ct.logs(until=int(t.timestamp()) + 1)))
print(repr(ct.logs(since=t + datetime.timedelta(seconds=1))))
try:
    c.containers.run(img, "true", log_config=LogConfig(type="json-file", config={"max-file": "0"}))
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
ct = c.containers.run(img, ["echo", "x"], detach=True, name="pynone", log_config=LogConfig(type="none"))
ct.wait()
try:
    ct.logs()
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
PY
        assert_status 0
        [ "${lines[0]}" = "2000 True" ]
        [ "${lines[1]}" = "b'early\\n'" ]
        [ "${lines[2]}" = "b'early\\n'" ]
        [ "${lines[3]}" = "b'late\\n'" ]
        [ "${lines[4]}" = "400 failed to initialize logging driver: max-file cannot be less than 1" ]
        [ "${lines[5]}" = "501 configured logging driver does not support reading" ]
}

@test "the daemon's --log-driver and --log-opt: the default of containers without their own, merged per option as dockerd's; bad ones refused at start" {
        stop_daemon
        start_daemon --log-opt max-size=10k --log-opt max-file=3
        # no options of its own: the daemon's, in inspect and at the shim
        ross run -d --name dd "$REG_PLAIN/busybox" sh -c "$(count_to 5000); sleep 300" >/dev/null
        [ "$(ross inspect dd | jq -c '.[0].HostConfig.LogConfig')" = '{"Type":"json-file","Config":{"max-size":"10k","max-file":"3"}}' ]
        wait_log_line dd 5000
        dir=$(log_dir dd)
        [ -f "$dir/container.log.2" ] && [ ! -e "$dir/container.log.3" ]
        # its own max-file wins, the daemon's max-size still applies
        ross run -d --name own --log-opt max-file=1 "$REG_PLAIN/busybox" sh -c "$(count_to 5000); sleep 300" >/dev/null
        [ "$(ross inspect own | jq -c '.[0].HostConfig.LogConfig.Config')" = '{"max-file":"1","max-size":"10k"}' ]
        wait_log_line own 5000
        dir=$(log_dir own)
        [ ! -e "$dir/container.log.1" ]
        [ "$(stat -c %s "$dir/container.log")" -lt 20000 ]
        # another driver: none of the daemon's json-file options
        ross create --name nolog --log-driver none "$REG_PLAIN/busybox" true >/dev/null
        [ "$(ross inspect nolog | jq -c '.[0].HostConfig.LogConfig')" = '{"Type":"none","Config":{}}' ]
        # docker info shows the daemon's driver
        stop_daemon
        start_daemon --log-driver none
        [ "$(docker info --format '{{.LoggingDriver}}')" = none ]
        ross run --name quiet "$REG_PLAIN/busybox" echo shown >/dev/null
        run ross logs quiet
        assert_status 1
        assert_output_contains 'configured logging driver does not support reading'
        stop_daemon
        # bad flags: one message, exit 2, nothing made
        for bad in "--log-driver syslog" "--log-opt max-size=abc" "--log-opt nokey" "--log-opt bogus=1"; do
                # shellcheck disable=SC2086
                run "$ROSS_DAEMON" start --data-dir "$BATS_TEST_TMPDIR/bad" --run-dir "$BATS_TEST_TMPDIR/badrun" --bridge none $bad
                assert_status 2
                [ "${#lines[@]}" = 1 ]
                [ ! -e "$BATS_TEST_TMPDIR/bad" ] && [ ! -e "$BATS_TEST_TMPDIR/badrun" ]
        done
        run "$ROSS_DAEMON" start --log-driver syslog
        assert_output_contains "no log driver named 'syslog'"
        run "$ROSS_DAEMON" start --log-opt nokey
        assert_output_contains "--log-opt: 'nokey' is not KEY=VALUE"
        run "$ROSS_DAEMON" start --help
        assert_output_contains "--log-driver json-file|none"
        assert_output_contains "--log-opt KEY=VALUE"
}
