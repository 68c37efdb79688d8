# Set-up shared by the 10x-*.bats files (exec, cp, commit, generate): a
# container kept running in the background by a foreground `box run`, and
# a teardown that kills it and checks nothing is left.
load run-helpers

# start_bg NAME [RUN FLAGS...] -- CMD...: runs a container in the
# background and waits until it runs.
start_bg() {
        local name=$1
        shift
        local flags=()
        while [ $# -gt 0 ] && [ "$1" != "--" ]; do
                flags+=("$1")
                shift
        done
        shift
        "$BOX" run --name "$name" "${flags[@]}" busybox "$@" </dev/null >/dev/null 2>&1 &
        for _ in $(seq 100); do
                local id
                id=$(readlink "$BOX_ROOT/containers/.names/$name" 2>/dev/null) &&
                        [ -s "$BOX_RUNROOT/containers/$id/state" ] && return 0
                sleep 0.05
        done
        echo "container $name did not start" >&2
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
