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

@test "bridge: an automatic subnet skips the host's addresses too (a /32 with no route of its own), and a given one is refused" {
        # the subnet box would pick now (box's pool, 10.78.0.0/16)
        box network create probe >/dev/null
        local sub
        sub=$(box network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' probe)
        box network rm probe >/dev/null
        [[ "$sub" == 10.78.*.0/24 ]]
        # an address inside it, on a link of the test's own: no route of the
        # main table (main picked it all the same)
        local dum="${BOX_NETWORK_PREFIX}d" a=${sub%0/24}5
        ip link add "$dum" type veth peer name "${dum}p"
        ip addr add "$a/32" dev "$dum"
        ip link set "$dum" up
        [ -z "$(ip -4 route show "$sub")" ]
        box network create n1 >/dev/null
        local got
        got=$(box network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' n1)
        BOX_BRIDGE_SUBNET="$sub" BOX_NETWORK_PREFIX="bz$((RANDOM % 10000))" run box run --rm busybox true
        ip link del "$dum"
        box network rm n1 >/dev/null
        [ "$got" != "$sub" ]
        [[ "$got" == 10.78.*.0/24 ]]
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"subnet '$sub' overlaps the host's address '$a/32 dev $dum'"* ]]
}

# A /22 of 10.200.0.0-10.249.255.255 that no route or address of the host
# overlaps: a pool of four /24s of the test's own.
free_pool() {
        python3 -c '
import ipaddress, random, subprocess
nets = []
for cmd in (["ip", "-4", "-o", "route", "show"], ["ip", "-4", "-o", "addr", "show"]):
    for line in subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines():
        w = line.split()
        w = w[3] if "addr" in cmd else w[0]
        if w != "default":
            nets.append(ipaddress.ip_network(w, strict=False))
while True:
    p = ipaddress.ip_network("10.%d.%d.0/22" % (random.randrange(200, 250), 4 * random.randrange(64)))
    if not any(p.overlaps(n) for n in nets):
        print(p); break'
}

