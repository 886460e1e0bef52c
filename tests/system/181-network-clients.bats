#!/usr/bin/env bats
# Bridge networks as real Docker clients drive them: the docker CLI (network create, ls,
# inspect, connect, disconnect, rm, prune; run -p; port), Debian's docker-compose 1.29 (a
# project's default network, service names, published ports, down leaving nothing) and the
# python docker SDK (Debian's python3-docker). Every test runs its daemon in a network
# namespace of its own (start_daemon_netns): no packet leaves this machine.

bats_require_minimum_version 1.5.0

load helpers

PY=/usr/bin/python3

setup() {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        IMG=$REG_PLAIN/busybox
        PORT0=$((${ROSS_TEST_PORT_BASE:-15000} + 400))
        start_daemon_netns "$IMG"
}

teardown() {
        # a failed test shows what the daemon said
        if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -f "${DAEMON_LOG:-}" ]; then
                echo "--- the last lines of $DAEMON_LOG:" >&2
                tail -n 15 "$DAEMON_LOG" >&2
        fi
        teardown_netns
        # an aardvark-dns left behind (a bug the tests report) must not outlive the test
        local p
        for p in $(aardvark_pids); do kill "$p" 2>/dev/null || true; done
}

# The PIDs of the aardvark-dns processes serving this test's run directory.
aardvark_pids() {
        local p
        for p in $(pgrep -x aardvark-dns); do
                tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
                        grep -qF -- "--config $RUN/networks/" && echo "$p"
        done
        true
}
no_aardvark() { [ -z "$(aardvark_pids)" ]; }

# aardvark-dns's files of networks (one per network with DNS, a line per container on it).
dns_files_left() {
        find "$RUN/networks/aardvark/aardvark-dns" -type f ! -name aardvark.pid 2>/dev/null || true
}

# Retry a command for about 5 s until it succeeds (a server in a container just started).
retry() {
        local _
        for _ in $(seq 1 50); do
                "$@" && return 0
                sleep 0.1
        done
        "$@"
}

# A directory to serve: f.bin (4 KiB of bytes of every value) and name.txt holding $2.
www_dir() { # DIR TEXT
        mkdir -p "$1"
        local fmt _
        # shellcheck disable=SC2046
        fmt=$(printf '\\%03o' $(seq 0 255))
        for _ in $(seq 0 15); do
                # shellcheck disable=SC2059
                printf "$fmt"
        done >"$1/f.bin"
        echo "$2" >"$1/name.txt"
}

# curl in the test's namespace, to a published port: the body in $output.
curl_ns() {
        in_netns curl -sf --max-time 5 "$@"
}

# The lines of `ip -o link` in the test's namespace naming a bridge or a veth.
ns_links() {
        in_netns ip -o link | awk -F': ' '{ print $2 }' | grep -E '^(veth|br-|ross0)' || true
}

# Address leases left under the run directory: every file but the allocators' `last` (a
# network's keeper, src/net/keeper.c, holds one while the network exists).
leases_left() {
        find "$RUN/networks/ipam" -type f ! -name last 2>/dev/null || true
}

# The leases a container holds (a keeper's file says `keeper`, a container's its id).
container_leases() {
        grep -rlxE '[0-9a-f]{64}' "$RUN/networks/ipam" 2>/dev/null || true
}

# ---- the docker CLI ----

