#!/usr/bin/env bats
# GET /events and ross-cli events (issue 12, section 3): the events Docker emits for
# containers, images, volumes and networks, with since, until and filters, streamed live;
# the docker CLI and python3-docker reading them.

bats_require_minimum_version 1.5.0

load helpers

IMG=${REG_PLAIN:-127.0.0.1:15000}/busybox

setup() {
        start_daemon
        ross pull -q "$IMG" >/dev/null
}

teardown() {
        [ -n "${EVPID:-}" ] && kill "$EVPID" 2>/dev/null
        teardown_containers
}

now() { date +%s.%N; }

# The events between two times, as "Type Action name" lines.
events_between() { # SINCE UNTIL [FILTERS...]
        local since=$1 until=$2
        shift 2
        ross events --since "$since" --until "$until" --format json "$@" |
                jq -r '[.Type, .Action, (.Actor.Attributes.name // .Actor.ID)] | join(" ")'
}

@test "a container's life: create, start, die with its exit code, destroy; attributes name, image and labels" {
        t0=$(now)
        ross run --name ev1 -l team=blue "$IMG" sh -c 'exit 3' || true
        ross rm ev1 >/dev/null
        t1=$(now)
        run events_between "$t0" "$t1" --filter type=container
        assert_status 0
        # an attached run attaches before its start, as Docker's
        [ "$output" = "$(printf 'container create ev1\ncontainer attach ev1\ncontainer start ev1\ncontainer die ev1\ncontainer destroy ev1')" ]
        die=$(ross events --since "$t0" --until "$t1" --format json --filter event=die)
        [ "$(jq -r '.Actor.Attributes | [.exitCode, .image, .team, .name] | join(" ")' <<<"$die")" = "3 $IMG blue ev1" ]
        [ "$(jq -r '[.status, .from, .scope, (.timeNano > 0)] | join(" ")' <<<"$die")" = "die $IMG local true" ]
        [ "$(jq -r '.Actor.ID | length' <<<"$die")" = 64 ]
        # the docker CLI's line format
        run ross events --since "$t0" --until "$t1" --filter event=destroy
        [[ "$output" =~ ^20[0-9-]+T[0-9:]+\.[0-9]{9}Z\ container\ destroy\ [0-9a-f]{64}\ \(.*name=ev1.*team=blue\)$ ]]
}

@test "stop, kill, pause, unpause, rename, restart, update: their events, in Docker's order" {
        # sleep as PID 1 ignores SIGTERM: each stop ends with a SIGKILL, as Docker's
        ross run -d --name ev2 "$IMG" sleep 600 >/dev/null
        t0=$(now)
        ross pause ev2 >/dev/null
        ross unpause ev2 >/dev/null
        ross rename ev2 ev3 >/dev/null
        ross update --restart on-failure:2 ev3 >/dev/null
        ross stop -t 1 ev3 >/dev/null
        ross start ev3 >/dev/null
        ross restart -t 1 ev3 >/dev/null
        ross kill ev3 >/dev/null
        t1=$(now)
        id=$(ross inspect ev3 | jq -r '.[0].Id')
        run events_between "$t0" "$t1" --filter "container=$id"
        assert_status 0
        [ "$output" = "$(printf '%s\n' 'container pause ev2' 'container unpause ev2' 'container rename ev3' \
                'container update ev3' 'container kill ev3' 'container kill ev3' 'container die ev3' \
                'container stop ev3' 'container start ev3' 'container kill ev3' 'container kill ev3' \
                'container die ev3' 'container stop ev3' \
                'container start ev3' 'container restart ev3' 'container kill ev3' 'container die ev3')" ] ||
                { echo "$output"; false; }
        # the rename's old name; the kill's signal
        [ "$(ross events --since "$t0" --until "$t1" --format json --filter event=rename | jq -r .Actor.Attributes.oldName)" = /ev2 ]
        [ "$(ross events --since "$t0" --until "$t1" --format json --filter event=kill | jq -r .Actor.Attributes.signal | tr '\n' ' ')" = "15 9 15 9 9 " ]
}

@test "volume, image and filter events: create, mount, unmount, destroy; pull, tag, untag; filters and a bad filter" {
        t0=$(now)
        ross run --rm -v evvol:/d "$IMG" true
        ross volume rm evvol >/dev/null
        ross tag "$IMG" evtag:one
        ross rmi evtag:one >/dev/null
        t1=$(now)
        run events_between "$t0" "$t1" --filter type=volume
        [ "$output" = "$(printf 'volume create evvol\nvolume mount evvol\nvolume unmount evvol\nvolume destroy evvol')" ]
        [ "$(ross events --since "$t0" --until "$t1" --format json --filter event=mount | jq -r '.Actor.Attributes | [(.container | length), .destination, .driver] | join(" ")')" = "64 /d local" ]
        run events_between "$t0" "$t1" --filter type=image
        [ "$output" = "$(printf 'image tag evtag:one\nimage untag evtag:one')" ]
        [ "$(ross events --since "$t0" --until "$t1" --format json --filter volume=evvol --filter event=destroy | jq -r .Action)" = destroy ]
        # a pull is an image event named by its reference
        t2=$(now)
        ross pull -q "$REG_PLAIN/busybox-full" >/dev/null
        t3=$(now)
        [ "$(events_between "$t2" "$t3" --filter type=image)" = "image pull $REG_PLAIN/busybox-full" ]
        run curl -s -w ' %{http_code}' --unix-socket "$SOCK" 'http://ross/events?until=1&filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D'
        [[ "$output" == *"invalid filter 'bogus'"*" 400" ]]
        run curl -s -w ' %{http_code}' --unix-socket "$SOCK" 'http://ross/events?since=yesterday'
        [[ "$output" == *"invalid value for since"*" 400" ]]
}

