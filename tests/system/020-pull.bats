#!/usr/bin/env bats
# Pulling through the daemon: media types, compression, indexes, platforms, the content
# store and the metadata.

load helpers

setup() {
        start_daemon
}

# Every blob an image holds is in the store under its digest.
assert_blobs_present() { # image
        local d
        for d in $(sqlite3 "$DATA/ross.db" "SELECT digest FROM image_blobs WHERE image_id = '$1'"); do
                [ -f "$DATA/blobs/sha256/${d#sha256:}" ] || { echo "missing $d" >&2; return 1; }
        done
}

@test "pull an OCI image: Id is the config digest, RepoDigests the manifest digest" {
        run ross image pull "$REG_PLAIN/busybox"
        assert_status 0
        assert_output_contains "latest: Pulling from busybox"
        assert_output_contains "Pull complete"
        assert_output_contains "Digest: $(top_digest busybox)"
        assert_output_contains "Status: Downloaded newer image for $REG_PLAIN/busybox:latest"
        run ross image inspect "$REG_PLAIN/busybox"
        assert_status 0
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$(image_id busybox)" ]
        [ "$(echo "$output" | jq -r '.[0].RepoDigests[0]')" = "$REG_PLAIN/busybox@$(top_digest busybox)" ]
        [ "$(echo "$output" | jq -r '.[0].RepoTags[0]')" = "$REG_PLAIN/busybox:latest" ]
        [ "$(echo "$output" | jq -r '.[0].Os')" = linux ]
        [ "$(echo "$output" | jq -r '.[0].Architecture')" = amd64 ]
        assert_blobs_present "$(image_id busybox)"
        assert_store_clean
}

@test "pull with Docker schema 2 media types" {
        run ross pull "$REG_PLAIN/busybox-docker"
        assert_status 0
        run ross image inspect "$REG_PLAIN/busybox-docker"
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$(image_id busybox-docker)" ]
        run sqlite3 "$DATA/ross.db" "SELECT media_type FROM image_blobs WHERE kind = 'layer'"
        [ "$output" = application/vnd.docker.image.rootfs.diff.tar.gzip ]
}

@test "pull zstd and uncompressed layers; the blobs are stored byte for byte" {
        run ross pull "$REG_PLAIN/busybox-zstd"
        assert_status 0
        run ross pull "$REG_PLAIN/busybox-uncompressed"
        assert_status 0
        run sqlite3 "$DATA/ross.db" "SELECT DISTINCT media_type FROM image_blobs WHERE kind = 'layer' ORDER BY 1"
        assert_output_contains "application/vnd.oci.image.layer.v1.tar"
        assert_output_contains "application/vnd.oci.image.layer.v1.tar+zstd"
        # an uncompressed layer's digest is its diff id
        local diff
        diff=$(ross image inspect "$REG_PLAIN/busybox-uncompressed" | jq -r '.[0].RootFS.Layers[0]')
        [ -f "$DATA/blobs/sha256/${diff#sha256:}" ]
        zstd -dc "$DATA"/blobs/sha256/$(sqlite3 "$DATA/ross.db" "SELECT substr(digest, 8) FROM image_blobs WHERE media_type LIKE '%zstd'") | cmp - "$DATA/blobs/sha256/${diff#sha256:}"
        assert_store_clean
}

@test "a multi-arch OCI index: the host's platform is chosen, attestations ignored" {
        run ross pull "$REG_PLAIN/multiarch"
        assert_status 0
        run ross image inspect "$REG_PLAIN/multiarch"
        [ "$(echo "$output" | jq -r '.[0].Architecture')" = amd64 ]
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$(image_id multiarch)" ]
        [ "$(echo "$output" | jq -r '.[0].RepoDigests[0]')" = "$REG_PLAIN/multiarch@$(top_digest multiarch)" ]
        # no in-toto layer was fetched
        run grep -c 'in-toto' "$DAEMON_LOG"
        [ "$output" = 0 ]
        run sqlite3 "$DATA/ross.db" "SELECT COUNT(*) FROM image_blobs WHERE kind = 'layer'"
        [ "$output" = 1 ]
}

