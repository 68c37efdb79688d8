#!/usr/bin/env bats
# Published ports: kernel DNAT from 127.0.0.1, from the host's own address
# and from another host (a network namespace behind a veth), UDP, ranges,
# -P, clashes, box port, and bad -p values.
load net-helpers

setup_file() {
        net_setup_file
        cc -static -O2 -o "$BATS_FILE_TMPDIR/udpecho" "$BATS_TEST_DIRNAME/net-udpecho.c"
}
teardown_file() { net_teardown_file; }
setup() { net_setup; }
teardown() {
        ip netns del "${BOX_NETWORK_PREFIX}r" 2>/dev/null || true
        net_teardown
}

# busybox httpd answering "$1" on port ${2:-80} in a container run in the
# background with the remaining arguments; its box's pid in $BOXPID.
start_httpd() {
        local body=$1 port=$2
        shift 2
        "$BOX" run --rm --init "$@" busybox sh -c "mkdir -p /w && echo $body >/w/index.html && exec httpd -f -p $port -h /w" 3>&- &
        BOXPID=$!
}

@test "ports: -p H:C is reached on 127.0.0.1, on the host's address and from another host" {
        local h hip
        h=$(free_port)
        hip=$(host_ip)
        start_httpd hello-ports 80 --name web -p "$h:80"
        wait_http "$h"
        run curl -s -m 3 "http://127.0.0.1:$h/"
        [ "$output" = "hello-ports" ]
        run curl -s -m 3 "http://$hip:$h/"
        [ "$output" = "hello-ports" ]
        # a "remote host": a namespace of its own behind a veth to this one
        local ns="${BOX_NETWORK_PREFIX}r" v="${BOX_NETWORK_PREFIX}v"
        ip netns add "$ns"
        ip link add "$v" type veth peer name eth0 netns "$ns"
        ip addr add "10.$NET_T.1/30" dev "$v"
        ip link set "$v" up
        ip -n "$ns" addr add "10.$NET_T.2/30" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
        run ip netns exec "$ns" curl -s -m 3 "http://10.$NET_T.1:$h/"
        ip link del "$v"
        [ "$output" = "hello-ports" ]
        # no proxy: box holds the port bound, nothing listens on it
        ! ss -ltn "sport = :$h" | grep -q LISTEN || false
        run box port web
        [ "$output" = "80/tcp -> 0.0.0.0:$h" ]
        run box port web 80
        [ "$output" = "0.0.0.0:$h" ]
        # docker ps's PORTS and inspect's NetworkSettings
        run box ps --format '{{.Ports}}' --filter name=web
        [ "$output" = "0.0.0.0:$h->80/tcp" ]
        run box inspect --format '{{json .NetworkSettings.Ports}}' web
        [ "$output" = "{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$h\"}]}" ]
        run box inspect --format '{{.NetworkSettings.Networks.bridge.Gateway}} {{.NetworkSettings.IPAddress}}' web
        [[ "$output" =~ ^10\.[0-9.]+\ 10\.[0-9.]+$ ]]
        run box port web 81/tcp
        [ "$status" -ne 0 ]
        [[ "$output" == *"no public port '81/tcp' published for 'web'"* ]]
        kill $BOXPID
        wait $BOXPID || true
        # its rule went with it
        ! nft list map ip "$BOX_NETWORK_PREFIX" pub_any | grep -q ". $h :" || false
}

@test "ports: -p IP::C takes a free ephemeral port on that address only" {
        start_httpd hello-random 80 --name web -p 127.0.0.1::80
        local h=""
        for _ in $(seq 50); do
                h=$(box port web 80 2>/dev/null | sed 's/.*://') || true
                [ -n "$h" ] && break
                sleep 0.1
        done
        [ "$h" -ge 32768 ]
        [ "$h" -le 60999 ]
        wait_http "$h"
        run curl -s -m 3 "http://127.0.0.1:$h/"
        [ "$output" = "hello-random" ]
        run curl -s -m 2 "http://$(host_ip):$h/"
        [ "$output" != "hello-random" ]
        kill $BOXPID
        wait
}

