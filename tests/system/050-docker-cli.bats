#!/usr/bin/env bats
# The stock docker CLI against Ross's socket: pull, images, inspect, tag, rmi, login.

load helpers

setup() {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        start_daemon
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

