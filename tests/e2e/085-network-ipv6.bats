#!/usr/bin/env bats
# IPv6: dual-stack networks (--ipv6), a container's IPv6 address, route and
# /etc/hosts line, the members' names over IPv6, --ip6, macvlan with IPv6,
# -p on [::] and on an IPv6 host address by ip6 DNAT (from another host: a
# network namespace behind a veth with IPv6 addresses the test gives it),
# UDP over IPv6, box port's two lines, outbound masquerade, clashes, bad
# forms, and the host's rules and links as they were.
load net-helpers

setup_file() {
        net_setup_file
        cc -static -O2 -o "$BATS_FILE_TMPDIR/udpecho" "$BATS_TEST_DIRNAME/net-udpecho.c"
        cc -static -O2 -o "$BATS_FILE_TMPDIR/tcpget" "$BATS_TEST_DIRNAME/net-tcpget.c" 2>/dev/null
        # a /48 of unique local addresses of this file's own, and one of the
        # documentation prefix (RFC 3849) for a host address
        export V6P
        V6P=$(printf 'fd%02x:%x:%x' $((RANDOM % 256)) $((RANDOM + 1)) $((RANDOM + 1)))
        export DOC6
        DOC6=$(printf '2001:db8:%x' $((RANDOM + 1)))
}
teardown_file() { net_teardown_file; }
setup() { net_setup; }
teardown() {
        # whatever a failed test left running in the remote host (it would
        # hold bats' output open), then the namespace
        ip netns pids "${BOX_NETWORK_PREFIX}r" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "${BOX_NETWORK_PREFIX}r" 2>/dev/null || true
        ip link del "${BOX_NETWORK_PREFIX}v" 2>/dev/null || true
        net_teardown
        ip link del "${BOX_NETWORK_PREFIX}m" 2>/dev/null || true
}

# A "remote host": namespace ${BOX_NETWORK_PREFIX}r behind veth
# ${BOX_NETWORK_PREFIX}v, with $V6P:ff::1 here and $V6P:ff::2 there (and
# $DOC6::1 / $DOC6::2), no route but its own links'.
remote_host() {
        local ns="${BOX_NETWORK_PREFIX}r" v="${BOX_NETWORK_PREFIX}v"
        ip netns add "$ns"
        ip link add "$v" type veth peer name eth0 netns "$ns"
        ip addr add "$V6P:ff::1/64" dev "$v" nodad
        ip addr add "$DOC6::1/64" dev "$v" nodad
        ip link set "$v" up
        ip -n "$ns" addr add "$V6P:ff::2/64" dev eth0 nodad
        ip -n "$ns" addr add "$DOC6::2/64" dev eth0 nodad
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
}
in_remote() { ip netns exec "${BOX_NETWORK_PREFIX}r" "$@"; }

# busybox httpd answering "$1" on port 80 in a container run in the
# background with the remaining arguments; its box's pid in $BOXPID.
start_httpd() {
        local body=$1
        shift
        "$BOX" run --rm --init "$@" busybox sh -c "mkdir -p /w && echo $body >/w/index.html && exec httpd -f -p 80 -h /w" 3>&- &
        BOXPID=$!
}

# The lines of container $1's /etc/hosts that name $2.
hosts_of() { box exec "$1" cat /etc/hosts | awk -v n="$2" '{for (i = 2; i <= NF; i++) if ($i == n) print $1}'; }

