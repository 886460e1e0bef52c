#!/usr/bin/env bats
# Images made by the real image builders that run on this machine (tests/world/builders/):
# Docker Engine's classic builder and BuildKit, skopeo copy from a `docker save` archive,
# buildah, umoci's repack, GNU tar and Python's tarfile. Each is pushed to the plain test
# registry, pulled and run by Ross, and the tree Ross unpacks (the overlay mount of its
# snapshots and the flat rootfs) is compared entry by entry (tests/world/treecmp.py) with
# Docker's own unpack of the same image: the overlay2 layer directories of a private dockerd
# that pulled it from the registry, mounted read-only. Nothing is added there (no container,
# no init layer), so nothing is excluded; the flat rootfs may add the essential directories.

bats_require_minimum_version 1.5.0

load helpers

BUILDERS=$ROOT/tests/world/builders/builders.sh
NAMES=(docker-build docker-buildkit docker-archive buildah umoci gnutar pytar pytar-root pytar-abs)

# What every image holds after its second layer (see CHANGES in builders.sh), as the
# container sees it.
SUMMARY='cd /; cat data/hello.txt opq/c etc/version; ls opq; test -e data/old.txt || echo old-gone; stat -c "%a %u:%g %h %n" data/suid2 data/owned.txt data/hello-link data/hard2 var/empty data/sgid-dir'
EXPECTED='hello
new
2
c
old-gone
4755 0:0 1 data/suid2
644 1234:5678 1 data/owned.txt
644 0:0 2 data/hello-link
644 0:0 2 data/hard2
1777 0:0 2 var/empty
2775 0:0 2 data/sgid-dir'

setup_file() {
        export BW=$BATS_FILE_TMPDIR/b
        export BUILDERS_DOCKERD=$BW/dockerd
        mkdir -p "$BW/status" "$BW/log"
        local start=$SECONDS t reason n
        # one dockerd for the file: the builder of the docker-* images and the reference
        if ! reason=$("$BUILDERS" can docker-build); then
                echo "skip $reason" >"$BW/dockerd-status"
        elif "$BUILDERS" dockerd-up "$BUILDERS_DOCKERD" "$REG_PLAIN" >"$BW/log/dockerd-up" 2>&1; then
                echo ok >"$BW/dockerd-status"
        else
                echo "skip dockerd does not start here: $(tail -n 1 "$BW/log/dockerd-up")" \
                        >"$BW/dockerd-status"
        fi
        echo "# builders: dockerd $(cat "$BW/dockerd-status") in $((SECONDS - start)) s" >&3
        for n in "${NAMES[@]}"; do
                t=$SECONDS
                if [[ $n == docker-* ]] && [ "$(cat "$BW/dockerd-status")" != ok ]; then
                        cp "$BW/dockerd-status" "$BW/status/$n"
                elif ! reason=$("$BUILDERS" can "$n"); then
                        echo "skip $reason" >"$BW/status/$n"
                elif "$BUILDERS" build "$n" "$BW" "$REG_PLAIN" >"$BW/log/$n" 2>&1; then
                        echo ok >"$BW/status/$n"
                else
                        echo fail >"$BW/status/$n"
                fi
                echo "# builders: $n $(cat "$BW/status/$n") in $((SECONDS - t)) s" >&3
        done
        # the references must be Docker's unpack of what the registry holds, not the layers
        # the builds left in dockerd
        if [ "$(cat "$BW/dockerd-status")" = ok ] &&
                ! "$BUILDERS" docker-forget "$BUILDERS_DOCKERD" >"$BW/log/forget" 2>&1; then
                echo "fail dockerd could not drop its images: $(tail -n 1 "$BW/log/forget")" \
                        >"$BW/dockerd-status"
        fi
        echo "# builders: all images built in $((SECONDS - start)) s" >&3
}

teardown_file() {
        "$BUILDERS" dockerd-down "$BUILDERS_DOCKERD"
}

setup() {
        start_daemon
}

teardown() {
        teardown_containers
        if [ -n "${REF_MNT:-}" ]; then
                umount "$REF_MNT" 2>/dev/null || true
        fi
}

