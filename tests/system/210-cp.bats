#!/usr/bin/env bats
# docker cp (issue 12, section 4): ross-cli cp both ways for running and stopped containers,
# Docker's trailing-slash and "DIR/." rules, -a, tars on stdin and stdout, the errors, the
# /containers/{id}/archive endpoints with their stat header, named volumes, hostile symlinks
# and tars (a sentinel on the host stays as it was), the docker CLI and the python SDK, and a
# VM container.

bats_require_minimum_version 1.5.0

load helpers

IMG=${REG_PLAIN:-127.0.0.1:15000}/busybox
PY=/usr/bin/python3

setup() {
        start_daemon
        ross pull -q "$IMG" >/dev/null
        T=$BATS_TEST_TMPDIR/t
        mkdir -p "$T"
}

teardown() {
        teardown_containers
}

# Wait until a detached container's set-up made PATH.
wait_for() { # CONTAINER PATH
        local i
        for i in $(seq 1 100); do
                ross exec "$1" sh -c "test -e $2" 2>/dev/null && return 0
                sleep 0.1
        done
        echo "$2 never appeared in $1" >&2
        return 1
}

# The bytes of FILE in a container, through a tar on stdout.
cp_cat() { # CONTAINER:PATH
        ross cp "$1" - | tar -xOf -
}

@test "cp out of a running container: files and directories, new and existing paths, DIR/., stdout" {
        ross run -d --name src "$IMG" sh -c 'mkdir -p /srv/d/sub; echo one >/srv/d/sub/a; echo file >/srv/f; sleep 600' >/dev/null
        wait_for src /srv/f
        mkdir "$T/exists" "$T/content"
        ross cp src:/srv/f "$T/newname"
        [ "$(cat "$T/newname")" = file ]
        ross cp src:/srv/f "$T/exists/"
        [ "$(cat "$T/exists/f")" = file ]
        # an existing directory, no slash: inside it too
        rm "$T/exists/f"
        ross cp src:/srv/f "$T/exists"
        [ "$(cat "$T/exists/f")" = file ]
        # a directory into an existing one goes inside; to a new name it is that name
        ross cp src:/srv/d "$T/exists"
        [ "$(cat "$T/exists/d/sub/a")" = one ]
        ross cp src:/srv/d "$T/newdir"
        [ "$(cat "$T/newdir/sub/a")" = one ]
        # DIR/. is the directory's content
        ross cp src:/srv/d/. "$T/content"
        [ "$(cat "$T/content/sub/a")" = one ]
        [ ! -e "$T/content/d" ]
        # a relative destination, from where ross-cli runs
        (cd "$T" && ross cp src:/srv/f rel)
        [ "$(cat "$T/rel")" = file ]
        # a file onto an existing file replaces it
        echo old >"$T/replace"
        ross cp src:/srv/f "$T/replace"
        [ "$(cat "$T/replace")" = file ]
        # "-": a tar on stdout, named as Docker names its entries
        run ross cp src:/srv/f -
        assert_status 0
        [ "$(ross cp src:/srv/f - | tar -tf -)" = f ]
        [ "$(ross cp src:/srv/d - | tar -tf - | sort | tr '\n' ' ')" = "d/ d/sub/ d/sub/a " ]
        [ "$(ross cp src:/srv/d/. - | tar -tf - | sort | tr '\n' ' ')" = "./ ./sub/ ./sub/a " ]
        [ "$(cp_cat src:/srv/d/sub/a)" = one ]
        # -L follows a symlink in the source: its target under the link's name
        ross exec src ln -s /srv/d /srv/link
        ross cp src:/srv/link "$T/nolink"
        [ -L "$T/nolink" ]
        [ "$(readlink "$T/nolink")" = /srv/d ]
        ross cp -L src:/srv/link "$T/followed"
        [ "$(cat "$T/followed/sub/a")" = one ]
        # the tars were made and read in the helper, never in the daemon
        ! grep -qE 'libarchive|libisal|libzstd' "/proc/$DAEMON_PID/maps"
}

