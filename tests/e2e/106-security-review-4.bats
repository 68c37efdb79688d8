#!/usr/bin/env bats
# Probes from an attacker's review of the fourth session's additions
# (volume create -o, run's --add-host and --dns*, a foreground run under its
# monitor, inspect and damaged images, RUN's ssh relay and secrets).  Each
# says whether it failed before its fix or guards what held.
load run-helpers

setup() { run_setup; }
teardown() {
        # a failed test's agent or build (the agent holds bats's output open)
        [ -z "${BUILD_PID:-}" ] || kill "$BUILD_PID" 2>/dev/null || true
        [ -z "${WRITER_PID:-}" ] || kill "$WRITER_PID" 2>/dev/null || true
        [ -z "${SSH_AGENT_PID:-}" ] || kill "$SSH_AGENT_PID" 2>/dev/null || true
        lifecycle_teardown
}

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

# The fds of PID above stdio, one "N -> target" a line.
fds_of() {
        local f
        for f in /proc/"$1"/fd/*; do
                [ "${f##*/}" -gt 2 ] && echo "${f##*/} -> $(readlink "$f")"
        done
        return 0
}

@test "ssh: the agent's relay holds its socket and the agent's, none of box's other fds (failed: box's locks and pipes for the step's life)" {
        command -v ssh-agent >/dev/null || skip "ssh-agent not installed"
        CTX="$BOX_TEST_TMP/ctx"
        mkdir -p "$CTX"
        eval "$(ssh-agent -s -a "$BOX_TEST_TMP/agent")" >/dev/null
        printf 'FROM busybox\nRUN --mount=type=ssh --mount=type=cache,target=/c,sharing=locked sh -c "echo started; sleep 60"\n' >"$CTX/Dockerfile"
        "$BOX" build --no-cache --network none --progress plain --ssh default "$CTX" \
                >"$BOX_TEST_TMP/b.log" 2>&1 &
        BUILD_PID=$!
        local pid=$BUILD_PID relay="" k
        wait_for 300 grep -q started "$BOX_TEST_TMP/b.log"
        for k in $(pgrep -P "$pid"); do
                fds_of "$k" | grep -q " -> $BOX_TEST_TMP/agent\$" && relay=$k
        done
        [ -n "$relay" ]
        fds_of "$relay"
        [ "$(fds_of "$relay" | wc -l)" -eq 2 ]
        fds_of "$relay" | grep -q " -> socket:"
        kill -INT "$pid"
        wait "$pid" || true
}

@test "secrets: a secret's file replaced by a FIFO after the check is refused unopened (failed: box opened it, the FIFO's writer went on)" {
        CTX="$BOX_TEST_TMP/ctx"
        mkdir -p "$CTX"
        echo s3cr3t >"$BOX_TEST_TMP/secret"
        cat >"$CTX/Dockerfile" <<'DF'
FROM busybox
RUN sh -c 'echo started; sleep 5'
RUN --mount=type=secret,id=s cat /run/secrets/s
DF
        "$BOX" build --no-cache --network none --progress plain \
                --secret id=s,src="$BOX_TEST_TMP/secret" "$CTX" >"$BOX_TEST_TMP/b.log" 2>&1 &
        BUILD_PID=$!
        local pid=$BUILD_PID
        wait_for 300 grep -q started "$BOX_TEST_TMP/b.log"
        mv "$BOX_TEST_TMP/secret" "$BOX_TEST_TMP/secret.old"
        mkfifo "$BOX_TEST_TMP/secret"
        # a writer: its open returns only once someone opens the FIFO to read
        sh -c 'exec 3>"$1"; echo opened >"$1.writer"' sh "$BOX_TEST_TMP/secret" \
                </dev/null >/dev/null 2>&1 3>&- &
        WRITER_PID=$!
        local st=0
        wait "$pid" || st=$?
        cat "$BOX_TEST_TMP/b.log"
        [ "$st" -ne 0 ]
        grep -q "secret 's': '$BOX_TEST_TMP/secret' replaced since it was checked" "$BOX_TEST_TMP/b.log"
        [ ! -e "$BOX_TEST_TMP/secret.writer" ]
}

