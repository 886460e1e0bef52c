#!/usr/bin/env bats
# Bridge networks through netavark + aardvark-dns: the default bridge, published ports, user
# networks with DNS by name, connect/disconnect, --network container:, DNS and hosts flags,
# teardown, bad input. Every test runs the daemon in a network namespace of its own
# (start_daemon_netns): bridges, NAT rules and all traffic stay in it.

bats_require_minimum_version 1.5.0

load helpers

IMG=${REG_PLAIN:-127.0.0.1:15000}/busybox
UDP_ECHO=$BUILD/tests/net/udp-echo

setup() {
        start_daemon_netns "$IMG"
}

teardown() {
        teardown_netns
}

# An HTTP server in a container: busybox httpd serving a directory with a file "id" whose
# content is $2. $1 the name, the rest ross run's flags.
web() {
        local name=$1 content=$2
        shift 2
        mkdir -p "$BATS_TEST_TMPDIR/www-$name"
        printf '%s' "$content" >"$BATS_TEST_TMPDIR/www-$name/id"
        ross run -d --name "$name" -v "$BATS_TEST_TMPDIR/www-$name:/www:ro" "$@" "$IMG" \
                busybox httpd -f -p 80 -h /www >/dev/null
}

# Fetch a URL from the test's namespace (never the host's network).
host_get() { in_netns curl -s --max-time 5 "$1"; }

# What names a container after it is gone: firewall rules, its address lease, its network
# namespace, aardvark-dns entries, its network state.
residue() { # ID
        local id=$1
        in_netns iptables-save | grep -e "$id" || true
        grep -rlx -e "$id" "$RUN/networks/ipam" 2>/dev/null || true
        find "$RUN/networks/netns" -name "$id"
        grep -rl "$id" "$RUN/networks/aardvark" 2>/dev/null || true
        find "$DATA/containers/$id/net" 2>/dev/null || true
}

# Host-side veths beyond the networks' keepers' (src/net/keeper.c: one endpoint a network
# keeps its bridge up with while it exists) and the running containers' ($1 of them).
extra_veths() {
        local veths keepers
        veths=$(in_netns ip -o link | grep -c veth || true)
        keepers=$(find "$RUN/networks/netns" -mindepth 1 -name 'keep-*' -o -name 'spare-*' | wc -l)
        [ "$veths" = "$((keepers + ${1:-0}))" ] || echo "$veths veths for $keepers keepers and spares and ${1:-0} containers: $(in_netns ip -o link)"
}

# Address leases held by containers (not by keepers or spare endpoints).
container_leases() { grep -rlxE '[0-9a-f]{64}' "$RUN/networks/ipam" 2>/dev/null || true; }

@test "the default bridge: an address, a route, hosts and resolv.conf; inspect as Docker fills it" {
        run ross network ls
        assert_status 0
        for n in bridge host none; do assert_output_contains " $n "; done
        ross run -d --name one "$IMG" sleep 300 >/dev/null
        run ross exec one busybox ip -o -4 addr show eth0
        assert_status 0
        [[ "$output" =~ inet\ (172\.17\.[0-9]+\.[0-9]+)/16 ]]
        ip=${BASH_REMATCH[1]}
        run ross exec one busybox ip route
        assert_output_contains "default via 172.17.0.1 dev eth0"
        run ross exec one cat /etc/hosts
        assert_output_contains "$ip"
        assert_output_contains "$(ross exec one hostname)"
        run ross inspect one
        j=$(jq '.[0] // .' <<<"$output")
        [ "$(jq -r .NetworkSettings.IPAddress <<<"$j")" = "$ip" ]
        [ "$(jq -r .NetworkSettings.Gateway <<<"$j")" = 172.17.0.1 ]
        [ "$(jq -r .NetworkSettings.IPPrefixLen <<<"$j")" = 16 ]
        [ "$(jq -r .NetworkSettings.Networks.bridge.IPAddress <<<"$j")" = "$ip" ]
        mac=$(jq -r .NetworkSettings.Networks.bridge.MacAddress <<<"$j")
        [[ "$mac" =~ ^[0-9a-f]{2}(:[0-9a-f]{2}){5}$ ]]
        run ross exec one cat /sys/class/net/eth0/address
        [ "$output" = "$mac" ]
        [ "$(jq -r .NetworkSettings.Networks.bridge.NetworkID <<<"$j")" = "$(ross network inspect bridge | jq -r '.[0].Id')" ]
        # the gateway answers (the bridge is up, in the test's namespace)
        run ross exec one busybox ping -c 1 -W 2 172.17.0.1
        assert_status 0
        # two containers on the default bridge reach each other by address
        web two hello
        ip2=$(ross inspect two | jq -r '(.[0] // .).NetworkSettings.IPAddress')
        run ross exec one busybox wget -q -O - "http://$ip2/id"
        [ "$output" = hello ]
}

