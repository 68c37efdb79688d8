#!/usr/bin/env bats
# A foreground `box run -t` under its monitor (create + start + attach, as
# Docker's CLI runs one): the detach keys and re-attach, the window size
# through the attach socket, its output in box logs, `box start -a [-i]`
# attached, and the signals box gets (--sig-proxy).  Driven through a real
# pty (pty-drive.py: $SIZE the terminal's size, "@ROWS COLS" a resize).
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

drive() { python3 "$BATS_TEST_DIRNAME/pty-drive.py" "$BOX" "$@"; }
no_containers() { [ -z "$(box ps -aq)" ]; }
running_names() { [ "$(box ps --format '{{.Names}}')" = "$1" ]; }
has_socket() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q socket; }
# SIGTERM (15: bit 14) is in pid $1's blocked set
term_blocked() {
        local m
        m=$(awk '/^SigBlk:/ {print $2}' "/proc/$1/status" 2>/dev/null) && [ -n "$m" ] &&
                (((16#$m >> 14) & 1))
}

@test "run -it: ctrl-p ctrl-q detaches, box exits 0 and prints nothing; attach re-attaches; --rm after the exit" {
        SEND='echo hi-$((6*7))\r|\x10\x11' run drive run -it --rm --name r1 busybox sh
        [[ "$output" == *hi-42* ]]
        [[ "$output" == *"EXIT 0" ]]
        [[ "$output" != *box:* ]]
        id=$(box ps -q --no-trunc)
        [ -n "$id" ]
        [[ "$output" != *"${id:0:12}"* ]]
        [ "$(box ps --format '{{.Names}} {{.State}}')" = "r1 running" ]
        # the shell is the same one: its variable is still set
        SEND='x=kept-$((1+1))\r|\x10\x11' run drive attach r1
        [[ "$output" == *"EXIT 0" ]]
        SEND='echo $x\r|exit 6\r' run drive attach r1
        [[ "$output" == *kept-2* ]]
        [[ "$output" == *"EXIT 6" ]]
        # --rm: gone once it ended
        wait_for 50 no_containers
}

@test "run -it --detach-keys: other keys; the default ones then reach the container; \"\" turns detaching off" {
        SEND='\x10\x11|echo still-$((1+1))\r|\x18y' run drive run -it --detach-keys ctrl-x,y --name r2 busybox sh
        [[ "$output" == *still-2* ]]
        [[ "$output" == *"EXIT 0" ]]
        [ "$(box ps --format '{{.Names}} {{.State}}')" = "r2 running" ]
        box rm -f r2
        SEND='\x10\x11|exit 4\r' run drive run -it --detach-keys "" --rm busybox sh
        [[ "$output" == *"EXIT 4" ]]
        run box run -it --detach-keys ctrl-1 busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid detach keys 'ctrl-1'"* ]]
}

@test "run -t: the exit codes exactly (the container's, 128+N, 126, 127), its output in box logs, none lost to a slow reader" {
        run drive run --rm -t busybox sh -c 'exit 3'
        [[ "$output" == *"EXIT 3" ]]
        run drive run --rm -t --init busybox sh -c 'kill -9 $$'
        [[ "$output" == *"EXIT 137" ]]
        run drive run --rm -t busybox /no/such/thing
        [[ "$output" == *"EXIT 127" ]]
        run drive run --rm -t busybox /etc
        [[ "$output" == *"EXIT 126" ]]
        # a failed start with --rm leaves nothing
        [ -z "$(box ps -aq)" ]
        # the output is logged (Docker logs a foreground run's too)
        run drive run -t --name l1 busybox sh -c 'echo logged-$((3*3)); echo to-stderr >&2'
        [[ "$output" == *"EXIT 0" ]]
        run box logs l1
        [ "${lines[0]}" = logged-9 ]
        [ "${lines[1]}" = to-stderr ]
        [ "$(box ps -a --format '{{.Names}} {{.State}}')" = "l1 exited" ]
        # 2 MB through the pty, the monitor and a reader that waits: all of it
        box run --rm busybox sh -c 'head -c 2000000 /dev/zero | od -v' | md5sum >"$BOX_TEST_TMP/plain"
        box run --rm -t busybox sh -c 'head -c 2000000 /dev/zero | od -v' |
                (sleep 2; tr -d '\r') | md5sum >"$BOX_TEST_TMP/tty"
        cmp "$BOX_TEST_TMP/plain" "$BOX_TEST_TMP/tty"
}

@test "window size: run -it starts with the terminal's and follows it; attach and exec -it pass theirs" {
        SIZE="33 77" SEND='stty size\r|@40 100|stty size\r|exit 3\r' run drive run --rm -it busybox sh
        [[ "$output" == *"33 77"* ]]
        [[ "$output" == *"40 100"* ]]
        [[ "$output" == *"EXIT 3" ]]
        box run -d -it --name w1 busybox sh
        SIZE="21 61" SEND='stty size\r|@22 62|stty size\r|\x10\x11' run drive attach w1
        [[ "$output" == *"21 61"* ]]
        [[ "$output" == *"22 62"* ]]
        [[ "$output" == *"EXIT 0" ]]
        SIZE="23 63" SEND='stty size\r|@24 64|stty size\r|exit\r' run drive exec -it w1 sh
        [[ "$output" == *"23 63"* ]]
        [[ "$output" == *"24 64"* ]]
}

@test "start -a: live stdout and stderr apart and the exit code, even with --log-driver none" {
        box create --log-driver none --name s1 busybox sh -c 'echo out1; echo err1 >&2; sleep 0.3; echo out2; exit 4'
        run --separate-stderr box start -a s1
        [ "$status" -eq 4 ]
        [ "$output" = "out1
out2" ]
        [ "$stderr" = err1 ]
        [ "$(box ps -a --format '{{.State}}')" = exited ]
        # again: a second start attaches the same way
        run --separate-stderr box start -a s1
        [ "$status" -eq 4 ]
        [ "$output" = "out1
out2" ]
}

@test "start -ai: stdin reaches the container and its end closes the container's stdin" {
        box create -i --name s2 busybox sh -c 'while read l; do echo "got $l"; done; echo eof; exit 3'
        run box start -ai s2 < <(printf 'a\nb\n')
        [ "$status" -eq 3 ]
        [ "$output" = "got a
got b
eof" ]
        # -i alone attaches too (as docker start -i)
        run box start -i s2 < <(printf 'c\n')
        [ "$status" -eq 3 ]
        [ "$output" = "got c
eof" ]
}

@test "start -ai of a -it container: an interactive session with the terminal's size; detach and re-attach" {
        box create -it --name s4 busybox sh
        SIZE="20 50" SEND='stty size\r|y=$((5*5))\r|\x10\x11' run drive start -ai s4
        [[ "$output" == *"20 50"* ]]
        [[ "$output" == *"EXIT 0" ]]
        [ "$(box ps --format '{{.Names}} {{.State}}')" = "s4 running" ]
        SEND='echo got-$y\r|exit 7\r' run drive start -ai s4
        [[ "$output" == *got-25* ]]
        [[ "$output" == *"EXIT 7" ]]
        [[ "$(box ps -a --format '{{.Status}}')" == "Exited (7)"* ]]
}

@test "signals: attach and start -a send box's to the container (--sig-proxy); --sig-proxy=false leaves it running" {
        box run -d --name p1 busybox sh -c 'trap "echo got-TERM; exit 9" TERM; echo ready; while :; do sleep 0.1; done'
        wait_ready p1
        "$BOX" attach p1 >"$BOX_TEST_TMP/p1" &
        pid=$!
        wait_for 50 has_socket "$pid"
        # attach connects, then blocks the signals it proxies
        wait_for 50 term_blocked "$pid"
        kill -TERM "$pid"
        wait "$pid" || status=$?
        [ "${status:-0}" -eq 9 ]
        grep -q got-TERM "$BOX_TEST_TMP/p1"
        # start -a too
        box create --name p3 busybox sh -c 'trap "echo got-TERM; exit 8" TERM; echo ready; while :; do sleep 0.1; done'
        "$BOX" start -a p3 >"$BOX_TEST_TMP/p3" &
        pid=$!
        wait_for 50 grep -q ready "$BOX_TEST_TMP/p3"
        kill -TERM "$pid"
        status=0
        wait "$pid" || status=$?
        [ "$status" -eq 8 ]
        grep -q got-TERM "$BOX_TEST_TMP/p3"
        # run --sig-proxy=false: box's TERM ends box, not the container
        "$BOX" run --sig-proxy=false --name p2 busybox sleep 60 >/dev/null &
        pid=$!
        wait_for 50 running_names p2
        sleep 0.3
        kill -TERM "$pid"
        status=0
        wait "$pid" || status=$?
        [ "$status" -eq 143 ]
        [ "$(box ps --format '{{.Names}} {{.State}}')" = "p2 running" ]
        run box run --sig-proxy=maybe busybox true
        [ "$status" -eq 125 ]
}
