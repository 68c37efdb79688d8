#!/usr/bin/env bats
# The default bridge network: an address per container from the store's
# leases, a default route, outbound masquerade, the /etc files, and
# everything given back when the container ends or after a crash.
load net-helpers

setup_file() { net_setup_file; }
teardown_file() { net_teardown_file; }
setup() { net_setup; }
teardown() { net_teardown; }

@test "bridge: the default network gives eth0 an address, a route and /etc/hosts" {
        run box run --rm busybox sh -c 'ip -4 -o addr show eth0; ip route; tail -1 /etc/hosts; ls /sys/class/net | sort | tr "\n" " "'
        [ "$status" -eq 0 ]
        local net=${BOX_BRIDGE_SUBNET%.0/24}
        [[ "${lines[0]}" == *"inet $net.2/24"* ]]
        [[ "${lines[1]}" == "default via $net.1 dev eth0"* ]]
        [[ "$output" == *"$net.2	"* ]]
        [[ "$output" == *"eth0 lo "* ]]
        # the link and the rules are box's, named by its prefix
        ip link show "${BOX_NETWORK_PREFIX}0" >/dev/null
        nft list table ip "$BOX_NETWORK_PREFIX" | grep -q "$BOX_BRIDGE_SUBNET"
        # the veth went with the container, the lease too
        no_veths
        [ -z "$(ls "$BOX_ROOT/networks/bridge/leases")" ]
}

@test "bridge: outbound traffic reaches a server on the host (masquerade)" {
        local hip port
        hip=$(host_ip)
        port=$(free_port)
        mkdir -p "$BATS_TEST_TMPDIR/www" && echo hello-from-host >"$BATS_TEST_TMPDIR/www/index.html"
        busybox httpd -f -p "$hip:$port" -h "$BATS_TEST_TMPDIR/www" &
        local srv=$!
        # until it serves (0.2 s was a guess)
        for _ in $(seq 100); do curl -s -m 1 -o /dev/null "http://$hip:$port/" && break; sleep 0.1; done
        run box run --rm busybox sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $hip $port | tail -1"
        kill $srv
        [ "$status" -eq 0 ]
        [ "$output" = "hello-from-host" ]
        # the server saw the host's address, not the container's
        [ -n "$(nft list table ip "$BOX_NETWORK_PREFIX" | grep masquerade)" ]
}

@test "bridge: --network none and host still work, and bridge is the default" {
        run box run --rm --network none busybox ls /sys/class/net
        [ "$output" = "lo" ]
        # the host's links as they were just before or just after (a veth of
        # an earlier test may go in between: see no_veths)
        no_veths
        host=$(ls /sys/class/net | wc -l)
        run box run --rm --network host busybox sh -c 'ls /sys/class/net | wc -l'
        [ "$output" = "$host" ] || [ "$output" = "$(ls /sys/class/net | wc -l)" ]
        run box run --rm --network bridge busybox ls /sys/class/net
        [ "${lines[0]}" = "eth0" ]
}

@test "bridge: a loopback resolver of the host is replaced by the gateway" {
        printf 'search example\nnameserver 127.0.0.53\noptions edns0\n' >"$BATS_TEST_TMPDIR/resolv.conf"
        BOX_RESOLV_CONF="$BATS_TEST_TMPDIR/resolv.conf" run box run --rm busybox cat /etc/resolv.conf
        [ "$status" -eq 0 ]
        [[ "$output" == *"nameserver ${BOX_BRIDGE_SUBNET%.0/24}.1"* ]]
        [[ "$output" != *"127.0.0.53"* ]]
        [[ "$output" == *"search example"* ]]
        run box run --rm busybox cat /etc/resolv.conf
        [ "$output" = "$(cat /etc/resolv.conf)" ]
}

