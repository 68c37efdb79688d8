#!/usr/bin/env bats
# box run: cgroup limits on this host's layout (v1, v2 or hybrid).
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

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
        ! ls -d /sys/fs/cgroup/*/box/"$short"* 2>/dev/null || false
        short=$(box run --rm -m 16m --memory-swap 16m busybox sh -c 'hostname; tail /dev/zero') || true
        [ -n "$short" ]
        ! ls -d /sys/fs/cgroup/*/box/"$short"* 2>/dev/null || false
}

# is there a v1 hierarchy with the devices controller (a hybrid host)?
v1_devices() { grep -qE '^[^ ]+ /sys/fs/cgroup/[^ ]+ cgroup [^ ]*devices' /proc/self/mounts; }

@test "resources: a block device's node made inside (CAP_MKNOD) cannot be opened; the list has one filter that applies" {
        # a loop device (block 7:0) and the kernel's log (1:11), which the
        # host opens (this host's own disk refuses even its root): nodes of
        # them made in a container are refused; /dev/null's (1:3) works;
        # --privileged (no list) opens them, so the list is what says no
        [ -b /dev/loop0 ] && (exec 3</dev/loop0) 2>/dev/null || skip "no usable /dev/loop0 here"
        probe='mknod /tmp/blk b 7 0 && mknod /tmp/kmsg c 1 11 && mknod /tmp/nul c 1 3 || exit 9
               head -c1 /tmp/nul && echo null-ok
               (exec 3</tmp/blk) && echo blk-read; (exec 3>/tmp/blk) && echo blk-write
               (exec 3</tmp/kmsg) && echo kmsg-read; true'
        run "$BOX" run --rm --network none --privileged busybox sh -c "$probe"
        [ "$status" -eq 0 ]
        [[ "$output" == *blk-read* ]]
        [[ "$output" == *kmsg-read* ]]
        run env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$BOX_TEST_TMP/trace" -e trace=bpf \
                "$BOX" run --rm --network none --cap-add MKNOD busybox sh -c "$probe"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *null-ok* ]]
        [[ "$output" != *blk-* ]]
        [[ "$output" != *kmsg-read* ]]
        [[ "$output" == *"Operation not permitted"* ]]
        # where v1's devices controller holds the list, the kernel checks it
        # and a v2 program alike: box loads none there (nor do runc and
        # crun); elsewhere the program is the list
        if v1_devices; then
                [ -z "$(grep BPF_PROG_LOAD "$BOX_TEST_TMP/trace")" ]
        else
                grep -q BPF_PROG_LOAD "$BOX_TEST_TMP/trace"
        fi
}

@test "resources: the v2 device filter (BPF) denies what the allow-list lacks" {
        [ -f /sys/fs/cgroup/unified/cgroup.controllers ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || \
                skip "no cgroup v2 hierarchy"
        # a hybrid host's v1 list is the filter there (the test above)
        ! v1_devices || skip "the v1 devices controller holds the list here"
        "$BOX" run --name devs --cap-add MKNOD busybox sh -c \
                'mknod /tmp/mem c 1 1; mknod /tmp/nul c 1 3; go=0; trap "go=1" USR1; echo ready
                 while [ $go = 0 ]; do sleep 0.1; done
                 head -c1 /tmp/nul && echo null-ok; head -c1 /tmp/mem || echo mem-denied' \
                >"$BOX_TEST_TMP/out" 2>&1 &
        local pid=$!
        for i in $(seq 300); do grep -q ready "$BOX_TEST_TMP/out" && break; sleep 0.1; done
        grep -q ready "$BOX_TEST_TMP/out"
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

# HostConfig.FIELD of CONTAINER as JSON
hcj() {
        box inspect "$2" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)[0]['HostConfig']['$1'], sort_keys=True))"
}

