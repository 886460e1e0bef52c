#!/usr/bin/env bats
# The stock docker CLI against Ross's socket: pull, images, inspect, tag, rmi, login.

bats_require_minimum_version 1.5.0

load helpers

setup() {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        start_daemon
}

teardown() {
        local id
        for id in $(docker ps -a -q 2>/dev/null); do docker rm -f "$id" >/dev/null 2>&1; done
        stop_daemon
        umount "$DATA"/containers/*/rootfs 2>/dev/null || true
}

@test "docker pull, images, image inspect" {
        run docker pull "$REG_PLAIN/busybox-full"
        assert_status 0
        assert_output_contains "Digest: $(top_digest busybox-full)"
        assert_output_contains "Status: Downloaded newer image for $REG_PLAIN/busybox-full:latest"
        run docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
        assert_status 0
        local id
        id=$(image_id busybox-full)
        [ "$output" = "$REG_PLAIN/busybox-full:latest ${id:7:12}" ]
        run docker image inspect --format '{{.Id}} {{.Config.User}} {{.Os}}/{{.Architecture}}' "$REG_PLAIN/busybox-full"
        assert_status 0
        [ "$output" = "$id app linux/amd64" ]
}

@test "docker tag and docker rmi" {
        docker pull -q "$REG_PLAIN/busybox" >/dev/null
        run docker tag "$REG_PLAIN/busybox" local/copy:2
        assert_status 0
        run docker image inspect --format '{{.Id}}' local/copy:2
        [ "$output" = "$(image_id busybox)" ]
        run docker rmi local/copy:2
        assert_status 0
        assert_output_contains "Untagged: local/copy:2"
        run docker rmi "$REG_PLAIN/busybox"
        assert_status 0
        assert_output_contains "Deleted: $(image_id busybox)"
        run docker images -q
        [ -z "$output" ]
}

@test "docker pull of a missing image fails with the daemon's message" {
        run docker pull "$REG_PLAIN/nope:1"
        [ "$status" -ne 0 ]
        assert_output_contains "manifest for $REG_PLAIN/nope:1 not found"
}

@test "docker login and a credentialed pull" {
        run docker login -u "$REG_USER" -p wrong "$REG_BASIC"
        [ "$status" -ne 0 ]
        assert_output_contains "incorrect username or password"
        run docker login -u "$REG_USER" -p "$REG_PASS" "$REG_BASIC"
        assert_status 0
        assert_output_contains "Login Succeeded"
        run docker pull "$REG_BASIC/busybox"
        assert_status 0
        # and ross-cli finds the credentials docker stored
        ross rmi "$REG_BASIC/busybox" >/dev/null
        run ross pull "$REG_BASIC/busybox"
        assert_status 0
}

@test "docker version and info talk to Ross" {
        run docker version --format '{{.Server.Platform.Name}} {{.Server.APIVersion}}'
        assert_status 0
        [ "$output" = "Ross 1.45" ]
        # docker info prints warnings on stderr; the answer is on stdout
        [ "$(docker info --format '{{.DockerRootDir}}' 2>/dev/null)" = "$DATA" ]
}


@test "docker run -d, ps, logs, inspect, stop, rm" {
        "$ROOT/scripts/fix-hybrid-cgroups.sh" >/dev/null || true
        docker pull -q "$REG_PLAIN/busybox" >/dev/null
        run timeout -s KILL 20 docker run -d --name d1 "$REG_PLAIN/busybox" sh -c 'echo hello-docker; sleep 30'
        assert_status 0
        sleep 0.3
        run docker ps --format '{{.Names}} {{.Status}}'
        # Docker's words for how long: "Up Less than a second", "Up 1 second", "Up 2 seconds"
        [[ "$output" =~ ^d1\ Up\ (Less\ than\ a\ second|1\ second|[0-9]+\ seconds)$ ]]
        run docker logs d1
        [ "$output" = hello-docker ]
        run docker inspect -f '{{.State.Status}}' d1
        [ "$output" = running ]
        run docker stop -t 1 d1
        assert_status 0
        run docker ps -a --format '{{.Names}} {{.Status}}'
        [[ "$output" =~ ^d1\ Exited\ \(137\)\ (Less\ than\ a\ second|1\ second|[0-9]+\ seconds)\ ago$ ]]
        run docker rm d1
        assert_status 0
        [ -z "$(docker ps -a -q)" ]
}

@test "attached docker run: output, stderr apart, the exit code, --rm" {
        "$ROOT/scripts/fix-hybrid-cgroups.sh" >/dev/null || true
        docker pull -q "$REG_PLAIN/busybox" >/dev/null
        run --separate-stderr timeout -s KILL 20 docker run --rm "$REG_PLAIN/busybox" sh -c 'echo out; echo err >&2; exit 3'
        [ "$status" = 3 ]
        [ "$output" = out ] && [ "$stderr" = err ]
        [ -z "$(docker ps -a -q)" ]
        run timeout -s KILL 20 docker run "$REG_PLAIN/busybox" sh -c 'exit 4'
        [ "$status" = 4 ]
}