# Waits until "box port $1" shows $2 lines.
wait_ports() {
        for _ in $(seq 300); do
                [ "$(box port "$1" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
                sleep 0.1
        done
        return 1
}

# Waits until $1 (a URL, curl -g) answers from the remote host.
wait_remote_http() {
        for _ in $(seq 300); do
                in_remote curl -s -g -m 1 -o /dev/null "$1" && return 0
                sleep 0.1
        done
        return 1
}

@test "ipv6: network create --ipv6 picks a unique local /64; containers get an address, a route and a hosts line" {
        run box network create --ipv6 n6
        [ "$status" -eq 0 ]
        run box network inspect n6
        [[ "$output" == *'"EnableIPv6": true'* ]]
        [[ "$output" =~ \"Subnet\":\ \"fd[0-9a-f]{2}:[0-9a-f:]+::/64\" ]]
        # a subnet of our own, a gateway in it
        run box network create --ipv6 --subnet "10.$NET_T.0/24" --subnet "$V6P:1::/64" --gateway "$V6P:1::fe" m6
        [ "$status" -eq 0 ]
        run box run --rm --network m6 --name c1 busybox sh -c 'ip -6 addr show dev eth0 scope global; ip -6 route show default; grep c1 /etc/hosts'
        [ "$status" -eq 0 ]
        [[ "$output" == *"inet6 $V6P:1::1/64 scope global"* ]]
        [[ "$output" == *"default via $V6P:1::fe dev eth0"* ]]
        [[ "$output" == *"10.$NET_T.2"$'\t'*"c1"* ]]
        [[ "$output" == *"$V6P:1::1"$'\t'*"c1"* ]]
        # the address is usable at once (no duplicate address detection),
        # and the gateway answers
        run box run --rm --network m6 --cap-add NET_RAW busybox ping -c 1 -W 2 "$V6P:1::fe"
        [ "$status" -eq 0 ]
        # two containers at once: two addresses, never one twice
        "$BOX" run --rm --network m6 --name ca busybox sleep 3 3>&- &
        "$BOX" run --rm --network m6 --name cb busybox sleep 3 3>&- &
        local ips=""
        for _ in $(seq 300); do
                ips=$(ls "$BOX_ROOT/networks/m6/leases" | grep -c :) || true
                [ "$ips" -eq 2 ] && break
                sleep 0.1
        done
        [ "$ips" -eq 2 ]
        run box inspect --format '{{.NetworkSettings.GlobalIPv6Address}}' ca cb
        [ "${lines[0]}" != "${lines[1]}" ]
        [[ "${lines[0]}" == "$V6P:1::"* ]]
        [[ "${lines[1]}" == "$V6P:1::"* ]]
        wait
        # the leases went with them
        [ -z "$(ls "$BOX_ROOT/networks/m6/leases")" ]
}

@test "ipv6: -p H:C publishes on 0.0.0.0 and [::]: reached from another host over IPv6 and on 127.0.0.1" {
        # (an IPv4 subnet of the test's own in each: box's automatic one is the
        # first free /24 of 10.78.0.0/16, which another store on the host can
        # pick too before either has a bridge up, and the later start fails)
        box network create --ipv6 --subnet "$(subnet 2)" --subnet "$V6P:2::/64" n6
        remote_host
        local h
        h=$(free_port)
        start_httpd hello-v6 --name web --network n6 -p "$h:80"
        wait_http "$h"
        wait_remote_http "http://[$V6P:ff::1]:$h/"
        run in_remote curl -s -g -m 3 "http://[$V6P:ff::1]:$h/"
        [ "$output" = "hello-v6" ]
        run curl -s -m 3 "http://127.0.0.1:$h/"
        [ "$output" = "hello-v6" ]
        # the host's own IPv6 address: DNAT in output
        run curl -s -g -m 3 "http://[$V6P:ff::1]:$h/"
        [ "$output" = "hello-v6" ]
        # no proxy: box holds the ports bound on both families, none listens
        ! ss -ltn "sport = :$h" | grep -q LISTEN || false
        run box port web
        [ "${lines[0]}" = "80/tcp -> 0.0.0.0:$h" ]
        [ "${lines[1]}" = "80/tcp -> [::]:$h" ]
        [ "${#lines[@]}" -eq 2 ]
        run box port web 80
        [ "$output" = "0.0.0.0:$h"$'\n'"[::]:$h" ]
        run box ps --format '{{.Ports}}' --filter name=web
        [ "$output" = "0.0.0.0:$h->80/tcp, [::]:$h->80/tcp" ]
        run box inspect --format '{{json .NetworkSettings.Ports}}' web
        [ "$output" = "{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"$h\"},{\"HostIp\":\"::\",\"HostPort\":\"$h\"}]}" ]
        # [::1] cannot be DNATed (no route_localnet for IPv6): refused at
        # once by box's held socket, never left to hang
        run curl -s -g -m 3 "http://[::1]:$h/"
        [ "$status" -eq 7 ]
        nft list map ip6 "$BOX_NETWORK_PREFIX" pub_any | grep -q "tcp . $h : $V6P:2::"
        kill $BOXPID
        wait $BOXPID || true
        # its rules went with it
        ! nft list map ip6 "$BOX_NETWORK_PREFIX" pub_any | grep -q ". $h :" || false
        ! nft list map ip "$BOX_NETWORK_PREFIX" pub_any | grep -q ". $h :" || false
}

@test "ipv6: -p [ADDR]:H:C and -p [::]:H:C publish on IPv6 only; -p IP::C takes an ephemeral port" {
        box network create --ipv6 --subnet "$(subnet 3)" --subnet "$V6P:3::/64" n6
        remote_host
        local h h2
        h=$(free_port)
        h2=$((h + 1))
        start_httpd hello-addr --name web --network n6 -p "[$DOC6::1]:$h:80" -p "[::]:$h2:80" -p "[$DOC6::1]::80"
        wait_ports web 3
        wait_remote_http "http://[$DOC6::1]:$h/"
        run in_remote curl -s -g -m 3 "http://[$DOC6::1]:$h/"
        [ "$output" = "hello-addr" ]
        run in_remote curl -s -g -m 3 "http://[$DOC6::1]:$h2/"
        [ "$output" = "hello-addr" ]
        # that address only: not the other IPv6 address of the host
        run in_remote curl -s -g -m 2 "http://[$V6P:ff::1]:$h/"
        [ "$output" != "hello-addr" ]
        # IPv6 only: nothing on IPv4
        run curl -s -m 2 "http://127.0.0.1:$h2/"
        [ "$output" != "hello-addr" ]
        run box port web
        [ "${lines[0]}" = "80/tcp -> [$DOC6::1]:$h" ]
        [ "${lines[1]}" = "80/tcp -> [::]:$h2" ]
        [[ "${lines[2]}" =~ ^80/tcp\ -\>\ \[$DOC6::1\]:([0-9]+)$ ]]
        local r=${BASH_REMATCH[1]}
        [ "$r" -ge 32768 ]
        [ "$r" -le 60999 ]
        run in_remote curl -s -g -m 3 "http://[$DOC6::1]:$r/"
        [ "$output" = "hello-addr" ]
        kill $BOXPID
        wait $BOXPID || true
}

@test "ipv6: UDP over IPv6 from another host" {
        box network create --ipv6 --subnet "$(subnet 4)" --subnet "$V6P:4::/64" n6
        remote_host
        local h
        h=$(free_port)
        "$BOX" run --rm --network n6 -v "$BATS_FILE_TMPDIR/udpecho:/udpecho:ro" -p "$h:5353/udp" busybox /udpecho 5353 2 6 >"$BATS_TEST_TMPDIR/out" 3>&- &
        for _ in $(seq 300); do grep -q ready "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
        run in_remote python3 -c "
import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b'ping6', ('$V6P:ff::1', $h)); print(s.recvfrom(100)[0].decode())"
        [ "$output" = "echo:ping6" ]
        # and the IPv4 side of the same -p
        run python3 -c "
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b'ping4', ('127.0.0.1', $h)); print(s.recvfrom(100)[0].decode())"
        [ "$output" = "echo:ping4" ]
        wait
}

@test "ipv6: a container reaches another host over IPv6, masqueraded" {
        box network create --ipv6 --subnet "$(subnet 5)" --subnet "$V6P:5::/64" n6
        remote_host
        local p
        p=$(free_port)
        mkdir -p "$BATS_TEST_TMPDIR/www"
        echo outbound-v6 >"$BATS_TEST_TMPDIR/www/index.html"
        # ip netns exec execs python: $! is the server itself
        ip netns exec "${BOX_NETWORK_PREFIX}r" python3 -m http.server "$p" --bind "$V6P:ff::2" \
                --directory "$BATS_TEST_TMPDIR/www" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/log" 3>&- &
        local srv=$!
        for _ in $(seq 300); do in_remote curl -s -g -m 1 -o /dev/null "http://[$V6P:ff::2]:$p/" && break; sleep 0.1; done
        # the remote host has no route to the container's subnet: the answer
        # comes back only to the host's address
        run box run --rm --network n6 busybox wget -q -O - "http://[$V6P:ff::2]:$p/"
        kill $srv
        wait $srv || true
        [ "$output" = "outbound-v6" ]
        grep -q "$V6P:ff::1" "$BATS_TEST_TMPDIR/log"
}

@test "ipv6: a port taken on [::] fails before start, with nothing left behind" {
        box network create --ipv6 --subnet "$(subnet 6)" --subnet "$V6P:6::/64" n6
        local h
        h=$(free_port)
        # someone else holds [::]:H, on IPv6 only
        python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(('::', $h)); s.listen(); print('ready', flush=True); time.sleep(30)" </dev/null >"$BATS_TEST_TMPDIR/holder" 2>&1 3>&- &
        local holder=$!
        for _ in $(seq 300); do grep -q ready "$BATS_TEST_TMPDIR/holder" && break; sleep 0.1; done
        run box run --rm --network n6 -p "$h:80" busybox true
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"cannot publish [::]:$h/tcp: address already in use"* ]]
        run box run --rm --network n6 -p "[::]:$h:80" busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"cannot publish [::]:$h/tcp: address already in use"* ]]
        # its IPv4 side was let go, and no lease, no link, no rule stays
        python3 -c "import socket; s = socket.socket(); s.bind(('0.0.0.0', $h))"
        [ -z "$(ls "$BOX_ROOT/networks/n6/leases" 2>/dev/null)" ]
        ! nft list map ip6 "$BOX_NETWORK_PREFIX" pub_any 2>/dev/null | grep -q ". $h :" || false
        ! nft list map ip "$BOX_NETWORK_PREFIX" pub_any 2>/dev/null | grep -q ". $h :" || false
        # an IPv4-only network still publishes H on IPv4: [::] is not its
        run box run --rm -p "$h:80" busybox true
        [ "$status" -eq 0 ]
        kill $holder
        wait $holder || true
}