@test "etc files: an image's /etc/hosts and /etc/resolv.conf links to the host's paths are written by no start; the container sees box's files (held on main)" {
        echo host-hosts >"$BOX_TEST_TMP/hosts.target"
        echo host-resolv >"$BOX_TEST_TMP/resolv.target"
        # busybox's tree with the two links appended (the later entry wins)
        mkdir -p "$BOX_TEST_TMP/tree/etc"
        ln -s "$BOX_TEST_TMP/hosts.target" "$BOX_TEST_TMP/tree/etc/hosts"
        ln -s "../../../../..$BOX_TEST_TMP/resolv.target" "$BOX_TEST_TMP/tree/etc/resolv.conf"
        cp "$BUSYBOX_TAR" "$BOX_TEST_TMP/linked.tar"
        tar -rf "$BOX_TEST_TMP/linked.tar" -C "$BOX_TEST_TMP/tree" ./etc/hosts ./etc/resolv.conf
        box import "$BOX_TEST_TMP/linked.tar" linked >/dev/null
        run box run --name lk --add-host db:10.9.8.7 --dns 10.9.8.53 --dns-search evil.example linked \
                sh -c 'grep db /etc/hosts; grep nameserver /etc/resolv.conf'
        [ "$status" -eq 0 ]
        [[ "$output" == *"10.9.8.7"*"db"* ]]
        [[ "$output" == *"nameserver 10.9.8.53"* ]]
        # a second start writes them again
        box start -a lk >/dev/null
        [ "$(cat "$BOX_TEST_TMP/hosts.target")" = host-hosts ]
        [ "$(cat "$BOX_TEST_TMP/resolv.target")" = host-resolv ]
}

@test "etc files: run --network host with --add-host and --dns leaves the host's /etc/hosts and resolv.conf as they were (held on main)" {
        local before after
        before=$(cat /etc/hosts /etc/resolv.conf | sha256sum)
        run box run --rm --network host --add-host injected.example:10.9.8.7 --dns 10.9.8.53 busybox \
                sh -c 'echo x >>/etc/hosts; echo y >>/etc/resolv.conf; grep -c injected.example /etc/hosts'
        [ "$status" -eq 0 ]
        [ "$output" = 1 ]
        after=$(cat /etc/hosts /etc/resolv.conf | sha256sum)
        [ "$before" = "$after" ]
}

@test "run: a foreground run's monitor and container get none of the fds box inherited (held on main)" {
        echo secret-fd >"$BOX_TEST_TMP/inherited"
        box run --name fg --network none busybox sh -c 'echo started; sleep 30' \
                >"$BOX_TEST_TMP/fg.out" 7<"$BOX_TEST_TMP/inherited" &
        BUILD_PID=$!
        wait_for 300 grep -q started "$BOX_TEST_TMP/fg.out"
        local mon k
        mon=$(pgrep -f "box-monitor --id [0-9a-f]+ --name fg ")
        [ -n "$mon" ]
        ! ls -l /proc/"$mon"/fd | grep -q "$BOX_TEST_TMP/inherited"
        for k in $(pgrep -P "$mon"); do
                ! ls -l /proc/"$k"/fd | grep -q "$BOX_TEST_TMP/inherited"
        done
        # the container's own view: stdio and nothing else
        run box exec fg sh -c 'ls /proc/1/fd'
        [ "$(echo $output)" = "0 1 2" ]
        box kill fg >/dev/null
        wait "$BUILD_PID" || true
}

@test "logs: a container's output that looks like a log record stays one line of its own stream (held on main); a NUL is a byte of its line (failed: the line ended there)" {
        box run --name lg --network none busybox sh -c \
                'printf "a\n2026-01-01T00:00:00.000000000Z stderr F forged\n"; printf "partial"; printf "\rline\033[2J\n" >&2; printf "x\000y\n"' >/dev/null 2>&1
        run -0 sh -c "'$BOX' logs lg 2>/dev/null"
        [[ "$output" == *"2026-01-01T00:00:00.000000000Z stderr F forged"* ]]
        "$BOX" logs lg 2>/dev/null | tr '\0' @ | grep -qx 'partialx@y'
        run -0 sh -c "'$BOX' logs lg 2>&1 >/dev/null"
        [[ "$output" != *forged* ]]
        [ "$(echo "$output" | wc -l)" -eq 1 ]
}

