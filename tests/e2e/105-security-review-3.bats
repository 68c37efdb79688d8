#!/usr/bin/env bats
# Probes from an attacker's review of issue 16's third session (RUN's
# secret, ssh and cache mounts, the layer pool's inotify check, a foreground
# run's stdio, hairpin and -p, pull -a, prune filters).  Each says whether
# it failed before its fix or guards what held.
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

# A named FIFO of the host's, 0600 root:root, with a reader that keeps what
# it reads in $BOX_TEST_TMP/fifo.out.
host_fifo() {
        rm -f "$BOX_TEST_TMP/fifo"
        mkfifo -m 600 "$BOX_TEST_TMP/fifo"
        cat "$BOX_TEST_TMP/fifo" >"$BOX_TEST_TMP/fifo.out" &
        FIFO_READER=$!
}

fifo_unchanged() {
        wait "$FIFO_READER"
        [ "$(stat -c '%a %u %g' "$BOX_TEST_TMP/fifo")" = "600 0 0" ]
}

@test "stdio: a named FIFO on run's or exec's stdout is relayed, never handed in (failed: the container chmod/chowned the host's FIFO)" {
        host_fifo
        box run --rm --network none busybox sh -c \
                'chmod 0666 /proc/self/fd/1; chown 1234:1234 /proc/self/fd/1; echo out' \
                >"$BOX_TEST_TMP/fifo"
        fifo_unchanged
        [ "$(cat "$BOX_TEST_TMP/fifo.out")" = out ]

        box run -d --name xx --network none busybox sleep 60 >/dev/null
        wait_running xx
        host_fifo
        box exec xx sh -c 'chmod 0666 /proc/self/fd/2; chown 1234 /proc/self/fd/2; echo err >&2' \
                2>"$BOX_TEST_TMP/fifo"
        fifo_unchanged
        [ "$(cat "$BOX_TEST_TMP/fifo.out")" = err ]

        # -i: a FIFO on stdin is read by box, its inode stays the host's
        mkfifo -m 600 "$BOX_TEST_TMP/in"
        echo input >"$BOX_TEST_TMP/in" &
        run box run --rm -i --network none busybox sh -c \
                'chmod 0666 /proc/self/fd/0; cat' <"$BOX_TEST_TMP/in"
        [ "$status" -eq 0 ]
        [ "$output" = input ]
        [ "$(stat -c '%a %u' "$BOX_TEST_TMP/in")" = "600 0" ]

        # a pipe still passes as it is (no relay in the way of `| cmd`)
        run bash -c '"$BOX" run --rm --network none busybox sh -c "stat -L -c %F /proc/self/fd/1 >&2; echo piped" | cat'
        [ "$status" -eq 0 ]
        [[ "$output" == *"fifo"* ]]
        [[ "$output" == *"piped"* ]]
}

@test "prune: --filter until=0 is 1970 and takes nothing; until= in 2100 takes all (failed: until=0 pruned everything, as no filter)" {
        box run --name old --network none busybox true
        box network create --subnet "$(box_free_subnet)" keepnet >/dev/null
        run box container prune -f --filter until=0
        [ "$status" -eq 0 ]
        [ "$(box ps -aq --filter name=old)" != "" ]
        run box network prune -f --filter until=1970-01-01T00:00:00Z
        [ "$status" -eq 0 ]
        box network inspect keepnet >/dev/null
        run box system prune -f --filter until=0
        [ "$status" -eq 0 ]
        [ "$(box ps -aq --filter name=old)" != "" ]
        box network inspect keepnet >/dev/null
        # the far future: everything is older
        run box container prune -f --filter until=4102444800
        [ "$status" -eq 0 ]
        [ "$(box ps -aq --filter name=old)" = "" ]
        run box network prune -f --filter until=4102444800
        [ "$status" -eq 0 ]
        run box network inspect keepnet
        [ "$status" -ne 0 ]
        run box container prune -f --filter until=1h --filter until=0
        [ "$status" -eq 125 ]
        [[ "$output" == *"more than one until filter specified"* ]]
        # the listing's until= means the same
        [ "$(box images -q --filter until=0)" = "" ]
        [ "$(box images -q --filter until=4102444800)" != "" ]
}

# Two builds of $CTX at once (--build-arg N=a and N=b), each to its log.
two_builds() {
        box build --no-cache --network none --progress plain --build-arg N=a "$CTX" >"$BOX_TEST_TMP/a.log" 2>&1 &
        local a=$!
        box build --no-cache --network none --progress plain --build-arg N=b "$CTX" >"$BOX_TEST_TMP/b.log" 2>&1 &
        local b=$!
        wait "$a" || { cat "$BOX_TEST_TMP/a.log"; return 1; }
        wait "$b" || { cat "$BOX_TEST_TMP/b.log"; return 1; }
}