@test "ipv6: bad -p forms and bad networks are one-line errors, exit 125, nothing set up" {
        local out
        # an IPv6 host address on an IPv4-only network names the -p value
        run box run --rm -p "[$DOC6::1]:8080:80" busybox true
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: invalid -p '[$DOC6::1]:8080:80': network 'bridge' has no IPv6 (box network create --ipv6)" ]
        run box run --rm -p "[::]:8080:80/udp" busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid -p '[::]:8080:80/udp'"* ]]
        # [::1]: why it cannot be, and no container made
        run box run --rm --name never -p "[::1]:8080:80" busybox true
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"'[::1]:8080:80': IPv6 has no route_localnet"* ]]
        run box inspect never
        [ "$status" -ne 0 ]
        for bad in "[::ffff:127.0.0.1]:80:80" "[$DOC6::g]:80:80" "$DOC6::1:80:80" "[::]80:80"; do
                run box run --rm -p "$bad" busybox true
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == *"invalid port specification"* ]]
        done
        # networks
        run box network create --subnet "$V6P:7::/64" x6
        [ "$status" -eq 125 ]
        [[ "$output" == *"--subnet '$V6P:7::/64' is IPv6: it needs --ipv6"* ]]
        run box network create --ipv6 --subnet "$V6P:7::1/64" x6
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid --subnet '$V6P:7::1/64'"* ]]
        run box network create --ipv6 --subnet "$V6P:7::/8" x6
        [ "$status" -eq 125 ]
        run box network create --ipv6 --subnet "$V6P:7::/64" --gateway "$V6P:8::1" x6
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid --gateway '$V6P:8::1'"* ]]
        run box network create --ipv6 --subnet "$V6P:7::/64" --subnet "$V6P:9::/64" x6
        [ "$status" -eq 125 ]
        [[ "$output" == *"--subnet given twice for IPv6"* ]]
        # a subnet that overlaps a route of the host, or another network
        remote_host
        run box network create --ipv6 --subnet "$V6P:ff::/64" x6
        [ "$status" -eq 125 ]
        [[ "$output" == *"overlaps the host's route '$V6P:ff::/64 dev ${BOX_NETWORK_PREFIX}v'"* ]]
        box network create --ipv6 --subnet "$V6P:7::/64" y6
        run box network create --ipv6 --subnet "$V6P:7:1::/80" x6
        [ "$status" -eq 125 ]
        [[ "$output" == *"overlaps network 'y6'"* ]]
        run box network ls
        [[ "$output" != *x6* ]]
        run box network create --ipv6 -d macvlan x6
        [ "$status" -eq 125 ]
        [[ "$output" == *"a macvlan network needs -o parent=LINK"* ]]
}