@test "docker network create --subnet --gateway --internal --label, ls, inspect with a running container" {
        run docker network create --subnet 10.231.0.0/24 --gateway 10.231.0.254 --internal \
                --label env=test --label team=ross tnet
        assert_status 0
        [[ "$output" =~ ^[0-9a-f]{64}$ ]]
        local nid=$output

        run docker network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'
        assert_status 0
        [ "$(sort <<<"$output")" = "$(printf '%s\n' 'bridge bridge local' 'host host local' \
                'none null local' 'tnet bridge local')" ]
        run docker network ls -q --no-trunc --filter name=tnet
        [ "$output" = "$nid" ]

        run docker network inspect -f \
                '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Driver}} {{.Internal}} {{.Labels.env}} {{.Labels.team}} {{len .Containers}}' \
                tnet
        assert_status 0
        [ "$output" = "10.231.0.0/24 10.231.0.254 bridge true test ross 0" ]

        run docker run -d --name c1 --network tnet "$IMG" sleep 300
        assert_status 0
        local cid=$output
        run docker network inspect -f \
                '{{range $id, $c := .Containers}}{{$id}} {{$c.Name}} {{$c.IPv4Address}}{{end}}' tnet
        assert_status 0
        # the first address of the subnet: the gateway is the last one here
        [ "$output" = "$cid c1 10.231.0.1/24" ]
        run docker inspect -f \
                '{{.NetworkSettings.Networks.tnet.IPAddress}}/{{.NetworkSettings.Networks.tnet.IPPrefixLen}} {{.NetworkSettings.Networks.tnet.Gateway}} {{.NetworkSettings.Networks.tnet.NetworkID}}' \
                c1
        assert_status 0
        [ "$output" = "10.231.0.1/24 10.231.0.254 $nid" ]
        # inside: that address on eth0 and, the network being internal, no default route
        run docker exec c1 busybox ip -o -4 addr show eth0
        assert_status 0
        assert_output_contains "inet 10.231.0.1/24"
        run docker exec c1 busybox ip route
        assert_status 0
        [[ "$output" != *default* ]]
        # the bridge holds the gateway's address, in the test's namespace
        run in_netns ip -o -4 addr show "br-${nid:0:12}"
        assert_status 0
        assert_output_contains "inet 10.231.0.254/24"
}

@test "docker run on the default bridge: 172.17.0.0/16, reached by IP from another container" {
        www_dir "$BATS_TEST_TMPDIR/www" default-bridge
        run docker run -d --name w1 -v "$BATS_TEST_TMPDIR/www:/www:ro" "$IMG" \
                busybox httpd -f -p 80 -h /www
        assert_status 0
        run docker inspect -f \
                '{{.HostConfig.NetworkMode}} {{.NetworkSettings.IPAddress}}/{{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.Networks.bridge.IPAddress}}' \
                w1
        assert_status 0
        [[ "$output" =~ ^(bridge|default)\ (172\.17\.[0-9]+\.[0-9]+)/16\ 172\.17\.0\.1\ (172\.17\.[0-9.]+)$ ]]
        local ip=${BASH_REMATCH[2]}
        [ "${BASH_REMATCH[3]}" = "$ip" ]
        run docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{index .Options "com.docker.network.bridge.name"}}' bridge
        [ "$output" = "172.17.0.0/16 172.17.0.1 ross0" ]
        run retry docker run --rm "$IMG" busybox wget -q -O - "http://$ip/name.txt"
        assert_status 0
        [ "$output" = default-bridge ]
}

@test "docker network connect --alias and disconnect: interfaces, inspect and DNS follow" {
        docker network create neta >/dev/null
        docker network create netb >/dev/null
        docker run -d --name c1 --network neta "$IMG" sleep 300 >/dev/null
        run docker network connect --alias al1 netb c1
        assert_status 0
        run docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}' c1
        assert_status 0
        [[ "$output" =~ ^neta=([0-9.]+)\ netb=([0-9.]+)\ $ ]]
        local ipa=${BASH_REMATCH[1]} ipb=${BASH_REMATCH[2]}
        run docker inspect -f '{{json .NetworkSettings.Networks.netb.Aliases}}' c1
        [ "$output" = '["al1"]' ]
        run docker exec c1 busybox ip -o -4 addr show eth1
        assert_status 0
        assert_output_contains "inet $ipb/"
        run docker network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}' netb
        [[ "$output" == "c1 $ipb/"* ]]
        # on netb, c1 is found by name and by its alias
        run docker run --rm --network netb "$IMG" busybox nslookup al1
        assert_status 0
        assert_output_contains "Address: $ipb"
        run docker run --rm --network netb "$IMG" busybox nslookup c1
        assert_status 0
        assert_output_contains "Address: $ipb"
        # and on neta by name, not by netb's alias
        run docker run --rm --network neta "$IMG" busybox nslookup c1
        assert_status 0
        assert_output_contains "Address: $ipa"
        run docker run --rm --network neta "$IMG" busybox nslookup al1
        [ "$status" -ne 0 ]
        assert_output_contains NXDOMAIN

        run docker network disconnect netb c1
        assert_status 0
        run docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' c1
        [ "$output" = "neta " ]
        run docker exec c1 busybox ip -o link
        assert_status 0
        [[ "$output" != *eth1* ]]
        run docker network inspect -f '{{len .Containers}}' netb
        [ "$output" = 0 ]
        run docker run --rm --network netb "$IMG" busybox nslookup al1
        [ "$status" -ne 0 ]
        assert_output_contains NXDOMAIN
        # not connected any more: Docker's refusal
        run docker network disconnect netb c1
        [ "$status" -ne 0 ]
        assert_output_contains "is not connected to network netb"
}

