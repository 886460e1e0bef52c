# Shared set-up for Ross's system tests: a real ross-daemon per test, with its own data
# and run directories, against the registries tests/world/world.sh started.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=${ROSS_BUILD_DIR:-$ROOT/build}
ROSS_CLI=$BUILD/programs/ross-cli
ROSS_DAEMON=$BUILD/programs/ross-daemon

if [ -z "${ROSS_WORLD:-}" ] || [ ! -f "$ROSS_WORLD/env" ]; then
        echo "ROSS_WORLD is not set: run the system tests through tests/run" >&2
        exit 1
fi
# shellcheck disable=SC1091
source "$ROSS_WORLD/env"

# image name -> expected image id and top-level digest, from the image builder
image_id() { awk -v n="$1" '$1 == n { print $2 }' "$ROSS_WORLD/images"; }
top_digest() { awk -v n="$1" '$1 == n { print $3 }' "$ROSS_WORLD/images"; }

start_daemon() {
        D=$BATS_TEST_TMPDIR/d
        DATA=${DATA:-$D/data}
        RUN=$D/run
        SOCK=$RUN/ross.sock
        DAEMON_LOG=$D/daemon.log
        mkdir -p "$D"
        export ROSS_HOST=unix://$SOCK
        export DOCKER_HOST=unix://$SOCK
        export DOCKER_CONFIG=$D/docker-config
        ${DAEMON_WRAP:-} "$ROSS_DAEMON" start --data-dir "$DATA" --run-dir "$RUN" \
                --insecure-registry "$REG_PLAIN" --insecure-registry "$REG_BASIC" \
                --insecure-registry "$REG_TOKEN" --insecure-registry "$REG_TAMPER" \
                --insecure-registry "$REG_HOSTILE" --insecure-registry "$REG_DOWN" \
                --certs-dir "$REG_CERTS_DIR" --min-free-space 64M ${ROSS_TEST_BRIDGE---bridge none} \
                "$@" >"$DAEMON_LOG" 2>&1 &
        DAEMON_PID=$!
        local i
        for i in $(seq 1 100); do
                if curl -sf --unix-socket "$SOCK" http://ross/_ping >/dev/null 2>&1; then
                        return 0
                fi
                if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
                        echo "ross-daemon exited:" >&2
                        cat "$DAEMON_LOG" >&2
                        return 1
                fi
                sleep 0.05
        done
        echo "ross-daemon did not answer on $SOCK" >&2
        cat "$DAEMON_LOG" >&2
        return 1
}

# After a container test: remove every container, stop the daemon, drop what is mounted.
teardown_containers() {
        local id
        for id in $(ross ps -a -q 2>/dev/null); do ross rm -f "$id" >/dev/null 2>&1; done
        # rm need not wait for a container's network teardown: its shim's, let them end
        local _
        for _ in $(seq 50); do
                pgrep -f "ross-shim --id .* --dir $DATA/" >/dev/null || break
                sleep 0.1
        done
        stop_daemon
        umount "$DATA"/containers/*/rootfs 2>/dev/null || true
        umount "${RUN:-/nonexistent}"/image-mounts/* 2>/dev/null || true
        umount "${RUN:-/nonexistent}"/networks/netns/* 2>/dev/null || true
}

# The network tests' daemon: in a network namespace of the test's own (NETNS, under
# /run/netns), so that its bridges, NAT rules and container addresses live there and all
# traffic stays in it; published ports are reached with in_netns. The registries listen on
# the host's 127.0.0.1, which the namespace cannot reach: the images named are pulled first
# by a daemon in the host's namespace, on the same data directory.
start_daemon_netns() {
        NETNS=ross-test-$$-${BATS_TEST_NUMBER:-0}
        local img
        start_daemon
        for img in "$@"; do ross pull -q "$img" >/dev/null; done
        stop_daemon
        ip netns del "$NETNS" 2>/dev/null || true
        ip netns add "$NETNS"
        ip -n "$NETNS" link set lo up
        # from here on every start_daemon of this test is in the namespace, with the
        # default bridge network; no spare endpoints (made in the background, they would
        # come and go under the tests' counts) but where a test asks for them
        DAEMON_WRAP="nsenter --net=/run/netns/$NETNS"
        ROSS_TEST_BRIDGE=${ROSS_TEST_SPARES:---network-spares 0}
        start_daemon
}

# A command in the test's network namespace (only there: never the host's network).
in_netns() { nsenter --net="/run/netns/$NETNS" "$@"; }

# After a network test: the containers, the daemon, then the namespace.
teardown_netns() {
        teardown_containers
        # the networks' keepers (src/net/keeper.c): their namespaces are bind mounts
        umount "${RUN:-/nonexistent}"/networks/netns/* 2>/dev/null || true
        if [ -n "${NETNS:-}" ]; then
                # what netavark left running there: aardvark-dns serves a network as long as
                # it exists, and these networks go with the namespace
                local p
                for p in $(ip netns pids "$NETNS" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
                ip netns del "$NETNS" 2>/dev/null || true
        fi
}

stop_daemon() {
        if [ -n "${DAEMON_PID:-}" ]; then
                kill "$DAEMON_PID" 2>/dev/null || true
                wait "$DAEMON_PID" 2>/dev/null || true
                DAEMON_PID=
        fi
}

ross() {
        "$ROSS_CLI" "$@"
}

api() { # METHOD PATH [curl args...]
        local m=$1 p=$2
        shift 2
        curl -s --unix-socket "$SOCK" -X "$m" "http://ross$p" "$@"
}

# Fail with a message unless "$output" contains $1.
assert_output_contains() {
        if [[ "$output" != *"$1"* ]]; then
                echo "expected output to contain: $1" >&2
                echo "got: $output" >&2
                return 1
        fi
}

assert_status() {
        if [ "$status" -ne "$1" ]; then
                echo "expected exit status $1, got $status; output: $output" >&2
                return 1
        fi
}

# Nothing half-written: no ingest files, and every blob on disk is whole (its hash is its
# name) and referenced by some image.
assert_store_clean() {
        local n
        n=$(find "$DATA/ingest" -type f 2>/dev/null | wc -l)
        [ "$n" -eq 0 ] || { echo "ingest holds $n files" >&2; ls -l "$DATA/ingest" >&2; return 1; }
        local f
        for f in "$DATA"/blobs/sha256/*; do
                [ -e "$f" ] || continue
                local want got
                want=$(basename "$f")
                got=$(sha256sum "$f" | cut -d' ' -f1)
                [ "$want" = "$got" ] || { echo "blob $want is corrupt" >&2; return 1; }
                local refs
                refs=$(sqlite3 "$DATA/ross.db" \
                        "SELECT COUNT(*) FROM image_blobs WHERE digest = 'sha256:$want'")
                [ "$refs" -gt 0 ] || { echo "blob $want belongs to no image" >&2; return 1; }
        done
}

# Count blob GETs the registry at a log file served so far.
blob_gets() { grep -c 'GET /v2/[^ ]*/blobs/sha256' "$1" || true; }

teardown() {
        stop_daemon
        # image mounts outlive the daemon, as they should; not the test
        local m
        for m in "${RUN:-/nonexistent}"/image-mounts/*; do
                [ -d "$m" ] && umount "$m" 2>/dev/null
        done
        true
}