@test "cp out: Docker's errors and exit codes" {
        ross run -d --name src "$IMG" sh -c 'mkdir -p /srv/d; echo file >/srv/f; sleep 600' >/dev/null
        wait_for src /srv/f
        echo x >"$T/file"
        run ross cp src:/srv/d "$T/file"
        assert_status 1
        assert_output_contains "cannot copy directory"
        run ross cp src:/srv/f "$T/missing/"
        assert_status 1
        assert_output_contains "no such directory"
        run ross cp src:/nope "$T"
        assert_status 1
        assert_output_contains "Could not find the file /nope in container src"
        run ross cp nope:/x "$T"
        assert_status 1
        assert_output_contains "No such container: nope"
        run ross cp src:/srv/f "$T/no/such/dir/x"
        assert_status 1
        assert_output_contains "invalid output path: directory \"$T/no/such/dir\" does not exist"
        run ross cp src:/srv/f src:/x
        assert_status 125
        assert_output_contains "copying between containers is not supported"
        run ross cp "$T/a" "$T/b"
        assert_status 125
        assert_output_contains "must specify at least one container source"
        run ross cp "" src:/x
        assert_status 125
        assert_output_contains "source can not be empty"
        run ross cp src:/x
        assert_status 125
        run ross cp --help
        assert_status 0
        assert_output_contains "--follow-link"
        assert_output_contains "--archive"
}

@test "cp into a running container: files, directories, DIR/., a tar on stdin, and the errors" {
        ross run -d --name dst "$IMG" sh -c 'mkdir -p /in /in/stdin; echo old >/in/existing; sleep 600' >/dev/null
        wait_for dst /in/existing
        mkdir -p "$T/d/sub"
        echo a >"$T/d/sub/a"
        echo f >"$T/f"
        ross cp "$T/f" dst:/in/
        [ "$(ross exec dst cat /in/f)" = f ]
        ross cp "$T/f" dst:/in/renamed
        [ "$(ross exec dst cat /in/renamed)" = f ]
        ross cp "$T/f" dst:/in/existing
        [ "$(ross exec dst cat /in/existing)" = f ]
        ross cp "$T/d" dst:/in
        [ "$(ross exec dst cat /in/d/sub/a)" = a ]
        ross cp "$T/d" dst:/in/newd
        [ "$(ross exec dst cat /in/newd/sub/a)" = a ]
        ross cp "$T/d/." dst:/in/content
        [ "$(ross exec dst cat /in/content/sub/a)" = a ]
        # a tar on stdin, extracted into a directory
        tar -C "$T/d" -cf - . | ross cp - dst:/in/stdin
        [ "$(ross exec dst cat /in/stdin/sub/a)" = a ]
        # gzip too
        echo z >"$T/z"
        tar -C "$T" -czf - z | ross cp - dst:/in/stdin
        [ "$(ross exec dst cat /in/stdin/z)" = z ]

        run ross cp "$T/d" dst:/in/existing
        assert_status 1
        assert_output_contains "cannot copy directory"
        run ross cp "$T/f" dst:/in/nodir/
        assert_status 1
        assert_output_contains "no such directory"
        run ross cp - dst:/in/existing </dev/null
        assert_status 1
        assert_output_contains 'destination "dst:/in/existing" must be a directory'
        run ross cp "$T/f" dst:/nope/x
        assert_status 1
        assert_output_contains "Could not find the file /nope in container dst"
        run ross cp "$T/nope" dst:/in
        assert_status 1
        assert_output_contains "lstat $T/nope: No such file or directory"
        run ross cp "$T/f" nope:/in
        assert_status 1
        assert_output_contains "No such container: nope"
}

