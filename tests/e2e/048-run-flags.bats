#!/usr/bin/env bats
# box run / create: Docker's run flags box took late (--shm-size, --sysctl,
# --cidfile, the namespace modes, --platform, -q, --expose) and the clear
# refusals of what box has no such thing for.
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

# a bad value: exit 125 and one line naming the flag and the value
refused() { # FLAG-TEXT VALUE-TEXT CMD...
        local flag=$1 value=$2
        shift 2
        run box "$@"
        echo "$output"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"$flag"* ]]
        [[ "$output" == *"$value"* ]]
        [[ "$output" != *"unknown flag"* ]]
}

hc() { # FIELD CONTAINER: HostConfig.FIELD as JSON
        box inspect "$2" | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)[0]['HostConfig']['$1'], sort_keys=True))"
}

@test "run flags: --shm-size sizes /dev/shm in Docker's units, also for create + start" {
        run box run --rm --network none --shm-size 128m busybox sh -c 'grep " /dev/shm " /proc/mounts'
        [ "$status" -eq 0 ]
        [[ "$output" == *"size=131072k"* ]]
        run box run --rm --network none --shm-size 1g busybox sh -c 'grep " /dev/shm " /proc/mounts'
        [[ "$output" == *"size=1048576k"* ]]
        # the default stays 64m, and a program can fill what it was given
        run box run --rm --network none busybox sh -c 'grep " /dev/shm " /proc/mounts'
        [[ "$output" == *"size=65536k"* ]]
        run box run --rm --network none --shm-size 200m busybox sh -c 'dd if=/dev/zero of=/dev/shm/f bs=1M count=100 2>&1'
        [ "$status" -eq 0 ]
        id=$(box create --network none --shm-size 10m busybox sh -c 'grep " /dev/shm " /proc/mounts')
        [ "$(hc ShmSize "$id")" = "10485760" ]
        run box start -a "$id"
        [[ "$output" == *"size=10240k"* ]]
        id=$(box create --network none busybox true)
        [ "$(hc ShmSize "$id")" = "67108864" ]
        refused --shm-size "'1x'" run --rm --shm-size 1x busybox true
        refused --shm-size "'-1m'" run --rm --shm-size -1m busybox true
}

@test "run flags: --sysctl sets the container's namespaced sysctls, never the host's" {
        host_shmmax=$(cat /proc/sys/kernel/shmmax)
        host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
        run box run --rm --sysctl kernel.shmmax=123456789 --sysctl kernel/msgmax=4242 \
                --sysctl fs.mqueue.msg_max=20 --sysctl net.ipv4.ip_forward=$((1 - host_fwd)) \
                --sysctl net.ipv4.conf.eth0.rp_filter=2 busybox sh -c \
                'cat /proc/sys/kernel/shmmax /proc/sys/kernel/msgmax /proc/sys/fs/mqueue/msg_max /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/eth0/rp_filter'
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 123456789 ]
        [ "${lines[1]}" = 4242 ]
        [ "${lines[2]}" = 20 ]
        [ "${lines[3]}" = $((1 - host_fwd)) ]
        [ "${lines[4]}" = 2 ]
        [ "$(cat /proc/sys/kernel/shmmax)" = "$host_shmmax" ]
        [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
        # /proc/sys stays read-only for the process
        run box run --rm --network none --sysctl kernel.shmmax=1000000 busybox sh -c 'echo 5 > /proc/sys/kernel/shmmax'
        [ "$status" -ne 0 ]
        # a detached start reads them from its record
        id=$(box create --network none --sysctl kernel.msgmnb=65537 busybox cat /proc/sys/kernel/msgmnb)
        [ "$(hc Sysctls "$id")" = '{"kernel.msgmnb": "65537"}' ]
        run box start -a "$id"
        [ "$output" = 65537 ]
}

