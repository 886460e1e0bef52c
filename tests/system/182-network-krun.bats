#!/usr/bin/env bats
# krun VM containers on bridge networks: the shim makes a tap in the container's network
# namespace, redirected to and from netavark's interface as for qemu, and ross-krun, in that
# namespace, names it to libkrun (krun_add_net_tap) with the endpoint's MAC. libkrun cannot
# run here (no libkrun package, no usable KVM), so the daemon loads Ross's TEST DOUBLE for
# libkrun (tests/krun/fake-libkrun.c): it opens the tap as libkrun's tap backend does and,
# with ROSS_FAKE_KRUN_NET_GUEST, plays a guest on it (an eth0 of its own in a namespace of its
# own, which the test's script configures as ross-init would). Everything else is real:
# netavark, the bridge, aardvark-dns, the published port, the traffic. Each test's daemon
# runs in a network namespace of its own (start_daemon_netns).

bats_require_minimum_version 1.5.0

load helpers

IMG=${REG_PLAIN:-127.0.0.1:15000}/busybox
FAKE_FULL=$BUILD/tests/krun/libkrun-fake-full.so.1
FAKE_18=$BUILD/tests/krun/libkrun-fake-1.8.so.1

setup() {
        [ -f "$FAKE_FULL" ] || skip "the libkrun test double is not built ($FAKE_FULL)"
        export ROSS_FAKE_KRUN_LOG=$BATS_TEST_TMPDIR/krun.jsonl
        unset ROSS_FAKE_KRUN_EXIT ROSS_FAKE_KRUN_FAIL ROSS_FAKE_KRUN_RUN ROSS_FAKE_KRUN_NET_GUEST
        start_daemon_netns "$IMG"
}

teardown() {
        [ -n "${G:-}" ] && touch "$G/done" 2>/dev/null
        teardown_netns
}

krun_daemon() { # LIBRARY
        stop_daemon
        start_daemon --krun-library "$1"
}

# The records of one libkrun call, one JSON object a line.
call() { jq -c "select(.call == \"$1\")" "$ROSS_FAKE_KRUN_LOG"; }

# What names a container after it is gone (as 180-network.bats checks it).
residue() { # ID
        local id=$1
        in_netns iptables-save | grep -e "$id" || true
        grep -rl -e "$id" "$RUN/networks/ipam" 2>/dev/null || true
        ls "$RUN/networks/netns" 2>/dev/null | grep -e "$id" || true
}

