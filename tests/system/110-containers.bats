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
        run ross start busy
        assert_status 1
        assert_output_contains "already running"
        run ross rm busy
        assert_status 1
        assert_output_contains "container is running"
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
        before_mounts=$(grep -c . /proc/mounts)
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
        [ "$(grep -c . /proc/mounts)" = "$before_mounts" ]
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
