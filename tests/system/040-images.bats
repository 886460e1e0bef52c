#!/usr/bin/env bats
# Image list, inspect, tag and rm through ross-cli and the API.

load helpers

setup() {
        start_daemon
        ross pull "$REG_PLAIN/busybox-full" >/dev/null
}

@test "image list prints a table; --format json; -q; the short forms" {
        run ross image list
        assert_status 0
        [[ "${lines[0]}" == REPOSITORY*TAG*"IMAGE ID"*CREATED*SIZE ]]
        local id
        id=$(image_id busybox-full)
        [[ "${lines[1]}" == "$REG_PLAIN/busybox-full"*latest*"${id:7:12}"* ]]
        run ross images --format json
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$id" ]
        [ "$(echo "$output" | jq -r '.[0].Labels["ross.test"]')" = yes ]
        run ross image ls -q
        [ "$output" = "${id:7:12}" ]
        run ross images --no-trunc -q
        [ "$output" = "$id" ]
        run ross images --format yaml
        assert_status 125
}

@test "image inspect shows the image config as Docker does" {
        run ross image inspect "$REG_PLAIN/busybox-full"
        assert_status 0
        local c='.[0].Config'
        [ "$(echo "$output" | jq -r "$c.User")" = app ]
        [ "$(echo "$output" | jq -r "$c.WorkingDir")" = /home/app ]
        [ "$(echo "$output" | jq -r "$c.Entrypoint[0]")" = /bin/sh ]
        [ "$(echo "$output" | jq -r "$c.Cmd[1]")" = 'echo $GREETING' ]
        [ "$(echo "$output" | jq -r "$c.Env[1]")" = 'GREETING=hello from ross' ]
        [ "$(echo "$output" | jq -r "$c.ExposedPorts | keys | join(\",\")")" = '53/udp,8080/tcp' ]
        [ "$(echo "$output" | jq -r "$c.Labels[\"org.opencontainers.image.title\"]")" = busybox-full ]
        [ "$(echo "$output" | jq -r '.[0].Created')" = 2000-01-01T00:00:00Z ]
        [ "$(echo "$output" | jq -r '.[0].RootFS.Type')" = layers ]
}

@test "images are found by name, full id, and unique id prefix" {
        local id
        id=$(image_id busybox-full)
        run ross image inspect "$id"
        assert_status 0
        run ross image inspect "${id:7:12}"
        assert_status 0
        run ross image inspect "${id:7:4}"
        assert_status 0
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$id" ]
}

@test "unknown images: 404 with a message and a non-zero exit" {
        run ross image inspect nosuchimage
        assert_status 1
        assert_output_contains "No such image: nosuchimage"
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://ross/images/nosuchimage/json
        [ "$output" = 404 ]
        run ross rmi nosuchimage
        assert_status 1
        assert_output_contains "No such image"
        run ross tag nosuchimage other
        assert_status 1
}

@test "tag adds a name; rm of one tag only untags" {
        run ross tag "$REG_PLAIN/busybox-full" mine/app:v1
        assert_status 0
        run ross image inspect mine/app:v1
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$(image_id busybox-full)" ]
        run ross rmi mine/app:v1
        assert_status 0
        [ "$output" = "Untagged: mine/app:v1" ]
        run ross image inspect "$REG_PLAIN/busybox-full"
        assert_status 0
        run ross tag "$REG_PLAIN/busybox-full" 'Bad:tag'
        assert_status 125
}

@test "rm by id of an image with several tags needs -f" {
        ross tag "$REG_PLAIN/busybox-full" other:1
        local id
        id=$(image_id busybox-full)
        run ross rmi "${id:7:12}"
        assert_status 1
        assert_output_contains "unable to delete ${id:7:12} (must be forced) - image is referenced in multiple repositories"
        run curl -s -o /dev/null -w '%{http_code}' -X DELETE --unix-socket "$SOCK" "http://ross/images/${id:7:12}"
        [ "$output" = 409 ]
        # force is a boolean: anything else is a 400 that names it
        run curl -s -w '\n%{http_code}' -X DELETE --unix-socket "$SOCK" "http://ross/images/${id:7:12}?force=maybe"
        [ "${lines[1]}" = 400 ]
        [ "$(jq -r .message <<<"${lines[0]}")" = "invalid value for force: 'maybe' is not a boolean" ]
        run ross rmi -f "${id:7:12}"
        assert_status 0
        assert_output_contains "Deleted: $id"
        run ross images -q
        [ -z "$output" ]
}

@test "rm of the last tag deletes the image and its blobs; shared blobs stay" {
        ross pull "$REG_PLAIN/busybox" >/dev/null
        local n_before
        n_before=$(ls "$DATA/blobs/sha256" | wc -l)
        run ross rmi "$REG_PLAIN/busybox-full"
        assert_status 0
        assert_output_contains "Untagged: $REG_PLAIN/busybox-full:latest"
        assert_output_contains "Deleted: $(image_id busybox-full)"
        # config and manifest went; the shared layer stayed for busybox
        [ "$(ls "$DATA/blobs/sha256" | wc -l)" -eq $((n_before - 2)) ]
        assert_store_clean
        run ross rmi "$REG_PLAIN/busybox"
        assert_status 0
        [ -z "$(ls "$DATA/blobs/sha256")" ]
}

@test "a database that cannot be read is a 500 with SQLite's words, never 'No such image'" {
        # Hold the read marks of SQLite's WAL index (bytes 123-127 of ross.db-shm, see
        # sqlite.org/walformat.html): no reader gets one, so every query fails (after about
        # 10 s of retries) with "locking protocol".
        python3 - "$DATA/ross.db-shm" 3>&- <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 5, 123, os.SEEK_SET)
time.sleep(60)
PY
        local lock=$!
        sleep 0.5
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://ross/images/$REG_PLAIN/busybox-full/json"
        local image=("${lines[@]}")
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://ross/containers/nosuch/json"
        local container=("${lines[@]}")
        kill "$lock"
        wait "$lock" || true
        [ "${image[1]}" = 500 ] || { echo "image: ${image[*]}" >&2; return 1; }
        [ "$(jq -r .message <<<"${image[0]}")" = "look up image $REG_PLAIN/busybox-full: database: locking protocol" ]
        [ "${container[1]}" = 500 ] || { echo "container: ${container[*]}" >&2; return 1; }
        [ "$(jq -r .message <<<"${container[0]}")" = "look up container nosuch: database: locking protocol" ]
        # and once it can be read again, all is as it was
        run ross image inspect "$REG_PLAIN/busybox-full"
        assert_status 0
}

@test "the daemon removes blobs no image references when it starts" {
        stop_daemon
        printf 'orphan' >"$DATA/blobs/sha256/$(printf orphan | sha256sum | cut -d' ' -f1)"
        printf 'partial' >"$DATA/ingest/leftover"
        DATA=$DATA start_daemon
        assert_store_clean
        run ross images -q
        [ -n "$output" ]
}

@test "images survive a daemon restart" {
        stop_daemon
        DATA=$DATA start_daemon
        run ross image inspect "$REG_PLAIN/busybox-full"
        assert_status 0
}

# Ids (first 12 hex digits) GET /images/json lists for a filters JSON, in a sorted line.
img_list() {
        local f
        f=$(jq -rn --arg f "$1" '$f | @uri')
        api GET "/images/json?filters=$f" | jq -r '[.[].Id[7:19]] | sort | join(" ")'
}

@test "image filters: label, reference (only matching tags shown), dangling, before/since; -f on the command line" {
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        local full bb
        full=$(image_id busybox-full)
        bb=$(image_id busybox)
        [ "$(img_list '{"label":["ross.test=yes"]}')" = "${full:7:12}" ]
        [ "$(img_list '{"label":["ross.test"]}')" = "${full:7:12}" ]
        [ "$(img_list '{"label":{"ross.test=yes":true}}')" = "${full:7:12}" ]
        [ "$(img_list '{"label":["ross.test=no"]}')" = "" ]
        [ "$(img_list '{"label":["ross.test=yes","org.opencontainers.image.title=busybox-full"]}')" = "${full:7:12}" ]
        [ "$(img_list "{\"reference\":[\"$REG_PLAIN/busybox-full\"]}")" = "${full:7:12}" ]
        [ "$(img_list "{\"reference\":[\"$REG_PLAIN/busybox\"]}")" = "${bb:7:12}" ]
        [ "$(img_list "{\"reference\":[\"$REG_PLAIN/busy*:latest\"]}" | wc -w)" = 2 ]
        [ "$(img_list '{"reference":["nothing*"]}')" = "" ]
        # a second tag: the reference filter shows only the tags that match
        ross tag "$REG_PLAIN/busybox" mine/box:1 >/dev/null
        run api GET "/images/json?filters=$(jq -rn '"{\"reference\":[\"mine/*\"]}" | @uri')"
        [ "$(jq -c '[.[].RepoTags]' <<<"$output")" = '[["mine/box:1"]]' ]
        run api GET "/images/json?filters=$(jq -rn '"{\"reference\":[\"docker.io/mine/box\"]}" | @uri')"
        [ "$(jq -c '[.[].RepoTags]' <<<"$output")" = '[["mine/box:1"]]' ]
        run ross images --format json mine/box
        [ "$(jq -c '[.[].RepoTags]' <<<"$output")" = '[["mine/box:1"]]' ]
        run ross images -q -f label=ross.test=yes
        [ "$output" = "${full:7:12}" ]
        run ross images -q -f reference="$REG_PLAIN/busybox"
        [ "$output" = "${bb:7:12}" ]
        # all built at the same time: nothing is before or after busybox
        [ "$(img_list "{\"before\":[\"$REG_PLAIN/busybox\"]}")" = "" ]
        [ "$(img_list "{\"since\":[\"$REG_PLAIN/busybox\"]}")" = "" ]
        [ "$(img_list '{"until":["1999-12-31T00:00:00Z"]}')" = "" ]
        [ "$(img_list '{"until":["2000-01-02"]}' | wc -w)" = 2 ]
        [ "$(img_list '{"dangling":["false"]}' | wc -w)" = 2 ]
        [ "$(img_list '{"dangling":["true"]}')" = "" ]
}

@test "image filters: an untagged image pulled by digest is dangling" {
        ross pull -q "$REG_PLAIN/busybox@$(top_digest busybox)" >/dev/null
        local bb full
        bb=$(image_id busybox)
        full=$(image_id busybox-full)
        [ "$(img_list '{"dangling":["true"]}')" = "${bb:7:12}" ]
        [ "$(img_list '{"dangling":["1"]}')" = "${bb:7:12}" ]
        [ "$(img_list '{"dangling":["false"]}' | wc -w)" = 2 ]
        run ross images -q -f dangling=true
        [ "$output" = "${bb:7:12}" ]
}

@test "image filters: an unknown filter, a bad value or bad JSON is a 400 in Docker's words" {
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://x/images/json?filters=$(jq -rn '"{\"foo\":[\"x\"]}" | @uri')"
        [ "${lines[1]}" = 400 ]
        [ "$(jq -r .message <<<"${lines[0]}")" = "invalid filter 'foo'" ]
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://x/images/json?filters=$(jq -rn '"{\"dangling\":[\"maybe\"]}" | @uri')"
        [ "${lines[1]}" = 400 ]
        [ "$(jq -r .message <<<"${lines[0]}")" = "invalid filter 'dangling=[maybe]'" ]
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://x/images/json?filters=$(jq -rn '"{\"before\":[\"nosuch:1\"]}" | @uri')"
        [ "${lines[1]}" = 404 ]
        assert_output_contains "No such image: nosuch:1"
        local bad
        for bad in '{"label":' '[]' '{"label":"x"}' '{"label":[true]}' 'null'; do
                run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" "http://x/images/json?filters=$(jq -rn --arg f "$bad" '$f | @uri')"
                [ "${lines[1]}" = 400 ] || { echo "filters=$bad: $output" >&2; return 1; }
                [ "$(jq -r .message <<<"${lines[0]}")" = "invalid filter" ]
        done
        run ross images -f foo=bar
        assert_status 1
        assert_output_contains "invalid filter 'foo'"
        run ross images -f nokey
        assert_status 125
}
