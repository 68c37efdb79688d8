# Shared set-up for the end-to-end tests: each test file gets its own store
# under a temp dir, the busybox image imported when asked, and everything it
# created (mounts, the store) removed afterwards.

# run -N / run ! are used throughout (bats 1.5)
bats_require_minimum_version 1.5.0

: "${BOX:=$BATS_TEST_DIRNAME/../../out/box}"
: "${BOX_FIXTURES:=$BATS_TEST_DIRNAME/../../out/fixtures}"
BUSYBOX_TAR="$BOX_FIXTURES/busybox.tar"
# box refuses the default network prefix ("box": the host's box0 and table)
# in tests: each test store has its own, and a box command run without one
# fails instead of leaving box0 behind
export BOX_TEST_NO_DEFAULT_NET=1

# A /24 in 10.200-249.x.0 that overlaps none of the host's routes (other
# stores' bridges, the host's own networks): a random one clashed often on a
# host where several test runs make bridges at once.
box_free_subnet() {
        local routes a b n r net len m mask o1 o2 o3 o4
        routes=$(ip -4 route show 2>/dev/null | awk '$1 != "default" {print $1}')
        for _ in $(seq 50); do
                a=$((200 + RANDOM % 50)) b=$((RANDOM % 256))
                n=$(((10 << 24) | (a << 16) | (b << 8)))
                for r in $routes; do
                        net=${r%/*} len=32
                        [ "$net" != "$r" ] && len=${r#*/}
                        m=$((len > 24 ? 24 : len))
                        mask=$(((0xffffffff << (32 - m)) & 0xffffffff))
                        IFS=. read -r o1 o2 o3 o4 <<<"$net"
                        [ $((((o1 << 24) | (o2 << 16) | (o3 << 8) | o4) & mask)) -eq $((n & mask)) ] && continue 2
                done
                echo "10.$a.$b.0/24"
                return 0
        done
        echo "10.$((200 + RANDOM % 50)).$((RANDOM % 256)).0/24"
}

box_setup_store() {
        export BOX_TEST_TMP="$(mktemp -d /tmp/box-e2e.XXXXXX)"
        export BOX_ROOT="$BOX_TEST_TMP/store"
        export BOX_RUNROOT="$BOX_TEST_TMP/run"
        # containers get the bridge network by default: its link, table and
        # subnet are the test's own, so stores used at once never share them
        if [ -z "${BOX_NETWORK_PREFIX:-}" ] || [ "$BOX_NETWORK_PREFIX" = torn-down ]; then
                # four digits always: "bt12" would begin another store's "bt1234..." links
                export BOX_NETWORK_PREFIX="$(printf 'bt%04d' $((RANDOM % 10000)))"
                export BOX_BRIDGE_SUBNET="$(box_free_subnet)"
                export BOX_NET_PRUNE=1
        fi
        # No test reaches a public registry: names without one (docker.io)
        # go to a closed local port unless a test points them elsewhere,
        # and neither the host's registries.yaml nor its credentials count.
        export XDG_CONFIG_HOME="$BOX_TEST_TMP/config"
        export DOCKER_CONFIG="$BOX_TEST_TMP/docker-config"
        mkdir -p "$DOCKER_CONFIG" && echo '{}' > "$DOCKER_CONFIG/config.json" # podman reads it too
        export BOX_REGISTRIES_CONF="$BOX_TEST_TMP/registries.yaml"
        printf 'unqualified-registry: 127.0.0.1:1\n' > "$BOX_REGISTRIES_CONF"
}

box_teardown_store() {
        [ -n "${BOX_TEST_TMP:-}" ] || return 0
        if [ -n "${BOX_NET_PRUNE:-}" ]; then
                "$BOX" network prune -f >/dev/null 2>&1 || true
                # never unset (a later box would take the default "box"): a
                # prefix box refuses, so a box command after this fails
                export BOX_NETWORK_PREFIX=torn-down
                unset BOX_BRIDGE_SUBNET BOX_NET_PRUNE
        fi
        # unmount anything a failed test left below the temp dir, deepest first
        grep -o " $BOX_TEST_TMP[^ ]*" /proc/self/mounts | sort -r | while read -r m; do
                umount -l "$m" 2>/dev/null || true
        done
        rm -rf "$BOX_TEST_TMP"
}

box() {
        "$BOX" "$@"
}

# wait_running NAME: until box says container NAME runs (at most ~30 s; a
# fixed sleep before using a container started in the background was too
# short on a loaded machine).
wait_running() {
        for _ in $(seq 300); do
                [ "$("$BOX" inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" = running ] && return 0
                sleep 0.1
        done
        echo "container '$1' is not running" >&2
        return 1
}

import_busybox() {
        "$BOX" import "$BUSYBOX_TAR" "${1:-busybox}" >/dev/null
}

# A build test's start: its store, the busybox image, an empty context $CTX.
build_setup() {
        box_setup_store
        import_busybox
        CTX="$BOX_TEST_TMP/ctx"
        mkdir -p "$CTX"
}
