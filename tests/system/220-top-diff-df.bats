#!/usr/bin/env bats
# Seeing what runs (issue 12, section 3): top (GET /containers/{id}/top), diff
# (GET /containers/{id}/changes), system df (GET /system/df) and distribution inspect
# (GET /distribution/{name}/json), with ross-cli, the docker CLI and python3-docker; and the
# endpoints of what Ross has not (/build, /session, /plugins).

bats_require_minimum_version 1.5.0

load helpers

PY=/usr/bin/python3

setup() {
        IMG=$REG_PLAIN/busybox
}

teardown() {
        teardown_containers
}

# A field of a JSON document on stdin, by a python expression on j.
jq_py() { $PY -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

@test "top: the container's sleep with its arguments and no host process; ps arguments; 409 when stopped" {
        start_daemon
        ross pull -q "$IMG" >/dev/null
        id=$(ross run -d --name tp "$IMG" sleep 1234)
        t0=$(date +%s.%N)
        run ross top tp
        assert_status 0
        # Docker's top event
        [ "$(ross events --since "$t0" --until "$(date +%s.%N)" --format json --filter event=top | jq -r .Actor.Attributes.name)" = tp ]
        # docker's columns for ps -ef, and one process: the container's
        [[ "${lines[0]}" =~ ^UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD$ ]]
        [ "${#lines[@]}" = 2 ]
        [[ "${lines[1]}" == *" sleep 1234" ]]
        pid=$(api GET /containers/tp/json | jq -r .State.Pid)
        [ "$(awk '{print $2}' <<<"${lines[1]}")" = "$pid" ]
        [[ "$output" != *ross-daemon* ]]
        [[ "$output" != *bats* ]]
        # an exec'd process is the container's too
        ross exec -d tp sleep 4321
        for _ in $(seq 50); do ross top tp | grep -q "sleep 4321" && break; sleep 0.1; done
        run ross top tp
        [ "${#lines[@]}" = 3 ]
        assert_output_contains "sleep 4321"
        # ps arguments, as docker top passes them on
        run ross top tp aux
        assert_status 0
        [[ "${lines[0]}" =~ ^USER\ +PID\ +%CPU\ +%MEM\ +VSZ\ +RSS\ +TTY\ +STAT\ +START\ +TIME\ +COMMAND$ ]]
        assert_output_contains "sleep 1234"
        run ross top tp -o pid,args
        [[ "${lines[0]}" =~ ^PID\ +COMMAND$ ]]
        [[ "${lines[1]}" =~ ^$pid\ +sleep\ 1234$ ]]
        # the API's answer: Titles and Processes
        run api GET "/containers/tp/top?ps_args=-o%20pid,comm"
        [ "$(jq -c .Titles <<<"$output")" = '["PID","COMMAND"]' ]
        [ "$(jq -r '.Processes[0][1]' <<<"$output")" = sleep ]
        # Docker's refusals: a column renamed PID, and ps failing
        run api GET "/containers/tp/top?ps_args=-o%20user%3DPIDX"
        [ "$(jq -r .message <<<"$output")" = 'specifying "user=PIDX" is not allowed' ]
        run ross top tp --no-such-option
        assert_status 1
        assert_output_contains "Error running ps: "
        ross stop -t 0 tp >/dev/null
        run ross top tp
        assert_status 1
        assert_output_contains "Container $id is not running"
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://ross/containers/tp/top
        [ "$output" = 409 ]
        run api GET /containers/nope/top
        assert_output_contains "No such container: nope"
}

@test "diff: A, C and D as docker lists them, parents included; none for a container that never ran" {
        start_daemon
        ross pull -q "$IMG" >/dev/null
        ross run --name df1 "$IMG" sh -c 'touch /new; rm /etc/group; echo x >> /etc/passwd'
        run ross diff df1
        assert_status 0
        [ "$output" = "$(printf 'C /etc\nD /etc/group\nC /etc/passwd\nA /new')" ]
        # the API's Kind numbers: 0 modified, 1 added, 2 deleted
        run api GET /containers/df1/changes
        [ "$(jq -c '[.[] | [.Path, .Kind]]' <<<"$output")" = '[["/etc",0],["/etc/group",2],["/etc/passwd",0],["/new",1]]' ]
        # a new tree is added all through; /etc/hosts, /etc/hostname and /etc/resolv.conf (the
        # runtime's mounts) and /proc, /dev are not the container's changes
        ross run --name df2 "$IMG" sh -c 'mkdir -p /a/b && echo f >/a/b/f && echo 1.2.3.4 x >>/etc/hosts && cat /etc/hostname >/dev/null'
        run ross diff df2
        [ "$output" = "$(printf 'A /a\nA /a/b\nA /a/b/f')" ]
        # an unchanged container, and one that never started
        ross run --name df3 "$IMG" true
        run ross diff df3
        assert_status 0
        [ -z "$output" ]
        ross create --name df4 "$IMG" true >/dev/null
        run ross diff df4
        assert_status 0
        [ -z "$output" ]
        run ross diff nope
        assert_status 1
        assert_output_contains "No such container: nope"
}

@test "top and diff of a micro-VM: ps inside the guest, the root against the image's flat rootfs" {
        if ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
                skip "qemu-system-x86 and linux-image-amd64 are not installed"
        fi
        start_daemon
        ross pull -q "$IMG" >/dev/null
        ross run -d --name vm1 --runtime qemu "$IMG" sleep 2345 >/dev/null
        run ross top vm1
        assert_status 0
        # the guest's init and the workload; not its kernel's threads, not the ps that looked
        [[ "${lines[0]}" =~ ^PID\ +USER\ +COMMAND$ ]]
        [ "${#lines[@]}" = 3 ]
        [[ "${lines[1]}" =~ ^1\ +root\ +/init ]]
        [[ "${lines[2]}" =~ \ sleep\ 2345$ ]]
        run ross top vm1 -o pid,comm
        [ "$(awk 'NR > 1 {print $2}' <<<"$output" | tr '\n' ' ')" = "init sleep " ]
        ross exec vm1 sh -c 'touch /new; rm /etc/group; echo x >> /etc/passwd'
        run ross diff vm1
        assert_status 0
        [ "$output" = "$(printf 'C /etc\nD /etc/group\nC /etc/passwd\nA /new')" ]
        # an image without ps: the VM as the host sees it (the VMM)
        ross exec vm1 rm /bin/ps
        run ross top vm1
        assert_status 0
        assert_output_contains "qemu-system-x86_64"
        [[ "$output" != *"sleep 2345"* ]]
        run ross diff vm1
        assert_output_contains "D /bin/ps"
}

@test "system df: images with shared layers, a container's 10 MiB, a volume's size and users, no build cache" {
        start_daemon
        ross pull -q "$IMG" >/dev/null
        ross pull -q "$REG_PLAIN/busybox-full" >/dev/null
        ross run --name writer "$IMG" sh -c 'head -c 10485760 /dev/zero >/big'
        ross volume create vdata >/dev/null
        ross run --name vuser -v vdata:/data "$IMG" sh -c 'head -c 3000000 /dev/zero >/data/f'
        ross volume create vidle >/dev/null
        run api GET /system/df
        assert_status 0
        du=$output
        # one layer, shared by both images
        layer=$(jq '.Images[0].Size' <<<"$du")
        [ "$(jq .LayersSize <<<"$du")" = "$layer" ]
        [ "$(jq '[.Images[] | .SharedSize == .Size] | all' <<<"$du")" = true ]
        [ "$(jq -r '.Images[] | select(.RepoTags[0] | endswith("/busybox:latest")) | .Containers' <<<"$du")" = 2 ]
        # SizeRw: what the container wrote; SizeRootFs: that and its image
        rw=$(jq '.Containers[] | select(.Names[0] == "/writer") | .SizeRw' <<<"$du")
        [ "$rw" -ge 10485760 ]
        [ "$rw" -lt $((10485760 + 65536)) ]
        [ "$(jq '.Containers[] | select(.Names[0] == "/writer") | .SizeRootFs' <<<"$du")" = $((rw + layer)) ]
        # volumes: the data's size, and how many containers name it
        vsize=$(jq '.Volumes[] | select(.Name == "vdata") | .UsageData.Size' <<<"$du")
        [ "$vsize" -ge 3000000 ]
        [ "$vsize" -lt $((3000000 + 65536)) ]
        [ "$(jq '.Volumes[] | select(.Name == "vdata") | .UsageData.RefCount' <<<"$du")" = 1 ]
        [ "$(jq '.Volumes[] | select(.Name == "vidle") | .UsageData.RefCount' <<<"$du")" = 0 ]
        [ "$(jq -c .BuildCache <<<"$du")" = "[]" ]
        # type= asks for some only
        [ "$(api GET '/system/df?type=volume' | jq -c keys)" = '["Volumes"]' ]
        [ "$(api GET '/system/df?type=image&type=container' | jq -c keys)" = '["Containers","Images","LayersSize"]' ]
        run api GET '/system/df?type=bogus'
        [ "$(jq -r .message <<<"$output")" = "unknown object type: bogus" ]
        # docker's table
        run ross system df
        assert_status 0
        [[ "${lines[0]}" =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ ]]
        # an image is active when a container (running or not) uses it
        [[ "${lines[1]}" =~ ^Images\ +2\ +1\ +2\.[0-9]+MB\ +2\.[0-9]+MB\ \(100%\)$ ]]
        [[ "${lines[2]}" =~ ^Containers\ +2\ +0\ +10\.4[0-9]*MB\ +10\.4[0-9]*MB\ \(100%\)$ ]]
        [[ "${lines[3]}" =~ ^Local\ Volumes\ +2\ +1\ +3\.[0-9]*MB\ +0B\ \(0%\)$ ]]
        [[ "${lines[4]}" =~ ^Build\ Cache\ +0\ +0\ +0B\ +0B$ ]]
        run ross system df -v
        assert_status 0
        assert_output_contains "Images space usage:"
        [[ "$output" =~ $REG_PLAIN/busybox-full\ +latest\ +[0-9a-f]{12}\ + ]]
        assert_output_contains "Containers space usage:"
        [[ "$output" == *'"sh -c '*'…"'* ]]
        [[ "$output" =~ vdata\ +1\ +3\.[0-9]*MB ]]
        [[ "$output" =~ vidle\ +0\ +0B ]]
        assert_output_contains "Build cache usage: 0B"
        # the same tables as the docker CLI's
        if command -v docker >/dev/null; then
                [ "$(ross system df)" = "$(docker system df)" ]
        fi
}

@test "distribution inspect: the manifest's digest and the platforms, from the registry, nothing pulled" {
        start_daemon
        run api GET "/distribution/$REG_PLAIN/busybox/json"
        assert_status 0
        [ "$(jq -r .Descriptor.digest <<<"$output")" = "$(top_digest busybox)" ]
        [ "$(jq -r .Descriptor.mediaType <<<"$output")" = application/vnd.oci.image.manifest.v1+json ]
        size=$(curl -s "http://$REG_PLAIN/v2/busybox/manifests/latest" -H 'Accept: application/vnd.oci.image.manifest.v1+json' | wc -c)
        [ "$(jq .Descriptor.size <<<"$output")" = "$size" ]
        [ "$(jq -c .Platforms <<<"$output")" = '[{"architecture":"amd64","os":"linux"}]' ]
        # an index: every entry's platform, as the registry lists them
        run api GET "/distribution/$REG_PLAIN/multiarch/json"
        [ "$(jq -r .Descriptor.digest <<<"$output")" = "$(top_digest multiarch)" ]
        [ "$(jq -r .Descriptor.mediaType <<<"$output")" = application/vnd.oci.image.index.v1+json ]
        [ "$(jq -c '[.Platforms[] | [.os, .architecture, .variant]]' <<<"$output")" = '[["linux","amd64",null],["linux","arm64","v8"],["unknown","unknown",null]]' ]
        # a Docker manifest list, and by digest
        run api GET "/distribution/$REG_PLAIN/multiarch-docker/json"
        [ "$(jq -r .Descriptor.mediaType <<<"$output")" = application/vnd.docker.distribution.manifest.list.v2+json ]
        [ "$(jq -r .Descriptor.digest <<<"$output")" = "$(top_digest multiarch-docker)" ]
        run api GET "/distribution/$REG_PLAIN/busybox@$(top_digest busybox)/json"
        [ "$(jq -r .Descriptor.digest <<<"$output")" = "$(top_digest busybox)" ]
        # what is not there, and what names no repository
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://ross/distribution/$REG_PLAIN/nope/json"
        [ "${lines[1]}" = 404 ]
        assert_output_contains "not found"
        run api GET "/distribution/$(image_id busybox)/json"
        assert_output_contains "no manifest found for full image ID"
        # nothing was pulled, nothing is left in the store
        [ -z "$(ross images -q)" ]
        assert_store_clean
        [ -z "$(ls -A "$DATA/ingest")" ]
        # python3-docker's registry data
        if $PY -c 'import docker' 2>/dev/null; then
                run env IMG="$REG_PLAIN/multiarch" $PY -c '
import os, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
d = c.images.get_registry_data(os.environ["IMG"])
print(d.id, d.has_platform("linux/amd64"), d.has_platform("linux/arm64/v8"),
      d.has_platform("linux/s390x"))'
                assert_status 0
                [ "$output" = "$(top_digest multiarch) True True False" ]
        fi
}

@test "the docker CLI: docker top, docker diff, docker system df" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        start_daemon
        ross pull -q "$IMG" >/dev/null
        docker run -d --name dk "$IMG" sleep 3456 >/dev/null
        run docker top dk
        assert_status 0
        [ "${#lines[@]}" = 2 ]
        [[ "${lines[1]}" == *" sleep 3456" ]]
        [ "$output" = "$(ross top dk)" ]
        run docker top dk -o pid,args
        [[ "${lines[0]}" =~ ^PID\ +COMMAND$ ]]
        docker exec dk sh -c 'touch /new; rm /etc/group; echo x >> /etc/passwd'
        run docker diff dk
        assert_status 0
        [ "$output" = "$(printf 'C /etc\nD /etc/group\nC /etc/passwd\nA /new')" ]
        run docker system df
        assert_status 0
        [[ "${lines[1]}" =~ ^Images\ +1\ +1\  ]]
        [[ "${lines[2]}" =~ ^Containers\ +1\ +1\  ]]
        docker stop -t 0 dk >/dev/null
        run docker top dk
        assert_status 1
        assert_output_contains "is not running"
}