@test "bridge: 50 containers started at once never share an address" {
        # each holds its address until all 50 have one
        mkdir "$BATS_TEST_TMPDIR/b"
        for i in $(seq 50); do
                "$BOX" run --rm -v "$BATS_TEST_TMPDIR/b:/b" busybox sh -c 'ip -4 -o addr show eth0 | awk "{print \$4}" >/b/ip.'$i'; while [ ! -e /b/go ]; do sleep 0.1; done' 3>&- &
        done
        for _ in $(seq 600); do
                [ "$(ls "$BATS_TEST_TMPDIR/b" | wc -l)" -ge 50 ] && break
                sleep 0.1
        done
        touch "$BATS_TEST_TMPDIR/b/go"
        wait
        cat "$BATS_TEST_TMPDIR"/b/ip.* | sort >"$BATS_TEST_TMPDIR/all"
        [ "$(wc -l <"$BATS_TEST_TMPDIR/all")" -eq 50 ]
        grep -c "^${BOX_BRIDGE_SUBNET%.0/24}\." "$BATS_TEST_TMPDIR/all" | grep -qx 50
        [ -z "$(uniq -d "$BATS_TEST_TMPDIR/all")" ]
        [ -z "$(ls "$BOX_ROOT/networks/bridge/leases")" ]
}

@test "bridge: a subnet that overlaps a route of the host is refused, nothing made" {
        # (no dummy links on this kernel: one end of a veth pair)
        local dum="${BOX_NETWORK_PREFIX}d"
        ip link add "$dum" type veth peer name "${dum}p"
        ip addr add "10.$NET_T.1/24" dev "$dum"
        ip link set "$dum" up
        local other="bz$((RANDOM % 10000))"
        BOX_NETWORK_PREFIX="$other" BOX_BRIDGE_SUBNET="10.$NET_T.0/24" run box run --rm busybox true
        ip link del "$dum"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"subnet '10.$NET_T.0/24' overlaps the host's route '10.$NET_T.0/24 dev $dum'"* ]]
        ! ip link show "${other}0" 2>/dev/null || false
        ! nft list table ip "$other" 2>/dev/null || false
}

@test "bridge: bad --network and BOX_BRIDGE_SUBNET values are one-line errors, nothing left" {
        for bad in 'bad name' '-x' 'container:' 'container:nosuch' 'nosuchnet' "$(printf 'a\nb')"; do
                run box run --rm --network "$bad" busybox true
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
        done
        BOX_BRIDGE_SUBNET=10.1.2.3/24 run box run --rm busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid BOX_BRIDGE_SUBNET '10.1.2.3/24'"* ]]
        # a bad prefix is refused, never replaced by the default "box"
        for bad in toolong7 'Box' 'a-b' ''; do
                [ -z "$bad" ] && continue
                BOX_NETWORK_PREFIX="$bad" run box run --rm busybox true
                [ "$status" -eq 125 ]
                [[ "$output" == *"invalid BOX_NETWORK_PREFIX"* ]]
        done
        run box run --rm --ip 10.0.0.5 busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"--ip works only on a user network"* ]]
        run box run --rm --network-alias 'a b' --network bridge busybox true
        [ "$status" -eq 125 ]
        [ "$(ls "$BOX_ROOT/containers" | grep -vc '^\.')" -eq 0 ]
}

@test "bridge: after box is killed, box rm gives back the lease, the rules and the link" {
        # --rm: box itself is the container's parent (without, it runs under its
        # monitor and outlives its box, as Docker's)
        "$BOX" run --rm --name victim -p 127.0.0.1::80 busybox sleep 30 3>&- &
        local pid=$!
        for _ in $(seq 300); do
                [ -n "$(ls "$BOX_ROOT/networks/bridge/leases" 2>/dev/null)" ] && nft list map ip "$BOX_NETWORK_PREFIX" pub_addr 2>/dev/null | grep -q 127.0.0.1 && break
                sleep 0.1
        done
        nft list map ip "$BOX_NETWORK_PREFIX" pub_addr | grep -q "127.0.0.1 . tcp"
        kill -9 $pid
        wait $pid || true
        # the container died with its box; what it held in the store is still there
        [ -n "$(ls "$BOX_ROOT/networks/bridge/leases")" ]
        run box rm victim
        [ "$status" -eq 0 ]
        ! nft list map ip "$BOX_NETWORK_PREFIX" pub_addr | grep -q "127.0.0.1 . tcp" || false
        [ -z "$(ls "$BOX_ROOT/networks/bridge/leases")" ]
        no_veths
}
