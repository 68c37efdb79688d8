#!/usr/bin/env bats
# Labels (--label, --label-file, the image's; ps --filter label=), a start
# that fails leaves the container "Created", stop -t -1 waits for ever.
load run-helpers

# by name only: `box inspect f5` would also match another container whose
# id starts with f5, as Docker's lookup does
gone() { ! box ps -a --format '{{.Names}}' | grep -qx "$1"; }

setup() { run_setup; }
teardown() { lifecycle_teardown; }

@test "labels: the image's, --label-file's, then --label's, in Config.Labels and ps" {
        import_with labelled 'LABEL app=img maint=me'
        printf '# a comment\n\n  team=db\nflag\ntier=back\n' >"$BOX_TEST_TMP/labels"
        box create --name l1 -l app=web --label-file "$BOX_TEST_TMP/labels" --label tier=front \
                labelled true >/dev/null
        box create --name l2 busybox true >/dev/null
        [ "$(box inspect -f '{{.Config.Labels.app}}' l1)" = web ]
        [ "$(box inspect -f '{{.Config.Labels.maint}}' l1)" = me ]
        [ "$(box inspect -f '{{.Config.Labels.tier}}' l1)" = front ]
        [ "$(box inspect -f '{{.Config.Labels.team}}' l1)" = db ]
        [ "$(box inspect -f '{{json .Config.Labels.flag}}' l1)" = '""' ]
        [ "$(box ps -a --filter name=l1 --format '{{.Labels}}')" = "app=web,flag=,maint=me,team=db,tier=front" ]
        [ "$(box ps -a --filter label=app=web --format '{{.Names}}')" = l1 ]
        [ "$(box ps -a --filter label=flag --format '{{.Names}}')" = l1 ]
        [ -z "$(box ps -a --filter label=app=img --format '{{.Names}}')" ]
        # every label filter must hold
        [ -z "$(box ps -a --filter label=app=web --filter label=nosuch -q)" ]
        [ "$(box ps -a --filter label=app --filter label=team=db --format '{{.Names}}')" = l1 ]
        [ -z "$(box ps -a --filter label=app --filter name=l2 -q)" ]
        run box create --label-file "$BOX_TEST_TMP/none" busybox true
        [ "$status" -eq 125 ]
        printf 'bad key=1\n' >"$BOX_TEST_TMP/bad"
        run box create --label-file "$BOX_TEST_TMP/bad" busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"bad:1"* ]]
}

@test "a start that fails leaves the container Created with the exit code and error" {
        run -127 box run -d --name f1 busybox /nosuch
        [ "$status" -eq 127 ]
        run -127 box run --name f2 busybox /nosuch
        [ "$status" -eq 127 ]
        for c in f1 f2; do
                [ "$(box ps -a --filter name=$c --format '{{.Status}}')" = Created ]
                [ "$(box inspect -f '{{.State.Status}} {{.State.ExitCode}}' $c)" = "created 127" ]
                [[ "$(box inspect -f '{{.State.Error}}' $c)" == *"/nosuch"* ]]
        done
        [ "$(box ps -a -q --filter status=created | wc -l)" -eq 2 ]
        # created, so start may try again (and fail again the same way)
        run -127 box start f1
        [ "$status" -eq 127 ]
        [ "$(box inspect -f '{{.State.Status}}' f1)" = created ]
        # one that ran before is exited when a start fails
        box run --name f3 -v "$BOX_TEST_TMP/bin:/x" busybox sh -c 'cp /bin/busybox /x/prog'
        box rm f3
        box run -d --name f4 -v "$BOX_TEST_TMP/bin:/x" busybox /x/prog true
        box wait f4
        rm "$BOX_TEST_TMP/bin/prog"
        run -127 box start f4
        [ "$status" -eq 127 ]
        [ "$(box inspect -f '{{.State.Status}} {{.State.ExitCode}}' f4)" = "exited 127" ]
        # --rm: nothing stays
        run -127 box run -d --rm --name f5 busybox /nosuch
        [ "$status" -eq 127 ]
        # removed by its monitor-to-be, which may finish just after box
        wait_for 50 gone f5
}

@test "stop -t -1 waits for ever; -t 0 kills at once" {
        # -t -1 overrides the container's own --stop-timeout too
        box run -d --name slow --stop-timeout 1 busybox sh -c 'trap "sleep 2; exit 7" TERM; echo ready; while true; do sleep 0.1; done'
        wait_ready slow
        start=$(date +%s%N)
        box stop -t -1 slow
        took=$((($(date +%s%N) - start) / 1000000))
        [ "$took" -ge 1900 ]
        [ "$(box inspect -f '{{.State.ExitCode}}' slow)" = 7 ]
        box run -d --name slow2 --stop-timeout -1 busybox sh -c 'trap "sleep 1.5; exit 8" TERM; echo ready; while true; do sleep 0.1; done'
        wait_ready slow2
        box stop slow2
        [ "$(box inspect -f '{{.State.ExitCode}}' slow2)" = 8 ]
        box run -d --name fast busybox sh -c 'trap "" TERM; echo ready; while true; do sleep 0.1; done'
        wait_ready fast
        box stop -t 0 fast
        [ "$(box inspect -f '{{.State.ExitCode}}' fast)" = 137 ]
}
