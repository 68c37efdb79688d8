#!/usr/bin/env bats
# box network connect/disconnect: a running container gets a further
# interface now, a created or stopped one at its next start; names in
# /etc/hosts both ways; everything given back on disconnect; Docker's
# one-line errors.
load net-helpers

setup_file() { net_setup_file; }
teardown_file() { net_teardown_file; }
setup() { net_setup; }
teardown() { net_teardown; }


# GET / of host $2 port 80, from container $1 (busybox nc)
get_from() {
        box exec "$1" sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $2 80 | tail -1"
}

# serves HOST:PORT: its httpd answers within 30 s
serves() {
        for _ in $(seq 300); do
                curl -sf -m 2 "http://$1/" >/dev/null && return 0
                sleep 0.1
        done
        return 1
}

@test "connect: a running container gets eth1 on the network; names resolve both ways" {
        box network create --subnet "$(subnet 1)" front >/dev/null
        box network create --subnet "$(subnet 2)" back >/dev/null
        box run -d --name web --network front busybox sh -c \
                'mkdir /w; echo web >/w/index.html; httpd -p 80 -h /w; exec sleep 300' >/dev/null
        box run -d --name db --network back busybox sh -c \
                'mkdir /w; echo db >/w/index.html; httpd -p 80 -h /w; exec sleep 300' >/dev/null
        # two networks: no way from one to the other yet
        run get_from web db
        [ "$output" != db ]
        run box network connect --alias cache --alias store back web
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        run box exec web ip -4 -o addr show eth1
        [[ "$output" == *"inet $(prefix 2)"* ]]
        # its old interface and default route stay
        run box exec web ip route
        [[ "$output" == *"default via $(prefix 1)1 dev eth0"* ]]
        run get_from web db
        [ "$output" = db ]
        run get_from db web
        [ "$output" = web ]
        run get_from db cache
        [ "$output" = web ]
        run box inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}' web
        [[ "$output" == *"front=$(prefix 1)"* ]]
        [[ "$output" == *"back=$(prefix 2)"* ]]
        run box ps --format '{{.Names}} {{.Networks}}' --filter name=web
        [ "$output" = "web front,back" ]
        run box network inspect back
        [[ "$output" == *'"Name": "web"'* ]]
        # in use: rm names the connected container
        run box network rm back
        [ "$status" -eq 125 ]
        [[ "$output" == *"network 'back' has active endpoints (name:'"* ]]
        [ "${#lines[@]}" -eq 1 ]
}

@test "disconnect: the interface, lease, hosts lines and record are gone" {
        box network create --subnet "$(subnet 3)" one >/dev/null
        box network create --subnet "$(subnet 4)" two >/dev/null
        box run -d --name c1 --network one busybox sleep 300 >/dev/null
        box run -d --name c2 --network two busybox sleep 300 >/dev/null
        local links_before
        links_before=$(own_links | wc -l)
        box network connect --ip "$(prefix 4)77" two c1
        run box exec c1 ip -4 -o addr show eth1
        [[ "$output" == *"inet $(prefix 4)77/24"* ]]
        run box exec c2 grep -E '[[:space:]]c1$' /etc/hosts
        [ "$output" = "$(prefix 4)77	c1" ]
        run box exec c1 grep -E '[[:space:]]c2$' /etc/hosts
        [[ "$output" == "$(prefix 4)"*c2 ]]
        [ "$(own_links | wc -l)" -eq $((links_before + 1)) ]
        run box network disconnect two c1
        [ "$status" -eq 0 ]
        run box exec c1 ls /sys/class/net
        [ "$(echo $output)" = "eth0 lo" ]
        run box exec c2 grep -cE '[[:space:]]c1$' /etc/hosts
        [ "$output" = 0 ]
        run box exec c1 grep -cE '[[:space:]]c2$' /etc/hosts
        [ "$output" = 0 ]
        [ ! -e "$BOX_ROOT/networks/two/leases/$(prefix 4)77" ]
        [ "$(own_links | wc -l)" -eq "$links_before" ]
        run box inspect -f '{{len .NetworkSettings.Networks}}' c1
        [ "$output" = 1 ]
        run box network disconnect two c1
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: container c1 is not connected to network two" ]
        # the address is free again
        box network connect --ip "$(prefix 4)77" two c1
        box network disconnect two c1
}

