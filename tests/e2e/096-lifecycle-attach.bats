#!/usr/bin/env bats
# box attach (through the monitor's socket), the detach keys, re-attach,
# and box run -a.
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

drive() { python3 "$BATS_TEST_DIRNAME/pty-drive.py" "$BOX" "$@"; }
has_socket() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q socket; }

# attach_bg NAME OUT [ATTACH FLAGS...]: box attach in the background (its
# pid in $ATTACH), stdout to OUT, stderr to OUT.err, stdin from $ATTACH_IN
# (else /dev/null); returns once it is connected and its monitor has had a
# moment to take it.  Containers that must be watched from their first byte
# wait for go_on: a container writing a fixed half second after run -d
# wrote before a slow attach connected, on a loaded machine.
attach_bg() {
        local name=$1 out=$2
        shift 2
        "$BOX" attach "$@" "$name" <"${ATTACH_IN:-/dev/null}" >"$out" 2>"$out.err" &
        ATTACH=$!
        wait_for 100 has_socket "$ATTACH"
        sleep 0.3
}
# the containers' go-ahead, through a bind mount (-v "$BOX_TEST_TMP/g:/g")
GO_WAIT='while [ ! -e /g/go ]; do sleep 0.05; done'
go_on() { touch "$BOX_TEST_TMP/g/go"; }

@test "attach: live stdout and stderr apart, then the container's exit status" {
        mkdir "$BOX_TEST_TMP/g"
        box run -d --name a1 -v "$BOX_TEST_TMP/g:/g" busybox sh -c "$GO_WAIT"'; for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.2; done; exit 3'
        attach_bg a1 "$BOX_TEST_TMP/a1"
        go_on
        status=0
        wait "$ATTACH" || status=$?
        output=$(cat "$BOX_TEST_TMP/a1")
        [ "$status" -eq 3 ]
        [ "$output" = "out1
out2
out3" ]
        [ "$(cat "$BOX_TEST_TMP/a1.err")" = "err1
err2
err3" ]
        # the log has it all too
        [ "$(box logs a1 2>/dev/null)" = "$output" ]
}

@test "attach: input reaches a -i container's stdin; its end does not close it" {
        box run -d -i --name a2 busybox sh -c 'while read l; do echo "got $l"; done; echo eof'
        # stdin ends, the container does not: attach stays until killed
        # (--sig-proxy=false: else the TERM of timeout goes to the container)
        mkfifo "$BOX_TEST_TMP/in"
        (echo one; sleep 0.5) >"$BOX_TEST_TMP/in" &
        ATTACH_IN="$BOX_TEST_TMP/in" attach_bg a2 "$BOX_TEST_TMP/a2" --sig-proxy=false
        wait_for 100 grep -qx "got one" "$BOX_TEST_TMP/a2"
        # its stdin has ended; it is still attached
        sleep 1
        kill -0 "$ATTACH"
        kill -TERM "$ATTACH"
        status=0
        wait "$ATTACH" || status=$?
        [ "$status" -eq 143 ]
        [ "$(cat "$BOX_TEST_TMP/a2")" = "got one" ]
        [[ "$(box logs a2)" == *"got one"* ]]
        [ "$(box ps --format '{{.Names}}')" = a2 ]
        # again: the same stdin is still open
        (echo two; sleep 0.5) >"$BOX_TEST_TMP/in" &
        ATTACH_IN="$BOX_TEST_TMP/in" attach_bg a2 "$BOX_TEST_TMP/a2" --sig-proxy=false
        wait_for 100 eval '[[ "$(box logs a2)" == *"got two"* ]]'
        kill -TERM "$ATTACH"
        wait "$ATTACH" || true
        [[ "$(box logs a2)" != *eof* ]]
}

@test "attach: a container without -i takes no input; --no-stdin sends none" {
        mkdir "$BOX_TEST_TMP/g"
        box run -d --name a3 -v "$BOX_TEST_TMP/g:/g" busybox sh -c "$GO_WAIT"'; cat; echo cat-ended; sleep 60'
        mkfifo "$BOX_TEST_TMP/in"
        (echo sneaky; sleep 1) >"$BOX_TEST_TMP/in" &
        ATTACH_IN="$BOX_TEST_TMP/in" attach_bg a3 "$BOX_TEST_TMP/a3" --sig-proxy=false
        go_on
        wait_for 100 grep -q cat-ended "$BOX_TEST_TMP/a3"
        sleep 1
        kill -TERM "$ATTACH"
        wait "$ATTACH" || true
        [ "$(cat "$BOX_TEST_TMP/a3")" = cat-ended ]
        [ "$(box logs a3)" = cat-ended ]
        box run -d -i --name a4 busybox sh -c 'while read l; do echo "got $l"; done'
        timeout 1 "$BOX" attach --sig-proxy=false --no-stdin a4 < <(echo quiet; sleep 0.5) || true
        sleep 0.2
        [ -z "$(box logs a4)" ]
}

@test "attach -it: ctrl-p ctrl-q detaches and leaves it running; re-attach; exit passes through" {
        box run -d -it --name t1 busybox sh
        SEND='echo hi-$((6*7))\r|\x10\x11' run drive attach t1
        [[ "$output" == *hi-42* ]]
        [[ "$output" == *"EXIT 0" ]]
        [ "$(box ps --format '{{.Names}} {{.State}}')" = "t1 running" ]
        # again, with other keys; ctrl-p alone goes to the container
        SEND='echo again-$((2+3))\r|\x10|\x18y' run drive attach --detach-keys ctrl-x,y t1
        [[ "$output" == *again-5* ]]
        [[ "$output" == *"EXIT 0" ]]
        [ "$(box ps --format '{{.State}}')" = running ]
        SEND='\x15exit 5\r' run drive attach t1
        [[ "$output" == *"EXIT 5" ]]
        [ "$(box ps -a --format '{{.State}}')" = exited ]
        run box attach --detach-keys ctrl-1 t1
        [ "$status" -eq 125 ]
}

@test "attach: the socket is the monitor's, 0600; a stopped container cannot be attached" {
        id=$(box run -d --name a5 busybox sleep 60)
        sock="$BOX_RUNROOT/containers/$id/attach"
        # the monitor makes it once it runs, just after run -d returns
        wait_for 50 test -S "$sock"
        [ "$(stat -c %a "$sock")" = 600 ]
        # another user cannot connect
        run python3 -c 'import os, socket, sys
os.setgid(65534); os.setuid(65534)
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$sock"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Permission denied"* ]]
        box stop -t 0 a5
        run box attach a5
        [ "$status" -eq 125 ]
        [[ "$output" == *"start it first"* ]]
}

