#!/bin/bash
# Hands-on proof that netavark 1.4 + aardvark-dns 1.4 give Ross bridge networks, published
# ports and DNS by name, with the cost per container start of netavark and of the CNI plugins.
#
# All of it runs in a network, PID and mount namespace that this script makes (unshare), so the
# bridge, the firewall rules, aardvark-dns, dnsmasq and every address live and die with it. That
# namespace has no interface but lo and the bridges made here: no packet can leave it. Servers
# listen on 127.0.0.1 or inside the container namespaces made here.
#
# Usage: tests/net/netavark-proof.sh [--no-bench]     (root; ROUNDS=N sets the timing rounds)
# Prints "ok"/"not ok" lines, the timings, and "N passed, N failed"; exits non-zero on a failure.
set -euo pipefail

NETAVARK=${NETAVARK:-/usr/lib/podman/netavark}
AARDVARK=${AARDVARK:-/usr/lib/podman/aardvark-dns}
CNI_DIR=${CNI_DIR:-/usr/lib/cni}
ROUNDS=${ROUNDS:-15}
PY=/usr/bin/python3

# ---------------------------------------------------------------------------------------------
# Outer part: packages, a picture of the host before and after, the namespaces.
# ---------------------------------------------------------------------------------------------

# What this script could leave on the host if it leaked: links, firewall rules, named netns,
# DNS daemons. Counters are dropped so that traffic of others does not count as a change.
host_state() {
        ip -o link show | awk -F': ' '{print $2}' | sort
        iptables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
        ip6tables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
        nft list ruleset 2>/dev/null | sed -E 's/packets [0-9]+ bytes [0-9]+//'
        ls /run/netns 2>/dev/null || true
        pgrep -x aardvark-dns || true
        pgrep -x dnsmasq || true
}

