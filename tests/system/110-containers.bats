#!/usr/bin/env bats
# Containers on Linux namespaces: the first part of issue 4 (non-interactive lifecycle),
# with both OCI runtimes.

bats_require_minimum_version 1.5.0

load helpers

setup() {
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        ross pull -q "$REG_PLAIN/busybox-full" >/dev/null
}

teardown() {
        teardown_containers
}

@test "the design note's example runs as written; stdout and stderr stay apart" {
        run --separate-stderr ross container run "$REG_PLAIN/busybox" /bin/sh -c "echo Hello from VM; echo oops >&2"
        assert_status 0
        [ "$output" = "Hello from VM" ]
        [ "$stderr" = oops ]
}

@test "the exit code comes back; 127 for a missing command, 126 for one that cannot run" {
        run ross run "$REG_PLAIN/busybox" /bin/sh -c "exit 42"
        assert_status 42
        run ross run "$REG_PLAIN/busybox" no-such-command
        assert_status 127
        assert_output_contains "no-such-command"
        run ross run "$REG_PLAIN/busybox" /etc/passwd
        assert_status 126
        run ross run nosuchimage:1
        assert_status 125
}

@test "the image config is merged as Docker does" {
        # busybox-full: Entrypoint /bin/sh, Cmd -c 'echo $GREETING', User app, WorkingDir /home/app
        run ross run "$REG_PLAIN/busybox-full"
        assert_status 0
        [ "$output" = "hello from ross" ]
        run ross run -e GREETING=override -e NEW=1 "$REG_PLAIN/busybox-full" -c 'echo $GREETING $NEW; env | grep -c ^GREETING='
        [ "${lines[0]}" = "override 1" ]
        [ "${lines[1]}" = 1 ]
        run ross run "$REG_PLAIN/busybox-full" -c 'id -u; id -G; pwd'
        [ "${lines[0]}" = 1000 ]
        [ "${lines[1]}" = "1000 2000" ]
        [ "${lines[2]}" = /home/app ]
        run ross run --entrypoint /bin/echo "$REG_PLAIN/busybox-full"
        [ "$output" = "" ]
        run ross run -u 0:0 -w /tmp "$REG_PLAIN/busybox-full" -c 'id -u; pwd'
        [ "${lines[0]}" = 0 ] && [ "${lines[1]}" = /tmp ]
        run ross run -u nobody "$REG_PLAIN/busybox" id
        assert_status 125
        assert_output_contains "unable to find user nobody"
        run ross run "$REG_PLAIN/busybox" /bin/sh -c 'echo $PATH'
        [ "$output" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ]
}

@test "both runtimes run containers: crun by default, runc on request" {
        for rt in crun runc; do
                run ross run --runtime "$rt" --hostname h-$rt "$REG_PLAIN/busybox" /bin/sh -c 'hostname; cat /etc/hostname'
                assert_status 0
                [ "${lines[0]}" = "h-$rt" ] && [ "${lines[1]}" = "h-$rt" ]
        done
        grep -q 'crun' <<<"$(cat "$DATA"/containers/*/runtime.log 2>/dev/null; ls "$RUN/runtime")"
        [ -d "$RUN/runtime/runc" ]
        run ross run --runtime nope "$REG_PLAIN/busybox" true
        assert_status 125
        assert_output_contains "unknown or invalid runtime name: nope"
}

@test "namespaces, capabilities, masked paths, no-new-privileges" {
        run ross run "$REG_PLAIN/busybox" /bin/sh -c 'echo $$; ls /sys/firmware | wc -l; grep NoNewPrivs /proc/self/status; grep CapEff /proc/self/status; ip link 2>/dev/null | grep -c "^[0-9]" || cat /proc/net/dev | tail -n +3 | wc -l'
        assert_status 0
        [ "${lines[0]}" = 1 ]            # its own pid namespace
        [ "${lines[1]}" = 0 ]            # masked
        [[ "${lines[2]}" == *1 ]]        # no new privileges
        [ "${lines[3]}" = "CapEff:	00000000a80425fb" ]  # Docker's default set
        [ "${lines[4]}" = 1 ]            # --network none: only lo
        run ross run "$REG_PLAIN/busybox" /bin/sh -c 'echo x > /proc/sys/kernel/hostname'
        [ "$status" -ne 0 ]
}

