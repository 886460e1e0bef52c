#!/usr/bin/env bats
# docker save and load (issue 12, section 4): images as Docker 25's archive, an OCI image
# layout (oci-layout, index.json, blobs/sha256/...) with manifest.json and repositories
# beside it, the blobs as they are in the store; GET /images/{name}/get and
# /images/get?names=; POST /images/load of Docker's archives (manifest.json, legacy or not)
# and OCI layouts; ross-cli save and load; the docker CLI and python3-docker; a real dockerd
# loads what Ross saves and Ross loads what it saves; hostile archives leave nothing.

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
        # and back: dockerd's own save (its format, uncompressed layers) loads into Ross
        dk pull -q "$REG_PLAIN/busybox-full" >/dev/null
        dk tag "$REG_PLAIN/busybox-full" "$REG_PLAIN/from-docker:1"
        dk save -o "$T/docker.tar" "$REG_PLAIN/from-docker:1"
        run ross load -i "$T/docker.tar"
        assert_status 0
        [ "$output" = "Loaded image: $REG_PLAIN/from-docker:1" ]
        [ "$(ross image inspect "$REG_PLAIN/from-docker:1" | jq -r '.[0].Id')" = "$(dk image inspect -f '{{.Id}}' "$REG_PLAIN/from-docker:1")" ]
        run ross run --rm --entrypoint /bin/echo "$REG_PLAIN/from-docker:1" from docker
        assert_status 0
        [ "$output" = "from docker" ]
        # two images of one layer: Docker 20.10 writes it once, a symlink for the other
        dk pull -q "$REG_PLAIN/busybox-health" >/dev/null
        dk save -o "$T/two.tar" "$IMG" "$REG_PLAIN/busybox-health"
        tar -tvf "$T/two.tar" | grep -q 'layer.tar -> '
        ross rmi "$IMG" >/dev/null
        run ross load -i "$T/two.tar"
        assert_status 0
        [ "$(echo "$output" | sort)" = "$(printf 'Loaded image: %s\nLoaded image: %s\n' "$IMG:latest" "$REG_PLAIN/busybox-health:latest" | sort)" ]
        [ "$(ross image inspect "$REG_PLAIN/busybox-health" | jq -r '.[0].Id')" = "$(image_id busybox-health)" ]
        ross run --rm "$REG_PLAIN/busybox-health" true
        assert_store_clean
}

@test "save, rmi, load: the image comes back with its id and tags, and runs" {
        local id
        id=$(image_id busybox)
        ross tag "$IMG" "$IMG:second"
        ross save "$IMG" >"$T/s.tar"
        ross rmi "$IMG:latest" "$IMG:second" >/dev/null
        ! ross image inspect "$id" >/dev/null 2>&1
        run ross load -i "$T/s.tar"
        assert_status 0
        [ "$(echo "$output" | sort)" = "$(printf 'Loaded image: %s\nLoaded image: %s' "$IMG:latest" "$IMG:second")" ]
        [ "$(ross image inspect "$IMG:latest" | jq -r '.[0].Id')" = "$id" ]
        [ "$(ross image inspect "$IMG:second" | jq -r '.[0].Id')" = "$id" ]
        run ross run --rm "$IMG:second" echo loaded and ran
        assert_status 0
        [ "$output" = "loaded and ran" ]
        assert_store_clean
        # from stdin, gzip'd, again: the same image, nothing new stored
        local blobs
        blobs=$(ls "$DATA/blobs/sha256" | wc -l)
        gzip <"$T/s.tar" | ross image load -q
        [ "$(ls "$DATA/blobs/sha256" | wc -l)" = "$blobs" ]
        # an untagged image loads by id
        ross save "$id" >"$T/id.tar"
        ross rmi "$IMG:latest" "$IMG:second" >/dev/null
        run ross load -i "$T/id.tar"
        assert_status 0
        [ "$output" = "Loaded image ID: $id" ]
        # several images, several layers
        ross pull -q "$REG_PLAIN/layers" >/dev/null
        ross tag "$id" "$IMG:back"
        ross save "$IMG:back" "$REG_PLAIN/layers" >"$T/two.tar"
        ross rmi "$IMG:back" "$REG_PLAIN/layers" >/dev/null
        ross image prune -a -f >/dev/null
        run ross load <"$T/two.tar"
        assert_status 0
        [ "$(echo "$output" | sort)" = "$(printf 'Loaded image: %s\nLoaded image: %s' "$IMG:back" "$REG_PLAIN/layers:latest")" ]
        [ "$(ross image inspect "$REG_PLAIN/layers" | jq -r '.[0].Id')" = "$(image_id layers)" ]
        ross run --rm "$REG_PLAIN/layers" true
        # the archive was read in the helper, never in the daemon
        ! grep -qE 'libarchive' "/proc/$DAEMON_PID/maps"
        assert_store_clean
}

