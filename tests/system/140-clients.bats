#!/usr/bin/env bats
# Real Docker clients against Ross: the python docker SDK (Debian's python3-docker) and
# docker-compose (Debian's 1.29), as a user runs them. Issue 8, sections 3 and 4.

bats_require_minimum_version 1.5.0

load helpers

PY=/usr/bin/python3

setup() {
        if ! $PY -c 'import docker' 2>/dev/null; then
                skip "python3-docker is not installed (scripts/install-deps.sh installs it)"
        fi
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
}

teardown() {
        teardown_containers
}

# Run a python snippet with docker-py against the daemon; IMG is the test image.
py() {
        IMG="$REG_PLAIN/busybox" $PY - "$@"
}

@test "docker-py: containers.run(detach=True), reload(), attrs State and HostConfig.LogConfig" {
        run py <<'EOF'
import os, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
ct = c.containers.run(os.environ["IMG"], "sleep 300", detach=True, name="py1",
                      network_mode="none", labels={"who": "py"})
ct.reload()
st = ct.attrs["State"]
print(st["Status"], st["Running"], st["Pid"] > 0, st["FinishedAt"])
print(ct.attrs["HostConfig"]["LogConfig"]["Type"], ct.attrs["HostConfig"]["RestartPolicy"]["Name"])
print(sorted(ct.attrs["NetworkSettings"]["Networks"]), ct.attrs["NetworkSettings"]["Ports"])
print(ct.attrs["Config"]["Cmd"], ct.attrs["Path"], ct.attrs["Args"], ct.labels)
print(ct.name, ct.image.tags)
EOF
        assert_status 0
        [ "${lines[0]}" = "running True True 0001-01-01T00:00:00Z" ]
        [ "${lines[1]}" = "json-file no" ]
        [ "${lines[2]}" = "['none'] {}" ]
        [ "${lines[3]}" = "['sleep', '300'] sleep ['300'] {'who': 'py'}" ]
        [ "${lines[4]}" = "py1 ['$REG_PLAIN/busybox:latest']" ]
}

@test "docker-py: containers.list(filters=...) keeps what the filters say" {
        ross run -d --name keep -l app=one "$REG_PLAIN/busybox" sleep 300 >/dev/null
        ross run -d --name other -l app=two "$REG_PLAIN/busybox" sleep 300 >/dev/null
        ross create --name made -l app=one "$REG_PLAIN/busybox" true >/dev/null
        run py <<'EOF'
import os, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
names = lambda l: " ".join(sorted(x.name for x in l))
print(names(c.containers.list(filters={"label": "app=one"})))
print(names(c.containers.list(all=True, filters={"label": "app=one"})))
print(names(c.containers.list(all=True, filters={"label": ["app"]})))
print(names(c.containers.list(filters={"name": "oth"})))
print(names(c.containers.list(all=True, filters={"status": "created"})))
print(names(c.containers.list(all=True, filters={"ancestor": os.environ["IMG"]})))
try:
    c.containers.list(filters={"nosuch": "x"})
    print("no error")
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
EOF
        assert_status 0
        [ "${lines[0]}" = keep ]
        [ "${lines[1]}" = "keep made" ]
        [ "${lines[2]}" = "keep made other" ]
        [ "${lines[3]}" = other ]
        [ "${lines[4]}" = made ]
        [ "${lines[5]}" = "keep made other" ]
        [ "${lines[6]}" = "400 invalid filter 'nosuch'" ]
}

@test "docker-py: container.kill() then the status is exited at once" {
        run py <<'EOF'
import os, time, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
for i in range(5):
    ct = c.containers.run(os.environ["IMG"], "sleep 300", detach=True)
    ct.kill()
    ct.reload()
    print(ct.status, ct.attrs["State"]["ExitCode"])
# another signal answers once delivered: the container ends in its own time
ct = c.containers.run(os.environ["IMG"], ["sh", "-c", "trap 'sleep 1; exit 7' USR1; while :; do sleep 0.1; done"],
                      detach=True)
time.sleep(0.5)
ct.kill(signal="SIGUSR1")
ct.reload()
print(ct.status)
print(ct.wait(timeout=20)["StatusCode"])
try:
    ct.kill()
except docker.errors.APIError as e:
    print(e.status_code)
EOF
        assert_status 0
        [ "$(printf '%s\n' "${lines[@]:0:5}" | sort -u)" = "exited 137" ]
        [ "${lines[5]}" = running ]
        [ "${lines[6]}" = 7 ]
        [ "${lines[7]}" = 409 ]
}