@test "resources: --cpu-period, --cpu-quota, --cpuset-mems, the memory extras reach the cgroup and inspect" {
        if v1; then
                run cg cpu/cpu.cfs_period_us --cpu-period 50000 --cpu-quota 25000
                [ "$output" = 50000 ]
                [ "$(cg cpu/cpu.cfs_quota_us --cpu-period 50000 --cpu-quota 25000)" = 25000 ]
                [ "$(cg cpu/cpu.cfs_quota_us --cpu-quota 30000)" = 30000 ]
                [ "$(cg cpuset/cpuset.mems --cpuset-mems 0)" = 0 ]
                [ "$(cg memory/memory.soft_limit_in_bytes --memory-reservation 32m)" = 33554432 ]
                [ "$(cg memory/memory.swappiness --memory-swappiness 17)" = 17 ]
                run cg memory/memory.oom_control --oom-kill-disable -m 64m
                [[ "$output" == *"oom_kill_disable 1"* ]]
        else
                [ "$(cg cpu.max --cpu-period 50000 --cpu-quota 25000)" = "25000 50000" ]
                [ "$(cg memory.low --memory-reservation 32m)" = 33554432 ]
        fi
        id=$(box create --cpu-period 50000 --cpu-quota 25000 --cpuset-mems 0 --memory-reservation 32m \
                --memory-swappiness 17 --oom-kill-disable busybox true)
        [ "$(hcj CpuPeriod "$id")" = 50000 ]
        [ "$(hcj CpuQuota "$id")" = 25000 ]
        [ "$(hcj NanoCpus "$id")" = 0 ]
        [ "$(hcj CpusetMems "$id")" = '"0"' ]
        [ "$(hcj MemoryReservation "$id")" = 33554432 ]
        [ "$(hcj MemorySwappiness "$id")" = 17 ]
        [ "$(hcj OomKillDisable "$id")" = true ]
        id=$(box create --cpus 0.5 busybox true)
        [ "$(hcj CpuQuota "$id")" = 0 ]
        [ "$(hcj NanoCpus "$id")" = 500000000 ]
        [ "$(hcj MemorySwappiness "$id")" = null ]
        # a restart-able start reads them from its record
        if v1; then
                id=$(box create --cpu-quota 40000 busybox cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)
                [ "$(box start -a "$id")" = 40000 ]
        fi
}

@test "resources: Docker's zero and empty values mean no limit, not an error" {
        # docker run -m 0 / --cpus 0 / --cpu-period 0 / --cpuset-cpus '' leave the
        # limit unset (scripts pass \${MEM:-0}); --kernel-memory 0 asks for nothing
        for args in "-m 0" "--memory 0b" "--cpus 0" "--cpus 0.000" "--cpu-period 0" "--cpuset-cpus" \
                "--cpuset-mems" "--kernel-memory 0" "--memory-reservation 0" "--pids-limit 0"; do
                set -- ${args%% *}
                [ "${args#* }" != "$args" ] && set -- "$1" "${args#* }" || set -- "$1" ""
                run box run --rm "$1" "$2" busybox true
                echo "$args: $output"
                [ "$status" -eq 0 ]
                [ -z "$output" ]
        done
        if v1; then
                [ "$(cg memory/memory.limit_in_bytes -m 0)" = "$(cg memory/memory.limit_in_bytes)" ]
                [ "$(cg cpu/cpu.cfs_quota_us --cpus 0)" = "-1" ]
        fi
        # what stays refused: negative, a limit below the minimum, a kernel memory limit
        for args in "--cpus -1" "-m 1k" "--kernel-memory 10m" "--cpu-period x"; do
                run box run --rm ${args%% *} "${args#* }" busybox true
                [ "$status" -eq 125 ]
        done
}

@test "resources: bad values of the new resource flags are one line naming them, 125" {
        for args in "--cpu-period 999" "--cpu-period 1000001" "--cpu-quota 999" "--cpu-quota x" \
                "--cpuset-mems a" "--memory-reservation 1k" "--memory-reservation x" \
                "--memory-swappiness 101" "--memory-swappiness -2" "--oom-score-adj 1001" \
                "--oom-score-adj x" "--device-read-iops /dev/null" "--device-write-iops /dev/nonexistent:5" \
                "--blkio-weight-device /dev/null:5" "--device-cgroup-rule x" "--device-cgroup-rule c_1:3_rwm"; do
                set -- ${args%% *} "${args#* }"
                [ "$2" = c_1:3_rwm ] && set -- "$1" "c 1:3 rwmx"
                run box run --rm "$1" "$2" busybox true
                echo "$args: $output"
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == *"$1"* ]]
                [[ "$output" != *"unknown flag"* ]]
        done
        run box run --rm --cpus 1 --cpu-quota 50000 busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"conflicting options"* ]]
        run box run --rm -m 16m --memory-reservation 32m busybox true
        [ "$status" -eq 125 ]
}

