#!/usr/bin/env bats
# docker save (issue 12, section 4): images as Docker 25's archive, an OCI image layout
# (oci-layout, index.json, blobs/sha256/...) with manifest.json and repositories beside it,
# the blobs as they are in the store; GET /images/{name}/get and /images/get?names=;
# ross-cli save; the docker CLI and python3-docker; a real dockerd loads what Ross saves.

bats_require_minimum_version 1.5.0

load helpers

IMG=${REG_PLAIN:-127.0.0.1:15000}/busybox
PY=/usr/bin/python3
BUILDERS=$ROOT/tests/world/builders/builders.sh

setup() {
        start_daemon
        ross pull -q "$IMG" >/dev/null
        T=$BATS_TEST_TMPDIR/t
        mkdir -p "$T"
}

teardown() {
        teardown_containers
        if [ -n "${DOCKERD_DIR:-}" ]; then
                "$BUILDERS" dockerd-down "$DOCKERD_DIR"
        fi
}

# Every blob of the layout unpacked in DIR is named for its digest.
check_blobs() { # DIR
        local f
        for f in "$1"/blobs/sha256/*; do
                [ "sha256:$(sha256sum <"$f" | cut -d' ' -f1)" = "sha256:$(basename "$f")" ]
        done
}

@test "save writes an OCI layout and manifest.json of the stored blobs: the id, the registry manifest, the layers as pulled" {
        local id digest
        id=$(ross image inspect "$IMG" | jq -r '.[0].Id')
        [ "$id" = "$(image_id busybox)" ]
        digest=$(ross image inspect "$IMG" | jq -r '.[0].RepoDigests[0]' | sed 's/.*@//')
        ross save "$IMG" >"$T/s.tar"
        tar -tf "$T/s.tar" >"$T/list"
        grep -qx oci-layout "$T/list"
        grep -qx index.json "$T/list"
        grep -qx manifest.json "$T/list"
        grep -qx repositories "$T/list"
        grep -qx "blobs/sha256/${id#sha256:}" "$T/list"
        grep -qx "blobs/sha256/${digest#sha256:}" "$T/list"
        mkdir "$T/x"
        tar -C "$T/x" -xf "$T/s.tar"
        check_blobs "$T/x"
        [ "$(jq -r .imageLayoutVersion "$T/x/oci-layout")" = 1.0.0 ]
        # index.json: the registry manifest, as pulled, named for the tag
        [ "$(jq -r '.manifests | length' "$T/x/index.json")" = 1 ]
        [ "$(jq -r '.manifests[0].digest' "$T/x/index.json")" = "$digest" ]
        [ "$(jq -r '.manifests[0].annotations["io.containerd.image.name"]' "$T/x/index.json")" = "$IMG:latest" ]
        [ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$T/x/index.json")" = latest ]
        # manifest.json: the config and the same layers as the manifest, by path
        [ "$(jq -c '.[0].RepoTags' "$T/x/manifest.json")" = "[\"$IMG:latest\"]" ]
        [ "$(jq -r '.[0].Config' "$T/x/manifest.json")" = "blobs/sha256/${id#sha256:}" ]
        [ "$(jq -c '[.[0].Layers[] | sub("blobs/sha256/"; "sha256:")]' "$T/x/manifest.json")" = \
                "$(jq -c '[.layers[].digest]' "$T/x/blobs/sha256/${digest#sha256:}")" ]
        [ "$(jq -r ".[\"$IMG\"].latest" "$T/x/repositories")" = "$(jq -r '.layers[-1].digest | sub("sha256:"; "")' "$T/x/blobs/sha256/${digest#sha256:}")" ]
        # the same images save to the same bytes; -o writes a file, with no temp file left
        ross save -o "$T/o.tar" "$IMG"
        cmp "$T/s.tar" "$T/o.tar"
        ! ls "$T" | grep -q "\.tmp-"
        # the tar was made in the helper, never in the daemon
        ! grep -qE 'libarchive' "/proc/$DAEMON_PID/maps"
        # skopeo reads both layouts
        if command -v skopeo >/dev/null; then
                [ "$(skopeo inspect --raw "docker-archive:$T/s.tar" | jq -r .config.digest)" = "$id" ]
                [ "$(skopeo inspect --raw "oci-archive:$T/s.tar" | jq -r .config.digest)" = "$id" ]
        fi
}

@test "several images in one save; a name alone saves all its tags, an id saves no tag" {
        ross pull -q "$REG_PLAIN/layers" >/dev/null
        ross tag "$IMG" "$IMG:second"
        ross save "$IMG:latest" "$REG_PLAIN/layers" >"$T/two.tar"
        mkdir "$T/two"
        tar -C "$T/two" -xf "$T/two.tar"
        check_blobs "$T/two"
        [ "$(jq -c '[.[].RepoTags]' "$T/two/manifest.json")" = "[[\"$IMG:latest\"],[\"$REG_PLAIN/layers:latest\"]]" ]
        [ "$(jq -c '[.[].Config | sub("blobs/sha256/"; "sha256:")]' "$T/two/manifest.json")" = \
                "[\"$(image_id busybox)\",\"$(image_id layers)\"]" ]
        [ "$(jq -r '.manifests | length' "$T/two/index.json")" = 2 ]
        # the name alone: both tags, one image, its blobs once
        ross save "$IMG" >"$T/tags.tar"
        mkdir "$T/tags"
        tar -C "$T/tags" -xf "$T/tags.tar"
        [ "$(jq -c '[.[].RepoTags[]] | sort' "$T/tags/manifest.json")" = "[\"$IMG:latest\",\"$IMG:second\"]" ]
        [ "$(jq -r 'length' "$T/tags/manifest.json")" = 1 ]
        [ "$(jq -r '.manifests | length' "$T/tags/index.json")" = 2 ]
        [ "$(tar -tf "$T/tags.tar" | sort | uniq -d)" = "" ]
        # by id: the image, no tag
        ross save "$(image_id busybox)" >"$T/id.tar"
        [ "$(tar -xOf "$T/id.tar" manifest.json | jq -c '.[0].RepoTags')" = '[]' ]
        [ "$(tar -xOf "$T/id.tar" index.json | jq -c '.manifests[0].annotations')" = null ]
}

@test "save of an image there is not: No such image, nothing written; a terminal is refused" {
        run ross save -o "$T/none.tar" "$REG_PLAIN/nothing:here"
        assert_status 1
        assert_output_contains "No such image: $REG_PLAIN/nothing:here"
        [ ! -e "$T/none.tar" ]
        ! ls "$T" | grep -q "\.tmp-"
        run api GET "/images/get?names=$IMG&names=$REG_PLAIN/nothing:here"
        assert_output_contains "No such image"
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" "http://ross/images/nothing/get"
        [ "$output" = 404 ]
        # a tty on stdout, as docker refuses it
        run script -qec "$ROSS_CLI save $IMG" /dev/null
        assert_output_contains "cowardly refusing to save to a terminal"
        run ross save
        assert_status 125
}

@test "GET /images/{name}/get with a name of slashes, and ross-cli image save" {
        curl -sf --unix-socket "$SOCK" -o "$T/api.tar" "http://ross/images/$IMG/get"
        [ "$(tar -xOf "$T/api.tar" manifest.json | jq -c '.[0].RepoTags')" = "[\"$IMG:latest\"]" ]
        ross image save "$IMG" >"$T/cli.tar"
        cmp "$T/api.tar" "$T/cli.tar"
}

@test "docker save against Ross's socket, and python3-docker image.save()" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        docker save -o "$T/docker.tar" "$IMG"
        [ "$(tar -xOf "$T/docker.tar" manifest.json | jq -r '.[0].Config')" = "blobs/sha256/$(image_id busybox | sed 's/sha256://')" ]
        $PY -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        IMG=$IMG OUT=$T/py.tar $PY - <<'PYEOF'
import os, docker
c = docker.from_env()
with open(os.environ["OUT"], "wb") as f:
    for chunk in c.images.get(os.environ["IMG"]).save(named=True):
        f.write(chunk)
PYEOF
        cmp "$T/docker.tar" "$T/py.tar"
}

@test "Ross's save loads into a real dockerd (docker load), keeps its id and tag, and runs there" {
        local reason
        reason=$("$BUILDERS" can docker-build) || skip "$reason"
        DOCKERD_DIR=$BATS_TEST_TMPDIR/dockerd
        "$BUILDERS" dockerd-up "$DOCKERD_DIR" "$REG_PLAIN" >"$T/dockerd-up" 2>&1 ||
                skip "dockerd does not start here: $(tail -n 1 "$T/dockerd-up")"
        dk() { DOCKER_CONFIG=$DOCKERD_DIR/client /usr/bin/docker -H "unix://$DOCKERD_DIR/docker.sock" "$@"; }
        ross save "$IMG" >"$T/s.tar"
        run dk load -i "$T/s.tar"
        assert_status 0
        assert_output_contains "Loaded image: $IMG:latest"
        [ "$(dk image inspect -f '{{.Id}}' "$IMG:latest")" = "$(image_id busybox)" ]
        run dk run --rm --network none "$IMG" echo ran in dockerd
        assert_status 0
        [ "$output" = "ran in dockerd" ]
}
