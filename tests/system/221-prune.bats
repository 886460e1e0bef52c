#!/usr/bin/env bats
# Pruning (issue 12, section 5): POST /containers/prune and ross-cli container prune, image
# prune's until and label filters, ross-cli system prune [-a] [--volumes] [--filter], with
# ross-cli, the docker CLI and python3-docker.

bats_require_minimum_version 1.5.0

load helpers

PY=/usr/bin/python3

setup() {
        IMG=$REG_PLAIN/busybox
}

teardown() {
        if [ -n "${NETNS:-}" ]; then
                teardown_netns
        else
                teardown_containers
        fi
}

cid() { api GET "/containers/$1/json" | jq -r .Id; }

# filters={...} escaped for a query string
filters() { $PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }

@test "container prune: created and exited containers go, running and paused stay; until, label and label! filters" {
        start_daemon
        ross pull -q "$IMG" >/dev/null
        ross run -d --name up "$IMG" sleep 600 >/dev/null
        ross run -d --name frozen "$IMG" sleep 600 >/dev/null
        ross pause frozen
        made=$(ross create --name made "$IMG" true)
        ross run --name old "$IMG" true
        old=$(cid old)
        ross run --name kept --label keep=yes "$IMG" sh -c 'head -c 200000 /dev/zero >/f'
        kept=$(cid kept)
        ross run --name tiered --label tier=x "$IMG" true
        tiered=$(cid tiered)
        # without -f and without a yes: nothing goes
        run ross container prune </dev/null
        assert_status 0
        [ "$(ross ps -a -q | wc -l)" = 6 ]
        # until: only what was made before; an hour ago, nothing was
        run ross container prune -f --filter until=1h
        assert_status 0
        [ "$output" = "Total reclaimed space: 0B" ]
        # label: what it wrote is what is reclaimed
        t0=$(date +%s.%N)
        run ross container prune -f --filter label=keep=yes
        assert_status 0
        [ "$output" = "$(printf 'Deleted Containers:\n%s\n\nTotal reclaimed space: 200kB' "$kept")" ]
        # its events: the container's destroy, then Docker's prune with what it freed
        run ross events --since "$t0" --until "$(date +%s.%N)" --format json --filter type=container
        [ "$(jq -r '[.Action, (.Actor.Attributes.name // .Actor.Attributes.reclaimed)] | join(" ")' <<<"$output" | tr '\n' ',')" = "destroy kept,prune 200000," ]
        # label!: all but the ones with that label
        run ross container prune -f --filter 'label!=tier=x'
        assert_status 0
        [ "${lines[0]}" = "Deleted Containers:" ]
        [ "$(printf '%s\n' "${lines[1]}" "${lines[2]}" | sort)" = "$(printf '%s\n' "$made" "$old" | sort)" ]
        # the API: an until in the future (RFC 3339) takes the rest that is not running
        run api POST "/containers/prune?filters=$(filters '{"until":["2999-01-01T00:00:00Z"]}')"
        [ "$(jq -c .ContainersDeleted <<<"$output")" = "[\"$tiered\"]" ]
        [ "$(jq .SpaceReclaimed <<<"$output")" = 0 ]
        [ "$(ross ps -a --format json | jq -r '.[].Names[0]' | sort | tr '\n' ' ')" = "/frozen /up " ]
        # Docker's refusals
        run api POST "/containers/prune?filters=$(filters '{"bogus":["x"]}')"
        [ "$(jq -r .message <<<"$output")" = "invalid filter 'bogus'" ]
        run api POST "/containers/prune?filters=$(filters '{"until":["soon"]}')"
        assert_output_contains "invalid value for 'until' filter"
        run api POST "/containers/prune?filters=$(filters '{"until":["1h","2h"]}')"
        [ "$(jq -r .message <<<"$output")" = "more than one until filter specified" ]
        ross unpause frozen
}

@test "image prune: the dangling ones; -a with label, label! and until filters; images in use stay" {
        start_daemon
        ross pull -q "$IMG" >/dev/null
        ross pull -q "$REG_PLAIN/busybox-full" >/dev/null # label ross.test=yes
        ross pull -q "$REG_PLAIN/moving" >/dev/null       # label version=2
        # by digest only: no tag, dangling
        ross pull -q "$REG_PLAIN/layers@$(top_digest layers)" >/dev/null
        ross create --name user "$IMG" true >/dev/null
        t0=$(date +%s.%N)
        run ross image prune -f
        assert_status 0
        assert_output_contains "Deleted: $(image_id layers)"
        run ross events --since "$t0" --until "$(date +%s.%N)" --format json --filter type=image
        [ "$(jq -r .Action <<<"$output" | tr '\n' ' ')" = "delete prune " ]
        [ "$(ross images -q | wc -l)" = 3 ]
        # -a with a label: that image alone
        run ross image prune -a -f --filter label=ross.test=yes
        assert_status 0
        assert_output_contains "Untagged: $REG_PLAIN/busybox-full:latest"
        assert_output_contains "Deleted: $(image_id busybox-full)"
        [ "$(ross images -q | wc -l)" = 2 ]
        # until before they were made (they say 2000-01-01): nothing; label! spares version=2
        run ross image prune -a -f --filter until=1999-06-01T00:00:00Z
        [ "$(ross images -q | wc -l)" = 2 ]
        run ross image prune -a -f --filter label!=version=2
        [ "$(ross images -q | wc -l)" = 2 ]
        # after it: the one no container uses goes, the container's stays
        run ross image prune -a -f --filter until=2000-06-01
        assert_status 0
        assert_output_contains "Deleted: $(image_id busybox-v2)"
        [ "$(ross images -q)" = "$(image_id busybox | cut -c8-19)" ]
        run api POST "/images/prune?filters=$(filters '{"dangling":["maybe"]}')"
        [ "$(jq -r .message <<<"$output")" = "invalid filter 'dangling=[maybe]'" ]
        run api POST "/images/prune?filters=$(filters '{"reference":["x"]}')"
        [ "$(jq -r .message <<<"$output")" = "invalid filter 'reference'" ]
}