@test "python3-docker: container.top(), container.diff(), client.df()" {
        $PY -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        start_daemon
        ross pull -q "$IMG" >/dev/null
        ross volume create pyv >/dev/null
        run env IMG="$IMG" $PY - <<'EOF'
import os, time, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
ct = c.containers.run(os.environ["IMG"], ["sh", "-c", "touch /made; exec sleep 600"], detach=True)
c.containers.create(os.environ["IMG"], "true", volumes={"pyv": {"bind": "/v", "mode": "rw"}})
for _ in range(50):
    t = ct.top()
    if [p[-1] for p in t["Processes"]] == ["sleep 600"]:
        break
    time.sleep(0.1)
print(t["Titles"][-1], [p[-1] for p in t["Processes"]])
print(ct.top(ps_args="-o pid,comm")["Titles"])
print(ct.diff())
df = c.df()
print(len(df["Images"]), len(df["Containers"]), all(x["SizeRw"] >= 0 for x in df["Containers"]),
      [(v["Name"], v["UsageData"]["RefCount"]) for v in df["Volumes"]], df["BuildCache"])
ct.remove(force=True)
EOF
        assert_status 0
        [ "${lines[0]}" = "CMD ['sleep 600']" ]
        [ "${lines[1]}" = "['PID', 'COMMAND']" ]
        [ "${lines[2]}" = "[{'Path': '/made', 'Kind': 1}]" ]
        [ "${lines[3]}" = "1 2 True [('pyv', 1)] []" ]
}

