#!/usr/bin/env bats
# The flat rootfs for micro-VMs: merged once per chain ID, then cloned per container with
# reflinks where the filesystem allows (tested on an XFS loop device), copied otherwise.

load helpers

ROOTFS=$BUILD/programs/ross-rootfs

teardown() {
        stop_daemon
        umount "$BATS_TEST_TMPDIR/xfs" 2>/dev/null || true
        umount "${RUN:-/nonexistent}"/image-mounts/* 2>/dev/null || true
}

# type, mode, owner, size, link target, device numbers, mtime of files, content hash
tree_listing() { # dir
        (cd "$1" && find . -mindepth 1 \( -type d -printf '%p %y %m %U:%G\n' \) -o \
                \( ! -type d -printf '%p %y %m %U:%G %s %l %T@\n' \) | sort)
        (cd "$1" && find . -type f -exec sha256sum {} + | sort -k2)
        (cd "$1" && find . \( -type c -o -type b \) -exec stat -c '%n %t:%T' {} + | sort)
}

@test "image rootfs: one merged tree, the same as the overlay of the snapshots" {
        start_daemon
        ross pull "$REG_PLAIN/layers" >/dev/null
        run ross image rootfs "$REG_PLAIN/layers"
        assert_status 0
        local flat=$output
        [[ "$flat" == "$DATA/flat/"* ]]
        local m
        m=$(ross image mount "$REG_PLAIN/layers")
        # the flat tree also has the essential directories the image lacks
        for d in dev proc sys run var/tmp root tmp etc; do [ -d "$flat/$d" ]; done
        diff <(tree_listing "$m" | grep -vE '^\./(dev|proc|sys|run|var/tmp)( |$)') \
                <(tree_listing "$flat" | grep -vE '^\./(dev|proc|sys|run|var/tmp)( |$)')
        [ "$(getfattr --only-values -n user.ross "$flat/data/xattr")" = test-value ]
        [ "$(stat -c %b "$flat/data/sparse")" -lt 100 ]
        [ ! -e "$flat/bin/false" ]
        [ "$(ls "$flat/usr/bin")" = tool ]
}

@test "the flat tree is made once and dropped with its image" {
        start_daemon
        ross pull "$REG_PLAIN/busybox" >/dev/null
        local a b
        a=$(ross image rootfs "$REG_PLAIN/busybox")
        touch "$a/marker"
        b=$(ross image rootfs "$REG_PLAIN/busybox")
        [ "$a" = "$b" ] && [ -e "$b/marker" ]
        [ "$(ls "$DATA/flat" | wc -l)" = 1 ]
        ross rmi "$REG_PLAIN/busybox" >/dev/null
        [ -z "$(ls -A "$DATA/flat")" ]
}

@test "a half-made flat tree is removed when the daemon starts" {
        start_daemon
        stop_daemon
        mkdir -p "$DATA/flat/.tmp-0123/half" "$DATA/flat/$(printf y | sha256sum | cut -c1-64)"
        DATA=$DATA start_daemon
        [ -z "$(ls -A "$DATA/flat")" ]
}

@test "clone keeps every entry: owners, modes, times, xattrs, devices, links, holes" {
        start_daemon
        ross pull "$REG_PLAIN/layers" >/dev/null
        local flat
        flat=$(ross image rootfs "$REG_PLAIN/layers")
        run "$ROOTFS" clone "$flat" "$BATS_TEST_TMPDIR/c1"
        assert_status 0
        diff <(tree_listing "$flat") <(tree_listing "$BATS_TEST_TMPDIR/c1")
        [ "$(getfattr --only-values -n user.ross "$BATS_TEST_TMPDIR/c1/data/xattr")" = test-value ]
        [ "$(stat -c %b "$BATS_TEST_TMPDIR/c1/data/sparse")" -lt 100 ]
        # a hard link pair stays one inode
        printf x >"$BATS_TEST_TMPDIR/h1" && ln "$BATS_TEST_TMPDIR/h1" "$BATS_TEST_TMPDIR/h2"
        mkdir "$BATS_TEST_TMPDIR/src" && mv "$BATS_TEST_TMPDIR/h1" "$BATS_TEST_TMPDIR/h2" "$BATS_TEST_TMPDIR/src/"
        "$ROOTFS" clone "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst" >/dev/null
        [ "$(stat -c %i "$BATS_TEST_TMPDIR/dst/h1")" = "$(stat -c %i "$BATS_TEST_TMPDIR/dst/h2")" ]
        # a clone refuses to write into something that exists
        run "$ROOTFS" clone "$flat" "$BATS_TEST_TMPDIR/c1"
        assert_status 1
        assert_output_contains "File exists"
}

@test "reflink clones on XFS (reflink=1) share extents; a copy does not" {
        [ "$(id -u)" = 0 ] || skip "loop devices need root"
        command -v mkfs.xfs >/dev/null || skip "xfsprogs is not installed"
        local img=$BATS_TEST_TMPDIR/xfs.img mnt=$BATS_TEST_TMPDIR/xfs
        truncate -s 512M "$img"
        mkfs.xfs -q -m reflink=1 "$img"
        mkdir -p "$mnt"
        mount -o loop "$img" "$mnt" || skip "cannot mount a loop device here"
        # a 32 MB tree to clone
        mkdir -p "$BATS_TEST_TMPDIR/big"
        for i in $(seq 1 32); do head -c 1000000 /dev/urandom >"$BATS_TEST_TMPDIR/big/f$i"; done
        tar -C "$BATS_TEST_TMPDIR/big" -cf "$BATS_TEST_TMPDIR/big.tar" .
        "$ROOTFS" prepare "$mnt/flat" "$BATS_TEST_TMPDIR/big.tar"
        sync
        local u0 u1 u2
        u0=$(df --output=used -B1 "$mnt" | tail -1)
        run "$ROOTFS" clone "$mnt/flat" "$mnt/c-reflink"
        assert_status 0
        [[ "$output" == "files 32 reflinked 32 copied 0 "* ]]
        sync
        u1=$(df --output=used -B1 "$mnt" | tail -1)
        run "$ROOTFS" clone --copy "$mnt/flat" "$mnt/c-copy"
        assert_status 0
        [[ "$output" == "files 32 reflinked 0 copied 32 "* ]]
        sync
        u2=$(df --output=used -B1 "$mnt" | tail -1)
        echo "reflink clone used $((u1 - u0)) bytes, copy used $((u2 - u1))"
        [ $((u1 - u0)) -lt 4000000 ]
        [ $((u2 - u1)) -gt 30000000 ]
        cmp "$mnt/flat/f7" "$mnt/c-reflink/f7"
        # a write to a clone does not reach the original
        printf changed >"$mnt/c-reflink/f7"
        cmp "$mnt/flat/f7" "$BATS_TEST_TMPDIR/big/f7"
        umount "$mnt"
}

@test "on a filesystem without reflinks the clone is a plain copy" {
        mkdir -p "$BATS_TEST_TMPDIR/src"
        head -c 100000 /dev/urandom >"$BATS_TEST_TMPDIR/src/f"
        local fs
        fs=$(stat -f -c %T "$BATS_TEST_TMPDIR")
        [ "$fs" = xfs ] || [ "$fs" = btrfs ] && skip "$BATS_TEST_TMPDIR is on $fs, which reflinks"
        run "$ROOTFS" clone "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/dst"
        assert_status 0
        [[ "$output" == "files 1 reflinked 0 copied 1 "* ]]
        cmp "$BATS_TEST_TMPDIR/src/f" "$BATS_TEST_TMPDIR/dst/f"
}

@test "the note's minimal rootfs and essential directories" {
        run "$ROOTFS" --busybox /bin/busybox minimal "$BATS_TEST_TMPDIR/min"
        assert_status 0
        for d in dev proc sys tmp run etc var/tmp root; do [ -d "$BATS_TEST_TMPDIR/min/$d" ]; done
        [ "$(stat -c %a "$BATS_TEST_TMPDIR/min/tmp")" = 1777 ]
        [ "$(stat -c %a "$BATS_TEST_TMPDIR/min/var/tmp")" = 1777 ]
        grep -q '^root:x:0:0:' "$BATS_TEST_TMPDIR/min/etc/passwd"
        [ "$(chroot "$BATS_TEST_TMPDIR/min" /bin/sh -c 'echo hi from minimal')" = "hi from minimal" ]
        # essential leaves what the image has alone
        mkdir -p "$BATS_TEST_TMPDIR/img/var" && ln -s /run "$BATS_TEST_TMPDIR/img/var/run" && chmod 700 "$BATS_TEST_TMPDIR/img/var"
        "$ROOTFS" essential "$BATS_TEST_TMPDIR/img"
        [ -L "$BATS_TEST_TMPDIR/img/var/run" ]
        [ "$(stat -c %a "$BATS_TEST_TMPDIR/img/var")" = 700 ]
        [ -d "$BATS_TEST_TMPDIR/img/var/tmp" ]
}
