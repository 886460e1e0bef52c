#!/usr/bin/env bats
# Decompression bombs through real pulls: zeros become holes (a 20 GiB file costs no disk),
# and anything else stops at the free-space reserve (--min-free-space) of the data dir's
# filesystem, here a small ext4 the test makes, whatever --max-layer-size says. The bombs
# are built by tests/world/mktars.py by streaming gzip members, never uncompressed.

load helpers

MKTARS=$ROOT/tests/world/mktars.py
ROOTFS=$BUILD/programs/ross-rootfs

snapshot_dirs() {
        find "$DATA/snapshots" -mindepth 1 -maxdepth 1 -type d ! -name empty ! -name init | wc -l
}

push_bomb() { # repo size byte [more mktars args]
        local repo=$1 size=$2 byte=$3
        shift 3
        /usr/bin/python3 "$MKTARS" bomb --registry "http://$REG_TAMPER" --name "$repo" \
                --size "$size" --byte "$byte" "$@" >/dev/null
}

# A fresh ext4 filesystem of $1 at $SMALL (under the test's temp dir), for a data dir.
small_fs() { # size
        [ "$(id -u)" = 0 ] || skip "a loop-mounted filesystem needs root"
        SMALL=$BATS_TEST_TMPDIR/fs
        truncate -s "$1" "$BATS_TEST_TMPDIR/fs.img"
        mkfs.ext4 -q -F "$BATS_TEST_TMPDIR/fs.img"
        mkdir -p "$SMALL"
        mount -o loop "$BATS_TEST_TMPDIR/fs.img" "$SMALL" || skip "cannot loop-mount an ext4 image here"
        DATA=$SMALL/data
}

avail() { df -B1 --output=avail "$1" | tail -n 1 | tr -d ' '; }

# The pull failed at the reserve, the daemon lives on, nothing of the image is left, and
# the filesystem still has the reserve free.
assert_stopped_at_reserve() { # reserve-bytes reserve-shown [more text of the error...]
        assert_status 1
        assert_output_contains "not enough free space on the data dir's filesystem: writing would leave less than the $2 reserve (--min-free-space"
        local needle
        for needle in "${@:3}"; do assert_output_contains "$needle"; done
        kill -0 "$DAEMON_PID"
        run ross images -q
        assert_status 0
        [ -z "$output" ]
        [ "$(snapshot_dirs)" = 0 ]
        [ -z "$(find "$DATA/snapshots" -maxdepth 1 -name '.tmp-*')" ]
        assert_store_clean
        [ -z "$(ls -A "$DATA/blobs/sha256")" ]
        local left
        left=$(avail "$SMALL")
        [ "$left" -ge "$1" ] || { echo "only $left bytes left free, reserve $1" >&2; return 1; }
}

