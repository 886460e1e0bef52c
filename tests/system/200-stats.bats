#!/usr/bin/env bats
# Container stats (issue 12, section 3): GET /containers/{id}/stats streamed and once, with
# the CPU, memory, pids, network and block figures as Docker's API has them (from the
# container's cgroup; a VM's from its VMM's processes), `ross-cli stats`, and the docker CLI
# and docker-py reading them. The network tests run their daemon in a network namespace of
# their own (start_daemon_netns), so that all traffic stays in it.

bats_require_minimum_version 1.5.0

load helpers

IMG=${REG_PLAIN:-127.0.0.1:15000}/busybox
PY=/usr/bin/python3
MiB=1048576

teardown() {
        if [ -n "${NETNS:-}" ]; then
                teardown_netns
        else
                teardown_containers
        fi
}

up() {
        start_daemon
        ross pull -q "$IMG" >/dev/null
}

need_qemu() {
        if ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
                skip "qemu-system-x86 and linux-image-amd64 are not installed (scripts/install-deps.sh installs them)"
        fi
}

# One stats object (stream=false; $2: more of the query, e.g. one-shot=true).
stats() { api GET "/containers/$1/stats?stream=false${2:+&$2}"; }

# The docker CLI's CPU % of an object with its precpu_stats, as a whole number.
cpu_pct() {
        jq -r '((.cpu_stats.cpu_usage.total_usage - .precpu_stats.cpu_usage.total_usage)
                / (.cpu_stats.system_cpu_usage - .precpu_stats.system_cpu_usage)
                * .cpu_stats.online_cpus * 100) | floor'
}

# The docker CLI's memory use: usage without the inactive page cache (v1's
# total_inactive_file, v2's inactive_file).
mem_used() {
        jq -r '.memory_stats | .usage - (.stats.total_inactive_file // .stats.inactive_file // 0)'
}

# An HTTP server (busybox httpd) serving a 2 MB file "big"; $1 its name, the rest run's flags.
web() {
        local name=$1
        shift
        mkdir -p "$BATS_TEST_TMPDIR/www"
        head -c 2000000 /dev/urandom >"$BATS_TEST_TMPDIR/www/big"
        ross run -d --name "$name" -v "$BATS_TEST_TMPDIR/www:/www:ro" "$@" "$IMG" \
                busybox httpd -f -p 80 -h /www >/dev/null
}

# Fetch the big file from the test's network namespace (retried while the server starts).
fetch_big() {
        local ip=$1 _
        for _ in $(seq 50); do
                [ "$(in_netns curl -s --max-time 5 -o /dev/null -w '%{size_download}' "http://$ip/big")" = 2000000 ] && return 0
                sleep 0.2
        done
        echo "could not fetch http://$ip/big" >&2
        return 1
}

@test "stream=false: a busy container's CPU after a second, as the docker CLI computes it; Docker's fields" {
        up
        ross run -d --name busy "$IMG" sh -c 'while :; do :; done' >/dev/null
        sleep 1
        j=$(stats busy)
        [ "$(jq -r 'keys_unsorted | join(" ")' <<<"$j")" = \
                "read preread pids_stats blkio_stats num_procs storage_stats cpu_stats precpu_stats memory_stats name id" ]
        [ "$(jq -r .name <<<"$j")" = /busy ]
        [ "$(jq -r .id <<<"$j")" = "$(ross inspect busy | jq -r '.[0].Id')" ]
        # two samples a second apart: precpu_stats is the first, and the loop used CPU between
        [ "$(jq -r '.precpu_stats.cpu_usage.total_usage > 0 and .preread != "0001-01-01T00:00:00Z" and .read != .preread' <<<"$j")" = true ]
        pct=$(cpu_pct <<<"$j")
        [ "$pct" -gt 10 ] || { echo "CPU ${pct}%: $j"; false; }
        [ "$(jq -r .cpu_stats.online_cpus <<<"$j")" = "$(nproc)" ]
        [ "$(jq -r '.cpu_stats.cpu_usage.usage_in_usermode > 0' <<<"$j")" = true ]
        # one process: the shell's loop
        [ "$(jq -r .pids_stats.current <<<"$j")" = 1 ]
        # this host's cgroups are v1 (hybrid): Docker's v1 memory keys and blkio lists
        if [ -d /sys/fs/cgroup/memory ]; then
                [ "$(jq -r '.memory_stats.stats | length' <<<"$j")" = 32 ]
                [ "$(jq -r '.blkio_stats.io_service_bytes_recursive | type' <<<"$j")" = array ]
                [ "$(jq -r '.cpu_stats.cpu_usage.percpu_usage | length' <<<"$j")" = "$(nproc)" ]
        fi
        # --network none: no "networks", as Docker
        [ "$(jq -r 'has("networks")' <<<"$j")" = false ]
}

@test "memory: a container holding 48 MiB shows about that; --memory 100m is its limit, else the machine's memory" {
        up
        ross run -d --name mem --memory 100m --tmpfs /fill "$IMG" \
                sh -c 'dd if=/dev/zero of=/fill/z bs=1M count=48 2>/dev/null; echo filled; sleep 1000' >/dev/null
        for _ in $(seq 100); do ross logs mem | grep -q filled && break; sleep 0.1; done
        j=$(stats mem one-shot=true)
        [ "$(jq -r .memory_stats.limit <<<"$j")" = 104857600 ]
        used=$(mem_used <<<"$j")
        [ "$used" -ge $((48 * MiB)) ] && [ "$used" -le $((72 * MiB)) ] || { echo "used $used: $j"; false; }
        ross run -d --name nolimit "$IMG" sleep 1000 >/dev/null
        j=$(stats nolimit one-shot=true)
        [ "$(jq -r .memory_stats.limit <<<"$j")" = $(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024)) ]
        used=$(mem_used <<<"$j")
        [ "$used" -gt 0 ] && [ "$used" -lt $((16 * MiB)) ] || { echo "used $used: $j"; false; }
        # the table shows the limit as the docker CLI does
        run ross stats --no-stream mem
        assert_status 0
        assert_output_contains "MiB / 100MiB"
}

