#!/usr/bin/env bats
# Probes from an attacker's review of the fourth session's additions
# (volume create -o, run's --add-host and --dns*, a foreground run under its
# monitor, inspect and damaged images, RUN's ssh relay and secrets).  Each
# says whether it failed before its fix or guards what held.
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

# Mounts of the store's volume NAME's _data (the host's mount table).
volume_mounts() {
        grep -c " $BOX_ROOT/volumes/$1/_data " /proc/self/mountinfo || true
}

@test "volume: concurrent first uses mount a device volume once, and rm leaves nothing mounted (failed: each run mounted it, rm then EBUSY)" {
        box volume create -o type=tmpfs -o device=tmpfs race >/dev/null
        # each run's first mount(2) waits 0.3 s (strace's fault injection):
        # all four have checked _data before any has mounted it
        local pids=() i
        for i in 1 2 3 4; do
                strace -o /dev/null -e trace=mount -e inject=mount:delay_enter=300000:when=1 \
                        "$BOX" run --rm --network none -v race:/d busybox sh -c "echo $i >/d/$i" &
                pids+=($!)
        done
        for i in "${pids[@]}"; do wait "$i"; done
        [ "$(volume_mounts race)" = 1 ]
        # the four wrote into the one tmpfs
        run box run --rm --network none -v race:/d busybox ls /d
        [ "$status" -eq 0 ]
        [ "$(echo $output)" = "1 2 3 4" ]
        box volume rm race
        [ "$(volume_mounts race)" = 0 ]
        [ ! -e "$BOX_ROOT/volumes/race" ]
}

@test "volume: rm unmounts every mount stacked on a device volume's _data (failed: one umount, then 'a file system is mounted there')" {
        box volume create -o type=tmpfs -o device=tmpfs stacked >/dev/null
        box run --rm --network none -v stacked:/d busybox true
        # what an older box's racing first uses left
        mount -t tmpfs tmpfs "$BOX_ROOT/volumes/stacked/_data"
        mount -t tmpfs tmpfs "$BOX_ROOT/volumes/stacked/_data"
        [ "$(volume_mounts stacked)" = 3 ]
        box volume rm stacked
        [ "$(volume_mounts stacked)" = 0 ]
        [ ! -e "$BOX_ROOT/volumes/stacked" ]
}

@test "volume: a device volume's _data replaced by a link is refused, nothing mounted where it leads (failed: the tmpfs went on the link's target)" {
        box volume create -o type=tmpfs -o device=tmpfs linked >/dev/null
        mkdir "$BOX_TEST_TMP/elsewhere"
        rmdir "$BOX_ROOT/volumes/linked/_data"
        ln -s "$BOX_TEST_TMP/elsewhere" "$BOX_ROOT/volumes/linked/_data"
        run box run --rm --network none -v linked:/d busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"volume 'linked'"* ]]
        ! mountpoint -q "$BOX_TEST_TMP/elsewhere"
        [ "$(grep -c " $BOX_TEST_TMP/elsewhere " /proc/self/mountinfo)" = 0 ]
        box volume rm linked
        [ -d "$BOX_TEST_TMP/elsewhere" ]
}