# What docker-compose does to every container it creates (its short id not being among the
# network's aliases): disconnect it from the project network, connect it again, start it.
@test "docker network disconnect of a created container from its only network, connect again, start" {
        docker network create cnet >/dev/null
        docker create --name made --network cnet "$IMG" sleep 300 >/dev/null
        run docker network disconnect cnet made
        assert_status 0
        run docker inspect -f '{{.HostConfig.NetworkMode}}' made
        [ "$output" = cnet ]
        run docker network connect cnet made
        assert_status 0
        run docker start made
        assert_status 0
        run docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}' made
        [[ "$output" =~ ^cnet=[0-9]+\.[0-9.]+\ $ ]]
}

# docker-compose starts a project's containers at once, on a network just made.
@test "docker run -d: four containers started at once on a new network all start" {
        local round k pids
        for round in 1 2 3; do
                docker network create "par$round" >/dev/null
                pids=()
                for k in 1 2 3 4; do
                        docker run -d --name "par$round-$k" --network "par$round" "$IMG" sleep 300 \
                                >"$BATS_TEST_TMPDIR/out.$round.$k" 2>&1 &
                        pids+=($!)
                done
                # (only these: the daemon is a child of this shell too)
                wait "${pids[@]}" || true
        done
        local bad=0
        run cat "$BATS_TEST_TMPDIR"/out.*
        [[ "$output" != *Error* ]] || { echo "$output" >&2; bad=1; }
        [ "$(docker ps -q | wc -l)" = 12 ] || bad=1
        # and once they and their networks are gone, so is every aardvark-dns that served them
        docker ps -a -q | xargs -r docker rm -f >/dev/null
        [ -z "$(container_leases)" ] || bad=1
        docker network rm par1 par2 par3 >/dev/null
        retry no_aardvark || {
                echo "aardvark-dns left running: $(aardvark_pids)" >&2
                bad=1
        }
        [ -z "$(leases_left)" ] || { echo "leases left: $(leases_left)" >&2; bad=1; }
        [ -z "$(dns_files_left)" ] || {
                echo "aardvark-dns files left: $(dns_files_left | xargs -r head)" >&2
                bad=1
        }
        [ "$bad" = 0 ]
}

@test "docker network rm: refused in Docker's words while a container runs on it, done after" {
        local nid
        nid=$(docker network create rnet)
        docker run -d --name r1 --network rnet "$IMG" sleep 300 >/dev/null
        run docker network rm rnet
        [ "$status" -ne 0 ]
        assert_output_contains "Error response from daemon: error while removing network: network rnet id $nid has active endpoints"
        run docker network ls --format '{{.Name}}' --filter name=rnet
        [ "$output" = rnet ]
        run docker network rm bridge
        [ "$status" -ne 0 ]
        assert_output_contains "bridge is a pre-defined network and cannot be removed"

        docker rm -f r1 >/dev/null
        run docker network rm rnet
        assert_status 0
        [ "$output" = rnet ]
        run docker network ls --format '{{.Name}}'
        [ "$(sort <<<"$output" | tr '\n' ' ')" = "bridge host none " ]
        run docker network inspect rnet
        [ "$status" -ne 0 ]
        assert_output_contains "network rnet not found"
        [ -z "$(leases_left)" ]
        [ -z "$(ns_links)" ]
}

@test "docker network prune: the unused user networks go, the used one and the predefined stay" {
        docker network create --label keep=no p1 >/dev/null
        docker network create --label keep=yes p2 >/dev/null
        docker network create used >/dev/null
        docker run -d --name u1 --network used "$IMG" sleep 300 >/dev/null
        run docker network prune -f --filter label=keep=no
        assert_status 0
        [ "$output" = "$(printf 'Deleted Networks:\np1')" ]
        run docker network prune -f
        assert_status 0
        [ "$output" = "$(printf 'Deleted Networks:\np2')" ]
        run docker network ls --format '{{.Name}}'
        [ "$(sort <<<"$output" | tr '\n' ' ')" = "bridge host none used " ]
        run docker network prune -f
        assert_status 0
        [ -z "$output" ]
}