@test "/build, /session and /plugins: Docker's answers for an engine without a builder or plugins" {
        start_daemon
        run curl -s -w '\n%{http_code}' -X POST --unix-socket "$SOCK" http://ross/build
        [ "${lines[1]}" = 501 ]
        [ "$(jq -r .message <<<"${lines[0]}")" = "Ross has no image builder: build with buildah or docker and push, then pull" ]
        run curl -s -w '\n%{http_code}' -X POST --unix-socket "$SOCK" http://ross/v1.45/session
        [ "${lines[1]}" = 501 ]
        assert_output_contains "Ross has no image builder"
        # no build cache to prune: docker system prune asks for it
        run api POST /build/prune
        [ "$output" = '{"CachesDeleted":[],"SpaceReclaimed":0}' ]
        # no plugin to list or inspect, none to install
        [ "$(api GET /plugins)" = "[]" ]
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" http://ross/plugins/vieux/sshfs/json
        [ "${lines[1]}" = 404 ]
        [ "$(jq -r .message <<<"${lines[0]}")" = 'plugin "vieux/sshfs" not found' ]
        run curl -s -w '\n%{http_code}' -X POST --unix-socket "$SOCK" "http://ross/plugins/pull?remote=vieux/sshfs"
        [ "${lines[1]}" = 501 ]
        assert_output_contains "Ross does not support Docker engine plugins"
        if command -v docker >/dev/null; then
                mkdir -p "$BATS_TEST_TMPDIR/ctx"
                echo 'FROM scratch' >"$BATS_TEST_TMPDIR/ctx/Dockerfile"
                run env DOCKER_BUILDKIT=0 docker build "$BATS_TEST_TMPDIR/ctx"
                [ "$status" -ne 0 ]
                assert_output_contains "Error response from daemon: Ross has no image builder: build with buildah or docker and push, then pull"
                run docker plugin ls
                assert_status 0
                [[ "${lines[0]}" =~ ^ID\ +NAME ]]
                [ "${#lines[@]}" = 1 ]
        fi
}
