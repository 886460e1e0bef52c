#!/usr/bin/env bash
# Test images made by the real image builders that run on this machine, and Docker's own
# unpack of an image as the reference tree (tests/system/105-builders.bats).
#
#   builders.sh can NAME                 exit 0 if NAME can be built here, else print why
#   builders.sh build NAME WORK REG      build NAME, push it as REG/builders/NAME:latest
#   builders.sh dockerd-up DIR REG       start a private dockerd (state under DIR)
#   builders.sh dockerd-down DIR         stop it (by PID), unmount and remove its state
#   builders.sh docker-forget DIR        drop every image and the build cache from it
#   builders.sh docker-ref DIR IMAGE MNT pull IMAGE into it; mount Docker's layers at MNT
#
# NAME: docker-build (the classic builder), docker-buildkit, docker-archive (skopeo copy
# from a `docker save` archive), buildah, umoci, gnutar, pytar, pytar-root, pytar-abs.
# The docker-* builders use the dockerd of dockerd-up: BUILDERS_DOCKERD=DIR.
#
# Every image holds the same tree (mktree) and the same changes in a second layer
# (CHANGES): a whiteout, an opaque directory, a new hard link to a file of the layer below,
# setuid and sticky modes, an owner other than root, an empty directory, an xattr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker || echo /usr/bin/docker)
DOCKERD=/usr/sbin/dockerd
[ -x "$DOCKERD" ] || DOCKERD=$(command -v dockerd || echo /usr/sbin/dockerd)
PY=/usr/bin/python3
EPOCH=946684800

# What the second layer changes, as a busybox or POSIX shell script over the root $R.
# (No quotes inside: it is embedded in a Dockerfile's JSON RUN as it is.)
CHANGES='set -e; rm $R/data/old.txt; rm -rf $R/opq; mkdir $R/opq; echo new > $R/opq/c; ln $R/data/hello.txt $R/data/hello-link; echo suid > $R/data/suid2; chmod 4755 $R/data/suid2; mkdir -p $R/var/empty; chmod 1777 $R/var/empty; echo 2 > $R/etc/version'

die() {
        echo "builders: $*" >&2
        exit 1
}

# The base tree every builder starts from.
mktree() { # DIR
        local d=$1
        rm -rf "$d"
        mkdir -p "$d/bin" "$d/etc" "$d/data/sgid-dir" "$d/opq/sub" "$d/empty"
        cp /bin/busybox "$d/bin/busybox"
        chmod 0755 "$d/bin/busybox"
        ln -s busybox "$d/bin/sh"
        ln -s /bin/busybox "$d/bin/cat"
        printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1234:5678::/:/bin/sh\n' >"$d/etc/passwd"
        printf 'root:x:0:\nusers:x:5678:\n' >"$d/etc/group"
        printf '1\n' >"$d/etc/version"
        printf 'hello\n' >"$d/data/hello.txt"
        setfattr -n user.note -v ross "$d/data/hello.txt"
        printf 'old\n' >"$d/data/old.txt"
        printf 'linked\n' >"$d/data/hard1"
        ln "$d/data/hard1" "$d/data/hard2"
        printf 'suid\n' >"$d/data/suid"
        chmod 4755 "$d/data/suid"
        chmod 2775 "$d/data/sgid-dir"
        printf 'owned\n' >"$d/data/owned.txt"
        chown 1234:5678 "$d/data/owned.txt"
        printf 'private\n' >"$d/data/private"
        chmod 0600 "$d/data/private"
        printf 'a\n' >"$d/opq/a"
        printf 'b\n' >"$d/opq/sub/b"
        find "$d" -exec touch -h -d "@$EPOCH" {} +
}

# CHANGES as a layer's own tree, whiteouts written as the files that stand for them.
mkchanges() { # BASE DIR
        local b=$1 d=$2
        rm -rf "$d"
        mkdir -p "$d/data" "$d/opq" "$d/var/empty" "$d/etc"
        : >"$d/data/.wh.old.txt"
        : >"$d/opq/.wh..wh..opq"
        printf 'new\n' >"$d/opq/c"
        cp -a "$b/data/hello.txt" "$d/data/hello.txt"
        ln "$d/data/hello.txt" "$d/data/hello-link"
        printf 'suid\n' >"$d/data/suid2"
        chmod 4755 "$d/data/suid2"
        chmod 1777 "$d/var/empty"
        printf '2\n' >"$d/etc/version"
        find "$d" -exec touch -h -d "@$((EPOCH + 86400))" {} +
}