@test "events stream live: a subscriber sees a container started after it subscribed, with the docker CLI too" {
        ross events --filter event=start --format json >"$BATS_TEST_TMPDIR/live" &
        EVPID=$!
        docker events --filter event=die --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}' >"$BATS_TEST_TMPDIR/dlive" &
        local dpid=$!
        sleep 0.5
        ross run --rm --name live1 "$IMG" sh -c 'exit 4' || true
        for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/live" ] && [ -s "$BATS_TEST_TMPDIR/dlive" ] && break; sleep 0.1; done
        kill "$dpid" 2>/dev/null || true
        [ "$(jq -r '.Actor.Attributes.name' "$BATS_TEST_TMPDIR/live")" = live1 ]
        [ "$(cat "$BATS_TEST_TMPDIR/dlive")" = "container die live1 4" ]
}

@test "docker-py: client.events(since, until, decode=True, filters)" {
        /usr/bin/python3 -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        t0=$(date +%s)
        ross run --name pyev "$IMG" true >/dev/null
        ross rm pyev >/dev/null
        t1=$(($(date +%s) + 1))
        run /usr/bin/python3 - "$t0" "$t1" <<'EOF'
import os, sys, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
evs = c.events(since=int(sys.argv[1]), until=int(sys.argv[2]), decode=True,
               filters={"type": "container", "container": "pyev"})
print(" ".join(e["Action"] for e in evs))
EOF
        assert_status 0
        [ "$output" = "create attach start die destroy" ]
}

@test "exec and attach: exec_create, exec_start and exec_die with the exec's id and exit code; attach, resize and detach" {
        ross run -d -i -t --name ev5 "$IMG" sh >/dev/null
        t0=$(now)
        run ross exec ev5 sh -c 'exit 4'
        assert_status 4
        t1=$(now)
        # exec_die comes from the exec's exit, a moment after the exec's own answer
        for _ in $(seq 50); do
                [ -n "$(ross events --since "$t0" --until "$(now)" --filter event=exec_die --format json)" ] && break
                sleep 0.1
        done
        t1=$(now)
        run events_between "$t0" "$t1" --filter container=ev5
        assert_status 0
        [ "$output" = "$(printf 'container exec_create: sh -c exit 4 ev5\ncontainer exec_start: sh -c exit 4 ev5\ncontainer exec_die ev5')" ]
        j=$(ross events --since "$t0" --until "$t1" --format json --filter event=exec_die)
        eid=$(jq -r .Actor.Attributes.execID <<<"$j")
        [ "$(jq -r .Actor.Attributes.exitCode <<<"$j")" = 4 ]
        [ "${#eid}" = 64 ]
        # the same exec id on all three; "event=exec_start" matches "exec_start: ..."
        [ "$(ross events --since "$t0" --until "$t1" --format json --filter event=exec_start | jq -r .Actor.Attributes.execID)" = "$eid" ]
        # attach, a resize and the detach keys, through a real terminal
        t2=$(now)
        run "$BATS_TEST_DIRNAME/ptydrive.py" --rows 30 --cols 100 "$ROSS_CLI" attach ev5 <<'STEPS'
send echo $((3+4))x\r
expect 7x
send \x10\x11
STEPS
        assert_output_contains "[exit 0]"
        t3=$(now)
        run events_between "$t2" "$t3" --filter container=ev5
        assert_output_contains "container attach ev5"
        assert_output_contains "container detach ev5"
        r=$(ross events --since "$t2" --until "$t3" --format json --filter event=resize | head -n 1)
        [ "$(jq -r '.Actor.Attributes | "\(.height)x\(.width)"' <<<"$r")" = 30x100 ]
}

@test "oom: a container the kernel's OOM killer ends has State.OOMKilled and an oom event before its die; a kill -9 is no OOM" {
        t0=$(now)
        run ross run --name hog --memory 16m "$IMG" sh -c 's=aaaaaaaa; while :; do s="$s$s"; done'
        assert_status 137
        [ "$(ross inspect hog | jq -c '.[0].State | [.OOMKilled, .ExitCode]')" = '[true,137]' ]
        t1=$(now)
        run events_between "$t0" "$t1" --filter container=hog --filter event=oom --filter event=die
        [ "$output" = "$(printf 'container oom hog\ncontainer die hog')" ]
        # the docker CLI reads it too
        [ "$(docker inspect -f '{{.State.OOMKilled}}' hog)" = true ]
        # a SIGKILL from a user is 137 too, and no OOM
        ross run -d --name killed --memory 16m "$IMG" sleep 600 >/dev/null
        ross kill killed >/dev/null
        [ "$(ross inspect killed | jq -c '.[0].State | [.OOMKilled, .ExitCode]')" = '[false,137]' ]
}

@test "an exec still running when the daemon comes back: its exec_die comes from the new daemon" {
        ross run -d --name ev7 "$IMG" sleep 600 >/dev/null
        ross exec -d ev7 sh -c 'sleep 3; exit 6'
        kill -9 "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
        t0=$(now)
        start_daemon
        local j=
        for _ in $(seq 100); do
                j=$(ross events --since "$t0" --until "$(now)" --format json --filter event=exec_die --filter container=ev7)
                [ -n "$j" ] && break
                sleep 0.1
        done
        [ "$(jq -r .Actor.Attributes.exitCode <<<"$j")" = 6 ]
}
