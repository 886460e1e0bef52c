#!/usr/bin/env bats
# Hostile input is parsed outside the daemon: pulls, flat rootfs merges and logins run in
# ross-pull, a helper process per operation, in a sandbox (docs/pull-helper.md). A helper
# that dies fails its operation with a clear message and leaves nothing behind.

load helpers

PULL_HELPER=$BUILD/programs/ross-pull

setup() {
        SLOW_PORT=$((${ROSS_TEST_PORT_BASE:-15000} + 20))
        SLOW=127.0.0.1:$SLOW_PORT
}

teardown() {
        # a helper a test stopped and the daemon did not kill: let it go, then end it
        if [ -n "${HUNG_PID:-}" ]; then
                kill -CONT "$HUNG_PID" 2>/dev/null
                kill -9 "$HUNG_PID" 2>/dev/null
        fi
        stop_daemon
        [ -n "${SLOW_PID:-}" ] && kill "$SLOW_PID" 2>/dev/null
        for m in "${RUN:-/nonexistent}"/image-mounts/*; do
                [ -d "$m" ] && umount "$m" 2>/dev/null
        done
        true
}

start_slow_registry() {
        /usr/bin/python3 "$ROOT/tests/world/slow-registry.py" "$SLOW_PORT" "$REG_PLAIN" \
                >"$BATS_TEST_TMPDIR/slow.log" 2>&1 &
        SLOW_PID=$!
        local i
        for i in $(seq 1 100); do
                curl -s -o /dev/null "http://$SLOW/v2/" && return 0
                sleep 0.05
        done
        echo "the slow registry did not start" >&2
        return 1
}

# The libraries that parse what registries send, none of which the daemon may map.
assert_no_parser_libs() { # pid
        local bad
        bad=$(grep -oE '/[^ ]*(libcurl|libssl|libcrypto|libarchive|libisal|libzstd)[^ ]*' "/proc/$1/maps" | sort -u)
        [ -z "$bad" ] || { echo "the daemon maps: $bad" >&2; return 1; }
}

@test "pulls, logins and flat rootfs merges run in ross-pull; the daemon maps no libcurl, libssl, libcrypto or libarchive" {
        start_daemon --log-level debug
        run ross pull "$REG_PLAIN/layers"
        assert_status 0
        grep -q 'pull helper [0-9]*: started (pull)' "$DAEMON_LOG"
        # the helper's own log lines reach the daemon's log
        grep -q 'ross-pull\[[0-9]*\] debug: registry ' "$DAEMON_LOG"
        run ross pull "$REG_TLS/busybox"
        assert_status 0
        run ross login -u "$REG_USER" -p "$REG_PASS" "$REG_BASIC"
        assert_status 0
        assert_output_contains "Login Succeeded"
        grep -q 'pull helper [0-9]*: started (login)' "$DAEMON_LOG"
        run ross image rootfs "$REG_PLAIN/layers"
        assert_status 0
        [ -f "$output/bin/busybox" ]
        grep -q 'pull helper [0-9]*: started (flat)' "$DAEMON_LOG"
        if command -v crun >/dev/null; then
                run ross run --rm "$REG_PLAIN/layers" echo hello
                assert_status 0
                [ "$output" = hello ]
        fi
        assert_no_parser_libs "$DAEMON_PID"
        # no helper outlives its operation
        [ -z "$(pgrep -P "$DAEMON_PID" ross-pull)" ]
        assert_store_clean
        [ -z "$(ls -A "$DATA/ingest")" ]
}

@test "a helper killed mid-pull fails that pull with a clear message; the daemon goes on, the store stays clean" {
        start_slow_registry
        start_daemon --insecure-registry "$SLOW"
        ross pull "$SLOW/slow-busybox-full" >"$BATS_TEST_TMPDIR/pull.out" 2>&1 &
        local pull=$! helper= i
        # wait until the layer is being downloaded (slowly), then kill the helper
        for i in $(seq 1 200); do
                helper=$(pgrep -P "$DAEMON_PID" ross-pull || true)
                [ -n "$helper" ] && grep -q 'GET /v2/slow-busybox-full/blobs/' "$BATS_TEST_TMPDIR/slow.log" &&
                        [ -n "$(find "$DATA/ingest" -type f)" ] && break
                sleep 0.05
        done
        [ -n "$helper" ]
        [ -n "$(find "$DATA/ingest" -type f)" ] # a partial blob is there to be cleaned up
        kill -9 "$helper"
        local st=0
        wait "$pull" || st=$?
        [ "$st" -eq 1 ]
        run cat "$BATS_TEST_TMPDIR/pull.out"
        assert_output_contains "pull $SLOW/slow-busybox-full:latest: the pull helper was killed by signal 9"
        # the daemon answers, and nothing of that pull is left
        kill -0 "$DAEMON_PID"
        run ross images -q
        assert_status 0
        [ -z "$output" ]
        assert_store_clean
        [ -z "$(ls -A "$DATA/ingest")" ]
        [ -z "$(find "$DATA/snapshots" -maxdepth 1 -name '.tmp-*')" ]
        [ "$(sqlite3 "$DATA/ross.db" 'SELECT COUNT(*) FROM snapshots')" = 0 ]
        [ "$(sqlite3 "$DATA/ross.db" 'SELECT COUNT(*) FROM images')" = 0 ]
        # and the same pull then works
        run ross pull "$SLOW/slow-busybox-full"
        assert_status 0
        run ross image inspect "$SLOW/slow-busybox-full"
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$(image_id busybox-full)" ]
        assert_store_clean
}

@test "a helper that hangs mid-pull is killed after the stall limit; the pull fails naming the stall, the daemon goes on, the store stays clean" {
        start_slow_registry
        ROSS_HELPER_STALL_SECONDS=3 start_daemon --insecure-registry "$SLOW"
        grep -q 'a pull helper silent for 3 s is stopped (ROSS_HELPER_STALL_SECONDS)' "$DAEMON_LOG"
        ross pull "$SLOW/slow-busybox-full" >"$BATS_TEST_TMPDIR/pull.out" 2>&1 &
        local pull=$! i
        # wait until the layer is being downloaded (slowly), then stop the helper dead
        for i in $(seq 1 200); do
                HUNG_PID=$(pgrep -P "$DAEMON_PID" ross-pull || true)
                [ -n "$HUNG_PID" ] && grep -q 'GET /v2/slow-busybox-full/blobs/' "$BATS_TEST_TMPDIR/slow.log" &&
                        [ -n "$(find "$DATA/ingest" -type f)" ] && break
                sleep 0.05
        done
        [ -n "$HUNG_PID" ]
        [ -n "$(find "$DATA/ingest" -type f)" ] # a partial blob is there to be cleaned up
        kill -STOP "$HUNG_PID"
        local t0=$SECONDS st=0
        for i in $(seq 1 100); do
                grep -q '^State:.*stopped' "/proc/$HUNG_PID/status" && break
                sleep 0.01
        done
        grep -q '^State:.*stopped' "/proc/$HUNG_PID/status"
        for i in $(seq 1 200); do
                kill -0 "$pull" 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 "$pull" 2>/dev/null; then
                echo "the pull still runs $((SECONDS - t0)) s after its helper was stopped" >&2
                kill "$pull"
                false
        fi
        wait "$pull" || st=$?
        [ "$st" -eq 1 ]
        # not before the limit, and not long after it (the daemon looks once a second)
        local took=$((SECONDS - t0))
        [ "$took" -ge 2 ] && [ "$took" -le 10 ] || { echo "the pull failed after $took s" >&2; false; }
        run cat "$BATS_TEST_TMPDIR/pull.out"
        assert_output_contains "pull $SLOW/slow-busybox-full:latest: the pull helper made no progress for 3 s and was stopped"
        # the daemon killed and reaped it: no helper, not even a zombie, is left
        [ -z "$(pgrep -P "$DAEMON_PID" ross-pull)" ]
        HUNG_PID=
        # the daemon answers, and nothing of that pull is left
        kill -0 "$DAEMON_PID"
        run ross images -q
        assert_status 0
        [ -z "$output" ]
        assert_store_clean
        [ -z "$(ls -A "$DATA/ingest")" ]
        [ -z "$(find "$DATA/snapshots" -maxdepth 1 -name '.tmp-*')" ]
        [ "$(sqlite3 "$DATA/ross.db" 'SELECT COUNT(*) FROM snapshots')" = 0 ]
        [ "$(sqlite3 "$DATA/ross.db" 'SELECT COUNT(*) FROM images')" = 0 ]
        # and the same pull then works, under the same limit
        run ross pull "$SLOW/slow-busybox-full"
        assert_status 0
        run ross image inspect "$SLOW/slow-busybox-full"
        [ "$(echo "$output" | jq -r '.[0].Id')" = "$(image_id busybox-full)" ]
        assert_store_clean
}

@test "a ROSS_HELPER_STALL_SECONDS that is not a number of seconds makes the daemon refuse to start" {
        local v
        for v in abc 0 -5 3s 1.5 86401 ""; do
                ROSS_HELPER_STALL_SECONDS=$v run timeout 10 "$ROSS_DAEMON" start \
                        --data-dir "$BATS_TEST_TMPDIR/data" --run-dir "$BATS_TEST_TMPDIR/run"
                assert_status 2
                assert_output_contains "ross-daemon: ROSS_HELPER_STALL_SECONDS: '$v' is not a number of seconds from 1 to 86400"
        done
        [ ! -e "$BATS_TEST_TMPDIR/data" ]
}

@test "a helper killed during a flat rootfs merge fails it and leaves no temp tree" {
        start_daemon
        ross pull "$REG_PLAIN/layers" >/dev/null
        # the merge is quick: stop the helper as soon as it exists
        ross image rootfs "$REG_PLAIN/layers" >"$BATS_TEST_TMPDIR/flat.out" 2>&1 &
        local job=$! helper= i
        for i in $(seq 1 400); do
                helper=$(pgrep -P "$DAEMON_PID" ross-pull || true)
                [ -n "$helper" ] && break
                sleep 0.005
        done
        [ -n "$helper" ] || skip "the merge finished before the helper could be seen"
        kill -9 "$helper" 2>/dev/null || skip "the merge finished before the helper was killed"
        local st=0
        wait "$job" || st=$?
        if [ "$st" -ne 0 ]; then
                run cat "$BATS_TEST_TMPDIR/flat.out"
                assert_output_contains "the pull helper was killed by signal 9"
        fi
        [ -z "$(find "$DATA/flat" -maxdepth 1 -name '.tmp-*')" ]
        run ross image rootfs "$REG_PLAIN/layers"
        assert_status 0
        [ -f "$output/bin/busybox" ]
}

@test "the helper's sandbox: only its stage and the snapshot area are writable, no mount, unpack caps only" {
        start_daemon
        local stage=.stage-0123456789abcdef
        mkdir -p "$DATA/ingest/$stage"
        run "$PULL_HELPER" probe --data-dir "$DATA" --stage "$stage"
        assert_status 0
        assert_output_contains "write stage: ok"
        assert_output_contains "write snapshots: ok"
        assert_output_contains "write blobs: Read-only file system"
        assert_output_contains "write data dir: Read-only file system"
        assert_output_contains "write /etc: Read-only file system"
        assert_output_contains "write /tmp: Read-only file system"
        assert_output_contains "mount: Operation not permitted"
        assert_output_contains "unshare: Operation not permitted"
        assert_output_contains "no-new-privs: 1"
        local caps want
        caps=$(echo "$output" | awk '/^capabilities:/ { print $2 }')
        want=$(echo "$output" | awk '/^unpack capabilities:/ { print $3 }')
        [ -n "$caps" ] && [ "$caps" = "$want" ]
        # CAP_CHOWN|DAC_OVERRIDE|FOWNER|FSETID|MKNOD|SETFCAP|SYS_ADMIN
        [ "$caps" = 0x8820001b ]
        # nothing it tried is left, and the host's view is untouched
        [ ! -e /etc/ross-probe ] && [ ! -e "$DATA/probe" ]
        touch "$DATA/probe" && rm "$DATA/probe"
        rmdir "$DATA/ingest/$stage"
}

@test "ross-pull refuses to run without the daemon's socket" {
        run "$PULL_HELPER" pull --data-dir "$BATS_TEST_TMPDIR" --stage .stage-0123456789abcdef 3>&-
        assert_status 2
        assert_output_contains "ross-daemon starts this program"
}

@test "a missing helper fails the pull with a message naming it" {
        # a daemon copied away from its ross-pull
        mkdir -p "$BATS_TEST_TMPDIR/bin"
        cp "$ROSS_DAEMON" "$BATS_TEST_TMPDIR/bin/ross-daemon"
        ROSS_DAEMON=$BATS_TEST_TMPDIR/bin/ross-daemon start_daemon
        run ross pull "$REG_PLAIN/busybox"
        assert_status 1
        assert_output_contains "pull $REG_PLAIN/busybox:latest: pull helper: start $BATS_TEST_TMPDIR/bin/ross-pull"
        run ross images -q
        [ -z "$output" ]
        assert_store_clean
        [ -z "$(ls -A "$DATA/ingest")" ]
}

@test "every hostile layer of 070 goes through a real pull, unpacked in the sandboxed helper: the same refusals, nothing outside the store, the accepted ones in their root" {
        start_daemon
        /usr/bin/python3 "$ROOT/tests/world/mktars.py" "$BATS_TEST_TMPDIR/tars"
        local passwd_before escapes t name
        passwd_before=$(sha256sum /etc/passwd)
        # what an escape would have written on the host
        escapes=(/abs-escape /escape /through-root /through-dotdot /in-dir /after /evil /h)
        for t in dotdot dotdot-deep dotdot-absolute root-file symlink-abs-dir hardlink-outside \
                hardlink-absolute hardlink-dotdot-absolute hardlink-symlink hardlink-dir \
                hardlink-missing whiteout-dot whiteout-dotdot whiteout-symlink opaque-symlink \
                deep truncated size-larger; do
                name=hostile-$t
                /usr/bin/python3 "$ROOT/tests/world/mkimages.py" --registry "http://$REG_TAMPER" \
                        --from-tar "$BATS_TEST_TMPDIR/tars/$t.tar" --name "$name" >/dev/null
                run ross pull "$REG_TAMPER/$name"
                [ "$status" -eq 1 ] || { echo "$t: pulled ($status): $output"; false; }
                [ "${#lines[@]}" -ge 1 ]
                run ross image inspect "$REG_TAMPER/$name"
                [ "$status" -ne 0 ] || { echo "$t: an image was kept"; false; }
        done
        assert_store_clean
        # accepted: each pulls, and what it wrote is inside its own flat root
        for t in dotdot-inside absolute root-slash root-dot-slash root-dot symlink-root \
                symlink-dotdot symlink-then-dir dir-then-symlink hardlink-absolute-ok names; do
                name=ok-$t
                /usr/bin/python3 "$ROOT/tests/world/mkimages.py" --registry "http://$REG_TAMPER" \
                        --from-tar "$BATS_TEST_TMPDIR/tars/$t.tar" --name "$name" >/dev/null
                run ross pull -q "$REG_TAMPER/$name"
                [ "$status" -eq 0 ] || { echo "$t: refused: $output"; false; }
        done
        root=$(ross image rootfs "$REG_TAMPER/ok-symlink-root")
        [ -f "$root/through-root" ] && [ -L "$root/evil" ]
        root=$(ross image rootfs "$REG_TAMPER/ok-absolute")
        [ -f "$root/abs-escape" ]
        root=$(ross image rootfs "$REG_TAMPER/ok-hardlink-absolute-ok")
        [ "$(cat "$root/etc/passwd")" = root ] && [ "$(stat -c %h "$root/etc/passwd")" -ge 2 ]
        for t in "${escapes[@]}"; do
                [ ! -e "$t" ] || { echo "$t exists on the host"; false; }
        done
        [ "$(sha256sum /etc/passwd)" = "$passwd_before" ]
}
