#!/usr/bin/env bats
# Volumes (issue 12, part 1): named volumes made on first use or by `volume create`, the
# image's content copied into an empty one, anonymous volumes (-v /path, the image's
# Volumes) and rm -v, the volume commands and their filters, a volume in use kept, Mounts in
# inspect, and a VM container on a named volume.

bats_require_minimum_version 1.5.0

load helpers

IMG=${REG_PLAIN:-127.0.0.1:15000}/busybox
VIMG=${REG_PLAIN:-127.0.0.1:15000}/busybox-volumes

setup() {
        start_daemon
        ross pull -q "$IMG" >/dev/null
}

teardown() {
        teardown_containers
}

@test "a named volume: made on first use, shared by containers, kept after them, in use is 409" {
        run ross run --name w1 -v data:/data "$IMG" sh -c 'echo kept >/data/f; ls -ld /data'
        assert_status 0
        # Docker's inspect of the volume; its data where Mountpoint says
        mp=$(ross volume inspect data | jq -r '.[0].Mountpoint')
        [ "$mp" = "$DATA/volumes/data/_data" ]
        [ "$(cat "$mp/f")" = kept ]
        [ "$(ross volume inspect data | jq -c '.[0] | [.Name, .Driver, .Scope, .Labels]')" = \
                '["data","local","local",{}]' ]
        # another container sees it, read-only where asked
        run ross run --rm -v data:/d:ro "$IMG" sh -c 'cat /d/f; echo x >/d/g'
        assert_output_contains kept
        [ ! -e "$mp/g" ]
        # in use by a container that exists, even stopped: refused in Docker's words
        run ross volume rm data
        assert_status 1
        assert_output_contains "remove data: volume is in use - [$(ross inspect w1 | jq -r '.[0].Id')]"
        run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X DELETE http://ross/volumes/data
        [ "$output" = 409 ]
        # Mounts in the container's inspect
        [ "$(ross inspect w1 | jq -c '.[0].Mounts[0] | [.Type, .Name, .Source, .Destination, .Driver, .RW]')" = \
                "[\"volume\",\"data\",\"$mp\",\"/data\",\"local\",true]" ]
        # rm -v leaves a named volume alone; then it can go
        ross rm -v w1 >/dev/null
        [ "$(cat "$mp/f")" = kept ]
        run ross volume rm data
        assert_status 0
        [ "$output" = data ]
        [ ! -e "$DATA/volumes/data" ]
        run ross volume inspect data
        assert_status 1
        assert_output_contains "get data: no such volume"
}

@test "first use copies the image's content in (owner, mode, files); not with nocopy; not into a volume with data" {
        ross pull -q "$VIMG" >/dev/null
        run ross run --rm -v home:/home/app "$VIMG" sh -c 'cat /home/app/hello /home/app/sub/deep'
        assert_status 0
        [ "$output" = "$(printf 'from the image\ndeep')" ]
        d=$DATA/volumes/home/_data
        [ "$(stat -c '%u:%g %a' "$d")" = "1000:1000 750" ]
        [ "$(stat -c '%u:%g %a' "$d/hello")" = "1000:1000 640" ]
        # a volume with something in it is not written over
        echo mine >"$d/hello"
        run ross run --rm -v home:/home/app "$VIMG" cat /home/app/hello
        [ "$output" = mine ]
        # nocopy: empty
        run ross run --rm -v bare:/home/app:nocopy "$VIMG" ls -A /home/app
        assert_status 0
        [ -z "$output" ]
        run ross run --rm --mount type=volume,source=bare2,target=/home/app,volume-nocopy "$VIMG" ls -A /home/app
        [ -z "$output" ]
        # the image's /srv/link is a symlink to /etc: resolved inside the container's root,
        # the copy is the image's /etc, never the host's
        run ross run --rm -v etcvol:/srv/link "$VIMG" cat /etc/group
        assert_status 0
        [ "$(cat "$DATA/volumes/etcvol/_data/group")" = "$(printf 'root:x:0:\ndaemon:x:1:\napp:x:1000:\nextra:x:2000:app')" ]
        [ "$(cat "$DATA/volumes/etcvol/_data/passwd")" = "$(ross run --rm "$VIMG" cat /etc/passwd)" ]
        [ ! -e "$DATA/volumes/etcvol/_data/os-release" ]
        [ ! -e "$DATA/volumes/etcvol/_data/shadow" ]
}