outer() {
        if [ "$(id -u)" != 0 ]; then
                echo "netavark-proof: needs root (netns, veth, iptables)" >&2
                exit 1
        fi
        local need=() pkg
        for pkg in netavark aardvark-dns containernetworking-plugins \
                golang-github-containernetworking-plugin-dnsname busybox-static iptables \
                nftables jq curl python3 util-linux iproute2; do
                dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
        done
        if [ ${#need[@]} -gt 0 ]; then
                echo "# installing: ${need[*]}"
                apt-get update -qq >/dev/null
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                        "${need[@]}" >/dev/null
        fi

        local work before after rc=0
        work=$(mktemp -d /tmp/ross-netproof.XXXXXX)
        trap 'rm -rf "$work"' EXIT
        before=$(host_state)

        # --kill-child: should this shell die, the namespace's first process goes with it, and
        # with it every process in the PID namespace (aardvark-dns, dnsmasq, servers).
        unshare --net --pid --fork --kill-child --mount-proc --propagation private \
                -- bash "$0" --inner "$work" "$@" || rc=$?

        # Give the kernel a moment to free the namespaces, then compare.
        sleep 0.5
        after=$(host_state)
        if [ "$before" = "$after" ]; then
                echo "ok - host: no link, firewall rule, netns or DNS daemon left behind"
        else
                echo "not ok - host changed:"
                diff <(echo "$before") <(echo "$after") | sed 's/^/#   /' || true
                rc=1
        fi
        exit $rc
}

if [ "${1:-}" != --inner ]; then
        outer "$@"
fi

# ---------------------------------------------------------------------------------------------
# Inner part: runs as PID 1 of its own PID namespace, in its own network and mount namespace.
# ---------------------------------------------------------------------------------------------
W=$2
shift 2
BENCH=1
[ "${1:-}" = --no-bench ] && BENCH=0

PASS=0
FAIL=0
check() { # description, command...
        local what=$1
        shift
        if "$@"; then
                PASS=$((PASS + 1))
                echo "ok - $what"
        else
                FAIL=$((FAIL + 1))
                echo "not ok - $what"
        fi
}
timed() { # like check, with the wall time of the netavark call in the line
        local what=$1 rc=0
        shift
        "$@" || rc=$?
        check "$what ($((LAST_US / 1000)).$((LAST_US / 100 % 10)) ms)" test $rc = 0
}
finish() {
        echo "$PASS passed, $FAIL failed"
        [ "$FAIL" = 0 ]
}

ip link set lo up
mkdir -p "$W/ns" "$W/run" "$W/cni-ipam" "$W/cni-cache" "$W/xdg" "$W/www"
echo hello-from-web >"$W/www/index.html"
echo hello-from-9091 >"$W/www/p9091"
export XDG_RUNTIME_DIR=$W/xdg # dnsname keeps dnsmasq's files under it

# A container's network namespace, held by a bind mount on a file (util-linux unshare), as a
# runtime holds one until its teardown has run. The mount lives in this mount namespace only.
mkns() {
        touch "$W/ns/$1"
        unshare --net="$W/ns/$1" ip link set lo up
}
rmns() {
        umount "$W/ns/$1"
        rm -f "$W/ns/$1"
}
in_ns() { # name, command...
        local n=$1
        shift
        nsenter --net="$W/ns/$n" "$@"
}

quiet() { "$@" >/dev/null; }

# One netavark call; its wall time in microseconds goes to LAST_US, its stdout to $W/out.json.
LAST_US=0
nv() { # setup|teardown, container-ns-name, options-file
        local t0 t1 rc=0
        t0=$EPOCHREALTIME
        "$NETAVARK" --config "$W/run" --rootless false --aardvark-binary "$AARDVARK" \
                "$1" "$W/ns/$2" <"$3" >"$W/out.json" 2>>"$W/netavark.log" || rc=$?
        t1=$EPOCHREALTIME
        LAST_US=$((${t1/./} - ${t0/./}))
        if [ $rc != 0 ]; then
                echo "# netavark $1 $2 failed (exit $rc): $(cat "$W/out.json")"
        fi
        return $rc
}

# A network definition as netavark 1.4 reads it (podman's network file; netavark ignores the
# fields it does not know, such as podman's created and labels).
net_def() { # name, bridge, subnet, gateway, dns_enabled
        jq -n --arg name "$1" --arg br "$2" --arg subnet "$3" --arg gw "$4" --argjson dns "$5" \
                --arg id "$(cid "network $1")" '{
                name: $name,
                id: $id,
                driver: "bridge",
                network_interface: $br,
                subnets: [{subnet: $subnet, gateway: $gw}],
                ipv6_enabled: false,
                internal: false,
                dns_enabled: $dns,
                options: {isolate: "true"},
                ipam_options: {driver: "host-local"}
        }'
}

# The per-container input of netavark setup/teardown. Ross must choose the IP (no IPAM in
# netavark) and give one port mapping per protocol ("tcp,udp" fails with the iptables driver).
ctr_opts() { # id, name, network-def-file, ip, aliases-json, ports-json
        jq -n --arg id "$1" --arg name "$2" --slurpfile net "$3" --arg ip "$4" \
                --argjson aliases "$5" --argjson ports "$6" '{
                container_id: $id,
                container_name: $name,
                networks: {($net[0].name): {
                        interface_name: "eth0",
                        static_ips: [$ip],
                        aliases: $aliases
                }},
                network_info: {($net[0].name): $net[0]},
                port_mappings: $ports
        }'
}

port() { # host_ip host_port container_port range protocol
        jq -n --arg h "$1" --argjson hp "$2" --argjson cp "$3" --argjson r "$4" --arg p "$5" \
                '{host_ip: $h, host_port: $hp, container_port: $cp, range: $r, protocol: $p}'
}

# A container id of the shape Ross uses (64 hex digits), from a short name.
cid() { printf '%s' "$1" | sha256sum | cut -c1-64; }

