#!/usr/bin/env bats
# docker commit (issue 12, section 4): a new image from a container's changes, its overlay
# whiteouts turned back into OCI whiteouts, its config the container's with --change applied;
# it runs and pushes like any other image. The docker CLI and python3-docker; bad input
# refused with nothing left behind.

bats_require_minimum_version 1.5.0

load helpers

IMG=${REG_PLAIN:-127.0.0.1:15000}/busybox
# Committed images are named for a registry that is never there: a run that does not find
# one locally would pull from 127.0.0.1:1 and fail, never from the internet.
NEW=127.0.0.1:1/committed
PY=/usr/bin/python3

setup() {
        start_daemon
        ross pull -q "$IMG" >/dev/null
        T=$BATS_TEST_TMPDIR/t
        mkdir -p "$T"
}

teardown() {
        teardown_containers
}

@test "commit a container that added, changed and deleted files; the new image runs with them and the changes" {
        ross run --name c1 "$IMG" sh -c 'printf "new bytes\n" >/new; echo "x:x:7:7::/:/bin/sh" >>/etc/passwd; rm /etc/group'
        run ross commit -a "Ann <ann@example.com>" -m "first commit" \
                -c 'CMD ["cat","/new"]' -c 'ENV X=1' -c 'LABEL k=v' c1 "$NEW:1"
        assert_status 0
        [[ "$output" == sha256:* ]]
        id=$output
        [ "$(ross image inspect "$NEW:1" | jq -r '.[0].Id')" = "$id" ]
        run ross run --rm "$NEW:1"
        assert_status 0
        [ "$output" = "new bytes" ]
        run ross run --rm "$NEW:1" sh -c 'test -e /etc/group && echo there || echo gone; tail -n1 /etc/passwd; echo "X=$X"'
        assert_status 0
        [ "$output" = "$(printf 'gone\nx:x:7:7::/:/bin/sh\nX=1')" ]
        run ross image inspect "$NEW:1"
        assert_status 0
        [ "$(echo "$output" | jq -r '.[0].Config.Labels.k')" = v ]
        echo "$output" | jq -e '.[0].Config.Env | index("X=1")'
        [ "$(echo "$output" | jq -r '.[0].Author')" = "Ann <ann@example.com>" ]
        [ "$(echo "$output" | jq -r '.[0].Comment')" = "first commit" ]
        base=$(ross image inspect "$IMG" | jq '.[0].RootFS.Layers | length')
        [ "$(echo "$output" | jq '.[0].RootFS.Layers | length')" -eq $((base + 1)) ]
        # the image's config document has the history entry
        blob=$DATA/blobs/sha256/${id#sha256:}
        [ "$(jq -r '.history[-1].comment' "$blob")" = "first commit" ]
        [ "$(jq -r '.history[-1].author' "$blob")" = "Ann <ann@example.com>" ]
        [ "$(jq -r '.container' "$blob")" = "$(ross container inspect c1 | jq -r '.[0].Id')" ]
        # the layer: new and changed files, an OCI whiteout for /etc/group, none of the
        # runtime's mount points
        layer=$(jq -r '.rootfs.diff_ids[-1]' "$blob")
        tar -tf "$DATA/blobs/sha256/${layer#sha256:}" >"$T/list"
        grep -qx new "$T/list"
        grep -qx etc/passwd "$T/list"
        grep -qx etc/.wh.group "$T/list"
        ! grep -qE '^(etc/(hosts|hostname|resolv\.conf)|proc/|sys/|dev/)' "$T/list"
        assert_store_clean
        # the packing ran in the helper, never in the daemon
        ! grep -qE 'libarchive' "/proc/$DAEMON_PID/maps"
}

@test "a directory removed and made again is opaque: the new image has its new content only" {
        # an image with a directory to hide, in a layer of its own (a commit)
        ross run --name base "$IMG" sh -c 'mkdir /d; echo a >/d/a; echo b >/d/b'
        ross commit base "$NEW:base" >/dev/null
        ross run --name op "$NEW:base" sh -c 'rm -rf /d; mkdir /d; echo only >/d/only'
        ross commit op "$NEW:opq" >/dev/null
        run ross run --rm "$NEW:opq" ls -A /d
        assert_status 0
        [ "$output" = only ]
        [ "$(ross run --rm "$NEW:opq" cat /d/only)" = only ]
        layer=$(ross image inspect "$NEW:opq" | jq -r '.[0].RootFS.Layers[-1]')
        tar -tf "$DATA/blobs/sha256/${layer#sha256:}" >"$T/list"
        grep -qx 'd/.wh..wh..opq' "$T/list"
        grep -qx 'd/only' "$T/list"
        ! grep -q '^d/a' "$T/list"
        # committing the new image's container again keeps the directory as it is
        ross run --name op2 "$NEW:opq" sh -c 'echo more >/d/more'
        ross commit op2 "$NEW:opq2" >/dev/null
        [ "$(ross run --rm "$NEW:opq2" ls -A /d | tr '\n' ' ')" = "more only " ]
}

# The pause, unpause and commit events of container "live" so far, in order.
live_events() {
        local f
        f=$(jq -rn '{container: ["live"], event: ["pause", "unpause", "commit"]} | tojson | @uri')
        api GET "/events?since=1&until=$(($(date +%s) + 1))&filters=$f" |
                jq -r '.Action' | tr '\n' ' '
}

@test "commit a running container: paused for the copy by default, -p=false leaves it running; an untagged image" {
        ross run -d --name live "$IMG" sh -c 'echo live >/live; sleep 600' >/dev/null
        for _ in $(seq 1 50); do ross cp live:/live - >/dev/null 2>&1 && break; sleep 0.1; done
        run ross commit live
        assert_status 0
        id=$output
        [ "$(ross image inspect "$id" | jq -c '.[0].RepoTags')" = '[]' ]
        [ "$(ross container inspect live | jq -r '.[0].State.Status')" = running ]
        run ross run --rm "$id" cat /live
        assert_status 0
        [ "$output" = live ]
        # Docker's events: the container paused and thawed around the copy, then committed
        [ "$(live_events)" = "pause unpause commit " ]
        run ross commit -p=false live "$NEW:live"
        assert_status 0
        [ "$(ross container inspect live | jq -r '.[0].State.Status')" = running ]
        [ "$(live_events)" = "pause unpause commit commit " ]
        # the config is the container's: its command
        [ "$(ross image inspect "$NEW:live" | jq -c '.[0].Config.Cmd')" = '["sh","-c","echo live >/live; sleep 600"]' ]
        # a paused container stays paused
        ross pause live
        run ross commit live "$NEW:paused"
        assert_status 0
        [ "$(ross container inspect live | jq -r '.[0].State.Status')" = paused ]
        ross unpause live
}

@test "a symlink the container made is committed as a symlink, never followed" {
        echo "host secret" >"$T/secret"
        ross run --name ln "$IMG" sh -c "ln -s $T/secret /leak; ln -s /etc/passwd /pw; mkdir /sub; ln -s ../../../../$T /sub/up"
        ross commit ln "$NEW:ln" >/dev/null
        layer=$(ross image inspect "$NEW:ln" | jq -r '.[0].RootFS.Layers[-1]')
        tar -tvf "$DATA/blobs/sha256/${layer#sha256:}" >"$T/list"
        grep -q "^l.* leak -> $T/secret\$" "$T/list"
        grep -q '^l.* pw -> /etc/passwd$' "$T/list"
        grep -q "^l.* sub/up -> ../../../../$T\$" "$T/list"
        ! grep -q 'sub/up/' "$T/list"
        ! tar -xOf "$DATA/blobs/sha256/${layer#sha256:}" 2>/dev/null | grep -q "host secret"
        # in the new image the link leads inside it, where there is nothing
        run ross run --rm "$NEW:ln" cat /leak
        assert_status 1
        [ "$(ross run --rm "$NEW:ln" head -n1 /pw)" = "$(ross run --rm "$IMG" head -n1 /etc/passwd)" ]
}

@test "POST /commit: a container config in the body overrides; 201 with the id; Docker's errors; nothing half-written" {
        ross run --name c2 "$IMG" sh -c 'echo a >/a'
        run api POST "/commit?container=c2&repo=$NEW&tag=api&comment=by+api" \
                -H 'Content-Type: application/json' -d '{"Cmd":["cat","/a"],"WorkingDir":"/tmp"}' -w '\n%{http_code}'
        assert_status 0
        [ "${lines[-1]}" = 201 ]
        echo "${lines[0]}" | jq -e '.Id | startswith("sha256:")'
        [ "$(ross image inspect "$NEW:api" | jq -c '.[0].Config | [.Cmd, .WorkingDir]')" = '[["cat","/a"],"/tmp"]' ]
        [ "$(ross run --rm "$NEW:api")" = a ]
        images_before=$(ross images -q | sort)
        snaps_before=$(ls "$DATA/snapshots" | sort)
        # unknown container: 404
        run api POST "/commit?container=nosuch&repo=$NEW&tag=x" -w '\n%{http_code}'
        [ "${lines[-1]}" = 404 ]
        assert_output_contains "No such container: nosuch"
        run ross commit nosuch "$NEW:x"
        assert_status 1
        assert_output_contains "No such container: nosuch"
        # a bad change: 400 in Docker's words
        run api POST "/commit?container=c2&repo=$NEW&tag=bad&changes=RUN+echo+hi" -w '\n%{http_code}'
        [ "${lines[-1]}" = 400 ]
        assert_output_contains "run is not a valid change command"
        run ross commit -c 'ENV A' c2 "$NEW:bad"
        assert_status 1
        run ross commit c2 'bad:ref:with:colons'
        assert_status 1
        run api POST "/commit?container=c2&pause=maybe" -w '\n%{http_code}'
        [ "${lines[-1]}" = 400 ]
        # none of it is there
        [ "$(ross images -q | sort)" = "$images_before" ]
        ! ross images | grep -q "$NEW  *bad"
        [ "$(ls "$DATA/snapshots" | sort)" = "$snaps_before" ]
        assert_store_clean
}

@test "docker commit, the docker CLI" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        docker run --name dk "$IMG" sh -c 'echo via-docker >/f; rm /etc/group'
        run docker commit -c 'CMD ["cat", "/f"]' -c 'ENV X=1' -m "by docker" -a me dk "$NEW:docker"
        assert_status 0
        [[ "$output" == sha256:* ]]
        [ "$(docker run --rm "$NEW:docker")" = via-docker ]
        [ "$(docker run --rm "$NEW:docker" sh -c 'echo $X; test -e /etc/group || echo gone')" = "$(printf '1\ngone')" ]
        [ "$(docker image inspect -f '{{.Comment}} {{.Author}}' "$NEW:docker")" = "by docker me" ]
        run docker commit -c 'RUN x' dk "$NEW:bad"
        assert_status 1
        assert_output_contains "run is not a valid change command"
        run docker commit nosuch
        assert_status 1
        assert_output_contains "No such container: nosuch"
        # a running container, not paused
        docker run -d --name dkr "$IMG" sh -c 'echo run >/r; sleep 600' >/dev/null
        for _ in $(seq 1 50); do docker cp dkr:/r - >/dev/null 2>&1 && break; sleep 0.1; done
        run docker commit --pause=false dkr "$NEW:dkr"
        assert_status 0
        [ "$(docker inspect -f '{{.State.Status}}' dkr)" = running ]
        [ "$(docker run --rm "$NEW:dkr" cat /r)" = run ]
}