@test "pids: the container's processes, an exec among them, and --pids-limit" {
        up
        ross run -d --name procs --pids-limit 50 "$IMG" sh -c 'sleep 1000 & sleep 1000 & wait' >/dev/null
        for _ in $(seq 50); do [ "$(stats procs one-shot=true | jq -r .pids_stats.current)" = 3 ] && break; sleep 0.1; done
        j=$(stats procs one-shot=true)
        [ "$(jq -c '[.pids_stats.current, .pids_stats.limit]' <<<"$j")" = "[3,50]" ]
        ross exec -d procs sleep 1000
        for _ in $(seq 50); do [ "$(stats procs one-shot=true | jq -r .pids_stats.current)" = 4 ] && break; sleep 0.1; done
        [ "$(stats procs one-shot=true | jq -r .pids_stats.current)" = 4 ]
}

@test "the stream: an object a second, each with the one before as preread and precpu_stats; it ends with the container" {
        up
        ross run -d --name st "$IMG" sh -c 'while :; do :; done' >/dev/null
        run -28 api GET /containers/st/stats --max-time 3.5 -N
        # the objects, a line each; read times a second apart
        run $PY -c '
import calendar, json, sys, time
def t(s):
    if s.startswith("0001-"):
        return 0.0
    whole, _, frac = s.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + float("0." + (frac or "0"))
objs = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
print(len(objs))
print(objs[0]["preread"], objs[0]["precpu_stats"]["cpu_usage"]["total_usage"])
for a, b in zip(objs, objs[1:]):
    gap = t(b["read"]) - t(a["read"])
    print(b["preread"] == a["read"], b["precpu_stats"] == a["cpu_stats"], 0.8 < gap < 1.5,
          b["cpu_stats"]["cpu_usage"]["total_usage"] > a["cpu_stats"]["cpu_usage"]["total_usage"])
' "$output"
        assert_status 0
        [ "${lines[0]}" -ge 3 ] || { echo "$output"; false; }
        [ "${lines[1]}" = "0001-01-01T00:00:00Z 0" ]
        for l in "${lines[@]:2}"; do [ "$l" = "True True True True" ] || { echo "$output"; false; }; done
        # removing the container ends the stream
        api GET /containers/st/stats -N >"$BATS_TEST_TMPDIR/stream" &
        local curl_pid=$!
        sleep 1.5
        ross rm -f st >/dev/null
        for _ in $(seq 40); do kill -0 "$curl_pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$curl_pid" 2>/dev/null; then
                kill "$curl_pid"
                echo "the stream went on after rm" >&2
                false
        fi
        [ "$(grep -c '"name":"/st"' "$BATS_TEST_TMPDIR/stream")" -ge 1 ]
}

