#!/usr/bin/env bats
# Pulled layers become committed snapshots (one per layer chain); an overlay of them is
# the filesystem the image author built.

load helpers

setup() {
        start_daemon
}

snapshot_dirs() {
        find "$DATA/snapshots" -mindepth 1 -maxdepth 1 -type d ! -name empty ! -name init | wc -l
}

@test "image mount shows exactly what the layers describe" {
        ross pull "$REG_PLAIN/layers" >/dev/null
        run ross image mount "$REG_PLAIN/layers"
        assert_status 0
        local m=$output
        [ -d "$m" ]
        grep -q " $m overlay ro," /proc/mounts
        # whiteouts: a file deleted, a directory made opaque twice
        [ ! -e "$m/bin/false" ] && [ -e "$m/bin/true" ]
        [ "$(ls "$m/usr/bin")" = tool ]
        [ "$(ls "$m/replace-me")" = new ]
        [ ! -e "$m/data/original" ]
        # no whiteout devices or markers show through
        [ -z "$(find "$m" -name '.wh.*')" ]
        # special files keep what the tar says
        [ "$(stat -c '%U:%G %a %y' "$m/data/owned")" = "$(getent passwd 1000 | cut -d: -f1):$(getent group 1000 | cut -d: -f1) 644 1990-01-01 00:00:00.000000000 +0000" ] ||
                [ "$(stat -c '%u:%g %a' "$m/data/owned")" = "1000:1000 644" ]
        [ "$(stat -c '%Y' "$m/data/owned")" = 631152000 ]
        [ "$(stat -c '%a' "$m/data/setuid")" = 4755 ]
        [ "$(stat -c '%F' "$m/data/fifo")" = fifo ]
        [ "$(stat -c '%F %t:%T' "$m/data/null")" = "character special file 1:3" ]
        [ "$(readlink "$m/data/symlink")" = original ]
        [ "$(getfattr --only-values -n user.ross "$m/data/xattr")" = test-value ]
        [ "$(getfattr --only-values -n trusted.ross "$m/data/xattr")" = trusted-value ]
        # the file capability survived the chown to 1000
        [ "$(getcap "$m/data/capability" | awk '{print $2}')" = cap_net_bind_service=p ]
        [ "$(stat -c '%u:%g' "$m/data/capability")" = 1000:1000 ]
        [ "$(cat "$m/data/hardlink")" = "hard link target" ]
        [ -f "$m/data/$(printf 'd%.0s' {1..60})/$(printf 'e%.0s' {1..60})/long-name-file" ]
        # the sparse file is 8 MiB long and takes almost no blocks
        [ "$(stat -c %s "$m/data/sparse")" = 8388608 ]
        [ "$(stat -c %b "$m/data/sparse")" -lt 100 ]
        [ "$(dd if="$m/data/sparse" bs=1 skip=4194304 count=13 2>/dev/null)" = "in the middle" ]
        # directory times are the tar's, set after their contents
        [ "$(stat -c '%Y' "$m/data")" = 946684800 ] || [ "$(stat -c '%Y' "$m/data")" = 631152000 ]
        [ "$(stat -c '%a' "$m/tmp")" = 1777 ]
        run ross image unmount "$REG_PLAIN/layers"
        assert_status 0
        [ "$output" = "$(image_id layers)" ]
        ! grep -q " $m " /proc/mounts
}

@test "gzip, zstd and uncompressed layers unpack to the same tree" {
        local sums=()
        for img in busybox busybox-zstd busybox-uncompressed; do
                ross pull "$REG_PLAIN/$img" >/dev/null
                local m
                m=$(ross image mount "$REG_PLAIN/$img")
                sums+=("$(cd "$m" && find . -mindepth 1 -printf '%p %y %m %U %G %s %T@ %l\n' | sort | sha256sum)")
                ross image unmount "$REG_PLAIN/$img" >/dev/null
                ross rmi "$REG_PLAIN/$img" >/dev/null
                [ "$(snapshot_dirs)" = 0 ]
        done
        [ "${sums[0]}" = "${sums[1]}" ]
        [ "${sums[0]}" = "${sums[2]}" ]
}

