#!/usr/bin/env bats
# docker export and docker import (issue 12, section 4): a container's root as a tar, and a
# tar as a new image stored as a pulled one is (it runs), with -c changes and -m; from a file
# or stdin; bad tars refused with nothing left behind; the docker CLI.

bats_require_minimum_version 1.5.0

load helpers

IMG=${REG_PLAIN:-127.0.0.1:15000}/busybox
# Imported images are named for a registry that is never there: a run that does not find one
# locally would pull from 127.0.0.1:1 and fail, never from the internet.
NEW=127.0.0.1:1/imported

setup() {
        start_daemon
        ross pull -q "$IMG" >/dev/null
        T=$BATS_TEST_TMPDIR/t
        mkdir -p "$T"
}

teardown() {
        teardown_containers
}

@test "export a container that wrote a file; import it with -c CMD; the new image runs and prints the file" {
        ross run --name wr -v exvol:/data "$IMG" sh -c 'printf "bytes of f\n" >/f; echo in-volume >/data/v'
        ross export wr >"$T/wr.tar"
        # the root as the container has it, without its volumes; entries without "./"
        tar -tf "$T/wr.tar" | grep -qx f
        tar -tf "$T/wr.tar" | grep -qx bin/busybox
        ! tar -tf "$T/wr.tar" | grep -q '^data/v'
        ! tar -tf "$T/wr.tar" | grep -q '^\./'
        [ "$(tar -xOf "$T/wr.tar" f)" = "bytes of f" ]
        run ross import -c 'CMD ["cat","/f"]' "$T/wr.tar" "$NEW:1"
        assert_status 0
        [[ "$output" == sha256:* ]]
        id=$output
        [ "$(ross image inspect "$NEW:1" | jq -r '.[0].Id')" = "$id" ]
        [ "$(ross image inspect "$NEW:1" | jq -c '.[0].Config.Cmd')" = '["cat","/f"]' ]
        run ross run --rm "$NEW:1"
        assert_status 0
        [ "$output" = "bytes of f" ]
        # stored as a pulled image: an OCI manifest, its config and one uncompressed layer
        [ "$(sqlite3 "$DATA/ross.db" "SELECT kind FROM image_blobs WHERE image_id = '$id' ORDER BY kind" | tr '\n' ' ')" = "config layer manifest " ]
        assert_store_clean
        # ross images lists it, export -o writes a file
        ross images | grep -q "^$NEW  *1 "
        ross export -o "$T/o.tar" wr
        [ "$(tar -xOf "$T/o.tar" f)" = "bytes of f" ]
        # the tars were read and made in the helper, never in the daemon
        ! grep -qE 'libarchive|libisal|libzstd' "/proc/$DAEMON_PID/maps"
        ! ls "$T" | grep -q "\.tmp-"
}

@test "import from stdin, gzip too; -m and the changes Docker takes are in the image's config" {
        ross run --name wr "$IMG" sh -c 'echo data >/f'
        ross export wr | gzip | ross import -m "from a pipe" \
                -c 'ENV A=1 B="two words"' -c 'WORKDIR /srv' -c 'EXPOSE 8080 53/udp' \
                -c 'LABEL who=test' -c 'USER 1000:1000' -c 'ENTRYPOINT ["/bin/sh", "-c"]' \
                -c 'CMD ["echo $A $B; pwd; id -u"]' -c 'VOLUME /vol' -c 'STOPSIGNAL SIGINT' \
                - "$NEW:2" >/dev/null
        run ross image inspect "$NEW:2"
        assert_status 0
        [ "$(echo "$output" | jq -r '.[0].Comment')" = "from a pipe" ]
        [ "$(echo "$output" | jq -c '.[0].Config | [.Env, .WorkingDir, (.ExposedPorts | keys), .Labels, .User, .Entrypoint, .Cmd, (.Volumes | keys), .StopSignal]')" = \
                '[["A=1","B=two words"],"/srv",["53/udp","8080/tcp"],{"who":"test"},"1000:1000",["/bin/sh","-c"],["echo $A $B; pwd; id -u"],["/vol"],"SIGINT"]' ]
        local arch
        case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
        [ "$(echo "$output" | jq -r '.[0] | .Os + "/" + .Architecture')" = "linux/$arch" ]
        run ross run --rm "$NEW:2"
        assert_status 0
        [ "$output" = "$(printf '1 two words\n/srv\n1000')" ]
        # without a name: an untagged image
        ross export wr >"$T/plain.tar"
        run ross import "$T/plain.tar"
        assert_status 0
        [ "$(ross image inspect "$output" | jq -c '.[0].RepoTags')" = '[]' ]
}

