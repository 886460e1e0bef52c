#!/usr/bin/env bash
# Fetch what an aarch64 guest needs on this amd64 machine, from Debian's archive: the
# generic arm64 kernel (linux-image-arm64's versioned package) with its modules, and a
# static aarch64 busybox for a tiny root (tests/vm/guest-arm64.sh). Nothing is installed:
# apt runs with a state of its own under the cache (its own sources, lists and dpkg status),
# so the machine's apt sources, lists and architectures are never touched, and an
# interrupted run leaves nothing behind but the cache.
#
#   scripts/fetch-guest-arm64.sh        (as root; apt-get, dpkg-deb and depmod)
#
# The cache, $ROSS_ARM64_CACHE (default /var/cache/ross/arm64), ends up with
#   vmlinuz-VERSION  lib/modules/VERSION/ (depmod run there)  busybox
# Idempotent: a complete cache is left as it is. Prints the kernel's path.
# ROSS_ARM64_MIRROR (default: the machine's Debian mirror) and ROSS_ARM64_SUITE
# (default bookworm) override.
set -euo pipefail

cache=${ROSS_ARM64_CACHE:-/var/cache/ross/arm64}
suite=${ROSS_ARM64_SUITE:-bookworm}

complete() {
        local k
        for k in "$cache"/vmlinuz-*; do
                [ -f "$k" ] && [ -f "$cache/lib/modules/${k##*/vmlinuz-}/modules.dep" ] &&
                        [ -x "$cache/busybox" ] && echo "$k" && return 0
        done
        return 1
}
complete && exit 0

# The address of the Debian archive this machine uses (deb822 or one-line sources).
mirror() {
        local f u
        for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
                [ -f "$f" ] || continue
                u=$(sed -n -e 's|^URIs:[[:space:]]*\([^[:space:]]*/debian\)/\?[[:space:]]*$|\1|p' \
                        -e 's|^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*/debian\)/\?[[:space:]].*|\2|p' \
                        "$f" | head -n 1)
                [ -n "$u" ] && echo "$u" && return 0
        done
        echo http://deb.debian.org/debian
}
url=${ROSS_ARM64_MIRROR:-$(mirror)}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || {
        echo "fetch-guest-arm64: no $keyring (apt-get install debian-archive-keyring)" >&2
        exit 1
}

mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
chmod 0755 "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/parts" "$work/debs" "$work/x"
echo "deb [arch=arm64 signed-by=$keyring] $url $suite main" >"$work/sources.list"
: >"$work/status"
# apt fetches as its unprivileged user where it can
if id _apt >/dev/null 2>&1; then
        chown _apt "$work/debs" "$work/lists/partial" "$work/archives/partial"
fi
apt=(-q -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
        -o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status"
        -o "Dir::Cache=$work" -o "Dir::Cache::archives=$work/archives"
        -o APT::Architecture=arm64 -o "APT::Architectures::=arm64")

echo "fetch-guest-arm64: $url $suite main (arm64)" >&2
apt-get "${apt[@]}" update >&2
# the meta package names the kernel of the suite's point release
kpkg=$(apt-cache "${apt[@]}" depends linux-image-arm64 |
        sed -n 's/^[[:space:]]*Depends: \(linux-image-[0-9][^[:space:]]*-arm64\)$/\1/p' | head -n 1)
if [ -z "$kpkg" ]; then
        echo "fetch-guest-arm64: linux-image-arm64 in $suite names no kernel package" >&2
        exit 1
fi
(cd "$work/debs" && apt-get "${apt[@]}" download "$kpkg" busybox-static >&2)

dpkg-deb -x "$work"/debs/linux-image-*_arm64.deb "$work/x"
dpkg-deb -x "$work"/debs/busybox-static_*_arm64.deb "$work/x"
kernel=$(ls "$work"/x/boot/vmlinuz-* | head -n 1)
kver=${kernel##*/vmlinuz-}
# the package leaves modules.dep to its postinst (depmod), which never runs here
depmod -b "$work/x" "$kver"

rm -rf "$cache/lib" "$cache"/vmlinuz-* "$cache/busybox"
mkdir -p "$cache/lib/modules"
mv "$work/x/lib/modules/$kver" "$cache/lib/modules/"
mv "$work/x/bin/busybox" "$cache/busybox"
# last: its presence says the cache is complete
mv "$kernel" "$cache/"
complete
