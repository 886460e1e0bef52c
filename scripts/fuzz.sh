#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for a while.
#   scripts/fuzz.sh [SECONDS per target, default 10]
# New inputs that grow coverage stay in a scratch copy of the corpus; a crash input is
# copied into tests/fuzz/corpus/<target>/ (so every build replays it) and fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
build=${ROSS_FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
                -Db_lundef=false >/dev/null || exit 1
fi
ninja -C "$build" >/dev/null || exit 1

failed=0
for t in reference manifest auth tar log logopt stats push config-changes vm-config; do
        scratch=$(mktemp -d)
        cp tests/fuzz/corpus/$t/* "$scratch/"
        art=$(mktemp -d)
        if "$build/tests/fuzz/fuzz-$t" -max_total_time="$secs" -max_len=65536 \
                -artifact_prefix="$art/" "$scratch" >"$art/log" 2>&1; then
                echo "ok - fuzz-$t ($secs s, $(ls "$scratch" | wc -l) corpus inputs)"
        else
                echo "not ok - fuzz-$t found a crash:"
                tail -n 30 "$art/log"
                for c in "$art"/crash-* "$art"/leak-* "$art"/timeout-*; do
                        [ -f "$c" ] && cp "$c" "tests/fuzz/corpus/$t/"
                done
                failed=1
        fi
        rm -rf "$scratch" "$art"
done
exit $failed
