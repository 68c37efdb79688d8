# Set-up shared by the 040-run-*.bats files: a store with the busybox
# image, the static probe tests/e2e/boxtest.c built once per file, and a
# teardown that also checks and removes cgroups a failed test left.
load helpers
bats_require_minimum_version 1.5.0

build_boxtest() {
        export BOXTEST="$BATS_FILE_TMPDIR/boxtest"
        [ -x "$BOXTEST" ] || cc -static -O2 -o "$BOXTEST" "$BATS_TEST_DIRNAME/boxtest.c"
}

run_setup() {
        box_setup_store
        import_busybox
}

# Every cgroup directory named after a container of this store.
leftover_cgroups() {
        [ -d "$BOX_ROOT/containers" ] || return 0
        for id in $(ls "$BOX_ROOT/containers"); do
                ls -d /sys/fs/cgroup/*/box/"$id" 2>/dev/null || true
        done
}

run_teardown() {
        for d in $(leftover_cgroups); do rmdir "$d" 2>/dev/null || true; done
        box_teardown_store
}

# Imports busybox again as NAME with Dockerfile-like changes.
import_with() {
        local name=$1
        shift
        local args=()
        for c in "$@"; do args+=(-c "$c"); done
        "$BOX" import "${args[@]}" "$BUSYBOX_TAR" "$name" >/dev/null
}

# For files that run detached containers: every container of the store,
# and so every monitor, goes before the rest.
lifecycle_teardown() {
        "$BOX" rm -f $("$BOX" ps -aq --no-trunc 2>/dev/null) >/dev/null 2>&1 || true
        run_teardown
}

# wait_for TRIES CMD...: until CMD succeeds (0.1 s apart), then CMD's status.
wait_for() {
        local n=$1
        shift
        for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
        "$@"
}

# wait_ready NAME: until container NAME's log has a line "ready", which its
# command prints once its signal traps are set.  A fixed sleep before a
# signal was too short on a loaded machine: a pid 1 without its trap yet
# ignores SIGTERM (and stop -t -1 then waits for ever).
log_has_ready() { "$BOX" logs "$1" 2>/dev/null | grep -qx ready; }
wait_ready() { wait_for 300 log_has_ready "$1"; }