@test "cp both ways with a stopped container, one that never ran, and one whose root was unmounted" {
        ross create --name never "$IMG" cat /tmp/f >/dev/null
        echo f >"$T/f"
        ross cp "$T/f" never:/tmp/
        [ "$(cp_cat never:/tmp/f)" = f ]
        # the copy is there when it starts
        run ross start -a never
        assert_status 0
        [ "$output" = f ]

        ross run --name stopped "$IMG" sh -c 'echo inside >/made'
        ross cp stopped:/made "$T/made"
        [ "$(cat "$T/made")" = inside ]
        ross cp "$T/f" stopped:/
        [ "$(cp_cat stopped:/f)" = f ]
        # its root unmounted (as after a reboot): mounted again for the copy
        id=$(ross inspect stopped | jq -r '.[0].Id')
        umount "$DATA/containers/$id/rootfs"
        [ "$(cp_cat stopped:/made)" = inside ]
        [ "$(cp_cat stopped:/f)" = f ]
}

@test "-a keeps uid and gid both ways; without it they are root's in the container and the caller's here" {
        ross run -d --name own "$IMG" sh -c 'echo x >/o; busybox chown 4321:8765 /o; touch /ready; sleep 600' >/dev/null
        wait_for own /ready
        ross run -d --name user -u 1000:1000 "$IMG" sleep 600 >/dev/null
        ross cp own:/o "$T/plain"
        [ "$(stat -c %u:%g "$T/plain")" = "$(id -u):$(id -g)" ]
        ross cp -a own:/o "$T/kept"
        [ "$(stat -c %u:%g "$T/kept")" = 4321:8765 ]
        echo y >"$T/h"
        chown 1234:5678 "$T/h"
        ross cp "$T/h" own:/h1
        [ "$(ross exec own stat -c %u:%g /h1)" = 0:0 ]
        ross cp -a "$T/h" own:/h2
        [ "$(ross exec own stat -c %u:%g /h2)" = 1234:5678 ]
        # Docker's copyUIDGID: a container with a user gets it all
        ross cp -a "$T/h" user:/tmp/
        [ "$(ross exec user stat -c %u:%g /tmp/h)" = 1000:1000 ]
}

# What a test's host side holds: the sentinel directory, and /etc's names.
host_state() {
        (cd "$SENT" && find . | sort && cat file)
        ls -a /etc | sha256sum
        sha256sum /etc/passwd
}

# The symlink cases, against container $1 (running or stopped).
hostile_symlinks() { # CONTAINER
        local c=$1 name=ross-cp-test-$$
        echo f >"$T/$name"
        # the container's /etc, never the host's
        [ "$(cp_cat "$c:/esc/passwd")" = "$(ross run --rm "$IMG" cat /etc/passwd)" ]
        [ "$(cp_cat "$c:/esc/passwd")" != "$(cat /etc/passwd)" ]
        ross cp "$T/$name" "$c:/esc/"
        [ "$(cp_cat "$c:/etc/$name")" = f ]
        [ ! -e "/etc/$name" ]
        # absolute and ../ symlinks to the host's path of the sentinel: the container's path
        [ "$(cp_cat "$c:/abs/file")" = container ]
        [ "$(cp_cat "$c:/rel/file")" = container ]
        ross cp "$T/$name" "$c:/abs/"
        ross cp "$T/$name" "$c:/rel/"
        [ "$(cp_cat "$c:$SENT/$name")" = f ]
        # a tar with ../ is refused; a symlink out and a write through it lands inside
        $PY - "$T" "$SENT" <<'EOF'
import io, sys, tarfile
out, sent = sys.argv[1], sys.argv[2]
def tar(name, entries):
    with tarfile.open(f"{out}/{name}", "w", format=tarfile.GNU_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e[0]); ti.type = e[1]
            if e[1] in (tarfile.SYMTYPE, tarfile.LNKTYPE): ti.linkname = e[2]
            data = e[2].encode() if e[1] == tarfile.REGTYPE else b""
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
tar("dotdot.tar", [("../../escape-" + sent.replace("/", "_"), tarfile.REGTYPE, "x")])
tar("through.tar", [("l", tarfile.SYMTYPE, sent), ("l/pwned", tarfile.REGTYPE, "pwned"),
                    ("r", tarfile.SYMTYPE, "../../../../../../../../.." + sent),
                    ("r/pwned2", tarfile.REGTYPE, "pwned")])
tar("hardlink.tar", [("h", tarfile.LNKTYPE, "../../../../../.." + sent + "/file")])
EOF
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X PUT \
                --data-binary @"$T/dotdot.tar" "http://ross/containers/$c/archive?path=/tmp"
        [ "$output" != 200 ]
        run api PUT "/containers/$c/archive?path=/tmp" --data-binary @"$T/dotdot.tar"
        assert_output_contains "leaves the root"
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X PUT \
                --data-binary @"$T/through.tar" "http://ross/containers/$c/archive?path=/tmp"
        [ "$output" = 200 ]
        [ "$(cp_cat "$c:$SENT/pwned")" = pwned ]
        [ "$(cp_cat "$c:$SENT/pwned2")" = pwned ]
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X PUT \
                --data-binary @"$T/hardlink.tar" "http://ross/containers/$c/archive?path=/tmp"
        [ "$output" != 200 ]
        rm -f "$T/$name"
}

