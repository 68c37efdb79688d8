#!/usr/bin/env bats
# box pull URL: archives and OCI layouts over HTTP from a loopback server.
load helpers
load transfer-helpers

setup() {
        box_setup_store
        import_busybox
        ID=$(box image inspect --format '{{.Id}}' busybox)
        mkdir -p "$BOX_TEST_TMP/www"
        box save -o "$BOX_TEST_TMP/www/bb.tar" busybox
        gzip -c "$BOX_TEST_TMP/www/bb.tar" > "$BOX_TEST_TMP/www/bb.tar.gz"
        box save --format oci-dir -o "$BOX_TEST_TMP/www/layout" busybox
        box rmi busybox >/dev/null
        http_serve "$BOX_TEST_TMP/www"
        URL="http://127.0.0.1:$HTTP_PORT"
}

teardown() {
        http_stop
        [ -n "${BAD_PID:-}" ] && kill "$BAD_PID" 2>/dev/null && wait "$BAD_PID" 2>/dev/null
        box_teardown_store
}

bad_server() {
        python3 "$BATS_TEST_DIRNAME/transfer-badserver.py" "$BOX_TEST_TMP/bad.port" \
                "$BOX_TEST_TMP/www/bb.tar" "$1" "$2" &
        BAD_PID=$!
        for i in $(seq 1 400); do [ -s "$BOX_TEST_TMP/bad.port" ] && break; sleep 0.05; done
        BAD_URL="http://127.0.0.1:$(cat "$BOX_TEST_TMP/bad.port")/bb.tar"
}

@test "pull a plain archive over HTTP" {
        run box pull "$URL/bb.tar"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Downloading $URL/bb.tar"* ]]
        [[ "${lines[-1]}" == "Loaded image: busybox:latest" ]]
        [ "$(box image inspect --format '{{.Id}}' busybox)" = "$ID" ]
}

@test "pull a gzipped archive with --name, quietly" {
        run box pull -q --name localhost/mine:7 "$URL/bb.tar.gz"
        [ "$status" -eq 0 ]
        [ "$output" = "localhost/mine:7" ]
        [ "$(box image inspect --format '{{.Id}}' localhost/mine:7)" = "$ID" ]
        run box image inspect busybox
        [ "$status" -ne 0 ]
}

@test "pull an OCI layout tree fetches index.json and only missing blobs" {
        run box pull "$URL/layout/"
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "Loaded image: busybox:latest" ]
        [ "$(box image inspect --format '{{.Id}}' busybox)" = "$ID" ]
        : > "$BOX_TEST_TMP/http.log"
        run box pull -q --name again:1 "$URL/layout/"
        [ "$status" -eq 0 ]
        [ "$(grep -c 'GET ' "$BOX_TEST_TMP/http.log")" -eq 1 ]
        grep -q 'GET /layout/index.json' "$BOX_TEST_TMP/http.log"
}

@test "a redirect is followed" {
        cat > "$BOX_TEST_TMP/redir.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", sys.argv[2])
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.timeout = 30
s.handle_request()
PY
        python3 "$BOX_TEST_TMP/redir.py" "$BOX_TEST_TMP/redir.port" "$URL/bb.tar" &
        BAD_PID=$!
        for i in $(seq 1 400); do [ -s "$BOX_TEST_TMP/redir.port" ] && break; sleep 0.05; done
        run box pull -q "http://127.0.0.1:$(cat "$BOX_TEST_TMP/redir.port")/moved.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "docker.io/library/busybox:latest" ]
}