resolve() { # client-ns, dns-server, name -> the addresses busybox nslookup got
        in_ns "$1" busybox nslookup "$3" "$2" 2>/dev/null |
                awk '/^Name:/ {n = 1} n && /^Address/ {print $2}' | sort -u
}

wait_tcp() { # ns, port: a server is up, at most 5 s
        local i
        for i in $(seq 50); do
                in_ns "$1" timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$2" 2>/dev/null && return 0
                sleep 0.1
        done
        return 1
}

# ---------------------------------------------------------------------------------------------
# 1. Two containers on one bridge network with DNS, ports published on 127.0.0.1.
# ---------------------------------------------------------------------------------------------
echo "# netavark $("$NETAVARK" --version | awk '{print $2}'), aardvark-dns" \
        "$("$AARDVARK" --version 2>/dev/null | awk '{print $2}'), iptables $(iptables --version)"

net_def proof rossbr0 10.89.77.0/24 10.89.77.1 true >"$W/net-proof.json"
net_def other rossbr1 10.89.78.0/24 10.89.78.1 true >"$W/net-other.json"

web_ports=$(jq -s . <(port 127.0.0.1 18080 80 1 tcp) <(port 127.0.0.1 18081 8081 1 udp) \
        <(port 127.0.0.1 18090 9090 2 tcp))
ctr_opts "$(cid web)" web "$W/net-proof.json" 10.89.77.2 '["www"]' "$web_ports" >"$W/web.json"
ctr_opts "$(cid client)" client "$W/net-proof.json" 10.89.77.3 '[]' null >"$W/client.json"
ctr_opts "$(cid stranger)" stranger "$W/net-other.json" 10.89.78.2 '[]' null >"$W/stranger.json"

for c in web client stranger; do
        mkns $c
        timed "netavark setup $c" nv setup $c "$W/$c.json"
        cp "$W/out.json" "$W/$c.status.json"
done

# The StatusBlock: one entry per network, keyed by network name.
check "StatusBlock of web: eth0 has 10.89.77.2/24 via 10.89.77.1, DNS 10.89.77.1" \
        quiet \
        jq -e '.proof.interfaces.eth0.subnets[0] == {gateway: "10.89.77.1", ipnet: "10.89.77.2/24"}
                and .proof.dns_server_ips == ["10.89.77.1"]
                and .proof.dns_search_domains == ["dns.podman"]
                and (.proof.interfaces.eth0.mac_address | test("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$"))' \
        "$W/web.status.json"
echo "# StatusBlock(web): $(cat "$W/web.status.json")"

check "web's namespace: eth0 10.89.77.2/24, default route via 10.89.77.1" \
        bash -c "nsenter --net='$W/ns/web' ip -4 -o addr show eth0 | grep -q 'inet 10.89.77.2/24' &&
                 nsenter --net='$W/ns/web' ip route | grep -q '^default via 10.89.77.1 dev eth0'"

# aardvark-dns: one file per network under --config/aardvark-dns, one server for all networks.
echo "# $W/run/aardvark-dns/proof:"
sed 's/^/#   /' "$W/run/aardvark-dns/proof" || true
check "aardvark-dns config: gateway line, then 'id ipv4 ipv6 name,aliases'" \
        bash -c "head -1 '$W/run/aardvark-dns/proof' | grep -qx 10.89.77.1 &&
                 grep -qx '$(cid web) 10.89.77.2  web,www' '$W/run/aardvark-dns/proof'"
AARDVARK_PID=$(cat "$W/run/aardvark-dns/aardvark.pid" 2>/dev/null || echo none)
check "aardvark-dns runs (pid $AARDVARK_PID) and listens on 10.89.77.1:53 and 10.89.78.1:53" \
        bash -c "ss -Hlnup | grep -q '10.89.77.1:53 .*aardvark' &&
                 ss -Hlnup | grep -q '10.89.78.1:53 .*aardvark'"