@test "hostile: symlinks to /etc and out of the root lead into the container, never to the host (running, stopped, openat2 and the walk)" {
        SENT=$BATS_TEST_TMPDIR/sentinel
        mkdir -p "$SENT"
        echo untouched >"$SENT/file"
        before=$(host_state)
        ross run -d --name hx "$IMG" sh -c "ln -s /etc /esc; mkdir -p $SENT; ln -s $SENT /abs; ln -s ../../../../../../../../..$SENT /rel; echo container >$SENT/file; touch /ready; sleep 600" >/dev/null
        wait_for hx /ready
        hostile_symlinks hx
        ross stop -t 0 hx >/dev/null
        hostile_symlinks hx
        [ "$(host_state)" = "$before" ]
        # again with the resolver that walks directory fds (no openat2)
        stop_daemon
        ROSS_NO_OPENAT2=1 start_daemon
        ross start hx >/dev/null
        hostile_symlinks hx
        ross stop -t 0 hx >/dev/null
        hostile_symlinks hx
        [ "$(host_state)" = "$before" ]
        [ ! -e /escape ]
}

@test "hostile: a symlink swapped while copies run never leads out" {
        SENT=$BATS_TEST_TMPDIR/sentinel
        mkdir -p "$SENT"
        echo untouched >"$SENT/file"
        before=$(host_state)
        echo f >"$T/f"
        ross run -d --name swap "$IMG" sh -c "mkdir -p /srv/real; while :; do rm -rf /srv/x; ln -s $SENT /srv/x; rm -f /srv/x; ln -s /srv/real /srv/x; rm -f /srv/x; mkdir /srv/x; done" >/dev/null
        for i in $(seq 1 25); do
                ross cp "$T/f" swap:/srv/x/ 2>/dev/null || true
                ross cp swap:/srv/x/ - >/dev/null 2>&1 || true
        done
        [ "$(host_state)" = "$before" ]
        [ "$(cat "$SENT/file")" = untouched ]
}

@test "a path under a volume lands in the volume (running and stopped); read-only volumes and roots are refused" {
        mkdir -p "$T/bind"
        ross run -d --name vc -v cpvol:/data -v rovol:/ro:ro -v "$T/bind:/bind" "$IMG" sleep 600 >/dev/null
        echo f >"$T/f"
        echo g >"$T/g"
        ross cp "$T/f" vc:/data/
        [ "$(cat "$DATA/volumes/cpvol/_data/f")" = f ]
        ross cp "$T/f" vc:/bind/
        [ "$(cat "$T/bind/f")" = f ]
        [ "$(cp_cat vc:/data/f)" = f ]
        run ross cp "$T/f" vc:/ro/
        assert_status 1
        assert_output_contains "mounted volume is marked read-only"
        # the whole root, volumes in it
        [ "$(ross cp vc:/ - | tar -tf - | grep -c '^/data/f$')" = 1 ]
        ross stop -t 0 vc >/dev/null
        ross cp "$T/g" vc:/data/
        [ "$(cat "$DATA/volumes/cpvol/_data/g")" = g ]
        [ "$(cp_cat vc:/data/f)" = f ]
        [ ! -e "$DATA/containers/$(ross inspect vc | jq -r '.[0].Id')/upper/data/g" ]
        run ross cp "$T/f" vc:/ro/
        assert_status 1
        assert_output_contains "mounted volume is marked read-only"
        ross run -d --name rootro --read-only "$IMG" sleep 600 >/dev/null
        run ross cp "$T/f" rootro:/
        assert_status 1
        assert_output_contains "container rootfs is marked read-only"
        ross stop -t 0 rootro >/dev/null
        run ross cp "$T/f" rootro:/
        assert_status 1
        assert_output_contains "container rootfs is marked read-only"
}

