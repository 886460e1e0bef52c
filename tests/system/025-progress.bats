#!/usr/bin/env bats
# Pull progress as a user sees it: redrawn bars on a terminal, one line per event otherwise.

load helpers

setup() {
        start_daemon
}

@test "on a terminal, layer lines are redrawn in place with a progress bar" {
        command -v script >/dev/null || skip "script (util-linux) is needed for a pty"
        TERM=xterm script -qec "'$ROSS_CLI' pull '$REG_PLAIN/layers'" "$BATS_TEST_TMPDIR/typescript" >/dev/null
        local out
        out=$(cat "$BATS_TEST_TMPDIR/typescript")
        # cursor-up and clear-line escapes: lines are rewritten, not appended
        [[ "$out" == *$'\033['*A*$'\033[2K'* ]]
        [[ "$out" == *"Downloading ["*"=>"* || "$out" == *"Downloading ["*"==]"* ]]
        [[ "$out" == *"Pull complete"* ]]
        [[ "$out" == *"Status: Downloaded newer image for $REG_PLAIN/layers:latest"* ]]
}

@test "without a terminal, one plain line per status change and no escapes" {
        run ross pull "$REG_PLAIN/layers"
        assert_status 0
        [[ "$output" != *$'\033'* ]]
        local layer
        for layer in $(sqlite3 "$DATA/ross.db" "SELECT substr(digest, 8, 12) FROM image_blobs WHERE kind = 'layer'"); do
                [ "$(grep -c "^$layer: Pull complete$" <<<"$output")" = 1 ]
                [ "$(grep -c "^$layer: Downloading$" <<<"$output")" -le 1 ]
        done
        [ "${lines[-1]}" = "$REG_PLAIN/layers:latest" ]
}

@test "pull -q prints only the image name" {
        run ross pull -q "$REG_PLAIN/busybox"
        assert_status 0
        [ "$output" = "$REG_PLAIN/busybox:latest" ]
}

@test "the API streams Docker's progress JSON" {
        run api POST "/images/create?fromImage=$REG_PLAIN/busybox-docker&tag=latest"
        local first last
        first=$(echo "$output" | head -1)
        [ "$(echo "$first" | jq -r .status)" = "Pulling from busybox-docker" ]
        [ "$(echo "$first" | jq -r .id)" = latest ]
        echo "$output" | jq -s -e 'map(select(.status == "Downloading")) | length > 0 and all(.progressDetail.total > 0)'
        echo "$output" | jq -s -e 'map(select(.status == "Pull complete")) | length == 1 and all(.id | length == 12)'
        echo "$output" | jq -s -e 'map(select(.status == "Downloading")) | all(.progress | test("^\\[=*>? *\\] +[0-9.]+[kMG]?B/[0-9.]+[kMG]?B$"))'
        last=$(echo "$output" | tail -1)
        [ "$(echo "$last" | jq -r .status)" = "Status: Downloaded newer image for $REG_PLAIN/busybox-docker:latest" ]
}

@test "an error in the stream reaches the user and the exit code" {
        local d f
        d=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
                "http://$REG_TAMPER/v2/busybox-full/manifests/latest" | jq -r '.layers[0].digest')
        f=$REG_TAMPER_DATA/docker/registry/v2/blobs/sha256/${d:7:2}/${d:7}/data
        cp "$f" "$BATS_TEST_TMPDIR/orig"
        truncate -s 1000 "$f"
        run api POST "/images/create?fromImage=$REG_TAMPER/busybox-full"
        local api_out=$output
        run ross pull "$REG_TAMPER/busybox-full"
        cp "$BATS_TEST_TMPDIR/orig" "$f"
        assert_status 1
        assert_output_contains "truncated"
        [ "$(echo "$api_out" | tail -1 | jq -r .errorDetail.message)" = "$(echo "$api_out" | tail -1 | jq -r .error)" ]
        [[ "$(echo "$api_out" | tail -1 | jq -r .error)" == *"is truncated"* ]]
}