@test "anonymous volumes: -v /path and the image's Volumes; rm keeps them, rm -v and --rm remove them" {
        ross pull -q "$VIMG" >/dev/null
        ross run --name a1 -v /scratch "$VIMG" sh -c 'echo s >/scratch/x; cat /home/app/hello' >/dev/null
        j=$(ross inspect a1 | jq -c '[.[0].Mounts[] | select(.Type == "volume") | {(.Destination): .Name}] | add')
        # three: -v /scratch, and the image's /home/app and /srv/empty, each a 64-hex name
        [ "$(jq -r 'keys | join(" ")' <<<"$j")" = "/home/app /scratch /srv/empty" ]
        for n in $(jq -r '.[]' <<<"$j"); do [[ "$n" =~ ^[0-9a-f]{64}$ ]]; done
        home=$(jq -r '.["/home/app"]' <<<"$j")
        [ "$(cat "$DATA/volumes/$home/_data/hello")" = "from the image" ]
        [ "$(ross volume inspect "$home" | jq -c '.[0].Labels')" = '{"com.docker.volume.anonymous":""}' ]
        # a bind at the image's volume path: no volume there
        run ross run --rm -v "$BATS_TEST_TMPDIR:/home/app" "$VIMG" true
        [ "$(ross volume ls -q | wc -l)" = 3 ]
        # rm without -v keeps them (dangling now); rm -v removes a container's own
        ross run --name a2 -v /scratch "$IMG" true
        a2=$(ross inspect a2 | jq -r '.[0].Mounts[0].Name')
        ross rm a1 >/dev/null
        [ "$(ross volume ls -q -f dangling=true | sort)" = "$(jq -r '.[]' <<<"$j" | sort)" ]
        ross rm -v a2 >/dev/null
        [ ! -e "$DATA/volumes/$a2" ]
        # --rm removes them too
        ross run --rm -v /tmpvol "$IMG" true
        [ "$(ross volume ls -q | wc -l)" = 3 ]
        # prune: the anonymous unused ones; a named one stays unless -a
        ross volume create named >/dev/null
        run ross volume prune -f
        assert_status 0
        assert_output_contains "Deleted Volumes:"
        assert_output_contains "$home"
        assert_output_contains "Total reclaimed space:"
        [ "$(ross volume ls -q)" = named ]
        ross volume prune -f -a >/dev/null
        [ -z "$(ross volume ls -q)" ]
}

@test "a bind mount beside: rm -v and system df look through every container's mounts and answer" {
        ross create --name bound -v "$BATS_TEST_TMPDIR:/b" "$IMG" true >/dev/null
        ross run --name anon -v /scratch "$IMG" true
        vol=$(ross inspect anon | jq -r '.[0].Mounts[0].Name')
        [ -d "$DATA/volumes/$vol" ]
        run ross system df
        assert_status 0
        assert_output_contains "Local Volumes"
        ross rm -v anon >/dev/null
        [ ! -e "$DATA/volumes/$vol" ]
        [ "$(ross inspect bound | jq -r '.[0].Mounts[0].Source')" = "$BATS_TEST_TMPDIR" ]
}

