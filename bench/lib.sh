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

wait_http() { # url [netns]
        local i pre=()
        [ -z "${2:-}" ] || pre=(nsenter --net="/run/netns/$2")
        for i in $(seq 1 100); do
                "${pre[@]}" curl -sf -o /dev/null "$1" && return 0
                sleep 0.1
        done
        echo "bench: nothing answers at $1${2:+ in network namespace $2}" >&2
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

# The option bench/run and bench/concurrent share: `--network none|bridge` before their
# numbers. Sets BENCH_NETWORK (default none) and BENCH_ARGS (the arguments after it).
bench_network_opt() { # program args...
        local prog=$1
        shift
        BENCH_NETWORK=none
        while [ $# -gt 0 ]; do
                case $1 in
                --network)
                        if [ $# -lt 2 ]; then
                                echo "$prog: --network needs none or bridge" >&2
                                return 2
                        fi
                        BENCH_NETWORK=$2
                        shift 2
                        ;;
                --network=*)
                        BENCH_NETWORK=${1#*=}
                        shift
                        ;;
                -*)
                        echo "$prog: unknown option $1" >&2
                        return 2
                        ;;
                *) break ;;
                esac
        done
        case $BENCH_NETWORK in
        none | bridge) ;;
        *)
                echo "$prog: --network $BENCH_NETWORK: none or bridge" >&2
                return 2
                ;;
        esac
        BENCH_ARGS=("$@")
}

