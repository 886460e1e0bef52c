#!/usr/bin/env bash
# The tests' world: four real registries (Debian's docker-registry) and a token server, all
# on 127.0.0.1, with the test images pushed into each.
#
#   world.sh up DIR     start everything, state and logs under DIR, write DIR/env
#   world.sh down DIR   stop what `up` started (by the PIDs it recorded)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: world.sh up|down DIR}
W=${2:?usage: world.sh up|down DIR}

: "${ROSS_TEST_PORT_BASE:=15000}"
PLAIN=$((ROSS_TEST_PORT_BASE + 0))
BASIC=$((ROSS_TEST_PORT_BASE + 1))
TLS=$((ROSS_TEST_PORT_BASE + 2))
TOKEN=$((ROSS_TEST_PORT_BASE + 3))
TOKEN_SERVER=$((ROSS_TEST_PORT_BASE + 4))
TAMPER=$((ROSS_TEST_PORT_BASE + 5))
HOSTILE=$((ROSS_TEST_PORT_BASE + 6))
USER_NAME=testuser
USER_PASS=testpassword

wait_port() { # port [scheme]
        local i
        for i in $(seq 1 100); do
                if curl -sk -o /dev/null "${2:-http}://127.0.0.1:$1/" 2>/dev/null; then
                        return 0
                fi
                sleep 0.1
        done
        echo "world: nothing answers on 127.0.0.1:$1" >&2
        return 1
}

start_registry() { # name port [extra yaml]
        local name=$1 port=$2 extra=${3:-}
        mkdir -p "$W/$name/data"
        cat >"$W/$name/config.yml" <<YAML
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $W/$name/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: ross-test-secret
$extra
YAML
        /usr/bin/docker-registry serve "$W/$name/config.yml" >"$W/$name/log" 2>&1 &
        echo $! >"$W/$name/pid"
}

up() {
        mkdir -p "$W"
        W=$(cd "$W" && pwd)

        # TLS: a CA of our own and a server certificate for 127.0.0.1 signed by it.
        mkdir -p "$W/pki"
        (
                cd "$W/pki"
                openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Ross Test CA" \
                        -keyout ca.key -out ca.crt 2>/dev/null
                openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
                        -keyout server.key -out server.csr 2>/dev/null
                printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
                openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
                        -days 30 -extfile san.ext -out server.crt 2>/dev/null
                # the token signer
                openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Ross Token" \
                        -keyout token.key -out token.crt 2>/dev/null
        )
        htpasswd -Bbn "$USER_NAME" "$USER_PASS" >"$W/htpasswd" 2>/dev/null

        start_registry plain "$PLAIN"
        start_registry basic "$BASIC" "auth:
  htpasswd:
    realm: ross-test
    path: $W/htpasswd"
        start_registry tls "$TLS" "  tls:
    certificate: $W/pki/server.crt
    key: $W/pki/server.key"
        start_registry token "$TOKEN" "auth:
  token:
    realm: http://127.0.0.1:$TOKEN_SERVER/token
    service: ross-test-registry
    issuer: ross-test-issuer
    rootcertbundle: $W/pki/token.crt"
        # A real registry whose storage the bad-input tests corrupt on purpose.
        start_registry tamper "$TAMPER"
        mkdir -p "$W/hostile"
        /usr/bin/python3 "$here/hostile-registry.py" "$HOSTILE" "127.0.0.1:$PLAIN" \
                >"$W/hostile/log" 2>&1 &
        echo $! >"$W/hostile/pid"
        mkdir -p "$W/token-server"
        /usr/bin/python3 "$here/token-server.py" "$TOKEN_SERVER" "$W/pki/token.key" \
                "$W/pki/token.crt" ross-test-issuer "$USER_NAME:$USER_PASS" \
                >"$W/token-server/log" 2>&1 &
        echo $! >"$W/token-server/pid"

        wait_port "$PLAIN"
        wait_port "$BASIC"
        wait_port "$TLS" https
        wait_port "$TOKEN"
        wait_port "$TOKEN_SERVER"
        wait_port "$TAMPER"
        wait_port "$HOSTILE"

        # The daemon's per-registry CA directory for the TLS registry.
        mkdir -p "$W/certs.d/127.0.0.1:$TLS"
        cp "$W/pki/ca.crt" "$W/certs.d/127.0.0.1:$TLS/ca.crt"

        local mk="/usr/bin/python3 $here/mkimages.py"
        $mk --registry "http://127.0.0.1:$PLAIN" >"$W/push.log"
        $mk --registry "http://127.0.0.1:$BASIC" --user "$USER_NAME" --password "$USER_PASS" \
                --only busybox busybox-v2 >>"$W/push.log"
        $mk --registry "https://127.0.0.1:$TLS" --cacert "$W/pki/ca.crt" --only busybox \
                >>"$W/push.log"
        $mk --registry "http://127.0.0.1:$TOKEN" --user "$USER_NAME" --password "$USER_PASS" \
                --only busybox busybox-full >>"$W/push.log"
        $mk --registry "http://127.0.0.1:$TAMPER" --only busybox busybox-full layers \
                >>"$W/push.log"
        $mk --list >"$W/images"

        cat >"$W/env" <<ENV
export ROSS_WORLD=$W
export REG_PLAIN=127.0.0.1:$PLAIN
export REG_BASIC=127.0.0.1:$BASIC
export REG_TLS=127.0.0.1:$TLS
export REG_TOKEN=127.0.0.1:$TOKEN
export TOKEN_SERVER=127.0.0.1:$TOKEN_SERVER
export REG_TAMPER=127.0.0.1:$TAMPER
export REG_TAMPER_DATA=$W/tamper/data
export REG_HOSTILE=127.0.0.1:$HOSTILE
export REG_DOWN=127.0.0.1:$((ROSS_TEST_PORT_BASE + 9))
export REG_USER=$USER_NAME
export REG_PASS=$USER_PASS
export REG_CERTS_DIR=$W/certs.d
ENV
        echo "world: registries up (plain $PLAIN, basic $BASIC, tls $TLS, token $TOKEN)"
}

down() {
        local f
        for f in "$W"/*/pid; do
                [ -f "$f" ] || continue
                kill "$(cat "$f")" 2>/dev/null || true
                rm -f "$f"
        done
}

case "$cmd" in
up) up ;;
down) down ;;
*)
        echo "usage: world.sh up|down DIR" >&2
        exit 2
        ;;
esac
