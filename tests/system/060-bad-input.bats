#!/usr/bin/env bats
# Bad input: one clear error, a non-zero exit, nothing left behind, and the next good pull
# succeeds. Corrupt blobs come from a real registry whose storage the test damages; garbage
# and oversized manifests come from tests/world/hostile-registry.py, a test double used
# only because the real registry refuses to serve such documents.

load helpers

setup() {
        start_daemon
}

# The common aftermath of every failure.
assert_nothing_left() {
        run ross images -q
        [ -z "$output" ] || { echo "images left: $output" >&2; return 1; }
        assert_store_clean
        run ross pull "$REG_PLAIN/busybox"
        assert_status 0
        ross rmi "$REG_PLAIN/busybox" >/dev/null
}

# Path of a blob in the tamper registry's storage.
reg_blob() {
        local d=${1#sha256:}
        echo "$REG_TAMPER_DATA/docker/registry/v2/blobs/sha256/${d:0:2}/$d/data"
}

layer_digest() { # repo index
        curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
                "http://$REG_TAMPER/v2/$1/manifests/latest" | jq -r ".layers[$2].digest"
}

@test "unknown repository" {
        run ross pull "$REG_PLAIN/does-not-exist"
        assert_status 1
        assert_output_contains "manifest for $REG_PLAIN/does-not-exist:latest not found"
        assert_nothing_left
}

@test "unknown tag" {
        run ross pull "$REG_PLAIN/busybox:no-such-tag"
        assert_status 1
        assert_output_contains "manifest for $REG_PLAIN/busybox:no-such-tag not found: manifest unknown"
        assert_nothing_left
}

@test "wrong password" {
        mkdir -p "$DOCKER_CONFIG"
        printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG_BASIC" "$(printf '%s:wrong' "$REG_USER" | base64)" \
                >"$DOCKER_CONFIG/config.json"
        run ross pull "$REG_BASIC/busybox"
        assert_status 1
        assert_output_contains "incorrect username or password"
        rm "$DOCKER_CONFIG/config.json"
        assert_nothing_left
}

@test "registry down" {
        run ross pull "$REG_DOWN/busybox"
        assert_status 1
        assert_output_contains "pull $REG_DOWN/busybox:latest"
        assert_output_contains "Connection refused"
        assert_nothing_left
}

@test "a blob whose bytes do not match its digest" {
        local d f
        d=$(layer_digest layers 1)
        f=$(reg_blob "$d")
        cp "$f" "$BATS_TEST_TMPDIR/orig"
        # same size, other bytes
        head -c "$(stat -c %s "$f")" /dev/zero >"$f"
        run ross pull "$REG_TAMPER/layers"
        cp "$BATS_TEST_TMPDIR/orig" "$f"
        assert_status 1
        assert_output_contains "blob $d does not match its digest"
        assert_nothing_left
}

@test "a truncated blob" {
        local d f
        d=$(layer_digest layers 2)
        f=$(reg_blob "$d")
        cp "$f" "$BATS_TEST_TMPDIR/orig"
        truncate -s 100 "$f"
        run ross pull "$REG_TAMPER/layers"
        cp "$BATS_TEST_TMPDIR/orig" "$f"
        assert_status 1
        assert_output_contains "blob $d is truncated: got 100 of"
        assert_nothing_left
}

@test "a manifest over 4 MiB" {
        run ross pull "$REG_HOSTILE/huge"
        assert_status 1
        assert_output_contains "is larger than 4194304 bytes"
        assert_nothing_left
}

@test "an unknown manifest media type" {
        run ross pull "$REG_HOSTILE/unknown-type"
        assert_status 1
        assert_output_contains "unsupported manifest media type 'application/vnd.example.thing+json'"
        assert_nothing_left
}

@test "no manifest for this platform" {
        run ross pull "$REG_PLAIN/foreign-only"
        assert_status 1
        assert_output_contains "no matching manifest for linux/amd64 in the manifest list entries"
        run ross pull --platform linux/riscv64 "$REG_PLAIN/multiarch"
        assert_status 1
        assert_output_contains "no matching manifest for linux/riscv64"
        assert_nothing_left
}

@test "a registry that sends garbage JSON" {
        run ross pull "$REG_HOSTILE/garbage"
        assert_status 1
        assert_output_contains "manifest is not valid JSON"
        assert_nothing_left
}

@test "a full disk (a small tmpfs as the data dir)" {
        [ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
        stop_daemon
        local mnt=$BATS_TEST_TMPDIR/small
        mkdir -p "$mnt"
        mount -t tmpfs -o size=400k tmpfs "$mnt" || skip "cannot mount a tmpfs here"
        DATA=$mnt start_daemon --min-free-space 0
        run ross pull "$REG_PLAIN/busybox-full"
        local st=$status out=$output
        status=$st output=$out
        assert_status 1
        assert_output_contains "No space left on device"
        run ross images -q
        [ -z "$output" ]
        DATA=$mnt assert_store_clean
        # with room again, the same pull succeeds
        mount -o remount,size=64m "$mnt"
        run ross pull "$REG_PLAIN/busybox-full"
        assert_status 0
        stop_daemon
        umount "$mnt"
}

@test "bad API requests: 400s with a message" {
        run api POST "/images/create"
        assert_output_contains "fromImage: an image name is required"
        run curl -s -o /dev/null -w '%{http_code}' -X POST --unix-socket "$SOCK" "http://ross/images/create"
        [ "$output" = 400 ]
        run api POST "/images/create?fromImage=$REG_PLAIN/busybox" -H 'X-Registry-Auth: !!!notbase64'
        assert_output_contains "X-Registry-Auth"
        run api POST /auth -d '{not json'
        assert_output_contains "invalid auth request"
        run curl -s -o /dev/null -w '%{http_code}' -X POST --unix-socket "$SOCK" \
                "http://ross/images/x/tag?repo=Bad%20Name"
        [ "$output" = 404 ]
        head -c 2000000 /dev/zero | tr '\0' 'a' >"$BATS_TEST_TMPDIR/big"
        run curl -s -o /dev/null -w '%{http_code}' -X POST --unix-socket "$SOCK" \
                --data-binary @"$BATS_TEST_TMPDIR/big" http://ross/auth
        [ "$output" = 413 ]
}