@test "-p: a published port on 127.0.0.1, a free port, a range, UDP; ross port; NetworkSettings.Ports" {
        web pub published -p 127.0.0.1:18080:80 -p 81 -p 19000-19005:82
        run host_get http://127.0.0.1:18080/id
        [ "$output" = published ]
        run ross port pub
        assert_status 0
        assert_output_contains "80/tcp -> 127.0.0.1:18080"
        free=$(ross port pub 81/tcp | sed 's/.*://')
        [ "$free" -gt 1024 ] && [ "$free" -le 65535 ]
        [ "$(ross port pub 82/tcp)" = "0.0.0.0:19000" ]
        run ross inspect pub
        j=$(jq -c '(.[0] // .).NetworkSettings.Ports' <<<"$output")
        [ "$(jq -c '."80/tcp"' <<<"$j")" = '[{"HostIp":"127.0.0.1","HostPort":"18080"}]' ]
        [ "$(jq -r '."81/tcp"[0].HostPort' <<<"$j")" = "$free" ]
        # the list has them too, and ps shows them as docker ps does
        run ross ps
        assert_output_contains "127.0.0.1:18080->80/tcp"
        run api GET /containers/json
        [ "$(jq -c '.[0].Ports | map(select(.PrivatePort == 80))' <<<"$output")" = '[{"IP":"127.0.0.1","PrivatePort":80,"PublicPort":18080,"Type":"tcp"}]' ]

        # three starts at once on one host range: each its own port of it
        local pids=()
        for n in 1 2 3; do
                ross run -d --name "r$n" -p 127.0.0.1:18500-18509:80 "$IMG" sleep 300 >/dev/null &
                pids+=($!)
        done
        wait "${pids[@]}" # not a bare wait: the daemon is this shell's job too
        ports=$(for n in 1 2 3; do ross port "r$n" 80/tcp; done | sort -u | wc -l)
        [ "$ports" = 3 ]

        ross run -d --name udp -v "$(dirname "$UDP_ECHO"):/t:ro" -p 127.0.0.1:15353:5353/udp "$IMG" /t/udp-echo 5353 >/dev/null
        run in_netns python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for i in range(20):
    s.sendto(b"ping", ("127.0.0.1", 15353))
    try:
        print(s.recv(100).decode()); break
    except socket.timeout:
        pass'
        [ "$output" = "echo: ping" ]
}