# Servers in web: HTTP on 80 and 9091, a UDP echo on 8081 (nsenter itself in the background,
# so that $! is the server's pid).
nsenter --net="$W/ns/web" busybox httpd -f -p 80 -h "$W/www" &
HTTPD80=$!
nsenter --net="$W/ns/web" busybox httpd -f -p 9091 -h "$W/www" &
HTTPD9091=$!
nsenter --net="$W/ns/web" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 8081))
while True:
    data, peer = s.recvfrom(512)
    s.sendto(b"echo:" + data, peer)
' &
UDPECHO=$!
check "web's servers listen on 80 and 9091" bash -c "$(declare -f in_ns wait_tcp); W='$W'
        wait_tcp web 80 && wait_tcp web 9091"

check "client resolves web through aardvark-dns: 10.89.77.2" \
        test "$(resolve client 10.89.77.1 web)" = 10.89.77.2
check "client resolves web's alias www and www.dns.podman: 10.89.77.2" \
        test "$(resolve client 10.89.77.1 www) $(resolve client 10.89.77.1 www.dns.podman)" \
        = "10.89.77.2 10.89.77.2"

# By name through the libc resolver, with the container's own /etc/resolv.conf as Ross would
# write it from the StatusBlock (a bind mount in a mount namespace of its own).
printf 'nameserver 10.89.77.1\nsearch dns.podman\n' >"$W/resolv.client"
check "client: curl http://web/ and http://www/ by name" \
        test "$(in_ns client unshare -m sh -c "mount --bind '$W/resolv.client' /etc/resolv.conf &&
                curl -s -m 5 http://web/ && curl -s -m 5 http://www/")" \
        = "$(printf 'hello-from-web\nhello-from-web')"

check "outer namespace: curl 127.0.0.1:18080 reaches web:80" \
        test "$(curl -s -m 5 http://127.0.0.1:18080/)" = hello-from-web
check "outer namespace: range 18090-18091 -> 9090-9091, curl 127.0.0.1:18091/p9091" \
        test "$(curl -s -m 5 http://127.0.0.1:18091/p9091)" = hello-from-9091
check "outer namespace: udp 127.0.0.1:18081 reaches web's echo on 8081" \
        test "$("$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"ping", ("127.0.0.1", 18081))
print(s.recvfrom(512)[0].decode())')" = echo:ping

# Another network: its container does not see web's name, nor its address (isolate=true).
check "stranger (network other) gets no answer for web from its aardvark-dns" \
        test -z "$(resolve stranger 10.89.78.1 web)"
check "stranger cannot reach 10.89.77.2:80 across networks (options.isolate=true)" \
        bash -c "! nsenter --net='$W/ns/stranger' curl -s -m 2 http://10.89.77.2/ >/dev/null"

echo "# firewall rules while web, client and stranger run (iptables-save, nat and filter):"
iptables-save | grep -E '^-A' | grep -i netavark | sed 's/^/#   /'

# ---------------------------------------------------------------------------------------------
# 2. Teardown: with the same input as setup; then nothing of the containers is left.
# ---------------------------------------------------------------------------------------------
kill $HTTPD80 $HTTPD9091 $UDPECHO || true
wait $HTTPD80 $HTTPD9091 $UDPECHO 2>/dev/null || true
for c in web client stranger; do
        timed "netavark teardown $c" nv teardown $c "$W/$c.json"
        rmns $c
done

check "no link left but lo (veths and both bridges gone)" \
        test "$(ip -o link show | awk -F': ' '{print $2}')" = lo
check "no firewall rule names a container address, port or id" \
        bash -c "! iptables-save | grep -E '10\.89\.7[78]\.|1808[01]|1809[01]|$(cid web | cut -c1-12)'"
check "aardvark-dns: no network file left, pid file gone" \
        test -z "$(ls "$W/run/aardvark-dns")"
check "aardvark-dns (pid $AARDVARK_PID) exited after the last DNS entry went" \
        bash -c "sleep 0.2; ! pgrep -x aardvark-dns >/dev/null"