# Skip with the builder's reason, or fail with its log, unless its image was made.
builder_ready() { # NAME
        local s
        s=$(cat "$BW/status/$1")
        case $s in
        ok) ;;
        skip\ *) skip "$1: ${s#skip }" ;;
        *)
                echo "building $1 failed:" >&2
                tail -n 30 "$BW/log/$1" >&2
                return 1
                ;;
        esac
}

# Pull NAME, run its command and the summary, and compare both of Ross's trees with Docker's.
check_image() { # NAME [BUILT-BY [EXPECTED]]
        local name=$1 img=$REG_PLAIN/builders/$1:latest built_by=${2:-$1} want=${3:-$EXPECTED}
        builder_ready "$name"

        run ross pull "$img"
        assert_status 0
        run ross run --rm "$img"
        assert_status 0
        [ "$output" = "built by $built_by" ]
        run ross run --rm "$img" /bin/busybox sh -c "$SUMMARY"
        assert_status 0
        if [ "$output" != "$want" ]; then
                diff <(echo "$want") <(echo "$output") >&2
                return 1
        fi

        local s
        s=$(cat "$BW/dockerd-status")
        case $s in
        ok) ;;
        skip\ *) skip "$name ran; no Docker reference to compare with: ${s#skip }" ;;
        *)
                echo "no Docker reference: ${s#fail }" >&2
                return 1
                ;;
        esac
        REF_MNT=$BATS_TEST_TMPDIR/docker
        "$BUILDERS" docker-ref "$BUILDERS_DOCKERD" "$img" "$REF_MNT"
        # the reference is the tree in question, not an empty or half one
        [ -x "$REF_MNT/bin/busybox" ]
        [ -f "$REF_MNT/opq/c" ]
        [ ! -e "$REF_MNT/opq/a" ]
        [ ! -e "$REF_MNT/data/old.txt" ]

        ROSS_MNT=$(ross image mount "$img")
        ROSS_FLAT=$(ross image rootfs "$img")
        run /usr/bin/python3 "$ROOT/tests/world/treecmp.py" "$REF_MNT" "$ROSS_MNT"
        echo "image mount: $output"
        assert_status 0
        local n
        n=$(sed -n 's/^\([0-9]*\) entries compared.*/\1/p' <<<"$output")
        [ "${n:-0}" -ge 23 ]
        run /usr/bin/python3 "$ROOT/tests/world/treecmp.py" "$REF_MNT" "$ROSS_FLAT" \
                --allow extra-essential-dirs
        echo "flat rootfs: $output"
        assert_status 0
}

@test "docker build (classic builder): Ross's trees match Docker's unpack" {
        check_image docker-build
}

@test "docker build with BuildKit (mount points in a RUN layer): Ross's trees match Docker's" {
        check_image docker-buildkit
        # BuildKit's RUN layer carries the mount points it made, as empty directories
        [ -d "$REF_MNT/proc" ]
        [ -d "$REF_MNT/sys" ]
        [ -d "$REF_MNT/dev" ]
}

@test "skopeo copy from a docker save archive: Ross's trees match Docker's" {
        # the archive is docker-build's image
        check_image docker-archive docker-build
}

@test "buildah from scratch, copy, commit: Ross's trees match Docker's" {
        # buildah's diff of the second layer records the new name hello-link as a file of
        # its own, not as a link to hello.txt (which it did not change): one link each
        check_image buildah buildah "${EXPECTED/644 0:0 2 data\/hello-link/644 0:0 1 data/hello-link}"
}

@test "umoci repack (whiteouts umoci writes): Ross's trees match Docker's" {
        check_image umoci
}

@test "GNU tar layers with ./ names (gnu and POSIX formats, xattrs): Ross's trees match Docker's" {
        check_image gnutar
        [ "$(getfattr -n user.note --only-values "$ROSS_MNT/data/hello.txt")" = ross ]
        [ "$(getfattr -n user.note --only-values "$ROSS_FLAT/data/hello.txt")" = ross ]
}

@test "Python tarfile layers with ./ names: Ross's trees match Docker's" {
        check_image pytar
}

@test "Python tarfile layers with an entry named / (arcname='/'): Ross's trees match Docker's" {
        check_image pytar-root
}

@test "Python tarfile layers with absolute names (/bin/busybox): Ross's trees match Docker's" {
        check_image pytar-abs
}
