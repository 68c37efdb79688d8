#!/bin/bash
# Throughput through a published port (kernel DNAT): iperf3 (Debian's,
# installed when missing), one TCP stream, from the host to a server in a
# container whose root is the host's own, read-only (box run --rootfs /), so
# no image needs iperf3.  Box's `-p PORT:5201` reached on 127.0.0.1 and on
# the host's address, against the same server reached directly at the
# container's address and the host's loopback (the floors), and podman's
# and docker's -p the same way.  More is better: the goal is at least 0.95x
# the direct path.
#
# Every server is started first, then the paths take turns, one short
# iperf3 run each per round (the order reversed every other round), so that
# the other work on a shared two-core host falls on all of them alike: one
# block of runs per path after another measured the moment's load more than
# the path (0.86x in one run, 1.11x in the one before).  Each row is the
# median and min-max of its rounds; the notes give each -p path's ratio to
# the direct path of the same round (median and min-max over the rounds)
# and the bytes each path moved per CPU-second of iperf3's client and server
# (their user+system time, where the kernel's work for the stream is mostly
# counted): the cost per byte, steadier than the throughput on a busy host.
#
# docker: a second dockerd of the bench's own (bench/docker.sh's
# bench_docker_bridge_start: a bridge of its own and docker's iptables rules,
# all undone at the end) runs the busybox image with the host's root at
# /host, as podman does.  The bridge's start cost is in bench/start.sh.
#
# Knobs: BENCH_PORTS_SECONDS per iperf3 run (default 2), BENCH_PORTS_ROUNDS
# (default 9), BENCH_PORTS_AFFINITY: iperf3's -A for every run ("0,1":
# client on CPU 0, server on 1; none by default: on this two-core host
# pinning made the runs slower and no steadier, see docs/performance.md),
# BENCH_PORTS_NICE: the nice value of the script and so of everything it
# starts, clients, servers, dockerd and podman's conmon alike (default -10:
# the other work on a shared host then takes less of the streams' time;
# 0 to leave it).
# Smoke: two rounds of 16 MB per path, and none without iperf3 (nothing is
# installed in smoke mode).
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
renice -n "${BENCH_PORTS_NICE:--10}" -p $$ >/dev/null
LEN=(-t "${BENCH_PORTS_SECONDS:-2}")
[ "$BENCH_SMOKE" = 1 ] && LEN=(-n 16M)
[ -n "${BENCH_PORTS_AFFINITY:-}" ] && LEN+=(-A "$BENCH_PORTS_AFFINITY")
ROUNDS=$(bench_runs "${BENCH_PORTS_ROUNDS:-9}")

bench_tmp T
export BOX_ROOT=$T/store BOX_RUNROOT=$T/run
export BOX_NETWORK_PREFIX=bp$((RANDOM % 1000)) BOX_BRIDGE_SUBNET=$(bench_subnet)
bench_on_exit "$BOX rm -f bench-iperf"
bench_on_exit "$BOX network prune -f"
# ports of the bench's own, away from the well-known ones
P=$((20000 + RANDOM % 20000))
hip=$(ip -4 -o addr show scope global | awk '$2 !~ /^(bt|bb|bp|bs|cni|box|podman|docker|veth|dbench)/ {sub("/.*", "", $4); print $4; exit}')

# The paths, in the order of a round: TOOL ROLE WORKLOAD HOST PORT, where
# WORKLOAD is 1, 2 (W1, W2) or 12 (a floor of both: the direct path)
PATHS=()
path_add() { PATHS+=("$@"); }

"$BOX" run -d --name bench-iperf --init --rootfs / --read-only --tmpfs /tmp -p "$P:5201" \
        iperf3 -s >/dev/null
cip=$("$BOX" inspect bench-iperf | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])')
path_add "direct to the container" floor 12 "$cip" 5201
path_add box box 1 127.0.0.1 "$P"
[ -n "$hip" ] && path_add box box 2 "$hip" "$P"

# the host's loopback, a server of its own
iperf3 -s -p "$((P + 1))" >/dev/null 2>&1 &
bench_on_exit "kill $!"
path_add "host loopback" floor 1 127.0.0.1 "$((P + 1))"

if bench_peer podman; then
        POD=$(bench_podman_conf "$T/podman")
        bench_on_exit "$POD system reset -f"
        bench_on_exit "$POD rm -f bench-iperf"
        # runc refuses the host's own / as a root (its cgroup mounts): the
        # busybox image with the host's root at /host, iperf3 run through
        # the host's dynamic loader
        $POD import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null 2>&1 || true
        lib=/host/usr/lib/x86_64-linux-gnu
        if $POD run -d --name bench-iperf -v /:/host:ro -p "$((P + 2)):5201" bench-busybox \
                "$lib/ld-linux-x86-64.so.2" --library-path "$lib" /host/usr/bin/iperf3 -s \
                >/dev/null 2>"$T/podman.err"; then
                path_add podman peer 1 127.0.0.1 "$((P + 2))"
                [ -n "$hip" ] && path_add podman peer 2 "$hip" "$((P + 2))"
        else
                bench_note "$W1" "podman: n/a: $(head -1 "$T/podman.err" | cut -c1-200)"
        fi
