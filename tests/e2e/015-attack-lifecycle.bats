#!/usr/bin/env bats
# An attacker's review of the lifecycle, generate and log commands: values a
# user passes on (a CI variable, a label file), a hostile image's health check
# and a container's own output must not crash box, inject into a unit file or
# get lost.
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

@test "attack: bytes that are not UTF-8 in -e, --label, a Dockerfile or a health check's output do not abort box" {
        # each used to end in SIGABRT (json_dumps refused the bytes) and left
        # a half-made container holding its name
        run box run --rm --network none -e "$(printf 'X=\377')" busybox sh -c 'printf %s "$X" | od -An -tx1'
        [ "$status" -eq 0 ]
        [ "$(echo $output)" = ff ]
        run box create --name lab --network none --label "$(printf 'l=a\376b')" busybox true
        [ "$status" -eq 0 ]
        # stored as Go's encoding/json stores it: U+FFFD for the bad byte
        [ "$(box inspect -f '{{index .Config.Labels "l"}}' lab)" = "a�b" ]
        mkdir -p "$BOX_TEST_TMP/ctx"
        printf 'FROM busybox\nENV X=\377\nLABEL a=\376\nRUN echo \377 >/x\n' >"$BOX_TEST_TMP/ctx/Dockerfile"
        run box build -q --network none -t u8 "$BOX_TEST_TMP/ctx"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(box image inspect -f '{{index .Config.Labels "a"}}' u8)" = "�" ]
        box run -d --name hc --network none --health-interval 200ms \
                --health-cmd 'printf "\377\376 ok"' busybox sleep 60
        wait_for 50 eval '[ "$(box inspect -f "{{.State.Health.Status}}" hc)" = healthy ]'
        [ "$(box inspect -f '{{(index .State.Health.Log 0).Output}}' hc)" = "�� ok" ]
        run box healthcheck run hc
        [ "$status" -eq 0 ]
}

@test "attack: generate systemd --new escapes a CR, which systemd takes as the end of a line" {
        command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
        box create --name cr --network none -e "$(printf 'Z=a\rBogusKey=1')" \
                --label "$(printf 'l=\rExecStartPre=/nonexistent/evil')" -e "$(printf 'T=\tx\001')" \
                busybox true >/dev/null
        unit=$BOX_TEST_TMP/container-cr.service
        box generate systemd --new cr >"$unit"
        ! grep -q "$(printf '\r')" "$unit" || false
        run systemd-analyze verify "$unit"
        echo "$output"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        grep -qF -- '-e "Z=a\x0dBogusKey=1" --label "l=\x0dExecStartPre=/nonexistent/evil" -e "T=\tx\x01"' "$unit"
        # a flag's value is not taken for the image: --name after -e A=1
        # was kept, so after a rename the unit made the old name and stopped
        # the new one
        box create -e A=1 --name old --network none -t busybox sleep 1 >/dev/null
        box rename old new
        box generate systemd --new new >"$BOX_TEST_TMP/container-new.service"
        grep -qxF "ExecStart=$BOX run -d --rm --name new -e A=1 --network none -t busybox sleep 1" \
                "$BOX_TEST_TMP/container-new.service"
        # the store's paths in Environment= keep a '$': systemd expands none there
        BOX_ROOT="$BOX_TEST_TMP/r\$x" box import "$BUSYBOX_TAR" busybox >/dev/null
        BOX_ROOT="$BOX_TEST_TMP/r\$x" box create --name dd --network none busybox true >/dev/null
        BOX_ROOT="$BOX_TEST_TMP/r\$x" box generate systemd dd >"$BOX_TEST_TMP/d.service"
        grep -qF "Environment=\"BOX_ROOT=$BOX_TEST_TMP/r\$x\" " "$BOX_TEST_TMP/d.service" ||
                grep -qF "Environment=BOX_ROOT=$BOX_TEST_TMP/r\$x " "$BOX_TEST_TMP/d.service"
        BOX_ROOT="$BOX_TEST_TMP/r\$x" box rm dd >/dev/null
}

@test "attack: logs show a stream's last bytes without a newline; --since takes no nan, inf or exponent" {
        box run -d --name lg --network none busybox sh -c 'echo one; printf two; printf three >&2' >/dev/null
        wait_for 50 eval '[ "$(box inspect -f "{{.State.Status}}" lg)" = exited ]'
        run --separate-stderr box logs lg
        [ "$status" -eq 0 ]
        [ "$output" = "one
two" ]
        [ "$stderr" = three ]
        run --separate-stderr box logs -f lg
        [ "$output" = "one
two" ]
        for t in nan inf 1e30 -5 0x10 99999999999999; do
                run box logs --since "$t" lg
                [ "$status" -eq 125 ]
                [[ "$output" == *"invalid time '$t'"* ]]
        done
        # an empty one is no limit, as Docker's client sends none
        run --separate-stderr box logs --since '' lg
        [ "$status" -eq 0 ]
        [ "$output" = "one
two" ]
        run box logs --since 1.5 lg
        [ "$status" -eq 0 ]
        # RFC 3339 offsets count; trailing junk does not pass
        hour_ago=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%S)
        [ "$(box logs --since "$hour_ago+02:00" lg 2>/dev/null)" = "one
two" ]
        [ -z "$(box logs --since "$hour_ago-02:00" lg 2>/dev/null)" ]
        run box logs --since 2026-01-02xyz lg
        [ "$status" -eq 125 ]
        run box logs --until 1700000000 lg
        [ "$status" -eq 0 ]
        [ -z "$output" ]
}

@test "attack: --env-file and --label-file naming a FIFO nobody writes to do not hang box" {
        mkfifo "$BOX_TEST_TMP/fifo"
        run timeout 10 "$BOX" create --network none --env-file "$BOX_TEST_TMP/fifo" busybox true
        [ "$status" -eq 0 ]
        run timeout 10 "$BOX" create --network none --label-file "$BOX_TEST_TMP/fifo" busybox true
        [ "$status" -eq 0 ]
        # a pipe with a writer is read as before
        run box run --rm --network none --env-file <(echo A=piped) busybox sh -c 'echo $A'
        [ "$output" = piped ]
}

@test "attack: a --format nested deeper than Go's template limit is an error, not a crash" {
        box create --name fmt --network none busybox true >/dev/null
        deep() { printf '{{'; printf "%${1}s" | tr ' ' '('; printf .ID; printf "%${1}s" | tr ' ' ')'; printf '}}'; }
        run box ps -a --format "$(deep 9999)"
        [ "$status" -eq 0 ]
        [ "$output" = "$(box ps -aq)" ]
        # 60,000 levels overflowed the stack (SIGSEGV)
        run box ps -a --format "$(deep 60000)"
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: template: max expression depth exceeded" ]
        run box inspect -f "$(deep 10001)" fmt
        [ "$status" -eq 125 ]
}

@test "attack: commit keeps a renamed directory and a chowned file whole" {
        # with the host's overlay module defaulting to redirect_dir=on or
        # metacopy=on (this test's host has both off, so it passes there
        # either way), the upper dir held an empty renamed directory and a
        # data-less chowned file, and commit lost their content
        box run --name base --network none busybox sh -c 'mkdir -p /srv/d && echo data >/srv/d/f'
        box commit base based >/dev/null
        box run --name mv --network none based sh -c 'mv /srv/d /srv/e && chown 1:1 /srv/e/f'
        box commit mv moved >/dev/null
        run box run --rm --network none moved sh -c 'cat /srv/e/f; stat -c %u:%g /srv/e/f; ls /srv'
        [ "$output" = "data
1:1
e" ]
}
