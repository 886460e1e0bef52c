# The TAP helpers of the guest tests (sourced by guest-smoke.sh, guest-arm64.sh and
# guest-krun.sh). LAST is the directory of the run being checked; a failure shows the tail
# of its TAP_LOGS files (those that are not empty), once per run. The caller prints the
# plan ("1..$n") at the end and exits by $failed.
n=0
failed=0
LAST=
TAP_SHOWN=
TAP_LOGS=(frames stdout stderr tty console.log)

skip_all() {
        echo "1..0 # SKIP $*"
        exit 0
}
pass() {
        n=$((n + 1))
        echo "ok $n - $1"
}
fail() {
        n=$((n + 1))
        failed=$((failed + 1))
        echo "not ok $n - $1"
        if [ -n "$LAST" ] && [ "$LAST" != "$TAP_SHOWN" ]; then
                TAP_SHOWN=$LAST
                local f
                for f in "${TAP_LOGS[@]}"; do
                        [ -s "$LAST/$f" ] || continue
                        echo "#   --- $f"
                        tail -n 30 "$LAST/$f" | sed 's/^/#   /'
                done
        fi
}
# check DESCRIPTION COMMAND...
check() {
        local d=$1
        shift
        if "$@"; then pass "$d"; else fail "$d"; fi
}
# has FILE TEXT: the run's FILE holds TEXT
has() { grep -qF -- "$2" "$LAST/$1"; }
