#!/usr/bin/env bats
# box run -d, its monitor, ps, stop, kill, rm -f: containers that outlive
# the command, from any shell.
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

monitor_of() { pgrep -f "box-monitor --id $1"; }

@test "detach: run -d prints the full id, returns, and the container runs on" {
        run box run -d --name d1 busybox sh -c 'echo started; sleep 60'
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^[0-9a-f]{64}$ ]]
        id=$output
        # the box that printed the id is gone; the container is not
        run box ps --format '{{.ID}} {{.Names}} {{.Status}}'
        [[ "$output" == "${id:0:12} d1 Up "* ]]
        [ -n "$(monitor_of "$id")" ]
        wait_for 30 eval 'box logs d1 | grep -q started'
        grep -q '"status": "running"' "$BOX_ROOT/containers/$id/state"
}

@test "detach: a start failure is the foreground's error and exit code" {
        run -127 box run -d busybox nosuchcmd
        [ "$status" -eq 127 ]
        [[ "$output" == *"nosuchcmd"* ]]
        run box run -d -u nosuchuser busybox true
        [ "$status" -eq 125 ]
        run -127 box run -d --rm --name gone busybox nosuchcmd
        [ "$status" -eq 127 ]
        run box ps -a --format '{{.Names}}'
        [[ "$output" != *gone* ]]
        [ -z "$(pgrep -f "box-monitor --id")" ] || [ -z "$(pgrep -f "box-monitor.*$BOX_ROOT")" ]
}

@test "detach: the monitor stays under 1 MB resident" {
        id=$(box run -d busybox sleep 60)
        mon=$(monitor_of "$id")
        rss=$(awk '/VmRSS/ {print $2}' /proc/"$mon"/status)
        echo "monitor VmRSS: $rss kB" >&3
        [ "$rss" -lt 1024 ]
}

@test "stop: a trapping shell sees SIGTERM and exits at once" {
        box run -d --name trap busybox sh -c 'trap "echo got TERM; exit 3" TERM; echo ready; while true; do sleep 0.1; done'
        wait_ready trap
        start=$(date +%s)
        run box stop trap
        [ "$status" -eq 0 ]
        [ "$output" = trap ]
        [ $(($(date +%s) - start)) -lt 5 ]
        run box logs trap
        [[ "$output" == *"got TERM"* ]]
        run box ps -a --format '{{.Status}}'
        [[ "$output" == "Exited (3) "* ]]
}

@test "stop: a process that ignores the signal is killed after -t" {
        box run -d --name sleeper busybox sleep 100
        start=$(date +%s)
        box stop -t 1 sleeper
        took=$(($(date +%s) - start))
        [ "$took" -ge 1 ]
        [ "$took" -lt 5 ]
        run box ps -a --format '{{.Status}}'
        [[ "$output" == "Exited (137) "* ]]
        # stopping a stopped container is fine, as in Docker
        box stop sleeper
}

@test "stop: the image's STOPSIGNAL and --stop-signal" {
        import_with usr1 'STOPSIGNAL SIGUSR1'
        box run -d --name u1 usr1 sh -c 'trap "echo got USR1; exit 0" USR1; echo ready; while true; do sleep 0.1; done'
        box run -d --name u2 --stop-signal USR2 busybox sh -c 'trap "echo got USR2; exit 0" USR2; echo ready; while true; do sleep 0.1; done'
        wait_ready u1
        wait_ready u2
        box stop -t 5 u1 u2
        [[ "$(box logs u1)" == *"got USR1"* ]]
        [[ "$(box logs u2)" == *"got USR2"* ]]
}