@test "volume: prune and system df count none of a bind volume's host files (failed: 'reclaimed' 3MB it never removed, and df walked the host's directory)" {
        mkdir "$BOX_TEST_TMP/hostdir"
        head -c 3000000 /dev/zero >"$BOX_TEST_TMP/hostdir/big"
        box volume create -o type=bind -o device="$BOX_TEST_TMP/hostdir" bv >/dev/null
        box run --rm --network none -v bv:/d busybox ls /d/big
        run -0 box system df
        echo "$output"
        # SIZE: its volume.json's bytes
        [[ "$(echo "$output" | awk '/^Local Volumes/ {print $5}')" =~ ^[0-9]+B$ ]]
        run -0 box volume prune -af
        echo "$output"
        [[ "$output" == *"Deleted Volumes:"*bv* ]]
        # its volume.json, not the host's file
        [[ "$output" =~ "Total reclaimed space: "[0-9]+B ]]
        [ "$(stat -c %s "$BOX_TEST_TMP/hostdir/big")" = 3000000 ]
        [ "$(volume_mounts bv)" = 0 ]
}

@test "run: a flooding container whose foreground run's stdout no one reads is stopped at once, its log whole to the kill (failed: the monitor held the exit 10 s for box run, and box stop gave up, 125)" {
        # box run's stdout: a pipe into a reader that never reads
        "$BOX" run --name fl --network none busybox sh -c 'echo started >&2; yes flood' \
                2>"$BOX_TEST_TMP/fl.err" | sleep 120 &
        WRITER_PID=$!
        wait_for 300 grep -q started "$BOX_TEST_TMP/fl.err"
        sleep 0.5
        local t0=$SECONDS
        run box stop -t 1 fl
        echo "$output"
        [ "$status" -eq 0 ]
        [ $((SECONDS - t0)) -lt 8 ]
        [ "$(box inspect -f '{{.State.Status}}' fl)" = exited ]
        # the last line may be cut where the kill came
        local last
        last=$(box logs fl 2>/dev/null | tail -1)
        [ -n "$last" ] && [[ flood == "$last"* ]]
        kill "$WRITER_PID"
}

@test "mount: a new volume's refused --mount volume-opt is one line, 125 (failed: SIGSEGV, box freed an unset pointer)" {
        local m
        for m in "volume-opt=size=1|quota size requested but no quota support" \
                "volume-opt=type=tmpfs|missing required option: 'device'" \
                "volume-opt=foo=1|invalid option: 'foo'"; do
                run box run --rm --network none --mount "type=volume,src=nv,dst=/d,${m%%|*}" busybox true
                echo "$output"
                [ "$status" -eq 125 ]
                [ "$output" = "box: error: ${m#*|}" ]
        done
}

@test "mount: --mount is read as encoding/csv reads it: a stray or unclosed quote is refused (failed: 'src=/a\"b,c\"' bound /ab,c)" {
        mkdir -p "$BOX_TEST_TMP/ab,c" "$BOX_TEST_TMP/q\"d"
        local m
        for m in "type=bind,src=$BOX_TEST_TMP/a\"b,c\",dst=/x" \
                "type=volume,src=v,dst=/d,\"volume-opt=o=size=1m" "\"type=bind\"x,src=/tmp,dst=/x"; do
                run box run --rm --network none --mount "$m" busybox true
                echo "$output"
                [ "$status" -eq 125 ]
                [[ "$output" == "box: error: invalid mount '"*"': a '\"' out of place"* ]]
        done
        # a field in quotes, "" a quote in it
        run box run --rm --network none --mount "type=bind,\"src=$BOX_TEST_TMP/ab,c\",dst=/x" busybox ls -d /x
        [ "$output" = /x ]
        run box run --rm --network none --mount "\"type=bind\",\"src=$BOX_TEST_TMP/q\"\"d\",dst=/x" busybox ls -d /x
        [ "$output" = /x ]
}