# The order of the tools in run (or round) $1, one a line. A start runs slower right after
# another engine's than right after crun's (what the one before left to finish), so with a
# fixed order the second of a tool's two rows (X, X_bridge) paid for the first: every other
# run takes the bridge row first, and each of the two follows the same rows equally often.
bench_order() { # run tools...
        local i=$1 tool order=()
        shift
        for tool in "$@"; do
                if [ $((i % 2)) = 0 ] && [[ $tool == *_bridge ]] && [ ${#order[@]} -gt 0 ] &&
                        [ "${order[-1]}" = "${tool%_bridge}" ]; then
                        order[-1]=$tool
                        order+=("${tool%_bridge}")
                else
                        order+=("$tool")
                fi
        done
        printf '%s\n' "${order[@]}"
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

# Docker Engine with its state under $1; sets DOCKERD_PID. On the host it has no bridge and
# no iptables rules; in network namespace $2 it runs as installed, with its default bridge
# (docker0) and its iptables rules, both made inside that namespace.
start_dockerd() { # dir [netns]
        local pre=() net=(--iptables=false --ip6tables=false --bridge=none)
        if [ -n "${2:-}" ]; then
                pre=(nsenter --net="/run/netns/$2")
                net=()
        fi
        "${pre[@]}" dockerd --data-root "$1/root" --exec-root "$1/exec" \
                --host "unix://$1/docker.sock" --pidfile "$1/pid" \
                --insecure-registry "${REG:-127.0.0.1:5000}" "${net[@]}" >"$1.log" 2>&1 &
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

# A second instance of the bench registry in network namespace $1, on that namespace's own
# 127.0.0.1 and the same port, serving the same storage: a daemon there pulls $IMAGE by the
# same name. Sets NETNS_REGISTRY_PID.
start_netns_registry() { # netns registry-dir
        nsenter --net="/run/netns/$1" /usr/bin/docker-registry serve "$2/config.yml" \
                >"$2/log.$1" 2>&1 &
        NETNS_REGISTRY_PID=$!
        wait_http "http://$REG/v2/" "$1"
}

# ross-daemon with its state under $1, in network namespace $2 if given; sets ROSS_PID and
# ROSS_SOCK. On the host it gets `--bridge none` where it has that option (the bridge
# networks' daemon), so that no container it starts makes a bridge on the host.
start_ross() { # dir [netns]
        local pre=() net=() help
        help=$("$BENCH_BUILD/programs/ross-daemon" start --help 2>&1 || true)
        if [ -n "${2:-}" ]; then
                pre=(nsenter --net="/run/netns/$2")
        elif [[ $help == *"--bridge none"* ]]; then
                net=(--bridge none)
        fi
        "${pre[@]}" "$BENCH_BUILD/programs/ross-daemon" start --data-dir "$1/data" \
                --run-dir "$1/run" --insecure-registry "$REG" --log-level error "${net[@]}" \
                >"$1.log" 2>&1 &
        ROSS_PID=$!
        ROSS_SOCK=$1/run/ross.sock
        wait_socket "$ROSS_SOCK"
}

# ---- network namespaces for the bridge rows ----
# A bridge row runs its engine in a network namespace of its own, made here, holding lo and
# whatever the engine makes (bridge, veths, firewall rules): it has no route out, so nothing
# leaves the machine, and the host's links and rules are not touched. Engines go in with
# `nsenter --net`, which keeps this shell's mount namespace (`ip netns exec` would make a new
# one, so the engines' mounts would not be where the cleanup looks).

BENCH_NETNS=()      # the namespaces netns_add made
BENCH_NETNS_UNMOUNT= # set when /run/netns was no mount point before (ip netns add makes it one)
BENCH_NETNS_RMDIR=   # set when /run/netns did not exist

netns_add() { # name
        if [ ${#BENCH_NETNS[@]} -eq 0 ] && ! mountpoint -q /run/netns 2>/dev/null; then
                BENCH_NETNS_UNMOUNT=1
                [ -d /run/netns ] || BENCH_NETNS_RMDIR=1
        fi
        ip netns add "$1"
        BENCH_NETNS+=("$1")
        ip -n "$1" link set lo up
}

# Delete the namespaces netns_add made and undo /run/netns if this run made it and nothing
# else is in it. The caller kills its daemons first; whatever they left running in a
# namespace (a detached aardvark-dns, a shim, a conmon) is killed here by PID, as `ip netns
# pids` lists them: a namespace lives on while a process is in it.
netns_drop_all() {
        local n p left
        for n in "${BENCH_NETNS[@]}"; do
                left=$(ip netns pids "$n" 2>/dev/null || true)
                if [ -n "$left" ]; then
                        for p in $left; do kill "$p" 2>/dev/null || true; done
                        sleep 0.5
                        for p in $(ip netns pids "$n" 2>/dev/null || true); do
                                kill -KILL "$p" 2>/dev/null || true
                        done
                fi
                ip netns delete "$n" 2>/dev/null || true
        done
        BENCH_NETNS=()
        if [ -n "$BENCH_NETNS_UNMOUNT" ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
                umount /run/netns 2>/dev/null || true
                [ -z "$BENCH_NETNS_RMDIR" ] || rmdir /run/netns 2>/dev/null || true
        fi
}

# Rootful podman keeps netavark's IP allocations in /run/containers/networks/ipam.db, shared
# by every podman on the host whatever its --root. podman_ipam_note records whether it is
# there; podman_ipam_undo, after netns_drop_all, removes it again if this run made it and no
# named network namespace is left on the host (no podman container, nor anyone else's, that
# could hold an address in it); otherwise it says that it left it.
podman_ipam_note() {
        BENCH_IPAM_MADE=
        [ -e /run/containers/networks/ipam.db ] || BENCH_IPAM_MADE=1
        BENCH_IPAM_DIR_MADE=
        [ -d /run/containers/networks ] || BENCH_IPAM_DIR_MADE=1
        BENCH_IPAM_TOP_MADE=
        [ -d /run/containers ] || BENCH_IPAM_TOP_MADE=1
}
podman_ipam_undo() {
        [ -n "${BENCH_IPAM_MADE:-}" ] && [ -e /run/containers/networks/ipam.db ] || return 0
        if [ -n "$(ls -A /run/netns 2>/dev/null)" ]; then
                echo "bench: left /run/containers/networks/ipam.db (podman's, shared): other" \
                        "network namespaces are in /run/netns" >&2
                return 0
        fi
        rm -f /run/containers/networks/ipam.db
        [ -z "$BENCH_IPAM_DIR_MADE" ] || rmdir /run/containers/networks 2>/dev/null || true
        [ -z "$BENCH_IPAM_TOP_MADE" ] || rmdir /run/containers 2>/dev/null || true
}

# Whether the container that "$@" starts (a run command up to and including the image) has a
# network beyond lo: an interface other than lo and a default route. When not, prints why.
has_bridge_net() { # run-command... image
        local out
        if ! out=$("$@" /bin/sh -c 'cat /proc/net/dev; echo ==; cat /proc/net/route' 2>&1); then
                echo "the run failed: $(echo "$out" | tail -n 1)"
                return 1
        fi
        echo "$out" | awk '
                $0 == "==" { routes = 1; next }
                !routes && /:/ { split($0, f, ":"); gsub(/ /, "", f[1]); if (f[1] != "lo") ifc = 1 }
                routes && $2 == "00000000" { def = 1 }
                END {
                        if (!ifc) print "its container has no interface but lo"
                        else if (!def) print "its container has no default route"
                        exit !(ifc && def)
                }'
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