teardown() {
        stop_daemon
        local m
        for m in "${RUN:-/nonexistent}"/image-mounts/*; do
                [ -d "$m" ] && umount "$m" 2>/dev/null
        done
        if [ -n "${SMALL:-}" ] && mountpoint -q "$SMALL"; then
                umount "$SMALL"
        fi
        true
}

@test "a 20 GiB file of zeros (20 MB of gzip) pulls as holes: its size and content, no disk" {
        local size=$((20 * 1024 * 1024 * 1024))
        push_bomb bomb-zeros "$size" 0 --file zeros
        start_daemon
        run ross pull "$REG_TAMPER/bomb-zeros"
        assert_status 0
        local f
        f=$(find "$DATA/snapshots" -name zeros -type f)
        [ -n "$f" ]
        [ "$(stat -c %s "$f")" = "$size" ]
        # almost nothing on disk: less than 1 MiB for 20 GiB
        local used
        used=$(du -k "$f" | cut -f1)
        [ "$used" -lt 1024 ] || { echo "the file takes $used KiB" >&2; return 1; }
        # it reads back as zeros: no data extent anywhere, and samples read as zeros
        /usr/bin/python3 - "$f" "$size" <<'EOF'
import errno, os, sys
path, size = sys.argv[1], int(sys.argv[2])
fd = os.open(path, os.O_RDONLY)
try:
    os.lseek(fd, 0, os.SEEK_DATA)
    sys.exit("the file has data extents")
except OSError as e:
    if e.errno != errno.ENXIO:
        raise
for off in (0, size // 2 + 12345, size - (1 << 20)):
    assert os.pread(fd, 1 << 20, off) == bytes(1 << 20), off
assert os.pread(fd, 10, size) == b""
EOF
        # and through the image's overlay mount
        local m
        m=$(ross image mount "$REG_TAMPER/bomb-zeros")
        [ "$(stat -c %s "$m/zeros")" = "$size" ]
}

@test "a bomb of 'a' bytes stops at the --min-free-space reserve; nothing is left behind" {
        small_fs 512M
        push_bomb bomb-a $((2 * 1024 * 1024 * 1024)) a
        start_daemon --min-free-space 128M
        run ross pull "$REG_TAMPER/bomb-a"
        assert_stopped_at_reserve $((128 * 1024 * 1024)) "128.0 MiB" "entry 'bomb': "
}

@test "a large --max-layer-size does not lift the reserve (given as a share of the filesystem)" {
        small_fs 512M
        push_bomb bomb-a $((2 * 1024 * 1024 * 1024)) a
        start_daemon --max-layer-size 1099511627776 --min-free-space 25%
        local size reserve shown
        size=$(df -B1 --output=size "$SMALL" | tail -n 1 | tr -d ' ')
        reserve=$((size / 4))
        shown=$(awk -v b="$reserve" 'BEGIN { printf "%.1f MiB", b / 1048576 }')
        run ross pull "$REG_TAMPER/bomb-a"
        assert_stopped_at_reserve "$reserve" "$shown"
}

@test "a blob download stops at the reserve: no ingest file, no blob" {
        small_fs 512M
        # 200 MiB of random bytes, as a plain tar: the download itself would go under
        push_bomb bomb-random $((200 * 1024 * 1024)) 0 --random
        start_daemon --min-free-space 400M
        run ross pull "$REG_TAMPER/bomb-random"
        assert_stopped_at_reserve $((400 * 1024 * 1024)) "400.0 MiB" "blob sha256:"
}

@test "the flat rootfs merge stops at the reserve and leaves no half tree" {
        small_fs 512M
        # fits once (the snapshot), not twice (the flat tree next to it)
        push_bomb bomb-a-240m $((240 * 1024 * 1024)) a
        start_daemon --min-free-space 128M
        run ross pull "$REG_TAMPER/bomb-a-240m"
        assert_status 0
        run ross image rootfs "$REG_TAMPER/bomb-a-240m"
        assert_status 1
        assert_output_contains "not enough free space on the data dir's filesystem: writing would leave less than the 128.0 MiB reserve (--min-free-space"
        assert_output_contains "flat rootfs of image"
        kill -0 "$DAEMON_PID"
        [ -z "$(ls -A "$DATA/flat" 2>/dev/null)" ]
        [ "$(avail "$SMALL")" -ge $((128 * 1024 * 1024)) ]
        # the image itself is whole and usable
        local m
        m=$(ross image mount "$REG_TAMPER/bomb-a-240m")
        [ "$(stat -c %s "$m/bomb")" = $((240 * 1024 * 1024)) ]
}

@test "--min-free-space: bad values are a usage error naming the value" {
        run "$ROSS_DAEMON" start --min-free-space 12.5%
        assert_status 2
        assert_output_contains "--min-free-space: '12.5%' is not a size"
        run "$ROSS_DAEMON" start --min-free-space 101%
        assert_status 2
        run "$ROSS_DAEMON" start --min-free-space 5X
        assert_status 2
        assert_output_contains "'5X'"
        run "$ROSS_DAEMON" --help
        assert_output_contains "--min-free-space SIZE|N%"
}

@test "ross-rootfs: the same reserve for extract and prepare; 0 turns it off" {
        local tars=$BATS_TEST_TMPDIR/tars d=$BATS_TEST_TMPDIR/x
        /usr/bin/python3 "$MKTARS" "$tars"
        mkdir -p "$d"
        # 100 %: nothing may be written at all
        run "$ROOTFS" --min-free-space 100% extract "$tars/lower.tar" "$d"
        assert_status 1
        assert_output_contains "ross-rootfs: entry 'keep/': not enough free space"
        run "$ROOTFS" --min-free-space 100% prepare "$BATS_TEST_TMPDIR/flat" "$tars/lower.tar"
        assert_status 1
        assert_output_contains "not enough free space"
        run "$ROOTFS" --min-free-space 0 prepare "$BATS_TEST_TMPDIR/flat2" "$tars/lower.tar"
        assert_status 0
        run "$ROOTFS" --min-free-space lots extract "$tars/lower.tar" "$d"
        assert_status 2
        assert_output_contains "--min-free-space: 'lots'"
}

@test "GNU sparse tar entries keep their holes and their content" {
        local src=$BATS_TEST_TMPDIR/src d=$BATS_TEST_TMPDIR/x
        mkdir -p "$src" "$d"
        local size=$((256 * 1024 * 1024))
        truncate -s $size "$src/sparse"
        printf 'start' | dd of="$src/sparse" conv=notrunc status=none
        printf 'middle' | dd of="$src/sparse" bs=1 seek=$((size / 2 + 1)) conv=notrunc status=none
        printf 'end' | dd of="$src/sparse" bs=1 seek=$((size - 3)) conv=notrunc status=none
        local fmt
        for fmt in gnu posix; do
                tar --sparse --format=$fmt -C "$src" -cf "$BATS_TEST_TMPDIR/$fmt.tar" sparse
                run "$ROOTFS" extract "$BATS_TEST_TMPDIR/$fmt.tar" "$d"
                assert_status 0
                [ "$(stat -c %s "$d/sparse")" = $size ]
                [ "$(du -k "$d/sparse" | cut -f1)" -lt 1024 ]
                cmp "$src/sparse" "$d/sparse"
                rm -f "$d/sparse"
        done
        # zeros written out in full (no sparse map) become holes too
        tar -C "$src" -cf "$BATS_TEST_TMPDIR/plain.tar" sparse
        run "$ROOTFS" extract "$BATS_TEST_TMPDIR/plain.tar" "$d"
        assert_status 0
        [ "$(du -k "$d/sparse" | cut -f1)" -lt 1024 ]
        cmp "$src/sparse" "$d/sparse"
}
