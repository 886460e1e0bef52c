#!/usr/bin/env bats
# Restart policies and update (issue 12, section 2): on-failure[:N], always, unless-stopped
# with Docker's backoff; RestartCount and "restarting"; a user's stop ends them; a daemon
# start brings back what should be up (a kill -9 of the daemon, a container that exited
# meanwhile); ross update --restart and limits on a running container; bad policies.

bats_require_minimum_version 1.5.0

load helpers

IMG=${REG_PLAIN:-127.0.0.1:15000}/busybox

setup() {
        start_daemon
        ross pull -q "$IMG" >/dev/null
}

teardown() {
        teardown_containers
}

count() { ross inspect "$1" | jq -r '.[0].RestartCount'; }
status() { ross inspect "$1" | jq -r '.[0].State.Status'; }

# Wait up to ~N/10 s for a command (a function of this file) to succeed.
until_ok() { # N CMD...
        local n=$1 _
        shift
        for _ in $(seq "$n"); do "$@" 2>/dev/null && return 0; sleep 0.1; done
        "$@"
}

is() { # CONTAINER COUNT-AT-LEAST STATUS
        [ "$(count "$1")" -ge "$2" ] && [ "$(status "$1")" = "$3" ]
}
count_at_least() { [ "$(count "$1")" -ge "$2" ]; }
count_is() { [ "$(count "$1")" = "$2" ] && [ "$(status "$1")" = "$3" ]; }
restarting_shown() { ross ps -a --format json | jq -r '.[]?.Status // .Status' | grep -q "^Restarting (1)"; }
all_running() {
        local c
        for c in "$@"; do [ "$(status "$c")" = running ] || return 1; done
}

@test "on-failure:2 restarts a failing command twice, then leaves it exited; a success is not restarted" {
        ross run -d --name of --restart on-failure:2 "$IMG" sh -c 'echo run >>/tmp/x; exit 3' >/dev/null
        # 100 ms then 200 ms of backoff: both restarts within a few seconds
        until_ok 100 count_is of 2 exited
        # "exited" with its count at 2 only once the third run is over: while the third start
        # is under way it is still "restarting" (seen under sanitizers, where starts are slow)
        ross cp of:/tmp/x "$BATS_TEST_TMPDIR/x"
        [ "$(wc -l <"$BATS_TEST_TMPDIR/x")" = 3 ]
        sleep 1
        [ "$(count of)" = 2 ]
        [ "$(status of)" = exited ]
        [ "$(ross inspect of | jq -r '.[0].State.ExitCode')" = 3 ]
        # three runs in all, each in the same container (its upper layer kept)
        [ "$(ross start -a of 2>/dev/null; true)" = "" ]
        [ "$(ross inspect of | jq -c '.[0].HostConfig.RestartPolicy')" = '{"Name":"on-failure","MaximumRetryCount":2}' ]
        ross run -d --name ok --restart on-failure "$IMG" true >/dev/null
        sleep 1
        [ "$(count ok)" = 0 ]
        [ "$(status ok)" = exited ]
}

@test "always: restarted after each exit with a growing delay; ps says Restarting; a user's stop ends it" {
        ross run -d --name al --restart always "$IMG" sh -c 'exit 1' >/dev/null
        until_ok 100 count_at_least al 3
        # between runs it is "restarting", in ps too
        until_ok 100 restarting_shown
        ross stop -t 1 al >/dev/null
        n=$(count al)
        sleep 2
        [ "$(count al)" = "$n" ]
        [ "$(status al)" = exited ]
        # a user's start: the count begins again
        ross update --restart no al >/dev/null
        ross start al >/dev/null
        sleep 0.5
        [ "$(count al)" = 0 ]
}

