#!/usr/bin/env bats
# The README's quick start, as a new user runs it (in directories of its own here, so it
# does not touch the machine's /var/lib/ross, and in a network namespace of its own, so its
# default bridge network and its registry live there): it ends by running a container.

bats_require_minimum_version 1.5.0

load helpers

teardown() {
        local f
        for f in "$Q/daemon.pid" "$Q/registry/pid"; do
                if [ -f "$f" ]; then
                        kill "$(cat "$f")" 2>/dev/null || true
                fi
        done
        sleep 0.2
        umount "$Q"/data/containers/*/rootfs 2>/dev/null || true
        umount "$Q"/run/networks/netns/* 2>/dev/null || true
        local p
        for p in $(ip netns pids "$NETNS" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
        ip netns del "$NETNS" 2>/dev/null || true
}

@test "the quick start pulls an image, lists it and runs a container" {
        Q=$BATS_TEST_TMPDIR/q
        local port=$((${ROSS_TEST_PORT_BASE:-15000} + 40))
        NETNS=ross-test-$$-quickstart
        ip netns add "$NETNS"
        ip -n "$NETNS" link set lo up
        run nsenter --net="/run/netns/$NETNS" env ROSS_BUILD_DIR="$BUILD" ROSS_QUICKSTART_PORT=$port ROSS_QUICKSTART_DIR="$Q" \
                ROSS_QUICKSTART_DATA="$Q/data" ROSS_QUICKSTART_RUN="$Q/run" \
                "$ROOT/scripts/quickstart.sh"
        assert_status 0
        assert_output_contains "Status: Downloaded newer image for 127.0.0.1:$port/busybox-full:latest"
        printf '%s\n' "$output" | grep -Eq "^127\.0\.0\.1:$port/busybox-full +latest +[0-9a-f]{12} "
        [ "${lines[-3]}" = "hello from a Ross container" ] || { echo "$output"; return 1; }
        assert_output_contains "ross-daemon is running (pid $(cat "$Q/daemon.pid")"
        # the container was on the default bridge network, in the test's namespace
        run ip -n "$NETNS" -o link
        assert_output_contains "ross0"
}