echo "# left by netavark 1.4 after the last teardown (global chains and jumps; empty):"
iptables-save | grep -E '^(-A|:)' | grep -i netavark | sed -E 's/ \[[0-9]+:[0-9]+\]//; s/^/#   /'
echo "# net.ipv4.ip_forward=$(cat /proc/sys/net/ipv4/ip_forward) (set by netavark, not reset)"

# ---------------------------------------------------------------------------------------------
# 3. Cost per container start: netavark and the CNI plugins, same namespace, same machine.
# ---------------------------------------------------------------------------------------------
median() { # microseconds on stdin -> median in ms with one decimal
        sort -n | awk '{v[NR] = $1} END {
                m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%.1f", m / 1000 }'
}
report() { # label, setup-file, teardown-file
        printf '# %-58s setup %6s ms   teardown %6s ms   (median of %d)\n' "$1" \
                "$(median <"$2")" "$(median <"$3")" "$(wc -l <"$2")"
}

# netavark: ROUNDS setups and teardowns of one container.
nv_bench() { # label, network-def-file, ip, port-mappings-json
        local i
        : >"$W/t.setup"
        : >"$W/t.teardown"
        ctr_opts "$(cid bench)" bench "$2" "$3" '[]' "$4" >"$W/bench.json"
        mkns bench
        for i in $(seq "$ROUNDS"); do
                nv setup bench "$W/bench.json" >/dev/null || return 1
                echo $LAST_US >>"$W/t.setup"
                nv teardown bench "$W/bench.json" || return 1
                echo $LAST_US >>"$W/t.teardown"
        done
        rmns bench
        report "$1" "$W/t.setup" "$W/t.teardown"
}

# CNI: a conflist run as libcni runs it: ADD plugin by plugin, each given the previous result;
# DEL in reverse order, each given the cached ADD result. Only the plugin execs are timed.
CNI_US=0
cni() { # ADD|DEL, conflist, id, ns-name, runtime-config-json, name
        local cmd=$1 conf=$2 id=$3 ns=$4 rc=$5 name=$6
        local n i type prev=null t0 t1 order
        n=$(jq '.plugins | length' "$conf")
        if [ "$cmd" = ADD ]; then
                order=$(seq 0 $((n - 1)))
        else
                order=$(seq $((n - 1)) -1 0)
                prev=$(cat "$W/cni-cache/$id")
        fi
        CNI_US=0
        for i in $order; do
                jq -c --argjson i "$i" --argjson prev "$prev" --argjson rc "$rc" '
                        .plugins[$i] as $p
                        | $p + {cniVersion: .cniVersion, name: .name}
                        | if $prev != null then . + {prevResult: $prev} else . end
                        | if $p.capabilities then
                                . + {runtimeConfig: ($rc | with_entries(select($p.capabilities[.key])))}
                          else . end' "$conf" >"$W/cni-in.json"
                type=$(jq -r .type "$W/cni-in.json")
                t0=$EPOCHREALTIME
                if ! CNI_COMMAND=$cmd CNI_CONTAINERID=$id CNI_NETNS="$W/ns/$ns" CNI_IFNAME=eth0 \
                        CNI_PATH=$CNI_DIR CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAME=$name" \
                        "$CNI_DIR/$type" <"$W/cni-in.json" >"$W/cni-out.json" 2>>"$W/cni.log"; then
                        echo "# CNI $cmd $type for $name failed: $(cat "$W/cni-out.json")"
                        return 1
                fi
                t1=$EPOCHREALTIME
                CNI_US=$((CNI_US + ${t1/./} - ${t0/./}))
                [ "$cmd" = ADD ] && prev=$(cat "$W/cni-out.json")
        done
        [ "$cmd" = ADD ] && echo "$prev" >"$W/cni-cache/$id"
        return 0
}