@test "resources: --oom-score-adj is the container's, before its first instruction" {
        [ "$(box run --rm --oom-score-adj 500 busybox cat /proc/self/oom_score_adj)" = 500 ]
        [ "$(box run --rm --init --oom-score-adj 300 busybox cat /proc/1/oom_score_adj)" = 300 ]
        id=$(box create --oom-score-adj 200 busybox cat /proc/self/oom_score_adj)
        [ "$(hcj OomScoreAdj "$id")" = 200 ]
        [ "$(box start -a "$id")" = 200 ]
        # below box's own needs CAP_SYS_RESOURCE: a clear failure where box lacks it
        capeff=$((16#$(awk '/^CapEff:/ {print $2}' /proc/self/status)))
        if [ $(((capeff >> 24) & 1)) -eq 0 ]; then # CAP_SYS_RESOURCE is 24
                run box run --rm --oom-score-adj -500 busybox true
                [ "$status" -eq 125 ]
                [[ "$output" == *"--oom-score-adj -500"* ]]
        fi
}

@test "resources: --device-read-iops / --device-write-iops / --blkio-weight-device" {
        dev=$(awk '$2 == "/" && $1 ~ /^\/dev\// {print $1; exit}' /proc/mounts)
        [ -b "$dev" ] || skip "no block device for /"
        # a limit that fails half-way through the hierarchies touches no
        # process outside the container's cgroup (a host process lives on)
        sleep 300 &
        local bystander=$!
        run box run --rm --blkio-weight-device "$dev:300" --pids-limit 5 busybox true
        kill -0 "$bystander"
        kill "$bystander"
        majmin=$(printf '%d:%d' "0x$(stat -c %t "$dev")" "0x$(stat -c %T "$dev")")
        if v1; then
                [ "$(cg blkio/blkio.throttle.read_iops_device --device-read-iops "$dev:100")" = "$majmin 100" ]
                [ "$(cg blkio/blkio.throttle.write_iops_device --device-write-iops "$dev:200")" = "$majmin 200" ]
        else
                [[ "$(cg io.max --device-read-iops "$dev:100")" == *"riops=100"* ]]
        fi
        id=$(box create --device-read-iops "$dev:100" --device-write-iops "$dev:200" \
                --device-read-bps "$dev:1mb" busybox true)
        [ "$(hcj BlkioDeviceReadIOps "$id")" = "[{\"Path\": \"$dev\", \"Rate\": 100}]" ]
        [ "$(hcj BlkioDeviceWriteIOps "$id")" = "[{\"Path\": \"$dev\", \"Rate\": 200}]" ]
        [ "$(hcj BlkioDeviceReadBps "$id")" = "[{\"Path\": \"$dev\", \"Rate\": 1048576}]" ]
        # a weight lands, or the kernel's lack of one is said (no CFQ/BFQ here)
        run box run --rm --blkio-weight-device "$dev:300" busybox sh -c 'cat /sys/fs/cgroup/blkio/blkio*weight_device /sys/fs/cgroup/io.weight 2>/dev/null; exit 0'
        if [ "$status" -eq 0 ]; then
                [[ "$output" == *"$majmin"* ]]
        else
                [ "$status" -eq 125 ]
                [[ "$output" == *"--blkio-weight-device"* ]]
        fi
}

@test "resources: --device-cgroup-rule allows a device the defaults deny, in both cgroup versions" {
        probe='mknod /tmp/fuse c 10 229; exec 3<>/tmp/fuse && echo opened'
        run box run --rm --cap-add MKNOD busybox sh -c "$probe"
        [[ "$output" != *opened* ]]
        run box run --rm --cap-add MKNOD --device-cgroup-rule 'c 10:229 rwm' busybox sh -c "$probe"
        [[ "$output" == *opened* ]]
        # read only: the write is denied
        run box run --rm --cap-add MKNOD --device-cgroup-rule 'c 10:* rm' busybox sh -c \
                'mknod /tmp/fuse c 10 229; exec 3</tmp/fuse && echo read; exec 4>/tmp/fuse && echo written'
        [[ "$output" == *read* ]]
        [[ "$output" != *written* ]]
        id=$(box create --device-cgroup-rule 'c 10:229 rwm' --cap-add MKNOD busybox sh -c "$probe")
        [ "$(hcj DeviceCgroupRules "$id")" = '["c 10:229 rwm"]' ]
        [ "$(box start -a "$id")" = opened ]
}

# in_cg NAME FILE: a cgroup file as running container NAME sees it
in_cg() { box exec "$1" cat "/sys/fs/cgroup/$2"; }

@test "update: a running container's limits change at once, in inspect, and at its next start" {
        box run -d --name up1 --network none -m 64m busybox sleep 300 >/dev/null
        run box update -m 256m --cpus 0.5 --pids-limit 100 --restart on-failure:3 up1
        [ "$status" -eq 0 ]
        [ "$output" = up1 ]
        if v1; then
                [ "$(in_cg up1 memory/memory.limit_in_bytes)" = 268435456 ]
                [ ! -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] ||
                        [ "$(in_cg up1 memory/memory.memsw.limit_in_bytes)" = 536870912 ]
                [ "$(in_cg up1 cpu/cpu.cfs_quota_us)" = 50000 ]
                [ "$(in_cg up1 pids/pids.max)" = 100 ]
                # down again: memory first, then memory+swap (v1 keeps them ordered)
                box update -m 32m up1 >/dev/null
                [ "$(in_cg up1 memory/memory.limit_in_bytes)" = 33554432 ]
        else
                [ "$(in_cg up1 memory.max)" = 268435456 ]
                [ "$(in_cg up1 cpu.max)" = "50000 100000" ]
                [ "$(in_cg up1 pids.max)" = 100 ]
                box update -m 32m up1 >/dev/null
        fi
        [ "$(box inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' up1)" = \
                "33554432 500000000 100 on-failure:3" ]
        # the next start runs with them
        box stop -t 0 up1 >/dev/null
        box update --pids-limit 7 up1 >/dev/null
        box start up1 >/dev/null
        if v1; then
                [ "$(in_cg up1 memory/memory.limit_in_bytes)" = 33554432 ]
                [ "$(in_cg up1 pids/pids.max)" = 7 ]
        else
                [ "$(in_cg up1 pids.max)" = 7 ]
        fi
        # and the restart policy is the monitor's: on-failure restarts it
        box update --restart always up1 >/dev/null
        kill -9 "$(box inspect -f '{{.State.Pid}}' up1)"
        wait_for 100 sh -c "[ \"\$($BOX inspect -f '{{.RestartCount}}' up1)\" -ge 1 ]"
}

@test "update: Docker's refusals are one line, 125, and change nothing" {
        box run -d --name up2 --network none -m 64m --memory-swap 128m busybox sleep 300 >/dev/null
        run box update up2
        [ "$status" -eq 125 ]
        [[ "$output" == *"you must provide one or more flags"* ]]
        run box update -m 1m up2
        [ "$status" -eq 125 ]
        [[ "$output" == *"minimum memory limit allowed is 6MB"* ]]
        # above the memory+swap limit the user set, without a new one
        run box update -m 256m up2
        [ "$status" -eq 125 ]
        [[ "$output" == *"update the memoryswap at the same time"* ]]
        [ "$(box inspect -f '{{.HostConfig.Memory}}' up2)" = 67108864 ]
        run box update --cpus 0.5 --cpu-quota 50000 up2
        [ "$status" -eq 125 ]
        run box update --restart sometimes up2
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid restart policy"* ]]
        run box update --memory 100m nope
        [ "$status" -eq 125 ]
        [[ "$output" == *"no such container: 'nope'"* ]]
        box run -d --rm --name up3 --network none busybox sleep 300 >/dev/null
        run box update --restart always up3
        [ "$status" -eq 125 ]
        [[ "$output" == *"AutoRemove is enabled"* ]]
        [ "${#lines[@]}" -eq 1 ]
        # under `container update` too
        run box container update --pids-limit 50 up2
        [ "$status" -eq 0 ]
        [ "$(box inspect -f '{{.HostConfig.PidsLimit}}' up2)" = 50 ]
}
