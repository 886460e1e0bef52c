# Shared helpers for Ross's benchmarks (sourced). They time whole commands, side by side
# with the peers in the same run, and report medians and ratios; nothing here asserts time.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BUILD=${ROSS_BUILD_DIR:-$BENCH_ROOT/build}
BENCH_CACHE=${ROSS_BENCH_CACHE:-/var/cache/ross-bench}

now() { date +%s.%N; }

# seconds since $1
since() { echo "$(now) - $1" | bc -l; }

median() { # numbers...
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
