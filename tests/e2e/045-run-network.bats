#!/usr/bin/env bats
# box run: --network none and host, and the /etc files box provides (the
# bridge network and ports: 08x-network-*.bats).
load run-helpers

setup() { run_setup; }
teardown() { run_teardown; }

@test "network: none has only lo, and it is up" {
        run box run --rm --network none busybox sh -c 'ls /sys/class/net; ip -o link show lo'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "lo" ]
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[1]}" == *"UP"* ]]
        run box run --rm --network none --cap-add NET_RAW busybox ping -c 1 -W 1 127.0.0.1
        [ "$status" -eq 0 ]
        # Docker's ping_group_range (unprivileged ICMP sockets); busybox's
        # ping opens only raw ones: without NET_RAW (Podman's set) it fails
        run box run --rm --network none busybox cat /proc/sys/net/ipv4/ping_group_range
        [ "$output" = "$(printf '0\t2147483647')" ]
        run box run --rm --network none busybox ping -c 1 -W 1 127.0.0.1
        [ "$status" -eq 1 ]
        [[ "$output" == *"permission denied"* ]]
}

@test "network: host shares box's interfaces" {
        host=$(ls /sys/class/net | wc -l)
        run box run --rm --network host busybox sh -c 'ls /sys/class/net | wc -l'
        [ "$output" = "$host" ]
}

@test "network: /etc/hostname, /etc/hosts and /etc/resolv.conf come from box" {
        run box run --rm --network none --hostname web busybox sh -c 'cat /etc/hostname; grep -c localhost /etc/hosts; grep web /etc/hosts; mount | grep -c "/etc/"'
        [ "${lines[0]}" = "web" ]
        [ "${lines[1]}" -ge 2 ]
        [[ "${lines[2]}" == *"web" ]]
        [ "${lines[3]}" = "3" ]
        run box run --rm --network none busybox cat /etc/resolv.conf
        [ "$output" = "$(cat /etc/resolv.conf)" ]
        # the image's own files are untouched
        run box run --rm --network host busybox sh -c 'echo boxmarker >> /etc/hosts; grep -c boxmarker /etc/hosts'
        [ "$output" = "1" ]
        run box run --rm --network host busybox grep -c boxmarker /etc/hosts
        [ "$output" = "0" ]
        ! grep -q boxmarker /etc/hosts || false
}