@test "python3-docker container.commit(repository=, tag=, changes=)" {
        $PY -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        ross run --name py "$IMG" sh -c 'echo from-py >/p'
        run env NEW="$NEW" $PY - <<'PYEOF'
import os, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
img = c.containers.get("py").commit(repository=os.environ["NEW"], tag="py",
                                    changes=['CMD ["cat", "/p"]', "LABEL via=python"],
                                    message="from python", author="py")
print(img.id)
print(img.labels["via"])
print(c.containers.run(os.environ["NEW"] + ":py", remove=True).decode().strip())
PYEOF
        assert_status 0
        [[ "${lines[0]}" == sha256:* ]]
        [ "${lines[1]}" = python ]
        [ "${lines[2]}" = from-py ]
}

@test "a committed image pushes to the test registry and pulls back into a fresh daemon; it runs" {
        R=commit$$-${BATS_TEST_NUMBER}
        ross run --name pu "$IMG" sh -c 'echo pushed >/pushed; rm /etc/group'
        ross commit -c 'CMD ["cat","/pushed"]' pu "$REG_PLAIN/$R/app:1" >/dev/null
        id=$(ross image inspect "$REG_PLAIN/$R/app:1" | jq -r '.[0].Id')
        run ross push "$REG_PLAIN/$R/app:1"
        assert_status 0
        assert_output_contains "1: digest: sha256:"
        ross rm pu >/dev/null
        stop_daemon
        DATA=$BATS_TEST_TMPDIR/fresh
        start_daemon
        run ross pull "$REG_PLAIN/$R/app:1"
        assert_status 0
        [ "$(ross image inspect "$REG_PLAIN/$R/app:1" | jq -r '.[0].Id')" = "$id" ]
        run timeout -s KILL 30 "$ROSS_CLI" run --rm "$REG_PLAIN/$R/app:1"
        assert_status 0
        [ "$output" = pushed ]
        run timeout -s KILL 30 "$ROSS_CLI" run --rm "$REG_PLAIN/$R/app:1" sh -c 'test -e /etc/group || echo gone'
        [ "$output" = gone ]
}