@test "HTTP errors, bad archives and a server closing mid-body exit 125, store unchanged" {
        box import "$BUSYBOX_TAR" keep:1 >/dev/null
        before=$(store_listing)

        run box pull "$URL/missing.tar"
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: GET '$URL/missing.tar': HTTP 404 Not Found" ]

        run box pull "$URL/nolayout/"
        [ "$status" -eq 125 ]
        [[ "$output" == *"GET '$URL/nolayout/index.json': HTTP 404 Not Found"* ]]

        head -c 50000 /dev/urandom > "$BOX_TEST_TMP/www/junk.tar"
        run box pull "$URL/junk.tar"
        [ "$status" -eq 125 ]
        [[ "$output" == *"not an image archive"* ]]

        head -c 700000 "$BOX_TEST_TMP/www/bb.tar" > "$BOX_TEST_TMP/www/short.tar"
        run box pull "$URL/short.tar"
        [ "$status" -eq 125 ]
        [[ "$output" == *"truncated"* ]]

        cp "$BOX_TEST_TMP/www/bb.tar" "$BOX_TEST_TMP/www/flip.tar"
        printf 'X' | dd of="$BOX_TEST_TMP/www/flip.tar" bs=1 seek=900000 conv=notrunc 2>/dev/null
        run box pull "$URL/flip.tar"
        [ "$status" -eq 125 ]
        [[ "$output" == *"digest mismatch"* ]]

        bad_server close 800000
        run box pull "$BAD_URL"
        [ "$status" -eq 125 ]
        [[ "$output" == *"GET '$BAD_URL' (HTTP 200): transfer closed with"* ]]

        # a name goes to its registry (helpers.bash points docker.io at a closed port)
        run box pull busybox
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == "box: error: registry 'docker.io': GET 'https://127.0.0.1:1/v2/': "* ]]

        run box pull "http://127.0.0.1:1/x.tar"
        [ "$status" -eq 125 ]
        [[ "$output" == *"GET 'http://127.0.0.1:1/x.tar'"* ]]

        [ "$(store_listing)" = "$before" ]
}

@test "kill -9 during pull leaves no image and a clean store" {
        bad_server stall 900000
        "$BOX" pull -q "$BAD_URL" &
        pid=$!
        sleep 1.5
        kill -9 $pid
        wait $pid || true
        [ -z "$(box images -a -q)" ]
        if box system fsck --help >/dev/null 2>&1; then
                run box system fsck
                [ "$status" -eq 0 ]
        fi
        run box pull -q "$URL/bb.tar"
        [ "$status" -eq 0 ]
}

@test "a stalled download times out naming the URL and status" {
        box import "$BUSYBOX_TAR" keep:1 >/dev/null
        before=$(store_listing)
        bad_server stall 300000
        SECONDS=0
        BOX_PULL_TIMEOUT=2 run box pull "$BAD_URL"
        [ "$status" -eq 125 ]
        [[ "$output" == *"GET '$BAD_URL' (HTTP 200): operation too slow"* ]]
        [ "$SECONDS" -lt 20 ]
        [ "$(store_listing)" = "$before" ]
}

@test "https: certificates are verified unless --tls-verify=false" {
        command -v openssl >/dev/null || skip "openssl not installed"
        openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
                -keyout "$BOX_TEST_TMP/key.pem" -out "$BOX_TEST_TMP/cert.pem" 2>/dev/null
        cat > "$BOX_TEST_TMP/https.py" <<'PY'
import functools, http.server, os, ssl, sys
d, cert, key, portfile = sys.argv[1:5]
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=d)
s = http.server.HTTPServer(("127.0.0.1", 0), h)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
s.socket = ctx.wrap_socket(s.socket, server_side=True)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.timeout = 30
for _ in range(4):
    s.handle_request()
PY
        python3 "$BOX_TEST_TMP/https.py" "$BOX_TEST_TMP/www" "$BOX_TEST_TMP/cert.pem" \
                "$BOX_TEST_TMP/key.pem" "$BOX_TEST_TMP/tls.port" 2>/dev/null &
        BAD_PID=$!
        for i in $(seq 1 400); do [ -s "$BOX_TEST_TMP/tls.port" ] && break; sleep 0.05; done
        u="https://127.0.0.1:$(cat "$BOX_TEST_TMP/tls.port")/bb.tar"
        run box pull "$u"
        [ "$status" -eq 125 ]
        [[ "$output" == *"GET '$u'"*"certificate"* ]]
        [ -z "$(box images -q)" ]
        run box pull -q --tls-verify=false "$u"
        [ "$status" -eq 0 ]
        [ "$output" = "docker.io/library/busybox:latest" ]
}

@test "load -i URL (podman's load from a URL) streams box pull's download; save -m and --uncompressed accepted" {
        run box load -i "$URL/bb.tar"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Loaded image: busybox:latest"* ]]
        [ "$(box image inspect --format '{{.Id}}' busybox)" = "$ID" ]
        run box load -i "$URL/nonesuch.tar"
        [ "$status" -eq 125 ]
        [[ "$output" == *"load '$URL/nonesuch.tar'"*"404"* ]]
        box tag busybox second:tag
        box save -m --uncompressed -o "$BOX_TEST_TMP/two.tar" busybox second:tag
        box rmi busybox second:tag >/dev/null
        run box load -i "$BOX_TEST_TMP/two.tar"
        [[ "$output" == *"Loaded image: busybox:latest"* ]]
        [[ "$output" == *"Loaded image: second:tag"* ]]
}
