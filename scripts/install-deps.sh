#!/usr/bin/env bash
# Install every Debian package that building, testing and using Ross needs.
# Idempotent: packages already present are left alone. Run as root.
set -euo pipefail

PACKAGES=(
        # build
        build-essential meson ninja-build pkg-config clang clang-format libclang-rt-14-dev
        libcurl4-openssl-dev libmicrohttpd-dev libjansson-dev libarchive-dev
        libssl-dev libsqlite3-dev libzstd-dev liblzma-dev zlib1g-dev libisal-dev libseccomp-dev libcap-dev
        # run
        crun runc ca-certificates
        # bridge networks (docs/network.md): podman's backend, its DNS, the firewall it drives
        netavark aardvark-dns iptables
        # the qemu runtime: QEMU's microvm and Debian's generic kernel (docs/vm.md)
        qemu-system-x86 linux-image-amd64
        # the aarch64 guest (docs/vm.md): ross-init cross-built, booted under qemu-system-aarch64;
        # depmod (kmod) for the arm64 kernel that scripts/fetch-guest-arm64.sh unpacks
        qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross kmod
        # tests
        bats docker-registry apache2-utils openssl busybox-static skopeo
        python3 python3-cryptography docker.io jq curl zstd gzip tar
        attr tmux util-linux sqlite3 umoci xfsprogs libcap2-bin
        buildah python3-docker docker-compose
        # the benchmarks' peers (bench/): podman and its conmon
        podman conmon
)

missing=()
for p in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
                missing+=("$p")
        fi
done

if [ "${#missing[@]}" -eq 0 ]; then
        echo "install-deps: all packages present"
else
        echo "install-deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}"

        # docker.io pulls in a Docker daemon and containerd; Ross tests use only the
        # client, so keep those services from holding ports or cgroups.
        for svc in docker.service docker.socket containerd.service; do
                systemctl disable --now "$svc" >/dev/null 2>&1 || true
        done
fi

# The aarch64 guest's kernel and busybox, Debian's arm64 packages unpacked into a cache
# (nothing installed, the machine's apt left alone); kept once there. CI must have them
# (tests/vm/guest-arm64.sh skips without them); elsewhere a failure is only a warning.
if ! "$(dirname "$0")/fetch-guest-arm64.sh" >/dev/null; then
        echo "install-deps: could not fetch the aarch64 guest (scripts/fetch-guest-arm64.sh)" >&2
        [ -z "${CI:-}" ] || exit 1
fi
