# Helpers for the 050-transfer-* tests: a private podman (its own root,
# runroot and containers.conf under the test's temp dir, never the host's
# storage), an HTTP server on a free loopback port, and store listings to
# compare before and after a failure.

podman_setup() {
        command -v podman >/dev/null || skip "podman not installed"
        PODMAN_TMP="$BOX_TEST_TMP/podman"
        mkdir -p "$PODMAN_TMP"
        # no CAP_SYS_RESOURCE here: keep podman's default ulimits within the hard limits
        local n p
        n=$(ulimit -Hn)
        p=$(ulimit -Hu)
        cat > "$PODMAN_TMP/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$n:$n", "nproc=$p:$p"]
[engine]
events_logger = "none"
cgroup_manager = "cgroupfs"
CONF
        export CONTAINERS_CONF="$PODMAN_TMP/containers.conf"
}

# --tmpdir: libpod's state (its "alive" file) of the test's own, not
# /run/libpod, which another podman's reset on the host removes (073 failed
# so on a shared machine)
pm() {
        podman --root "$PODMAN_TMP/root" --runroot "$PODMAN_TMP/run" --tmpdir "$PODMAN_TMP/tmp" \
                --storage-driver vfs "$@"
}

# What a user sees of the store: every image with its names, and index.json.
store_listing() {
        box images -a --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort
        cat "$BOX_ROOT/index.json"
}

# Starts python3 -m http.server on a free loopback port serving DIR;
# sets HTTP_PORT and HTTP_PID.
http_serve() {
        local dir=$1
        HTTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        python3 -m http.server --bind 127.0.0.1 --directory "$dir" "$HTTP_PORT" \
                >"$BOX_TEST_TMP/http.log" 2>&1 &
        HTTP_PID=$!
        wait_port "$HTTP_PORT"
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

http_stop() {
        if [ -n "${HTTP_PID:-}" ]; then
                kill "$HTTP_PID" 2>/dev/null || true
                wait "$HTTP_PID" 2>/dev/null || true
                HTTP_PID=
        fi
}