@test "ipv6: after box is killed, box rm gives back the IPv6 lease, the ip6 rules and the hosts lines" {
        box network create --ipv6 --subnet "$(subnet 11)" --subnet "$V6P:b::/64" n6
        # a member that sees the victim's names come and go
        box run -d --name watch --network n6 busybox sleep 60 >/dev/null
        # --rm: box itself is the container's parent (without, it runs under its
        # monitor and outlives its box, as Docker's)
        "$BOX" run --rm --name victim --network n6 -p "[::]::80" -p "$(free_port):81" busybox sleep 30 3>&- &
        local pid=$!
        for _ in $(seq 300); do
                [ "$(nft list map ip6 "$BOX_NETWORK_PREFIX" pub_any 2>/dev/null | grep -c "$V6P:b::")" -eq 2 ] && break
                sleep 0.1
        done
        [ "$(nft list map ip6 "$BOX_NETWORK_PREFIX" pub_any | grep -c "$V6P:b::")" -eq 2 ]
        kill -9 $pid
        wait $pid || true
        [ "$(ls "$BOX_ROOT/networks/n6/leases" | grep -c :)" -eq 2 ]
        run hosts_of watch victim
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[1]}" == "$V6P:b::"* ]]
        run box rm victim
        [ "$status" -eq 0 ]
        ! nft list map ip6 "$BOX_NETWORK_PREFIX" pub_any | grep -q "$V6P:b::" || false
        ! nft list map ip "$BOX_NETWORK_PREFIX" pub_any | grep -q ". 81" || false
        run hosts_of watch victim
        [ -z "$output" ]
        # only the watcher's two leases are left
        [ "$(ls "$BOX_ROOT/networks/n6/leases" | wc -l)" -eq 2 ]
        box rm -f watch >/dev/null
        [ -z "$(ls "$BOX_ROOT/networks/n6/leases")" ]
        # and the network goes, its bridge with it
        box network rm n6
        [ -z "$(ip -br link | awk -v p="${BOX_NETWORK_PREFIX}-" 'index($1, p) == 1')" ]
}