@test "volume create, ls and its filters, labels, inspect; the API's shapes" {
        [ "$(ross volume create --label team=a --label tier v1)" = v1 ]
        ross volume create v2 >/dev/null
        # create of an existing volume is that volume (Docker's), labels kept
        [ "$(ross volume create v1)" = v1 ]
        [ "$(ross volume inspect v1 | jq -c '.[0].Labels')" = '{"team":"a","tier":""}' ]
        run ross volume ls
        [ "${lines[0]}" = "DRIVER          VOLUME NAME" ]
        [ "${lines[1]}" = "local           v1" ]
        [ "${lines[2]}" = "local           v2" ]
        [ "$(ross volume ls -q -f label=team=a)" = v1 ]
        [ "$(ross volume ls -q -f label=tier)" = v1 ]
        [ "$(ross volume ls -q -f name=2)" = v2 ]
        [ "$(ross volume ls -q -f driver=local | wc -l)" = 2 ]
        ross create --name user -v v2:/x "$IMG" true >/dev/null
        [ "$(ross volume ls -q -f dangling=true)" = v1 ]
        [ "$(ross volume ls -q -f dangling=false)" = v2 ]
        # the API: 201 and the volume; a list with Volumes and Warnings
        run curl -s -w ' %{http_code}' --unix-socket "$SOCK" -H 'Content-Type: application/json' \
                -d '{"Name":"api1","Labels":{"k":"v"}}' http://ross/volumes/create
        [[ "$output" == *" 201" ]]
        [ "$(jq -c '[.Name, .Labels, .Driver]' <<<"${output% *}")" = '["api1",{"k":"v"},"local"]' ]
        run curl -s --unix-socket "$SOCK" http://ross/volumes
        [ "$(jq -c '[(.Volumes | length), .Warnings]' <<<"$output")" = '[3,[]]' ]
        run curl -s -w ' %{http_code}' --unix-socket "$SOCK" -X DELETE http://ross/volumes/nope
        [[ "$output" == *" 404" ]]
        run curl -s -w ' %{http_code}' --unix-socket "$SOCK" -X DELETE 'http://ross/volumes/nope?force=1'
        [ "$output" = " 204" ]
        run curl -s -w ' %{http_code}' --unix-socket "$SOCK" 'http://ross/volumes?filters=%7B%22nope%22%3A%5B%22x%22%5D%7D'
        [[ "$output" == *"invalid filter 'nope'"*" 400" ]]
}

@test "bad input: a bad name, another driver, driver options, two mounts at one path, a path as a volume: one clear error, nothing made" {
        run ross volume create 'bad@name'
        assert_status 1
        assert_output_contains 'create bad@name: "bad@name" includes invalid characters for a local volume name'
        run ross volume create -d nfs vv
        assert_status 1
        assert_output_contains 'plugin "nfs" not found'
        run ross volume create -o type=tmpfs vv
        assert_status 1
        assert_output_contains "the local driver's options (type, device, o) are not supported"
        run ross run --rm -v 'bad@name:/x' "$IMG" true
        assert_status 125
        assert_output_contains 'includes invalid characters for a local volume name'
        run ross run --rm -v a1:/x -v a2:/x "$IMG" true
        assert_status 125
        assert_output_contains "Duplicate mount point: /x"
        run ross run --rm -v vv:/ "$IMG" true
        assert_status 125
        assert_output_contains "destination can't be '/'"
        run ross run --rm -v vv:/x:bogus "$IMG" true
        assert_status 125
        assert_output_contains "invalid mode: bogus"
        run ross run --rm --mount type=volume,source=/abs,target=/x "$IMG" true
        assert_status 125
        assert_output_contains "a volume's name, not a path"
        # none of them left a volume or a container behind
        [ -z "$(ross volume ls -q)" ]
        [ -z "$(ross ps -aq)" ]
        [ -z "$(ls -A "$DATA/volumes")" ]
}

@test "--mount type=volume: readonly, labels for the new volume" {
        run ross run --rm --mount type=volume,source=mv,target=/m,volume-label=made=by-mount "$IMG" sh -c 'echo w >/m/f && cat /m/f'
        [ "$output" = w ]
        [ "$(ross volume inspect mv | jq -c '.[0].Labels')" = '{"made":"by-mount"}' ]
        run ross run --rm --mount type=volume,source=mv,target=/m,readonly "$IMG" sh -c 'cat /m/f; echo x >/m/g'
        assert_output_contains w
        assert_output_contains "Read-only file system"
}

@test "vm: a qemu VM container writes a named volume a namespace container reads" {
        if ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
                skip "qemu-system-x86 and linux-image-amd64 are not installed (scripts/install-deps.sh installs them)"
        fi
        run ross run --rm --runtime qemu -v shared:/data "$IMG" sh -c 'echo from-the-vm >/data/f'
        assert_status 0
        run ross run --rm -v shared:/data "$IMG" cat /data/f
        [ "$output" = from-the-vm ]
}