@test "ports: UDP" {
        local h
        h=$(free_port)
        "$BOX" run --rm -v "$BATS_FILE_TMPDIR/udpecho:/udpecho:ro" -p "$h:5353/udp" busybox /udpecho 5353 1 >"$BATS_TEST_TMPDIR/out" 3>&- &
        for _ in $(seq 50); do grep -q ready "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
        run python3 -c "
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b'ping', ('127.0.0.1', $h)); print(s.recvfrom(100)[0].decode())"
        wait
        [ "$output" = "echo:ping" ]
}

@test "ports: ranges H1-H2:C1-C2" {
        local h
        h=$(free_port)
        "$BOX" run --rm --init -p "$h-$((h + 1)):8001-8002" busybox sh -c 'mkdir /a /b; echo one >/a/index.html; echo two >/b/index.html; httpd -p 8001 -h /a; exec httpd -f -p 8002 -h /b' 3>&- &
        wait_http "$h"
        wait_http "$((h + 1))"
        run curl -s -m 3 "http://127.0.0.1:$h/"
        [ "$output" = "one" ]
        run curl -s -m 3 "http://127.0.0.1:$((h + 1))/"
        [ "$output" = "two" ]
        kill %1
        wait
}

@test "ports: -P publishes every EXPOSEd port on a free one" {
        "$BOX" import -c 'EXPOSE 80/tcp' -c 'EXPOSE 9000/udp' "$BUSYBOX_TAR" exposed >/dev/null
        "$BOX" run --rm --init --name pall -P exposed sh -c 'mkdir /w; echo all >/w/index.html; exec httpd -f -p 80 -h /w' 3>&- &
        local lines=""
        for _ in $(seq 50); do
                lines=$(box port pall 2>/dev/null) || true
                [ -n "$lines" ] && break
                sleep 0.1
        done
        [[ "$lines" == *"80/tcp -> 0.0.0.0:"* ]]
        [[ "$lines" == *"9000/udp -> 0.0.0.0:"* ]]
        local h
        h=$(box port pall 80 | sed 's/.*://')
        wait_http "$h"
        run curl -s -m 3 "http://127.0.0.1:$h/"
        [ "$output" = "all" ]
        kill %1
        wait
}

@test "ports: a host port in use fails before start: 'address already in use', 125, nothing left" {
        local h=""
        python3 -c "import socket,sys,time; s=socket.socket(); s.bind(('', 0)); s.listen(); print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(30)" >"$BATS_TEST_TMPDIR/port" 3>&- &
        local holder=$!
        for _ in $(seq 50); do
                h=$(cat "$BATS_TEST_TMPDIR/port")
                [ -n "$h" ] && break
                sleep 0.1
        done
        run box run --rm -p "$h:80" busybox echo started
        kill $holder
        wait $holder || true
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"address already in use"* ]]
        [[ "$output" != *started* ]]
        # two containers on one port: the second fails the same way
        start_httpd first 80 -p "$h:80"
        wait_http "$h"
        run box run --rm -p "$h:80" busybox echo started
        [ "$status" -eq 125 ]
        [[ "$output" == *"address already in use"* ]]
        run curl -s -m 3 "http://127.0.0.1:$h/"
        [ "$output" = "first" ]
        [ "$(ls "$BOX_ROOT/networks/bridge/leases" | wc -l)" -eq 1 ]
        [ "$(nft list map ip "$BOX_NETWORK_PREFIX" pub_any | grep -o 'tcp \. [0-9]* :' | wc -l)" -eq 1 ]
        kill $BOXPID
        wait
}

@test "ports: each bad -p is a one-line error naming it, exit 125, nothing set up" {
        for bad in 0:80 80:0 70000 abc 80/sctp 1.2.3:80:80 '::1:80:80' 8000-8001:90-92 '[::1]80' '' 90-80 "$(printf '80\n81')"; do
                run box run --rm -p "$bad" busybox true
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == *"invalid port specification"* ]]
        done
        [ ! -d "$BOX_ROOT/networks" ]
        [ "$(ls "$BOX_ROOT/containers" 2>/dev/null | grep -vc '^\.')" -eq 0 ]
}