fi

# docker: a dockerd of the bench's own with a bridge of its own and its
# iptables rules (bench/docker.sh), the busybox image with the host's root at
# /host, as podman's
if bench_docker_bridge_start "$T/docker" "$W1"; then
        lib=/host/usr/lib/x86_64-linux-gnu
        if $DOCK import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null 2>"$T/docker.err" &&
                $DOCK run -d --name bench-iperf -v /:/host:ro -p "$((P + 3)):5201" bench-busybox \
                        "$lib/ld-linux-x86-64.so.2" --library-path "$lib" \
                        /host/usr/bin/iperf3 -s >/dev/null 2>"$T/docker.err"; then
                path_add docker peer 1 127.0.0.1 "$((P + 3))"
                [ -n "$hip" ] && path_add docker peer 2 "$hip" "$((P + 3))"
        else
                bench_note "$W1" "docker: n/a: $(head -1 "$T/docker.err" | cut -c1-200)"
        fi
fi

# HOST PORT: "GBIT/S GBIT-PER-CPU-SECOND" of one iperf3 run; retried while
# the server is not listening yet or still busy with the run before (no
# probe of the port: a bare connection keeps iperf3's server busy a while)
run_once() {
        local v i
        for i in $(seq 50); do
                v=$(iperf3 -c "$1" -p "$2" "${LEN[@]}" -J 2>/dev/null | python3 -c '
import json, sys
e = json.load(sys.stdin)["end"]
bps = e["sum_received"]["bits_per_second"]
cpu = (e["cpu_utilization_percent"]["host_total"] + e["cpu_utilization_percent"]["remote_total"]) / 100
print("%.3f %.3f" % (bps / 1e9, bps / 1e9 / cpu if cpu > 0 else 0))' 2>/dev/null) &&
                        { echo "$v"; return 0; }
                sleep 0.2
        done
        return 1
}

# the rounds: V[PATH.ROUND] and C[PATH.ROUND], empty where a run failed
n=$((${#PATHS[@]} / 5))
declare -A V C
for ((r = 0; r < ROUNDS; r++)); do
        echo "bench: -p throughput: round $((r + 1)) of $ROUNDS (${n} paths, iperf3 ${LEN[*]})" >&2
        for ((k = 0; k < n; k++)); do
                i=$((r % 2 ? n - 1 - k : k))
                read -r V[$i.$r] C[$i.$r] < <(run_once "${PATHS[5 * i + 3]}" "${PATHS[5 * i + 4]}" || echo "")
        done
done

# one row per path and workload, of its rounds; the notes: each -p path's
# ratio to the direct path (path 0) round by round, and bytes per CPU-second
summary() { # KIND ROUNDS... of "V D" pairs (ratio) or values (median): "MEDIAN median (min-max)"
        python3 -c '
import statistics, sys
kind, v = sys.argv[1], sys.argv[2:]
x = [float(a) / float(b) for a, b in zip(v[::2], v[1::2]) if float(b) > 0] if kind == "ratio" else [float(a) for a in v]
m = statistics.median(x) if x else 0
print("%.4f" % m, "%.2f%s (%.2f-%.2f, %d rounds)" % (m, "x" if kind == "ratio" else "", min(x), max(x), len(x)) if x else "n/a")' "$@"
}
for wn in 1 2; do
        [ "$wn" = 1 ] && w=$W1 || w=$W2
        ratios=() cpu=()
        for ((i = 0; i < n; i++)); do
                case "${PATHS[5 * i + 2]}" in *$wn*) ;; *) continue ;; esac
                tool=${PATHS[5 * i]} vals=() pairs=() effs=()
                for ((r = 0; r < ROUNDS; r++)); do
                        [ -n "${V[$i.$r]:-}" ] || continue
                        vals+=("${V[$i.$r]}") effs+=("${C[$i.$r]}")
                        [ -n "${V[0.$r]:-}" ] && pairs+=("${V[$i.$r]}" "${V[0.$r]}")
                done
                if [ "${#vals[@]}" = 0 ]; then
                        bench_note "$w" "$tool: failed"
                        continue
                fi
                bench_value "$w" "$tool" "${PATHS[5 * i + 1]}" Gbit/s "${vals[@]}"
                read -r _ q < <(summary median "${effs[@]}")
                cpu+=("$tool $q")
                [ "${PATHS[5 * i + 1]}" = floor ] && continue
                read -r m q < <(summary ratio "${pairs[@]}")
                ratios+=("$tool $q")
                [ "$tool" != box ] || BENCH_PAIRED["$w|direct to the container"]=$m
        done
        [ "${#ratios[@]}" = 0 ] && continue
        printf -v all '%s; ' "${ratios[@]}"
        bench_note "$w" "÷ direct to the container, round by round: ${all%; }"
        printf -v all '%s; ' "${cpu[@]}"
        bench_note "$w" "Gbit per CPU-second of iperf3's client and server: ${all%; }"
        bench_goal_min "$w" "direct to the container" 0.95
done
bench_docker_bridge_clean
