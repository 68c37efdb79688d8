#!/usr/bin/env bats
# Health checks: the image's HEALTHCHECK or --health-*, run by the monitor
# through exec, shown in ps and inspect (Docker's State.Health).
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

health() { box inspect -f '{{.State.Health.Status}}' "$1"; }

@test "health: a passing check turns healthy; ps and inspect show it" {
        box run -d --name ok --health-cmd 'echo fine; hostname' --health-interval 3s busybox sleep 60
        # no check has run yet (3 s: a loaded machine took over a second to get here)
        [[ "$(box ps --format '{{.Status}}')" =~ ^Up\ (Less\ than\ a\ second|[12]\ seconds?)\ \(health:\ starting\)$ ]]
        [ "$(health ok)" = starting ]
        wait_for 100 eval '[ "$(health ok)" = healthy ]'
        [[ "$(box ps --format '{{.Status}}')" == "Up "*" (healthy)" ]]
        [ "$(box ps -q --filter health=healthy)" = "$(box ps -q)" ]
        [ -z "$(box ps -q --filter health=unhealthy)" ]
        [ "$(box inspect -f '{{.State.Health.FailingStreak}}' ok)" = 0 ]
        # the check ran inside the container: its hostname is the short id
        out=$(box inspect -f '{{(index .State.Health.Log 0).Output}}' ok)
        [ "$out" = "fine
$(box ps -q)" ]
        [ "$(box inspect -f '{{(index .State.Health.Log 0).ExitCode}}' ok)" = 0 ]
}

@test "health: a failing check turns unhealthy after --health-retries, keeps the last 5 results" {
        box run -d --name bad --health-cmd 'echo broken >&2; exit 3' \
                --health-interval 200ms --health-retries 3 busybox sleep 60
        wait_for 50 eval '[ "$(box inspect -f "{{.State.Health.FailingStreak}}" bad)" -ge 1 ]'
        # one read of both: read apart, the third failure fell between them
        read -r n h < <(box inspect -f '{{.State.Health.FailingStreak}} {{.State.Health.Status}}' bad)
        [ "$n" -ge 3 ] || [ "$h" = starting ]
        wait_for 50 eval '[ "$(health bad)" = unhealthy ]'
        [[ "$(box ps --format '{{.Status}}')" == "Up "*" (unhealthy)" ]]
        [ "$(box ps -q --filter health=unhealthy)" = "$(box ps -q)" ]
        [ "$(box inspect -f '{{(index .State.Health.Log 0).ExitCode}}' bad)" = 3 ]
        [ "$(box inspect -f '{{(index .State.Health.Log 0).Output}}' bad)" = broken ]
        wait_for 50 eval '[ "$(box inspect -f "{{.State.Health.FailingStreak}}" bad)" -ge 7 ]'
        [ "$(box inspect -f '{{len .State.Health.Log}}' bad)" = 5 ]
}

@test "health: failures within --health-start-period do not count; a success ends the period" {
        box run -d --name sp --health-cmd 'exit 1' --health-interval 200ms --health-retries 1 \
                --health-start-period 5s busybox sleep 60
        # checks failed, but in the start period (polled: a fixed 1.2 s of a
        # 2 s period saw too few checks, or the period's end, under load)
        wait_for 40 eval '[ "$(box inspect -f "{{len .State.Health.Log}}" sp)" -ge 2 ]'
        [ "$(health sp)" = starting ]
        [ "$(box inspect -f '{{.State.Health.FailingStreak}}' sp)" = 0 ]
        wait_for 150 eval '[ "$(health sp)" = unhealthy ]'
        # a check that passes once, then fails, counts at once
        box run -d --name sp2 --health-cmd 'test -e /ok || { touch /ok; exit 0; }; exit 1' \
                --health-interval 200ms --health-retries 1 --health-start-period 60s busybox sleep 60
        wait_for 50 eval '[ "$(health sp2)" = unhealthy ]'
}

@test "health: the image's HEALTHCHECK is used; --no-healthcheck turns it off" {
        import_with hc 'HEALTHCHECK --interval=200ms --retries=1 CMD ["false"]'
        box run -d --name img hc sleep 60
        box run -d --name off --no-healthcheck hc sleep 60
        wait_for 50 eval '[ "$(health img)" = unhealthy ]'
        [ "$(box inspect -f '{{.Config.Healthcheck}}' off)" = "<no value>" ]
        [ "$(box inspect -f '{{.State.Health}}' off)" = "<no value>" ]
        [[ "$(box ps --filter name=off --format '{{.Status}}')" != *"("* ]]
        [ "$(box ps -q --filter health=none)" = "$(box ps -q --filter name=off)" ]
        run box run -d --no-healthcheck --health-cmd true busybox true
        [ "$status" -eq 125 ]
        run box run -d --health-interval 1x busybox true
        [ "$status" -eq 125 ]
}

@test "health: a hanging check is killed after --health-timeout" {
        # a sleep of this run's own (another run of this file on the host has its own)
        local mark="sleep 12$((RANDOM % 900 + 100))"
        box run -d --name hang --health-cmd "$mark" --health-interval 200ms \
                --health-timeout 300ms --health-retries 1 busybox sleep 60
        wait_for 50 eval '[ "$(health hang)" = unhealthy ]'
        [ "$(box inspect -f '{{(index .State.Health.Log 0).ExitCode}}' hang)" = -1 ]
        [ "$(box inspect -f '{{(index .State.Health.Log 0).Output}}' hang)" = \
                "Health check exceeded timeout (300ms)" ]
        box stop -t 0 hang
        # no check outlives its timeout or its container
        wait_for 50 eval '! pgrep -fx "$mark" >/dev/null'
}

@test "health: a check that writes megabytes neither blocks nor bloats the record" {
        box run -d --name big --health-cmd 'yes | head -c 3000000; true' \
                --health-interval 200ms --health-timeout 5s busybox sleep 60
        wait_for 100 eval '[ "$(health big)" = healthy ]'
        len=$(box inspect -f '{{len (index .State.Health.Log 0).Output}}' big)
        [ "$len" -eq 4096 ]
        size=$(stat -c %s "$BOX_ROOT/containers/$(box ps -q --no-trunc)/health.json")
        [ "$size" -lt 40000 ]
}

@test "health: box healthcheck run; a stopped container shows unhealthy, a start resets it" {
        box run -d --name hr --health-cmd 'test ! -e /fail' --health-interval 1h busybox sleep 60
        run box healthcheck run hr
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        [ "$(health hr)" = healthy ]
        box exec hr touch /fail
        run box healthcheck run hr
        [ "$status" -eq 1 ]
        [ "$output" = unhealthy ]
        box stop -t 0 hr
        [ "$(health hr)" = unhealthy ]
        run box healthcheck run hr
        [ "$status" -eq 125 ]
        box start hr
        [ "$(health hr)" = starting ]
        [ "$(box inspect -f '{{.State.Health.FailingStreak}}' hr)" = 0 ]
        box run -d --name none busybox sleep 60
        run box healthcheck run none
        [ "$status" -eq 125 ]
        [[ "$output" == *"no defined healthcheck"* ]]
}