cni_conf() { # name, bridge, subnet, gateway, with-dnsname(0|1)
        jq -n --arg name "$1" --arg br "$2" --arg subnet "$3" --arg gw "$4" --arg dir "$W/cni-ipam" \
                --argjson dns "$5" '{
                cniVersion: "1.0.0",
                name: $name,
                plugins: ([
                        {type: "bridge", bridge: $br, isGateway: true, ipMasq: true, hairpinMode: true,
                         ipam: {type: "host-local", dataDir: $dir, routes: [{dst: "0.0.0.0/0"}],
                                ranges: [[{subnet: $subnet, gateway: $gw}]]}},
                        {type: "portmap", capabilities: {portMappings: true}},
                        {type: "firewall", backend: "iptables", ingressPolicy: "same-bridge"},
                        {type: "tuning"}
                ] + (if $dns == 1 then [{type: "dnsname", domainName: "dns.ross",
                                         capabilities: {aliases: true}}] else [] end))
        }'
}

cni_bench() { # label, conflist, runtime-config-json
        local i
        : >"$W/t.setup"
        : >"$W/t.teardown"
        mkns cbench
        for i in $(seq "$ROUNDS"); do
                cni ADD "$2" "$(cid cbench)" cbench "$3" cbench || return 1
                echo $CNI_US >>"$W/t.setup"
                cni DEL "$2" "$(cid cbench)" cbench "$3" cbench || return 1
                echo $CNI_US >>"$W/t.teardown"
        done
        rmns cbench
        report "$1" "$W/t.setup" "$W/t.teardown"
}

