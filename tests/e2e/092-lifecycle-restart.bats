#!/usr/bin/env bats
# The restart policy (carried out by the monitor), pause/unpause, wait.
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

@test "restart: on-failure:2 restarts twice, then gives up with the last exit code" {
        box run -d --name of --restart on-failure:2 busybox sh -c 'echo run; exit 3'
        run box wait of
        [ "$output" = 3 ]
        [ "$(box logs of | grep -c run)" -eq 3 ]
        id=$(box ps -aq --no-trunc)
        grep -q '"restart_count": 2' "$BOX_ROOT/containers/$id/state"
        run box ps -a --format '{{.Status}}'
        [[ "$output" == "Exited (3) "* ]]
}

@test "restart: on-failure does not restart a success; always does, until stopped" {
        box run -d --name ok --restart on-failure busybox sh -c 'echo run'
        box wait ok
        [ "$(box logs ok | grep -c run)" -eq 1 ]
        box run -d --name al --restart always busybox sh -c 'echo run; sleep 0.2'
        wait_for 100 eval '[ "$(box logs al | grep -c run)" -ge 3 ]'
        box stop -t 1 al
        n=$(box logs al | grep -c run)
        sleep 1
        [ "$(box logs al | grep -c run)" -eq "$n" ]
        run box ps -a --filter name=al --format '{{.State}}'
        [ "$output" = exited ]
}

@test "restart: back-off doubles between quick failures" {
        start=$(date +%s%N)
        box run -d --name bo --restart always busybox sh -c 'date +%s%N'
        # at least 3 runs, however slow the machine (a fixed 2.5 s saw 2 under load)
        wait_for 300 eval '[ "$(box logs bo | wc -l)" -ge 3 ]'
        while [ $((($(date +%s%N) - start) / 1000000)) -lt 2500 ]; do sleep 0.1; done
        box stop bo
        ms=$((($(date +%s%N) - start) / 1000000))
        # 100, 200, 400, 800 ms: runs start no sooner than 0, 0.1, 0.3, 0.7,
        # 1.5, 3.1 s...: about 5 in 2.5 s (two more allowed), never 20
        max=$(awk -v t="$ms" 'BEGIN { n = 0; for (d = 0; d <= t; d = 2 * d + 100) n++; print n + 2 }')
        n=$(box logs bo | wc -l)
        echo "$n runs in $ms ms (at most $max)"
        [ "$n" -le "$max" ]
}

@test "restart: invalid policies are 125; --restart with --rm conflicts" {
        run box run -d --restart sometimes busybox true
        [ "$status" -eq 125 ]
        run box run -d --restart always:3 busybox true
        [ "$status" -eq 125 ]
        run box run -d --restart on-failure:x busybox true
        [ "$status" -eq 125 ]
        run box run -d --rm --restart always busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"conflicting options"* ]]
}

@test "pause: the freezer stops a counter; unpause lets it go on" {
        id=$(box run -d --name pz busybox sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done')
        upper="$BOX_ROOT/containers/$id/upper/tmp/n"
        wait_for 100 test -s "$upper"
        box pause pz
        run box ps --format '{{.Status}} {{.State}}'
        [[ "$output" == *"(Paused) paused" ]]
        a=$(cat "$upper")
        sleep 0.5
        [ "$(cat "$upper")" = "$a" ]
        run box pause pz
        [ "$status" -ne 0 ]
        [[ "$output" == *"already paused"* ]]
        box unpause pz
        wait_for 100 eval '[ "$(cat "$upper")" != "$a" ]'
        run box unpause pz
        [ "$status" -ne 0 ]
        # stop thaws what it stops
        box pause pz
        box stop -t 1 pz
        run box ps -a --format '{{.State}}'
        [ "$output" = exited ]
}

@test "wait: prints the exit code once it exits" {
        box run -d --name ww busybox sh -c 'sleep 0.5; exit 7'
        run box wait ww
        [ "$output" = 7 ]
        run box wait nosuch
        [ "$status" -ne 0 ]
}

@test "rename: the new name is taken atomically, the old one freed" {
        box run -d --name old busybox sleep 60
        box run -d --name other busybox sleep 60
        run box rename old other
        [ "$status" -ne 0 ]
        box rename old new
        run box ps --format '{{.Names}}'
        [[ "$output" == *new* && "$output" != *old* ]]
        box run --rm --name old busybox true
        box stop -t 0 new
}

@test "container prune removes stopped containers only" {
        box run --name p1 busybox true
        box create --name p2 busybox true >/dev/null
        box run -d --name p3 busybox sleep 60
        run box container prune -f
        [ "$status" -eq 0 ]
        [[ "$output" == *"Deleted Containers:"* ]]
        run box ps -a --format '{{.Names}}'
        [ "$output" = p3 ]
}

@test "inspect: Docker's shape for a container, an image when no container has the name" {
        id=$(box run -d --name ins --restart on-failure:3 busybox sleep 60)
        run box inspect -f '{{.Id}} {{.Name}} {{.State.Status}} {{.State.Running}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' ins
        [ "$output" = "$id /ins running true on-failure 3" ]
        run box inspect -f '{{.State.Pid}}' ins
        [ "$output" -gt 1 ]
        [ "$(readlink /proc/"$output"/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
        run box inspect ins
        [[ "$output" == *'"Config": {'* && "$output" == *'"LogPath": '* ]]
        box stop -t 0 ins
        run box inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}' ins
        [ "$output" = "exited 137 0" ]
        run box inspect -f '{{.Id}}' busybox
        [[ "$output" == sha256:* ]]
        run box container inspect busybox
        [ "$status" -ne 0 ]
        # --type: a container named like an image, either one on request
        box run -d --name busybox busybox sleep 60 >/dev/null
        run box inspect -f '{{.Name}}' busybox
        [ "$output" = /busybox ]
        run box inspect --type image -f '{{.Id}}' busybox
        [[ "$output" == sha256:* ]]
        run box inspect --type volume busybox
        [ "$status" -eq 125 ]
        [[ "$output" == *"'volume' is not a valid value for --type"* ]]
        box rm -f busybox >/dev/null
}