@test "a qemu micro-VM container: its root against the image's tree becomes the layer; the image runs in a VM and in namespaces" {
        if ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
                skip "qemu-system-x86 and linux-image-amd64 are not installed (scripts/install-deps.sh installs them)"
        fi
        # a VM never started: its layer is empty
        ross create --runtime qemu --name vm0 "$IMG" true >/dev/null
        run ross commit vm0 "$NEW:vm0"
        assert_status 0
        blob=$DATA/blobs/sha256/$(ross image inspect "$NEW:vm0" | jq -r '.[0].Id | ltrimstr("sha256:")')
        layer=$(jq -r '.rootfs.diff_ids[-1]' "$blob")
        [ -z "$(tar -tf "$DATA/blobs/sha256/${layer#sha256:}")" ]
        # one that added, changed and deleted files inside the VM
        run ross run --runtime qemu --name vm1 "$IMG" sh -c 'mkdir -p /made/deep; printf "in the vm\n" >/made/deep/f; echo "v:x:8:8::/:/bin/sh" >>/etc/passwd; rm /etc/group'
        assert_status 0
        run ross commit -c 'CMD ["cat","/made/deep/f"]' vm1 "$NEW:vm"
        assert_status 0
        blob=$DATA/blobs/sha256/${output#sha256:}
        layer=$(jq -r '.rootfs.diff_ids[-1]' "$blob")
        tar -tf "$DATA/blobs/sha256/${layer#sha256:}" | sort >"$T/list"
        # the changes only, an OCI whiteout for the deletion, nothing of the runtime's
        grep -qx made/ "$T/list"
        grep -qx made/deep/f "$T/list"
        grep -qx etc/passwd "$T/list"
        grep -qx etc/.wh.group "$T/list"
        ! grep -q '^bin/\|^proc\|^dev/\|^sys/\|etc/hosts\|etc/hostname\|etc/resolv.conf' "$T/list"
        [ "$(wc -l <"$T/list")" -lt 10 ]
        # it runs in a namespace container and in a VM, with the changes
        run ross run --rm "$NEW:vm"
        assert_status 0
        [ "$output" = "in the vm" ]
        run ross run --rm --runtime qemu "$NEW:vm" sh -c 'test -e /etc/group && echo there || echo gone; tail -n1 /etc/passwd'
        assert_status 0
        [ "$output" = "$(printf 'gone\nv:x:8:8::/:/bin/sh')" ]
        # the docker CLI's commit of the same VM
        run docker commit vm1 "$NEW:vm-docker"
        assert_status 0
        run ross run --rm "$NEW:vm-docker" cat /made/deep/f
        [ "$output" = "in the vm" ]
}