@test "one-shot=true: one sample at once, without precpu_stats; stream=false waits for the second, then reuses a kept sample" {
        up
        ross run -d --name once "$IMG" sh -c 'while :; do :; done' >/dev/null
        t0=$(date +%s%N)
        j=$(stats once one-shot=true)
        t1=$(date +%s%N)
        [ $(((t1 - t0) / 1000000)) -lt 900 ]
        [ "$(jq -c '[.preread, .precpu_stats.cpu_usage.total_usage, (.precpu_stats | has("system_cpu_usage"))]' <<<"$j")" = \
                '["0001-01-01T00:00:00Z",0,false]' ]
        [ "$(jq -r '.cpu_stats.cpu_usage.total_usage > 0 and .cpu_stats.system_cpu_usage > 0' <<<"$j")" = true ]
        t0=$(date +%s%N)
        j=$(stats once)
        t1=$(date +%s%N)
        [ $(((t1 - t0) / 1000000)) -ge 900 ]
        [ "$(jq -r '.preread != "0001-01-01T00:00:00Z"' <<<"$j")" = true ]
        # asked again: the "before" is a sample an earlier answer kept, a second or more
        # older, not one taken now (which would be after the last answer's read)
        j2=$(stats once)
        last_read=$(date -d "$(jq -r .read <<<"$j")" +%s%N)
        read=$(date -d "$(jq -r .read <<<"$j2")" +%s%N)
        preread=$(date -d "$(jq -r .preread <<<"$j2")" +%s%N)
        [ "$preread" -lt "$last_read" ] || { echo "preread $preread, last read $last_read"; false; }
        span=$(((read - preread) / 1000000))
        [ "$span" -ge 900 ] && [ "$span" -le 3000 ] || { echo "span ${span} ms"; false; }
        [ "$(jq -r '.cpu_stats.cpu_usage.total_usage > .precpu_stats.cpu_usage.total_usage' <<<"$j2")" = true ]
        # Docker's content type for it
        run api GET "/containers/once/stats?stream=0&one-shot=1" -o /dev/null -D -
        assert_output_contains "Content-Type: application/json"
}

@test "a container that does not run: Docker's object of zeroes; an unknown one is 404, a bad flag 400" {
        up
        ross create --name idle "$IMG" true >/dev/null
        ross run --name done "$IMG" true
        for c in idle done; do
                j=$(stats "$c")
                [ "$(jq -c '[.name, .read, .preread, .memory_stats, .pids_stats, .cpu_stats.cpu_usage.total_usage, .blkio_stats.io_service_bytes_recursive, has("networks")]' <<<"$j")" = \
                        "[\"/$c\",\"0001-01-01T00:00:00Z\",\"0001-01-01T00:00:00Z\",{},{},0,null,false]" ]
                [ "$(jq -r .id <<<"$j")" = "$(ross inspect "$c" | jq -r '.[0].Id')" ]
        done
        # streamed: zeroes too, until it runs
        run -28 api GET /containers/idle/stats --max-time 1.5 -N
        [ "$(jq -r .read <<<"${lines[0]}")" = 0001-01-01T00:00:00Z ]
        run api GET /containers/nope/stats -w '\n%{http_code}'
        [ "${lines[0]}" = '{"message":"No such container: nope"}' ]
        [ "${lines[1]}" = 404 ]
        run api GET "/containers/idle/stats?stream=maybe" -w '\n%{http_code}'
        [ "${lines[1]}" = 400 ]
}