# Can the host bind TCP port $1 (is it free)?  (A function, not "! cmd",
# which bats does not count as a failure.)
port_free() {
        python3 -c 'import socket, sys; s = socket.socket(); s.bind(("", int(sys.argv[1])))' "$1" 2>/dev/null
}
port_taken() {
        if port_free "$1"; then return 1; fi
}
# Is no DNAT element left for host port $1?
port_unpublished() {
        run nft list map ip "$BOX_NETWORK_PREFIX" pub_any
        [[ "$output" != *". $1 :"* ]]
}

@test "ports: --restart on-failure:N keeps the port published and held; the last exit gives it all back" {
        local h id n
        h=$(free_port)
        # each run serves its own start time, then fails
        id=$(box run -d --restart on-failure:2 -p "$h:80" busybox sh -c \
                'mkdir -p /w; cat /proc/uptime >/w/index.html; httpd -p 80 -h /w; sleep 4; exit 3')
        declare -A seen=()
        for _ in $(seq 300); do
                n=$(box inspect -f '{{.RestartCount}} {{.State.Status}}' "$id")
                [ "$n" = "2 exited" ] && break
                if [ "${n#* }" = running ] && body=$(curl -s -m 1 "http://127.0.0.1:$h/"); then
                        seen[$body]=1
                        # the monitor holds the host port while the container
                        # lives, and between its runs; free only once the last
                        # run ended (which may be just after the curl)
                        port_taken "$h" ||
                                [ "$(box inspect -f '{{.RestartCount}} {{.State.Status}}' "$id")" = "2 exited" ]
                fi
                sleep 0.1
        done
        [ "$n" = "2 exited" ]
        # inspect says exited once its monitor has released what it held
        # (and so does box wait, as docker wait)
        run box wait "$id"
        [ "$output" = 3 ]
        run box inspect -f '{{.State.ExitCode}}' "$id"
        [ "$output" = 3 ]
        # served by the first run and by both restarts, on the same port
        [ "${#seen[@]}" -eq 3 ]
        # after the final exit: no rule, lease, veth or socket left
        port_unpublished "$h"
        [ -z "$(ls "$BOX_ROOT/networks/bridge/leases")" ]
        # the kernel removes a veth in the background: waited for
        no_veths
        port_free "$h"
        box rm "$id" >/dev/null
}

# free_ports N: the first of N consecutive ports free for TCP and UDP
free_ports() {
        python3 -c '
import random, socket, sys
n = int(sys.argv[1])
while True:
    p = random.randrange(20000, 32000 - n)
    try:
        for q in range(p, p + n):
            for t in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = socket.socket(socket.AF_INET, t); s.bind(("", q)); s.close()
        print(p); break
    except OSError:
        pass' "$1"
}

@test "ports: once inspect says exited, its ports, rules and lease are free at once, as Docker's daemon releases them before it records the stop" {
        local h id s round
        # 100 TCP and 100 UDP ports: a clean-up slow enough that a reader
        # polling inspect would see "exited" before it ended (each round
        # failed on main)
        for round in 1 2 3; do
                h=$(free_ports 100)
                id=$(box run -d -p "$h-$((h + 99)):$h-$((h + 99))" -p "$h-$((h + 99)):$h-$((h + 99))/udp" \
                        busybox sh -c 'sleep 0.3; exit 3')
                for _ in $(seq 3000); do
                        s=$(box inspect -f '{{.State.Status}}' "$id")
                        [ "$s" = exited ] && break
                done
                [ "$s" = exited ]
                # at once: the lease, the DNAT elements and the sockets
                [ -z "$(ls "$BOX_ROOT/networks/bridge/leases")" ]
                port_unpublished "$h"
                port_unpublished "$((h + 99))"
                port_free "$h"
                port_free "$((h + 50))"
                # and a new container takes the same port
                run box run --rm -p "$h:80" busybox true
                [ "$status" -eq 0 ]
                run box inspect -f '{{.State.ExitCode}} {{.State.Running}} {{.State.Pid}}' "$id"
                [ "$output" = "3 false 0" ]
                # FinishedAt is the container's exit, not the clean-up's end
                run box inspect -f '{{.State.StartedAt}} {{.State.FinishedAt}}' "$id"
                python3 - "${lines[0]}" <<'PY'
import sys, datetime
def t(s):
    d, f = s.rstrip("Z").split(".")
    return datetime.datetime.fromisoformat(d).timestamp() + float("0." + f)
a, b = sys.argv[1].split()
assert 0.3 <= t(b) - t(a) < 5, (a, b)
PY
                box rm "$id" >/dev/null
        done
        no_veths
}