@test "docker run -p 127.0.0.1:PORT:80 busybox httpd: curl gets the file's bytes; docker port; gone after rm" {
        local p1=$((PORT0 + 1)) p2=$((PORT0 + 2))
        www_dir "$BATS_TEST_TMPDIR/www" published
        run docker run -d --name web -p "127.0.0.1:$p1:80" -p "$p2:80" \
                -v "$BATS_TEST_TMPDIR/www:/www:ro" "$IMG" busybox httpd -f -p 80 -h /www
        assert_status 0
        run retry curl_ns -o "$BATS_TEST_TMPDIR/got" "http://127.0.0.1:$p1/f.bin"
        assert_status 0
        cmp "$BATS_TEST_TMPDIR/www/f.bin" "$BATS_TEST_TMPDIR/got"
        [ "$(stat -c %s "$BATS_TEST_TMPDIR/got")" = 4096 ]
        run curl_ns "http://127.0.0.1:$p1/name.txt"
        assert_status 0
        [ "$output" = published ]
        # published on every address: 127.0.0.1 reaches it too
        run curl_ns "http://127.0.0.1:$p2/name.txt"
        assert_status 0
        [ "$output" = published ]
        run curl_ns -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p1/nosuch"
        [ "$output" = 404 ]

        run docker port web
        assert_status 0
        # Docker's CLI sorts the lines in natural order
        [ "$output" = "$(printf '80/tcp -> 0.0.0.0:%s\n80/tcp -> 127.0.0.1:%s' "$p2" "$p1")" ]
        run docker port web 80
        assert_status 0
        [ "$output" = "$(printf '0.0.0.0:%s\n127.0.0.1:%s' "$p2" "$p1")" ]
        run docker port web 81
        [ "$status" -ne 0 ]
        assert_output_contains "Error: No public port '81' published for web"
        run docker ps --format '{{.Names}} {{.Ports}}'
        [ "$output" = "web 0.0.0.0:$p2->80/tcp, 127.0.0.1:$p1->80/tcp" ]
        run docker inspect -f '{{json .NetworkSettings.Ports}}' web
        [ "$output" = "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$p1\"},{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$p2\"}]}" ]

        # the port is taken while it runs
        run docker run -d --name web2 -p "127.0.0.1:$p1:80" "$IMG" sleep 300
        [ "$status" -ne 0 ]
        assert_output_contains "port is already allocated"

        docker rm -f web >/dev/null
        run curl_ns "http://127.0.0.1:$p1/name.txt"
        [ "$status" -ne 0 ]
        [ -z "$(container_leases)" ]
}

# ---- docker-compose ----

# A compose project in DIR: web serves DIR/www (name.txt holds TEXT) on 127.0.0.1:PORT,
# client waits.
compose_project() { # DIR TEXT PORT
        www_dir "$1/www" "$2"
        cat >"$1/docker-compose.yml" <<EOF
version: "2.4"
services:
  web:
    image: $IMG
    command: ["busybox", "httpd", "-f", "-v", "-p", "80", "-h", "/www"]
    volumes:
      - $1/www:/www:ro
    ports:
      - "127.0.0.1:$3:80"
  client:
    image: $IMG
    command: ["sh", "-c", "echo client of $2 up; exec sleep 600"]
EOF
}

dc() { # DIR PROJECT ARGS...
        local dir=$1 p=$2
        shift 2
        docker-compose -p "$p" -f "$dir/docker-compose.yml" "$@"
}

# Nothing of a project is left: containers, its network, links, leases, namespaces.
assert_project_gone() { # PROJECT
        [ -z "$(docker ps -a -q --filter "label=com.docker.compose.project=$1")" ]
        run docker network ls --format '{{.Name}}'
        [[ "$output" != *"${1}_default"* ]]
}

assert_nothing_left() {
        [ -z "$(docker ps -a -q)" ]
        run docker network ls --format '{{.Name}}'
        [ "$(sort <<<"$output" | tr '\n' ' ')" = "bridge host none " ]
        [ -z "$(ns_links)" ] || { echo "links left: $(ns_links)" >&2; return 1; }
        [ -z "$(leases_left)" ] || { echo "leases left: $(leases_left)" >&2; return 1; }
        [ -z "$(ls -A "$RUN/networks/netns" 2>/dev/null)" ] ||
                { echo "netns left: $(ls "$RUN/networks/netns")" >&2; return 1; }
        retry no_aardvark || { echo "aardvark-dns left: $(aardvark_pids)" >&2; return 1; }
        [ -z "$(dns_files_left)" ] ||
                { echo "aardvark-dns files left: $(dns_files_left | xargs -r head)" >&2; return 1; }
}