@test "run flags: --sysctl refuses what would reach the host, naming it" {
        refused --sysctl "'vm.swappiness'" run --rm --network none --sysctl vm.swappiness=1 busybox true
        refused --sysctl "'kernel.hostname'" run --rm --network none --sysctl kernel.hostname=x busybox true
        refused --sysctl "'net.ipv4.ip_forward'" run --rm --network host --sysctl net.ipv4.ip_forward=1 busybox true
        refused --sysctl "'kernel.shmmax'" run --rm --network none --ipc host --sysctl kernel.shmmax=1 busybox true
        box run -d --name donor --network none --ipc shareable busybox sleep 60 >/dev/null
        refused --sysctl "'kernel.msgmax'" run --rm --network none --ipc container:donor --sysctl kernel.msgmax=1 busybox true
        # a key cannot walk out of /proc/sys/net
        refused --sysctl "net.ipv4/../../kernel" run --rm --network none --sysctl 'net.ipv4/../../kernel/core_pattern=|/x' busybox true
        refused --sysctl "net..ipv4" run --rm --network none --sysctl 'net..ipv4=1' busybox true
        refused --sysctl "'noequals'" run --rm --network none --sysctl noequals busybox true
        refused --sysctl "" create --network none --sysctl "$(printf 'net.core.somaxconn=1\nx')" busybox true
        [ "$(box ps -aq --no-trunc)" = "$(box inspect --format '{{.Id}}' donor)" ]
}

@test "run flags: --cidfile gets the full id; an existing file is refused before anything is made" {
        cid="$BOX_TEST_TMP/cid"
        run box run --network none --cidfile "$cid" busybox true
        [ "$status" -eq 0 ]
        id=$(box ps -aq --no-trunc)
        [ "$(cat "$cid")" = "$id" ]
        [ "$(hc ContainerIDFile "$id")" = "\"$cid\"" ]
        run box create --network none --cidfile "$cid" busybox true
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: Container ID file found, make sure the other container isn't running or delete $cid" ]
        [ "$(box ps -aq --no-trunc)" = "$id" ]
        [ "$(cat "$cid")" = "$id" ]
        # no container made: no file left
        run box run --rm --network none --pull never --cidfile "$BOX_TEST_TMP/cid2" nosuchimage true
        [ "$status" -eq 125 ]
        [ ! -e "$BOX_TEST_TMP/cid2" ]
        # -d writes it too
        did=$(box run -d --network none --cidfile "$BOX_TEST_TMP/cid3" busybox sleep 30)
        [ "$(cat "$BOX_TEST_TMP/cid3")" = "$did" ]
}

@test "run flags: --pid host sees the host's processes and keeps every other default" {
        sleep 300 &
        spid=$!
        run box run --rm --network none --pid host busybox sh -c "cat /proc/$spid/cmdline | tr '\0' ' '; echo; grep -E '^(CapEff|Seccomp):' /proc/self/status; wc -c < /proc/keys"
        kill $spid
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "sleep 300"* ]]
        default=$(box run --rm --network none busybox grep -E '^(CapEff|Seccomp):' /proc/self/status)
        [ "${lines[1]}" = "$(echo "$default" | sed -n 1p)" ]
        [ "${lines[2]}" = "$(echo "$default" | sed -n 2p)" ]
        [[ "${lines[2]}" == *2 ]]
        [ "${lines[3]}" = 0 ] # /proc/keys still masked
        # without it: a pid namespace of its own
        run box run --rm --network none busybox sh -c "test -e /proc/$$"
        [ "$status" -ne 0 ]
        id=$(box create --network none --pid host busybox true)
        [ "$(hc PidMode "$id")" = '"host"' ]
        # no PID namespace to take its orphans with it: box kills what is
        # left in its cgroup, which goes too (as runc)
        box run --rm --network none --pid host busybox sh -c 'sleep 3127 & echo started' >/dev/null
        [ -z "$(pgrep -f 'sleep 3127')" ]
        [ -z "$(leftover_cgroups)" ]
        did=$(box run -d --network none --pid host busybox sh -c 'sleep 3128 & sleep 1')
        box wait "$did" >/dev/null
        for i in $(seq 50); do pgrep -f "sleep 3128" >/dev/null || break; sleep 0.1; done
        [ -z "$(pgrep -f 'sleep 3128')" ]
}

