#!/usr/bin/env bats
# RUN steps on the default bridge (outbound NAT), box build --network
# host|none, and the host's proxy variables as predefined build args.
load net-helpers

setup_file() { net_setup_file; }
teardown_file() { net_teardown_file; }
setup() { net_setup; }
teardown() { net_teardown; }

@test "build: RUN steps get the default bridge and reach a server on the host" {
        local hip port
        hip=$(host_ip)
        port=$(free_port)
        mkdir -p "$BATS_TEST_TMPDIR/www" "$BATS_TEST_TMPDIR/ctx"
        echo from-the-host >"$BATS_TEST_TMPDIR/www/index.html"
        busybox httpd -f -p "$hip:$port" -h "$BATS_TEST_TMPDIR/www" 3>&- &
        local srv=$!
        cat >"$BATS_TEST_TMPDIR/ctx/Dockerfile" <<EOF2
FROM busybox
RUN ip -4 -o addr show eth0 | grep -q "inet ${BOX_BRIDGE_SUBNET%.0/24}\." && printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $hip $port | tail -1 >/got
EOF2
        run box build -q -t netbuild "$BATS_TEST_TMPDIR/ctx"
        kill $srv
        [ "$status" -eq 0 ]
        run box run --rm --network none netbuild cat /got
        [ "$output" = "from-the-host" ]
        # the lease went with the step
        [ -z "$(ls "$BOX_ROOT/networks/bridge/leases")" ]
}

@test "build: --network none has only lo, --network host the host's links" {
        mkdir -p "$BATS_TEST_TMPDIR/ctx"
        printf 'FROM busybox\nRUN ls /sys/class/net | tr "\\n" " " >/links\n' >"$BATS_TEST_TMPDIR/ctx/Dockerfile"
        box build -q --network none -t n1 "$BATS_TEST_TMPDIR/ctx" >/dev/null
        run box run --rm --network none n1 cat /links
        [ "$output" = "lo " ]
        # the host's links as they were just before or just after (a veth of
        # an earlier test may go in between: see no_veths)
        no_veths
        local before
        before=$(ls /sys/class/net | tr '\n' ' ')
        box build -q --no-cache --network host -t n2 "$BATS_TEST_TMPDIR/ctx" >/dev/null
        run box run --rm --network none n2 cat /links
        [ "$output" = "$before" ] || [ "$output" = "$(ls /sys/class/net | tr '\n' ' ')" ]
        run box build --network bogus "$BATS_TEST_TMPDIR/ctx"
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid --network 'bogus'"* ]]
}

@test "build: the host's proxy variables reach RUN but not the image" {
        mkdir -p "$BATS_TEST_TMPDIR/ctx"
        printf 'FROM busybox\nRUN echo "p=$http_proxy" >/proxy\n' >"$BATS_TEST_TMPDIR/ctx/Dockerfile"
        http_proxy=http://proxy.invalid:3128 box build -q -t px "$BATS_TEST_TMPDIR/ctx" >/dev/null
        run box run --rm --network none px cat /proxy
        [ "$output" = "p=http://proxy.invalid:3128" ]
        run box run --rm --network none px env
        [[ "$output" != *proxy.invalid* ]]
        run box image inspect px
        [[ "$output" != *proxy.invalid* ]]
}

@test "build: RUN on the bridge replaces a loopback resolver of the host as box run does" {
        mkdir -p "$BATS_TEST_TMPDIR/ctx"
        printf 'search example\nnameserver 127.0.0.53\noptions edns0\n' >"$BATS_TEST_TMPDIR/resolv.conf"
        printf 'FROM busybox\nRUN cat /etc/resolv.conf >/rc\n' >"$BATS_TEST_TMPDIR/ctx/Dockerfile"
        BOX_RESOLV_CONF="$BATS_TEST_TMPDIR/resolv.conf" box build -q -t rc1 "$BATS_TEST_TMPDIR/ctx" >/dev/null
        run box run --rm --network none rc1 cat /rc
        [[ "$output" == *"nameserver ${BOX_BRIDGE_SUBNET%.0/24}.1"* ]]
        [[ "$output" != *"127.0.0.53"* ]]
        [[ "$output" == *"search example"* ]]
        # the same file as box run's, line for line
        BOX_RESOLV_CONF="$BATS_TEST_TMPDIR/resolv.conf" run box run --rm busybox cat /etc/resolv.conf
        [ "$output" = "$(box run --rm --network none rc1 cat /rc)" ]
        # --network host keeps the host's file as it is
        BOX_RESOLV_CONF="$BATS_TEST_TMPDIR/resolv.conf" box build -q --no-cache --network host -t rc2 "$BATS_TEST_TMPDIR/ctx" >/dev/null
        run box run --rm --network none rc2 cat /rc
        [[ "$output" == *"nameserver 127.0.0.53"* ]]
}