@test "docker-compose: up -d, web by name from client, ps, logs, the published port, down leaves nothing" {
        command -v docker-compose >/dev/null || skip "docker-compose is not installed"
        local dir=$BATS_TEST_TMPDIR/pa port=$((PORT0 + 10))
        compose_project "$dir" "project pa" "$port"
        run dc "$dir" pa up -d
        assert_status 0
        run docker network ls --format '{{.Name}} {{.Driver}}' --filter name=pa_default
        [ "$output" = "pa_default bridge" ]
        run dc "$dir" pa ps
        assert_status 0
        [[ "$(grep pa_web_1 <<<"$output")" == *Up*"127.0.0.1:$port->80/tcp"* ]]
        [[ "$(grep pa_client_1 <<<"$output")" == *Up* ]]
        run dc "$dir" pa ps -q
        [ "$(grep -c . <<<"$output")" = 2 ]

        # service to service by name, on the project's network
        run retry dc "$dir" pa exec -T client busybox wget -q -O - http://web/name.txt
        assert_status 0
        [ "$output" = "project pa" ]
        run dc "$dir" pa exec -T client busybox wget -q -O - http://pa_web_1/name.txt
        assert_status 0
        [ "$output" = "project pa" ]
        dc "$dir" pa exec -T client busybox wget -q -O - http://web/f.bin >"$BATS_TEST_TMPDIR/got"
        cmp "$dir/www/f.bin" "$BATS_TEST_TMPDIR/got"
        # both on pa_default
        run docker network inspect -f '{{range .Containers}}{{.Name}} {{end}}' pa_default
        [ "$(tr ' ' '\n' <<<"$output" | grep . | sort | tr '\n' ' ')" = "pa_client_1 pa_web_1 " ]

        # the published port from the test's namespace
        run retry curl_ns -o "$BATS_TEST_TMPDIR/got2" "http://127.0.0.1:$port/f.bin"
        assert_status 0
        cmp "$dir/www/f.bin" "$BATS_TEST_TMPDIR/got2"
        run dc "$dir" pa port web 80
        assert_status 0
        [ "$output" = "127.0.0.1:$port" ]

        run dc "$dir" pa logs --no-color client
        assert_status 0
        assert_output_contains "client_1  | client of project pa up"

        run dc "$dir" pa down
        assert_status 0
        assert_output_contains "Removing network pa_default"
        assert_nothing_left
        run curl_ns "http://127.0.0.1:$port/name.txt"
        [ "$status" -ne 0 ]
}

@test "docker-compose: two projects side by side, each web by name only in its own project; down of one leaves the other" {
        command -v docker-compose >/dev/null || skip "docker-compose is not installed"
        local pa=$BATS_TEST_TMPDIR/pa pb=$BATS_TEST_TMPDIR/pb
        local porta=$((PORT0 + 20)) portb=$((PORT0 + 21))
        compose_project "$pa" "project pa" "$porta"
        compose_project "$pb" "project pb" "$portb"
        run dc "$pa" pa up -d
        assert_status 0
        run dc "$pb" pb up -d
        assert_status 0

        # the same service name, each project's own web
        run retry dc "$pa" pa exec -T client busybox wget -q -O - http://web/name.txt
        assert_status 0
        [ "$output" = "project pa" ]
        run retry dc "$pb" pb exec -T client busybox wget -q -O - http://web/name.txt
        assert_status 0
        [ "$output" = "project pb" ]
        run curl_ns "http://127.0.0.1:$porta/name.txt"
        [ "$output" = "project pa" ]
        run curl_ns "http://127.0.0.1:$portb/name.txt"
        [ "$output" = "project pb" ]

        # across projects: not by name, not by IP
        local ipb
        ipb=$(docker inspect -f '{{.NetworkSettings.Networks.pb_default.IPAddress}}' pb_web_1)
        [ -n "$ipb" ]
        run dc "$pa" pa exec -T client busybox nslookup pb_web_1
        [ "$status" -ne 0 ]
        assert_output_contains NXDOMAIN
        # (busybox wget -T segfaults, whatever the address: busybox timeout bounds it)
        run dc "$pa" pa exec -T client busybox timeout 3 busybox wget -q -O - "http://$ipb/name.txt"
        [ "$status" -ne 0 ]
        [[ "$output" != *"project pb"* ]]
        # within its own project the same address answers
        run dc "$pb" pb exec -T client busybox timeout 3 busybox wget -q -O - "http://$ipb/name.txt"
        assert_status 0
        [ "$output" = "project pb" ]

        run dc "$pa" pa down
        assert_status 0
        assert_project_gone pa
        run dc "$pb" pb ps
        [[ "$(grep pb_web_1 <<<"$output")" == *Up* ]]
        run dc "$pb" pb exec -T client busybox wget -q -O - http://web/name.txt
        assert_status 0
        [ "$output" = "project pb" ]
        run curl_ns "http://127.0.0.1:$portb/name.txt"
        assert_status 0
        [ "$output" = "project pb" ]
        run curl_ns "http://127.0.0.1:$porta/name.txt"
        [ "$status" -ne 0 ]

        run dc "$pb" pb down
        assert_status 0
        assert_nothing_left
}