@test "ipv6: the default bridge is IPv4 only unless BOX_BRIDGE_SUBNET6 makes it dual-stack" {
        run box run --rm busybox sh -c 'ip -6 addr show dev eth0 scope global | grep -c inet6'
        [ "$output" = "0" ]
        box network prune -f >/dev/null
        box_teardown_store
        box_setup_store
        import_busybox
        run env BOX_BRIDGE_SUBNET6=fd00::1/64 "$BOX" run --rm busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid BOX_BRIDGE_SUBNET6 'fd00::1/64'"* ]]
        export BOX_BRIDGE_SUBNET6="$V6P:a::/64"
        run box run --rm busybox sh -c 'ip -6 addr show dev eth0 scope global; ip -6 route show default'
        [[ "$output" == *"inet6 $V6P:a::2/64"* ]]
        [[ "$output" == *"default via $V6P:a::1"* ]]
        run box network inspect bridge
        [[ "$output" == *'"EnableIPv6": true'* ]]
}

# A busybox httpd answering "$1" on port 80 of its own IPv6 address only
# (not on IPv4), for `box run -d` with the other arguments.
v6_httpd() {
        local body=$1
        shift
        box run -d --init "$@" busybox sh -c "mkdir -p /w && echo $body >/w/index.html &&
                a=\$(ip -6 -o addr show dev eth0 scope global | awk '{sub(\"/.*\", \"\", \$4); print \$4}') &&
                exec httpd -f -p \"[\$a]:80\" -h /w" >/dev/null
}


@test "ipv6: members resolve each other by name and alias over IPv6; the lines come and go with them" {
        box network create --ipv6 --subnet "$(subnet 20)" --subnet "$V6P:20::/64" n6 >/dev/null
        v6_httpd only-v6 --name srv --network n6 --network-alias web --cap-add NET_RAW
        local tg="$BATS_FILE_TMPDIR/tcpget:/tcpget:ro"
        for _ in $(seq 300); do
                box exec srv sh -c 'netstat -ltn | grep -q ":80 "' 2>/dev/null && break
                sleep 0.1
        done
        # by name and by alias, over IPv6: ping, and a program that asks for
        # IPv6 (as curl -6 does) reaching a server that listens on IPv6 only
        run box run --rm --network n6 --cap-add NET_RAW -v "$tg" busybox sh -c '
                ping -6 -c1 -W2 srv >/dev/null && echo ping-srv
                ping -6 -c1 -W2 web >/dev/null && echo ping-web
                /tcpget srv 80 6 2>&1 | grep -E "^via|only-v6"
                /tcpget web 80 6 2>/dev/null | tail -1
                # IPv4 is refused: the server is on IPv6 only
                wget -q -O - http://srv/ 2>/dev/null || echo v4-refused
                # a C library that reads every line (glibc with multi on) tries IPv6 first
                echo "multi on" >/etc/host.conf
                /tcpget srv 80 2>&1 | grep -E "^via"'
        [ "${lines[0]}" = "ping-srv" ]
        [ "${lines[1]}" = "ping-web" ]
        [[ "${lines[2]}" == "via $V6P:20::"* ]]
        [ "${lines[3]}" = "only-v6" ]
        [ "${lines[4]}" = "only-v6" ]
        [ "${lines[5]}" = "v4-refused" ]
        [[ "${lines[6]}" == "via $V6P:20::"* ]]
        [ "${#lines[@]}" -eq 7 ]
        # a member's own host name resolves to its IPv6 address too
        run box run --rm --network n6 --hostname myhost --cap-add NET_RAW busybox ping -6 -c1 -W2 myhost
        [ "$status" -eq 0 ]
        [[ "$output" == *"PING myhost ($V6P:20::"* ]]
        # the server learns a newcomer's two addresses, and forgets both when it goes
        box run -d --name cli --network n6 --network-alias cli-alias busybox sleep 60 >/dev/null
        local ip4 ip6
        ip4=$(box inspect --format '{{.NetworkSettings.IPAddress}}' cli)
        ip6=$(box inspect --format '{{.NetworkSettings.GlobalIPv6Address}}' cli)
        run hosts_of srv cli-alias
        [ "$output" = "$ip4"$'\n'"$ip6" ]
        run box exec srv ping -6 -c1 -W2 cli
        [ "$status" -eq 0 ]
        # and the newcomer has the server's two lines
        run hosts_of cli web
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[0]}" == "$(prefix 20)"* ]]
        [[ "${lines[1]}" == "$V6P:20::"* ]]
        run box network inspect n6
        [[ "$output" == *"\"IPv6Address\": \"$ip6/64\""* ]]
        [[ "$output" == *"\"IPv4Address\": \"$ip4/24\""* ]]
        box rm -f cli >/dev/null
        run hosts_of srv cli
        [ -z "$output" ]
        box rm -f srv >/dev/null
}