@test "system prune: stopped containers, unused networks, dangling images; -a every unused image; --volumes the anonymous volumes" {
        start_daemon_netns "$IMG" "$REG_PLAIN/busybox-full"
        ross network create pn1 >/dev/null
        ross network create --label team=b pn2 >/dev/null
        ross run -d --name alive --network pn2 "$IMG" sleep 600 >/dev/null
        ross run --name gone -v /anon "$IMG" true
        gone=$(cid gone)
        anon=$(api GET /containers/gone/json | jq -r '.Mounts[0].Name')
        ross volume create named >/dev/null
        ross run --name gone2 -v named:/n "$IMG" true
        gone2=$(cid gone2)
        # asked first, and told what goes
        run ross system prune </dev/null
        assert_status 0
        assert_output_contains "  - all stopped containers"
        assert_output_contains "  - all dangling images"
        [ "$(ross ps -a -q | wc -l)" = 3 ]
        run ross system prune -f
        assert_status 0
        [ "${lines[0]}" = "Deleted Containers:" ]
        [ "$(printf '%s\n' "${lines[1]}" "${lines[2]}" | sort)" = "$(printf '%s\n' "$gone" "$gone2" | sort)" ]
        [ "${lines[3]}" = "Deleted Networks:" ]
        [ "${lines[4]}" = pn1 ]
        [ "${lines[5]}" = "Total reclaimed space: 0B" ]
        [ "${#lines[@]}" = 6 ]
        # volumes only with --volumes, and then the anonymous ones
        [ "$(ross volume ls -q | sort | tr '\n' ' ')" = "$(printf '%s\n' "$anon" named | sort | tr '\n' ' ')" ]
        run ross system prune -f --volumes
        assert_status 0
        [ "$output" = "$(printf 'Deleted Volumes:\n%s\n\nTotal reclaimed space: 0B' "$anon")" ]
        [ "$(ross volume ls -q)" = named ]
        run ross system prune -f --volumes --filter until=1h
        assert_status 125
        assert_output_contains 'The "until" filter is not supported with "--volumes"'
        # -a: every image no container uses
        run ross system prune -a -f
        assert_status 0
        [ "$output" = "$(printf 'Deleted Images:\nuntagged: %s\ndeleted: %s\n\nTotal reclaimed space: %s' \
                "$REG_PLAIN/busybox-full:latest" "$(image_id busybox-full)" "${lines[3]#Total reclaimed space: }")" ]
        [ "$(ross images -q)" = "$(image_id busybox | cut -c8-19)" ]
        # a label filter reaches the networks too
        ross stop -t 0 alive >/dev/null
        ross network create --label team=a pn3 >/dev/null
        run ross system prune -f --filter label=team=b
        assert_status 0
        assert_output_contains "$(printf 'Deleted Networks:\npn2')"
        # alive has no label team=b: it stays, and so does pn3 (team=a)
        [ "$(ross ps -a --format json | jq -r '.[].Names[0]')" = /alive ]
        run ross network inspect pn3
        assert_status 0
}

@test "the docker CLI and python3-docker: docker container prune, docker system prune, containers.prune()" {
        command -v docker >/dev/null || skip "the docker CLI is not installed"
        start_daemon
        ross pull -q "$IMG" >/dev/null
        ross pull -q "$REG_PLAIN/busybox-full" >/dev/null
        docker run --name d1 "$IMG" true
        d1=$(cid d1)
        docker run -d --name d2 "$IMG" sleep 600 >/dev/null
        run docker container prune -f
        assert_status 0
        [ "$output" = "$(printf 'Deleted Containers:\n%s\n\nTotal reclaimed space: 0B' "$d1")" ]
        docker run --name d3 --label x=1 "$IMG" true
        docker run --name d4 "$IMG" true
        d4=$(cid d4)
        if $PY -c 'import docker' 2>/dev/null; then
                run $PY -c '
import os, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
r = c.containers.prune(filters={"label": "x=1"})
print(len(r["ContainersDeleted"]), r["SpaceReclaimed"], [x.name for x in c.containers.list(all=True)])'
                assert_status 0
                [ "$output" = "1 0 ['d4', 'd2']" ]
        fi
        # docker system prune asks for the build cache too: there is none, and it goes on
        run docker system prune -f
        assert_status 0
        [ "$output" = "$(printf 'Deleted Containers:\n%s\n\nTotal reclaimed space: 0B' "$d4")" ]
        [ "$(docker ps -a --format '{{.Names}}')" = d2 ]
        run docker system prune -a -f
        assert_status 0
        assert_output_contains "untagged: $REG_PLAIN/busybox-full:latest"
        assert_output_contains "deleted: $(image_id busybox-full)"
        [ "$(docker images -q)" = "$(image_id busybox | cut -c8-19)" ]
}
