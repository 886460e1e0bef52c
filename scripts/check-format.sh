#!/usr/bin/env bash
# Check (or with --fix, apply) .clang-format on every C source file.
set -euo pipefail
cd "$(dirname "$0")/.."
cf=$(command -v clang-format-14 || command -v clang-format)
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ "${1:-}" = --fix ]; then
        "$cf" -i "${files[@]}"
        exit 0
fi
if ! "$cf" --dry-run --Werror "${files[@]}"; then
        echo "check-format: run scripts/check-format.sh --fix" >&2
        exit 1
fi
echo "check-format: ${#files[@]} files formatted"