@test "an OCI layout (skopeo oci-archive) loads by its name annotation" {
        command -v skopeo >/dev/null || skip "skopeo is not installed (Debian package skopeo)"
        ross save "$IMG" >"$T/s.tar"
        skopeo copy -q --insecure-policy "docker-archive:$T/s.tar" "oci-archive:$T/oci.tar:$REG_PLAIN/oci:7"
        ! tar -tf "$T/oci.tar" | grep -qx manifest.json
        ross rmi "$IMG" >/dev/null
        run ross load -i "$T/oci.tar"
        assert_status 0
        [ "$output" = "Loaded image: $REG_PLAIN/oci:7" ]
        # skopeo writes a config (and layers) of its own: the id is its config's digest
        [ "$(ross image inspect "$REG_PLAIN/oci:7" | jq -r '.[0].Id')" = \
                "$(skopeo inspect --raw "oci-archive:$T/oci.tar" | jq -r .config.digest)" ]
        ross run --rm "$REG_PLAIN/oci:7" true
        assert_store_clean
}

# Remake archive DIR as TAR, with its files as they are there.
retar() { # DIR TAR
        tar -C "$1" -cf "$2" $(cd "$1" && ls)
}

@test "hostile archives are refused with one clear error and nothing stored" {
        ross save "$IMG" >"$T/s.tar"
        ross rmi "$IMG" >/dev/null
        ross image prune -a -f >/dev/null
        mkdir "$T/x"
        tar -C "$T/x" -xf "$T/s.tar"
        local cfg layer
        cfg=$(jq -r '.[0].Config' "$T/x/manifest.json")
        layer=$(jq -r '.[0].Layers[0]' "$T/x/manifest.json")
        loads_nothing() { # TAR TEXT
                run ross load -i "$1"
                assert_status 1
                assert_output_contains "$2"
                [ "$(ross images -q | wc -l)" = 0 ]
                [ "$(ls "$DATA/blobs/sha256" 2>/dev/null | wc -l)" = 0 ]
                [ "$(sqlite3 "$DATA/ross.db" 'SELECT COUNT(*) FROM snapshots')" = 0 ]
                assert_store_clean
        }
        # a layer that is not what the config's diff_ids say
        mkdir "$T/bad" && cp -a "$T/x/." "$T/bad/"
        mkdir "$T/empty"
        tar -C "$T/empty" -cf - . | gzip >"$T/bad/$layer"
        rm "$T/bad/index.json"
        retar "$T/bad" "$T/bad.tar"
        loads_nothing "$T/bad.tar" "uncompressed layer has digest"
        # manifest.json pointing outside the archive
        jq -c --arg c "../../etc/passwd" '.[0].Config = $c' "$T/x/manifest.json" >"$T/m.json"
        mkdir "$T/out" && cp -a "$T/x/." "$T/out/" && cp "$T/m.json" "$T/out/manifest.json"
        retar "$T/out" "$T/out.tar"
        loads_nothing "$T/out.tar" "its config '../../etc/passwd' is not in the archive"
        # a layer that is a symlink out of the archive
        mkdir "$T/ln" && cp -a "$T/x/." "$T/ln/" && rm "$T/ln/index.json" "$T/ln/$layer"
        ln -s ../../../../etc/passwd "$T/ln/$layer"
        retar "$T/ln" "$T/ln.tar"
        loads_nothing "$T/ln.tar" "layer '$layer' is not in the archive"
        # a name with ..
        "$PY" - "$T/dots.tar" <<'PYEOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    data = b"[]"
    i = tarfile.TarInfo("../manifest.json"); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
PYEOF
        loads_nothing "$T/dots.tar" "invalid name '../manifest.json'"
        # an OCI layout whose blob is not what its name says
        mkdir "$T/oci" && cp -a "$T/x/." "$T/oci/" && rm "$T/oci/manifest.json"
        printf '{}' >"$T/oci/$cfg"
        retar "$T/oci" "$T/oci.tar"
        loads_nothing "$T/oci.tar" "does not match its digest"
        # a config whose diff ids are fewer than the layers
        mkdir "$T/few" && cp -a "$T/x/." "$T/few/" && rm "$T/few/index.json"
        jq -c '.rootfs.diff_ids = []' "$T/x/$cfg" >"$T/few/cfg.json"
        jq -c '.[0].Config = "cfg.json"' "$T/x/manifest.json" >"$T/few/manifest.json"
        retar "$T/few" "$T/few.tar"
        loads_nothing "$T/few.tar" "has 1 layers, its config 0 diff ids"
        # a RepoTag that is not a tag, after a good image: neither is stored
        mkdir "$T/tag" && cp -a "$T/x/." "$T/tag/" && rm "$T/tag/index.json"
        jq -c '[.[0], (.[0] | .RepoTags = ["no/such@sha256:'"$(printf '0%.0s' $(seq 64))"'"])]' \
                "$T/x/manifest.json" >"$T/tag/manifest.json"
        retar "$T/tag" "$T/tag.tar"
        loads_nothing "$T/tag.tar" "is not a tag"
        # not an image archive at all, and not a tar
        tar -C "$T/x" -cf "$T/none.tar" oci-layout
        loads_nothing "$T/none.tar" "neither manifest.json nor index.json"
        printf 'garbage' >"$T/garbage"
        loads_nothing "$T/garbage" "the archive"
        # the good one still loads
        run ross load -i "$T/s.tar"
        assert_status 0
        # a layer of a chain the store has is still checked against its diff id
        local blobs
        blobs=$(ls "$DATA/blobs/sha256" | wc -l)
        run ross load -i "$T/bad.tar"
        assert_status 1
        assert_output_contains "uncompressed layer has digest"
        [ "$(ls "$DATA/blobs/sha256" | wc -l)" = "$blobs" ]
        assert_store_clean
}