@test "ipv6: network connect and disconnect add and remove a member's IPv6 line" {
        box network create --ipv6 --subnet "$(subnet 21)" --subnet "$V6P:21::/64" n6 >/dev/null
        box network create --subnet "$(subnet 22)" v4only >/dev/null
        box run -d --name aa --network n6 --cap-add NET_RAW busybox sleep 60 >/dev/null
        box run -d --name bb --network v4only busybox sleep 60 >/dev/null
        box network connect --alias bee n6 bb
        local ip6
        ip6=$(box inspect --format '{{(index .NetworkSettings.Networks "n6").GlobalIPv6Address}}' bb)
        [[ "$ip6" == "$V6P:21::"* ]]
        run hosts_of aa bee
        [ "${#lines[@]}" -eq 2 ]
        [ "${lines[1]}" = "$ip6" ]
        run box exec aa ping -6 -c1 -W2 bee
        [ "$status" -eq 0 ]
        [[ "$output" == *"($ip6)"* ]]
        # and bb has aa's two lines
        run hosts_of bb aa
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[1]}" == "$V6P:21::"* ]]
        box network disconnect n6 bb
        run hosts_of aa bee
        [ -z "$output" ]
        run hosts_of bb aa
        [ -z "$output" ]
        # the lease went with it
        ! ls "$BOX_ROOT/networks/n6/leases" | grep -qx "$ip6" || false
        box rm -f aa bb >/dev/null
}

@test "ipv6: --ip6 gives the address asked for, with --ip too; run, create and network connect" {
        box network create --ipv6 --subnet "$(subnet 23)" --subnet "$V6P:23::/64" n6 >/dev/null
        box network create --subnet "$(subnet 24)" v4only >/dev/null
        # a spelling that is not the canonical one names the same address
        run box run --rm --network n6 --ip6 "$V6P:23:0:0::2" --ip "$(prefix 23)77" busybox \
                sh -c 'ip -o addr show dev eth0 scope global; grep "^'"$V6P"':23" /etc/hosts'
        [ "$status" -eq 0 ]
        [[ "$output" == *"inet $(prefix 23)77/24"* ]]
        [[ "$output" == *"inet6 $V6P:23::2/64"* ]]
        [[ "$output" == *"$V6P:23::2"$'\t'* ]]
        # held by a running container: the pool hands out the next, --ip6 of it fails
        box run -d --name fixed --network n6 --ip6 "$V6P:23::2" busybox sleep 60 >/dev/null
        run box run --rm --network n6 busybox sh -c 'ip -6 -o addr show dev eth0 scope global'
        [[ "$output" == *"inet6 $V6P:23::3/64"* ]]
        run box run --rm --name dup --network n6 --ip6 "$V6P:23::2" busybox true
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: network 'n6': address '$V6P:23::2' is already in use" ]
        [ "$(ls "$BOX_ROOT/networks/n6/leases" | wc -l)" -eq 2 ]
        run box inspect dup
        [ "$status" -ne 0 ]
        # create records it, start takes it
        box create --name cr --network n6 --ip6 "$V6P:23::ab" busybox sleep 60 >/dev/null
        box start cr
        run box inspect --format '{{.NetworkSettings.GlobalIPv6Address}}' cr
        [ "$output" = "$V6P:23::ab" ]
        # what was asked for, as Docker shows it
        run box inspect --format '{{json (index .NetworkSettings.Networks "n6").IPAMConfig}}' cr
        [ "$output" = "{\"IPv6Address\":\"$V6P:23::ab\"}" ]
        # and after a restart
        box restart -t 0 cr
        run box exec cr sh -c 'ip -6 -o addr show dev eth0 scope global'
        [[ "$output" == *"inet6 $V6P:23::ab/64"* ]]
        # network connect --ip6 on a running container
        box run -d --name other --network v4only busybox sleep 60 >/dev/null
        box network connect --ip6 "$V6P:23::cd" n6 other
        run box exec other sh -c 'ip -6 -o addr show dev eth1 scope global'
        [[ "$output" == *"inet6 $V6P:23::cd/64"* ]]
        box rm -f fixed cr other >/dev/null
        [ -z "$(ls "$BOX_ROOT/networks/n6/leases")" ]
}

