#!/usr/bin/env bats
# What a container's start costs box, checked on the system calls
# (docs/performance.md): a foreground --rm run syncs nothing to disk and
# writes its state once; the container's process joins its cgroups itself
# (box moving it would wait for an RCU grace period); and it still ends up
# in its cgroup in every hierarchy, with the limits.

load helpers

setup() {
        command -v strace >/dev/null || skip "strace is not installed"
        box_setup_store
        import_busybox
}

teardown() {
        [ -n "${BOX_TEST_TMP:-}" ] || return 0
        box rm -f cost >/dev/null 2>&1 || true
        box_teardown_store
}

@test "a foreground --rm run: no fsync, the state written once, and nothing of it left" {
        # the first run compiles the seccomp filter and caches it (synced)
        box run --rm --network none busybox true
        run strace -f -qq -o "$BOX_TEST_TMP/trace" -e trace=fsync,fdatasync,syncfs,sync,rename,renameat,renameat2 \
                "$BOX" run --rm --network none busybox echo hello
        [ "$status" -eq 0 ]
        [ "$output" = hello ]
        [ -z "$(grep -E '^[0-9]+ +(fsync|fdatasync|syncfs|sync)\(' "$BOX_TEST_TMP/trace")" ]
        [ "$(grep -c '\.state\.tmp' "$BOX_TEST_TMP/trace")" -eq 1 ]
        run box ps -a -q
        [ -z "$output" ]
        # a kept container still has its record synced (exited, with its code)
        run strace -f -qq -o "$BOX_TEST_TMP/trace2" -e trace=fsync "$BOX" run --name cost --network none busybox sh -c 'exit 3'
        [ "$status" -eq 3 ]
        grep -qE '^[0-9]+ +fsync\(' "$BOX_TEST_TMP/trace2"
        run box ps -a --format '{{.Names}} {{.Status}}'
        [[ "$output" == "cost Exited (3)"* ]]
}

@test "while it runs a --rm container shows as running, created and started" {
        box run --rm --name cost --network none busybox sleep 5 &
        local pid=$!
        for _ in $(seq 50); do
                [ "$(box ps --format '{{.Status}}' 2>/dev/null)" != "" ] && break
                sleep 0.1
        done
        run box ps --format '{{.Names}} {{.Status}} {{.CreatedAt}}'
        [[ "$output" == "cost Up "* ]]
        [[ "$output" == *" +0000 UTC" ]]
        kill -TERM $pid
        wait $pid || true
}

@test "the container joins its cgroups itself: box writes no pid into cgroup.procs" {
        run strace -f -qq -o "$BOX_TEST_TMP/trace" -e trace=openat,write "$BOX" run --rm --network none busybox true
        [ "$status" -eq 0 ]
        [ -z "$(grep 'cgroup.procs' "$BOX_TEST_TMP/trace")" ]
        # a detached container's pid 1, seen from the host: in PARENT/ID of
        # every hierarchy, v1 and v2, and its limits apply
        id=$(box run -d --name cost --pids-limit 7 --network none busybox sleep 30)
        pid=$(box inspect cost | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["State"]["Pid"])')
        [ "$pid" -gt 0 ]
        run cat "/proc/$pid/cgroup"
        echo "$output"
        while IFS=: read -r _ ctl path; do
                [ "$path" = "/box/$id" ] || { echo "not in its cgroup: $ctl:$path"; false; }
        done <<<"$output"
        run box exec cost sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait'
        [[ "$output" == *"can't fork"* ]]
}
