# Shared helpers for Ross's benchmarks (sourced). They time whole commands, side by side
# with the peers in the same run, and report medians and ratios; nothing here asserts time.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BUILD=${ROSS_BUILD_DIR:-$BENCH_ROOT/build}
BENCH_CACHE=${ROSS_BENCH_CACHE:-/var/cache/ross-bench}

now() { date +%s.%N; }

# seconds since $1
since() { echo "$(now) - $1" | bc -l; }

median() { # numbers...
        [ $# -gt 0 ] || { echo nan; return; }
        printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
                if (NR == 0) { print "nan"; exit }
                if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# The Debian mirror apt already uses (the only one reachable here).
debian_mirror() {
        local m=""
        if [ -f /etc/apt/sources.list.d/debian.sources ]; then
                m=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
        fi
        if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
                m=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
        fi
        echo "$m"
}

wait_http() { # url
        local i
        for i in $(seq 1 100); do
                curl -sf -o /dev/null "$1" && return 0
                sleep 0.1
        done
        echo "bench: nothing answers at $1" >&2
        return 1
}

wait_socket() { # path
        local i
        for i in $(seq 1 200); do
                [ -S "$1" ] && return 0
                sleep 0.05
        done
        echo "bench: no socket at $1" >&2
        return 1
}

# A Debian minbase root filesystem as one uncompressed tar, made once with debootstrap.
minbase_tar() {
        local tar=$BENCH_CACHE/debian-minbase.tar
        if [ ! -f "$tar" ]; then
                command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >&2
                local mirror
                mirror=$(debian_mirror)
                rm -rf "$BENCH_CACHE/rootfs.tmp"
                mkdir -p "$BENCH_CACHE"
                echo "bench: building a Debian minbase rootfs with debootstrap (once)" >&2
                debootstrap --variant=minbase bookworm "$BENCH_CACHE/rootfs.tmp" "$mirror" >&2
                # the .debs debootstrap downloaded are not part of an image
                rm -f "$BENCH_CACHE"/rootfs.tmp/var/cache/apt/archives/*.deb
                tar --numeric-owner --xattrs --xattrs-include='*' -C "$BENCH_CACHE/rootfs.tmp" \
                        -cf "$tar.tmp" .
                mv "$tar.tmp" "$tar"
                rm -rf "$BENCH_CACHE/rootfs.tmp"
        fi
        echo "$tar"
}

# ---- the peers, each in its own directories ----

# containerd with its state under $1 (CRI off); sets CONTAINERD_PID.
start_containerd() { # dir
        cat >"$1/config.toml" <<TOML
version = 2
root = "$1/root"
state = "$1/state"
[grpc]
  address = "$1/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable = true
TOML
        containerd --config "$1/config.toml" >"$1/containerd.log" 2>&1 &
        CONTAINERD_PID=$!
        wait_socket "$1/containerd.sock"
}

# Docker Engine with its state under $1 (no bridge, no iptables); sets DOCKERD_PID.
start_dockerd() { # dir
        dockerd --data-root "$1/root" --exec-root "$1/exec" --host "unix://$1/docker.sock" \
                --pidfile "$1/pid" --insecure-registry "${REG:-127.0.0.1:5000}" --iptables=false \
                --ip6tables=false --bridge=none >"$1.log" 2>&1 &
        DOCKERD_PID=$!
        for _ in $(seq 1 100); do
                docker -H "unix://$1/docker.sock" version >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        return 1
}


# podman with its storage under $1: podman_in DIR ARGS...
podman_in() {
        podman_at "" "$@"
}

# The same, in network namespace $1 when it is not empty: podman_at NETNS DIR ARGS...
# Its network configs and libpod's temp state stay under DIR too, so that nothing is written
# to /etc/containers or /run/libpod, and the network backend is named (netavark, where it is
# installed) rather than guessed from what the host already has.
podman_at() {
        local n=$1 d=$2 pre=() backend=()
        shift 2
        [ -z "$n" ] || pre=(nsenter --net="/run/netns/$n")
        [ ! -x /usr/lib/podman/netavark ] || backend=(--network-backend netavark)
        "${pre[@]}" podman --root "$d/root" --runroot "$d/runroot" --storage-driver overlay \
                --cgroup-manager cgroupfs --events-backend file --tmpdir "$d/tmp" \
                --network-config-dir "$d/networks" "${backend[@]}" "$@"
}

# A private registry on 127.0.0.1 holding the test busybox image; sets REG and IMAGE.
start_bench_registry() { # dir port
        mkdir -p "$1"
        REG=127.0.0.1:$2
        printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
                "$1/data" "$REG" >"$1/config.yml"
        /usr/bin/docker-registry serve "$1/config.yml" >"$1/log" 2>&1 &
        REGISTRY_PID=$!
        wait_http "http://$REG/v2/"
        /usr/bin/python3 "$BENCH_ROOT/tests/world/mkimages.py" --registry "http://$REG" \
                --only busybox >/dev/null
        IMAGE=$REG/busybox:latest
}

# A bundle for bare crun from the same busybox: bundle_for DIR ARGS-JSON
bundle_for() {
        mkdir -p "$1"
        "$BENCH_BUILD/programs/ross-rootfs" --busybox /bin/busybox minimal "$1/rootfs" >/dev/null
        (cd "$1" && crun spec && jq --argjson a "$2" '.process.terminal = false | .process.args = $a' \
                config.json >config.json.new && mv config.json.new config.json)
        ln -sf busybox "$1/rootfs/bin/true"
        ln -sf busybox "$1/rootfs/bin/sleep"
}

# RSS and PSS of a pid in KiB: "rss pss"
rss_pss() {
        local rss pss
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status")
        pss=$(awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup")
        echo "$rss $pss"
}

# A freshly made ext4 filesystem (a 4 GiB loop device) at $1: ext4 slows inode allocation
# down right after many deletions, and a shared filesystem makes whichever tool runs after
# another's cleanup pay for it.
fresh_fs() {
        local img=$1.img
        truncate -s 4G "$img"
        mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$img"
        mkdir -p "$1"
        mount -o loop "$img" "$1"
}

drop_fs() {
        umount -R "$1" 2>/dev/null || umount -l "$1" 2>/dev/null || true
        rm -f "$1.img"
        rmdir "$1" 2>/dev/null || true
}