@test "connect: a created or stopped container joins at its next start, and again after a restart" {
        box network create --subnet "$(subnet 5)" later >/dev/null
        box create --name made busybox sh -c 'ip -4 -o addr | awk "{print \$2, \$4}"' >/dev/null
        box network connect later made
        run box inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' made
        [ "$output" = "bridge later " ]
        run box start -a made
        [ "$status" -eq 0 ]
        [[ "$output" == *"eth0 ${BOX_BRIDGE_SUBNET%.0/24}."* ]]
        [[ "$output" == *"eth1 $(prefix 5)"* ]]
        # a stopped one: recorded now, joined when it starts again
        box run -d --name srv busybox sleep 300 >/dev/null
        box stop -t 1 srv >/dev/null
        box network connect --alias srvalias later srv
        box start srv >/dev/null
        run box exec srv ip -4 -o addr show eth1
        [[ "$output" == *"inet $(prefix 5)"* ]]
        box run --rm --network later busybox sh -c 'grep -q "srv srvalias" /etc/hosts'
        box restart -t 1 srv >/dev/null
        run box exec srv ip -4 -o addr show eth1
        [[ "$output" == *"inet $(prefix 5)"* ]]
        box rm -f srv made >/dev/null
        [ -z "$(ls "$BOX_ROOT/networks/later/leases")" ]
        [ -z "$(own_links | grep -v '^'"$BOX_NETWORK_PREFIX"'[-0]')" ]
}

@test "connect/disconnect: Docker's errors, one line, exit 125, nothing changed" {
        box network create --subnet "$(subnet 6)" net1 >/dev/null
        box run -d --name on1 --network net1 busybox sleep 300 >/dev/null
        box run -d --name onhost --network host busybox sleep 300 >/dev/null
        box run -d --name onnone --network none busybox sleep 300 >/dev/null
        box run -d --name onother --network container:on1 busybox sleep 300 >/dev/null
        check() {
                run box network "$@"
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                echo "$output"
        }
        [[ "$(check connect net1 on1)" == *"endpoint with name 'on1' already exists in network 'net1'"* ]]
        [[ "$(check connect nonet on1)" == *"network 'nonet' not found"* ]]
        [[ "$(check connect net1 nosuch)" == *"no such container: 'nosuch'"* ]]
        [[ "$(check connect net1 onhost)" == *"container cannot be disconnected from host network or connected to host network"* ]]
        [[ "$(check connect host on1)" == *"connected to host network"* ]]
        [[ "$(check connect net1 onnone)" == *"private (none) mode"* ]]
        [[ "$(check connect net1 onother)" == *"container type network can't be used with other networks"* ]]
        [[ "$(check connect --ip 10.1.2.3 net1 onnone)" == *"private (none) mode"* ]]
        box network create --subnet "$(subnet 7)" net2 >/dev/null
        [[ "$(check connect --ip 10.9.9.9 net2 on1)" == *"--ip '10.9.9.9' is not a free address of network 'net2'"* ]]
        [[ "$(check connect --alias 'bad alias' net2 on1)" == *"'bad alias'"* ]]
        [[ "$(check connect --alias x bridge on1)" == *"not on 'bridge'"* ]]
        [[ "$(check disconnect net2 on1)" == *"container on1 is not connected to network net2"* ]]
        [[ "$(check disconnect nonet on1)" == *"network 'nonet' not found"* ]]
        [[ "$(check disconnect net1 nosuch)" == *"no such container: 'nosuch'"* ]]
        [[ "$(check connect net1)" == *"requires 2 arguments"* ]]
        # nothing was recorded or plugged
        run box exec on1 ls /sys/class/net
        [ "$(echo $output)" = "eth0 lo" ]
        run box inspect -f '{{len .NetworkSettings.Networks}}' on1
        [ "$output" = 1 ]
        [ "$(ls "$BOX_ROOT/networks/net2/leases" 2>/dev/null | wc -l)" -eq 0 ]
}

@test "disconnect: the network it was made on: interface, lease, hosts line and published port go, at the next start too; connect brings it back" {
        box run -d --name web -p 127.0.0.1::80 busybox sh -c \
                'mkdir /w; echo web >/w/index.html; exec httpd -f -p 80 -h /w' >/dev/null
        local hp ip
        hp=$(box port web 80)
        ip=$(box inspect -f '{{.NetworkSettings.IPAddress}}' web)
        [ -n "$ip" ]
        serves "$hp"
        run box network disconnect bridge web
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        run box exec web ls /sys/class/net
        [ "$(echo $output)" = lo ]
        [ -z "$(ls "$BOX_ROOT/networks/bridge/leases")" ]
        ! box exec web grep -q "^$ip[[:space:]]" /etc/hosts || false
        # the port map went with it, as Docker's endpoint takes it along
        ! nft list map ip "$BOX_NETWORK_PREFIX" pub_addr | grep -q "127.0.0.1 . tcp . ${hp#*:} " || false
        ! curl -sf -m 2 "http://$hp/" || false
        [ -z "$(box port web)" ]
        run box inspect -f '{{len .NetworkSettings.Networks}} {{.NetworkSettings.IPAddress}}|{{.HostConfig.NetworkMode}}' web
        [ "$output" = "0 |bridge" ]
        run box ps --format '{{.Names}} [{{.Networks}}]' --filter name=web
        [ "$output" = "web []" ]
        run box network disconnect bridge web
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: container web is not connected to network bridge" ]
        # it does not rejoin at its next start
        box restart -t 1 web >/dev/null
        run box exec web ls /sys/class/net
        [ "$(echo $output)" = lo ]
        no_veths
        # connect: back on it, ports and all, from its next start
        box stop -t 1 web >/dev/null
        box network connect bridge web
        box start web >/dev/null
        run box exec web ip -4 -o addr show eth0
        [[ "$output" == *"inet ${BOX_BRIDGE_SUBNET%.0/24}."* ]]
        hp=$(box port web 80)
        serves "$hp"
        box rm -f web >/dev/null
        [ -z "$(ls "$BOX_ROOT/networks/bridge/leases")" ]
        no_veths
}