cache_log() {
        printf 'FROM busybox\nRUN --mount=type=cache,id=%s,target=/c cat /c/log\n' "$1" >"$CTX/Dockerfile"
        box build --no-cache --network none --progress plain "$CTX" 2>&1 | grep -E '^(start|end|w)' | tr '\n' ' '
}

@test "cache: sharing=locked runs one step at a time, private gives a second writer its own directory (failed: sharing= was ignored)" {
        CTX="$BOX_TEST_TMP/ctx"
        mkdir -p "$CTX"
        cat >"$CTX/Dockerfile" <<'DF'
FROM busybox
ARG N
RUN --mount=type=cache,id=l,target=/c,sharing=locked sh -c 'echo start >>/c/log; sleep 2; echo end >>/c/log'
RUN --mount=type=cache,id=l,target=/c,sharing=locked --mount=type=cache,id=l,target=/d,sharing=locked true
DF
        two_builds
        [ "$(cache_log l)" = "start end start end " ]

        # private: the two steps wait for each other (a shared cache of their
        # own), so they surely overlap; the second's writes are thrown away
        cat >"$CTX/Dockerfile" <<'DF'
FROM busybox
ARG N
RUN --mount=type=cache,id=rv,target=/rv --mount=type=cache,id=p,target=/c,sharing=private \
    sh -c 'echo w >>/c/log; touch /rv/$N; n=0; until [ -e /rv/a ] && [ -e /rv/b ]; do sleep 0.1; n=$((n+1)); [ $n -lt 600 ] || exit 9; done'
DF
        two_builds
        [ "$(cache_log p)" = "w " ]

        printf 'FROM busybox\nRUN --mount=type=cache,target=/c,sharing=exclusive true\n' >"$CTX/Dockerfile"
        run box build --network none "$CTX"
        [ "$status" -ne 0 ]
        [[ "$output" == *"unsupported sharing value 'exclusive'"* ]]
}

@test "build: a --from or from= named through an ARG that closes a cycle is refused (failed: box recursed until its stack ran out, SIGSEGV)" {
        CTX="$BOX_TEST_TMP/ctx"
        mkdir -p "$CTX"
        printf 'FROM busybox AS a\nARG S=a\nRUN --mount=type=bind,from=${S},target=/m true\n' >"$CTX/Dockerfile"
        run timeout 60 "$BOX" build --no-cache --network none "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"circular dependency detected on stage: a"* ]]
        cat >"$CTX/Dockerfile" <<'DF'
FROM busybox AS a
ARG SA=b
COPY --from=${SA} /b /b

FROM busybox AS b
ARG SB=a
RUN echo b >/b
COPY --from=${SB} /etc/passwd /a
DF
        run timeout 60 "$BOX" build --no-cache --network none --target a "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"circular dependency detected on stage: a"* ]]
        # the same without the cycle builds, a later stage first
        run timeout 60 "$BOX" build --no-cache --network none --target a --build-arg SB=busybox "$CTX"
        [ "$status" -eq 0 ]
        # a chain through ARGs deeper than the stack is cut with an error
        {
                for i in $(seq 0 199); do
                        printf 'FROM busybox AS s%d\nARG N=s%d\nCOPY --from=${N} /etc/hostname /h%d\n' "$i" $((i + 1)) "$i"
                done
                printf 'FROM busybox AS s200\n'
                printf 'FROM s0\n'
        } >"$CTX/Dockerfile"
        run timeout 120 "$BOX" build --no-cache --network none -q "$CTX"
        [ "$status" -eq 125 ]
        [[ "$output" == *"more than 64 deep"* ]]
}

# A client of the step's agent socket as hostile as it gets: 200
# connections held open, 1 MiB of garbage on one, nothing read back.
hostile_client() {
        cat >"$BOX_TEST_TMP/hostile.c" <<'C'
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strncpy(sa.sun_path, argv[1], sizeof(sa.sun_path) - 1);
        static char junk[1 << 20];
        memset(junk, 0xff, sizeof(junk));
        int held = 0;
        for (int i = 0; i < 200; i++) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                        held++;
                if (i == 0)
                        (void)!write(fd, junk, sizeof(junk));
        }
        return held == 0;
}
C
        cc -static -O2 -o "$CTX/hostile" "$BOX_TEST_TMP/hostile.c"
}