# ---- python3-docker ----

@test "docker-py: networks.create/list, containers.run(network=), connect(aliases=), IPAddress in the subnet, disconnect, remove" {
        $PY -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        run env IMG="$IMG" $PY - <<'EOF'
import ipaddress, os, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
ipam = docker.types.IPAMConfig(pool_configs=[
    docker.types.IPAMPool(subnet="10.77.0.0/24", gateway="10.77.0.1")])
n = c.networks.create("pynet", driver="bridge", ipam=ipam, labels={"by": "py"})
print(n.name, n.attrs["IPAM"]["Config"][0]["Subnet"], n.attrs["IPAM"]["Config"][0]["Gateway"],
      n.attrs["Labels"])
print(sorted(x.name for x in c.networks.list()))
print([x.name for x in c.networks.list(names=["pynet"])], [x.id for x in c.networks.list(ids=[n.id])] == [n.id])
ct = c.containers.run(os.environ["IMG"], "sleep 300", network="pynet", detach=True, name="pyc")
ct.reload()
ip = ct.attrs["NetworkSettings"]["Networks"]["pynet"]["IPAddress"]
print(ip != "" and ipaddress.ip_address(ip) in ipaddress.ip_network("10.77.0.0/24"),
      ip != "10.77.0.1")
n.reload()
print([(v["Name"], v["IPv4Address"] == ip + "/24") for v in n.attrs["Containers"].values()],
      [x.name for x in n.containers])

n2 = c.networks.create("pynet2")
n2.connect(ct, aliases=["pyalias"])
ct.reload()
nets = ct.attrs["NetworkSettings"]["Networks"]
print(sorted(nets), nets["pynet2"]["Aliases"])
ip2 = nets["pynet2"]["IPAddress"]
sub2 = ipaddress.ip_network(n2.attrs["IPAM"]["Config"][0]["Subnet"])
print(ip2 != "" and ipaddress.ip_address(ip2) in sub2)
out = c.containers.run(os.environ["IMG"], ["busybox", "nslookup", "pyalias"], network="pynet2",
                       remove=True).decode()
print(("Address: " + ip2) in out)

n.disconnect(ct)
ct.reload()
print(sorted(ct.attrs["NetworkSettings"]["Networks"]))
n.reload()
print(n.attrs["Containers"])
n.remove()
try:
    n2.remove()
except docker.errors.APIError as e:
    print(e.status_code, "has active endpoints" in e.explanation)
ct.remove(force=True)
n2.remove()
print(sorted(x.name for x in c.networks.list()))
try:
    c.networks.get("pynet")
except docker.errors.NotFound as e:
    print(e.status_code, e.explanation)
EOF
        assert_status 0
        [ "${lines[0]}" = "pynet 10.77.0.0/24 10.77.0.1 {'by': 'py'}" ]
        [ "${lines[1]}" = "['bridge', 'host', 'none', 'pynet']" ]
        [ "${lines[2]}" = "['pynet'] True" ]
        [ "${lines[3]}" = "True True" ]
        [ "${lines[4]}" = "[('pyc', True)] ['pyc']" ]
        [ "${lines[5]}" = "['pynet', 'pynet2'] ['pyalias']" ]
        [ "${lines[6]}" = True ]
        [ "${lines[7]}" = True ]
        [ "${lines[8]}" = "['pynet2']" ]
        [ "${lines[9]}" = "{}" ]
        [ "${lines[10]}" = "403 True" ]
        [ "${lines[11]}" = "['bridge', 'host', 'none']" ]
        [ "${lines[12]}" = "404 network pynet not found" ]
        [ -z "$(leases_left)" ]
}