@test "ipv6: bad --ip6 values are one-line errors, exit 125, no container, no lease" {
        box network create --ipv6 --subnet "$(subnet 25)" --subnet "$V6P:25::/64" --gateway "$V6P:25::fe" n6 >/dev/null
        box network create --subnet "$(subnet 26)" v4only >/dev/null
        local cases=(
                "--ip6 $V6P:25::5|--ip6 works only on a user network"
                "--network none --ip6 $V6P:25::5|--ip6 works only on a user network"
                "--network host --ip6 $V6P:25::5|--ip6 works only on a user network"
                "--network v4only --ip6 $V6P:25::5|--ip6 '$V6P:25::5': network 'v4only' has no IPv6 (box network create --ipv6)"
                "--network n6 --ip6 $V6P:26::5|--ip6 '$V6P:26::5' is not in the subnet '$V6P:25::/64' of network 'n6'"
                "--network n6 --ip6 $V6P:25::fe|--ip6 '$V6P:25::fe' is the gateway of network 'n6'"
                "--network n6 --ip6 $V6P:25::|--ip6 '$V6P:25::' is the subnet-router anycast address of network 'n6'"
                "--network n6 --ip6 $(prefix 25)5|invalid --ip6 '$(prefix 25)5': an IPv4 address is --ip's"
                "--network n6 --ip6 $V6P:25::zz|invalid --ip6 '$V6P:25::zz': not an IP address"
                "--network n6 --ip $V6P:25::5|invalid --ip '$V6P:25::5': an IPv6 address is --ip6's"
                "--network n6 --ip 10.255.255.5|--ip '10.255.255.5' is not a free address of network 'n6'"
                "--network nosuchnet --ip6 $V6P:25::5|network 'nosuchnet' not found"
        )
        local c args want
        for c in "${cases[@]}"; do
                args=${c%%|*}
                want=${c#*|}
                for cmd in run create; do
                        # shellcheck disable=SC2086
                        run box $cmd --name never $args busybox true
                        echo "$cmd $args: $output"
                        [ "$status" -eq 125 ]
                        [ "${lines[0]}" = "box: error: $want" ]
                        # (a usage error adds the "See --help" line)
                        [ "${#lines[@]}" -eq 1 ] || [[ "${lines[1]}" == "See 'box "*" --help'." ]]
                done
        done
        [ "$(ls "$BOX_ROOT/containers" | grep -vc '^\.')" -eq 0 ]
        [ -z "$(ls "$BOX_ROOT/networks/n6/leases" 2>/dev/null)" ]
        # network connect: the same checks, and nothing recorded
        box run -d --name cc --network v4only busybox sleep 60 >/dev/null
        run box network connect --ip6 "$V6P:25::fe" n6 cc
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: --ip6 '$V6P:25::fe' is the gateway of network 'n6'" ]
        run box network connect --ip6 "$V6P:25::5" v4only2 cc
        [ "$status" -eq 125 ]
        run box network connect --ip6 "$V6P:25::5" bridge cc
        [ "$status" -eq 125 ]
        [[ "$output" == *"--ip6 works only on user networks with IPv6, not on 'bridge'"* ]]
        run box inspect --format '{{.HostConfig.BoxNetworks}}' cc
        [[ "$output" != *n6* ]]
        run box exec cc ip link show eth1
        [ "$status" -ne 0 ]
        box rm -f cc >/dev/null
        [ -z "$(ls "$BOX_ROOT/networks/n6/leases" 2>/dev/null)" ]
}

@test "ipv6: a dual-stack macvlan network: addresses from its subnet, two containers talk over IPv6" {
        # (no dummy links on this kernel: one end of a veth pair is the parent)
        local par="${BOX_NETWORK_PREFIX}m"
        ip link add "$par" type veth peer name "${par}p"
        ip link set "$par" up
        ip link set "${par}p" up
        box network create -d macvlan --ipv6 --subnet "$(subnet 27)" --subnet "$V6P:27::/64" -o parent="$par" mac6 >/dev/null
        run box network inspect mac6
        [[ "$output" == *'"EnableIPv6": true'* ]]
        [[ "$output" == *"\"Subnet\": \"$V6P:27::/64\""* ]]
        v6_httpd over-macvlan-v6 --name mweb --network mac6
        run box inspect --format '{{.NetworkSettings.GlobalIPv6Address}} {{.NetworkSettings.IPv6Gateway}}' mweb
        [ "$output" = "$V6P:27::2 $V6P:27::1" ]
        for _ in $(seq 300); do
                box exec mweb sh -c 'netstat -ltn | grep -q ":80 "' 2>/dev/null && break
                sleep 0.1
        done
        # the address works at once (no duplicate address detection), with a
        # default route via the gateway; the other container by name over IPv6
        run box run --rm --network mac6 --ip6 "$V6P:27::99" --cap-add NET_RAW -v "$BATS_FILE_TMPDIR/tcpget:/tcpget:ro" busybox sh -c '
                ip -6 addr show dev eth0 scope global
                ip -6 route show default
                ping -6 -c1 -W2 mweb >/dev/null && echo ping-ok
                /tcpget mweb 80 6 2>/dev/null | tail -1'
        [ "$status" -eq 0 ]
        [[ "$output" == *"inet6 $V6P:27::99/64 scope global"* ]]
        [[ "$output" != *tentative* ]]
        [[ "$output" == *"default via $V6P:27::1 dev eth0"* ]]
        [[ "$output" == *"ping-ok"* ]]
        [ "${lines[-1]}" = "over-macvlan-v6" ]
        # no veth, no bridge, no rule of box's for it on the host
        [ -z "$(ip -br link | sed 's/@[^ ]*//' | awk -v p="$BOX_NETWORK_PREFIX" 'index($1, p) == 1 && $1 != p "m" && $1 != p "mp"')" ]
        ! nft list table ip6 "$BOX_NETWORK_PREFIX" >/dev/null 2>&1 || false
        box rm -f mweb >/dev/null
        [ -z "$(ls "$BOX_ROOT/networks/mac6/leases")" ]
        # no --subnet: a random unique local /64, as on a bridge
        box network create -d macvlan --ipv6 -o parent="$par" mac6b >/dev/null
        run box network inspect mac6b
        [[ "$output" =~ \"Subnet\":\ \"fd[0-9a-f]{2}:[0-9a-f:]+::/64\" ]]
        box network rm mac6 mac6b >/dev/null
        ip link del "$par"
}

@test "ipv6: --ip6 and the pool at once never give one address twice" {
        box network create --ipv6 --subnet "$(subnet 28)" --subnet "$V6P:28::/64" n6 >/dev/null
        local i
        # each --ip6 asks for an address the pool hands out first
        for i in 2 3 4 5 6; do
                "$BOX" run -d --name "f$i" --network n6 --ip6 "$V6P:28::$i" busybox sleep 60 >"$BATS_TEST_TMPDIR/f$i" 2>&1 3>&- &
                "$BOX" run -d --name "p$i" --network n6 busybox sleep 60 >"$BATS_TEST_TMPDIR/p$i" 2>&1 3>&- &
        done
        wait
        local running
        running=$(box ps -q | wc -l)
        run box inspect --format '{{.NetworkSettings.GlobalIPv6Address}}' $(box ps -q)
        [ "${#lines[@]}" -eq "$running" ]
        [ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq "$running" ]
        [ "$(ls "$BOX_ROOT/networks/n6/leases" | grep -c :)" -eq "$running" ]
        for i in 2 3 4 5 6; do
                # the pool always finds one
                [ "$(box inspect --format '{{.State.Status}}' "p$i")" = running ]
                # an --ip6 gets its address, or says another has it
                if [ "$(box inspect --format '{{.State.Status}}' "f$i")" = running ]; then
                        [ "$(box inspect --format '{{.NetworkSettings.GlobalIPv6Address}}' "f$i")" = "$V6P:28::$i" ]
                else
                        grep -q "address '$V6P:28::$i' is already in use" "$BATS_TEST_TMPDIR/f$i"
                fi
        done
        box rm -f $(box ps -aq) >/dev/null
        [ -z "$(ls "$BOX_ROOT/networks/n6/leases")" ]
}
