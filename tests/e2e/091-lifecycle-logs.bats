#!/usr/bin/env bats
# box logs: the monitor's CRI-format log, its rotation, and following it.
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

@test "logs: stdout and stderr apart, in the CRI format on disk" {
        box run -d --name l1 busybox sh -c 'echo out1; echo err1 >&2; printf partial; sleep 0.2; echo " end"'
        box wait l1
        run --separate-stderr box logs l1
        [ "${lines[*]}" = "out1 partial end" ]
        [ "$stderr" = err1 ]
        id=$(box ps -aq --no-trunc)
        log="$BOX_ROOT/containers/$id/ctr.log"
        grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z stdout F out1$' "$log"
        grep -Eq ' stderr F err1$' "$log"
        grep -Eq ' stdout P partial$' "$log"
}

@test "logs: --tail, -t, --since and --until" {
        box run -d --name l2 busybox sh -c 'for i in 1 2 3 4 5; do echo line$i; done'
        box wait l2
        run box logs --tail 2 l2
        [ "${lines[*]}" = "line4 line5" ]
        run box logs -n 0 l2
        [ -z "$output" ]
        run box logs -t --tail 1 l2
        [[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z\ line5$ ]]
        run box logs --since 1h l2
        [ "${#lines[@]}" -eq 5 ]
        run box logs --until 1h l2
        [ "${#lines[@]}" -eq 0 ]
        run box logs --since "$(date -u -d '+1 min' +%Y-%m-%dT%H:%M:%SZ)" l2
        [ -z "$output" ]
        run box logs --since nonsense l2
        [ "$status" -eq 125 ]
}

@test "logs: --until as Docker's daemon has it: 0 and '' no limit, the epoch one, a line's own time kept" {
        box run -d --name l3 --network none busybox sh -c 'echo one; sleep 0.1; echo two'
        box wait l3
        run box logs --until 0 l3
        [ "${lines[*]}" = "one two" ]
        run box logs --until '' --since '' l3
        [ "$status" -eq 0 ]
        [ "${lines[*]}" = "one two" ]
        # 0.0 is a time (1970), not "none": nothing is older
        run box logs --until 0.0 l3
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        run box logs --until 0s l3
        [ "${lines[*]}" = "one two" ]
        # a line at the --until time itself is shown (only those after it go)
        first=$(box logs -t l3 | head -1 | cut -d' ' -f1)
        run box logs --until "$first" l3
        [ "$output" = one ]
}

@test "logs: -f follows a running container and ends when it stops" {
        box run -d --name l3 busybox sh -c 'i=0; while [ $i -lt 20 ]; do echo tick$i; i=$((i+1)); sleep 0.1; done'
        run timeout 20 "$BOX" logs -f l3
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = tick0 ]
        [ "${lines[19]}" = tick19 ]
        [ "${#lines[@]}" -eq 20 ]
}

@test "logs: rotation keeps max-file files of about max-size" {
        box run -d --name l4 --log-opt max-size=1k --log-opt max-file=2 busybox \
                sh -c 'i=0; while [ $i -lt 200 ]; do echo "line $i of a log that rotates"; i=$((i+1)); done'
        box wait l4
        id=$(box ps -aq --no-trunc)
        log="$BOX_ROOT/containers/$id/ctr.log"
        [ -e "$log" ]
        [ -e "$log.1" ]
        [ ! -e "$log.2" ]
        [ "$(stat -c %s "$log")" -le 1024 ]
        [ "$(stat -c %s "$log.1")" -le 1024 ]
        run box logs l4
        # the newest lines survive, in order
        [ "${lines[-1]}" = "line 199 of a log that rotates" ]
        [ "${#lines[@]}" -lt 200 ]
        run box run -d --log-opt max-size=nope busybox true
        [ "$status" -eq 125 ]
        run box run -d --log-opt color=red busybox true
        [ "$status" -eq 125 ]
}

@test "logs: --log-driver none keeps nothing; journald only where it runs" {
        box run -d --name l5 --log-driver none busybox echo hidden
        box wait l5
        run box logs l5
        [ "$status" -ne 0 ]
        [[ "$output" == *"does not support reading"* ]]
        if [ ! -S /run/systemd/journal/socket ]; then
                run box run -d --log-driver journald busybox true
                [ "$status" -eq 125 ]
                [[ "$output" == *"journald is not running"* ]]
        fi
        run box run -d --log-driver syslog busybox true
        [ "$status" -eq 125 ]
}

@test "logs: a foreground box start -a prints the output and returns the exit code" {
        box create --name l6 busybox sh -c 'echo attached; exit 4'
        run box start -a l6
        [ "$status" -eq 4 ]
        [ "$output" = attached ]
}

@test "logs: a foreground run on another container's network is logged as the others" {
        box run -d --name netpeer --network none busybox sleep 60 >/dev/null
        run --separate-stderr box run --name joined --network container:netpeer busybox sh -c \
                'echo out1; echo err1 >&2; cat /proc/net/dev | grep -c eth0; exit 3'
        [ "$status" -eq 3 ]
        [ "$output" = "out1
0" ]
        [ "$stderr" = err1 ]
        run --separate-stderr box logs joined
        [ "$output" = "out1
0" ]
        [ "$stderr" = err1 ]
        [ "$(box inspect -f '{{.State.Status}} {{.State.ExitCode}}' joined)" = "exited 3" ]
        # the other one must run: refused before anything is made
        box stop -t 1 netpeer >/dev/null
        n=$(box ps -aq | wc -l)
        run box run --name joined2 --network container:netpeer busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"is not running"* ]]
        [ "$(box ps -aq | wc -l)" -eq "$n" ]
}

@test "logs: a foreground run without --rm is logged as Docker's: output, exit code, stdin, signals" {
        # docker run --name job IMAGE cmd; docker logs job: the output again
        run --separate-stderr box run --name f1 busybox sh -c 'echo out1; echo err1 >&2; exit 3'
        [ "$status" -eq 3 ]
        [ "$output" = out1 ]
        [ "$stderr" = err1 ]
        run --separate-stderr box logs f1
        [ "$output" = out1 ]
        [ "$stderr" = err1 ]
        [ "$(box inspect -f '{{.State.Status}} {{.State.ExitCode}}' f1)" = "exited 3" ]
        # stdin with -i, to its end
        run box run -i --name f2 busybox sh -c 'cat; echo done'  < <(printf 'a\nb\n')
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf 'a\nb\ndone')" ]
        [ "$(box logs f2)" = "$(printf 'a\nb\ndone')" ]
        # 126/127 as before, and a start failure's message
        run -127 box run --name f3 busybox /no/such
        [ "$status" -eq 127 ]
        [[ "$output" == *"/no/such"* ]]
        # box's TERM goes to the container (sig-proxy), whose status is box's
        "$BOX" run --name f4 busybox sh -c 'trap "echo got; exit 7" TERM; echo up; while :; do sleep 0.1; done' \
                > "$BOX_TEST_TMP/f4" &
        pid=$!
        for i in $(seq 100); do grep -q up "$BOX_TEST_TMP/f4" 2>/dev/null && break; sleep 0.1; done
        kill -TERM "$pid"
        wait "$pid" || rc=$?
        [ "${rc:-0}" -eq 7 ]
        grep -q got "$BOX_TEST_TMP/f4"
        # a --rm run keeps no log: nothing could read it
        box run --rm --name f5 busybox echo gone
        [ ! -e "$BOX_ROOT/containers/f5" ]
}