@test "one snapshot per layer chain: a shared base is unpacked once" {
        ross pull "$REG_PLAIN/busybox" >/dev/null
        [ "$(snapshot_dirs)" = 1 ]
        run ross pull "$REG_PLAIN/layers"
        assert_output_contains "Already exists"
        [ "$(snapshot_dirs)" = 3 ]
        # the committed rows match the directories
        [ "$(sqlite3 "$DATA/ross.db" "SELECT COUNT(*) FROM snapshots WHERE state = 'committed'")" = 3 ]
        # the chain ids are the OCI ones: the first is the first diff id
        local first
        first=$(ross image inspect "$REG_PLAIN/layers" | jq -r '.[0].RootFS.Layers[0]')
        [ "$(sqlite3 "$DATA/ross.db" "SELECT COUNT(*) FROM snapshots WHERE chain_id = '$first'")" = 1 ]
        # inspect names the snapshot directories
        ross image inspect "$REG_PLAIN/layers" | jq -r '.[0].GraphDriver.Data.LowerDir' | tr ':' '\n' | while read -r d; do [ -d "$d" ]; done
}

@test "image size is the unpacked size" {
        ross pull "$REG_PLAIN/busybox" >/dev/null
        local tar_size
        tar_size=$(gzip -dc "$DATA"/blobs/sha256/$(sqlite3 "$DATA/ross.db" "SELECT substr(digest, 8) FROM image_blobs WHERE kind = 'layer'") | wc -c)
        [ "$(ross images --format json | jq -r '.[0].Size')" = "$tar_size" ]
}

@test "rm removes the snapshots no other image uses; a mounted image needs -f" {
        ross pull "$REG_PLAIN/busybox" >/dev/null
        ross pull "$REG_PLAIN/layers" >/dev/null
        local m
        m=$(ross image mount "$REG_PLAIN/layers")
        run ross rmi "$REG_PLAIN/layers"
        assert_status 1
        assert_output_contains "is mounted at $m"
        [ "$(snapshot_dirs)" = 3 ]
        run ross rmi -f "$REG_PLAIN/layers"
        assert_status 0
        ! grep -q " $m " /proc/mounts
        [ "$(snapshot_dirs)" = 1 ]
        ross rmi "$REG_PLAIN/busybox" >/dev/null
        [ "$(snapshot_dirs)" = 0 ]
        [ "$(sqlite3 "$DATA/ross.db" 'SELECT COUNT(*) FROM snapshots')" = 0 ]
}

@test "image prune removes dangling images, then unused blobs and snapshots; -a all" {
        ross pull "$REG_PLAIN/busybox" >/dev/null
        ross pull "$REG_PLAIN/layers" >/dev/null
        ross tag "$REG_PLAIN/layers" keep:me
        ross rmi "$REG_PLAIN/layers" >/dev/null
        ross rmi keep:me >/dev/null # gone: it was the last tag
        ross pull "$REG_PLAIN/busybox-full" >/dev/null
        ross tag "$REG_PLAIN/busybox-full" dangling:soon
        ross rmi "$REG_PLAIN/busybox-full" dangling:soon >/dev/null
        run ross image prune
        assert_status 0 # without -f and without a yes: nothing happens
        [ "$(ross images -q | wc -l)" = 1 ]
        run ross image prune -f
        assert_status 0
        assert_output_contains "Total reclaimed space:"
        run ross image prune -a -f
        assert_status 0
        assert_output_contains "Deleted: $(image_id busybox)"
        [ -z "$(ross images -q)" ]
        [ "$(snapshot_dirs)" = 0 ]
        [ -z "$(ls "$DATA/blobs/sha256")" ]
}

@test "a crash during unpack leaves no snapshot that looks complete; start cleans it" {
        ross pull "$REG_PLAIN/busybox" >/dev/null
        stop_daemon
        # what a kill -9 mid-unpack leaves: a row still "unpacking" with half a tree, and a
        # directory whose row was never written
        sqlite3 "$DATA/ross.db" "INSERT INTO snapshots(chain_id, diff_id, state, created) VALUES ('sha256:$(printf x | sha256sum | cut -c1-64)', 'sha256:x', 'unpacking', 0)"
        local id
        id=$(sqlite3 "$DATA/ross.db" "SELECT id FROM snapshots WHERE state = 'unpacking'")
        mkdir -p "$DATA/snapshots/$id/fs/half" "$DATA/snapshots/999/fs" "$DATA/snapshots/.tmp-abc/fs/x"
        DATA=$DATA start_daemon
        [ ! -e "$DATA/snapshots/$id" ]
        [ ! -e "$DATA/snapshots/999" ] && [ ! -e "$DATA/snapshots/.tmp-abc" ]
        [ "$(sqlite3 "$DATA/ross.db" "SELECT COUNT(*) FROM snapshots WHERE state != 'committed'")" = 0 ]
        run ross image mount "$REG_PLAIN/busybox"
        assert_status 0
}