@test "ross-cli stats --no-stream: the docker stats table with the container's name; --format json; -a; a name not there" {
        up
        ross run -d --name busy "$IMG" sh -c 'while :; do :; done' >/dev/null
        ross create --name idle "$IMG" true >/dev/null
        run ross stats --no-stream
        assert_status 0
        [[ "${lines[0]}" =~ ^CONTAINER\ ID\ +NAME\ +CPU\ %\ +MEM\ USAGE\ /\ LIMIT\ +MEM\ %\ +NET\ I/O\ +BLOCK\ I/O\ +PIDS$ ]]
        [ "${#lines[@]}" = 2 ]
        id=$(ross inspect busy | jq -r '.[0].Id')
        read -r cid name cpu _ <<<"${lines[1]}"
        [ "$cid" = "${id:0:12}" ] && [ "$name" = busy ]
        # the busy loop shows, as docker stats computes it
        [ "${cpu%%.*}" -gt 10 ] || { echo "$output"; false; }
        [[ "${lines[1]}" =~ \ 1$ ]]
        # -a: the created one too, with Docker's zeroes
        run ross stats --no-stream -a
        [ "${#lines[@]}" = 3 ]
        assert_output_contains "idle"
        [[ "$(grep idle <<<"$output")" =~ idle\ +0.00%\ +0B\ /\ 0B\ +0.00%\ +0B\ /\ 0B\ +0B\ /\ 0B\ +0$ ]]
        # the docker CLI's --format json: one object a container
        run ross stats --no-stream --format json busy
        assert_status 0
        [ "$(jq -r '[.Name, .ID, .Container, .PIDs] | join(" ")' <<<"$output")" = "busy ${id:0:12} busy 1" ]
        [[ "$(jq -r .CPUPerc <<<"$output")" =~ ^[0-9]+\.[0-9][0-9]%$ ]]
        [[ "$(jq -r .MemUsage <<<"$output")" =~ ^[0-9.]+(B|KiB|MiB)\ /\ [0-9.]+GiB$ ]]
        run ross stats --no-stream --no-trunc busy
        assert_output_contains "$id"
        run ross stats --no-stream nope
        assert_status 1
        assert_output_contains "No such container: nope"
        run ross stats --format yaml
        assert_status 125
        # live: redrawn every second in place, for `container stats` too
        run -124 timeout 2.6 "$ROSS_CLI" container stats busy
        [ "$(grep -o busy <<<"$output" | wc -l)" -ge 2 ]
        assert_output_contains $'\033[H'
        # nothing running: nothing at all (as docker stats --no-stream)
        ross rm -f busy >/dev/null
        run ross stats --no-stream
        assert_status 0
        [ -z "$output" ]
}

@test "docker stats --no-stream against Ross: the table and --format" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        up
        ross run -d --name busy --memory 100m "$IMG" sh -c 'while :; do :; done' >/dev/null
        run docker stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}' busy
        assert_status 0
        [[ "$output" =~ ^busy\ ([0-9]+)\.[0-9][0-9]%\ [0-9.]+(B|KiB|MiB)\ /\ 100MiB$ ]] || { echo "$output"; false; }
        [ "${BASH_REMATCH[1]}" -gt 10 ]
        run docker stats --no-stream busy
        assert_status 0
        [[ "${lines[0]}" =~ ^CONTAINER\ ID\ +NAME\ +CPU\ % ]]
        [[ "${lines[1]}" =~ ^$(ross inspect busy | jq -r '.[0].Id' | cut -c1-12)\ +busy\ + ]]
        run docker container stats --no-stream --format '{{.Name}} {{.PIDs}} {{.NetIO}}' busy
        [ "$output" = "busy 1 0B / 0B" ]
}

@test "docker-py: container.stats(stream=False) has Docker's keys; the decoded stream's precpu is the previous cpu" {
        $PY -c 'import docker' 2>/dev/null || skip "python3-docker is not installed (scripts/install-deps.sh installs it)"
        up
        ross run -d --name py --memory 64m "$IMG" sh -c 'while :; do :; done' >/dev/null
        run env IMG="$IMG" $PY - <<'EOF'
import os, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
ct = c.containers.get("py")
s = ct.stats(stream=False)
print(" ".join(sorted(s.keys())))
print(s["name"], s["id"] == ct.id, s["memory_stats"]["limit"], s["pids_stats"]["current"])
print(s["cpu_stats"]["cpu_usage"]["total_usage"] > s["precpu_stats"]["cpu_usage"]["total_usage"] > 0)
it = ct.stats(stream=True, decode=True)
a, b = next(it), next(it)
print(b["precpu_stats"] == a["cpu_stats"], b["preread"] == a["read"])
EOF
        assert_status 0
        [ "${lines[0]}" = "blkio_stats cpu_stats id memory_stats name num_procs pids_stats precpu_stats preread read storage_stats" ]
        [ "${lines[1]}" = "/py True 67108864 1" ]
        [ "${lines[2]}" = True ]
        [ "${lines[3]}" = "True True" ]
}