@test "disconnect: a created container off its network starts with only lo, or on the network connect added (eth0, default route)" {
        box network create --subnet "$(subnet 8)" own >/dev/null
        box network create --subnet "$(subnet 9)" other >/dev/null
        box create --name m1 --network own busybox sh -c 'ls /sys/class/net | xargs; ip route' >/dev/null
        box network disconnect own m1
        run box start -a m1
        [ "$status" -eq 0 ]
        [ "$output" = lo ]
        # a running one left on no network takes a connect now
        box run -d --name m2 --network own busybox sleep 300 >/dev/null
        box network disconnect own m2
        box network connect other m2
        run box exec m2 ip -4 -o addr
        [[ "$output" == *"inet $(prefix 9)"* ]]
        [ "$(ls "$BOX_ROOT/networks/other/leases" | wc -l)" -eq 1 ]
        box network connect other m1
        run box start -a m1
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "eth0 lo" ]]
        [[ "$output" == *"default via $(prefix 9)1 dev eth0"* ]]
        # own is unused now: rm may take it
        box rm -f m2 >/dev/null
        run box network rm own
        [ "$status" -eq 0 ]
        box rm -f m1 >/dev/null
        [ -z "$(ls "$BOX_ROOT/networks/other/leases")" ]
        box network rm other >/dev/null
        no_veths
}

@test "network flags: bad ones are one line, exit 125, for every subcommand" {
        for sub in ls inspect rm prune; do
                run box network $sub -x
                [ "$status" -eq 125 ]
                [ "${lines[0]}" = "box: error: unknown or incomplete flag '-x'" ]
        done
        run box network create --gateway
        [ "$status" -eq 125 ]
        [ "${lines[0]}" = "box: error: flag '--gateway' needs an argument" ]
        run box network create --subnet "$(subnet 10)" --subnet "$(subnet 11)" n
        [ "${lines[0]}" = "box: error: --subnet given twice for IPv4" ]
        run box network prune -f
        [ "$status" -eq 0 ]
}

@test "tests never use the default prefix: box refuses it under BOX_TEST_NO_DEFAULT_NET, and after box_teardown_store" {
        [ "$BOX_TEST_NO_DEFAULT_NET" = 1 ]
        run env -u BOX_NETWORK_PREFIX "$BOX" network create --subnet "$(subnet 12)" dflt
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"BOX_NETWORK_PREFIX is unset under BOX_TEST_NO_DEFAULT_NET"* ]]
        # a box command after the store's teardown: the prefix it leaves is refused
        local tmp=$BOX_TEST_TMP
        BOX_NET_PRUNE=1 box_teardown_store
        run "$BOX" network create --subnet "$(subnet 12)" late
        rm -rf "$tmp"
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid BOX_NETWORK_PREFIX 'torn-down'"* ]]
}

@test "connect: a connect racing run -d takes effect at that start, never only at the next" {
        box network create --subnet "$(subnet 13)" racenet >/dev/null
        local i cp missed=""
        for i in $(seq 20); do
                # tries from before the record exists until it does: some
                # land while the container starts
                (for _ in $(seq 3000); do
                        "$BOX" network connect racenet "r$i" 2>/dev/null && exit 0
                done
                exit 1) &
                cp=$!
                box run -d --name "r$i" busybox sleep 300 >/dev/null
                wait "$cp"
                box exec "r$i" ip -o -4 addr show eth1 | grep -q "inet $(prefix 13)" || missed+=" r$i"
        done
        [ -z "$missed" ] || { echo "not on racenet:$missed"; false; }
        # each once: one lease per container
        [ "$(ls "$BOX_ROOT/networks/racenet/leases" | wc -l)" -eq 20 ]
        box rm -f $(seq -f 'r%g' 20) >/dev/null
        [ -z "$(ls "$BOX_ROOT/networks/racenet/leases")" ]
}
