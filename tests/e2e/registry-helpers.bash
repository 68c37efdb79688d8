# Helpers for the 11x-registry-* tests: Debian's docker-registry
# (Distribution 2.8) on 127.0.0.1 with its storage under the test's temp
# dir, plain, with htpasswd Basic auth over TLS (a CA made here), or with a
# token service (registry-token.py) for the Bearer flow.  Nothing here
# reaches another host.

free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
        local i
        for i in $(seq 1 400); do
                python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
                sleep 0.05
        done
        echo "server on port $1 did not start" >&2
        return 1
}

# A CA and a certificate for 127.0.0.1 signed by it, under $BOX_TEST_TMP/tls.
make_tls() {
        local d="$BOX_TEST_TMP/tls"
        mkdir -p "$d"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=box test CA" \
                -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
                -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\n' > "$d/ext"
        openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
                -CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.crt" 2>/dev/null
}

# registry_start [basic|token] [tls]: sets REG (host:port), REG_PID, REG_DIR.
registry_start() {
        local auth=${1:-none} tls=${2:-}
        command -v docker-registry >/dev/null || skip "docker-registry not installed"
        REG_DIR="$BOX_TEST_TMP/registry"
        mkdir -p "$REG_DIR/storage"
        local port
        port=$(free_port)
        REG="127.0.0.1:$port"
        {
                printf 'version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: %s\n' "$REG_DIR/storage"
                printf '  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\n'
                printf 'http:\n  addr: %s\n' "$REG"
                if [ -n "$tls" ]; then
                        make_tls
                        printf '  tls:\n    certificate: %s\n    key: %s\n' \
                                "$BOX_TEST_TMP/tls/server.crt" "$BOX_TEST_TMP/tls/server.key"
                fi
                case $auth in
                basic)
                        python3 -W ignore -c 'import crypt,sys; print("tester:" + crypt.crypt("s3cret-pw", crypt.mksalt(crypt.METHOD_BLOWFISH)).replace("$2b$", "$2y$", 1))' \
                                > "$REG_DIR/htpasswd"
                        printf 'auth:\n  htpasswd:\n    realm: box-test\n    path: %s\n' "$REG_DIR/htpasswd"
                        ;;
                token)
                        token_start
                        printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n' "$TOKEN_PORT"
                        printf '    service: box-test-registry\n    issuer: box-test-issuer\n'
                        printf '    rootcertbundle: %s\n' "$BOX_TEST_TMP/token/token.crt"
                        ;;
                esac
        } > "$REG_DIR/config.yml"
        docker-registry serve "$REG_DIR/config.yml" > "$REG_DIR/log" 2>&1 &
        REG_PID=$!
        wait_port "$port"
}

registry_stop() {
        if [ -n "${REG_PID:-}" ]; then
                kill "$REG_PID" 2>/dev/null || true
                wait "$REG_PID" 2>/dev/null || true
                REG_PID=
        fi
        token_stop
}

# The token service of registry-token.py: user tester, password s3cret-pw.
token_start() {
        local d="$BOX_TEST_TMP/token"
        mkdir -p "$d"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=box test token" \
                -keyout "$d/token.key" -out "$d/token.crt" 2>/dev/null
        TOKEN_PORT=$(free_port)
        python3 "$BATS_TEST_DIRNAME/registry-token.py" "$TOKEN_PORT" "$d/token.key" "$d/token.crt" \
                > "$d/log" 2>&1 &
        TOKEN_PID=$!
        wait_port "$TOKEN_PORT"
}

token_stop() {
        if [ -n "${TOKEN_PID:-}" ]; then
                kill "$TOKEN_PID" 2>/dev/null || true
                wait "$TOKEN_PID" 2>/dev/null || true
                TOKEN_PID=
        fi
}

# box's per-user registries.yaml (XDG_CONFIG_HOME is the test's)
box_registries_yaml() {
        mkdir -p "$XDG_CONFIG_HOME/box"
        cat > "$XDG_CONFIG_HOME/box/registries.yaml"
}

# registry_start, plain HTTP, and box told to reach it so
registry_start_insecure() {
        registry_start
        box_registries_yaml <<YAML
registries:
  $REG:
    insecure: true
YAML
}

# The busybox fixture as a docker-archive, for skopeo and podman
busybox_archive() {
        local out="$BOX_TEST_TMP/busybox-archive.tar"
        if [ ! -f "$out" ]; then
                BOX_ROOT="$BOX_TEST_TMP/src-store" "$BOX" import "$BUSYBOX_TAR" busybox:src >/dev/null
                BOX_ROOT="$BOX_TEST_TMP/src-store" "$BOX" save -o "$out" busybox:src
        fi
        echo "$out"
}

# Pushes the busybox fixture to $REG/$1 with skopeo.
skopeo_push_busybox() {
        skopeo copy -q --dest-tls-verify=false "docker-archive:$(busybox_archive)" "docker://$REG/$1" >/dev/null
}

store_listing() {
        box images -a --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort
        cat "$BOX_ROOT/index.json"
}

# Fails when the store holds a half-written blob or layer.
no_partial_content() {
        ! ls "$BOX_ROOT/tmp" 2>/dev/null | grep -q . &&
                ! ls -a "$BOX_ROOT/layers" 2>/dev/null | grep -q '^\.tmp-'
}
