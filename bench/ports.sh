#!/bin/bash
# Throughput through a published port (kernel DNAT): iperf3 (Debian's,
# installed when missing), one TCP stream, from the host to a server in a
# container whose root is the host's own, read-only (box run --rootfs /), so
# no image needs iperf3.  Box's `-p PORT:5201` reached on 127.0.0.1 and on
# the host's address, against the same server reached directly at the
# container's address and the host's loopback (the floors), and podman's -p
# the same way.  More is better: the goal is at least 0.95x the direct path.
#
# docker: a second dockerd of the bench's own (bench/docker.sh's
# bench_docker_bridge_start: a bridge of its own and docker's iptables rules,
# all undone at the end) runs the busybox image with the host's root at
# /host, as podman does.  The bridge's start cost is in bench/start.sh.
#
# Knobs: BENCH_PORTS_SECONDS per iperf3 run (default 5), runs per path
# (bench_runs 3); smoke: one run of 16 MB per path, and none without iperf3
# (nothing is installed in smoke mode).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/docker.sh"
W1="-p throughput via 127.0.0.1 (iperf3)"
W2="-p throughput via the host's address (iperf3)"
if ! command -v iperf3 >/dev/null; then
        if [ "$BENCH_SMOKE" = 1 ]; then
                echo "bench: iperf3 is not installed: no throughput in smoke mode" >&2
                exit 0
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iperf3 >/dev/null 2>&1 || true
        command -v iperf3 >/dev/null || { bench_note "$W1" "not measured: iperf3 could not be installed"; exit 0; }
fi
SECS=${BENCH_PORTS_SECONDS:-5}
LEN=(-t "$SECS")
R=$(bench_runs 3)
if [ "$BENCH_SMOKE" = 1 ]; then
        LEN=(-n 16M)
        R=1
fi

bench_tmp T
export BOX_ROOT=$T/store BOX_RUNROOT=$T/run
export BOX_NETWORK_PREFIX=bp$((RANDOM % 1000)) BOX_BRIDGE_SUBNET=$(bench_subnet)
bench_on_exit "$BOX rm -f bench-iperf"
bench_on_exit "$BOX network prune -f"
# ports of the bench's own, away from the well-known ones
P=$((20000 + RANDOM % 20000))
hip=$(ip -4 -o addr show scope global | awk '$2 !~ /^(bt|bb|bp|bs|cni|box|podman|docker|veth)/ {sub("/.*", "", $4); print $4; exit}')

# HOST PORT: Gbit/s of one iperf3 run; retried while the server is not
# listening yet or still busy with the run before (no probe of the port: a
# bare connection keeps iperf3's server busy for a while)
gbits() {
        local v i
        for i in $(seq 50); do
                v=$(iperf3 -c "$1" -p "$2" "${LEN[@]}" -J 2>/dev/null | python3 -c '
import json, sys
print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' 2>/dev/null) &&
                        { echo "$v"; return 0; }
                sleep 0.2
        done
        return 1
}
measure() { # WORKLOAD TOOL ROLE HOST PORT: R runs into one row
        local w=$1 tool=$2 role=$3 v vals=()
        echo "bench: $w: $tool ($R runs, iperf3 ${LEN[*]})" >&2
        for _ in $(seq "$R"); do
                v=$(gbits "$4" "$5") || { bench_note "$w" "$tool: failed"; return 0; }
                vals+=("$v")
        done
        bench_value "$w" "$tool" "$role" Gbit/s "${vals[@]}"
}

"$BOX" run -d --name bench-iperf --init --rootfs / --read-only --tmpfs /tmp -p "$P:5201" \
        iperf3 -s >/dev/null
cip=$("$BOX" inspect bench-iperf | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])')
measure "$W1" box box 127.0.0.1 "$P"
measure "$W1" "direct to the container" floor "$cip" 5201
bench_goal_min "$W1" "direct to the container" 0.95
if [ -n "$hip" ]; then
        measure "$W2" box box "$hip" "$P"
        measure "$W2" "direct to the container" floor "$cip" 5201
        bench_goal_min "$W2" "direct to the container" 0.95
fi
"$BOX" rm -f bench-iperf >/dev/null

# the host's loopback, a server of its own
iperf3 -s -p "$((P + 1))" >/dev/null 2>&1 &
srv=$!
bench_on_exit "kill $srv"
measure "$W1" "host loopback" floor 127.0.0.1 "$((P + 1))"
kill "$srv" 2>/dev/null || true
wait "$srv" 2>/dev/null || true

[ "$BENCH_PEERS" = 1 ] || exit 0
if bench_peer podman; then
        POD=$(bench_podman_conf "$T/podman")
        bench_on_exit "$POD system reset -f"
        # runc refuses the host's own / as a root (its cgroup mounts): the
        # busybox image with the host's root at /host, iperf3 run through
        # the host's dynamic loader
        $POD import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null 2>&1 || true
        lib=/host/usr/lib/x86_64-linux-gnu
        if $POD run -d --name bench-iperf -v /:/host:ro -p "$((P + 2)):5201" bench-busybox \
                /host/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path "$lib" \
                /host/usr/bin/iperf3 -s \
                >/dev/null 2>"$T/podman.err"; then
                measure "$W1" podman peer 127.0.0.1 "$((P + 2))"
                [ -n "$hip" ] && measure "$W2" podman peer "$hip" "$((P + 2))"
        else
                bench_note "$W1" "podman: n/a: $(head -1 "$T/podman.err" | cut -c1-200)"
        fi
        $POD rm -f bench-iperf >/dev/null 2>&1 || true
fi

# docker: a dockerd of the bench's own with a bridge of its own and its
# iptables rules (bench/docker.sh), the busybox image with the host's root at
# /host, as podman's
if bench_docker_bridge_start "$T/docker" "$W1"; then
        lib=/host/usr/lib/x86_64-linux-gnu
        if $DOCK import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null 2>"$T/docker.err" &&
                $DOCK run -d --name bench-iperf -v /:/host:ro -p "$((P + 3)):5201" bench-busybox \
                        /host/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path "$lib" \
                        /host/usr/bin/iperf3 -s >/dev/null 2>"$T/docker.err"; then
                measure "$W1" docker peer 127.0.0.1 "$((P + 3))"
                [ -n "$hip" ] && measure "$W2" docker peer "$hip" "$((P + 3))"
        else
                bench_note "$W1" "docker: n/a: $(head -1 "$T/docker.err" | cut -c1-200)"
        fi
fi
bench_docker_bridge_clean
