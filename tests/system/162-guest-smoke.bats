#!/usr/bin/env bats
# ross-init as the /init of a real x86_64 QEMU microvm under TCG (tests/vm/guest-smoke.sh):
# Debian's kernel, a busybox root over 9p, tests/vm/vmctl.py as the host on the control
# channel. Stdio and exit codes; user, groups, env, volumes, tmpfs, rlimits and the /etc
# files; execs with their pipes, pty, stdin and failures (126, 127); FAILED for a command
# that never runs; the stdin port; a command on /dev/hvc0. Nine boots, about 25 s here
# through the kernel's PVH entry (ROSS_VM_PVH=1; 40 s as the bzImage).

bats_require_minimum_version 1.5.0

load helpers

@test "guest smoke: ross-init as /init of a QEMU microvm passes every check of tests/vm/guest-smoke.sh" {
        ROSS_BUILD_DIR=$BUILD ROSS_VM_PVH=1 run "$ROOT/tests/vm/guest-smoke.sh"
        echo "$output"
        if [[ "${lines[0]}" == "1..0 # SKIP "* ]]; then
                skip "${lines[0]#1..0 # SKIP }"
        fi
        assert_status 0
        [[ "$output" != *"not ok "* ]]
        # every check ran: the plan is at the end, and all of it passed
        [ "$(grep -c '^ok ' <<<"$output")" = "$(sed -n 's/^1\.\.//p' <<<"$output")" ]
        [ "$(grep -c '^ok ' <<<"$output")" -ge 51 ]
}
