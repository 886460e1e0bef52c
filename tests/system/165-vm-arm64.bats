#!/usr/bin/env bats
# The aarch64 guest (issue 10): ross-init cross-built for aarch64 boots Debian's arm64
# kernel in qemu-system-aarch64 (virt, TCG) with the qemu backend's initramfs and devices,
# and runs commands there (tests/vm/guest-arm64.sh, two boots, seconds each).

bats_require_minimum_version 1.5.0

load helpers

@test "vm arm64: the cross-built ross-init runs commands in an aarch64 guest" {
        run "$ROOT/tests/vm/guest-arm64.sh"
        echo "$output"
        if [[ "${lines[0]}" == "1..0 # SKIP "* ]]; then
                skip "${lines[0]#1..0 # SKIP }"
        fi
        assert_status 0
        [[ "$output" != *"not ok "* ]]
        # every check ran: the plan is at the end, and all of it passed
        [ "$(grep -c '^ok ' <<<"$output")" = "$(sed -n 's/^1\.\.//p' <<<"$output")" ]
        [ "$(grep -c '^ok ' <<<"$output")" -ge 18 ]
}