@test "HEAD and GET /containers/{id}/archive: the stat header Docker's clients read; 404 and 400 in Docker's words" {
        ross run -d --name hd "$IMG" sh -c 'ln -s /etc /esc; echo 12345 >/five; sleep 600' >/dev/null
        wait_for hd /five
        stat_of() { # PATH: the decoded X-Docker-Container-Path-Stat of a HEAD
                curl -s -I --unix-socket "$SOCK" "http://ross/containers/hd/archive?path=$1" |
                        tr -d '\r' | sed -n 's/^X-Docker-Container-Path-Stat: //ip' | base64 -d
        }
        run stat_of /esc
        [ "$(echo "$output" | jq -c '[.name, .size, .mode, .linkTarget]')" = '["esc",4,134218239,"/etc"]' ]
        [ "$(echo "$output" | jq -r 'keys_unsorted | join(",")')" = name,size,mode,mtime,linkTarget ]
        run stat_of /five
        [ "$(echo "$output" | jq -c '[.name, .size, .mode, .linkTarget]')" = '["five",6,420,""]' ]
        echo "$output" | jq -r .mtime | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z$'
        # a trailing slash follows the link: the container's /etc, a directory
        run stat_of /esc/
        [ "$(echo "$output" | jq -c '[.name, (.mode / 2147483648 | floor)]')" = '["esc",1]' ]
        run curl -s -o /dev/null -w '%{http_code}' -I --unix-socket "$SOCK" "http://ross/containers/hd/archive?path=/nope"
        [ "$output" = 404 ]
        run api GET "/containers/hd/archive?path=/nope"
        [ "$(echo "$output" | jq -r .message)" = "Could not find the file /nope in container hd" ]
        run api GET "/containers/hd/archive"
        [ "$(echo "$output" | jq -r .message)" = "bad parameter: path cannot be empty" ]
        run curl -s -w '%{http_code}' --unix-socket "$SOCK" -X PUT --data-binary @/dev/null \
                "http://ross/containers/hd/archive?path=/five"
        assert_output_contains "extraction point is not a directory"
        assert_output_contains 400
        run curl -s -D - --unix-socket "$SOCK" "http://ross/containers/hd/archive?path=/five" -o "$T/five.tar"
        assert_output_contains "Content-Type: application/x-tar"
        [ "$(tar -xOf "$T/five.tar")" = 12345 ]
        run api GET "/containers/nope/archive?path=/"
        [ "$(echo "$output" | jq -r .message)" = "No such container: nope" ]
}

