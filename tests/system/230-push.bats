#!/usr/bin/env bats
# ross-cli push and POST /images/{name}/push against the test world's real registries:
# uploads, blobs the registry has, cross-repository mounts, Basic and token auth, TLS with
# certs.d, the docker CLI and python3-docker, and a registry that is down.

bats_require_minimum_version 1.5.0

load helpers

PY=/usr/bin/python3
MANIFEST_ACCEPT="application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json"

setup() {
        # a repository of its own per test: the registries live as long as the whole run
        R=push$$-${BATS_TEST_NUMBER}
}

teardown() {
        teardown_containers
        [ -n "${SLOW_PID:-}" ] && kill "$SLOW_PID" 2>/dev/null
        true
}

# The upload double that takes blobs in slowly (tests/world/slow-upload-registry.py).
start_slow_upload_registry() {
        SLOW=127.0.0.1:$((${ROSS_TEST_PORT_BASE:-15000} + 21))
        /usr/bin/python3 "$ROOT/tests/world/slow-upload-registry.py" "${SLOW#*:}" \
                >"$BATS_TEST_TMPDIR/slow.log" 2>&1 &
        SLOW_PID=$!
        local i
        for i in $(seq 1 100); do
                curl -s -o /dev/null "http://$SLOW/v2/" && return 0
                sleep 0.05
        done
        echo "the slow upload registry did not start" >&2
        return 1
}

# The short ids docker push shows for an image's layers, top layer first.
layer_ids() { # image
        local id
        id=$(ross image inspect "$1" | jq -r '.[0].Id')
        sqlite3 "$DATA/ross.db" "SELECT substr(digest, 8, 12) FROM image_blobs WHERE image_id = '$id' AND kind = 'layer' ORDER BY idx DESC"
}

# The digest a registry serves for repo:tag (http or https with the test CA).
registry_digest() { # host repo tag [curl args]
        local host=$1 repo=$2 tag=$3
        shift 3
        curl -sf -I "$@" -H "Accept: $MANIFEST_ACCEPT" "$host/v2/$repo/manifests/$tag" |
                tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'
}