@test "bad input is refused with nothing left behind: no half image, blob or snapshot" {
        images_before=$(ross images -q | sort)
        snaps_before=$(ls "$DATA/snapshots" | sort)
        head -c 3000 /dev/urandom >"$T/garbage"
        run ross import "$T/garbage" "$NEW:bad"
        assert_status 1
        assert_output_contains "import"
        # a tar cut short
        ross run --name wr "$IMG" sh -c 'head -c 200000 /dev/urandom >/big'
        ross export wr | head -c 100000 >"$T/cut.tar"
        run ross import "$T/cut.tar" "$NEW:cut"
        assert_status 1
        # an empty body
        run ross import - "$NEW:empty" </dev/null
        assert_status 1
        assert_output_contains "the archive is empty"
        # a tar that leaves its root
        /usr/bin/python3 -c '
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    ti = tarfile.TarInfo("../../outside"); ti.size = 1
    t.addfile(ti, io.BytesIO(b"x"))' "$T/dotdot.tar"
        run ross import "$T/dotdot.tar" "$NEW:dotdot"
        assert_status 1
        assert_output_contains "leaves the root"
        # xz is named, not misread
        printf 'x' | xz >"$T/x.xz"
        run ross import "$T/x.xz" "$NEW:xz"
        assert_status 1
        assert_output_contains "xz-compressed archives are not supported"
        # changes Docker refuses, before any byte is read
        run ross import -c 'RUN echo hi' "$T/garbage" "$NEW:run"
        assert_status 1
        assert_output_contains "run is not a valid change command"
        run ross import -c 'ENV A' "$T/garbage" "$NEW:env"
        assert_status 1
        # none of it is there
        [ "$(ross images -q | sort)" = "$images_before" ]
        ! ross images | grep -q "$NEW"
        [ "$(ls "$DATA/snapshots" | sort)" = "$snaps_before" ]
        assert_store_clean
        [ -z "$(ls -A "$DATA/ingest")" ]
}

@test "the API: fromSrc other than - refused in words; import's stream; export of a missing container" {
        run curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST \
                "http://ross/images/create?fromSrc=http://127.0.0.1:1/x.tar"
        assert_output_contains "only fromSrc=- (the archive in the request body) is supported"
        [ "${lines[1]}" = 501 ]
        ross run --name wr "$IMG" sh -c 'echo a >/a'
        ross export wr >"$T/wr.tar"
        run curl -s --unix-socket "$SOCK" -X POST --data-binary @"$T/wr.tar" \
                "http://ross/images/create?fromSrc=-&repo=$NEW&tag=api&changes=CMD%20%5B%22cat%22%2C%22%2Fa%22%5D&changes=ENV%20X%3Dy"
        [ "$(echo "$output" | jq -r .status)" = "$(ross image inspect "$NEW:api" | jq -r '.[0].Id')" ]
        [ "$(ross image inspect "$NEW:api" | jq -c '.[0].Config | [.Cmd, .Env]')" = '[["cat","/a"],["X=y"]]' ]
        [ "$(ross run --rm "$NEW:api")" = a ]
        run api GET /containers/nope/export
        [ "$(echo "$output" | jq -r .message)" = "No such container: nope" ]
        run ross export nope
        assert_status 1
        assert_output_contains "No such container: nope"
        run ross export wr
        assert_status 0
}

@test "an imported image pushes and pulls back like any other" {
        R=import$$-${BATS_TEST_NUMBER}
        ross run --name wr "$IMG" sh -c 'echo round-trip >/f'
        ross export wr | ross import -c 'CMD ["cat", "/f"]' - "$REG_PLAIN/$R/img:1" >/dev/null
        id=$(ross image inspect "$REG_PLAIN/$R/img:1" | jq -r '.[0].Id')
        run ross push "$REG_PLAIN/$R/img:1"
        assert_status 0
        ross rm wr >/dev/null
        ross rmi "$REG_PLAIN/$R/img:1" >/dev/null
        run ross pull "$REG_PLAIN/$R/img:1"
        assert_status 0
        [ "$(ross image inspect "$REG_PLAIN/$R/img:1" | jq -r '.[0].Id')" = "$id" ]
        [ "$(ross run --rm "$REG_PLAIN/$R/img:1")" = round-trip ]
}

@test "export and import are events, as Docker's" {
        ross run --name wr "$IMG" true
        t0=$(date +%s.%N)
        ross export wr >"$T/wr.tar"
        id=$(ross import "$T/wr.tar" "$NEW:ev")
        t1=$(date +%s.%N)
        run ross events --since "$t0" --until "$t1" --format json
        assert_status 0
        [ "$(echo "$output" | jq -r '[.Type, .Action, .Actor.ID] | join(" ")' | tr '\n' ',')" = \
                "container export $(ross inspect wr | jq -r '.[0].Id'),image import $id," ]
}

@test "docker export and docker import, the docker CLI" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        docker run --name dk "$IMG" sh -c 'echo via-docker >/f'
        docker export -o "$T/dk.tar" dk
        [ "$(tar -xOf "$T/dk.tar" f)" = via-docker ]
        run docker import -c 'CMD ["cat", "/f"]' -m "by docker" "$T/dk.tar" "$NEW:docker"
        assert_status 0
        [[ "$output" == sha256:* ]]
        [ "$(docker run --rm "$NEW:docker")" = via-docker ]
        [ "$(docker image inspect -f '{{.Comment}}' "$NEW:docker")" = "by docker" ]
        docker export dk | docker import - "$NEW:docker2" >/dev/null
        [ "$(docker run --rm "$NEW:docker2" cat /f)" = via-docker ]
        run docker import -c 'RUN x' "$T/dk.tar"
        [ "$status" -ne 0 ]
        assert_output_contains "run is not a valid change command"
}
