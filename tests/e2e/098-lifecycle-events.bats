#!/usr/bin/env bats
# box events: the event log each command appends to (podman's file
# backend), read back with Docker's flags: --since/--until (the past),
# streaming until --until, --filter, --format; a foreground --rm run's four
# events in one write once it has ended; rotation at 1 MiB; the events of
# rm -f, commit, export, top, cp and prunes; a follower whose runroot goes.
load run-helpers

setup() { run_setup; }
teardown() {
        [ -z "${EV:-}" ] || { kill "$EV" 2>/dev/null || true; wait "$EV" 2>/dev/null || true; }
        lifecycle_teardown
}

# the past events' "ACTION NAME" lines, since the test began
actions() {
        box events --since "$T0" --until 0s --format '{{.Action}} {{.Actor.Attributes.name}}' "$@"
}

@test "events: a detached container's life, each action once and in order, with Docker's attributes" {
        T0=$(date +%s.%N)
        box run -d --name e1 -l team=db --network none busybox sh -c 'trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null
        wait_ready e1
        box exec e1 true
        box pause e1 >/dev/null
        box unpause e1 >/dev/null
        box rename e1 e2
        box stop e2 >/dev/null
        box rm e2 >/dev/null
        run actions --filter type=container
        echo "$output"
        [ "$status" -eq 0 ]
        expected="create e1
start e1
exec_create: true e1
exec_start: true e1
exec_die e1
pause e1
unpause e1
rename e2
kill e2
die e2
stop e2
destroy e2"
        [ "$output" = "$expected" ]
        # the attributes: labels, image, exitCode, signal, oldName, the exec's id
        run box events --since "$T0" --until 0s --filter event=die --format '{{.Actor.Attributes.exitCode}} {{.Actor.Attributes.team}} {{.Actor.Attributes.image}} {{.Type}} {{.Action}} {{.status}} {{.from}}'
        [ "$output" = "7 db busybox container die die busybox" ]
        [ "$(box events --since "$T0" --until 0s --filter event=kill --format '{{.Actor.Attributes.signal}}')" = 15 ]
        [ "$(box events --since "$T0" --until 0s --filter event=rename --format '{{.Actor.Attributes.oldName}}')" = e1 ]
        run box events --since "$T0" --until 0s --filter event=exec_die --format '{{.Actor.Attributes.exitCode}} {{len .Actor.Attributes.execID}}'
        [ "$output" = "0 64" ]
        # Docker's default line: time, type, action, id, the sorted attributes
        run box events --since "$T0" --until 0s --filter event=die
        echo "$output"
        [[ "$output" =~ ^20[0-9-]{8}T[0-9:]{8}\.[0-9]{9}(Z|[+-][0-9:]{5})\ container\ die\ [0-9a-f]{64}\ \(exitCode=7,\ image=busybox,\ name=e2,\ team=db\)$ ]]
}

@test "events: a foreground run, kept or --rm: create, start, die (its status), destroy" {
        T0=$(date +%s.%N)
        run box run --name k1 --network none busybox sh -c 'exit 3'
        [ "$status" -eq 3 ]
        run box run --rm --name k2 --network none busybox sh -c 'exit 4'
        [ "$status" -eq 4 ]
        run actions --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'
        echo "$output"
        # Docker's order for the kept one, run under its monitor: attach, then start
        [ "${lines[0]}" = "create k1 <no value>" ]
        [ "${lines[1]}" = "attach k1 <no value>" ]
        [ "${lines[2]}" = "start k1 <no value>" ]
        [ "${lines[3]}" = "die k1 3" ]
        [ "${lines[4]}" = "create k2 <no value>" ]
        [ "${lines[5]}" = "start k2 <no value>" ]
        [ "${lines[6]}" = "die k2 4" ]
        [ "${lines[7]}" = "destroy k2 <no value>" ]
        [ "${#lines[@]}" -eq 8 ]
        # the --rm run's times are its own: created <= started <= died
        run box events --since "$T0" --until 0s --filter container=k2 --format '{{.timeNano}}'
        [ "${lines[0]}" -le "${lines[1]}" ] && [ "${lines[1]}" -le "${lines[2]}" ]
}