@test "--platform picks another entry of an index and of a Docker manifest list" {
        run ross pull --platform linux/arm64 "$REG_PLAIN/multiarch"
        assert_status 0
        run ross image inspect "$REG_PLAIN/multiarch"
        [ "$(echo "$output" | jq -r '.[0].Architecture')" = arm64 ]
        [ "$(echo "$output" | jq -r '.[0].Variant')" = v8 ]
        [ "$(echo "$output" | jq -r '.[0].Config.Labels.arch')" = arm64 ]
        run ross pull --platform linux/arm64/v8 "$REG_PLAIN/multiarch-docker"
        assert_status 0
        run ross image inspect "$REG_PLAIN/multiarch-docker"
        [ "$(echo "$output" | jq -r '.[0].Architecture')" = arm64 ]
        run ross pull "$REG_PLAIN/multiarch-docker"
        assert_status 0
        run ross image inspect "$REG_PLAIN/multiarch-docker"
        [ "$(echo "$output" | jq -r '.[0].Architecture')" = amd64 ]
}

@test "--platform that is malformed is refused" {
        run ross pull --platform linux "$REG_PLAIN/multiarch"
        assert_status 1
        assert_output_contains "invalid platform 'linux'"
}

@test "pull by digest" {
        run ross pull "$REG_PLAIN/busybox@$(top_digest busybox)"
        assert_status 0
        run ross image inspect "$REG_PLAIN/busybox@$(top_digest busybox)"
        assert_status 0
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$(image_id busybox)" ]
        [ "$(echo "$output" | jq -r '.[0].RepoTags | length')" = 0 ]
}

@test "a multi-layer image with whiteouts, special files and a sparse file is stored whole" {
        run ross pull "$REG_PLAIN/layers"
        assert_status 0
        run ross image inspect "$REG_PLAIN/layers"
        [ "$(echo "$output" | jq -r '.[0].RootFS.Layers | length')" = 3 ]
        assert_blobs_present "$(image_id layers)"
        # each layer decompresses to the diff id the config names
        local i=0 d diff
        for d in $(sqlite3 "$DATA/ross.db" "SELECT substr(digest, 8) FROM image_blobs WHERE kind = 'layer' ORDER BY idx"); do
                diff=$(ross image inspect "$REG_PLAIN/layers" | jq -r ".[0].RootFS.Layers[$i]")
                [ "sha256:$(gzip -dc "$DATA/blobs/sha256/$d" | sha256sum | cut -d' ' -f1)" = "$diff" ]
                i=$((i + 1))
        done
        # the layer really has what the unpacker will need to honour
        local special
        special=$(sqlite3 "$DATA/ross.db" "SELECT substr(digest, 8) FROM image_blobs WHERE kind = 'layer' ORDER BY idx LIMIT 1 OFFSET 1")
        run tar -tvzf "$DATA/blobs/sha256/$special"
        assert_output_contains ".wh..wh..opq"
        assert_output_contains "bin/.wh.false"
        assert_output_contains "data/hardlink link to data/original"
        assert_output_contains "crw-rw-rw-"
        assert_output_contains "-rwsr-xr-x"
        assert_output_contains "1000/1000"
        assert_output_contains "1990-01-01"
}

@test "layers download in parallel up to --max-concurrent-downloads" {
        stop_daemon
        start_daemon --max-concurrent-downloads 1 --log-level debug
        run ross pull "$REG_PLAIN/layers"
        assert_status 0
        assert_output_contains "Waiting"
}

@test "pulling an image that is complete downloads no blob" {
        ross pull "$REG_PLAIN/busybox-full" >/dev/null
        local before
        before=$(blob_gets "$ROSS_WORLD/plain/log")
        run ross pull "$REG_PLAIN/busybox-full"
        assert_status 0
        assert_output_contains "Status: Image is up to date for $REG_PLAIN/busybox-full:latest"
        [ "$(blob_gets "$ROSS_WORLD/plain/log")" = "$before" ]
}

@test "a layer already in the store is not downloaded again" {
        ross pull "$REG_PLAIN/busybox" >/dev/null
        run ross pull "$REG_PLAIN/busybox-full"
        assert_status 0
        assert_output_contains "Already exists"
}

