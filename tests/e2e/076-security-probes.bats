#!/usr/bin/env bats
# Probes from attacking box after issue 10's fixes: what box's caller hands
# it (stdio) and the command-line values box writes into a container's
# /etc files must not become a way out or an injection.
load run-helpers

setup() {
        run_setup
        # a file of the host next to the store: a walk up from any host
        # directory reaches it
        echo HOST-SECRET >"$BOX_TEST_TMP/HOST-MARKER"
        mkdir "$BOX_TEST_TMP/hostdir"
}
teardown() { run_teardown; }

# From a host directory the container holds as fd N: up to the host's root.
ESCAPE='cd -P /proc/self/fd/N && for i in 1 2 3 4 5 6; do ls; cd -P ..; done'

@test "stdio: a host directory as stdin (-i) is refused, never entered" {
        run sh -c "'$BOX' run --rm -i busybox sh -c '${ESCAPE/N/0}' <'$BOX_TEST_TMP/hostdir'"
        [[ "$output" != *HOST-MARKER* ]]
        [ "$status" -eq 125 ]
        [[ "$output" == *"stdin is a directory"* ]]
}

@test "stdio: a host directory as stdout or stderr is refused, never entered" {
        run sh -c "'$BOX' run --rm busybox sh -c '${ESCAPE/N/1} >&2' 1<'$BOX_TEST_TMP/hostdir' 2>&1"
        [[ "$output" != *HOST-MARKER* ]]
        [ "$status" -eq 125 ]
        run sh -c "'$BOX' run --rm --init busybox sh -c '${ESCAPE/N/2}' 2<'$BOX_TEST_TMP/hostdir'"
        [[ "$output" != *HOST-MARKER* ]]
        [ "$status" -eq 125 ]
        # ordinary stdio still reaches the container
        run sh -c "echo in | '$BOX' run --rm -i busybox cat"
        [ "$status" -eq 0 ]
        [ "$output" = in ]
}

@test "inject: --hostname with a newline adds no line to /etc/hosts" {
        run box run --rm --hostname $'h\n6.6.6.6 evil.example' busybox cat /etc/hosts /etc/hostname
        [[ "$output" != *evil.example* ]]
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"invalid --hostname"* ]]
        run box run --rm --hostname web-1.example busybox hostname
        [ "$status" -eq 0 ]
        [ "$output" = web-1.example ]
}

@test "inject: build's --add-host, --dns, --dns-search, --dns-option with a newline are refused" {
        mkdir "$BOX_TEST_TMP/ctx"
        printf 'FROM busybox\nRUN cat /etc/hosts /etc/resolv.conf\n' >"$BOX_TEST_TMP/ctx/Dockerfile"
        local nl=$'\n'
        for flag in "--add-host=foo:10.1.1.1${nl}6.6.6.6 evil.example" \
                "--add-host=foo${nl}6.6.6.6 evil.example:10.1.1.1" \
                "--add-host=foo:not-an-address" \
                "--dns=10.1.1.1${nl}nameserver 6.6.6.6 evil.example" \
                "--dns-search=a.example${nl}nameserver 6.6.6.6 evil.example" \
                "--dns-option=ndots:1${nl}nameserver 6.6.6.6 evil.example"; do
                run box build --no-cache --progress plain "$flag" "$BOX_TEST_TMP/ctx"
                echo "$flag: status $status"
                [[ "$output" != *evil.example* ]]
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
        done
        run box build --no-cache --progress plain --add-host v6:::1 --add-host a=10.0.0.1 \
                --dns 2001:db8::53 --dns-search corp.example --dns-option ndots:2 "$BOX_TEST_TMP/ctx"
        [ "$status" -eq 0 ]
        [[ "$output" == *$'::1\tv6'* ]]
        [[ "$output" == *"nameserver 2001:db8::53"* ]]
}

@test "stdio: a file or device given to box reaches the container as a pipe, so it cannot be reopened" {
        # box's own stdin was a read-only host file: the container reopened
        # /proc/self/fd/0 for writing and rewrote it
        echo secret >"$BOX_TEST_TMP/in"
        chmod 0444 "$BOX_TEST_TMP/in"
        run box run --rm -i busybox sh -c 'echo PWNED >/proc/self/fd/0; readlink /proc/self/fd/0; cat' \
                <"$BOX_TEST_TMP/in"
        [ "$status" -eq 0 ]
        [ "$(cat "$BOX_TEST_TMP/in")" = secret ]
        [[ "${lines[0]}" == pipe:* ]]
        # stdout and stderr to files: pipes in the container; output, order
        # within each stream and the exit code as before
        box run --rm busybox sh -c 'readlink /proc/self/fd/1; readlink /proc/self/fd/2 >&2; seq 1 3; exit 3' \
                >"$BOX_TEST_TMP/out" 2>"$BOX_TEST_TMP/err" || rc=$?
        [ "${rc:-0}" -eq 3 ]
        [[ "$(sed -n 1p "$BOX_TEST_TMP/out")" == pipe:* ]]
        [ "$(sed -n 2,4p "$BOX_TEST_TMP/out" | tr '\n' ' ')" = "1 2 3 " ]
        [[ "$(cat "$BOX_TEST_TMP/err")" == pipe:* ]]
        # a large stdin from a file arrives whole and ends with EOF
        seq 1 200000 >"$BOX_TEST_TMP/big"
        [ "$(box run --rm -i busybox wc -l <"$BOX_TEST_TMP/big")" = 200000 ]
        # a container that never reads its stdin still ends
        run timeout 20 "$BOX" run --rm -i busybox true </dev/zero
        [ "$status" -eq 0 ]
}