@test "ports: box rm -f of a restarting container gives its port, rules and lease back" {
        local h id
        h=$(free_port)
        id=$(box run -d --restart always -p "$h:80" busybox sh -c 'sleep 1; exit 1')
        for _ in $(seq 50); do
                [ "$(box inspect -f '{{.RestartCount}}' "$id")" -ge 1 ] && break
                sleep 0.1
        done
        port_taken "$h"
        box rm -f "$id" >/dev/null
        port_unpublished "$h"
        [ -z "$(ls "$BOX_ROOT/networks/bridge/leases")" ]
        # the kernel removes a veth in the background: waited for
        no_veths
        for _ in $(seq 20); do port_free "$h" && break; sleep 0.1; done
        port_free "$h"
}

@test "ports: hairpin: a container reaches its own and a neighbour's published port on the host's address" {
        local h hip
        h=$(free_port)
        hip=$(host_ip)
        start_httpd hello-hairpin 80 --name web -p "$h:80"
        wait_http "$h"
        # a neighbour on the same network, through the host's DNAT (and the
        # masquerade that brings the reply back through the host)
        # (no wget -T: busybox's wget dies of SIGSEGV with it)
        run timeout 10 "$BOX" run --rm busybox wget -q -O - "http://$hip:$h/"
        [ "$status" -eq 0 ]
        [ "$output" = "hello-hairpin" ]
        # the server itself, to its own published port: where br_netfilter
        # is loaded (bridge-nf-call-iptables, as on this host), the DNATed
        # packet is bridged back out of the port it came in by, which the
        # bridge refuses unless the port is in hairpin mode
        run timeout 10 "$BOX" exec web wget -q -O - "http://$hip:$h/"
        [ "$status" -eq 0 ]
        [ "$output" = "hello-hairpin" ]
        kill $BOXPID
        wait $BOXPID || true
}

@test "ports: a container cannot reach the host's 127.0.0.1-only services through its gateway (CVE-2020-8558)" {
        # route_localnet on box's bridge lets 127.0.0.1 through for -p
        # 127.0.0.1:H:C; a SYN made by hand to 127.0.0.1 and sent to the
        # gateway's MAC must still find nothing listening
        local p
        p=$(free_port)
        python3 -c '
import socket, sys, time
ls = []
for a, p in (("127.0.0.1", int(sys.argv[1])), ("0.0.0.0", int(sys.argv[1]) + 1)):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, p)); s.listen(8); ls.append(s)
time.sleep(60)' "$p" 3>&- &
        local srv=$!
        local run=(box run --rm --rootfs / --read-only --cap-add NET_RAW
                -v "$BATS_TEST_DIRNAME/net-rawsyn.py:/rawsyn.py:ro" python3 /rawsyn.py)
        # the check itself works: the same SYN to the gateway's own address,
        # where the host listens on every address, is answered
        for _ in $(seq 50); do
                ss -ltn "sport = :$((p + 1))" | grep -q LISTEN && break
                sleep 0.1
        done
        run "${run[@]}" gateway "$((p + 1))"
        [ "$output" = "synack" ]
        run "${run[@]}" 127.0.0.1 "$p"
        kill $srv
        wait $srv || true
        [ "$status" -eq 0 ]
        [ "$output" = "none" ]
}
