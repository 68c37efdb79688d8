# Set-up shared by the 10x-*.bats files (exec, cp, commit, generate): a
# container kept running in the background by a foreground `box run`, and
# a teardown that kills it and checks nothing is left.
load run-helpers

# start_bg NAME [RUN FLAGS...] -- CMD...: runs a container in the
# background and waits until it runs: until box says so, which is after its
# pid 1 exec'd CMD.  (The runroot's state file is written first, and the
# store's "running" only after an fsync that a loaded machine makes slow: a
# test that went on when the first appeared saw "is not running".)
start_bg() {
        local name=$1
        shift
        local flags=()
        while [ $# -gt 0 ] && [ "$1" != "--" ]; do
                flags+=("$1")
                shift
        done
        shift
        "$BOX" run --name "$name" "${flags[@]}" busybox "$@" </dev/null >/dev/null \
                2>"$BOX_TEST_TMP/start_bg.$name" &
        for _ in $(seq 200); do
                [ "$("$BOX" inspect -f '{{.State.Status}}' "$name" 2>/dev/null)" = running ] &&
                        return 0
                sleep 0.1
        done
        echo "container $name did not start: $(cat "$BOX_TEST_TMP/start_bg.$name")" >&2
        return 1
}

container_id() {
        readlink "$BOX_ROOT/containers/.names/$1"
}

# The host pid of the container's pid 1.
container_pid() {
        sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "$BOX_RUNROOT/containers/$(container_id "$1")/state"
}

exec_teardown() {
        for n in $(ls "$BOX_ROOT/containers/.names" 2>/dev/null); do
                "$BOX" rm -f "$n" >/dev/null 2>&1 || true
        done
        wait
        run_teardown
}