@test "attach: a client that never reads does not hold up the container or its log" {
        box run -d --name a6 busybox sh -c 'sleep 1; head -c 20000000 /dev/zero | od | tail -1; echo done'
        id=$(box ps -q --no-trunc)
        # connected, never reading (retrying as box attach does: the
        # monitor makes the socket after run -d returns, later under ASan)
        python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
for _ in range(200):
    try:
        s.connect(sys.argv[1])
        break
    except (FileNotFoundError, ConnectionRefusedError):
        time.sleep(0.1)
else:
    sys.exit(1)
print("connected", flush=True)
time.sleep(30)' "$BOX_RUNROOT/containers/$id/attach" >"$BOX_TEST_TMP/client" &
        reader=$!
        wait_for 20 grep -q connected "$BOX_TEST_TMP/client"
        run timeout 20 "$BOX" wait a6
        kill "$reader" 2>/dev/null || true
        [ "$status" -eq 0 ]
        [[ "$(box logs a6)" == *done ]]
}

@test "run -a: only the named streams; -a with -d and unknown streams are 125" {
        run --separate-stderr box run --rm -a stdout busybox sh -c 'echo out; echo err >&2'
        [ "$output" = out ]
        [ -z "$stderr" ]
        run --separate-stderr box run --rm -a STDERR busybox sh -c 'echo out; echo err >&2'
        [ -z "$output" ]
        [ "$stderr" = err ]
        run box run --rm -i -a stdout busybox cat < <(echo in)
        [ -z "$output" ]
        run box run --rm -i -a stdin -a stdout busybox cat < <(echo in)
        [ "$output" = in ]
        run box run -d -a stdout busybox true
        [ "$status" -eq 125 ]
        run box run -a stdlog busybox true
        [ "$status" -eq 125 ]
}