@test "a krun VM container on a network: HTTP to a namespace container by name and through -p, and back" {
        # the guest: eth0 set from ross-init's config (as ross-init sets it), a web server,
        # a fetch from the namespace container by the name aardvark-dns gives; it stays up
        # until the test says it is done
        G=$BATS_TEST_TMPDIR/guest
        mkdir -p "$G/www"
        printf in-a-krun-vm >"$G/www/id"
        export ROSS_FAKE_KRUN_NET_GUEST="
                set -e
                net=\$(sed -n 's/^net=//p' \"\$ROSS_FAKE_KRUN_ROOT/.ross/config\")
                echo \"\$net \$ROSS_FAKE_KRUN_MAC\" >$G/net
                ip link set lo up
                ip addr add \${net% *} dev eth0
                ip link set eth0 up
                ip route add default via \${net#* }
                busybox httpd -f -p 8080 -h $G/www & web=\$!
                trap 'kill \$web' EXIT
                ns=\$(busybox nslookup ns \${net#* } | awk '/^Address/ { a = \$NF } END { print a }')
                busybox wget -q -O $G/fetched http://\$ns/id
                touch $G/up
                for i in \$(seq 150); do [ -e $G/done ] && exit 0; sleep 0.05; done
                exit 3"
        krun_daemon "$FAKE_FULL"
        ross network create kn >/dev/null
        mkdir -p "$BATS_TEST_TMPDIR/www"
        printf in-a-namespace >"$BATS_TEST_TMPDIR/www/id"
        ross run -d --name ns --network kn -v "$BATS_TEST_TMPDIR/www:/www:ro" "$IMG" \
                busybox httpd -f -p 80 -h /www >/dev/null
        # the double's guest ends when the test is done: the start returns then
        ross run -d --runtime krun --name kvm --network kn -p 127.0.0.1:18600:8080 "$IMG" true \
                >"$BATS_TEST_TMPDIR/run.out" 2>&1 &
        local runner=$!
        for _ in $(seq 160); do [ -e "$G/up" ] && break; sleep 0.05; done
        [ -e "$G/up" ] || { cat "$BATS_TEST_TMPDIR/run.out" "$DAEMON_LOG"; false; }
        # the host reaches the VM through -p, a namespace container by its name
        run in_netns curl -s --max-time 5 http://127.0.0.1:18600/id
        [ "$output" = in-a-krun-vm ]
        run ross exec ns busybox wget -q -O - http://kvm:8080/id
        [ "$output" = in-a-krun-vm ]
        # and the VM reached the namespace container by name
        [ "$(cat "$G/fetched")" = in-a-namespace ]
        touch "$G/done"
        wait "$runner"
        # libkrun got the tap with the guest's MAC (Docker's 02:42 + its address) and the
        # offloads; no TSI port map
        read -r addr gw mac <"$G/net"
        [ "$(call krun_add_net_tap | jq -c '[.tap_name, .mac, .features, .flags, .ret]')" = \
                "[\"tap0\",\"$mac\",19587,0,0]" ]
        [ -z "$(call krun_set_port_map)" ]
        # the guest's config: an address of the network's subnet, its gateway
        [ "$gw" = "$(ross network inspect kn | jq -r '.[0].IPAM.Config[0].Gateway')" ]
        subnet=$(ross network inspect kn | jq -r '.[0].IPAM.Config[0].Subnet')
        [ "${addr#*/}" = "${subnet#*/}" ]
        [ "${addr%.*}" = "${gw%.*}" ]
        ip4=${addr%/*}
        # shellcheck disable=SC2086
        [ "$mac" = "$(printf '02:42:%02x:%02x:%02x:%02x' ${ip4//./ })" ]
        [ "$(ross inspect kvm | jq -r '(.[0] // .).State.ExitCode')" = 0 ]
        # the exit tore it all down
        id=$(ross inspect kvm | jq -r '(.[0] // .).Id')
        ross rm kvm >/dev/null
        run residue "$id"
        [ -z "$output" ] || { echo "left: $output"; false; }
}

@test "krun: the default network is the bridge when libkrun can take a NIC; libkrun 1.8 keeps none and refuses a network" {
        krun_daemon "$FAKE_FULL"
        run ross run --runtime krun --name kd "$IMG" true
        assert_status 0
        [ "$(ross inspect kd | jq -r '(.[0] // .).NetworkSettings.Networks | keys[]')" = bridge ]
        id=$(ross inspect kd | jq -r '(.[0] // .).Id')
        grep -q '^net=172\.17\.[0-9.]*/16 172\.17\.0\.1$' "$DATA/containers/$id/rootfs/.ross/config"
        [ "$(call krun_add_net_tap | jq -r .tap_name)" = tap0 ]
        ross rm kd >/dev/null
        # a library without krun_add_net_tap: no --network given is none (TSI), a network is
        # refused at create with what is needed
        : >"$ROSS_FAKE_KRUN_LOG"
        krun_daemon "$FAKE_18"
        run ross run --runtime krun --name k18 "$IMG" true
        assert_status 0
        [ "$(ross inspect k18 | jq -r '(.[0] // .).NetworkSettings.Networks | keys[]')" = none ]
        [ -z "$(call krun_add_net_tap)" ]
        ross network create kn18 >/dev/null
        run ross run --runtime krun --network kn18 "$IMG" true
        assert_status 125
        assert_output_contains "cannot put a VM on a network: that needs krun_add_net_tap (libkrun 1.15 or later"
        assert_output_contains "use --network none"
}
