#!/usr/bin/env bats
# Healthchecks (issue 12, section 2): --health-* and the image's Healthcheck, probes run as
# execs (inside the VM for a VM container), State.Health with its log, the failing streak,
# the start period, the timeout, --no-healthcheck, ps's status and health filter, the
# health_status events, docker-compose's depends_on: condition: service_healthy, and
# docker-py's healthcheck (in nanoseconds) with the health filter.

bats_require_minimum_version 1.5.0

load helpers

IMG=${REG_PLAIN:-127.0.0.1:15000}/busybox
HIMG=${REG_PLAIN:-127.0.0.1:15000}/busybox-health

setup() {
        if [ "$BATS_TEST_NUMBER" != 5 ]; then
                start_daemon
                ross pull -q "$IMG" >/dev/null
        fi
}

teardown() {
        if [ -n "${NETNS:-}" ]; then teardown_netns; else teardown_containers; fi
}

health() { ross inspect "$1" | jq -r '.[0].State.Health.Status'; }
health_is() { [ "$(health "$1")" = "$2" ]; }
until_ok() { # N CMD...
        local n=$1 _
        shift
        for _ in $(seq "$n"); do "$@" 2>/dev/null && return 0; sleep 0.1; done
        "$@"
}

@test "--health-cmd: starting, healthy once the check passes, unhealthy after the retries; the log, ps and its filter, events" {
        t0=$(date +%s.%N)
        # the start period: failures before the file is there do not count
        ross run -d --name hc --health-cmd 'test -e /tmp/ok && echo fine' --health-interval 200ms \
                --health-retries 2 --health-start-period 20s --health-start-interval 200ms \
                "$IMG" sh -c 'sleep 1; touch /tmp/ok; exec sleep 600' >/dev/null
        [ "$(health hc)" = starting ]
        until_ok 100 health_is hc healthy
        j=$(ross inspect hc | jq -c '.[0].State.Health')
        [ "$(jq -r .FailingStreak <<<"$j")" = 0 ]
        [ "$(jq -r '.Log[-1] | [.ExitCode, .Output] | @tsv' <<<"$j")" = "$(printf '0\tfine\\n')" ]
        [[ "$(jq -r '.Log[-1].Start' <<<"$j")" =~ ^20[0-9-]+T[0-9:.]+Z$ ]]
        [ "$(jq '.Log | length <= 5' <<<"$j")" = true ]
        run ross ps --format json
        [[ "$(jq -r '.[]?.Status // .Status' <<<"$output")" == "Up "*" (healthy)" ]]
        [ "$(ross ps -q -f health=healthy)" = "$(ross ps -q -f name=hc)" ]
        # the check fails from now on: unhealthy after 2 failures in a row
        ross exec hc rm /tmp/ok
        until_ok 100 health_is hc unhealthy
        [ "$(ross inspect hc | jq -r '.[0].State.Health.FailingStreak')" -ge 2 ]
        [ "$(ross inspect hc | jq -r '.[0].State.Health.Log[-1].ExitCode')" = 1 ]
        [ -n "$(ross ps -q -f health=unhealthy)" ]
        [ -z "$(ross ps -q -f health=healthy)" ]
        t1=$(date +%s.%N)
        run ross events --since "$t0" --until "$t1" --filter event=health_status --format json
        [ "$(jq -r .Action <<<"$output" | tr '\n' ',')" = "health_status: healthy,health_status: unhealthy," ]
        # probes leave no exec behind (the user's exec above stays; one probe may be under way)
        [ "$(ls "$DATA/containers/$(ross inspect hc | jq -r '.[0].Id')/exec" 2>/dev/null | wc -l)" -le 2 ]
}

@test "the image's Healthcheck; --no-healthcheck turns it off; a container without one has no Health" {
        ross pull -q "$HIMG" >/dev/null
        ross run -d --name ih "$HIMG" sleep 600 >/dev/null
        until_ok 100 health_is ih healthy
        [ "$(ross inspect ih | jq -r '.[0].State.Health.Log[-1].Output')" = image-check ]
        [ "$(ross inspect ih | jq -c '.[0].Config.Healthcheck.Test')" = '["CMD-SHELL","test -e /etc/passwd && echo image-check"]' ]
        ross run -d --name nh --no-healthcheck "$HIMG" sleep 600 >/dev/null
        sleep 0.6
        [ "$(ross inspect nh | jq -c '.[0].State.Health')" = null ]
        ross run -d --name plain "$IMG" sleep 600 >/dev/null
        [ "$(ross inspect plain | jq -c '.[0].State.Health')" = null ]
        [ "$(ross ps -q -f health=none | wc -l)" = 2 ]
}