@test "events: a --rm run writes its four events in one write after its exit, none on its start" {
        command -v strace >/dev/null || skip "strace is not installed"
        box run --rm --network none busybox true
        run env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -s 4096 -o "$BOX_TEST_TMP/trace" -e trace=openat,write \
                "$BOX" run --rm --network none busybox echo hello
        [ "$status" -eq 0 ]
        [ "$output" = hello ]
        # one open of the log, and one write to it, after the container's output
        [ "$(grep -c 'events/events.log"' "$BOX_TEST_TMP/trace")" -eq 1 ]
        log_writes=$(grep -n 'write([0-9]*, .*\\"Action\\":\\"' "$BOX_TEST_TMP/trace")
        echo "$log_writes"
        [ "$(printf '%s\n' "$log_writes" | grep -c .)" -eq 1 ]
        [[ "$log_writes" == *'\"Action\":\"create\"'*'\"Action\":\"start\"'*'\"Action\":\"die\"'*'\"Action\":\"destroy\"'* ]]
        hello_at=$(grep -n 'write(1, "hello' "$BOX_TEST_TMP/trace" | cut -d: -f1)
        [ "${log_writes%%:*}" -gt "$hello_at" ]
}

@test "events: streaming shows what comes, the monitor's die and health_status too, until --until" {
        "$BOX" events --filter type=container --format '{{.Action}} {{.Actor.Attributes.name}}' >"$BOX_TEST_TMP/ev" 2>&1 3>&- &
        EV=$!
        sleep 0.5
        box run -d --name h1 --network none --health-cmd 'exit 0' --health-interval 200ms busybox sleep 1 >/dev/null
        wait_for 50 grep -q "die h1" "$BOX_TEST_TMP/ev"
        kill "$EV"
        wait "$EV" || true
        EV=
        cat "$BOX_TEST_TMP/ev"
        [ "$(sed -n 1p "$BOX_TEST_TMP/ev")" = "create h1" ]
        [ "$(sed -n 2p "$BOX_TEST_TMP/ev")" = "start h1" ]
        grep -qx "health_status: healthy h1" "$BOX_TEST_TMP/ev"
        [ "$(grep -c health_status "$BOX_TEST_TMP/ev")" -eq 1 ] # on a change only
        [ "$(tail -1 "$BOX_TEST_TMP/ev")" = "die h1" ]
        # --until ends the stream (here 2 s ahead: a duration is before now)
        start=$(date +%s%N)
        run timeout 10 "$BOX" events --since "$(date +%s.%N)" --until "$(( $(date +%s) + 2 ))"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        [ $(( ($(date +%s%N) - start) / 1000000 )) -ge 900 ]
        # --stream=false: the whole log, then exit
        run timeout 10 "$BOX" events --stream=false --filter event=die --format '{{.Actor.Attributes.name}}'
        [ "$status" -eq 0 ]
        [ "$output" = h1 ]
}

@test "events: filters, as Docker's: keys AND, values OR; container, image, event, type, label" {
        T0=$(date +%s.%N)
        box run --name za1 -l tier=web --network none busybox true
        box run --name zb1 --network none busybox true
        box tag busybox other:1
        box run --name zc1 --network none other:1 true
        [ "$(actions --filter container=za1 --filter event=die)" = "die za1" ]
        [ "$(actions --filter container=za1 --filter container=zb1 --filter event=start)" = "start za1
start zb1" ]
        # container= an id prefix too (names are never one: no hex digits)
        id=$(box inspect -f '{{.Id}}' zb1)
        [ "$(actions --filter container="${id:0:8}" --filter event=create)" = "create zb1" ]
        [ "$(actions --filter label=tier=web --filter event=create)" = "create za1" ]
        [ "$(actions --filter label=tier --filter event=create)" = "create za1" ]
        [ -z "$(actions --filter label=tier=db)" ]
        # image=: the container's image, with or without its tag, and the image's own events
        [ "$(actions --filter image=other --filter type=container --filter event=create)" = "create zc1" ]
        [ "$(actions --filter image=other:1 --filter event=create)" = "create zc1" ]
        run actions --filter image=other:1 --filter type=image
        [ "$output" = "tag other:1" ]
        run box events --since "$T0" --until 0s --filter type=nosuch
        [ -z "$output" ]
        run box events --filter nosuch=1
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid filter 'nosuch=1'"* ]]
        run box events --since yesterday
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid --since 'yesterday'"* ]]
        run box events --stream=false nosuch
        [ "$status" -eq 125 ]
}

@test "events: --since/--until take RFC 3339, Unix seconds and durations; --format json is Docker's message" {
        box run --name t1 --network none busybox true
        sleep 1.1
        mid=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
        box run --name t2 --network none busybox true
        [ "$(box events --since "$mid" --until 0s --filter event=create --format '{{.Actor.Attributes.name}}')" = t2 ]
        [ "$(box events --since 1h --until "$mid" --filter event=create --format '{{.Actor.Attributes.name}}')" = t1 ]
        [ "$(box events --since 0 --until "$(date +%s).999" --filter event=create --format '{{.Actor.Attributes.name}}' | tr '\n' ' ')" = "t1 t2 " ]
        run box events --since 1h --until 0s --filter event=die --filter container=t2 --format json
        echo "$output"
        python3 - "$output" <<'EOF'
import json, sys
m = json.loads(sys.argv[1])
assert m["Type"] == "container" and m["Action"] == "die" and m["status"] == "die", m
assert m["Actor"]["Attributes"]["name"] == "t2" and m["Actor"]["Attributes"]["exitCode"] == "0", m
assert m["id"] == m["Actor"]["ID"] and len(m["id"]) == 64 and m["from"] == "busybox", m
assert m["scope"] == "local" and m["time"] == m["timeNano"] // 10**9, m
EOF
}

@test "events: images, volumes and networks" {
        T0=$(date +%s.%N)
        box tag busybox ev:1
        box save -o "$BOX_TEST_TMP/ev.tar" ev:1
        box rmi ev:1 >/dev/null
        box load -i "$BOX_TEST_TMP/ev.tar" >/dev/null
        box import -c 'LABEL imported=1' "$BUSYBOX_TAR" imp:2 >/dev/null
        box rmi imp:2 >/dev/null
        box volume create vol1 >/dev/null
        box volume rm vol1 >/dev/null
        box network create evnet >/dev/null
        box create --name n1 busybox true >/dev/null
        box network connect evnet n1
        box network disconnect evnet n1
        box network rm evnet >/dev/null
        run box events --since "$T0" --until 0s --filter type=image --format '{{.Action}} {{.Actor.Attributes.name}}'
        echo "$output"
        [ "${#lines[@]}" -eq 7 ]
        [ "$(printf '%s\n' "${lines[@]:0:6}")" = "tag ev:1
save ev:1
untag ev:1
load ev:1
import imp:2
untag imp:2" ]
        [[ "${lines[6]}" == "delete sha256:"* ]]
        run box events --since "$T0" --until 0s --filter type=volume --format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.driver}}'
        [ "$output" = "create vol1 local
destroy vol1 local" ]
        [ "$(box events --since "$T0" --until 0s --filter volume=vol1 --format '{{.Action}}' | tr '\n' ' ')" = "create destroy " ]
        id=$(box inspect -f '{{.Id}}' n1)
        run box events --since "$T0" --until 0s --filter network=evnet --format '{{.Action}} {{.Actor.Attributes.type}} {{.Actor.Attributes.container}}'
        echo "$output"
        [ "$output" = "create bridge <no value>
connect bridge $id
disconnect bridge $id
destroy bridge <no value>" ]
}

@test "events: the log is rotated past 1 MiB into events.log.1, and read across it" {
        box run --name r1 --network none busybox true
        # pad the log past its limit with records of another era
        python3 - "$BOX_RUNROOT/events/events.log" <<'EOF'
import json, sys
rec = {"Type": "container", "Action": "pad", "Actor": {"ID": "x" * 64, "Attributes": {"name": "pad", "fill": "y" * 900}},
       "scope": "local", "time": 1, "timeNano": 1000000000}
with open(sys.argv[1], "a") as f:
    for _ in range(1200):
        f.write(json.dumps(rec) + "\n")
EOF
        box run --name r2 --network none busybox true
        [ -f "$BOX_RUNROOT/events/events.log.1" ]
        [ "$(stat -c %s "$BOX_RUNROOT/events/events.log")" -lt 65536 ]
        run box events --stream=false --filter event=create --format '{{.Actor.Attributes.name}}'
        [ "$output" = "r1
r2" ]
        [ "$(box events --stream=false --filter event=pad | wc -l)" -eq 1200 ]
        # a follower goes on into the new file when the log is rotated under it
        "$BOX" events --filter event=create --format '{{.Actor.Attributes.name}}' >"$BOX_TEST_TMP/ev" 2>&1 3>&- &
        EV=$!
        sleep 0.5
        python3 - "$BOX_RUNROOT/events/events.log" <<'EOF'
import sys
with open(sys.argv[1], "a") as f:
    f.write(("#" * 1023 + "\n") * 1100)
EOF
        box run --name r3 --network none busybox true
        box run --name r4 --network none busybox true
        wait_for 50 grep -qx r4 "$BOX_TEST_TMP/ev"
        [ "$(cat "$BOX_TEST_TMP/ev")" = "r3
r4" ]
}

@test "events: box update records Docker's update event" {
        T0=$(date +%s.%N)
        box run -d --name up1 --network none busybox sleep 100 >/dev/null
        box update --memory 64m up1 >/dev/null
        run box update --memory 64m nosuch
        [ "$status" -ne 0 ]
        box rm -f up1 >/dev/null
        run actions --filter type=container --filter event=update
        [ "$output" = "update up1" ]
}

@test "events: rm -f of a running container (kill 9, die, destroy), commit, export, top, cp; 'box system events'" {
        T0=$(date +%s.%N)
        box run -d --name x1 --network none busybox sleep 100 >/dev/null
        box top x1 >/dev/null
        box cp x1:/etc/hostname "$BOX_TEST_TMP/hn"
        box cp "$BOX_TEST_TMP/hn" x1:/tmp/
        box export x1 >/dev/null
        img=$(box commit -m snap x1 snap:1)
        box rm -f x1 >/dev/null
        run box system events --since "$T0" --until 0s --filter type=container --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.signal}}'
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$output" = "create x1 <no value>
start x1 <no value>
top x1 <no value>
archive-path x1 <no value>
extract-to-dir x1 <no value>
export x1 <no value>
commit x1 <no value>
kill x1 9
die x1 <no value>
destroy x1 <no value>" ]
        run box events --since "$T0" --until 0s --filter event=commit --format '{{.Actor.Attributes.imageID}} {{.Actor.Attributes.comment}}'
        [ "$output" = "$img snap" ]
        # what failed records nothing
        run box top nosuch
        [ "$status" -ne 0 ]
        [ -z "$(box events --since "$T0" --until 0s --filter container=nosuch)" ]
}

@test "events: prunes record each container destroyed, image untagged and deleted, volume and network destroyed" {
        T0=$(date +%s.%N)
        box create --name p1 --network none busybox true >/dev/null
        id=$(box inspect -f '{{.Id}}' p1)
        box import -c 'LABEL p=1' "$BUSYBOX_TAR" prune:1 >/dev/null
        iid=$(box image inspect -f '{{.Id}}' prune:1)
        box volume create pv1 >/dev/null
        box network create pn1 >/dev/null
        box container prune -f >/dev/null
        box image prune -a -f --filter label=p=1 >/dev/null
        box volume prune -a -f >/dev/null
        box network prune -f >/dev/null
        run box events --since "$T0" --until 0s --filter event=destroy --filter event=delete --filter event=untag --format '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}'
        echo "$output"
        [ "${lines[0]}" = "container destroy $id p1" ]
        [ "${lines[1]}" = "image untag $iid prune:1" ]
        [ "${lines[2]}" = "image delete $iid $iid" ]
        [ "${lines[3]}" = "volume destroy pv1 <no value>" ]
        [ "${#lines[@]}" -eq 5 ]
        [[ "${lines[4]}" == "network destroy "*" pn1" ]]
}

@test "events: a follower whose runroot is removed exits with an error instead of waiting for ever" {
        rr="$BOX_TEST_TMP/gone"
        mkdir -p "$rr"
        BOX_RUNROOT="$rr" timeout 10 "$BOX" events >"$BOX_TEST_TMP/ev" 2>&1 3>&- &
        EV=$!
        wait_for 50 test -f "$rr/events/events.log"
        sleep 0.3
        rm -rf "$rr"
        start=$(date +%s%N)
        st=0
        wait "$EV" || st=$?
        EV=
        [ "$st" -eq 125 ]
        [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 3000 ]
        [ "$(cat "$BOX_TEST_TMP/ev")" = "box: error: the event log's directory '$rr/events' was removed" ]
}

@test "events: a start records Docker's network connect and volume mount before its start, detached or --rm" {
        T0=$(date +%s.%N)
        box volume create evv >/dev/null
        box run -d --name s1 -v evv:/data busybox true >/dev/null
        box wait s1 >/dev/null
        box run --rm --name s2 -v evv:/ro:ro --network none busybox true
        id1=$(box inspect -f '{{.Id}}' s1)
        run box events --since "$T0" --until 0s --filter type=container --filter type=network --filter type=volume \
                --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.destination}} {{index .Actor.Attributes "read/write"}} {{.Actor.Attributes.type}}'
        echo "$output"
        n='<no value>'
        [ "$output" = "volume create $n $n $n $n
container create s1 $n $n $n
network connect bridge $n $n bridge
volume mount $n /data true $n
container start s1 $n $n $n
container die s1 $n $n $n
container create s2 $n $n $n
volume mount $n /ro false $n
container start s2 $n $n $n
container die s2 $n $n $n
container destroy s2 $n $n $n" ]
        # the connect names the container, the mount the volume and the container
        [ "$(box events --since "$T0" --until 0s --filter event=connect --format '{{.Actor.Attributes.container}}')" = "$id1" ]
        [ "$(box events --since "$T0" --until 0s --filter volume=evv --filter event=mount --format '{{.Actor.ID}}' | sort -u)" = evv ]
        # times in order, the --rm run's batch too
        run box events --since "$T0" --until 0s --format '{{.timeNano}}'
        sorted=$(printf '%s\n' "${lines[@]}" | sort -n)
        [ "$sorted" = "$(printf '%s\n' "${lines[@]}")" ]
        box rm s1 >/dev/null
        box volume rm evv >/dev/null
        # a volume -v creates has Docker's create event too, once
        box run --rm -v evimp:/x --network none busybox true
        box run --rm -v evimp:/x --network none busybox true
        [ "$(box events --since "$T0" --until 0s --filter volume=evimp --format '{{.Action}} {{.Actor.Attributes.driver}}' | tr '\n' ' ')" = "create local mount local mount local " ]
        box volume rm evimp >/dev/null
}

@test "events: a container the OOM killer ended records Docker's oom before its die; one that exits does not" {
        T0=$(date +%s.%N)
        box run -d --name oom1 --network none -m 16m --memory-swap 16m busybox tail /dev/zero >/dev/null
        box run -d --name ok1 --network none -m 16m --memory-swap 16m busybox sh -c 'exit 137' >/dev/null
        [ "$(box wait oom1)" = 137 ]
        [ "$(box wait ok1)" = 137 ]
        run actions --filter container=oom1 --filter container=ok1 --filter event=oom --filter event=die
        echo "$output"
        [ "$(grep oom1 <<<"$output")" = "oom oom1
die oom1" ]
        [ "$(grep ok1 <<<"$output")" = "die ok1" ]
        # and inspect's State.OOMKilled says so (it was always false)
        [ "$(box inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' oom1 ok1)" = "true 137
false 137" ]
        # a --rm run in the foreground too, in its one write after the end
        run box run --rm --name oom2 --network none -m 16m --memory-swap 16m busybox tail /dev/zero
        [ "$status" -eq 137 ]
        run actions --filter container=oom2
        echo "$output"
        [ "$(tr '\n' ' ' <<<"$output")" = "create oom2 start oom2 oom oom2 die oom2 destroy oom2 " ]
}
