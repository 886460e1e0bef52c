#!/usr/bin/env bash
# Ross quick start on a fresh Debian 12 machine, as root:
#   install dependencies, build, start a local registry with a test image on 127.0.0.1,
#   start ross-daemon with its default directories, pull the image, list it and run a
#   container from it.
# The daemon and registry are left running; their PIDs and logs are under /run/ross-quickstart.
# For tests: ROSS_BUILD_DIR (default build), ROSS_QUICKSTART_PORT (5000), ROSS_QUICKSTART_DIR
# (/run/ross-quickstart), ROSS_QUICKSTART_DATA and ROSS_QUICKSTART_RUN (the daemon's
# directories; default /var/lib/ross and /run/ross).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/install-deps.sh
build=${ROSS_BUILD_DIR:-$root/build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build"

qs=${ROSS_QUICKSTART_DIR:-/run/ross-quickstart}
data=${ROSS_QUICKSTART_DATA:-/var/lib/ross}
run=${ROSS_QUICKSTART_RUN:-/run/ross}
sock=$run/ross.sock
mkdir -p "$qs"
port=${ROSS_QUICKSTART_PORT:-5000}
reg=127.0.0.1:$port

# A registry of our own, from Debian's docker-registry package.
if ! curl -sf "http://$reg/v2/" >/dev/null; then
        mkdir -p "$qs/registry"
        cat >"$qs/registry/config.yml" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $qs/registry/data
http:
  addr: $reg
YAML
        /usr/bin/docker-registry serve "$qs/registry/config.yml" >"$qs/registry/log" 2>&1 &
        echo $! >"$qs/registry/pid"
        for _ in $(seq 1 100); do curl -sf "http://$reg/v2/" >/dev/null && break; sleep 0.1; done
fi
/usr/bin/python3 tests/world/mkimages.py --registry "http://$reg" --only busybox busybox-full

# The daemon, with its default data dir (/var/lib/ross) and socket (/run/ross/ross.sock).
if ! curl -sf --unix-socket "$sock" http://ross/_ping >/dev/null 2>&1; then
        "$build/programs/ross-daemon" start --data-dir "$data" --run-dir "$run" \
                --insecure-registry "$reg" >"$qs/daemon.log" 2>&1 &
        echo $! >"$qs/daemon.pid"
        for _ in $(seq 1 100); do
                curl -sf --unix-socket "$sock" http://ross/_ping >/dev/null 2>&1 && break
                sleep 0.05
        done
fi

cli="$build/programs/ross-cli --host unix://$sock"
$cli image pull "$reg/busybox-full"
$cli image list
$cli run --rm "$reg/busybox" echo "hello from a Ross container"
echo
echo "ross-daemon is running (pid $(cat "$qs/daemon.pid" 2>/dev/null || echo '?'), log $qs/daemon.log)."
echo "Try: $cli image inspect $reg/busybox-full"
