#!/usr/bin/env bats
# box top (the container's processes, as docker top) and box stats (its
# cgroup's counters, as docker stats prints them).
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

@test "top: ps -ef's columns for the processes of the container's cgroup only" {
        box run -d --name tp busybox sh -c 'sleep 101'
        box exec -d tp sh -c 'sleep 202; echo two  words'
        # the exec's sh forks its sleep a moment later: wait for the sleep itself
        wait_for 50 eval 'box top tp | grep -q " sleep 202$"'
        run box top tp
        [ "$status" -eq 0 ]
        read -ra head <<<"${lines[0]}"
        [ "${head[*]}" = "UID PID PPID C STIME TTY TIME CMD" ]
        [ "${#lines[@]}" -eq 4 ]
        [[ "$output" == *"sleep 101"* ]]
        # the last column keeps the command's words
        [[ "$output" == *"sh -c sleep 202; echo two words"* ]]
        # host processes (this shell, box's own) are not the container's
        [[ "$output" != *"bats"* ]]
        [[ "$output" != *"box-monitor"* ]]
        # the pids are the host's pids of the container's processes
        pid=$(box inspect -f '{{.State.Pid}}' tp)
        echo "$output" | awk 'NR > 1 { print $2 }' | grep -qx "$pid"
}

@test "top: ps options; a stopped or unknown container, or no PID column, is 125" {
        box run -d --name tq busybox sleep 60
        run box top tq -o pid,comm
        [ "$status" -eq 0 ]
        [ "$(echo "${lines[0]}" | tr -s ' ')" = "PID COMMAND " ] || [ "$(echo "${lines[0]}" | tr -s ' ')" = "PID COMMAND" ]
        [ "$(echo "${lines[1]}" | awk '{print $2}')" = sleep ]
        run box top tq -o comm
        [ "$status" -eq 125 ]
        [[ "$output" == *"PID field"* ]]
        run box top nosuch
        [ "$status" -eq 125 ]
        box stop -t 0 tq
        run box top tq
        [ "$status" -eq 125 ]
        [[ "$output" == *"is not running"* ]]
}

stats() { box stats --no-stream "$@"; }

@test "stats: the header and a row per running container, as docker stats prints them" {
        box run -d --name s1 --network none -m 64m busybox sleep 60
        box run -d --name s2 busybox sh -c 'sleep 60 & sleep 60 & wait'
        box run --name s3 busybox true
        run stats
        [ "$status" -eq 0 ]
        [ "$(echo "${lines[0]}" | tr -s ' ')" = "CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS" ]
        [ "${#lines[@]}" -eq 3 ]
        # the limit, or the host's memory when none
        [[ "$(stats --format '{{.MemUsage}}' s1)" == *"iB / 64MiB" ]]
        host=$(awk '/MemTotal/ { printf "%.4g", $2 / 1024 / 1024 }' /proc/meminfo)
        [[ "$(stats --format '{{.MemUsage}}' s2)" == *" / ${host}GiB" ]]
        # its sh forks the two sleeps after run -d returns
        wait_for 20 eval '[ "$(stats --format "{{.PIDs}}" s2)" = 3 ]'
        [ "$(stats --format '{{.PIDs}}' s1)" = 1 ]
        # only lo, which does not count (the host's links are not its own)
        [ "$(stats --format '{{.NetIO}}' s1)" = "0B / 0B" ]
        # a stopped container named: zeros
        [ "$(stats --format '{{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' s3)" = "0.00% 0B / 0B 0" ]
        run stats -a --format '{{.Name}}'
        [ "$(echo "$output" | sort | tr '\n' ' ')" = "s1 s2 s3 " ]
}

# Does the kernel count a synced write on the blkio hierarchy's root?
host_blkio_accounts() {
        local f=/sys/fs/cgroup/blkio/blkio.throttle.io_service_bytes_recursive before after
        [ -r "$f" ] || return 1
        before=$(awk '$1 == "Total" {print $2}' "$f")
        dd if=/dev/zero of="$BOX_TEST_TMP/blkio-probe" bs=1M count=4 conv=fsync 2>/dev/null
        after=$(awk '$1 == "Total" {print $2}' "$f")
        rm -f "$BOX_TEST_TMP/blkio-probe"
        [ "${after:-0}" -gt "${before:-0}" ]
}

@test "stats: CPU %, memory and block I/O follow what the container does" {
        box run -d --name busy busybox sh -c 'while :; do :; done'
        wid=$(box run -d --name writer busybox sh -c \
                'dd if=/dev/zero of=/x bs=1M count=8 conv=fsync 2>/dev/null; head -c 50000000 /dev/zero | tail -c 1 >/dev/null; touch /done; sleep 60')
        # the busy loop's share of the host's CPU: a core's worth on an idle
        # machine, less when other work shares the cores, so the best of a
        # few one-second samples (a broken CPU % fails all of them)
        best=0
        for _ in 1 2 3 4 5; do
                cpu=$(stats --format '{{.CPUPerc}}' busy)
                echo "busy: $cpu"
                [ "${cpu%%.*}" -gt "$best" ] && best=${cpu%%.*}
                [ "$best" -ge 20 ] && break
        done
        [ "$best" -ge 20 ]
        # the writer is idle once it has written (on a loaded machine it was
        # still writing when stats sampled it)
        wait_for 300 test -e "$BOX_ROOT/containers/$wid/upper/done"
        [ "$(stats --format '{{.CPUPerc}}' writer)" = "0.00%" ]
        # 8 MiB written and synced: at least 8 MB of writes, where the
        # kernel accounts block I/O to cgroups at all (some kernels count
        # nothing, not even the root's: then docker's column is 0B too)
        out=$(stats --format '{{.BlockIO}}' writer)
        w=${out#* / }
        if host_blkio_accounts; then
                [[ "$w" == *MB ]] && [ "${w%%.*}" -ge 8 ] || [[ "$w" == *GB ]]
        else
                echo "# this kernel accounts no block I/O to cgroup v1: BlockIO $out" >&3
                [ "$out" = "0B / 0B" ]
        fi
        mem=$(stats --format '{{.MemPerc}}' busy)
        [[ "$mem" =~ ^[0-9]+\.[0-9][0-9]%$ ]]
}

@test "stats: json and template formats; streams until stopped; an unknown name is 125" {
        box run -d --name js busybox sleep 60
        out=$(stats --format json js)
        for k in ID Container Name CPUPerc MemUsage MemPerc NetIO BlockIO PIDs; do
                [[ "$out" == *"\"$k\":"* ]]
        done
        [[ "$out" == *'"Name":"js"'* ]]
        [ "$(stats --format '{{.Container}}' js)" = js ]
        id=$(box ps -q --no-trunc)
        [ "$(stats --no-trunc --format '{{.ID}}' js)" = "$id" ]
        # a row a second: at least two in 4.6 s, however slow the start
        run timeout 4.6 "$BOX" stats --format '{{.Name}}' js
        [ "$status" -eq 124 ]
        [ "${#lines[@]}" -ge 2 ]
        run stats nosuch
        [ "$status" -eq 125 ]
}