if [ $BENCH = 1 ]; then
        echo "# cost of one container's network, wall time of the backend's processes:"
        : >"$W/t.ipt"
        for i in $(seq "$ROUNDS"); do
                t0=$EPOCHREALTIME
                iptables -t nat -C POSTROUTING -j ACCEPT 2>/dev/null || true
                t1=$EPOCHREALTIME
                echo $((${t1/./} - ${t0/./})) >>"$W/t.ipt"
        done
        echo "# one 'iptables -t nat -C' process (netavark and CNI run many): $(median <"$W/t.ipt") ms"
        one_port="[$(port 127.0.0.1 18300 80 1 tcp)]"

        # Warm: another container keeps the bridge, the chains and aardvark-dns up.
        net_def warm rossbr2 10.89.80.0/24 10.89.80.1 true >"$W/net-warm.json"
        ctr_opts "$(cid resident)" resident "$W/net-warm.json" 10.89.80.2 '[]' null \
                >"$W/resident.json"
        mkns resident
        check "netavark setup of a resident container on network warm" \
                quiet nv setup resident "$W/resident.json"
        check "bench: netavark, DNS on, bridge up, no port" \
                nv_bench "netavark, DNS on, bridge up, no port" "$W/net-warm.json" 10.89.80.9 null
        check "bench: netavark, DNS on, bridge up, 1 port" \
                nv_bench "netavark, DNS on, bridge up, 1 port" "$W/net-warm.json" 10.89.80.9 \
                "$one_port"

        net_def nodns rossbr3 10.89.81.0/24 10.89.81.1 false >"$W/net-nodns.json"
        ctr_opts "$(cid resident2)" resident2 "$W/net-nodns.json" 10.89.81.2 '[]' null \
                >"$W/resident2.json"
        mkns resident2
        check "netavark setup of a resident container on network nodns" \
                quiet nv setup resident2 "$W/resident2.json"
        check "bench: netavark, DNS off, bridge up, no port" \
                nv_bench "netavark, DNS off, bridge up, no port" "$W/net-nodns.json" 10.89.81.9 null

        # Cold: the container is alone on its network: setup makes the bridge and the network's
        # chains and starts aardvark-dns; teardown removes them and aardvark-dns exits.
        net_def cold rossbr4 10.89.82.0/24 10.89.82.1 true >"$W/net-cold.json"
        check "bench: netavark, DNS on, alone on its network, 1 port" \
                nv_bench "netavark, DNS on, alone on its network, 1 port" "$W/net-cold.json" \
                10.89.82.9 "$one_port"

        for c in resident resident2; do
                check "netavark teardown $c" nv teardown $c "$W/$c.json"
                rmns $c
        done
        check "netavark: no link of the bench networks left" test "$(ip -o link show | wc -l)" = 1

        # CNI: a resident container keeps the bridge up here too (CNI never removes it).
        cni_conf cninet cnibr0 10.89.90.0/24 10.89.90.1 0 >"$W/cni-plain.conflist"
        cni_conf cnidns cnibr1 10.89.91.0/24 10.89.91.1 1 >"$W/cni-dns.conflist"
        rc_web=$(jq -nc '{portMappings: [{hostIP: "127.0.0.1", hostPort: 18180, containerPort: 80,
                                          protocol: "tcp"}], aliases: {cnidns: ["cwww"]}}')
        rc_none='{}'
        rc_one=$(jq -nc '{portMappings: [{hostIP: "127.0.0.1", hostPort: 18400, containerPort: 80,
                                          protocol: "tcp"}]}')
        mkns cweb
        check "CNI ADD cweb on cninet (bridge, host-local, portmap, firewall, tuning)" \
                cni ADD "$W/cni-plain.conflist" "$(cid cweb)" cweb "$rc_web" cweb
        nsenter --net="$W/ns/cweb" busybox httpd -f -p 80 -h "$W/www" &
        CHTTPD=$!
        check "cweb's server listens on 80" bash -c "$(declare -f in_ns wait_tcp); W='$W'
                wait_tcp cweb 80"
        check "CNI: outer namespace curl 127.0.0.1:18180 reaches cweb:80 through portmap" \
                test "$(curl -s -m 5 http://127.0.0.1:18180/)" = hello-from-web
        mkns cdns
        check "CNI ADD cdns on cnidns (the same plus dnsname)" \
                cni ADD "$W/cni-dns.conflist" "$(cid cdns)" cdns "$rc_web" cdns
        check "CNI: dnsname's dnsmasq answers cdns and alias cwww: 10.89.91.2" \
                test "$(resolve cdns 10.89.91.1 cdns) $(resolve cdns 10.89.91.1 cwww)" \
                = "10.89.91.2 10.89.91.2"

        check "bench: CNI bridge+host-local+portmap+firewall+tuning, no port" \
                cni_bench "CNI bridge+host-local+portmap+firewall+tuning, no port" \
                "$W/cni-plain.conflist" "$rc_none"
        check "bench: CNI bridge+host-local+portmap+firewall+tuning, 1 port" \
                cni_bench "CNI bridge+host-local+portmap+firewall+tuning, 1 port" \
                "$W/cni-plain.conflist" "$rc_one"
        check "bench: CNI the same + dnsname (dnsmasq), no port" \
                cni_bench "CNI the same + dnsname (dnsmasq), no port" "$W/cni-dns.conflist" \
                "$rc_none"

        kill $CHTTPD || true
        wait $CHTTPD 2>/dev/null || true
        check "CNI DEL cweb" cni DEL "$W/cni-plain.conflist" "$(cid cweb)" cweb "$rc_web" cweb
        check "CNI DEL cdns" cni DEL "$W/cni-dns.conflist" "$(cid cdns)" cdns "$rc_web" cdns
        rmns cweb
        rmns cdns
        check "CNI: no host-local lease left" \
                test -z "$(find "$W/cni-ipam" -type f ! -name lock ! -name 'last_reserved_ip*')"
        echo "# left by CNI after the last DEL:"
        echo "#   links: $(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')"
        echo "#   chains: $(iptables-save | grep -E '^:CNI' | cut -d' ' -f1 | tr '\n' ' ')"
        echo "#   dnsmasq: $(pgrep -x dnsmasq || echo none)"
fi

finish