@test "bridge: two stores racing to make their default bridge never get one subnet: the later picks another under a host-wide lock" {
        local pool round pa pb ra rb
        pool=$(free_pool)
        for round in 1 2 3 4 5; do
                pa=$(printf 'bq%04d' $((RANDOM % 10000))) pb=$(printf 'bw%04d' $((RANDOM % 10000)))
                for s in a b; do
                        mkdir -p "$BATS_TEST_TMPDIR/$s"
                        BOX_ROOT="$BATS_TEST_TMPDIR/$s/root" BOX_RUNROOT="$BATS_TEST_TMPDIR/$s/run" \
                                "$BOX" import "$BUSYBOX_TAR" busybox >/dev/null
                done
                # no BOX_BRIDGE_SUBNET: each store's default network picks its own
                (
                        unset BOX_BRIDGE_SUBNET
                        export BOX_SUBNET_POOL="$pool"
                        BOX_ROOT="$BATS_TEST_TMPDIR/a/root" BOX_RUNROOT="$BATS_TEST_TMPDIR/a/run" BOX_NETWORK_PREFIX=$pa \
                                "$BOX" run --rm busybox ip -4 -o addr show eth0 >"$BATS_TEST_TMPDIR/a.out" 2>&1 &
                        BOX_ROOT="$BATS_TEST_TMPDIR/b/root" BOX_RUNROOT="$BATS_TEST_TMPDIR/b/run" BOX_NETWORK_PREFIX=$pb \
                                "$BOX" run --rm busybox ip -4 -o addr show eth0 >"$BATS_TEST_TMPDIR/b.out" 2>&1 &
                        wait
                )
                ra=$(ip -4 -o addr show "${pa}0" 2>/dev/null | awk '{print $4}')
                rb=$(ip -4 -o addr show "${pb}0" 2>/dev/null | awk '{print $4}')
                BOX_ROOT="$BATS_TEST_TMPDIR/a/root" BOX_RUNROOT="$BATS_TEST_TMPDIR/a/run" BOX_NETWORK_PREFIX=$pa \
                        "$BOX" network prune -f >/dev/null
                BOX_ROOT="$BATS_TEST_TMPDIR/b/root" BOX_RUNROOT="$BATS_TEST_TMPDIR/b/run" BOX_NETWORK_PREFIX=$pb \
                        "$BOX" network prune -f >/dev/null
                rm -rf "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
                cat "$BATS_TEST_TMPDIR/a.out" "$BATS_TEST_TMPDIR/b.out"
                echo "bridges: $ra $rb"
                # both ran, each on its own bridge's subnet, both of the pool
                grep -q "inet ${ra%.1/24}.2/24" "$BATS_TEST_TMPDIR/a.out"
                grep -q "inet ${rb%.1/24}.2/24" "$BATS_TEST_TMPDIR/b.out"
                [ -n "$ra" ] && [ -n "$rb" ] && [ "${ra%.1/24}" != "${rb%.1/24}" ]
                python3 -c 'import ipaddress, sys; p = ipaddress.ip_network(sys.argv[1])
assert all(ipaddress.ip_interface(a).network.subnet_of(p) for a in sys.argv[2:])' "$pool" "$ra" "$rb"
        done
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

@test "run --add-host, --dns, --dns-search, --dns-option: Docker's /etc/hosts and resolv.conf, in inspect, again at each start" {
        # box run took none of them ('unknown flag'), though build did
        run box run --name dn --add-host db:10.1.2.3 --add-host gw:host-gateway \
                --add-host v6=[2001:db8::1] --dns 9.9.9.9 --dns 1.1.1.1 --dns-search example.com \
                --dns-opt ndots:2 busybox sh -c 'cat /etc/hosts; echo ---; cat /etc/resolv.conf'
        [ "$status" -eq 0 ]
        gw=$(box network inspect -f '{{(index .IPAM.Config 0).Gateway}}' bridge)
        # after localhost's lines, before the container's own (Docker's order)
        printf '%s\n' "${lines[@]}" | grep -qx "$(printf '10.1.2.3\tdb')"
        printf '%s\n' "${lines[@]}" | grep -qx "$(printf '%s\tgw' "$gw")"
        printf '%s\n' "${lines[@]}" | grep -qx "$(printf '2001:db8::1\tv6')"
        db_line=$(printf '%s\n' "${lines[@]}" | grep -n "$(printf '\tdb$')" | cut -d: -f1)
        own_line=$(printf '%s\n' "${lines[@]}" | grep -n "$(box inspect -f '{{.Config.Hostname}}' dn)" | cut -d: -f1)
        [ "$db_line" -lt "$own_line" ]
        rc=$(printf '%s\n' "${lines[@]}" | sed -n '/^---$/,$p' | tail -n +2)
        # Docker's order (its TestRunDNSRepeatOptions): nameservers, search, options
        [ "$rc" = "$(printf 'nameserver 9.9.9.9\nnameserver 1.1.1.1\nsearch example.com\noptions ndots:2')" ]
        [ "$(box inspect -f '{{json .HostConfig.ExtraHosts}} {{json .HostConfig.Dns}} {{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}}' dn)" = \
                '["db:10.1.2.3","gw:host-gateway","v6:2001:db8::1"] ["9.9.9.9","1.1.1.1"] ["example.com"] ["ndots:2"]' ]
        # a start makes the files again from the record
        run box start -a dn
        [[ "$output" == *"$(printf '10.1.2.3\tdb')"* ]]
        [[ "$output" == *"nameserver 9.9.9.9"* ]]
        box rm dn
        # without them: the defaults (ExtraHosts null, the rest empty)
        box create --name dd busybox true
        [ "$(box inspect -f '{{json .HostConfig.ExtraHosts}} {{json .HostConfig.Dns}}' dd)" = "null []" ]
        box rm dd
        # on the host's network the lines follow the host's own; --dns-search . means none
        run box run --rm --network host --add-host db:10.1.2.3 --dns-search . busybox sh -c 'tail -1 /etc/hosts; grep -c "^search" /etc/resolv.conf'
        [ "${lines[0]}" = "$(printf '10.1.2.3\tdb')" ]
        [ "${lines[1]}" = 0 ]
        # one bad word is one line naming the flag, and no container
        for bad in "--add-host|x" "--add-host|a:not-an-ip" "--add-host|a\nb:1.2.3.4" "--dns|1.2.3" \
                "--dns-search|a/b" "--dns-option|a b"; do
                run box run --rm "${bad%%|*}" "$(printf "${bad#*|}")" busybox true
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == *"invalid ${bad%%|*}"* ]]
        done
        box run -d --name peer busybox sleep 30 >/dev/null
        run box run --rm --network container:peer --dns 1.1.1.1 busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"conflicting options: dns and the network mode"* ]]
        run box run --rm --network container:peer --add-host a:1.1.1.1 busybox true
        [[ "$output" == *"conflicting options: custom host-to-IP mapping and the network mode"* ]]
        box rm -f peer >/dev/null
        [ -z "$(box ps -aq)" ]
}