@test "kill: by name and by number, with or without SIG; invalid ones are 125" {
        box run -d --name kk busybox sh -c 'trap "echo usr1" USR1; trap "echo usr2" USR2; echo ready; while true; do sleep 0.1; done'
        wait_ready kk
        # one at a time: a signal still pending is not delivered twice
        box kill -s USR1 kk
        wait_for 30 eval '[ "$(box logs kk | grep -c usr)" -eq 1 ]'
        box kill -s SIGUSR2 kk
        wait_for 30 eval '[ "$(box logs kk | grep -c usr)" -eq 2 ]'
        box kill --signal 10 kk
        wait_for 30 eval '[ "$(box logs kk | grep -c usr)" -eq 3 ]'
        [ "$(box logs kk | grep -c usr1)" -eq 2 ]
        # Docker's names of the real-time signals: RTMIN is 34, RTMAX 64
        box exec kk sh -c 'kill -0 1'
        box kill -s RTMIN kk
        box kill -s SIGRTMAX kk
        box kill -s RTMAX-2 kk
        run box kill -s RTMAX+1 kk
        [ "$status" -eq 125 ]
        run box kill -s NOSUCH kk
        [ "$status" -eq 125 ]
        run box kill -s 999 kk
        [ "$status" -eq 125 ]
        box kill kk
        wait_for 50 eval '[ "$(box ps -a --format "{{.State}}")" = exited ]'
        run box kill kk
        [ "$status" -ne 0 ]
        [[ "$output" == *"is not running"* ]]
}

@test "rm: refuses a running detached container; -f kills it and leaves nothing" {
        id=$(box run -d --name rr busybox sleep 100)
        run box rm rr
        [ "$status" -ne 0 ]
        [[ "$output" == *"is running"* ]]
        box rm -f rr
        [ -z "$(monitor_of "$id")" ]
        [ ! -e "$BOX_ROOT/containers/$id" ]
        [ ! -e "$BOX_RUNROOT/containers/$id" ]
        ! ls -d /sys/fs/cgroup/*/box/"$id" 2>/dev/null || false
}

@test "rm -f: a container whose runtime state is made but not yet written is still killed" {
        # the state file is made in place, then written: a box rm -f that
        # read it empty in between signalled no one and failed after 10 s
        # ("did not stop"); empty is "not yet", as a missing one
        id=$(box run -d --name half busybox sleep 100)
        : >"$BOX_RUNROOT/containers/$id/state"
        run box rm -f half
        echo "$output"
        [ "$status" -eq 0 ]
        [ -z "$(monitor_of "$id")" ]
        [ ! -e "$BOX_ROOT/containers/$id" ]
        ! ls -d /sys/fs/cgroup/*/box/"$id" 2>/dev/null || false
}

@test "monitor: SIGKILL of the monitor is detected; ps tells the truth, rm -f works" {
        id=$(box run -d --name victim busybox sleep 100)
        mon=$(monitor_of "$id")
        kill -9 "$mon"
        # the container dies with it (PDEATHSIG), or runs on without it: either
        # way ps says which, never "Up" with a dead container
        wait_for 50 bash -c "! \"$BOX\" ps -a --format '{{.Status}}' | grep -qx 'Up.*unmonitored'" || true
        run box ps -a --format '{{.Status}}'
        [[ "$output" == "Exited (137)"* || "$output" == *unmonitored* ]]
        box rm -f victim
        ! ls -d /sys/fs/cgroup/*/box/"$id" 2>/dev/null || false
}

@test "monitor: a container that outlives its monitor is still stopped through its pidfd" {
        # setpriv drops nothing here, but su-exec style credential changes
        # clear PDEATHSIG: simulate with a setuid-like change (busybox su)
        id=$(box run -d --name orphan busybox sh -c 'exec su -s /bin/sh nobody -c "sleep 100"')
        sleep 0.5
        kill -9 "$(monitor_of "$id")"
        sleep 0.3
        run box ps -a --format '{{.Status}}'
        echo "$output"
        if [[ "$output" == *unmonitored* ]]; then
                box stop -t 1 orphan
                run box ps -a --format '{{.Status}}'
                [[ "$output" == "Exited (137)"* ]]
        fi
        box rm -f orphan
        ! ls -d /sys/fs/cgroup/*/box/"$id" 2>/dev/null || false
        [ -z "$(pgrep -f 'sleep 100' | xargs -r ps -o args= -p | grep -x 'sleep 100')" ] || true
}