@test "network: what a container sends and receives is counted on its eth0; --network none and host have no networks" {
        start_daemon_netns "$IMG"
        web web
        ip=$(ross inspect web | jq -r '.[0].NetworkSettings.IPAddress')
        [ -n "$ip" ] && [ "$ip" != null ]
        before=$(stats web one-shot=true)
        [ "$(jq -r '.networks | keys | join(" ")' <<<"$before")" = eth0 ]
        fetch_big "$ip"
        after=$(stats web one-shot=true)
        tx0=$(jq -r .networks.eth0.tx_bytes <<<"$before")
        tx1=$(jq -r .networks.eth0.tx_bytes <<<"$after")
        rx0=$(jq -r .networks.eth0.rx_bytes <<<"$before")
        rx1=$(jq -r .networks.eth0.rx_bytes <<<"$after")
        [ "$tx1" -ge $((tx0 + 2000000)) ] || { echo "tx $tx0 -> $tx1"; false; }
        [ "$rx1" -gt "$rx0" ]
        [ "$(jq -r '.networks.eth0 | .tx_packets > 0 and .rx_packets > 0 and .rx_errors == 0' <<<"$after")" = true ]
        # the table's NET I/O: received / sent, in Docker's units
        run ross stats --no-stream --format json web
        [[ "$(jq -r .NetIO <<<"$output")" =~ /\ [2-9](\.[0-9]+)?MB$ ]] || { echo "$output"; false; }
        ross run -d --name nonet --network none "$IMG" sleep 1000 >/dev/null
        ross run -d --name hostnet --network host "$IMG" sleep 1000 >/dev/null
        [ "$(stats nonet one-shot=true | jq -r 'has("networks")')" = false ]
        [ "$(stats hostnet one-shot=true | jq -r 'has("networks")')" = false ]
}

@test "a qemu VM: the CPU, memory and tasks of its VMM; the VM's memory as the limit" {
        need_qemu
        up
        ross run -d --name vm --runtime qemu --memory 256m "$IMG" sh -c 'while :; do :; done' >/dev/null
        j=$(stats vm)
        [ "$(jq -r .name <<<"$j")" = /vm ]
        pct=$(cpu_pct <<<"$j")
        [ "$pct" -gt 10 ] || { echo "CPU ${pct}%: $j"; false; }
        [ "$(jq -r .memory_stats.limit <<<"$j")" = $((256 * MiB)) ]
        used=$(mem_used <<<"$j")
        [ "$used" -gt $((10 * MiB)) ] || { echo "memory $used: $j"; false; }
        # its processes' proportional and resident sizes; the usage is the first
        [ "$(jq -r '.memory_stats | .usage == .stats.pss and .stats.rss >= .stats.pss' <<<"$j")" = true ]
        # QEMU's threads (vCPUs, I/O) and its helpers'
        [ "$(jq -r '.pids_stats.current > 1' <<<"$j")" = true ]
        # no network (--bridge none): no networks
        [ "$(jq -r 'has("networks")' <<<"$j")" = false ]
        run ross stats --no-stream vm
        assert_status 0
        assert_output_contains " / 256MiB"
        # stopped, it is zeroes as any container
        ross kill vm >/dev/null
        [ "$(stats vm | jq -r .read)" = 0001-01-01T00:00:00Z ]
}

@test "a qemu VM on a bridge network: its traffic on the namespace's eth0, its tap not counted again" {
        need_qemu
        start_daemon_netns "$IMG"
        web vm --runtime qemu
        ip=$(ross inspect vm | jq -r '.[0].NetworkSettings.IPAddress')
        [ -n "$ip" ] && [ "$ip" != null ]
        fetch_big "$ip"
        j=$(stats vm one-shot=true)
        [ "$(jq -r '.networks | keys | join(" ")' <<<"$j")" = eth0 ]
        [ "$(jq -r .networks.eth0.tx_bytes <<<"$j")" -ge 2000000 ]
}