@test "a tag moved by a newer pull leaves the old image untagged, not lost" {
        echo "$REG_PASS" | ross login -u "$REG_USER" --password-stdin "$REG_BASIC" >/dev/null
        # make moving:latest point at the old image, as an earlier pull would have
        ross pull "$REG_BASIC/busybox" >/dev/null
        ross tag "$REG_BASIC/busybox" "$REG_BASIC/moving:latest"
        run ross rmi "$REG_BASIC/busybox"
        [ "$output" = "Untagged: $REG_BASIC/busybox:latest" ]
        run ross pull "$REG_BASIC/moving"
        assert_status 0
        assert_output_contains "Downloaded newer image"
        run ross image inspect "$REG_BASIC/moving"
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$(image_id busybox-v2)" ]
        # the old image is still there by id, with no tag left
        run ross image inspect "$(image_id busybox)"
        assert_status 0
        [ "$(echo "$output" | jq -r '.[0].RepoTags | length')" = 0 ]
        [ "$(echo "$output" | jq -r '.[0].RepoDigests[0]')" = "$REG_BASIC/busybox@$(top_digest busybox)" ]
        run ross images
        [[ "$output" == *"$REG_BASIC/busybox"*"<none>"*"$(image_id busybox | cut -c8-19)"* ]]
        assert_store_clean
}

@test "docker.io names are normalised; references are checked before any network" {
        ross pull "$REG_PLAIN/busybox" >/dev/null
        ross tag "$REG_PLAIN/busybox" alpine
        run ross image inspect docker.io/library/alpine:latest
        assert_status 0
        [ "$(echo "$output" | jq -r '.[0].RepoTags | index("alpine:latest")')" != null ]
        run ross image inspect index.docker.io/library/alpine
        assert_status 0
        run ross pull "library/UPPER"
        assert_status 125
        assert_output_contains "must be lowercase"
        run ross pull "x@sha256:abc"
        assert_status 125
        assert_output_contains "not a valid digest"
        run api POST "/images/create?fromImage=bad%20name"
        assert_output_contains "invalid reference format"
}

@test "pull follows registry redirects for blobs" {
        run ross pull "$REG_HOSTILE/redirect-busybox"
        assert_status 0
        run ross image inspect "$REG_HOSTILE/redirect-busybox"
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$(image_id busybox)" ]
}

@test "a broken download is resumed with a Range request" {
        ROSS_LOG=debug
        stop_daemon
        start_daemon --log-level debug
        run ross pull "$REG_HOSTILE/drop-busybox-full"
        assert_status 0
        grep -q '(resuming)' "$DAEMON_LOG"
        grep -q 'GET /v2/drop-busybox-full/blobs/sha256' "$ROSS_WORLD/hostile/log"
        assert_store_clean
        run ross image inspect "$REG_HOSTILE/drop-busybox-full"
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$(image_id busybox-full)" ]
}

@test "concurrent pulls of the same and of overlapping images all succeed" {
        local pids=() i
        for i in 1 2 3; do
                ross pull -q "$REG_PLAIN/layers" >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
                pids+=($!)
        done
        ross pull -q "$REG_PLAIN/busybox-full" >"$BATS_TEST_TMPDIR/out.4" 2>&1 &
        pids+=($!)
        for i in "${pids[@]}"; do
                wait "$i"
        done
        run ross images -q
        [ "${#lines[@]}" -eq 2 ]
        assert_store_clean
}

@test "an image removed while another pull shares its layer leaves that pull whole" {
        ross pull "$REG_PLAIN/busybox" >/dev/null
        ross pull -q "$REG_PLAIN/layers" >"$BATS_TEST_TMPDIR/pull.out" 2>&1 &
        local pid=$!
        ross rmi "$REG_PLAIN/busybox" >/dev/null
        wait "$pid"
        assert_blobs_present "$(image_id layers)"
        assert_store_clean
}

@test "a blob the registry answers 503 for is retried with backoff" {
        stop_daemon
        start_daemon --log-level debug
        run ross pull "$REG_HOSTILE/flaky-busybox-full"
        assert_status 0
        grep -q 'attempt 1 failed' "$DAEMON_LOG"
        [ "$(grep -c 'GET /v2/flaky-busybox-full/blobs/sha256' "$ROSS_WORLD/hostile/log")" -ge 2 ]
        assert_store_clean
}

@test "metadata is SQLite in WAL mode" {
        ross pull "$REG_PLAIN/busybox" >/dev/null
        [ "$(sqlite3 "$DATA/ross.db" 'PRAGMA journal_mode')" = wal ]
}