# Run a command in a mount namespace of its own where /etc and /var are overlays whose
# upper directories are under $WORK/iso: the caches and locks that buildah and skopeo keep
# by default (/var/lib/containers/cache, /var/cache/containers, /etc/cni) stay there.
isolated() { # WORK CMD...
        local w=$1
        shift
        mkdir -p "$w/iso/etc.up" "$w/iso/etc.work" "$w/iso/var.up" "$w/iso/var.work"
        unshare --mount --propagation private /bin/sh -ec '
                w=$1
                shift
                mount -t overlay overlay -o "lowerdir=/etc,upperdir=$w/iso/etc.up,workdir=$w/iso/etc.work" /etc
                mount -t overlay overlay -o "lowerdir=/var,upperdir=$w/iso/var.up,workdir=$w/iso/var.work" /var
                exec "$@"' sh "$w" "$@"
}

docker_in() { # DIR ARGS...
        local d=$1
        shift
        DOCKER_CONFIG=$d/client "$DOCKER" -H "unix://$d/docker.sock" "$@"
}

dockerd_up() { # DIR REG
        local d=$1 reg=$2
        mkdir -p "$d"
        d=$(cd "$d" && pwd)
        # the trust key would go to /etc/docker/key.json; the cgroups of build containers
        # go under a parent of their own, removed by dockerd-down
        printf '{"deprecated-key-path": "%s/key.json"}\n' "$d" >"$d/daemon.json"
        local p
        for p in /run/docker/plugins /run/docker /run/containerd/s /run/containerd /run/runc; do
                [ -e "$p" ] || echo "$p"
        done >"$d/made-globals"
        echo "/ross-builders-$$" >"$d/cgroup-parent"
        "$DOCKERD" --config-file "$d/daemon.json" --data-root "$d/root" --exec-root "$d/exec" \
                -H "unix://$d/docker.sock" --pidfile "$d/dockerd.pid" --insecure-registry "$reg" \
                --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
                --bridge=none --cgroup-parent "$(cat "$d/cgroup-parent")" \
                --storage-driver overlay2 --log-level warn \
                </dev/null >"$d/dockerd.log" 2>&1 3>&- 4>&- 5>&- &
        echo $! >"$d/pid"
        local _
        for _ in $(seq 1 300); do
                if docker_in "$d" version >/dev/null 2>&1; then
                        return 0
                fi
                if ! kill -0 "$(cat "$d/pid")" 2>/dev/null; then
                        die "dockerd exited at start: $(tail -n 3 "$d/dockerd.log" | tr '\n' ' ')"
                fi
                sleep 0.1
        done
        die "dockerd did not answer on $d/docker.sock in 30 s: $(tail -n 3 "$d/dockerd.log" | tr '\n' ' ')"
}

# Wait until a process is gone (not our child: no `wait`).
wait_gone() { # PID SECONDS
        local _
        for _ in $(seq 1 $(($2 * 10))); do
                kill -0 "$1" 2>/dev/null || return 0
                sleep 0.1
        done
        return 1
}