@test "docker cp both ways, the docker CLI" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        docker run -d --name dk "$IMG" sh -c 'ln -s /etc /esc; mkdir /srv; echo from-ross >/srv/f; sleep 600' >/dev/null
        wait_for dk /srv/f
        mkdir -p "$T/d"
        echo in >"$T/d/g"
        docker cp dk:/srv/f "$T/f"
        [ "$(cat "$T/f")" = from-ross ]
        docker cp dk:/srv "$T/srv"
        [ "$(cat "$T/srv/f")" = from-ross ]
        docker cp dk:/esc/passwd "$T/passwd"
        [ "$(cat "$T/passwd")" = "$(docker exec dk cat /etc/passwd)" ]
        docker cp "$T/d" dk:/srv/
        [ "$(docker exec dk cat /srv/d/g)" = in ]
        docker cp "$T/d/." dk:/srv/content
        [ "$(docker exec dk cat /srv/content/g)" = in ]
        tar -C "$T/d" -cf - g | docker cp - dk:/tmp
        [ "$(docker exec dk cat /tmp/g)" = in ]
        [ "$(docker cp dk:/srv/f - | tar -xOf -)" = from-ross ]
        run docker cp dk:/nope "$T"
        [ "$status" -ne 0 ]
        assert_output_contains "Could not find the file /nope in container dk"
        docker stop -t 0 dk >/dev/null
        docker cp "$T/d/g" dk:/srv/after-stop
        [ "$(docker cp dk:/srv/after-stop - | tar -xOf -)" = in ]
}

@test "python docker SDK: put_archive and get_archive" {
        $PY -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        ross run -d --name py "$IMG" sh -c 'echo hello >/srv.txt; sleep 600' >/dev/null
        wait_for py /srv.txt
        run env IMG="$IMG" $PY - <<'EOF'
import io, os, tarfile, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
ct = c.containers.get("py")
bits, stat = ct.get_archive("/srv.txt")
print(stat["name"], stat["size"], stat["mode"] & 0o777)
t = tarfile.open(fileobj=io.BytesIO(b"".join(bits)))
print(t.extractfile("srv.txt").read().decode().strip())
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as w:
    data = b"from python\n"
    ti = tarfile.TarInfo("sub/py.txt"); ti.size = len(data)
    w.addfile(ti, io.BytesIO(data))
print(ct.put_archive("/tmp", buf.getvalue()))
print(ct.exec_run("cat /tmp/sub/py.txt").output.decode().strip())
try:
    ct.get_archive("/nope")
except docker.errors.NotFound as e:
    print("404", e.explanation == f"Could not find the file /nope in container {ct.id}")
EOF
        assert_status 0
        [ "${lines[0]}" = "srv.txt 6 420" ]
        [ "${lines[1]}" = hello ]
        [ "${lines[2]}" = True ]
        [ "${lines[3]}" = "from python" ]
        [ "${lines[4]}" = "404 True" ]
}

@test "a qemu VM container: cp of a file both ways, running and stopped" {
        if ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
                skip "qemu-system-x86 and linux-image-amd64 are not installed"
        fi
        ross run -d --name vm --runtime qemu "$IMG" sh -c 'echo from-vm >/vf; sleep 600' >/dev/null
        local i
        for i in $(seq 1 100); do
                [ "$(cp_cat vm:/vf 2>/dev/null)" = from-vm ] && break
                sleep 0.2
        done
        [ "$(cp_cat vm:/vf)" = from-vm ]
        echo to-vm >"$T/in"
        ross cp "$T/in" vm:/
        [ "$(ross exec vm cat /in)" = to-vm ]
        ross stop -t 0 vm >/dev/null
        ross cp "$T/in" vm:/again
        [ "$(cp_cat vm:/again)" = to-vm ]
        [ "$(cp_cat vm:/vf)" = from-vm ]
}

@test "copies are events, as Docker's: archive-path out, extract-to-dir in" {
        ross run -d --name evc "$IMG" sh -c 'echo e >/e; sleep 600' >/dev/null
        wait_for evc /e
        echo f >"$T/f"
        t0=$(date +%s.%N)
        ross cp evc:/e - >/dev/null
        ross cp "$T/f" evc:/tmp/
        run ross cp "$T/f" evc:/nope/x
        t1=$(date +%s.%N)
        run ross events --since "$t0" --until "$t1" --format json --filter type=container
        assert_status 0
        [ "$(echo "$output" | jq -r '[.Action, .Actor.Attributes.name] | join(" ")' | tr '\n' ',')" = \
                "archive-path evc,extract-to-dir evc," ]
}