@test "timeout and start period: a probe past its timeout fails with Docker's words; failures in the start period do not count" {
        ross run -d --name to --health-cmd 'sleep 5' --health-timeout 300ms --health-interval 200ms \
                --health-retries 1 "$IMG" sleep 600 >/dev/null
        until_ok 100 health_is to unhealthy
        [ "$(ross inspect to | jq -r '.[0].State.Health.Log[-1] | [.ExitCode, .Output] | @tsv')" = "$(printf -- '-1\tHealth check exceeded timeout (300ms)')" ]
        ross run -d --name sp --health-cmd false --health-interval 200ms --health-retries 1 \
                --health-start-period 3s --health-start-interval 200ms "$IMG" sleep 600 >/dev/null
        sleep 1.5
        [ "$(health sp)" = starting ]
        [ "$(ross inspect sp | jq -r '.[0].State.Health.Log | length')" -ge 2 ]
        until_ok 100 health_is sp unhealthy
        run ross run --rm --health-interval 10us --health-cmd true "$IMG" true
        assert_status 125
        assert_output_contains "Interval in Healthcheck cannot be less than 1ms"
}

@test "vm: a qemu VM container's probe runs inside the VM" {
        if ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
                skip "qemu-system-x86 and linux-image-amd64 are not installed (scripts/install-deps.sh installs them)"
        fi
        ross run -d --name vmh --runtime qemu --health-cmd 'tr "\0" " " </proc/1/cmdline' \
                --health-interval 300ms "$IMG" sleep 600 >/dev/null
        until_ok 200 health_is vmh healthy
        # PID 1 there is ross-init, the VM's /init, not the container's command
        [[ "$(ross inspect vmh | jq -r '.[0].State.Health.Log[-1].Output')" == "/init"* ]]
}

@test "docker-compose: depends_on condition service_healthy starts the app once the db is healthy" {
        command -v docker-compose >/dev/null || skip "docker-compose is not installed"
        start_daemon_netns "$IMG"
        local dir=$BATS_TEST_TMPDIR/hp
        mkdir -p "$dir"
        cat >"$dir/docker-compose.yml" <<YML
version: "2.4"
services:
  db:
    image: $IMG
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 600"]
    healthcheck:
      test: ["CMD", "ls", "/tmp/ready"]
      interval: 300ms
      retries: 30
  app:
    image: $IMG
    command: ["sh", "-c", "date +%s >/tmp/started; exec sleep 600"]
    depends_on:
      db:
        condition: service_healthy
YML
        run docker-compose -p hp -f "$dir/docker-compose.yml" up -d
        assert_status 0
        [ "$(docker inspect -f '{{.State.Health.Status}}' hp_db_1)" = healthy ]
        db_healthy=$(docker inspect hp_db_1 | jq -r '[.[0].State.Health.Log[] | select(.ExitCode == 0)][0].End')
        app_started=$(docker inspect -f '{{.State.StartedAt}}' hp_app_1)
        [[ "$app_started" > "$db_healthy" ]] || { echo "app $app_started db healthy $db_healthy"; false; }
        [ "$(docker inspect hp_db_1 | jq -c '.[0].Config.Healthcheck.Test')" = '["CMD","ls","/tmp/ready"]' ]
        run docker-compose -p hp -f "$dir/docker-compose.yml" down
        assert_status 0
}