dockerd_down() { # DIR
        local d=$1 pid cpid=""
        [ -d "$d" ] || return 0
        d=$(cd "$d" && pwd)
        if [ -f "$d/exec/containerd/containerd.pid" ]; then
                cpid=$(cat "$d/exec/containerd/containerd.pid")
        fi
        if [ -f "$d/pid" ]; then
                pid=$(cat "$d/pid")
                if kill -0 "$pid" 2>/dev/null; then
                        kill -TERM "$pid"
                        wait_gone "$pid" 30 || { kill -KILL "$pid" 2>/dev/null; wait_gone "$pid" 5 || true; }
                fi
        fi
        # dockerd stops the containerd it started; make sure, by that PID and no other
        if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null &&
                tr '\0' ' ' <"/proc/$cpid/cmdline" | grep -qF "$d/exec/containerd"; then
                kill -TERM "$cpid"
                wait_gone "$cpid" 10 || kill -KILL "$cpid" 2>/dev/null || true
        fi
        # whatever it left mounted under DIR, deepest first
        local m
        awk -v d="$d/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
                umount "$m" 2>/dev/null || umount -l "$m"
        done
        rm -rf "$d/root" "$d/exec"
        # the empty directories it made outside DIR, and its cgroups
        if [ -f "$d/made-globals" ]; then
                while read -r m; do rmdir "$m" 2>/dev/null || true; done <"$d/made-globals"
        fi
        if [ -f "$d/cgroup-parent" ]; then
                local cg
                cg=$(cat "$d/cgroup-parent")
                # BuildKit puts its containers one level further down
                for m in /sys/fs/cgroup/*"$cg"/* /sys/fs/cgroup/"$cg"/* /sys/fs/cgroup/*"$cg" \
                        /sys/fs/cgroup/"$cg"; do
                        if [ -d "$m" ]; then rmdir "$m" 2>/dev/null || true; fi
                done
        fi
}

docker_forget() { # DIR
        local d=$1
        docker_in "$d" image prune -a -f >/dev/null
        docker_in "$d" builder prune -a -f >/dev/null
        [ -z "$(docker_in "$d" image ls -a -q)" ] || die "dockerd still holds images"
}

# Docker's unpack of IMAGE: its overlay2 layer directories (as Docker extracted them from
# the registry's blobs), mounted read-only, nothing added (no container, no init layer).
docker_ref() { # DIR IMAGE MNT
        local d=$1 img=$2 mnt=$3 upper lower
        docker_in "$d" pull -q "$img" >/dev/null
        upper=$(docker_in "$d" image inspect -f '{{.GraphDriver.Data.UpperDir}}' "$img")
        lower=$(docker_in "$d" image inspect -f '{{with .GraphDriver.Data.LowerDir}}{{.}}{{end}}' "$img")
        mkdir -p "$mnt"
        if [ -z "$lower" ]; then
                mount --bind -o ro "$upper" "$mnt"
        else
                mount -t overlay overlay -o "ro,lowerdir=$upper:$lower" "$mnt"
        fi
}

# ---- the builders ----

build_docker() { # WORK REG NAME BUILDKIT(0|1)
        local w=$1 reg=$2 name=$3 bk=$4 d=${BUILDERS_DOCKERD:?BUILDERS_DOCKERD is not set}
        local ctx=$w/$name/ctx img=$reg/builders/$name:latest
        mkdir -p "$ctx"
        mktree "$ctx/rootfs"
        cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
COPY --chown=1234:5678 rootfs/data/owned.txt /data/owned.txt
RUN ["/bin/busybox", "sh", "-c", "R=; $CHANGES"]
CMD ["/bin/busybox", "echo", "built by $name"]
EOF
        DOCKER_BUILDKIT=$bk docker_in "$d" build --network none -t "$img" "$ctx"
        docker_in "$d" push "$img"
        if [ "$name" = docker-build ]; then
                docker_in "$d" save -o "$w/docker-build.tar" "$img"
        fi
}

# skopeo copy from the `docker save` archive of docker-build (built first).
build_docker_archive() { # WORK REG
        local w=$1 reg=$2
        [ -f "$w/docker-build.tar" ] || die "no docker save archive: build docker-build first"
        isolated "$w" skopeo copy --insecure-policy --dest-tls-verify=false \
                "docker-archive:$w/docker-build.tar" "docker://$reg/builders/docker-archive:latest"
}

build_buildah() { # WORK REG
        local w=$1 reg=$2
        mkdir -p "$w/buildah"
        mktree "$w/buildah/tree"
        isolated "$w" "$here/builders.sh" _buildah "$w/buildah" "$reg"
}

_buildah() { # DIR REG (inside isolated)
        local b=$1 reg=$2 c m
        bah() {
                buildah --root "$b/root" --runroot "$b/run" --storage-driver vfs \
                        --registries-conf /dev/null --short-name-alias-conf "$b/aliases.conf" "$@"
        }
        c=$(bah from --network none scratch)
        bah copy "$c" "$b/tree/" /
        bah copy --chown 1234:5678 "$c" "$b/tree/data/owned.txt" /data/owned.txt
        bah config --cmd '["/bin/busybox", "echo", "built by buildah"]' "$c"
        bah commit -q "$c" builders-base
        bah rm "$c"
        c=$(bah from --network none builders-base)
        m=$(bah mount "$c")
        R=$m /bin/sh -c "$CHANGES"
        bah umount "$c"
        bah commit -q "$c" builders-final
        bah rm "$c"
        bah push --tls-verify=false builders-final "docker://$reg/builders/buildah:latest"
}

build_umoci() { # WORK REG
        local w=$1 reg=$2 u=$1/umoci
        rm -rf "$u"
        mkdir -p "$u"
        mktree "$u/tree"
        umoci init --layout "$u/oci"
        umoci new --image "$u/oci:base"
        umoci unpack --image "$u/oci:base" "$u/b1"
        cp -a "$u/tree/." "$u/b1/rootfs/"
        umoci repack --image "$u/oci:base" "$u/b1"
        umoci unpack --image "$u/oci:base" "$u/b2"
        R=$u/b2/rootfs /bin/sh -c "$CHANGES"
        umoci repack --image "$u/oci:final" "$u/b2"
        umoci config --image "$u/oci:final" --config.cmd /bin/busybox --config.cmd echo \
                --config.cmd "built by umoci"
        isolated "$w" skopeo copy --insecure-policy --dest-tls-verify=false \
                "oci:$u/oci:final" "docker://$reg/builders/umoci:latest"
}

# GNU tar: `tar -C DIR -cf - .` (names './', './bin/busybox', ...); the first layer in
# tar's default (gnu) format, gzip'd; the second in POSIX format with xattrs, uncompressed.
build_gnutar() { # WORK REG
        local w=$1 reg=$2 g=$1/gnutar
        mkdir -p "$g"
        mktree "$g/tree"
        mkchanges "$g/tree" "$g/changes"
        tar --numeric-owner -C "$g/tree" -cf - . | gzip -n >"$g/layer1.tar.gz"
        tar --numeric-owner --format=posix --xattrs --xattrs-include='user.*' -C "$g/changes" \
                -cf "$g/layer2.tar" .
        "$PY" "$here/tarimages.py" push "http://$reg" builders/gnutar:latest \
                '["/bin/busybox", "echo", "built by gnutar"]' "$g/layer1.tar.gz" "$g/layer2.tar"
}

# Python's tarfile: STYLE dot, root or absolute (see tarimages.py).
build_pytar() { # WORK REG NAME STYLE
        local w=$1 reg=$2 name=$3 style=$4 p=$1/$3
        mkdir -p "$p"
        mktree "$p/tree"
        mkchanges "$p/tree" "$p/changes"
        "$PY" "$here/tarimages.py" tarfile "$style" "$p/tree" "$p/layer1.tar"
        "$PY" "$here/tarimages.py" tarfile "$style" "$p/changes" "$p/layer2.tar"
        gzip -n -k -f "$p/layer1.tar"
        "$PY" "$here/tarimages.py" push "http://$reg" "builders/$name:latest" \
                "[\"/bin/busybox\", \"echo\", \"built by $name\"]" "$p/layer1.tar.gz" "$p/layer2.tar"
}

need() { # COMMAND PACKAGE
        command -v "$1" >/dev/null 2>&1 || { echo "$1 is not installed (Debian package $2)"; return 1; }
}

need_python() {
        [ -x "$PY" ] || { echo "$PY is not installed (Debian package python3)"; return 1; }
}

can() { # NAME
        need setfattr attr || return 1
        case $1 in
        docker-build | docker-buildkit)
                [ -x "$DOCKERD" ] || { echo "dockerd is not installed (Debian package docker.io)"; return 1; }
                [ -x "$DOCKER" ] || { echo "docker is not installed (Debian package docker.io)"; return 1; }
                ;;
        docker-archive)
                can docker-build && need skopeo skopeo
                ;;
        buildah) need buildah buildah && need unshare util-linux ;;
        umoci) need umoci umoci && need skopeo skopeo && need unshare util-linux ;;
        gnutar) need tar tar && need gzip gzip && need_python ;;
        pytar | pytar-root | pytar-abs) need_python ;;
        *) die "unknown builder $1" ;;
        esac
}

build() { # NAME WORK REG
        local name=$1 w=$2 reg=$3
        mkdir -p "$w"
        w=$(cd "$w" && pwd)
        case $name in
        docker-build) build_docker "$w" "$reg" docker-build 0 ;;
        docker-buildkit) build_docker "$w" "$reg" docker-buildkit 1 ;;
        docker-archive) build_docker_archive "$w" "$reg" ;;
        buildah) build_buildah "$w" "$reg" ;;
        umoci) build_umoci "$w" "$reg" ;;
        gnutar) build_gnutar "$w" "$reg" ;;
        pytar) build_pytar "$w" "$reg" pytar dot ;;
        pytar-root) build_pytar "$w" "$reg" pytar-root root ;;
        pytar-abs) build_pytar "$w" "$reg" pytar-abs absolute ;;
        *) die "unknown builder $name" ;;
        esac
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
can) can "$@" ;;
build) build "$@" ;;
dockerd-up) dockerd_up "$@" ;;
dockerd-down) dockerd_down "$@" ;;
docker-forget) docker_forget "$@" ;;
docker-ref) docker_ref "$@" ;;
_buildah) _buildah "$@" ;;
*)
        sed -n '2,20p' "$0" >&2
        exit 2
        ;;
esac