@test "kill -9 of the daemon during a pull: the next start leaves only whole things" {
        # big enough that the kill lands mid-download or mid-unpack
        local tar=$BATS_TEST_TMPDIR/big.tar
        mkdir -p "$BATS_TEST_TMPDIR/big"
        for i in $(seq 1 40); do head -c 1000000 /dev/urandom >"$BATS_TEST_TMPDIR/big/f$i"; done
        tar -C "$BATS_TEST_TMPDIR/big" -cf "$tar" .
        /usr/bin/python3 "$ROOT/tests/world/mkimages.py" --registry "http://$REG_TAMPER" --from-tar "$tar" --name big >/dev/null
        ross pull -q "$REG_TAMPER/big" >/dev/null 2>&1 &
        local cli=$!
        for _ in $(seq 1 200); do
                [ -n "$(find "$DATA/ingest" "$DATA/snapshots" -mindepth 1 -newer "$tar" 2>/dev/null | grep -v -e '/empty$' -e '/init' | head -1)" ] && break
                sleep 0.01
        done
        kill -9 "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        wait "$cli" 2>/dev/null || true
        DAEMON_PID=
        DATA=$DATA start_daemon
        assert_store_clean
        [ "$(sqlite3 "$DATA/ross.db" "SELECT COUNT(*) FROM snapshots WHERE state != 'committed'")" = 0 ]
        # every snapshot directory has a committed row, and no image is half there
        [ "$(snapshot_dirs)" = "$(sqlite3 "$DATA/ross.db" 'SELECT COUNT(*) FROM snapshots')" ]
        run ross pull "$REG_TAMPER/big"
        assert_status 0
        local m
        m=$(ross image mount "$REG_TAMPER/big")
        [ "$(cat "$m"/f* | sha256sum)" = "$(cat "$BATS_TEST_TMPDIR"/big/f* | sha256sum)" ] || {
                # same files, compare one by one (glob order is the same on both sides)
                for i in $(seq 1 40); do cmp "$m/f$i" "$BATS_TEST_TMPDIR/big/f$i"; done
        }
}

@test "a layer whose content is not the config's diff id: refused, nothing left" {
        run ross pull "$REG_PLAIN/bad-diffid"
        assert_status 1
        assert_output_contains "uncompressed layer has digest"
        assert_output_contains "the image config says $(printf 'not the layer' | sha256sum | sed 's/ .*//; s/^/sha256:/')"
        [ -z "$(ross images -q)" ]
        [ "$(snapshot_dirs)" = 0 ]
        assert_store_clean
}

@test "a hostile layer through a real pull: refused naming the entry, nothing left" {
        /usr/bin/python3 "$ROOT/tests/world/mktars.py" "$BATS_TEST_TMPDIR/tars"
        /usr/bin/python3 "$ROOT/tests/world/mkimages.py" --registry "http://$REG_TAMPER" \
                --from-tar "$BATS_TEST_TMPDIR/tars/hardlink-outside.tar" --name evil >/dev/null
        run ross pull "$REG_TAMPER/evil"
        assert_status 1
        assert_output_contains "entry 'h': hard link target: path contains '..'"
        [ -z "$(ross images -q)" ]
        [ "$(snapshot_dirs)" = 0 ]
        assert_store_clean
}

@test "a decompression bomb stops at --max-layer-size" {
        stop_daemon
        start_daemon --max-layer-size 20000000
        /usr/bin/python3 "$ROOT/tests/world/mktars.py" "$BATS_TEST_TMPDIR/tars"
        gzip -dc "$BATS_TEST_TMPDIR/tars/bomb.tar.gz" >"$BATS_TEST_TMPDIR/bomb.tar"
        /usr/bin/python3 "$ROOT/tests/world/mkimages.py" --registry "http://$REG_TAMPER" \
                --from-tar "$BATS_TEST_TMPDIR/bomb.tar" --name bomb >/dev/null
        run ross pull "$REG_TAMPER/bomb"
        assert_status 1
        assert_output_contains "layer is larger than 20000000 bytes uncompressed"
        [ "$(snapshot_dirs)" = 0 ]
        assert_store_clean
}