@test "run flags: --uts, --ipc, --cgroupns modes share or keep the namespaces" {
        run box run --rm --network none --uts host busybox hostname
        [ "$output" = "$(hostname)" ]
        refused "hostname" "UTS mode" run --rm --network none --uts host -h foo busybox true
        run box run --rm --network none --ipc host busybox readlink /proc/self/ns/ipc
        [ "$output" = "$(readlink /proc/self/ns/ipc)" ]
        run box run --rm --network none --ipc shareable busybox readlink /proc/self/ns/ipc
        [ "$output" != "$(readlink /proc/self/ns/ipc)" ]
        run box run --rm --network none --ipc none busybox sh -c 'grep -c " /dev/shm " /proc/mounts'
        [ "$output" = 0 ]
        run box run --rm --network none --cgroupns host busybox readlink /proc/self/ns/cgroup
        [ "$output" = "$(readlink /proc/self/ns/cgroup)" ]
        run box run --rm --network none --cgroupns private busybox readlink /proc/self/ns/cgroup
        [ "$output" != "$(readlink /proc/self/ns/cgroup)" ]
        id=$(box create --network none --ipc none --uts host --cgroupns host busybox true)
        [ "$(hc IpcMode "$id")" = '"none"' ]
        [ "$(hc UTSMode "$id")" = '"host"' ]
        [ "$(hc CgroupnsMode "$id")" = '"host"' ]
        id=$(box create --network none busybox true)
        [ "$(hc IpcMode "$id")" = '"private"' ]
        [ "$(hc PidMode "$id")" = '""' ]
        # podman's "private" --pid and --uts: the default's own namespaces
        run box run --rm --network none --pid private --uts private busybox sh -c \
                'echo $$; readlink /proc/self/ns/uts'
        [ "${lines[0]}" = 1 ]
        [ "${lines[1]}" != "$(readlink /proc/self/ns/uts)" ]
        id=$(box create --network none --pid private --uts private busybox true)
        [ "$(hc PidMode "$id")" = '""' ]
        [ "$(hc UTSMode "$id")" = '""' ]
        refused --ipc "'bogus'" run --rm --ipc bogus busybox true
        refused --pid "'container:x'" run --rm --pid container:x busybox true
        refused --cgroupns "'shared'" run --rm --cgroupns shared busybox true
        refused --uts "'shared'" run --rm --uts shared busybox true
        refused --uidmap "--pid host" run --rm --network none --uidmap 0:100000:65536 --pid host busybox true
}

@test "run flags: --expose records the ports and -P publishes them" {
        id=$(box create --expose 7000-7001/udp --expose 8080 -P busybox sleep 30)
        run box inspect --format '{{json .Config.ExposedPorts}}' "$id"
        [ "$output" = '{"7000/udp":{},"7001/udp":{},"8080/tcp":{}}' ]
        box start "$id" >/dev/null
        run box port "$id"
        echo "$output"
        [[ "$output" == *"7000/udp -> 0.0.0.0:"* ]]
        [[ "$output" == *"7001/udp -> 0.0.0.0:"* ]]
        [[ "$output" == *"8080/tcp -> 0.0.0.0:"* ]]
        refused --expose "'abc'" run --rm --expose abc busybox true
        refused --expose "'80:80'" run --rm --expose 80:80 busybox true
        refused --expose "'70000'" run --rm --expose 70000 busybox true
}

@test "run flags: --platform (the host's only), -q and --pull" {
        arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
        run box run --rm --network none --platform "linux/$arch" -q busybox echo ok
        [ "$output" = ok ]
        run box run --rm --network none --quiet --pull missing busybox echo ok
        [ "$output" = ok ]
        refused --platform "'linux/s390x'" run --rm --platform linux/s390x busybox true
        run box run --rm --network none -q --pull never nosuchimage true
        [ "$status" -eq 125 ]
}

@test "run flags: what box has no such thing for is refused in one line; Docker's no-ops are accepted" {
        refused --gpus "'all'" run --rm --gpus all busybox true
        refused --runtime "'runc'" run --rm --runtime runc busybox true
        refused --storage-opt "'size=1G'" run --rm --storage-opt size=1G busybox true
        refused --isolation "'hyperv'" run --rm --isolation hyperv busybox true
        refused --volume-driver "'flocker'" run --rm --volume-driver flocker busybox true
        refused --link "'db:db'" run --rm --link db:db busybox true
        refused --kernel-memory "'10m'" run --rm --kernel-memory 10m busybox true
        refused --cpu-rt-period "'1000'" create --cpu-rt-period 1000 busybox true
        refused --cpu-rt-runtime "'950'" run --rm --cpu-rt-runtime 950 busybox true
        # =false asks Docker to verify the image's signature: box cannot
        refused --disable-content-trust "'false'" run --rm --disable-content-trust=false busybox true
        refused --disable-content-trust "'0'" create --disable-content-trust=0 busybox true
        [ -z "$(box ps -aq)" ]
        run box run --rm --network none --runtime box --isolation default --volume-driver local \
                --disable-content-trust --disable-content-trust=true busybox echo ok
        [ "$status" -eq 0 ]
        [ "$output" = ok ]
}