@test "docker load against Ross's socket, and python3-docker images.load()" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        ross save "$IMG" >"$T/s.tar"
        ross rmi "$IMG" >/dev/null
        run docker load -i "$T/s.tar"
        assert_status 0
        assert_output_contains "Loaded image: $IMG:latest"
        [ "$(docker image inspect -f '{{.Id}}' "$IMG")" = "$(image_id busybox)" ]
        $PY -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        ross rmi "$IMG" >/dev/null
        run env IMG=$IMG IN=$T/s.tar $PY - <<'PYEOF'
import os, docker
c = docker.from_env()
with open(os.environ["IN"], "rb") as f:
    imgs = c.images.load(f.read())
print(imgs[0].id, imgs[0].tags[0])
PYEOF
        assert_status 0
        [ "$output" = "$(image_id busybox) $IMG:latest" ]
}

@test "save and load are events, as Docker's" {
        local id t0 t1
        id=$(image_id busybox)
        t0=$(date +%s.%N)
        ross save "$IMG" >"$T/s.tar"
        ross rmi "$IMG" >/dev/null
        ross load -i "$T/s.tar" >/dev/null
        t1=$(date +%s.%N)
        run ross events --since "$t0" --until "$t1" --format json --filter event=save --filter event=load
        assert_status 0
        [ "$(echo "$output" | jq -r '[.Type, .Action, .Actor.ID, .Actor.Attributes.name] | join(" ")' | tr '\n' ',')" = \
                "image save $id $id,image load $id $id," ]
}
