#!/usr/bin/env bats
# Volumes as real Docker clients drive them: the docker CLI (volume create, ls, inspect, rm,
# prune; run -v NAME:/path, --mount type=volume, rm -v), the python docker SDK (Debian's
# python3-docker) and docker-compose 1.29 (a project's named volume, kept by down and removed
# by down -v). The compose test runs its daemon in a network namespace of its own (the
# project's network).

bats_require_minimum_version 1.5.0

load helpers

PY=/usr/bin/python3

setup() {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        IMG=$REG_PLAIN/busybox
}

teardown() {
        if [ -n "${NETNS:-}" ]; then
                teardown_netns
        else
                teardown_containers
        fi
}

@test "docker volume create/ls/inspect/rm/prune; docker run -v NAME and --mount type=volume; docker rm -v" {
        start_daemon
        ross pull -q "$IMG" >/dev/null
        run docker volume create --label owner=cli dv1
        assert_status 0
        [ "$output" = dv1 ]
        run docker volume ls --format '{{.Driver}} {{.Name}}'
        [ "$output" = "local dv1" ]
        run docker volume inspect -f '{{.Name}} {{.Driver}} {{.Mountpoint}} {{.Labels}}' dv1
        [ "$output" = "dv1 local $DATA/volumes/dv1/_data map[owner:cli]" ]
        run docker run --rm -v dv1:/v "$IMG" sh -c 'echo via-docker >/v/f'
        assert_status 0
        run docker run --rm --mount type=volume,source=dv1,target=/w,readonly "$IMG" cat /w/f
        [ "$output" = via-docker ]
        # an anonymous volume; docker rm -v takes it along
        docker run --name anon -v /a "$IMG" true
        name=$(docker inspect -f '{{range .Mounts}}{{.Name}}{{end}}' anon)
        [[ "$name" =~ ^[0-9a-f]{64}$ ]]
        [ "$(docker inspect -f '{{range .Mounts}}{{.Type}} {{.Destination}}{{end}}' anon)" = "volume /a" ]
        docker rm -v anon >/dev/null
        run docker volume inspect "$name"
        [ "$status" -ne 0 ]
        # in use: docker's error, exit 1
        docker create --name holder -v dv1:/v "$IMG" true >/dev/null
        run docker volume rm dv1
        assert_status 1
        assert_output_contains "volume is in use"
        docker rm holder >/dev/null
        run docker volume rm dv1
        assert_status 0
        docker volume create keep >/dev/null
        docker run --name a2 -v /b "$IMG" true
        docker rm a2 >/dev/null
        run docker volume prune -f
        assert_status 0
        assert_output_contains "Total reclaimed space"
        [ "$(docker volume ls -q)" = keep ]
        run docker volume prune -a -f
        [ -z "$(docker volume ls -q)" ]
}

@test "docker-py: volumes.create/list/get/remove/prune, containers.run(volumes=), in use is a 409" {
        $PY -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        start_daemon
        ross pull -q "$IMG" >/dev/null
        run env IMG="$IMG" $PY - <<'EOF'
import os, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
v = c.volumes.create("pyvol", labels={"by": "py"})
print(v.name, v.attrs["Driver"], v.attrs["Labels"], v.attrs["Mountpoint"].endswith("/volumes/pyvol/_data"))
print([x.name for x in c.volumes.list()], [x.name for x in c.volumes.list(filters={"label": "by=py"})])
out = c.containers.run(os.environ["IMG"], ["sh", "-c", "echo py >/data/f; cat /data/f"],
                       volumes={"pyvol": {"bind": "/data", "mode": "rw"}}, remove=True)
print(out.decode().strip())
ct = c.containers.create(os.environ["IMG"], "true", volumes=["pyvol:/data:ro"], name="pyhold")
m = ct.attrs["Mounts"][0] if ct.attrs.get("Mounts") else c.api.inspect_container(ct.id)["Mounts"][0]
print(m["Type"], m["Name"], m["Destination"], m["RW"])
try:
    v.remove()
except docker.errors.APIError as e:
    print(e.status_code, "volume is in use" in e.explanation)
ct.remove()
v.remove()
try:
    c.volumes.get("pyvol")
except docker.errors.NotFound as e:
    print(e.status_code, e.explanation)
c.volumes.create("unused")
print(c.volumes.prune(filters={"all": "true"})["VolumesDeleted"])
EOF
        assert_status 0
        [ "${lines[0]}" = "pyvol local {'by': 'py'} True" ]
        [ "${lines[1]}" = "['pyvol'] ['pyvol']" ]
        [ "${lines[2]}" = "py" ]
        [ "${lines[3]}" = "volume pyvol /data False" ]
        [ "${lines[4]}" = "409 True" ]
        [ "${lines[5]}" = "404 get pyvol: no such volume" ]
        [ "${lines[6]}" = "['unused']" ]
}

@test "docker-compose: a named volume outlives down and a second up; down -v removes it" {
        command -v docker-compose >/dev/null || skip "docker-compose is not installed"
        start_daemon_netns "$IMG"
        local dir=$BATS_TEST_TMPDIR/pv
        mkdir -p "$dir"
        cat >"$dir/docker-compose.yml" <<EOF
version: "2.4"
services:
  app:
    image: $IMG
    command: ["sh", "-c", "date +%s%N >>/data/runs; exec sleep 600"]
    volumes:
      - data:/data
volumes:
  data:
    labels:
      made.by: compose
EOF
        dc() { docker-compose -p pv -f "$dir/docker-compose.yml" "$@"; }
        run dc up -d
        assert_status 0
        run docker volume inspect -f '{{.Name}} {{index .Labels "com.docker.compose.project"}} {{index .Labels "made.by"}}' pv_data
        [ "$output" = "pv_data pv compose" ]
        run dc exec -T app cat /data/runs
        [ "$(grep -c . <<<"$output")" = 1 ]
        run dc down
        assert_status 0
        # the volume and its data stay for the next up
        [ "$(docker volume ls -q)" = pv_data ]
        dc up -d >/dev/null 2>&1
        for _ in $(seq 50); do [ "$(grep -c . "$DATA/volumes/pv_data/_data/runs")" = 2 ] && break; sleep 0.1; done
        [ "$(grep -c . "$DATA/volumes/pv_data/_data/runs")" = 2 ]
        run dc down -v
        assert_status 0
        assert_output_contains "Removing volume pv_data"
        [ -z "$(docker volume ls -q)" ]
        [ ! -e "$DATA/volumes/pv_data" ]
}
