#!/usr/bin/env bats
# Conformance: for every test image, the tree Ross unpacks (the overlay of its snapshots,
# and the flat rootfs) is compared entry by entry with what umoci (Debian) unpacks from the
# same image (tests/world/treecmp.py). Allowed differences, each explained in
# docs/conformance.md: the flat rootfs adds the essential directories; overlayfs reports
# the lower inode's link count for a hard link whose other name was whited out.

load helpers

setup_file() {
        command -v umoci >/dev/null || return 0
        export REF=$BATS_FILE_TMPDIR/ref
        mkdir -p "$REF"
        local img
        # umoci 0.4.7 reads neither zstd layers nor GNU 'S' sparse entries: busybox-zstd is
        # checked against the gzip image with the same diff ids, sparse-gnu against GNU tar.
        for img in busybox busybox-full busybox-uncompressed busybox-docker layers multiarch \
                multiarch-docker; do
                skopeo copy -q --src-tls-verify=false "docker://$REG_PLAIN/$img:latest" \
                        "oci:$REF/oci:$img" >/dev/null
                umoci unpack --image "$REF/oci:$img" "$REF/$img" >/dev/null 2>&1
        done
}

setup() {
        command -v umoci >/dev/null || skip "umoci is not installed"
        start_daemon
}

teardown() {
        stop_daemon
        umount "${RUN:-/nonexistent}"/image-mounts/* 2>/dev/null || true
}

compare() { # image reference-rootfs
        ross pull "$REG_PLAIN/$1" >/dev/null
        local m f
        m=$(ross image mount "$REG_PLAIN/$1")
        f=$(ross image rootfs "$REG_PLAIN/$1")
        /usr/bin/python3 "$ROOT/tests/world/treecmp.py" "$2" "$m" --allow overlay-nlink
        /usr/bin/python3 "$ROOT/tests/world/treecmp.py" "$2" "$f" --allow extra-essential-dirs
}

@test "busybox (OCI, gzip) matches umoci" {
        compare busybox "$REF/busybox/rootfs"
}

@test "busybox-full matches umoci" {
        compare busybox-full "$REF/busybox-full/rootfs"
}

@test "uncompressed layers match umoci" {
        compare busybox-uncompressed "$REF/busybox-uncompressed/rootfs"
}

@test "zstd layers match umoci's tree of the same diff ids" {
        compare busybox-zstd "$REF/busybox/rootfs"
}

@test "Docker schema 2 matches umoci" {
        compare busybox-docker "$REF/busybox-docker/rootfs"
}

@test "the OCI index and the Docker manifest list match umoci" {
        compare multiarch "$REF/multiarch/rootfs"
        compare multiarch-docker "$REF/multiarch-docker/rootfs"
}

@test "the multi-layer image (whiteouts, opaque dirs, special files, PAX sparse) matches umoci" {
        run compare layers "$REF/layers/rootfs"
        echo "$output"
        assert_status 0
        # the one allowed difference is the one documented
        [ "$(grep -c '^allowed: ' <<<"$output")" = 6 ]
        assert_output_contains "allowed: data/hardlink: nlink expected 1, actual 2"
}

@test "GNU sparse (typeflag S) matches GNU tar" {
        ross pull "$REG_PLAIN/sparse-gnu" >/dev/null
        local ref=$BATS_TEST_TMPDIR/gnutar
        mkdir -p "$ref"
        local layer
        for layer in $(sqlite3 "$DATA/ross.db" "SELECT substr(digest, 8) FROM image_blobs WHERE kind = 'layer' ORDER BY idx"); do
                tar --numeric-owner -xpzf "$DATA/blobs/sha256/$layer" -C "$ref"
        done
        # GNU tar does not apply whiteouts: do what they say
        rm -rf "$ref/data/original" "$ref/data/.wh.original" "$ref/replace-me/.wh..wh..opq"
        local m f
        m=$(ross image mount "$REG_PLAIN/sparse-gnu")
        f=$(ross image rootfs "$REG_PLAIN/sparse-gnu")
        cmp "$ref/data/sparse" "$m/data/sparse"
        cmp "$ref/data/sparse" "$f/data/sparse"
        [ "$(stat -c %b "$m/data/sparse")" -lt 100 ]
        [ "$(stat -c %b "$f/data/sparse")" -lt 100 ]
        /usr/bin/python3 "$ROOT/tests/world/treecmp.py" "$ref" "$m"
}
