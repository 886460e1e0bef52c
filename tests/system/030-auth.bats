#!/usr/bin/env bats
# Registry auth and transport: Basic, Bearer tokens, TLS with a per-registry CA, insecure.

load helpers

setup() {
        start_daemon
}

@test "Basic auth: anonymous pull is refused, login stores credentials, pull works" {
        run ross pull "$REG_BASIC/busybox"
        assert_status 1
        assert_output_contains "pull access denied for $REG_BASIC/busybox"
        run ross images -q
        [ -z "$output" ]

        run ross login -u "$REG_USER" -p wrong "$REG_BASIC"
        assert_status 1
        assert_output_contains "incorrect username or password"
        [ ! -e "$DOCKER_CONFIG/config.json" ]

        run bash -c "echo '$REG_PASS' | '$ROSS_CLI' login -u '$REG_USER' --password-stdin '$REG_BASIC'"
        assert_status 0
        assert_output_contains "Login Succeeded"
        [ "$(jq -r ".auths[\"$REG_BASIC\"].auth" "$DOCKER_CONFIG/config.json" | base64 -d)" = "$REG_USER:$REG_PASS" ]
        [ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ]

        run ross pull "$REG_BASIC/busybox"
        assert_status 0
        run ross logout "$REG_BASIC"
        assert_output_contains "Removing login credentials for $REG_BASIC"
        [ "$(jq -r ".auths[\"$REG_BASIC\"]" "$DOCKER_CONFIG/config.json")" = null ]
        ross rmi "$REG_BASIC/busybox"
        run ross pull "$REG_BASIC/busybox"
        assert_status 1
}

@test "Bearer tokens: anonymous callers pull, the token server sees the scope" {
        run ross pull "$REG_TOKEN/busybox"
        assert_status 0
        grep -q 'GET /token?service=ross-test-registry&scope=repository%3Abusybox%3Apull' \
                "$ROSS_WORLD/token-server/log"
}

@test "Bearer tokens with credentials; a wrong password is refused by the token server" {
        run ross login -u "$REG_USER" -p nope "$REG_TOKEN"
        assert_status 1
        assert_output_contains "incorrect username or password"
        run ross login -u "$REG_USER" -p "$REG_PASS" "$REG_TOKEN"
        assert_status 0
        run ross pull "$REG_TOKEN/busybox-full"
        assert_status 0
        run ross image inspect "$REG_TOKEN/busybox-full"
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$(image_id busybox-full)" ]
        # a second login with a wrong password is not answered from the token cache
        run ross login -u "$REG_USER" -p nope "$REG_TOKEN"
        assert_status 1
}

@test "tokens are cached per scope until they expire" {
        local before after
        before=$(grep -c 'scope=repository%3Abusybox%3Apull' "$ROSS_WORLD/token-server/log")
        ross pull "$REG_TOKEN/busybox" >/dev/null
        ross rmi "$REG_TOKEN/busybox" >/dev/null
        ross pull "$REG_TOKEN/busybox" >/dev/null
        after=$(grep -c 'scope=repository%3Abusybox%3Apull' "$ROSS_WORLD/token-server/log")
        [ $((after - before)) -eq 1 ]
}

@test "TLS with the registry's CA in certs.d" {
        run ross pull "$REG_TLS/busybox"
        assert_status 0
        assert_output_contains "Downloaded newer image"
}

@test "TLS with an unknown CA is refused" {
        stop_daemon
        start_daemon --certs-dir "$BATS_TEST_TMPDIR/empty-certs"
        run ross pull "$REG_TLS/busybox"
        assert_status 1
        assert_output_contains "pull $REG_TLS/busybox:latest"
        assert_output_contains "certificate"
        run ross images -q
        [ -z "$output" ]
        assert_store_clean
}

@test "plain HTTP only for registries named insecure" {
        stop_daemon
        D=$BATS_TEST_TMPDIR/d2
        mkdir -p "$D"
        "$ROSS_DAEMON" start --data-dir "$D/data" --run-dir "$D/run" --bridge none >"$D/log" 2>&1 &
        DAEMON_PID=$!
        SOCK=$D/run/ross.sock
        for i in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
        run "$ROSS_CLI" --host "unix://$SOCK" pull "$REG_PLAIN/busybox"
        assert_status 1
        assert_output_contains "https://$REG_PLAIN/v2/"
}
