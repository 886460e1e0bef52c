#!/usr/bin/env bats
# Hostile layers: nothing escapes the target, ever. Every case runs in both whiteout modes
# (overlay snapshot, flat rootfs) and with both path resolvers (openat2 RESOLVE_IN_ROOT and
# the O_NOFOLLOW walk), on hand-made tars from tests/world/mktars.py.

load helpers

ROOTFS=$BUILD/programs/ross-rootfs

setup_file() {
        export TARS=$BATS_FILE_TMPDIR/tars
        /usr/bin/python3 "$ROOT/tests/world/mktars.py" "$TARS"
}

# Extract $1 into a fresh sandbox with every mode and resolver; each run's status and output
# go to $RESULTS/<mode>-<resolver>.{status,out}. Fails if anything outside the target changed.
extract_everywhere() { # tar [extra ross-rootfs args...]
        local tar=$1
        shift
        RESULTS=$BATS_TEST_TMPDIR/results
        mkdir -p "$RESULTS"
        local passwd_before mode res
        passwd_before=$(sha256sum /etc/passwd)
        for mode in overlay apply; do
                for res in openat2 walk; do
                        local s=$BATS_TEST_TMPDIR/sb-$mode-$res
                        mkdir -p "$s/target" "$s/outside"
                        echo marker >"$s/outside/marker"
                        local flags=(--mode "$mode")
                        [ "$res" = walk ] && flags+=(--no-openat2)
                        set +e
                        "$ROOTFS" "${flags[@]}" "$@" extract "$TARS/$tar" "$s/target" \
                                >"$RESULTS/$mode-$res.out" 2>&1
                        echo $? >"$RESULTS/$mode-$res.status"
                        set -e
                        # the sandbox outside the target is as it was
                        [ "$(cd "$s" && find . -mindepth 1 -path ./target -prune -o -print | sort | tr '\n' ' ')" = "./outside ./outside/marker " ] ||
                                { echo "$tar ($mode, $res) changed the sandbox:" >&2; find "$s" >&2; return 1; }
                        [ "$(cat "$s/outside/marker")" = marker ]
                done
        done
        [ "$(sha256sum /etc/passwd)" = "$passwd_before" ]
        local f
        for f in /escape /abs-escape /through-root /through-dotdot /in-dir /after; do
                [ ! -e "$f" ] || { echo "$f was created on the host" >&2; return 1; }
        done
}

target() { # mode res
        echo "$BATS_TEST_TMPDIR/sb-$1-$2/target"
}