@test "-d, ps, logs, stop, rm; names and id prefixes work" {
        run ross run -d --name web "$REG_PLAIN/busybox" /bin/sh -c 'echo started; echo err-line >&2; exec sleep 60'
        assert_status 0
        local id=$output
        [ ${#id} = 64 ]
        run ross ps
        assert_output_contains "web"
        assert_output_contains "Up"
        sleep 0.3
        run --separate-stderr ross logs web
        [ "$output" = started ] && [ "$stderr" = err-line ]
        run ross logs --tail 1 -t "${id:0:8}"
        [[ "$output" == 20*Z\ err-line ]]
        run ross stop -t 1 web
        assert_status 0
        run ross ps -a --format json
        [ "$(echo "$output" | jq -r '.[] | select(.Names[0] == "/web") | .State')" = exited ]
        run ross inspect web
        [ "$(echo "$output" | jq -r '.[0].State.ExitCode')" = 137 ]
        run ross rm web
        assert_status 0
        run ross container inspect web
        assert_status 1
        assert_output_contains "No such container: web"
}

@test "--rm is done by the daemon, -d too" {
        run ross run --rm "$REG_PLAIN/busybox" true
        assert_status 0
        run ross run -d --rm --name gone "$REG_PLAIN/busybox" true
        for _ in $(seq 1 50); do ross inspect gone >/dev/null 2>&1 || break; sleep 0.1; done
        run ross inspect gone
        assert_status 1
        [ -z "$(ross ps -a -q)" ]
}

@test "create, start -a, start again after exit" {
        run ross create --name twice "$REG_PLAIN/busybox" /bin/sh -c 'echo run; date +%N >> /tmp/runs; wc -l < /tmp/runs'
        assert_status 0
        run ross ps -a
        assert_output_contains "Created"
        run ross start -a twice
        assert_status 0
        [ "${lines[0]}" = run ] && [ "${lines[1]}" = 1 ]
        run ross start -a twice
        [ "${lines[1]}" = 2 ] # same container, same upper layer
        run ross wait twice
        [ "$output" = 0 ]
}

@test "bad input: duplicate names, unknown containers, running rm, bad values" {
        ross create --name dup "$REG_PLAIN/busybox" true >/dev/null
        run ross create --name dup "$REG_PLAIN/busybox" true
        assert_status 125
        assert_output_contains 'The container name "/dup" is already in use'
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
                -d "{\"Image\":\"$REG_PLAIN/busybox\",\"Cmd\":[\"true\"]}" 'http://x/containers/create?name=dup'
        [ "$output" = 409 ]
        run ross start nosuch
        assert_status 1
        assert_output_contains "No such container: nosuch"
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST http://x/containers/nosuch/start
        [ "$output" = 404 ]
        ross run -d --name busy "$REG_PLAIN/busybox" sleep 60 >/dev/null
        # Docker: starting a running container is 304 Not Modified, and no failure
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST http://x/containers/busy/start
        [ "$output" = 304 ]
        run ross start busy
        assert_status 0
        [ "$output" = busy ]
        busy_id=$(api GET /containers/busy/json | jq -r .Id)
        run ross rm busy
        assert_status 1
        assert_output_contains "You cannot remove a running container $busy_id. Stop the container before attempting removal or force remove"
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X DELETE http://x/containers/busy
        [ "$output" = 409 ]
        run ross rm -f busy
        assert_status 0
        run ross run --memory 12q "$REG_PLAIN/busybox" true
        assert_status 125
        assert_output_contains 'invalid argument "12q" for --memory'
        run ross run -v /does/not/exist:/x "$REG_PLAIN/busybox" true
        assert_status 125
        assert_output_contains "bind source path does not exist: /does/not/exist"
        run ross run --name 'bad name' "$REG_PLAIN/busybox" true
        assert_status 125
        assert_output_contains "Invalid container name"
        # nothing half-made is left
        [ "$(ross ps -a -q | wc -l)" = 1 ]
}

@test "volumes: -v host:ctr[:ro], --mount, --tmpfs, --read-only" {
        mkdir -p "$BATS_TEST_TMPDIR/vol"
        echo from-host >"$BATS_TEST_TMPDIR/vol/in"
        run ross run -v "$BATS_TEST_TMPDIR/vol:/data" "$REG_PLAIN/busybox" /bin/sh -c 'cat /data/in; echo from-ctr > /data/out'
        assert_status 0
        [ "$output" = from-host ]
        [ "$(cat "$BATS_TEST_TMPDIR/vol/out")" = from-ctr ]
        run ross run -v "$BATS_TEST_TMPDIR/vol:/data:ro" "$REG_PLAIN/busybox" /bin/sh -c 'echo x > /data/out2'
        [ "$status" -ne 0 ]
        [ ! -e "$BATS_TEST_TMPDIR/vol/out2" ]
        run ross run --mount "type=bind,source=$BATS_TEST_TMPDIR/vol,target=/m,readonly" --tmpfs /scratch "$REG_PLAIN/busybox" /bin/sh -c 'cat /m/in; grep " /scratch " /proc/mounts | cut -d" " -f3'
        [ "${lines[0]}" = from-host ] && [ "${lines[1]}" = tmpfs ]
        run ross run --read-only "$REG_PLAIN/busybox" /bin/sh -c 'touch /x'
        [ "$status" -ne 0 ]
}

@test "resource limits reach the cgroup" {
        run ross run --memory 64m --pids-limit 50 "$REG_PLAIN/busybox" /bin/sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
        assert_status 0
        [ "${lines[0]}" = 67108864 ]
        [ "${lines[1]}" = 50 ]
}

@test "an image used by a container cannot be removed without -f" {
        ross create --name user "$REG_PLAIN/busybox" true >/dev/null
        run ross rmi "$REG_PLAIN/busybox"
        assert_status 1
        assert_output_contains "(must force) - 1 container uses it"
        run ross image prune -a -f
        run ross image inspect "$REG_PLAIN/busybox"
        assert_status 0
        run ross rmi -f "$REG_PLAIN/busybox"
        assert_status 0
        assert_output_contains "Untagged: $REG_PLAIN/busybox:latest"
        # the container still runs on it
        run ross start -a user
        assert_status 0
}

@test "kill -9 of the daemon stops nothing: running stays running, exits are recorded" {
        ross run -d --name long "$REG_PLAIN/busybox" /bin/sh -c 'echo before; sleep 3; echo after; exit 5' >/dev/null
        ross run -d --name short "$REG_PLAIN/busybox" /bin/sh -c 'sleep 1; exit 9' >/dev/null
        sleep 0.3
        kill -9 "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
        sleep 1.5 # "short" exits while the daemon is down
        DATA=$DATA start_daemon
        run ross ps --format json
        [ "$(echo "$output" | jq -r '.[] | select(.Names[0] == "/long") | .State')" = running ]
        run ross inspect short
        [ "$(echo "$output" | jq -r '.[0].State.Status')" = exited ]
        [ "$(echo "$output" | jq -r '.[0].State.ExitCode')" = 9 ]
        run ross wait long
        [ "$output" = 5 ]
        run ross logs long
        [ "${lines[0]}" = before ] && [ "${lines[1]}" = after ]
}

@test "rename, pause and unpause, restart" {
        ross run -d --name first "$REG_PLAIN/busybox" /bin/sh -c 'echo up; sleep 60' >/dev/null
        run ross rename first second
        assert_status 0
        run ross inspect second
        [ "$(echo "$output" | jq -r '.[0].Name')" = /second ]
        run ross rename second 'no good'
        assert_status 1
        ross run -d --name other "$REG_PLAIN/busybox" sleep 60 >/dev/null
        run ross rename second other
        assert_status 1
        assert_output_contains "already in use"
        for rt in crun; do
                run ross pause second
                assert_status 0
                run ross inspect second
                [ "$(echo "$output" | jq -r '.[0].State.Status')" = paused ]
                [ "$(echo "$output" | jq -r '.[0].State.Paused')" = true ]
                run ross unpause second
                assert_status 0
                run ross inspect second
                [ "$(echo "$output" | jq -r '.[0].State.Status')" = running ]
        done
        local pid1 pid2
        pid1=$(ross inspect second | jq -r '.[0].State.Pid')
        run ross restart -t 0 second
        assert_status 0
        pid2=$(ross inspect second | jq -r '.[0].State.Pid')
        [ "$pid1" != "$pid2" ]
        [ "$(ross inspect second | jq -r '.[0].State.Status')" = running ]
}

@test "storage hygiene: 50 containers created, started, stopped and removed leave nothing" {
        local before_mounts ids=() i
        # only this test's mounts: other test runs on the machine may mount and unmount
        before_mounts=$(grep -c -F "$D/" /proc/mounts || true)
        for i in $(seq 1 50); do
                ids+=("$(ross create "$REG_PLAIN/busybox" /bin/sh -c 'echo $HOSTNAME; sleep 30')")
        done
        for i in "${ids[@]}"; do ross start "$i" >/dev/null; done
        [ "$(ross ps -q | wc -l)" = 50 ]
        ross stop -t 0 "${ids[@]}" >/dev/null
        ross rm "${ids[@]}" >/dev/null
        [ -z "$(ross ps -a -q)" ]
        [ -z "$(ls -A "$DATA/containers")" ]
        for i in "${ids[@]}"; do
                ! grep -q "$i" /proc/mounts
                [ ! -e "$RUN/runtime/crun/$i" ]
        done
        [ "$(grep -c -F "$D/" /proc/mounts)" = "$before_mounts" ]
        [ "$(sqlite3 "$DATA/ross.db" 'SELECT COUNT(*) FROM containers')" = 0 ]
}

@test "attach (the Upgrade: tcp hijack) streams a container's output from its start" {
        local id
        id=$(ross create "$REG_PLAIN/busybox" /bin/sh -c 'sleep 0.5; echo via-attach; echo err >&2')
        curl -s -i --max-time 10 --unix-socket "$SOCK" -X POST -H 'Connection: Upgrade' -H 'Upgrade: tcp' \
                "http://x/containers/$id/attach?stream=1&stdout=1&stderr=1" >"$BATS_TEST_TMPDIR/attach" &
        local curl_pid=$!
        sleep 0.3
        ross start "$id" >/dev/null
        wait "$curl_pid" || true
        grep -q '^HTTP/1.1 101' "$BATS_TEST_TMPDIR/attach"
        grep -qa 'via-attach' "$BATS_TEST_TMPDIR/attach"
        # stream 1 then stream 2 frames
        [ "$(tail -c 4 "$BATS_TEST_TMPDIR/attach")" = "err" ] || [ "$(tail -c 4 "$BATS_TEST_TMPDIR/attach" | tr -d '\n')" = err ]
}

@test "--init: ross-init is PID 1, stop reaches the command, orphans are reaped, codes kept" {
        run ross run --rm --init "$REG_PLAIN/busybox" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo'
        assert_status 0
        [ "$output" = "/sbin/ross-init -- sh -c cat /proc/1/cmdline | tr \"\\0\" \" \"; echo " ]
        run ross run --rm --init "$REG_PLAIN/busybox" sh -c 'exit 7'
        assert_status 7
        # a command that ignores nothing: SIGTERM from stop reaches it through the init
        ross run -d --init --name initd "$REG_PLAIN/busybox" sleep 60 >/dev/null
        run ross stop -t 30 initd
        assert_status 0
        run ross inspect initd
        [ "$(echo "$output" | jq -r '.[0].State.ExitCode')" = 143 ]
        [ "$(echo "$output" | jq -r '.[0].HostConfig.Init')" = true ]
        # an orphan is reaped: no zombie left behind
        run ross run --rm --init "$REG_PLAIN/busybox" sh -c 'sh -c "sleep 0.2 &"; sleep 1; ps -o stat | grep -c Z'
        [ "$output" = 0 ]
        # the image's root may be read-only
        run ross run --rm --init --read-only "$REG_PLAIN/busybox" true
        assert_status 0
}

@test "the init layer: the runtime's mount points come from it, the upper dir stays empty" {
        id=$(ross run -d "$REG_PLAIN/busybox" sleep 60)
        sleep 0.3
        [ -z "$(ls -A "$DATA/containers/$id/upper")" ]
        # the files bound over it are the container's own
        run ross run --rm --hostname inithost "$REG_PLAIN/busybox" cat /etc/hostname
        [ "$output" = inithost ]
}

# ---- issue 8: filters, kill, inspect, status words, Docker's errors ----

# Names of the containers GET /containers/json lists for a query string.
listed() {
        api GET "/containers/json?$1" | jq -r '[.[].Names[0][1:]] | sort | join(" ")'
}

# The filters JSON of a query, escaped for a URL.
fq() { jq -rn --arg f "$1" '$f | @uri'; }

@test "list filters: label with and without value, name, id, status, exited, ancestor, before, since" {
        ross create --name fa -l com.docker.compose.project=a -l tier=web "$REG_PLAIN/busybox" true >/dev/null
        ross run -d --name fb -l com.docker.compose.project=b "$REG_PLAIN/busybox" sleep 60 >/dev/null
        ross run --name fc "$REG_PLAIN/busybox-full" -c 'exit 3' >/dev/null || true
        ross run -d --name fd "$REG_PLAIN/busybox" sleep 60 >/dev/null
        # one compose project's filter never sees the other's containers
        [ "$(listed "all=1&filters=$(fq '{"label":["com.docker.compose.project=a"]}')")" = fa ]
        [ "$(listed "all=1&filters=$(fq '{"label":["com.docker.compose.project=b"]}')")" = fb ]
        [ "$(listed "all=1&filters=$(fq '{"label":["com.docker.compose.project"]}')")" = "fa fb" ]
        # the old form of the filters JSON
        [ "$(listed "all=1&filters=$(fq '{"label":{"com.docker.compose.project=a":true}}')")" = fa ]
        [ "$(listed "all=1&filters=$(fq '{"label":["com.docker.compose.project=a","tier=web"]}')")" = fa ]
        [ "$(listed "all=1&filters=$(fq '{"label":["com.docker.compose.project=a","tier=db"]}')")" = "" ]
        # the image's labels are the container's too
        [ "$(listed "all=1&filters=$(fq '{"label":["ross.test=yes"]}')")" = fc ]
        [ "$(listed "all=1&filters=$(fq '{"name":["^f[ab]$"]}')")" = "fa fb" ]
        id=$(api GET /containers/fd/json | jq -r .Id)
        [ "$(listed "all=1&filters=$(fq "{\"id\":[\"${id:0:10}\"]}")")" = fd ]
        [ "$(listed "filters=$(fq '{"status":["exited"]}')")" = fc ]
        [ "$(listed "filters=$(fq '{"status":["created"]}')")" = fa ]
        [ "$(listed "filters=$(fq '{"status":["running"]}')")" = "fb fd" ]
        [ "$(listed "all=1&filters=$(fq '{"exited":["3"]}')")" = fc ]
        [ "$(listed "all=1&filters=$(fq '{"exited":["0"]}')")" = "" ]
        [ "$(listed "all=1&filters=$(fq "{\"ancestor\":[\"$REG_PLAIN/busybox-full\"]}")")" = fc ]
        [ "$(listed "all=1&filters=$(fq '{"health":["none"]}')")" = "fa fb fc fd" ]
        [ "$(listed "all=1&filters=$(fq '{"health":["healthy"]}')")" = "" ]
        # newest first: before=fb is what was made before fb, since=fb what came after
        [ "$(listed "all=1&filters=$(fq '{"before":["fb"]}')")" = fa ]
        [ "$(listed "all=1&filters=$(fq '{"since":["fb"]}')")" = "fc fd" ]
        [ "$(api GET '/containers/json?all=1&limit=1' | jq -r '.[0].Names[0]')" = /fd ]
        # the command line: ps -f, repeatable, Docker's KEY=VALUE
        run ross ps -a -f label=com.docker.compose.project=b --format json
        assert_status 0
        [ "$(jq -r '[.[].Names[0]] | join(" ")' <<<"$output")" = /fb ]
        run ross ps -a -q -f status=exited -f status=created
        [ "$(echo "$output" | wc -l)" = 2 ]
        run ross ps -f nolabel
        assert_status 125
        assert_output_contains "bad format of filter 'nolabel' (expected name=value)"
}

@test "list filters: unknown filters, bad values and hostile JSON are a 400 in Docker's words" {
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://x/containers/json?filters=$(fq '{"foo":["x"]}')"
        [ "${lines[1]}" = 400 ]
        [ "$(jq -r .message <<<"${lines[0]}")" = "invalid filter 'foo'" ]
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://x/containers/json?filters=$(fq '{"status":["asleep"]}')"
        [ "${lines[1]}" = 400 ]
        assert_output_contains "invalid filter 'status=asleep': invalid value for state (asleep): must be one of created, running, paused, restarting, removing, exited, dead"
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://x/containers/json?filters=$(fq '{"before":["nosuch"]}')"
        [ "${lines[1]}" = 404 ]
        assert_output_contains "No such container: nosuch"
        local bad
        for bad in '{' 'not json' '["label"]' '{"label":"a"}' '{"label":[1]}' '{"label":{"a":"yes"}}' '{"label":null}' \
                "{\"label\":$(printf '[%.0s' $(seq 1 500))"; do
                run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://x/containers/json?filters=$(fq "$bad")"
                [ "${lines[1]}" = 400 ] || { echo "filters=${bad:0:40}: ${output:0:200}" >&2; return 1; }
                [ "$(jq -r .message <<<"${lines[0]}")" = "invalid filter" ]
        done
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" "http://x/containers/json?all=maybe"
        [ "$output" = 400 ]
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://x/containers/json?limit=ten"
        [ "${lines[1]}" = 400 ]
        assert_output_contains "ten"
        # the daemon is still there
        api GET /_ping | grep -q OK
}

@test "kill: SIGKILL answers once the container has exited; names and numbers; a bad signal is 400" {
        local i
        for i in 1 2 3 4 5; do
                ross run -d --name k$i "$REG_PLAIN/busybox" sleep 60 >/dev/null
                run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST "http://x/containers/k$i/kill"
                [ "$output" = 204 ]
                # at once, as docker-py sees it: no wait, no retry
                [ "$(api GET /containers/k$i/json | jq -r '.State.Status + " " + (.State.ExitCode|tostring)')" = "exited 137" ]
        done
        ross run -d --name trap "$REG_PLAIN/busybox" sh -c 'trap "echo got-usr1" USR1; trap "echo got-hup" HUP; trap "echo got-rt" 35; while :; do sleep 0.1; done' >/dev/null
        sleep 0.3
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST "http://x/containers/trap/kill?signal=SIGUSR1"
        [ "$output" = 204 ]
        # one at a time: a signal that is still pending takes no second one of its kind
        sleep 0.4
        api POST "/containers/trap/kill?signal=hup" >/dev/null
        sleep 0.4
        api POST "/containers/trap/kill?signal=RTMIN%2B1" >/dev/null
        sleep 0.4
        ross kill -s 10 trap >/dev/null
        sleep 0.5
        run ross logs trap
        [ "$(grep -c got-usr1 <<<"$output")" = 2 ]
        assert_output_contains got-hup
        assert_output_contains got-rt
        # other signals return after delivery: it still runs
        [ "$(api GET /containers/trap/json | jq -r .State.Status)" = running ]
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST "http://x/containers/trap/kill?signal=FOO"
        [ "${lines[1]}" = 400 ]
        assert_output_contains "Invalid signal: FOO"
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST "http://x/containers/nosuch/kill?signal=0"
        [ "${lines[1]}" = 400 ]
        run ross kill -s NOPE trap
        assert_status 1
        assert_output_contains "Invalid signal: NOPE"
        # a paused container is thawed for SIGKILL, as Docker does, and is gone when kill answers
        ross run -d --name kp "$REG_PLAIN/busybox" sleep 60 >/dev/null
        ross pause kp >/dev/null
        run timeout 20 "$ROSS_CLI" kill kp
        assert_status 0
        [ "$(api GET /containers/kp/json | jq -r '.State.Status + " " + (.State.ExitCode|tostring)')" = "exited 137" ]
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST "http://x/containers/k1/kill"
        [ "${lines[1]}" = 409 ]
        assert_output_contains "is not running"
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST "http://x/containers/nosuch/kill"
        [ "${lines[1]}" = 404 ]
        assert_output_contains "No such container: nosuch"
}

@test "inspect carries what Docker's does: State, Path/Args, HostConfig defaults, Mounts, NetworkSettings, merged Config" {
        ross create --name fresh "$REG_PLAIN/busybox" true >/dev/null
        run api GET /containers/fresh/json
        j=$output
        [ "$(jq -r .State.Status <<<"$j")" = created ]
        [ "$(jq -r .State.StartedAt <<<"$j")" = 0001-01-01T00:00:00Z ]
        [ "$(jq -r .State.FinishedAt <<<"$j")" = 0001-01-01T00:00:00Z ]
        [ "$(jq -c '[.State.Running, .State.Paused, .State.Restarting, .State.OOMKilled, .State.Dead, .State.Pid, .State.ExitCode, .State.Error]' <<<"$j")" = '[false,false,false,false,false,0,0,""]' ]
        [[ "$(jq -r .Created <<<"$j")" =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]{8}(\.[0-9]+)?Z$ ]]
        [ "$(jq -c '[.Path, .Args]' <<<"$j")" = '["true",[]]' ]
        [ "$(jq -c .HostConfig.LogConfig <<<"$j")" = '{"Type":"json-file","Config":{}}' ]
        [ "$(jq -c .HostConfig.RestartPolicy <<<"$j")" = '{"Name":"no","MaximumRetryCount":0}' ]
        [ "$(jq -r '.HostConfig.NetworkMode + " " + .HostConfig.Runtime' <<<"$j")" = "default crun" ]
        [ "$(jq -c '[.HostConfig.Memory, .HostConfig.NanoCpus, .HostConfig.PidsLimit]' <<<"$j")" = '[0,0,null]' ]
        # the suite's daemons run with --bridge none: a container given no network has none
        [ "$(jq -c '[.NetworkSettings.Ports, (.NetworkSettings.Networks | keys), .Mounts]' <<<"$j")" = '[{},["none"],[]]' ]

        mkdir -p "$BATS_TEST_TMPDIR/vol"
        ross run -d --name full --network none -m 64m --cpus 0.5 --pids-limit 50 --runtime runc \
                -v "$BATS_TEST_TMPDIR/vol:/data:ro" --mount type=tmpfs,target=/scratch \
                -l mine=1 -e EXTRA=2 "$REG_PLAIN/busybox-full" -c 'sleep 60' >/dev/null
        run api GET /containers/full/json
        j=$output
        [ "$(jq -r .State.Status <<<"$j")" = running ]
        [ "$(jq -r '.State.Pid > 0' <<<"$j")" = true ]
        [ "$(jq -r .State.FinishedAt <<<"$j")" = 0001-01-01T00:00:00Z ]
        [[ "$(jq -r .State.StartedAt <<<"$j")" =~ ^20[0-9][0-9]-.*Z$ ]]
        [ "$(jq -c '[.Path, .Args]' <<<"$j")" = '["/bin/sh",["-c","sleep 60"]]' ]
        [ "$(jq -c '[.HostConfig.Memory, .HostConfig.NanoCpus, .HostConfig.PidsLimit, .HostConfig.Runtime, .HostConfig.NetworkMode]' <<<"$j")" = "[67108864,500000000,50,\"runc\",\"none\"]" ]
        [ "$(jq -c .HostConfig.Binds <<<"$j")" = "[\"$BATS_TEST_TMPDIR/vol:/data:ro\"]" ]
        [ "$(jq -c '.Mounts[0]' <<<"$j")" = "{\"Type\":\"bind\",\"Source\":\"$BATS_TEST_TMPDIR/vol\",\"Destination\":\"/data\",\"Mode\":\"ro\",\"RW\":false,\"Propagation\":\"rprivate\"}" ]
        [ "$(jq -c '.Mounts[1] | [.Type, .Destination, .RW]' <<<"$j")" = '["tmpfs","/scratch",true]' ]
        [ "$(jq -c '.NetworkSettings.Networks | keys' <<<"$j")" = '["none"]' ]
        [ "$(jq -c .NetworkSettings.Ports <<<"$j")" = '{}' ]
        # Config as merged with the image
        [ "$(jq -c '[.Config.Entrypoint, .Config.Cmd, .Config.User, .Config.WorkingDir, .Config.StopSignal]' <<<"$j")" = '[["/bin/sh"],["-c","sleep 60"],"app","/home/app","SIGTERM"]' ]
        [ "$(jq -r '.Config.Labels | "\(.mine) \(.["ross.test"])"' <<<"$j")" = "1 yes" ]
        [ "$(jq -c '.Config.ExposedPorts | keys' <<<"$j")" = '["53/udp","8080/tcp"]' ]
        [ "$(jq -r '.Config.Env | index("GREETING=hello from ross") != null and index("EXTRA=2") != null' <<<"$j")" = true ]
        [ "$(jq -r '.Config.Image' <<<"$j")" = "$REG_PLAIN/busybox-full" ]
        [ "$(jq -r '.Config.Hostname' <<<"$j")" = "$(jq -r '.Id[0:12]' <<<"$j")" ]
        [ "$(jq -c '[.Config.Tty, .Config.OpenStdin, .Config.StdinOnce, .Config.AttachStdin]' <<<"$j")" = '[false,false,false,false]' ]
        [ "$(jq -r .Image <<<"$j")" = "$(image_id busybox-full)" ]
        ross run -d --name hostnet --network host "$REG_PLAIN/busybox" sleep 60 >/dev/null
        [ "$(api GET /containers/hostnet/json | jq -c '.NetworkSettings.Networks | keys')" = '["host"]' ]
        ross stop -t 0 full >/dev/null
        run api GET /containers/full/json
        [ "$(jq -r '.State.Status + " " + (.State.ExitCode|tostring) + " " + (.State.Pid|tostring)' <<<"$output")" = "exited 137 0" ]
        [[ "$(jq -r .State.FinishedAt <<<"$output")" =~ ^20[0-9][0-9]-.*Z$ ]]
}

@test "LogConfig: json-file and none are taken, another driver or option is refused at create" {
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
                -d "{\"Image\":\"$REG_PLAIN/busybox\",\"Cmd\":[\"true\"],\"HostConfig\":{\"LogConfig\":{\"Type\":\"syslog\",\"Config\":{}}}}" \
                http://x/containers/create
        [ "${lines[1]}" = 400 ]
        assert_output_contains "logger: no log driver named 'syslog' is registered"
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
                -d "{\"Image\":\"$REG_PLAIN/busybox\",\"Cmd\":[\"true\"],\"HostConfig\":{\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"colour\":\"red\"}}}}" \
                http://x/containers/create
        [ "${lines[1]}" = 400 ]
        assert_output_contains "unknown log opt 'colour' for json-file log driver"
        run ross create --log-driver journald "$REG_PLAIN/busybox" true
        assert_status 125
        assert_output_contains "no log driver named 'journald'"
        ross create --name lj --log-driver json-file --log-opt max-size=1m "$REG_PLAIN/busybox" true >/dev/null
        [ "$(api GET /containers/lj/json | jq -c .HostConfig.LogConfig)" = '{"Type":"json-file","Config":{"max-size":"1m"}}' ]
        ross create --name ln --log-driver none "$REG_PLAIN/busybox" true >/dev/null
        [ "$(api GET /containers/ln/json | jq -r .HostConfig.LogConfig.Type)" = none ]
        [ "$(ross ps -a -q | wc -l)" = 2 ]
}

@test "--group-add and GroupAdd: names from the container's /etc/group, numbers as they are" {
        run ross run --group-add daemon --group-add 4242 "$REG_PLAIN/busybox-full" -c 'id -G'
        assert_status 0
        [ "$output" = "1000 1 2000 4242" ] || [ "$output" = "1000 2000 1 4242" ]
        run ross run -u 0 --group-add extra "$REG_PLAIN/busybox" id -G
        [ "$output" = "0 2000" ]
        run ross run --group-add nosuchgroup "$REG_PLAIN/busybox" true
        assert_status 125
        assert_output_contains "Unable to find group nosuchgroup"
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
                -d "{\"Image\":\"$REG_PLAIN/busybox\",\"HostConfig\":{\"GroupAdd\":[7]}}" http://x/containers/create
        [ "$output" = 400 ]
}

@test "ps says Up 5 seconds, Exited (0) N ago, Created, as Docker does" {
        ross create --name st-created "$REG_PLAIN/busybox" true >/dev/null
        ross run --name st-exited "$REG_PLAIN/busybox" true >/dev/null
        ross run -d --name st-up "$REG_PLAIN/busybox" sleep 60 >/dev/null
        sleep 2.2
        run api GET '/containers/json?all=1'
        [ "$(jq -r '.[] | select(.Names[0] == "/st-created") | .Status' <<<"$output")" = Created ]
        [[ "$(jq -r '.[] | select(.Names[0] == "/st-up") | .Status' <<<"$output")" =~ ^Up\ [2-9]\ seconds$ ]]
        [[ "$(jq -r '.[] | select(.Names[0] == "/st-exited") | .Status' <<<"$output")" =~ ^Exited\ \(0\)\ [2-9]\ seconds\ ago$ ]]
        ross pause st-up >/dev/null
        [[ "$(api GET '/containers/json' | jq -r '.[0].Status')" =~ ^Up\ [0-9]+\ seconds\ \(Paused\)$ ]]
        ross unpause st-up >/dev/null
        run ross ps -a
        assert_status 0
        [[ "$(grep st-up <<<"$output")" =~ \ [0-9]+\ seconds\ ago\ +Up\ [0-9]+\ seconds\ + ]]
        [[ "$(grep st-exited <<<"$output")" =~ Exited\ \(0\)\ [0-9]+\ seconds\ ago ]]
        [[ "$(grep st-created <<<"$output")" =~ \ Created\  ]]
        # Docker's errors for pause and unpause
        run ross unpause st-up
        assert_status 1
        assert_output_contains "is not paused"
        run ross pause st-exited
        assert_status 1
        assert_output_contains "is not running"
}

@test "query parameters and flags are checked numbers: ?t=abc is a 400, stop -t abc a usage error" {
        ross run -d --name q1 "$REG_PLAIN/busybox" sleep 60 >/dev/null
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST 'http://x/containers/q1/stop?t=abc'
        [ "${lines[1]}" = 400 ]
        assert_output_contains "'abc'"
        [ "$(api GET /containers/q1/json | jq -r .State.Status)" = running ]
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST 'http://x/containers/q1/restart?t=1x'
        [ "${lines[1]}" = 400 ]
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" 'http://x/containers/q1/logs?stdout=1&tail=ten'
        [ "${lines[1]}" = 400 ]
        assert_output_contains "'ten'"
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" 'http://x/containers/q1/logs?stdout=1&since=yesterday'
        [ "${lines[1]}" = 400 ]
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X DELETE 'http://x/containers/q1?force=perhaps'
        [ "$output" = 400 ]
        [ "$(api GET /containers/q1/json | jq -r .State.Status)" = running ]
        run ross stop -t abc q1
        assert_status 125
        assert_output_contains '"abc"'
        run ross run --stop-timeout 5s "$REG_PLAIN/busybox" true
        assert_status 125
        run ross run --pids-limit 10x "$REG_PLAIN/busybox" true
        assert_status 125
        run ross logs --tail x q1
        assert_status 125
        # sizes, CPUs and --since are plain decimals: strtod took an exponent, hex and inf
        local flag value
        for flag in "--memory 1e3m" "--memory 0x10m" "--memory inf" "--memory 99999999999g" \
                "--cpus 0x1" "--cpus 1e1" "--cpus nan" "--cpus 0"; do
                value=${flag#* }
                run ross run ${flag% *} "$value" "$REG_PLAIN/busybox" true
                assert_status 125
                assert_output_contains "invalid argument \"$value\" for ${flag% *}"
        done
        run ross logs --since 1e3s q1
        assert_status 125
        assert_output_contains 'invalid argument "1e3s" for --since'
        run ross stop -t 0 q1
        assert_status 0
}

@test "swarm endpoints answer 503 as a Docker engine outside a swarm" {
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' -d '{}' 'http://x/v1.45/swarm/leave?force=1'
        [ "${lines[1]}" = 503 ]
        [ "$(jq -r .message <<<"${lines[0]}")" = "This node is not part of a swarm" ]
        local ep
        for ep in "GET /swarm" "GET /nodes" "GET /services" "GET /tasks" "GET /secrets" "GET /configs" \
                "GET /swarm/unlockkey" "POST /swarm/update" "GET /services/x" "DELETE /nodes/x"; do
                run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X ${ep% *} "http://x${ep#* }"
                [ "${lines[1]}" = 503 ] || { echo "$ep: $output" >&2; return 1; }
                [ "$(jq -r .message <<<"${lines[0]}")" = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.' ]
        done
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST -d '{}' http://x/swarm/init
        [ "${lines[1]}" = 503 ]
        assert_output_contains "swarm mode"
}

@test "/info has Docker's fields, with the containers counted" {
        ross create --name i1 "$REG_PLAIN/busybox" true >/dev/null
        ross run -d --name i2 "$REG_PLAIN/busybox" sleep 60 >/dev/null
        run api GET /info
        j=$output
        [ "$(jq -c '[.Containers, .ContainersRunning, .ContainersPaused, .ContainersStopped, .Images]' <<<"$j")" = '[2,1,0,1,2]' ]
        [ "$(jq -r '[.Debug, .ExperimentalBuild] | map(type) | join(" ")' <<<"$j")" = "boolean boolean" ]
        [ "$(jq -r '.Runtimes | keys | join(" ")' <<<"$j")" = "crun krun qemu runc" ]
        [[ "$(jq -r .Runtimes.runc.path <<<"$j")" == */runc ]]
        [ "$(jq -r '.DefaultRuntime + " " + .OSType + " " + .Swarm.LocalNodeState + " " + .LoggingDriver' <<<"$j")" = "crun linux inactive json-file" ]
        [ "$(jq -r '.NCPU > 0 and .MemTotal > 0' <<<"$j")" = true ]
        [ "$(jq -r .DockerRootDir <<<"$j")" = "$DATA" ]
        [ "$(jq -r .OperatingSystem <<<"$j")" = "$(. /etc/os-release; echo "$PRETTY_NAME")" ]
        [ "$(jq -r '[.ID, .Driver, .KernelVersion, .Name, .ServerVersion, .CgroupDriver, .CgroupVersion, .Architecture] | map(select(. != null and . != "")) | length' <<<"$j")" = 8 ]
        [ "$(jq -r '[.DriverStatus, .SecurityOptions, .Labels, .Warnings] | map(type) | join(" ")' <<<"$j")" = "array array array array" ]
        [ "$(jq -r '.Plugins | keys | join(" ")' <<<"$j")" = "Authorization Log Network Volume" ]
}

@test "the config is checked once at create and read back at start: bad values are a 400 at create, a bind gone since is the start's error" {
        local b
        for b in '{"Image":"'"$REG_PLAIN"'/busybox","Cmd":["true"],"StopTimeout":"ten"}' \
                '{"Image":"'"$REG_PLAIN"'/busybox","Cmd":["true"],"HostConfig":{"Memory":-5}}' \
                '{"Image":"'"$REG_PLAIN"'/busybox","Cmd":["true"],"HostConfig":{"Tmpfs":{"rel/path":""}}}' \
                '{"Image":"'"$REG_PLAIN"'/busybox","Cmd":["true"],"HostConfig":"none"}'; do
                run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
                        -d "$b" 'http://x/containers/create'
                [ "${lines[-1]}" = 400 ] || { echo "$b -> $output"; return 1; }
        done
        [ "$(api GET '/containers/json?all=1' | jq length)" = 0 ]
        local src=$BATS_TEST_TMPDIR/vol
        mkdir -p "$src"
        echo kept >"$src/f"
        ross create --name late -v "$src:/v:ro" "$REG_PLAIN/busybox" cat /v/f >/dev/null
        # what a start runs comes from the stored config, not the request parsed again
        [ "$(api GET /containers/late/json | jq -r '.HostConfig.Binds[0]')" = "$src:/v:ro" ]
        run ross start -a late
        assert_status 0
        [ "$output" = kept ]
        rm -rf "$src"
        run ross start -a late
        [ "$status" -ne 0 ]
        assert_output_contains "bind source path does not exist: $src"
}

@test "liveness is the shim's lock, not a pid: a shim killed with -9 whose pid is reused is not running" {
        ross run -d --name live "$REG_PLAIN/busybox" sleep 60 >/dev/null
        local id
        id=$(api GET /containers/live/json | jq -r .Id)
        local dir=$DATA/containers/$id
        [ "$(api GET /containers/live/json | jq -r .State.Status)" = running ]
        # signals and pause go through the shim's control socket
        run ross pause live
        assert_status 0
        [ "$(api GET /containers/live/json | jq -r .State.Status)" = paused ]
        # the runtime really froze it (cgroup v1 freezer, or v2's cgroup.freeze)
        local fz
        # (a hybrid host has both; the v1 freezer is the one the runtime uses there)
        find /sys/fs/cgroup -path "*$id*" \( -name freezer.state -o -name cgroup.freeze \) \
                -exec grep -H . {} + >"$BATS_TEST_TMPDIR/fz"
        grep -q 'freezer.state:FROZEN$\|^/sys/fs/cgroup/ross/.*cgroup.freeze:1$' "$BATS_TEST_TMPDIR/fz"
        ross unpause live >/dev/null
        local shim cpid
        shim=$(cat "$dir/shim.pid")
        cpid=$(api GET /containers/live/json | jq -r .State.Pid)
        kill -9 "$shim"
        # the pid file now names a live process that is not a shim
        sleep 0.2
        echo $$ >"$dir/shim.pid"
        [ "$(api GET /containers/live/json | jq -r .State.Status)" = exited ]
        run ross kill live
        [ "$status" -ne 0 ]
        assert_output_contains "is not running"
        kill -9 "$cpid" # the container's process, which lost its shim
}

# The daemon keeps each container's list entry and inspect answer (src/container/
# summary-cache.c) once nothing they are made from has changed for 2 s. Each change after
# that must show in the very next answer.
@test "ps and inspect show each change at once, also after their answers were kept" {
        local img=$REG_PLAIN/busybox n
        ross create --name k-created "$img" sleep 600 >/dev/null
        ross create --name k-rename -l k=v "$img" sleep 600 >/dev/null
        for n in k-pause k-stop k-kill9 k-shim9; do
                ross run -d --name "$n" "$img" sleep 600 >/dev/null
        done
        ross run -d --name k-exits "$img" sh -c 'sleep 6; exit 7' >/dev/null
        sleep 2.5
        # kept now, and each answer twice the same
        local list
        list=$(api GET '/containers/json?all=1')
        [ "$(jq length <<<"$list")" = 7 ]
        [ "$(api GET '/containers/json?all=1' | jq -c '[.[] | del(.Status)]')" = "$(jq -c '[.[] | del(.Status)]' <<<"$list")" ]
        for n in k-created k-rename k-pause k-stop k-kill9 k-shim9 k-exits; do
                [ "$(api GET "/containers/$n/json")" = "$(api GET "/containers/$n/json")" ]
        done
        state() { api GET "/containers/$1/json" | jq -r '.State.Status + " " + (.State.ExitCode | tostring)'; }
        listed() { # the entry ps shows: State and Status
                local f
                f=$(jq -rn --arg n "^/$1\$" '{name: [$n]} | tojson | @uri')
                api GET "/containers/json?all=1&filters=$f" | jq -r '.[] | .State + " " + .Status'
        }

        ross start k-created >/dev/null
        [ "$(state k-created)" = "running 0" ]
        [[ "$(listed k-created)" == "running Up "* ]]

        ross rename k-rename k-renamed
        [ "$(api GET /containers/k-renamed/json | jq -r .Name)" = /k-renamed ]
        [ "$(api GET /containers/k-rename/json | jq -r .message)" = "No such container: k-rename" ]
        [ "$(api GET "/containers/json?all=1&filters=$(jq -rn '{label: ["k=v"]} | tojson | @uri')" |
                jq -r '.[].Names[0]')" = /k-renamed ]

        ross pause k-pause >/dev/null
        [ "$(state k-pause)" = "paused 0" ]
        [[ "$(listed k-pause)" == "paused Up "*" (Paused)" ]]
        ross unpause k-pause >/dev/null
        [ "$(state k-pause)" = "running 0" ]

        ross stop -t 0 k-stop >/dev/null
        [ "$(state k-stop)" = "exited 137" ]
        [[ "$(listed k-stop)" == "exited Exited (137) "* ]]

        # the workload killed: the shim writes exit.json
        kill -9 "$(api GET /containers/k-kill9/json | jq -r .State.Pid)"
        ross wait k-kill9 >/dev/null
        [ "$(state k-kill9)" = "exited 137" ]

        # the shim killed: nothing on disk changes, its lock goes
        local id cpid
        id=$(api GET /containers/k-shim9/json | jq -r .Id)
        cpid=$(api GET /containers/k-shim9/json | jq -r .State.Pid)
        kill -9 "$(cat "$DATA/containers/$id/shim.pid")"
        for n in $(seq 1 50); do
                [ "$(state k-shim9)" = "running 0" ] || break
                sleep 0.1
        done
        [ "$(state k-shim9)" = "exited 0" ]
        [ "$(listed k-shim9)" = "exited Exited (0)" ]
        kill -9 "$cpid" # its workload, which lost its shim

        # an exit of its own
        [ "$(ross wait k-exits)" = 7 ]
        [ "$(state k-exits)" = "exited 7" ]
        [[ "$(listed k-exits)" == "exited Exited (7) "* ]]

        ross rm -f k-created >/dev/null
        [ "$(api GET /containers/k-created/json | jq -r .message)" = "No such container: k-created" ]
        [ "$(api GET '/containers/json?all=1' | jq length)" = 6 ]
}