# docker-py's own test teardowns call swarm.leave(force=True): it takes Docker's 503 for "not in
# a swarm" as done (a 404 raised); without force the 503 is an APIError.
@test "docker-py: client.info(), version(), swarm.leave() raising APIError 503, leave(force=True) done" {
        run py <<'EOF'
import os, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
info = c.info()
print(info["Swarm"]["LocalNodeState"], info["OSType"], info["Images"], info["Containers"],
      sorted(info["Runtimes"]), info["DefaultRuntime"], type(info["Debug"]).__name__)
try:
    c.swarm.leave()
    print("left")
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
print(c.swarm.leave(force=True))
try:
    c.swarm.reload()
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
print(c.version()["ApiVersion"])
EOF
        assert_status 0
        [ "${lines[0]}" = "inactive linux 1 0 ['crun', 'krun', 'qemu', 'runc'] crun bool" ]
        [ "${lines[1]}" = "503 This node is not part of a swarm" ]
        [ "${lines[2]}" = True ]
        [ "${lines[3]}" = '503 This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.' ]
        [ "${lines[4]}" = 1.45 ]
}

@test "docker-py: remove of a running container is a 409 in Docker's words; No such container" {
        run py <<'EOF'
import os, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
ct = c.containers.run(os.environ["IMG"], "sleep 300", detach=True)
try:
    ct.remove()
except docker.errors.APIError as e:
    print(e.status_code, e.explanation == "You cannot remove a running container %s. Stop the container before attempting removal or force remove" % ct.id)
ct.remove(force=True)
try:
    c.containers.get("nosuch")
except docker.errors.NotFound as e:
    print(e.status_code, e.explanation)
try:
    c.images.get("nosuch:1")
except docker.errors.ImageNotFound as e:
    print(e.status_code, e.explanation)
EOF
        assert_status 0
        [ "${lines[0]}" = "409 True" ]
        [ "${lines[1]}" = "404 No such container: nosuch" ]
        [ "${lines[2]}" = "404 No such image: nosuch:1" ]
}

# A compose project of one service on the image, without a bridge network.
compose_file() { # DIR NETWORK_MODE
        mkdir -p "$1"
        cat >"$1/docker-compose.yml" <<EOF
version: "2.4"
services:
  web:
    image: $REG_PLAIN/busybox
    command: sleep 300
    network_mode: $2
EOF
}

@test "docker-compose: down --remove-orphans in one project leaves the other project's container running" {
        command -v docker-compose >/dev/null || skip "docker-compose is not installed"
        compose_file "$BATS_TEST_TMPDIR/a" none
        compose_file "$BATS_TEST_TMPDIR/b" host
        run docker-compose -p a -f "$BATS_TEST_TMPDIR/a/docker-compose.yml" up -d
        assert_status 0
        run docker-compose -p b -f "$BATS_TEST_TMPDIR/b/docker-compose.yml" up -d
        assert_status 0
        [ "$(ross ps -q | wc -l)" = 2 ]
        run docker-compose -p a -f "$BATS_TEST_TMPDIR/a/docker-compose.yml" ps -q
        assert_status 0
        [ "$(echo "$output" | grep -c .)" = 1 ]
        run docker-compose -p a -f "$BATS_TEST_TMPDIR/a/docker-compose.yml" down --remove-orphans
        assert_status 0
        # project b's container is still there, and running
        run ross ps --format json
        [ "$(jq -r '[.[].Labels["com.docker.compose.project"]] | join(" ")' <<<"$output")" = b ]
        [ "$(jq -r '.[0].State' <<<"$output")" = running ]
        run docker-compose -p b -f "$BATS_TEST_TMPDIR/b/docker-compose.yml" ps
        assert_status 0
        assert_output_contains "Up"
        run docker-compose -p b -f "$BATS_TEST_TMPDIR/b/docker-compose.yml" down --remove-orphans
        assert_status 0
        [ "$(ross ps -a -q | wc -l)" = 0 ]
}