@test "ps: -a, -q, -n, --no-trunc, filters and formats" {
        box run --name done0 busybox true
        run -3 box run --name done3 busybox sh -c "exit 3"
        id=$(box run -d --name up busybox sleep 60)
        box create --name fresh busybox true >/dev/null
        run box ps --format '{{.Names}}'
        [ "$output" = up ]
        run box ps -a --format '{{.Names}}'
        [ "${#lines[@]}" -eq 4 ]
        [ "${lines[0]}" = fresh ]
        run box ps -q
        [ "$output" = "${id:0:12}" ]
        run box ps -q --no-trunc
        [ "$output" = "$id" ]
        run box ps -n 2 --format '{{.Names}}'
        [ "${lines[*]}" = "fresh up" ]
        run box ps -a --filter status=exited --format '{{.Names}}'
        [ "${lines[*]}" = "done3 done0" ]
        run box ps -a --filter exited=3 --format '{{.Names}}'
        [ "$output" = done3 ]
        run box ps -a --filter status=created --format '{{.Names}} {{.Status}}'
        [ "$output" = "fresh Created" ]
        run box ps -a --filter name=done --filter ancestor=busybox -q
        [ "${#lines[@]}" -eq 2 ]
        run box ps --format json
        [[ "$output" == *'"Names": "up"'* || "$output" == *'"Names":"up"'* ]]
        run box ps
        [[ "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
        [[ "${lines[1]}" == *'"sleep 60"'* ]]
        run box ps --format '{{.Nope}}'
        [ "$status" -eq 125 ]
}

@test "ps: Docker's network=, volume=, publish=, expose=, before= and since= filters; -p is in PortBindings and ExposedPorts" {
        box volume create psvol >/dev/null
        box create --name pa -p 8080:80 -p 127.0.0.1::53/udp --expose 9000 -v psvol:/data busybox true >/dev/null
        box create --name pb --network none --expose 5000-5002/udp busybox true >/dev/null
        box create --name pc -P --expose 7000 busybox true >/dev/null
        f() { box ps -a --filter "$1" --format '{{.Names}}' | sort | tr '\n' ' '; }
        [ "$(f publish=80)" = "pa " ]
        [ "$(f publish=53/udp)" = "pa " ]
        [ "$(f publish=70-90)" = "pa " ]
        [ "$(f publish=80/udp)" = "" ]
        [ "$(f publish=7000)" = "pc " ]
        [ "$(f expose=80)" = "pa " ]
        [ "$(f expose=5001/udp)" = "pb " ]
        [ "$(f expose=9000)" = "pa " ]
        [ "$(f network=none)" = "pb " ]
        [ "$(f network=bridge)" = "pa pc " ]
        [ "$(f volume=psvol)" = "pa " ]
        [ "$(f volume=/data)" = "pa " ]
        [ "$(f before=pb)" = "pa " ]
        [ "$(f since=pa)" = "pb pc " ]
        [ "$(f since=pc)" = "" ]
        # name= is a Go regular expression, against NAME and Docker's /NAME
        [ "$(f 'name=^/pa$')" = "pa " ]
        [ "$(f 'name=^p[ab]$')" = "pa pb " ]
        [ "$(f name=c)" = "pc " ]
        run box ps -a --filter 'name=['
        [ "$status" -eq 125 ]
        run box ps -a --filter before=nope
        [ "$status" -eq 125 ]
        [[ "$output" == *"no such container: 'nope'"* ]]
        run box ps -a --filter publish=http
        [ "$status" -eq 125 ]
        [ "$(box inspect -f '{{json .HostConfig.PortBindings}}' pa)" = \
                '{"80/tcp":[{"HostIp":"","HostPort":"8080"}],"53/udp":[{"HostIp":"127.0.0.1","HostPort":""}]}' ]
        [ "$(box inspect -f '{{json .Config.ExposedPorts}}' pa)" = '{"9000/tcp":{},"80/tcp":{},"53/udp":{}}' ]
        # -P's ports are not bindings, as Docker records them
        [ "$(box inspect -f '{{json .HostConfig.PortBindings}}' pc)" = '{}' ]
}

@test "create and start: a created container starts later, detached" {
        id=$(box create --name later busybox sh -c 'echo ran; sleep 60')
        [[ "$id" =~ ^[0-9a-f]{64}$ ]]
        run box ps -a --format '{{.Status}}'
        [ "$output" = Created ]
        run box start later
        [ "$output" = later ]
        wait_for 30 eval 'box logs later | grep -q ran'
        run box ps --format '{{.Names}}'
        [ "$output" = later ]
        # start of a stopped container: the same upper dir
        box exec later true 2>/dev/null || box stop -t 0 later
        box stop -t 0 later || true
        box start later
        wait_for 30 eval '[ "$(box logs later | grep -c ran)" -eq 2 ]'
}

@test "restart: the same container runs again, same rootfs changes" {
        box run -d --name rs busybox sh -c 'echo run >> /count; cat /count | wc -l; sleep 60'
        wait_for 30 eval 'box logs rs | grep -q 1'
        run box restart -t 0 rs
        [ "$output" = rs ]
        wait_for 30 eval 'box logs rs | grep -q 2'
}

@test "concurrency: 50 parallel run -d come up with distinct ids and names" {
        for i in $(seq 50); do
                "$BOX" run -d busybox sleep 60 >"$BOX_TEST_TMP/id.$i" 2>"$BOX_TEST_TMP/err.$i" &
        done
        # ps while they start never fails nor shows a half-made container
        for _ in $(seq 10); do
                run box ps -a --format '{{.ID}} {{.Names}} {{.Status}}'
                [ "$status" -eq 0 ]
                for l in "${lines[@]}"; do [[ "$l" =~ ^[0-9a-f]{12}\ [a-z_0-9.-]+\ (Up|Created) ]]; done
        done
        wait
        cat "$BOX_TEST_TMP"/err.* >&2 || true
        [ "$(cat "$BOX_TEST_TMP"/id.* | sort -u | grep -cE '^[0-9a-f]{64}$')" -eq 50 ]
        run box ps --format '{{.Names}}'
        [ "${#lines[@]}" -eq 50 ]
        [ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 50 ]
        # and they all stop in parallel, ps still fine meanwhile
        box ps -q | xargs -P 25 -n 2 "$BOX" stop -t 0 >/dev/null &
        for _ in $(seq 5); do box ps -a >/dev/null; done
        wait
        [ -z "$(box ps -q)" ]
}

@test "ps: Docker's .Label \"KEY\" in --format (ps, volume ls, network ls); an unknown status or health is refused" {
        box run -d --name lb --label tier=web --label b=2 busybox sleep 60 >/dev/null
        [ "$(box ps --format '{{.Label "tier"}}|{{ .Label "b" }}|{{.Label "none"}}|')" = "web|2||" ]
        run box ps --format '{{.Label}}'
        [ "$status" -eq 125 ]
        box volume create --label team=db lbv >/dev/null
        [ "$(box volume ls --filter name=lbv --format '{{.Name}} {{.Label "team"}}')" = "lbv db" ]
        box volume rm lbv >/dev/null
        # a typo in a status was an empty list: Docker refuses it
        for f in status=stopped health=bad exited=x; do
                run box ps -a --filter "$f"
                [ "$status" -eq 125 ]
                [[ "$output" == *"invalid filter '$f'"* ]]
        done
        [ "$(box ps -a --filter status=running --format '{{.Names}}')" = lb ]
        box rm -f lb >/dev/null
}

@test "detach: inspect waits for a monitor's clean-up on events (its pidfd, its record), not by polling" {
        command -v strace >/dev/null || skip "strace is not installed"
        # right after run -d of `true`, inspect mostly finds the container
        # exiting (its monitor giving back what it held): box used to sleep
        # 5 ms at a time until it was done (most of 15 tries here did)
        for i in $(seq 15); do
                id=$(box run -d --network none busybox true)
                env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$BOX_TEST_TMP/t$i" \
                        -e trace=clock_nanosleep,nanosleep "$BOX" inspect -f '{{.State.Status}}' "$id" >/dev/null
        done
        run cat "$BOX_TEST_TMP"/t*
        echo "$output"
        [ -z "$output" ]
}