@test "docker-py: healthcheck in nanoseconds, healthy with its log, the health filter, no probe while paused, unhealthy after the retries; starting in the start period" {
        /usr/bin/python3 -c 'import docker' 2>/dev/null || skip "python3-docker is not installed"
        run env IMG="$IMG" /usr/bin/python3 - <<'PY'
import itertools, os, time, docker
c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
ms = 1000000
ct = c.containers.run(os.environ["IMG"], ["sh", "-c", "touch /tmp/ok; exec sleep 600"],
                      detach=True, name="py",
                      healthcheck={"test": ["CMD-SHELL", "test -e /tmp/ok && echo fine"],
                                   "interval": 200 * ms, "timeout": 5000 * ms, "retries": 2})
def wait(status):
    for _ in range(300):
        ct.reload()
        if ct.attrs["State"]["Health"]["Status"] == status:
            break
        time.sleep(0.1)
    return ct.attrs["State"]["Health"]
def ids(status):
    return [x.id for x in c.containers.list(filters={"health": status})]
def ns(t):  # RFC 3339 with its fraction to 9 digits, to compare as strings
    d, _, f = t.rstrip("Z").partition(".")
    return d + "." + f.ljust(9, "0")
hc = ct.attrs["Config"]["Healthcheck"]
print(hc["Test"], hc["Interval"], hc["Timeout"], hc["Retries"])
h = wait("healthy")
e = h["Log"][-1]
print(h["Status"], h["FailingStreak"], e["ExitCode"], repr(e["Output"]), ns(e["Start"]) <= ns(e["End"]))
print("healthy", ids("healthy") == [ct.id], ids("unhealthy"), ids("starting"))
# paused: no probe runs (Docker stops them) and exec is refused; the health stays as it was
def now():
    t = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 10**9)) + ".%09d" % (t % 10**9)
ct.pause()
paused = now()
time.sleep(1)
ct.reload()
h = ct.attrs["State"]["Health"]
try:
    ct.exec_run(["true"])
    print("exec ran")
except docker.errors.APIError as x:
    print("exec", x.status_code, x.explanation.replace(ct.id, "ID"))
print("paused", ct.status, h["Status"], [e["Start"] for e in h["Log"] if ns(e["Start"]) > paused])
ct.unpause()
unpaused = now()
for _ in range(300):
    ct.reload()
    h = ct.attrs["State"]["Health"]
    if ns(h["Log"][-1]["Start"]) > unpaused:
        break
    time.sleep(0.1)
print("unpaused", h["Status"], h["Log"][-1]["ExitCode"], ns(h["Log"][-1]["Start"]) > unpaused)
# the check fails from now on: FailingStreak counts the failures at the log's end (the log
# keeps the last 5)
assert ct.exec_run(["rm", "/tmp/ok"]).exit_code == 0
h = wait("unhealthy")
codes = [x["ExitCode"] for x in h["Log"]]
tail = len(list(itertools.takewhile(lambda x: x != 0, reversed(codes))))
print(h["Status"], h["FailingStreak"] >= 2, min(h["FailingStreak"], len(codes)) == tail or codes,
      repr(h["Log"][-1]["Output"]), len(codes) <= 5)
print("unhealthy", ids("unhealthy") == [ct.id], ids("healthy"))
# a failing check in its start period: starting, not unhealthy
sp = c.containers.run(os.environ["IMG"], ["sleep", "600"], detach=True, name="py-sp",
                      healthcheck={"test": ["CMD", "false"], "interval": 200 * ms, "retries": 1,
                                   "start_period": 600000 * ms})
sp.reload()
print(sp.attrs["Config"]["Healthcheck"]["StartPeriod"], sp.attrs["State"]["Health"]["Status"],
      ids("starting") == [sp.id])
PY
        assert_status 0
        [ "${lines[0]}" = "['CMD-SHELL', 'test -e /tmp/ok && echo fine'] 200000000 5000000000 2" ]
        [ "${lines[1]}" = "healthy 0 0 'fine\\n' True" ]
        [ "${lines[2]}" = "healthy True [] []" ]
        [ "${lines[3]}" = "exec 409 Container ID is paused, unpause the container before exec" ]
        [ "${lines[4]}" = "paused paused healthy []" ]
        [ "${lines[5]}" = "unpaused healthy 0 True" ]
        [ "${lines[6]}" = "unhealthy True True '' True" ]
        [ "${lines[7]}" = "unhealthy True []" ]
        [ "${lines[8]}" = "600000000000 starting True" ]
}
