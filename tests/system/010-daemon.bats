#!/usr/bin/env bats
# The daemon: flags, socket, system endpoints, logging.

load helpers

@test "daemon --help documents every flag" {
        run "$ROSS_DAEMON" --help
        assert_status 0
        for f in --data-dir --run-dir --socket --insecure-registry --max-concurrent-downloads \
                --log-level --certs-dir; do
                assert_output_contains "$f"
        done
}

@test "daemon refuses unknown flags and bad values with a clear error" {
        run "$ROSS_DAEMON" start --bogus
        [ "$status" -ne 0 ]
        run "$ROSS_DAEMON" start --log-level loud
        assert_status 2
        assert_output_contains "--log-level: 'loud'"
        run "$ROSS_DAEMON" start --max-concurrent-downloads 0
        assert_status 2
        assert_output_contains "--max-concurrent-downloads"
        run "$ROSS_DAEMON"
        assert_status 2
        assert_output_contains "expected the command 'start'"
}

@test "socket has mode 0660 and answers _ping, version and info" {
        start_daemon
        [ "$(stat -c %a "$SOCK")" = 660 ]
        run api GET /_ping
        [ "$output" = OK ]
        run api HEAD /_ping -I
        assert_output_contains "Api-Version: 1.45"
        run api GET /v1.41/version
        [ "$(echo "$output" | jq -r .ApiVersion)" = 1.45 ]
        [ "$(echo "$output" | jq -r .Os)" = linux ]
        run api GET /info
        [ "$(echo "$output" | jq -r .DockerRootDir)" = "$DATA" ]
        [ "$(echo "$output" | jq -r .Images)" = 0 ]
        [ "$(echo "$output" | jq -r ".RegistryConfig.IndexConfigs[\"$REG_PLAIN\"].Secure")" = false ]
}

@test "unknown endpoints get 404 with a JSON message" {
        start_daemon
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://ross/nope
        [ "$output" = 404 ]
        run api GET /nope
        [ "$(echo "$output" | jq -r .message)" = "page not found: GET /nope" ]
}

@test "a second daemon on the same socket is refused" {
        start_daemon
        run "$ROSS_DAEMON" start --data-dir "$D/data2" --run-dir "$RUN" --socket "$SOCK" --bridge none
        assert_status 1
        assert_output_contains "another daemon is already serving"
        run api GET /_ping
        [ "$output" = OK ]
}

@test "ROSS_LOG=debug shows what the daemon does; --log-level overrides" {
        ROSS_LOG=debug start_daemon
        ross pull "$REG_PLAIN/busybox" >/dev/null
        grep -q 'debug: api: POST /images/create' "$DAEMON_LOG"
        grep -q 'debug: http: GET http://'"$REG_PLAIN"'/v2/busybox/manifests/latest' "$DAEMON_LOG"
        stop_daemon
        ROSS_LOG=debug start_daemon --log-level error
        ross images >/dev/null
        ! grep -q 'debug:' "$DAEMON_LOG"
}

@test "SIGTERM stops the daemon and removes its socket" {
        start_daemon
        kill -TERM "$DAEMON_PID"
        wait "$DAEMON_PID"
        DAEMON_PID=
        [ ! -e "$SOCK" ]
}

@test "ross-cli without a daemon says so" {
        run "$ROSS_CLI" --host "unix://$BATS_TEST_TMPDIR/none.sock" images
        assert_status 1
        assert_output_contains "cannot connect to the Ross daemon"
}