@test "-P publishes every exposed port on a free host port" {
        web all everything --expose 80 --expose 8443/tcp -P
        run ross port all 80/tcp
        assert_status 0
        port=${output##*:}
        run host_get "http://127.0.0.1:$port/id"
        [ "$output" = everything ]
        run ross port all 8443/tcp
        assert_status 0
        [[ "$output" =~ ^0\.0\.0\.0:[0-9]+$ ]]
}

@test "user networks: DNS by name and alias, --ip, isolation from another network, inspect" {
        run ross network create --subnet 10.91.0.0/24 --gateway 10.91.0.254 --label team=a neta
        assert_status 0
        neta_id=$output
        ross network create netb >/dev/null
        web srv on-a --network neta --network-alias www --ip 10.91.0.10
        # the server may take a moment to listen on a loaded machine
        for _ in $(seq 20); do
                run ross run --rm --network neta "$IMG" busybox wget -q -O - http://srv/id
                [ "$output" = on-a ] && break
                sleep 0.25
        done
        [ "$output" = on-a ]
        run ross run --rm --network neta "$IMG" busybox wget -q -O - http://www/id
        [ "$output" = on-a ]
        run ross run --rm --network neta "$IMG" busybox nslookup www 10.91.0.254
        assert_output_contains "10.91.0.10"
        # another network: not by name, not by address
        run ross run --rm --network netb "$IMG" busybox nslookup srv
        assert_output_contains "NXDOMAIN"
        run ross run --rm --network netb "$IMG" busybox wget -T 2 -q -O - http://10.91.0.10/id
        [ "$status" -ne 0 ] && [ "$output" != on-a ]
        run ross network inspect neta
        j=$(jq '.[0]' <<<"$output")
        [ "$(jq -r .Id <<<"$j")" = "$neta_id" ]
        [ "$(jq -c .IPAM.Config <<<"$j")" = '[{"Subnet":"10.91.0.0/24","Gateway":"10.91.0.254"}]' ]
        [ "$(jq -r .Labels.team <<<"$j")" = a ]
        srv_id=$(ross inspect srv | jq -r '(.[0] // .).Id')
        [ "$(jq -r ".Containers[\"$srv_id\"].IPv4Address" <<<"$j")" = 10.91.0.10/24 ]
        [ "$(jq -r ".Containers[\"$srv_id\"].Name" <<<"$j")" = srv ]
        run ross inspect srv
        [ "$(jq -c '(.[0] // .).NetworkSettings.Networks.neta | [.IPAddress, .Gateway, .Aliases, .IPAMConfig.IPv4Address]' <<<"$output")" = '["10.91.0.10","10.91.0.254",["www"],"10.91.0.10"]' ]
        run ross network ls -f label=team=a -q
        [ "$output" = "${neta_id:0:12}" ]
}

@test "network connect and disconnect a running container; rm and prune" {
        ross network create front >/dev/null
        ross network create back >/dev/null
        web api backend --network back
        ross run -d --name cli --network front "$IMG" sleep 300 >/dev/null
        run ross exec cli busybox nslookup api
        assert_output_contains NXDOMAIN
        run ross network connect --alias svc back cli
        assert_status 0
        run ross exec cli busybox ip -o -4 addr show eth1
        assert_status 0
        run ross exec cli busybox wget -q -O - http://api/id
        [ "$output" = backend ]
        # the container is found by its alias on the network it joined
        run ross exec api busybox nslookup svc
        assert_output_contains "$(ross inspect cli | jq -r '(.[0] // .).NetworkSettings.Networks.back.IPAddress')"
        run ross network connect back cli
        [ "$status" -ne 0 ]
        assert_output_contains "already exists in network back"
        run ross network disconnect back cli
        assert_status 0
        run ross exec cli busybox ip -o link show eth1
        [ "$status" -ne 0 ]
        [ "$(ross inspect cli | jq -r '(.[0] // .).NetworkSettings.Networks | keys | join(",")')" = front ]
        run ross network rm back
        [ "$status" -ne 0 ]
        assert_output_contains "has active endpoints"
        ross rm -f api >/dev/null
        run ross network rm back
        assert_status 0
        ross network create unused >/dev/null
        run ross network prune -f
        assert_status 0
        assert_output_contains unused
        run ross network ls
        [[ "$output" != *unused* ]]
        assert_output_contains front
}

# The daemon keeps each container's list entry and inspect answer once nothing they are made
# from has changed for 2 s (src/container/summary-cache.c); a running container's network
# state is in its net/, where netavark writes in place. Each change after that pause shows
# in the next answer.
@test "kept answers follow networks: connect and disconnect a running container, a network removed and made again" {
        ross network create kept >/dev/null
        web kw kept-web -p 127.0.0.1:18090:80
        ross create --name kc --network kept "$IMG" true >/dev/null
        sleep 3
        nets() { api GET "/containers/$1/json" | jq -r '.NetworkSettings.Networks | keys | join(",")'; }
        listed() { # NAME FIELD: a field of its list entry
                api GET "/containers/json?all=1" |
                        jq -c --arg n "/$1" ".[] | select(.Names[0] == \$n) | $2"
        }
        [ "$(nets kw)" = bridge ]
        [ "$(listed kw '.NetworkSettings.Networks | keys')" = '["bridge"]' ]
        [ "$(listed kw .Ports)" = '[{"IP":"127.0.0.1","PrivatePort":80,"PublicPort":18090,"Type":"tcp"}]' ]
        local id
        id=$(api GET /networks/kept | jq -r .Id)
        [ "$(api GET /containers/kc/json | jq -r .NetworkSettings.Networks.kept.NetworkID)" = "$id" ]

        ross network connect kept kw
        [ "$(nets kw)" = bridge,kept ]
        [ "$(listed kw '.NetworkSettings.Networks | keys')" = '["bridge","kept"]' ]
        [[ "$(api GET /containers/kw/json | jq -r .NetworkSettings.Networks.kept.IPAddress)" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]
        ross network disconnect kept kw
        [ "$(nets kw)" = bridge ]
        [ "$(listed kw '.NetworkSettings.Networks | keys')" = '["bridge"]' ]

        # kc was never started: the network can go, and kc names it by no id any more
        ross network rm kept >/dev/null
        [ "$(api GET /containers/kc/json | jq -r .NetworkSettings.Networks.kept.NetworkID)" = "" ]
        [ "$(listed kc .NetworkSettings.Networks.kept.NetworkID)" = '""' ]
        ross network create kept >/dev/null
        id=$(api GET /networks/kept | jq -r .Id)
        [ "$(api GET /containers/kc/json | jq -r .NetworkSettings.Networks.kept.NetworkID)" = "$id" ]
        # stopped: nothing published any more
        ross stop -t 0 kw >/dev/null
        [ "$(listed kw '[.Ports[] | select(.PublicPort)] | length')" = 0 ]
}

@test "--network container:NAME shares the other's namespace" {
        web first shared
        run ross run --rm --network container:first "$IMG" busybox wget -q -O - http://127.0.0.1/id
        [ "$output" = shared ]
        a=$(ross exec first cat /sys/class/net/eth0/address)
        run ross run --rm --network container:first "$IMG" cat /sys/class/net/eth0/address
        [ "$output" = "$a" ]
        run ross run --rm --network container:first -p 8080:80 "$IMG" true
        [ "$status" -ne 0 ]
        assert_output_contains "conflicting options: port publishing and the container type network mode"
}

@test "--dns, --dns-search, --dns-option, --add-host, --hostname, --domainname, --mac-address" {
        run ross run --rm --dns 10.0.0.53 --dns-search example.test --dns-option ndots:2 "$IMG" cat /etc/resolv.conf
        assert_status 0
        assert_output_contains "nameserver 10.0.0.53"
        assert_output_contains "search example.test"
        assert_output_contains "options ndots:2"
        run ross run --rm --add-host db.example:10.1.2.3 --add-host gw:host-gateway "$IMG" cat /etc/hosts
        assert_output_contains $'10.1.2.3\tdb.example'
        assert_output_contains $'172.17.0.1\tgw'
        # the container's own hostname resolves inside: its httpd reached by that name
        ross run -d --name named --hostname myhost --domainname example.test -v "$BATS_TEST_TMPDIR:/www" "$IMG" busybox httpd -f -p 80 -h /www >/dev/null
        echo me >"$BATS_TEST_TMPDIR/me"
        run ross exec named busybox wget -q -O - http://myhost/me
        [ "$output" = me ]
        run ross exec named busybox wget -q -O - http://myhost.example.test/me
        [ "$output" = me ]
        run ross run --rm --mac-address 02:42:ac:11:00:99 "$IMG" cat /sys/class/net/eth0/address
        [ "$output" = 02:42:ac:11:00:99 ]
        # a user network's DNS: the gateway, aardvark-dns, and --dns its upstream
        ross network create dnsnet --subnet 10.92.0.0/24 >/dev/null # flags after the name, as docker takes them
        run ross run --rm --network dnsnet --dns 10.0.0.53 "$IMG" cat /etc/resolv.conf
        assert_output_contains "nameserver 10.92.0.1"
}

@test "teardown: rm, stop, a crash of the container and kill -9 of the daemon leave nothing behind" {
        ross network create tnet >/dev/null
        web t1 x --network tnet -p 127.0.0.1:18090:80
        id=$(ross inspect t1 | jq -r '(.[0] // .).Id')
        [ -n "$(residue "$id")" ]
        ross rm -f t1 >/dev/null
        run residue "$id"
        [ -z "$output" ] || { echo "left after rm: $output"; false; }
        run extra_veths
        [ -z "$output" ] || { echo "left after rm: $output"; false; }

        # stop: torn down when stop returns; start again: set up again
        web t2 y --network tnet -p 127.0.0.1:18091:80
        id=$(ross inspect t2 | jq -r '(.[0] // .).Id')
        ross stop -t 1 t2 >/dev/null
        run residue "$id"
        [ -z "$output" ] || { echo "left after stop: $output"; false; }
        ross start t2 >/dev/null
        run host_get http://127.0.0.1:18091/id
        [ "$output" = y ]

        # the container crashes (its process killed from outside): the shim tears down
        pid=$(ross inspect t2 | jq -r '(.[0] // .).State.Pid')
        kill -9 "$pid"
        for _ in $(seq 50); do [ -z "$(residue "$id")" ] && break; sleep 0.1; done
        run residue "$id"
        [ -z "$output" ] || { echo "left after a crash: $output"; false; }
        ross rm t2 >/dev/null

        # the daemon killed with -9 while the container runs: the container goes on, its
        # port too; a new daemon finds its endpoint; once it exits nothing is left
        web t3 z --network tnet -p 127.0.0.1:18092:80
        id=$(ross inspect t3 | jq -r '(.[0] // .).Id')
        kill -9 "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
        run host_get http://127.0.0.1:18092/id
        [ "$output" = z ]
        start_daemon
        run ross inspect t3
        [[ "$(jq -r '(.[0] // .).NetworkSettings.Networks.tnet.IPAddress' <<<"$output")" =~ ^172\. ]]
        run ross run --rm --network tnet "$IMG" busybox wget -q -O - http://t3/id
        [ "$output" = z ]
        # the container exits while no daemon runs; the next daemon finds nothing to do
        kill -9 "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
        kill -9 "$(cat "$DATA/containers/$id/container.pid")"
        for _ in $(seq 50); do [ -z "$(residue "$id")" ] && break; sleep 0.1; done
        run residue "$id"
        [ -z "$output" ] || { echo "left after an exit with no daemon: $output"; false; }
        start_daemon
        ross rm t3 >/dev/null
        [ -z "$(extra_veths)" ] && [ -z "$(container_leases)" ]
        # the network removed: its bridge, its keeper, its rules go too
        ross network rm tnet >/dev/null
        run in_netns ip -o link
        [[ "$output" != *veth* ]] && [[ "$output" != *br-* ]]
        run in_netns iptables-save
        [[ "$output" != *172.18.* ]] || { echo "rules left: $output"; false; }
}

@test "a shim killed with its container leaves a mess the next daemon start cleans" {
        ross network create cnet >/dev/null
        web c1 x --network cnet -p 127.0.0.1:18093:80
        id=$(ross inspect c1 | jq -r '(.[0] // .).Id')
        kill -9 "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
        # the shim and the container die at once: no one tears the network down
        shim=$(cat "$DATA/containers/$id/shim.pid")
        cpid=$(cat "$DATA/containers/$id/container.pid")
        kill -9 "$shim" "$cpid"
        sleep 0.5
        [ -n "$(residue "$id")" ]
        start_daemon
        run residue "$id"
        [ -z "$output" ] || { echo "left: $output"; false; }
        run extra_veths
        [ -z "$output" ] || { echo "left: $output"; false; }
        [ -z "$(container_leases)" ]
        # the port is free again
        web c2 y --network cnet -p 127.0.0.1:18093:80
        run host_get http://127.0.0.1:18093/id
        [ "$output" = y ]
}

@test "bad input: overlapping subnets, a port in use, an unknown network, a network in use, bad -p and --ip" {
        ross network create --subnet 10.93.0.0/16 big >/dev/null
        run ross network create --subnet 10.93.1.0/24 small
        [ "$status" -ne 0 ]
        assert_output_contains "Pool overlaps with other one on this address space"
        run api POST /networks/create -H 'Content-Type: application/json' -d '{"Name":"big"}' -w '\n%{http_code}'
        [ "${lines[-1]}" = 409 ]
        assert_output_contains "network with name big already exists"
        run ross network create --subnet 10.94.0.1/24 hostbits
        [ "$status" -ne 0 ]
        run ross network ls
        [[ "$output" != *small* ]] && [[ "$output" != *hostbits* ]]

        # a port a host process holds, then one another container holds
        in_netns python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",18100)); s.listen(); time.sleep(60)' &
        holder=$!
        sleep 0.5
        run ross run -d --name clash -p 127.0.0.1:18100:80 "$IMG" sleep 300
        [ "$status" -ne 0 ]
        assert_output_contains "Bind for 127.0.0.1:18100 failed: port is already allocated"
        kill "$holder"
        web holds a -p 18101:80
        run ross run -d --name clash2 -p 18101:80 "$IMG" sleep 300
        [ "$status" -ne 0 ]
        assert_output_contains "port is already allocated"
        # nothing half set up: no lease, no namespace of the failed containers
        [ "$(container_leases | wc -l)" = 1 ]
        [ "$(find "$RUN/networks/netns" -mindepth 1 ! -name 'keep-*' ! -name 'spare-*' | wc -l)" = 1 ]

        run ross run --rm --network nosuchnet "$IMG" true
        [ "$status" -ne 0 ]
        assert_output_contains "network nosuchnet not found"
        run api POST /containers/create -H 'Content-Type: application/json' -d "{\"Image\":\"$IMG\",\"HostConfig\":{\"NetworkMode\":\"nosuchnet\"}}" -w '\n%{http_code}'
        [ "${lines[-1]}" = 404 ]
        run api DELETE /networks/nosuchnet -w '\n%{http_code}'
        [ "${lines[-1]}" = 404 ]
        run api DELETE /networks/bridge -w '\n%{http_code}'
        [ "${lines[-1]}" = 403 ]
        assert_output_contains "pre-defined network and cannot be removed"

        # what would write lines of its own into resolv.conf, /etc/hosts or aardvark-dns
        for body in '"HostConfig":{"DnsSearch":["x\nnameserver 6.6.6.6"]}' \
                '"HostConfig":{"DnsOptions":["ndots:1 evil"]}' '"Hostname":"a\nb"' \
                '"HostConfig":{"NetworkMode":"big"},"NetworkingConfig":{"EndpointsConfig":{"big":{"Aliases":["a,b"]}}}'; do
                run api POST /containers/create -H 'Content-Type: application/json' -d "{\"Image\":\"$IMG\",$body}" -w '\n%{http_code}'
                [ "${lines[-1]}" = 400 ] || { echo "taken: $body: $output"; false; }
        done
        run ross network create -o com.docker.network.bridge.name=ross0 samebridge
        [ "$status" -ne 0 ]
        assert_output_contains "network bridge's already"
        for bad in 99999:80 80:0 1-5:80-81 8080:80/icmp abc; do
                run ross run --rm -p "$bad" "$IMG" true
                [ "$status" -ne 0 ] || { echo "-p $bad was taken"; false; }
        done
        run ross run --rm --network big --ip 10.99.0.5 "$IMG" true
        [ "$status" -ne 0 ]
        assert_output_contains "10.99.0.5"
        run ross run --rm --ip 172.17.0.50 "$IMG" true
        [ "$status" -ne 0 ]
        assert_output_contains "user specified IP address is supported on user defined networks only"
        ross run -d --name first --network big --ip 10.93.0.7 "$IMG" sleep 300 >/dev/null
        run ross run --rm --network big --ip 10.93.0.7 "$IMG" true
        [ "$status" -ne 0 ]
        assert_output_contains "Address already in use"
}

@test "an internal network: containers reach each other, nothing is published" {
        ross network create --internal inner >/dev/null
        web in1 inside --network inner
        run ross run --rm --network inner "$IMG" busybox wget -q -O - http://in1/id
        [ "$output" = inside ]
        run ross run --rm --network inner "$IMG" busybox ip route
        [[ "$output" != *default* ]]
}

@test "a qemu VM container on a network: HTTP to a namespace container by name and through -p, and back" {
        if ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
                skip "qemu-system-x86 and linux-image-amd64 are not installed (scripts/install-deps.sh installs them)"
        fi
        ross network create mixed >/dev/null
        web vm in-a-vm --runtime qemu --network mixed -p 127.0.0.1:18300:80
        web ns in-a-namespace --network mixed
        # a namespace container reaches the VM by name, the host by its published port
        run ross run --rm --network mixed "$IMG" busybox wget -q -O - http://vm/id
        [ "$output" = in-a-vm ]
        run host_get http://127.0.0.1:18300/id
        [ "$output" = in-a-vm ]
        # the VM reaches the namespace container by name through aardvark-dns
        run ross exec vm busybox wget -q -O - http://ns/id
        [ "$output" = in-a-namespace ]
        # inside the VM: its own kernel's eth0 with the address and MAC inspect shows
        j=$(ross inspect vm | jq -c '(.[0] // .).NetworkSettings.Networks.mixed | [.IPAddress, .MacAddress]')
        run ross exec vm busybox ip -o -4 addr show eth0
        assert_output_contains "$(jq -r '.[0]' <<<"$j")/16"
        [ "$(ross exec vm cat /sys/class/net/eth0/address)" = "$(jq -r '.[1]' <<<"$j")" ]
        id=$(ross inspect vm | jq -r '(.[0] // .).Id')
        ross rm -f vm >/dev/null
        run residue "$id"
        [ -z "$output" ] || { echo "left: $output"; false; }
        # the namespace container's veth, and the keeper's
        run extra_veths 1
        [ -z "$output" ] || { echo "left: $output"; false; }
}

@test "spare endpoints: a default-bridge container takes one made ahead; its exit tears it down; more are made" {
        stop_daemon
        ROSS_TEST_BRIDGE="--network-spares 2"
        start_daemon
        spares() { find "$RUN/networks/spares" -name ready | wc -l; }
        for _ in $(seq 100); do [ "$(spares)" = 2 ] && break; sleep 0.1; done
        [ "$(spares)" = 2 ]
        web sp1 spare
        id=$(ross inspect sp1 | jq -r '(.[0] // .).Id')
        grep -q "a spare endpoint" "$DAEMON_LOG" || grep -q "spare" "$DATA/containers/$id/net/netns"
        ip=$(ross inspect sp1 | jq -r '(.[0] // .).NetworkSettings.IPAddress')
        [[ "$ip" =~ ^172\.17\. ]]
        # it works as any endpoint: reached by address from another container, its lease
        # the container's, its MAC Docker's
        run ross run --rm "$IMG" busybox wget -q -O - "http://$ip/id"
        [ "$output" = spare ]
        [ "$(cat "$RUN/networks/ipam/$(ross network inspect bridge | jq -r '.[0].Id')/$ip")" = "$id" ]
        [ "$(ross exec sp1 cat /sys/class/net/eth0/address)" = "$(ross inspect sp1 | jq -r '(.[0] // .).NetworkSettings.MacAddress')" ]
        # the pool is made whole again
        for _ in $(seq 100); do [ "$(spares)" = 2 ] && break; sleep 0.1; done
        [ "$(spares)" = 2 ]
        ross rm -f sp1 >/dev/null
        # no published port: rm does not wait for the teardown, which follows at once
        for _ in $(seq 50); do [ -z "$(residue "$id")" ] && break; sleep 0.1; done
        run residue "$id"
        [ -z "$output" ] || { echo "left: $output"; false; }
        # a container asking for more than the default bridge does not take one
        web sp2 ports -p 127.0.0.1:18400:80
        run host_get http://127.0.0.1:18400/id
        [ "$output" = ports ]
        ! grep -q spare "$DATA/containers/$(ross inspect sp2 | jq -r '(.[0] // .).Id')/net/netns" 2>/dev/null
        # a new daemon tears down the spares the old one made, and makes its own
        old=$(ls "$RUN/networks/spares")
        stop_daemon
        start_daemon
        for _ in $(seq 100); do [ "$(spares)" = 2 ] && break; sleep 0.1; done
        for s in $old; do [ ! -e "$RUN/networks/spares/$s" ] && [ ! -e "$RUN/networks/netns/spare-$s" ]; done
}
