#!/usr/bin/env bash
# Cross-build ross-init, the guest agent, for an aarch64 guest (a Mac's guest is aarch64
# Linux): Debian's cross compiler, statically linked against libc6-dev-arm64-cross, nothing
# else of Ross built (meson's -Dguest_only=true needs none of the host's libraries).
#
#   scripts/build-guest-arm64.sh [BUILD DIR, default build-guest-arm64]
#
# Prints the path of the binary. Needs gcc-aarch64-linux-gnu and libc6-dev-arm64-cross
# (scripts/install-deps.sh installs both).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-guest-arm64}
cc=aarch64-linux-gnu-gcc

if ! command -v "$cc" >/dev/null; then
        echo "build-guest-arm64: no $cc (apt-get install gcc-aarch64-linux-gnu)" >&2
        exit 1
fi
if [ ! -f /usr/aarch64-linux-gnu/lib/libc.a ]; then
        echo "build-guest-arm64: no static aarch64 libc (apt-get install libc6-dev-arm64-cross)" >&2
        exit 1
fi
if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$root" --cross-file "$root/cross/aarch64-linux-gnu.ini" \
                -Dguest_only=true ${ROSS_WERROR:+--werror} >/dev/null
fi
ninja -C "$build" programs/ross-init >/dev/null || {
        ninja -C "$build" programs/ross-init
        exit 1
}
echo "$build/programs/ross-init"