@test "run flags: --volumes-from takes another container's volumes and binds, :ro making them read-only" {
        mkdir -p "$BOX_TEST_TMP/bind"
        echo from-host > "$BOX_TEST_TMP/bind/f"
        box create --name src -v /data -v named:/named -v "$BOX_TEST_TMP/bind:/b:ro" --tmpfs /t busybox true >/dev/null
        run box run --rm --network none --volumes-from src busybox sh -c \
                'echo one > /data/x; echo two > /named/y; cat /b/f; echo no > /b/z || echo b-ro; test -d /t || echo no-tmpfs'
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *from-host* ]]
        [[ "$output" == *b-ro* ]]
        [[ "$output" == *no-tmpfs* ]]
        # the same volumes: a third container sees what the second wrote
        run box run --rm --network none --volumes-from src:ro busybox sh -c 'cat /data/x /named/y; echo no > /data/q || echo data-ro'
        echo "$output"
        [[ "$output" == *one*two*data-ro* ]]
        # a -v on the same target wins, as Docker's
        run box run --rm --network none --volumes-from src -v "$BOX_TEST_TMP/bind:/data" busybox cat /data/f
        [ "$output" = from-host ]
        id=$(box create --network none --volumes-from src:ro busybox true)
        [ "$(hc VolumesFrom "$id")" = '["src:ro"]' ]
        refused --volumes-from "'nosuch'" run --rm --network none --volumes-from nosuch busybox true
        refused --volumes-from "'src:rx'" run --rm --network none --volumes-from src:rx busybox true
}

@test "run flags: --domainname, --mac-address and --annotation" {
        run box run --rm --network none --domainname example.org busybox cat /proc/sys/kernel/domainname
        [ "$output" = example.org ]
        run box run --rm --mac-address 02:42:ac:11:00:99 busybox cat /sys/class/net/eth0/address
        echo "$output" # (failed once under load, output unseen)
        [ "$output" = 02:42:ac:11:00:99 ]
        id=$(box create --mac-address 02-42-ac-11-00-98 --domainname ex.com --annotation a=b \
                --annotation c=d=e busybox cat /sys/class/net/eth0/address /proc/sys/kernel/domainname)
        run box inspect --format '{{.Config.MacAddress}} {{.Config.Domainname}} {{json .HostConfig.Annotations}}' "$id"
        [ "$output" = '02-42-ac-11-00-98 ex.com {"a":"b","c":"d=e"}' ]
        run box start -a "$id"
        [ "${lines[0]}" = 02:42:ac:11:00:98 ]
        [ "${lines[1]}" = ex.com ]
        refused --mac-address "'03:42:ac:11:00:99'" run --rm --mac-address 03:42:ac:11:00:99 busybox true
        refused --mac-address "'00:00:00:00:00:00'" run --rm --mac-address 00:00:00:00:00:00 busybox true
        refused --mac-address "'02:42:ac:11:00'" run --rm --mac-address 02:42:ac:11:00 busybox true
        refused mac-address "network mode" run --rm --network none --mac-address 02:42:ac:11:00:99 busybox true
        refused --domainname "'a b'" run --rm --domainname 'a b' busybox true
        refused --domainname "UTS" run --rm --uts host --domainname x.org busybox true
        refused --annotation "'novalue'" run --rm --annotation novalue busybox true
        [ "$(cat /proc/sys/kernel/domainname)" != example.org ]
}