@test "push uploads an image to a new repository; it pulls back into a fresh daemon and runs" {
        start_daemon
        # pulled from another registry: the plain one has none of it under this name
        ross pull -q "$REG_TLS/busybox" >/dev/null
        ross tag "$REG_TLS/busybox" "$REG_PLAIN/$R/app:1"
        local layer
        layer=$(layer_ids "$REG_TLS/busybox")
        run ross push "$REG_PLAIN/$R/app:1"
        assert_status 0
        [ "${lines[0]}" = "The push refers to repository [$REG_PLAIN/$R/app]" ]
        [ "${lines[1]}" = "$layer: Preparing" ]
        assert_output_contains "$layer: Pushing"
        assert_output_contains "$layer: Pushed"
        # the image's own manifest, unchanged: the digest it was pulled with
        local digest
        digest=$(top_digest busybox)
        [[ "${lines[-1]}" =~ ^1:\ digest:\ $digest\ size:\ [0-9]+$ ]]
        [ "$(registry_digest "http://$REG_PLAIN" "$R/app" 1)" = "$digest" ]
        run ross image inspect "$REG_PLAIN/$R/app:1"
        echo "$output" | jq -e --arg d "$REG_PLAIN/$R/app@$digest" '.[0].RepoDigests | index($d)'
        # the network work was the helper's: the daemon still maps no libcurl or libssl
        ! grep -qE 'libcurl|libssl' "/proc/$DAEMON_PID/maps"
        # Docker's image push event
        run api GET "/events?since=1&until=$(($(date +%s) + 1))&filters=%7B%22event%22%3A%5B%22push%22%5D%7D"
        assert_output_contains "\"Action\":\"push\""
        assert_output_contains "\"id\":\"$REG_PLAIN/$R/app:1\""

        stop_daemon
        DATA=$BATS_TEST_TMPDIR/fresh
        start_daemon
        run ross pull "$REG_PLAIN/$R/app:1"
        assert_status 0
        assert_output_contains "Digest: $digest"
        [ "$(ross image inspect "$REG_PLAIN/$R/app:1" | jq -r '.[0].Id')" = "$(image_id busybox)" ]
        run timeout -s KILL 30 "$ROSS_CLI" run --rm "$REG_PLAIN/$R/app:1" echo pushed-and-back
        assert_status 0
        [ "$output" = pushed-and-back ]
}

@test "a push to another repository of the same registry mounts the layers; a second push finds them there" {
        start_daemon --max-concurrent-uploads 1
        ross pull -q "$REG_PLAIN/layers" >/dev/null
        ross tag "$REG_PLAIN/layers" "$REG_PLAIN/$R/copy"
        mapfile -t ids < <(layer_ids "$REG_PLAIN/layers")
        [ "${#ids[@]}" -eq 3 ]
        run ross push "$REG_PLAIN/$R/copy"
        assert_status 0
        [ "${lines[0]}" = "Using default tag: latest" ]
        [ "${lines[1]}" = "The push refers to repository [$REG_PLAIN/$R/copy]" ]
        local id
        for id in "${ids[@]}"; do
                assert_output_contains "$id: Preparing"
                assert_output_contains "$id: Mounted from layers"
        done
        # one upload at a time: the two layers below the top one wait
        [ "$(grep -c ': Waiting$' <<<"$output")" -eq 2 ]
        assert_output_contains "${ids[1]}: Waiting"
        [ "$(grep -c ': Pushed$' <<<"$output")" -eq 0 ]
        # nothing was uploaded: the registry's log has mounts and no blob PUT
        local log=$ROSS_WORLD/plain/log
        grep -q "POST /v2/$R/copy/blobs/uploads/?mount=sha256:" "$log"
        ! grep -q "PUT /v2/$R/copy/blobs/uploads/" "$log"
        [ "$(registry_digest "http://$REG_PLAIN" "$R/copy" latest)" = "$(top_digest layers)" ]

        run ross push "$REG_PLAIN/$R/copy:latest"
        assert_status 0
        for id in "${ids[@]}"; do
                assert_output_contains "$id: Layer already exists"
        done
        [ "$(grep -c ': Layer already exists$' <<<"$output")" -eq 3 ]
        [ "$(grep -c ': Mounted from' <<<"$output")" -eq 0 ]
        assert_output_contains "latest: digest: $(top_digest layers) size:"
}

@test "push -a pushes every tag of the repository; -q prints the reference" {
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        ross pull -q "$REG_PLAIN/busybox-full" >/dev/null
        ross tag "$REG_PLAIN/busybox" "$REG_PLAIN/$R/app:one"
        ross tag "$REG_PLAIN/busybox-full" "$REG_PLAIN/$R/app:two"
        run ross push -a "$REG_PLAIN/$R/app"
        assert_status 0
        assert_output_contains "one: digest: $(top_digest busybox) size:"
        assert_output_contains "two: digest: $(top_digest busybox-full) size:"
        [ "$(registry_digest "http://$REG_PLAIN" "$R/app" two)" = "$(top_digest busybox-full)" ]
        run ross push -q "$REG_PLAIN/$R/app:one"
        assert_status 0
        [ "$output" = "$REG_PLAIN/$R/app:one" ]
        run ross push -a "$REG_PLAIN/$R/app:one"
        assert_status 125
        assert_output_contains "a tag cannot be used with --all-tags"
}

@test "an image pulled through an index: its platform manifest is pushed, with Docker's note" {
        start_daemon
        ross pull -q "$REG_PLAIN/multiarch" >/dev/null
        ross tag "$REG_PLAIN/multiarch" "$REG_PLAIN/$R/multi:1"
        run --separate-stderr ross push "$REG_PLAIN/$R/multi:1"
        assert_status 0
        local pushed
        pushed=$(registry_digest "http://$REG_PLAIN" "$R/multi" 1)
        [ -n "$pushed" ] && [ "$pushed" != "$(top_digest multiarch)" ]
        assert_output_contains "1: digest: $pushed size:"
        [[ "$stderr" == *"Not all multiplatform-content is present and only the available single-platform image was pushed"* ]]
        [[ "$stderr" == *"$(top_digest multiarch) -> $pushed"* ]]
        ross rmi "$REG_PLAIN/$R/multi:1" >/dev/null
        ross rmi "$REG_PLAIN/multiarch" >/dev/null
        run ross pull "$REG_PLAIN/$R/multi:1"
        assert_status 0
        [ "$(ross image inspect "$REG_PLAIN/$R/multi:1" | jq -r '.[0].Id')" = "$(image_id multiarch)" ]
}

@test "nothing to push: Docker's words, a 404, and nothing sent" {
        start_daemon
        run ross push "$REG_PLAIN/$R/nothing:1"
        assert_status 1
        assert_output_contains "An image does not exist locally with the tag: $REG_PLAIN/$R/nothing"
        run api POST "/images/$REG_PLAIN/$R/nothing/push?tag=1" -o /dev/null -w '%{http_code}'
        [ "$output" = 404 ]
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        ross tag "$REG_PLAIN/busybox" "$REG_PLAIN/$R/some:1"
        run ross push "$REG_PLAIN/$R/some:2"
        assert_status 1
        assert_output_contains "tag does not exist: $REG_PLAIN/$R/some:2"
        ! grep -q "/v2/$R/" "$ROSS_WORLD/plain/log"
}

@test "Basic auth: a push without login is refused in the registry's words; after login it works" {
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        ross tag "$REG_PLAIN/busybox" "$REG_BASIC/$R/app:1"
        run ross push "$REG_BASIC/$R/app:1"
        assert_status 1
        assert_output_contains "push $REG_BASIC/$R/app:1: unauthorized: authentication required"
        # the failure recorded nothing
        run ross image inspect "$REG_BASIC/$R/app:1"
        [ "$(echo "$output" | jq -r '.[0].RepoDigests[]' | grep -c "$REG_BASIC")" -eq 0 ]

        run ross login -u "$REG_USER" -p "$REG_PASS" "$REG_BASIC"
        assert_status 0
        run ross push "$REG_BASIC/$R/app:1"
        assert_status 0
        assert_output_contains "$(layer_ids "$REG_PLAIN/busybox"): Pushed"
        assert_output_contains "1: digest: $(top_digest busybox) size:"
        ross rmi "$REG_BASIC/$R/app:1" >/dev/null
        run ross pull "$REG_BASIC/$R/app:1"
        assert_status 0
}

@test "token auth: the token is asked with push scope; anonymous is refused, a login pushes" {
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        ross tag "$REG_PLAIN/busybox" "$REG_TOKEN/$R/app:1"
        local scope="scope=repository%3A$R%2Fapp%3Apull%2Cpush"
        run ross push "$REG_TOKEN/$R/app:1"
        assert_status 1
        assert_output_contains "unauthorized: authentication required"
        grep -q "GET /token?service=ross-test-registry&$scope" "$ROSS_WORLD/token-server/log"

        ross login -u "$REG_USER" -p "$REG_PASS" "$REG_TOKEN" >/dev/null
        local before
        before=$(grep -c "$scope" "$ROSS_WORLD/token-server/log")
        run ross push "$REG_TOKEN/$R/app:1"
        assert_status 0
        assert_output_contains "1: digest: $(top_digest busybox) size:"
        [ "$(grep -c "$scope" "$ROSS_WORLD/token-server/log")" -gt "$before" ]
        ross rmi "$REG_TOKEN/$R/app:1" >/dev/null
        run ross pull "$REG_TOKEN/$R/app:1"
        assert_status 0
        assert_output_contains "Digest: $(top_digest busybox)"

        # a mount asks for the other repository's pull scope beside this one's push scope
        ross tag "$REG_TOKEN/$R/app:1" "$REG_TOKEN/$R/other:1"
        run ross push "$REG_TOKEN/$R/other:1"
        assert_status 0
        assert_output_contains "Mounted from $R/app"
        grep -q "scope=repository%3A$R%2Fother%3Apull%2Cpush&scope=repository%3A$R%2Fapp%3Apull" \
                "$ROSS_WORLD/token-server/log"
}

@test "TLS: a push to the registry whose CA is in certs.d" {
        start_daemon
        ross pull -q "$REG_PLAIN/busybox-full" >/dev/null
        ross tag "$REG_PLAIN/busybox-full" "$REG_TLS/$R/full:1"
        run ross push "$REG_TLS/$R/full:1"
        assert_status 0
        assert_output_contains "1: digest: $(top_digest busybox-full) size:"
        [ "$(registry_digest "https://$REG_TLS" "$R/full" 1 --cacert "$ROSS_WORLD/pki/ca.crt")" = "$(top_digest busybox-full)" ]
}

@test "a registry that is down: a clear error naming it, and nothing half done locally" {
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        ross tag "$REG_PLAIN/busybox" "$REG_DOWN/$R/app:1"
        local before
        before=$(ross image inspect "$REG_DOWN/$R/app:1" | jq -c '.[0] | {Id, RepoDigests}')
        run timeout 60 "$ROSS_CLI" push "$REG_DOWN/$R/app:1"
        assert_status 1
        assert_output_contains "push $REG_DOWN/$R/app:1: http://$REG_DOWN/v2/: connect: Connection refused"
        [ "$(ross image inspect "$REG_DOWN/$R/app:1" | jq -c '.[0] | {Id, RepoDigests}')" = "$before" ]
        [ "$(sqlite3 "$DATA/ross.db" "SELECT COUNT(*) FROM blob_sources WHERE repo LIKE '$REG_DOWN/%'")" -eq 0 ]
        assert_store_clean
        ! pgrep -f "ross-pull push --data-dir $DATA" >/dev/null
        # and the daemon goes on
        ross tag "$REG_PLAIN/busybox" "$REG_PLAIN/$R/app:1"
        run ross push "$REG_PLAIN/$R/app:1"
        assert_status 0
}

@test "a push whose client goes away is stopped; nothing of it is recorded" {
        start_slow_upload_registry
        start_daemon --insecure-registry "$SLOW" --log-level debug
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        ross tag "$REG_PLAIN/busybox" "$SLOW/$R/app:1"
        local before
        before=$(ross image inspect "$SLOW/$R/app:1" | jq -c '.[0].RepoDigests')
        # the layer takes a minute to go in; the client leaves after three seconds
        run timeout 3 "$ROSS_CLI" push "$SLOW/$R/app:1"
        assert_status 124
        assert_output_contains "$(layer_ids "$REG_PLAIN/busybox"): Pushing"
        local i
        for i in $(seq 1 100); do
                pgrep -f "ross-pull push .*--data-dir $DATA" >/dev/null || break
                sleep 0.1
        done
        ! pgrep -f "ross-pull push .*--data-dir $DATA" >/dev/null
        grep -q "push $SLOW/$R/app:1: cancelled: the client went away" "$DAEMON_LOG"
        ! grep -q "PUT /v2/$R/app/manifests/" "$BATS_TEST_TMPDIR/slow.log"
        [ "$(ross image inspect "$SLOW/$R/app:1" | jq -c '.[0].RepoDigests')" = "$before" ]
        [ "$(sqlite3 "$DATA/ross.db" "SELECT COUNT(*) FROM blob_sources WHERE repo LIKE '$SLOW/%'")" -eq 0 ]
}

@test "docker push against Ross's socket" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        start_daemon
        docker pull -q "$REG_PLAIN/busybox-full" >/dev/null
        docker tag "$REG_PLAIN/busybox-full" "$REG_PLAIN/$R/app:v1"
        run docker push "$REG_PLAIN/$R/app:v1"
        assert_status 0
        assert_output_contains "The push refers to repository [$REG_PLAIN/$R/app]"
        assert_output_contains "Mounted from busybox-full"
        assert_output_contains "v1: digest: $(top_digest busybox-full) size:"
        run docker push "$REG_PLAIN/$R/app:v1"
        assert_status 0
        assert_output_contains "Layer already exists"
        run docker push "$REG_PLAIN/$R/absent:v1"
        [ "$status" -ne 0 ]
        assert_output_contains "An image does not exist locally with the tag: $REG_PLAIN/$R/absent"
}

@test "python3-docker: images.push(stream=True, decode=True) and its errors" {
        $PY -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        start_daemon
        ross pull -q "$REG_PLAIN/busybox" >/dev/null
        ross tag "$REG_PLAIN/busybox" "$REG_PLAIN/$R/py:2"
        run env REPO="$REG_PLAIN/$R/py" $PY - <<'EOF'
import json, os, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
for line in c.images.push(os.environ["REPO"], "2", stream=True, decode=True):
    print(json.dumps(line, sort_keys=True))
try:
    c.images.push(os.environ["REPO"] + "-absent", "2")
except docker.errors.NotFound as e:
    print("NotFound:", e.explanation)
EOF
        assert_status 0
        local digest id
        digest=$(top_digest busybox)
        id=$(layer_ids "$REG_PLAIN/busybox")
        [ "${lines[0]}" = "{\"status\": \"The push refers to repository [$REG_PLAIN/$R/py]\"}" ]
        [ "${lines[1]}" = "{\"id\": \"$id\", \"progressDetail\": {}, \"status\": \"Preparing\"}" ]
        assert_output_contains "{\"id\": \"$id\", \"progressDetail\": {}, \"status\": \"Mounted from busybox\"}"
        assert_output_contains "{\"status\": \"2: digest: $digest size: "
        assert_output_contains "{\"aux\": {\"Digest\": \"$digest\", \"Size\": "
        assert_output_contains "\"Tag\": \"2\"}, \"progressDetail\": {}}"
        [ "${lines[-1]}" = "NotFound: An image does not exist locally with the tag: $REG_PLAIN/$R/py-absent" ]
}
