#!/usr/bin/env bats
# docker-compose 1.29 (Debian's) on what a daily engine gives it: a restart policy bringing a
# crashing service back, `logs -f` following a service to its end, `exec` into a service, a
# named volume shared by two services and removed by `down -v`; `docker cp` in and out of a
# service's container (compose 1.29 has no cp), `top`, `pause`/`unpause` as `ps` shows them,
# `restart`. The daemon runs in a network namespace of its own (the project's network).

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

@test "docker-compose: docker cp in and out of a service's container and its volume, top, pause and unpause in ps, restart" {
        cat >"$P/docker-compose.yml" <<EOF2
version: "2.4"
services:
  app:
    image: $IMG
    command: ["sleep", "600"]
    volumes:
      - shared:/data
  other:
    image: $IMG
    command: ["sleep", "600"]
volumes:
  shared: {}
EOF2
        run dc up -d
        assert_status 0
        T=$BATS_TEST_TMPDIR/cp
        mkdir "$T"
        # docker cp in: into the container's own layer and into its named volume
        head -c 300000 /dev/urandom >"$T/in.bin"
        sum=$(sha256sum <"$T/in.bin" | cut -d' ' -f1)
        run docker cp "$T/in.bin" ce_app_1:/tmp/in.bin
        assert_status 0
        run dc exec -T app sha256sum /tmp/in.bin
        assert_status 0
        [ "$output" = "$sum  /tmp/in.bin" ]
        run docker cp "$T/in.bin" ce_app_1:/data/
        assert_status 0
        cmp "$T/in.bin" "$(docker volume inspect -f '{{.Mountpoint}}' ce_shared)/in.bin"
        # docker cp out: a file, a directory, and a tar to stdout
        dc exec -T app sh -c 'seq 1 5000 >/tmp/out.txt; mkdir -p /tmp/d/e; echo deep >/tmp/d/e/f'
        run docker cp ce_app_1:/tmp/out.txt "$T/out.txt"
        assert_status 0
        cmp "$T/out.txt" <(seq 1 5000)
        run docker cp ce_app_1:/tmp/d "$T/d"
        assert_status 0
        [ "$(cat "$T/d/e/f")" = deep ]
        [ "$(docker cp ce_app_1:/data/in.bin - | tar -xO in.bin | sha256sum | cut -d' ' -f1)" = "$sum" ]
        # top: the service's container by name, its command with the host's PID
        pid=$(docker inspect -f '{{.State.Pid}}' ce_app_1)
        run dc top app
        assert_status 0
        [ "${lines[0]}" = ce_app_1 ]
        assert_output_contains PID
        [ "$(awk -v p="$pid" '$0 ~ /sleep 600/ && $2 == p' <<<"$output" | wc -l)" = 1 ]
        # pause: ps says so for that service alone, exec is refused; unpause brings it back
        run dc pause app
        assert_status 0
        run dc ps
        assert_status 0
        [[ "$(grep '^ce_app_1 ' <<<"$output")" =~ \ Paused\ *$ ]]
        [[ "$(grep '^ce_other_1 ' <<<"$output")" =~ \ Up\ *$ ]]
        [ "$(docker inspect -f '{{.State.Status}} {{.State.Paused}}' ce_app_1)" = "paused true" ]
        [ "$(dc ps --services --filter status=paused)" = app ]
        run docker exec ce_app_1 true
        assert_status 1
        assert_output_contains "Container ce_app_1 is paused, unpause the container before exec"
        run dc unpause app
        assert_status 0
        run dc ps
        [[ "$(grep '^ce_app_1 ' <<<"$output")" =~ \ Up\ *$ ]]
        [ -z "$(dc ps --services --filter status=paused)" ]
        run dc exec -T app echo back
        assert_status 0
        [ "$output" = back ]
        # restart: the same container started anew, its layer kept
        started=$(docker inspect -f '{{.State.StartedAt}}' ce_app_1)
        other=$(docker inspect -f '{{.State.StartedAt}}' ce_other_1)
        run dc restart -t 1 app
        assert_status 0
        assert_output_contains "Restarting ce_app_1"
        j=$(docker inspect ce_app_1)
        [ "$(jq -r '.[0].State | [.Status, .Running] | @tsv' <<<"$j")" = "$(printf 'running\ttrue')" ]
        [ "$(jq -r '.[0].State.StartedAt' <<<"$j")" != "$started" ]
        [ "$(jq -r '.[0].State.Pid' <<<"$j")" != "$pid" ]
        [ "$(jq -r '.[0].RestartCount' <<<"$j")" = 0 ]
        run dc exec -T app sha256sum /tmp/in.bin
        [ "$output" = "$sum  /tmp/in.bin" ]
        [ "$(docker inspect -f '{{.State.StartedAt}}' ce_other_1)" = "$other" ]
        run dc down -v
        assert_status 0
        [ -z "$(docker ps -aq)" ]
}
