#!/usr/bin/env bats
# docker-compose 1.29 (Debian's) on what a daily engine gives it: a restart policy bringing a
# crashing service back, `logs -f` following a service to its end, `exec` into a service, a
# named volume shared by two services and removed by `down -v`. The daemon runs in a network
# namespace of its own (the project's network).

bats_require_minimum_version 1.5.0

load helpers

setup() {
        command -v docker-compose >/dev/null || skip "docker-compose is not installed"
        IMG=$REG_PLAIN/busybox
        start_daemon_netns "$IMG"
        P=$BATS_TEST_TMPDIR/proj
        mkdir -p "$P"
}

teardown() {
        teardown_netns
}

dc() { docker-compose -p ce -f "$P/docker-compose.yml" "$@"; }

@test "docker-compose: restart on-failure, logs -f to the end, exec, a shared named volume, down -v" {
        cat >"$P/docker-compose.yml" <<EOF
version: "2.4"
services:
  flaky:
    image: $IMG
    restart: on-failure:2
    command: ["sh", "-c", "echo try >>/data/tries; exit 1"]
    volumes:
      - shared:/data
  writer:
    image: $IMG
    command: ["sh", "-c", "for i in 1 2 3; do echo line \$\$i; sleep 0.2; done"]
  reader:
    image: $IMG
    command: ["sleep", "600"]
    volumes:
      - shared:/data
volumes:
  shared: {}
EOF
        run dc up -d
        assert_status 0
        # flaky ran three times in all (two restarts), each writing into the shared volume
        for _ in $(seq 600); do
                [ "$(docker inspect -f '{{.RestartCount}} {{.State.Status}}' ce_flaky_1)" = "2 exited" ] && break
                sleep 0.1
        done
        state=$(docker inspect -f '{{.RestartCount}} {{.State.Status}}' ce_flaky_1)
        [ "$state" = "2 exited" ]
        run dc exec -T reader cat /data/tries
        assert_status 0
        [ "$output" = "$(printf 'try\ntry\ntry')" ]
        # logs -f follows the writer until it ends
        run timeout 20 docker-compose -p ce -f "$P/docker-compose.yml" logs -f --no-color writer
        assert_status 0
        assert_output_contains "writer_1  | line 1"
        assert_output_contains "writer_1  | line 3"
        # exec with its exit code
        run dc exec -T reader sh -c 'exit 7'
        assert_status 7
        run dc down -v
        assert_status 0
        assert_output_contains "Removing volume ce_shared"
        [ -z "$(docker volume ls -q)" ]
        [ -z "$(docker ps -aq)" ]
}