@test "run flags: --health-start-interval checks more often in the start period only" {
        id=$(box run -d --network none --health-cmd 'echo x >> /tmp/checks; exit 1' --health-interval 1h \
                --health-retries 1000 --health-start-period 3s --health-start-interval 200ms busybox sleep 60)
        # four checks: only the start interval makes them (the hour's makes
        # one); polled, as a fixed 2 s saw fewer on a loaded machine
        checks() { box exec "$id" sh -c 'wc -l < /tmp/checks 2>/dev/null || echo 0'; }
        wait_for 100 eval '[ "$(checks)" -ge 4 ]'
        # past the start period the hour's interval holds: the count stops
        # (a check started at the period's end may still land: then again)
        local n1 n2
        sleep 2
        for _ in $(seq 10); do
                n1=$(checks)
                sleep 1.5
                n2=$(checks)
                [ "$n1" = "$n2" ] && break
        done
        echo "checks: $n1 then $n2"
        [ "$n1" = "$n2" ]
        run box inspect --format '{{json .Config.Healthcheck.StartInterval}}' "$id"
        [ "$output" = 200000000 ]
        # as the other --health-* flags: the usage error's two lines
        run box run --rm --health-start-interval x busybox true
        [ "$status" -eq 125 ]
        [ "${lines[0]}" = "box: error: invalid --health-start-interval 'x'" ]
        run box run --rm --no-healthcheck --health-start-interval 1s busybox true
        [ "$status" -eq 125 ]
}

@test "run flags: --pid and --ipc container:NAME join that container's namespaces, by id" {
        box run -d --name donor --network none --ipc shareable busybox sleep 60 >/dev/null
        box run -d --name priv --network none busybox sleep 60 >/dev/null
        donor_pid=$(box exec donor readlink /proc/self/ns/pid)
        donor_ipc=$(box exec donor readlink /proc/self/ns/ipc)
        run box run --rm --network none --pid container:donor --ipc container:donor busybox sh -c \
                'readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; cat /proc/1/cmdline | tr "\0" " "; echo'
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "$donor_pid" ]
        [ "${lines[1]}" = "$donor_ipc" ]
        [ "${lines[2]}" = "sleep 60 " ]
        # detached, and with -t (both start under a monitor)
        id=$(box run -d --network none --pid container:donor busybox sleep 30)
        [ "$(box exec "$id" readlink /proc/self/ns/pid)" = "$donor_pid" ]
        run box exec donor sh -c 'ps -o args | grep -c "^sleep 30"'
        [ "$output" = 1 ]
        donor_id=$(box inspect --format '{{.Id}}' donor)
        [ "$(hc PidMode "$id")" = "\"container:$donor_id\"" ]
        # box's own later children stay in its PID namespace
        run box run --rm --network none busybox readlink /proc/1/ns/pid
        [ "$output" != "$donor_pid" ]
        refused "non-shareable" "container:priv" run --rm --network none --ipc container:priv busybox true
        refused --pid "'container:nosuch'" run --rm --network none --pid container:nosuch busybox true
        refused --uidmap "container:NAME" run --rm --network none --uidmap 0:100000:65536 --pid container:donor busybox true
        # created now, started once the other has gone: not running, 125
        cid=$(box create --network none --pid container:priv busybox true)
        box rm -f priv >/dev/null
        run box start -a "$cid"
        [ "$status" -eq 125 ]
        [[ "$output" == *"not running"* ]] || [[ "$output" == *"no such container"* ]]
}

@test "run flags: a shorthand with '=' takes what follows as its value, as pflag's (-e=K=V, -w=/tmp, -a=false)" {
        run box run --rm -e=FOO=bar -w=/tmp busybox sh -c 'echo "$FOO $(pwd)"'
        [ "$status" -eq 0 ]
        [ "$output" = "bar /tmp" ]
        # the container's own arguments are never rewritten
        run box run --rm busybox echo -e=1 -a=false
        [ "$output" = "-e=1 -a=false" ]
        run box run --rm -i=false busybox echo ok
        [ "$output" = ok ]
        run box run --rm -i=maybe busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid argument 'maybe' for '--interactive'"* ]]
}

@test "rm -t SECONDS -f: a running container gets its stop signal before the kill, as podman's" {
        box run -d --name st busybox sh -c "trap 'echo got-term; exit 3' TERM; while :; do sleep 0.1; done" >/dev/null
        for _ in $(seq 50); do box logs st >/dev/null 2>&1 && box exec st true 2>/dev/null && break; sleep 0.1; done
        sleep 0.3
        box logs -f st >"$BOX_TEST_TMP/st.log" 2>&1 &
        box rm -t 5 -f st
        wait
        grep -q got-term "$BOX_TEST_TMP/st.log"
}