@test "ssh: a step's hostile client (200 connections held, 1 MiB of garbage) neither hangs the build nor outlives the step; the agent serves the next step; ^C leaves no relay" {
        command -v ssh-agent >/dev/null || skip "ssh-agent not installed"
        build_boxtest
        CTX="$BOX_TEST_TMP/ctx"
        mkdir -p "$CTX"
        cp "$BOXTEST" "$CTX/boxtest"
        hostile_client
        eval "$(ssh-agent -s -a "$BOX_TEST_TMP/agent")" >/dev/null
        ssh-keygen -q -t ed25519 -N '' -f "$BOX_TEST_TMP/key"
        ssh-add -q "$BOX_TEST_TMP/key" 2>/dev/null
        echo s3cr3t >"$BOX_TEST_TMP/secret"
        cat >"$CTX/Dockerfile" <<'DF'
FROM busybox
RUN --mount=type=ssh --mount=type=bind,source=hostile,target=/hostile /hostile "$SSH_AUTH_SOCK"
RUN --mount=type=ssh --mount=type=bind,source=boxtest,target=/boxtest /boxtest agent-ids "$SSH_AUTH_SOCK"
DF
        run timeout 120 "$BOX" build --no-cache --network none --progress plain --ssh default "$CTX"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"agent /run/buildkit/ssh_agent.0: 1 identities"* ]]
        kill -0 "$SSH_AGENT_PID"

        # ^C in a step that holds a secret and a relay
        printf 'FROM busybox\nRUN --mount=type=ssh --mount=type=secret,id=s sh -c "echo started; sleep 60"\n' >"$CTX/Dockerfile"
        "$BOX" build --no-cache --network none --progress plain --ssh default \
                --secret id=s,src="$BOX_TEST_TMP/secret" "$CTX" >"$BOX_TEST_TMP/b.log" 2>&1 &
        local pid=$!
        wait_for 300 grep -q started "$BOX_TEST_TMP/b.log"
        local kids
        kids=$(pgrep -P "$pid" | tr '\n' ' ')
        [ -n "$kids" ]
        kill -INT "$pid"
        local st=0
        wait "$pid" || st=$?
        [ "$st" -eq 130 ]
        for k in $kids; do wait_for 50 sh -c "! kill -0 $k 2>/dev/null"; done
        [ -z "$(ls -A "$BOX_ROOT/tmp")" ]
        ! grep -q "$BOX_ROOT" /proc/self/mountinfo
        kill "$SSH_AGENT_PID"
}

@test "secrets: a secret's or ssh socket's target through the image's links into /proc is refused; the secret never reaches a layer, the history or the cache key (held on main)" {
        CTX="$BOX_TEST_TMP/ctx"
        mkdir -p "$CTX"
        printf s3cr3t-value >"$BOX_TEST_TMP/secret"
        printf 'FROM busybox\nRUN ln -s /proc/sys/kernel /x && ln -s ../../proc/self /y\n' >"$CTX/Dockerfile"
        box build --network none -t links "$CTX" >/dev/null
        for t in /x/core_pattern /y/environ /dev/../proc/1/x; do
                printf 'FROM links\nRUN --mount=type=secret,id=s,target=%s true\n' "$t" >"$CTX/Dockerfile"
                run box build --no-cache --network none --secret id=s,src="$BOX_TEST_TMP/secret" "$CTX"
                [ "$status" -eq 125 ]
                [[ "$output" == *"it is inside /proc"* ]]
        done
        # env= and a file: the value in neither the image nor its history
        cat >"$CTX/Dockerfile" <<'DF'
FROM busybox
RUN --mount=type=secret,id=s,env=TOKEN --mount=type=secret,id=s,target=/etc/tok \
    sh -c 'test "${#TOKEN}" = 12 && test "$(cat /etc/tok)" = "$TOKEN" && echo ok >/done'
DF
        box build --no-cache --network none --secret id=s,src="$BOX_TEST_TMP/secret" -t sec "$CTX" >/dev/null
        box save sec -o "$BOX_TEST_TMP/sec.tar"
        ! grep -a -q s3cr3t-value "$BOX_TEST_TMP/sec.tar"
        ! grep -r -a -q s3cr3t-value "$BOX_ROOT/buildcache" "$BOX_ROOT/blobs"
        run box history --no-trunc sec
        [[ "$output" != *s3cr3t-value* ]]
        [ "$(box run --rm --network none sec sh -c 'cat /done; ls /etc/tok /run/secrets 2>&1 | grep -c "No such"')" = "ok
2" ]
}

@test "build: a --mount value from a build arg holding a comma stays one value, as BuildKit's (failed: the arg's text after the comma became options of the mount)" {
        CTX="$BOX_TEST_TMP/ctx"
        mkdir -p "$CTX/sub"
        echo insub >"$CTX/sub/f"
        printf 'FROM busybox\nARG X\nRUN --mount=type=bind,target=/m${X} ls /m*\n' >"$CTX/Dockerfile"
        run box build --no-cache --network none --progress plain --build-arg X=,source=sub,rw "$CTX"
        [ "$status" -eq 0 ]
        grep -qx Dockerfile <<<"$output"
        ! grep -qx f <<<"$output"
        # the values still expand, each on its own
        printf 'FROM busybox\nARG S=sub\nARG T=/x\nRUN --mount=type=bind,source=${S},target=${T} cat /x/f\n' >"$CTX/Dockerfile"
        run box build --no-cache --network none --progress plain "$CTX"
        [ "$status" -eq 0 ]
        [[ "$output" == *insub* ]]
}
