#!/usr/bin/env bats
# box run: cgroup limits on this host's layout (v1, v2 or hybrid).
load run-helpers

setup() { run_setup; }
teardown() { run_teardown; }

cg() { # reads a cgroup file as the container sees it
        box run --rm "${@:2}" busybox cat "/sys/fs/cgroup/$1"
}

v1() { [ -d /sys/fs/cgroup/memory ] && ! [ -f /sys/fs/cgroup/cgroup.controllers ]; }

@test "resources: the memory limit OOM-kills (137)" {
        run box run --rm -m 16m --memory-swap 16m busybox tail /dev/zero
        [ "$status" -eq 137 ]
}

@test "resources: the pids limit stops a fork bomb" {
        run box run --rm --pids-limit 8 busybox sh -c 'for i in $(seq 20); do sleep 1 & done 2>&1; wait'
        [[ "$output" == *"fork"* ]]
}

@test "resources: limits land in the container's cgroup files" {
        if v1; then
                [ "$(cg memory/memory.limit_in_bytes -m 64m)" = "67108864" ]
                [ "$(cg memory/memory.memsw.limit_in_bytes -m 64m)" = "134217728" ] || \
                        [ ! -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]
                [ "$(cg cpu/cpu.cfs_quota_us --cpus 0.5)" = "50000" ]
                [ "$(cg cpu/cpu.shares --cpu-shares 512)" = "512" ]
                [ "$(cg cpuset/cpuset.cpus --cpuset-cpus 0)" = "0" ]
                [ "$(cg pids/pids.max --pids-limit 42)" = "42" ]
        else
                [ "$(cg memory.max -m 64m)" = "67108864" ]
                [ "$(cg cpu.max --cpus 0.5)" = "50000 100000" ]
                [ "$(cg pids.max --pids-limit 42)" = "42" ]
        fi
}

@test "resources: --device-read-bps / --device-write-bps" {
        dev=$(awk '$2 == "/" && $1 ~ /^\/dev\// {print $1; exit}' /proc/mounts)
        [ -b "$dev" ] || skip "no block device for /"
        majmin=$(printf '%d:%d' "0x$(stat -c %t "$dev")" "0x$(stat -c %T "$dev")")
        if v1; then
                [ "$(cg blkio/blkio.throttle.read_bps_device --device-read-bps "$dev:1mb")" = "$majmin 1048576" ]
                [ "$(cg blkio/blkio.throttle.write_bps_device --device-write-bps "$dev:2mb")" = "$majmin 2097152" ]
        else
                [[ "$(cg io.max --device-read-bps "$dev:1mb")" == "$majmin rbps=1048576"* ]]
        fi
        run box run --rm --device-read-bps /nonexistent:1mb busybox true
        [ "$status" -eq 125 ]
}

@test "resources: --blkio-weight is set, or refused clearly when the kernel has none" {
        run box run --rm --blkio-weight 300 busybox sh -c 'cat /sys/fs/cgroup/blkio/blkio*weight /sys/fs/cgroup/io.weight 2>/dev/null; exit 0'
        if [ "$status" -eq 0 ]; then
                [[ "$output" == *"300"* ]] || [[ "$output" == *"default 2719"* ]]
        else
                [ "$status" -eq 125 ]
                [[ "$output" == *"blkio weight"* ]]
        fi
        run box run --rm --blkio-weight 5 busybox true
        [ "$status" -eq 125 ]
}

@test "resources: only the default device nodes are usable" {
        run box run --rm busybox sh -c 'echo x > /dev/null && head -c 1 /dev/zero | wc -c'
        [ "$output" = "1" ]
        if v1; then
                run box run --rm busybox cat /sys/fs/cgroup/devices/devices.list
                [[ "$output" == *"c 1:3 rwm"* ]]
                [[ "$output" != *"a *:* rwm"* ]]
                run box run --rm --privileged busybox cat /sys/fs/cgroup/devices/devices.list
                [[ "$output" == *"a *:* rwm"* ]]
        fi
}

@test "resources: bad values are 125" {
        run box run --rm -m 1k busybox true
        [ "$status" -eq 125 ]
        run box run --rm --cpus 1000 busybox true
        [ "$status" -eq 125 ]
        run box run --rm --memory-swap 10m busybox true
        [ "$status" -eq 125 ]
        run box run --rm -m 64m --memory-swap 32m busybox true
        [ "$status" -eq 125 ]
}

@test "resources: no cgroups mounted (ip netns exec's shell): refused, not run unlimited" {
        # `ip netns exec` remounts /sys without the cgroup hierarchies; runc
        # refuses to run there, and a container with no devices cgroup could
        # use the host's disks through CAP_MKNOD
        nocg() {
                unshare -m sh -c 'mount --make-rprivate / && umount -R /sys/fs/cgroup && exec "$@"' sh "$@"
        }
        run nocg "$BOX" run --rm --network none busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"no cgroup hierarchy has the devices controller"* ]]
        [ "${#lines[@]}" -eq 1 ]
        run nocg "$BOX" run --rm --network none --privileged -m 32m busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"--memory: no cgroup hierarchy has the memory controller"* ]]
        # nothing of either is left, and the name is free
        [ -z "$(box ps -aq)" ]
        # --privileged asks for no device list: it runs (in no cgroup of box's)
        run nocg "$BOX" run --rm --network none --privileged --name priv busybox echo ran
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$output" = ran ]
}

@test "resources: the cgroup is removed when the container ends" {
        box run --name done -m 32m busybox true
        [ -z "$(leftover_cgroups)" ]
        short=$(box run --rm -m 32m busybox hostname)
        ! ls -d /sys/fs/cgroup/*/box/"$short"* 2>/dev/null
        short=$(box run --rm -m 16m --memory-swap 16m busybox sh -c 'hostname; tail /dev/zero') || true
        [ -n "$short" ]
        ! ls -d /sys/fs/cgroup/*/box/"$short"* 2>/dev/null
}

@test "resources: the v2 device filter (BPF) denies what the allow-list lacks" {
        [ -f /sys/fs/cgroup/unified/cgroup.controllers ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || \
                skip "no cgroup v2 hierarchy"
        "$BOX" run --name devs --cap-add MKNOD busybox sh -c \
                'mknod /tmp/mem c 1 1; mknod /tmp/nul c 1 3; go=0; trap "go=1" USR1; echo ready
                 while [ $go = 0 ]; do sleep 0.1; done
                 head -c1 /tmp/nul && echo null-ok; head -c1 /tmp/mem || echo mem-denied' \
                >"$BOX_TEST_TMP/out" 2>&1 &
        local pid=$!
        for i in $(seq 50); do grep -q ready "$BOX_TEST_TMP/out" && break; sleep 0.1; done
        id=$(readlink "$BOX_ROOT/containers/.names/devs")
        # open the v1 controller wide: only the BPF program is left to say no
        if [ -d /sys/fs/cgroup/devices/box/$id ]; then
                echo a >/sys/fs/cgroup/devices/box/$id/devices.allow
        fi
        kill -USR1 $pid
        wait $pid || true
        grep -q null-ok "$BOX_TEST_TMP/out"
        grep -q mem-denied "$BOX_TEST_TMP/out"
}
