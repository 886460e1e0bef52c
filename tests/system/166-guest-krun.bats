#!/usr/bin/env bats
# ross-init --krun, the guest agent under libkrun: run for real on this host in new
# namespaces, in a root where a script has mounted what libkrun's init mounts, with unix
# sockets for its vsock channels and bound directories for its virtio-fs volumes
# (tests/vm/guest-krun.sh; tests/vm/krunctl.py plays the shim). Seconds.

bats_require_minimum_version 1.5.0

load helpers

@test "guest krun: ross-init --krun runs the command, its execs, signals and volumes" {
        run "$ROOT/tests/vm/guest-krun.sh"
        echo "$output"
        if [[ "${lines[0]}" == "1..0 # SKIP "* ]]; then
                skip "${lines[0]#1..0 # SKIP }"
        fi
        assert_status 0
        [[ "$output" != *"not ok "* ]]
        # every check ran: the plan is at the end, and all of it passed
        [ "$(grep -c '^ok ' <<<"$output")" = "$(sed -n 's/^1\.\.//p' <<<"$output")" ]
        [ "$(grep -c '^ok ' <<<"$output")" -ge 58 ]
}