@test "a daemon start brings back always and unless-stopped containers that exited meanwhile, not one a user stopped" {
        ross run -d --name aw --restart always "$IMG" sleep 600 >/dev/null
        ross run -d --name us --restart unless-stopped "$IMG" sleep 600 >/dev/null
        ross run -d --name usstopped --restart unless-stopped "$IMG" sleep 600 >/dev/null
        ross run -d --name awstopped --restart always "$IMG" sleep 600 >/dev/null
        ross run -d --name none "$IMG" sleep 600 >/dev/null
        ross stop -t 1 usstopped awstopped >/dev/null
        # the daemon dies; the containers end while it is away (as at a host's reboot)
        kill -9 "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
        for id in $(ls "$DATA/containers"); do
                p=$(cat "$DATA/containers/$id/container.pid" 2>/dev/null) && kill -9 "$p" 2>/dev/null || true
        done
        sleep 1
        start_daemon
        until_ok 100 all_running aw us awstopped
        [ "$(status usstopped)" = exited ]
        [ "$(status none)" = exited ]
        grep -q "started again (restart policy always)" "$DAEMON_LOG"
}

@test "update: --restart on a running container, then its exit restarts it; memory and pids limits change at once" {
        ross run -d --name up -m 64m "$IMG" sh -c 'rm -f /stop; while [ ! -e /stop ]; do sleep 0.1; done' >/dev/null
        run ross update --restart always -m 128m --pids-limit 50 up
        assert_status 0
        [ "$output" = up ]
        j=$(ross inspect up)
        [ "$(jq -c '.[0].HostConfig | [.RestartPolicy.Name, .Memory, .PidsLimit]' <<<"$j")" = '["always",134217728,50]' ]
        # the cgroup has the new limits (v1 or v2)
        pid=$(jq -r '.[0].State.Pid' <<<"$j")
        cg=$(awk -F: '$2 == "memory" || $2 == "" { print $3; exit }' "/proc/$pid/cgroup")
        mem=$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" 2>/dev/null ||
                cat "/sys/fs/cgroup$cg/memory.max" 2>/dev/null ||
                cat /sys/fs/cgroup/unified"$cg"/memory.max 2>/dev/null)
        [ "$mem" = 134217728 ]
        # the new policy holds: its command ends, it comes back
        ross exec up touch /stop
        until_ok 100 is up 1 running
        run curl -s -w ' %{http_code}' --unix-socket "$SOCK" -H 'Content-Type: application/json' -d '{"Memory": 1000}' http://ross/containers/up/update
        [[ "$output" == *"Minimum memory limit allowed is 6MB"*" 400" ]]
}

@test "bad policies are refused at create in Docker's words; --rm with a policy too" {
        run ross run --restart bogus "$IMG" true
        assert_status 125
        assert_output_contains "invalid restart policy 'bogus'"
        run ross run --restart always:3 "$IMG" true
        assert_status 125
        assert_output_contains "invalid restart policy format"
        run ross run --rm --restart always "$IMG" true
        assert_status 125
        assert_output_contains "can't create 'AutoRemove' container with restart policy"
        run curl -s -w ' %{http_code}' --unix-socket "$SOCK" -H 'Content-Type: application/json' \
                -d "{\"Image\":\"$IMG\",\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"always\",\"MaximumRetryCount\":2}}}" \
                http://ross/containers/create
        [[ "$output" == *"maximum retry count can only be used with 'on-failure'"*" 400" ]]
        [ -z "$(ross ps -aq)" ]
}

@test "docker CLI and docker-py: --restart, RestartCount, docker update" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        docker run -d --name dk --restart on-failure:1 "$IMG" sh -c 'exit 9' >/dev/null
        until_ok 100 count_is dk 1 exited
        run docker update --restart unless-stopped dk
        assert_status 0
        [ "$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' dk)" = unless-stopped ]
        /usr/bin/python3 -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        run env IMG="$IMG" /usr/bin/python3 - <<'EOF'
import os, time, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
ct = c.containers.run(os.environ["IMG"], ["sh", "-c", "exit 2"], detach=True, name="py",
                      restart_policy={"Name": "on-failure", "MaximumRetryCount": 2})
for _ in range(100):
    ct.reload()
    if ct.attrs["RestartCount"] == 2 and ct.status == "exited":
        break
    time.sleep(0.1)
print(ct.attrs["RestartCount"], ct.status, ct.attrs["State"]["ExitCode"])
ct.update(restart_policy={"Name": "no"})
ct.reload()
print(ct.attrs["HostConfig"]["RestartPolicy"]["Name"])
EOF
        assert_status 0
        [ "${lines[0]}" = "2 exited 2" ]
        [ "${lines[1]}" = "no" ]
}