# Every run failed (status 1) with a message naming the entry.
assert_all_failed() { # needle...
        local r needle
        for r in "$RESULTS"/*.status; do
                [ "$(cat "$r")" = 1 ] || { echo "$(basename "$r" .status) did not fail: $(cat "${r%.status}.out")" >&2; return 1; }
                for needle in "$@"; do
                        grep -qF -- "$needle" "${r%.status}.out" ||
                                { echo "$(basename "$r" .status): '$needle' not in: $(cat "${r%.status}.out")" >&2; return 1; }
                done
        done
}

assert_all_ok() {
        local r
        for r in "$RESULTS"/*.status; do
                [ "$(cat "$r")" = 0 ] || { echo "$(basename "$r" .status) failed: $(cat "${r%.status}.out")" >&2; return 1; }
        done
}

@test "'../' entry names are refused, naming the rule" {
        extract_everywhere dotdot.tar
        assert_all_failed "entry '../escape': path contains '..' that leaves the root"
        extract_everywhere dotdot-deep.tar
        assert_all_failed "entry 'a/../../escape': path contains '..' that leaves the root"
        # a leading / does not make '..' any safer
        extract_everywhere dotdot-absolute.tar
        assert_all_failed "entry '/../escape': path contains '..' that leaves the root"
}

@test "'..' that stays inside is taken lexically, as Docker does: a/../b is b" {
        extract_everywhere dotdot-inside.tar
        assert_all_ok
        local m r t
        for m in overlay apply; do for r in openat2 walk; do
                t=$(target $m $r)
                [ "$(cat "$t/b")" = b ] && [ "$(cat "$t/c/e")" = e ]
                [ -d "$t/a" ] && [ -z "$(ls -A "$t/a")" ] && [ ! -e "$t/c/d" ]
        done; done
}

@test "absolute entry names are relative to the layer root, as tar and Docker have them" {
        extract_everywhere absolute.tar
        assert_all_ok
        local m r
        for m in overlay apply; do for r in openat2 walk; do
                [ "$(cat "$(target $m $r)/abs-escape")" = x ]
                [ -f "$(target $m $r)/ok" ]
        done; done
}

# The target's own directory is as mkdir made it: the layer's root entry (mode 0700, owner
# 4321, mtime 2000-01-01) does not apply.
assert_root_untouched() { # mode res
        local t ref=$BATS_TEST_TMPDIR/made-by-mkdir
        t=$(target "$1" "$2")
        mkdir -p "$ref"
        [ "$(stat -c '%a %u %g' "$t")" = "$(stat -c '%a %u %g' "$ref")" ] ||
                { echo "root of $1/$2 is $(stat -c '%a %u %g' "$t")" >&2; return 1; }
        [ "$(stat -c %Y "$t")" != 946684800 ] || { echo "root of $1/$2 got the entry's mtime" >&2; return 1; }
}

@test "a root entry '/' (Python's tarfile) and /-prefixed names unpack; the root's mode and owner are ignored" {
        extract_everywhere root-slash.tar
        assert_all_ok
        local m r t
        for m in overlay apply; do for r in openat2 walk; do
                t=$(target $m $r)
                [ "$(cat "$t/etc/passwd")" = root ] && [ "$(cat "$t/etc/group")" = group ]
                [ -f "$t/top" ]
                assert_root_untouched $m $r
        done; done
}

@test "root entries './' (GNU tar -C dir .) and '.': the same" {
        extract_everywhere root-dot-slash.tar
        assert_all_ok
        local m r
        for m in overlay apply; do for r in openat2 walk; do
                [ "$(cat "$(target $m $r)/etc/passwd")" = root ]
                assert_root_untouched $m $r
        done; done
        extract_everywhere root-dot.tar
        assert_all_ok
        for m in overlay apply; do for r in openat2 walk; do
                [ -f "$(target $m $r)/top" ]
                assert_root_untouched $m $r
        done; done
}

@test "a regular file named '/': refused as the damaged archive it is" {
        # libarchive takes a name ending in '/' for a directory (old tars did), ignored as
        # the root; its data then is no tar header. libarchive would skip it (ARCHIVE_RETRY)
        # and hand over a nameless entry.
        extract_everywhere root-file.tar
        assert_all_failed "Damaged tar archive (after entry '/')"
}

@test "a symlink to / followed by a file written through it stays inside" {
        extract_everywhere symlink-root.tar
        assert_all_ok
        local m r
        for m in overlay apply; do for r in openat2 walk; do
                [ "$(readlink "$(target $m $r)/evil")" = / ]
                [ -f "$(target $m $r)/through-root" ]
        done; done
}

@test "a symlink to .. followed twice stays inside" {
        extract_everywhere symlink-dotdot.tar
        assert_all_ok
        [ -f "$(target apply walk)/through-dotdot" ]
        [ -f "$(target overlay openat2)/through-dotdot" ]
}

@test "a symlink to /etc then etc/passwd: a loop inside the target, refused" {
        extract_everywhere symlink-abs-dir.tar
        assert_all_failed "entry 'etc/passwd'"
}

@test "a symlink replaced by a directory, and a directory replaced by a symlink" {
        extract_everywhere symlink-then-dir.tar
        assert_all_ok
        [ -d "$(target apply openat2)/x" ] && [ ! -L "$(target apply openat2)/x" ]
        [ -f "$(target apply openat2)/x/in-dir" ]
        extract_everywhere dir-then-symlink.tar
        assert_all_ok
        local t
        t=$(target overlay walk)
        [ "$(readlink "$t/d")" = / ]
        [ -f "$t/after" ]
}

@test "hard links outside the layer, to a symlink, to a directory or to nothing are refused" {
        extract_everywhere hardlink-outside.tar
        assert_all_failed "entry 'h'"
        extract_everywhere hardlink-absolute.tar
        assert_all_failed "entry 'h': hard link to 'etc/passwd', which is not a file of this layer"
        extract_everywhere hardlink-dotdot-absolute.tar
        assert_all_failed "entry 'h': hard link target: path contains '..' that leaves the root"
        extract_everywhere hardlink-symlink.tar
        assert_all_failed "entry 'h'" "hard link to 's'"
        extract_everywhere hardlink-dir.tar
        assert_all_failed "entry 'h'" "hard link to 'dir'"
        extract_everywhere hardlink-missing.tar
        assert_all_failed "entry 'h'" "not a file of this layer"
}

@test "hard link targets with a leading / are relative to the layer root" {
        extract_everywhere hardlink-absolute-ok.tar
        assert_all_ok
        local m r t
        for m in overlay apply; do for r in openat2 walk; do
                t=$(target $m $r)
                [ "$(stat -c '%i %h' "$t/etc/passwd")" = "$(stat -c '%i %h' "$t/h")" ]
                [ "$(stat -c '%i' "$t/etc/passwd")" = "$(stat -c '%i' "$t/etc/passwd-link")" ]
                [ "$(stat -c %h "$t/h")" = 3 ] && [ "$(cat "$t/h")" = root ]
        done; done
}

@test "whiteouts named .wh.. and .wh... are refused" {
        extract_everywhere whiteout-dot.tar
        assert_all_failed "entry '.wh..'" "invalid whiteout"
        extract_everywhere whiteout-dotdot.tar
        assert_all_failed "entry '.wh...'" "invalid whiteout"
}

@test "whiteouts and opaque markers under a symlink are refused" {
        extract_everywhere whiteout-symlink.tar
        assert_all_failed "entry 'link/.wh.passwd'" "under a symlink"
        extract_everywhere opaque-symlink.tar
        assert_all_failed "entry 'link/.wh..wh..opq'" "under a symlink"
}

@test "device nodes without the right to make them: a clear error" {
        command -v capsh >/dev/null || skip "capsh (libcap2-bin) is needed to drop CAP_MKNOD"
        local s=$BATS_TEST_TMPDIR/nomknod
        mkdir -p "$s"
        run capsh --drop=cap_mknod -- -c "'$ROOTFS' extract '$TARS/device.tar' '$s'"
        assert_status 1
        assert_output_contains "entry 'null': create device node: Operation not permitted"
        [ -z "$(ls -A "$s")" ]
        # with the right, the node is made as the layer says
        extract_everywhere device.tar
        assert_all_ok
        [ "$(stat -c '%F %t:%T %a' "$(target apply openat2)/null")" = "character special file 1:3 666" ]
}

@test "10 000-deep directories are refused, naming the entry" {
        extract_everywhere deep.tar
        assert_all_failed "entry 'a/a/a/a/" "nested deeper than 256 directories"
}

@test "names with newlines and invalid UTF-8 are kept byte for byte" {
        extract_everywhere names.tar
        assert_all_ok
        run /usr/bin/python3 -c "import os,sys; print(sorted(os.listdir(os.fsencode(sys.argv[1]))))" "$(target overlay walk)"
        [ "$output" = "[b'bad-\\xff\\xfe-utf8', b'new\\nline', b'tab\\tand space ']" ]
}

@test "a tar that ends in the middle of an entry" {
        extract_everywhere truncated.tar
        assert_all_failed "entry 'second'" "Truncated tar archive"
}

@test "an entry whose size is larger than the data" {
        extract_everywhere size-larger.tar
        assert_all_failed "entry 'big'" "Truncated tar archive"
}

@test "a gzip bomb stops at the size cap" {
        extract_everywhere bomb.tar.gz --max-bytes 50000000
        assert_all_failed "layer is larger than 50000000 bytes uncompressed"
        # the partial file is no bigger than the cap
        [ "$(du -sb "$(target apply walk)" | cut -f1)" -le 50000000 ]
}

@test "a layer whose uncompressed digest is not its diff id is refused" {
        extract_everywhere lower.tar --diff-id sha256:0000000000000000000000000000000000000000000000000000000000000000
        assert_all_failed "uncompressed layer has digest sha256:"
}

@test "flat path: whiteouts delete, opaque directories empty, types replace" {
        local r=$BATS_TEST_TMPDIR/flat
        run "$ROOTFS" prepare "$r" "$TARS/lower.tar" "$TARS/upper.tar"
        assert_status 0
        [ ! -e "$r/gone" ]
        [ "$(ls "$r/opq")" = new ]
        [ -d "$r/file-to-dir" ] && [ -f "$r/file-to-dir/now-a-dir" ]
        [ -f "$r/dir-to-file" ] && [ "$(cat "$r/dir-to-file")" = "now a file" ]
        [ -f "$r/keep/a" ]
        # a whiteout of something that never existed is not an error
        [ ! -e "$r/keep/missing" ]
        # the essential directories
        for d in dev proc sys tmp run etc var/tmp root; do [ -d "$r/$d" ]; done
        [ "$(stat -c %a "$r/tmp")" = 1777 ]
}

@test "whiteouts and opaque markers with a leading /: the same as without" {
        local r=$BATS_TEST_TMPDIR/flat
        run "$ROOTFS" prepare "$r" "$TARS/lower.tar" "$TARS/upper-absolute.tar"
        assert_status 0
        [ ! -e "$r/gone" ] && [ ! -e "$r/keep/a" ] && [ -d "$r/keep" ]
        [ "$(ls "$r/opq")" = new ]
        local s=$BATS_TEST_TMPDIR/snap
        mkdir -p "$s"
        run "$ROOTFS" --mode overlay extract "$TARS/upper-absolute.tar" "$s"
        assert_status 0
        [ "$(stat -c '%F %t:%T' "$s/gone")" = "character special file 0:0" ]
        [ "$(stat -c '%F %t:%T' "$s/keep/a")" = "character special file 0:0" ]
        [ "$(getfattr --only-values -n trusted.overlay.opaque "$s/opq")" = y ]
}

@test "overlay path: whiteouts become 0/0 devices and opaque xattrs" {
        local r=$BATS_TEST_TMPDIR/snap
        mkdir -p "$r"
        run "$ROOTFS" --mode overlay extract "$TARS/upper.tar" "$r"
        assert_status 0
        [ "$(stat -c '%F %t:%T' "$r/gone")" = "character special file 0:0" ]
        [ "$(getfattr --only-values -n trusted.overlay.opaque "$r/opq")" = y ]
        [ ! -e "$r/.wh.gone" ]
        [ ! -e "$r/opq/.wh..wh..opq" ]
}
