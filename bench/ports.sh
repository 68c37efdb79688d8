#!/bin/bash
# Throughput through a published port (kernel DNAT): iperf3 (Debian's,
# installed when missing), one TCP stream, from the host to a server in a
# container whose root is the host's own, read-only (box run --rootfs /), so
# no image needs iperf3.  Box's `-p PORT:5201` reached on 127.0.0.1 and on
# the host's address, against the same server reached directly at the
# container's address and the host's loopback (the floors), and podman's -p
# the same way.  More is better: the goal is at least 0.95x the direct path.
#
# docker: a second dockerd of the bench's own (bench/docker.sh's, with a
# bridge the script makes on a free /24 and --iptables=true: docker's DNAT,
# and docker-proxy on 127.0.0.1, its defaults) runs the busybox image with
# the host's root at /host, as podman does.  At the end every chain and rule
# docker added to iptables goes, and iptables-save is compared with a copy
# taken before (a warning and a note when they differ); where docker's
# chains exist already (another dockerd), docker is "n/a" rather than share
# them.  The bridge's start cost is in bench/start.sh.
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
bench_on_exit "$BOX network prune"
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

# docker: a dockerd of the bench's own with a bridge of the bench's own and
# its iptables rules (DNAT, and docker-proxy for 127.0.0.1, its defaults).
# Everything it adds to iptables goes at the end, checked against a copy
# taken before; it never starts where docker's chains exist already (another
# dockerd's: not shared, not touched).
ipt_state() { # iptables-save without its dates and counters
        iptables-save 2>/dev/null | sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]$//'
}
DSYS=(/proc/sys/net/ipv4/ip_forward /proc/sys/net/bridge/bridge-nf-call-iptables
        /proc/sys/net/bridge/bridge-nf-call-ip6tables)
# undo what dockerd added: its container, the daemon, the rules naming its
# chains, bridge or subnet, its chains, the policies and sysctls it set, the
# bridge; then compare with the copy taken before (once: also run at exit)
docker_ports_clean() {
        [ -n "${DCLEAN:-}" ] || return 0
        DCLEAN=
        local t line c pol i pid
        ${BENCH_DOCKER:-docker} -H "unix://$DD/docker.sock" rm -f bench-iperf >/dev/null 2>&1 || true
        pid=$(cat "$DD/dockerd.pid" 2>/dev/null || true)
        if [ -n "$pid" ]; then
                kill "$pid" 2>/dev/null || true
                for i in $(seq 300); do
                        kill -0 "$pid" 2>/dev/null || break
                        sleep 0.1
                done
        fi
        for t in nat filter; do
                iptables-save -t "$t" 2>/dev/null | grep '^-A ' | grep -v '^-A DOCKER' |
                        grep -E -- "DOCKER|[ !]$DBR( |\$)|$DRE" | while read -r line; do
                        eval "iptables -t $t -D ${line#-A }" || true
                done
                for c in $(iptables-save -t "$t" 2>/dev/null | sed -n 's/^:\(DOCKER[^ ]*\) .*/\1/p'); do
                        iptables -t "$t" -F "$c" || true
                done
                for c in $(iptables-save -t "$t" 2>/dev/null | sed -n 's/^:\(DOCKER[^ ]*\) .*/\1/p'); do
                        iptables -t "$t" -X "$c" || true
                done
                # built-in chains' policies as they were (docker sets FORWARD's
                # to DROP when it had to turn ip_forward on)
                sed -n "/^\*$t\$/,/^COMMIT/s/^:\([A-Z]*\) \(ACCEPT\|DROP\)\$/\1 \2/p" "$DD/ipt.before" |
                        while read -r c pol; do
                                iptables-save -t "$t" | grep -qx ":$c $pol.*" ||
                                        iptables -t "$t" -P "$c" "$pol" || true
                        done
        done
        for i in "${!DSYS[@]}"; do
                [ -n "${DSYSV[$i]}" ] && [ "$(cat "${DSYS[$i]}")" != "${DSYSV[$i]}" ] &&
                        echo "${DSYSV[$i]}" >"${DSYS[$i]}"
        done
        ip link del "$DBR" 2>/dev/null || true
        ipt_state >"$DD/ipt.after"
        if ! cmp -s "$DD/ipt.before" "$DD/ipt.after"; then
                echo "bench: WARNING: iptables-save differs from before docker's port map" \
                        "(docker's leftovers, or another tool's rules meanwhile):" >&2
                diff "$DD/ipt.before" "$DD/ipt.after" | grep '^[<>]' >&2 || true
                bench_note "$W1" "docker: WARNING: iptables-save after the bench differs from before it"
        fi
}
if ! command -v iptables-save >/dev/null; then
        bench_note "$W1" "docker: n/a: no iptables here for docker's port map"
else
        DD=$T/docker
        mkdir -p "$DD"
        ipt_state >"$DD/ipt.before"
        DBR=dbench$((RANDOM % 10000))
        DNET=$(bench_subnet)
        # an address of that subnet in a rule (as a regex)
        DRE=" $(echo "${DNET%.0/24}." | sed 's/[.]/\\./g')"
        if grep -q DOCKER "$DD/ipt.before"; then
                bench_note "$W1" "docker: n/a: the host has docker's iptables chains already (another dockerd's): the bench neither shares nor touches them"
        elif ip link show "$DBR" >/dev/null 2>&1 || [ -z "$DNET" ]; then
                bench_note "$W1" "docker: n/a: no free bridge name or subnet for the bench's dockerd"
        else
                DSYSV=()
                for f in "${DSYS[@]}"; do DSYSV+=("$(cat "$f" 2>/dev/null || true)"); done
                DCLEAN=1
                bench_on_exit docker_ports_clean
                if ! { ip link add "$DBR" type bridge && ip addr add "${DNET%.0/24}.1/24" dev "$DBR" &&
                        ip link set "$DBR" up; } 2>"$DD/err"; then
                        bench_note "$W1" "docker: n/a: no bridge for the bench's dockerd: $(head -1 "$DD/err")"
                elif bench_docker_start "$DD" "$W1" --bridge "$DBR" --fixed-cidr "$DNET" \
                        --iptables=true --ip6tables=false --ipv6=false; then
                        DOCK="$BENCH_DOCKER -H unix://$DD/docker.sock"
                        # the busybox image with the host's root at /host, as podman's
                        lib=/host/usr/lib/x86_64-linux-gnu
                        if $DOCK import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null 2>"$DD/err" &&
                                $DOCK run -d --name bench-iperf -v /:/host:ro -p "$((P + 3)):5201" bench-busybox \
                                        /host/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --library-path "$lib" \
                                        /host/usr/bin/iperf3 -s >/dev/null 2>"$DD/err"; then
                                measure "$W1" docker peer 127.0.0.1 "$((P + 3))"
                                [ -n "$hip" ] && measure "$W2" docker peer "$hip" "$((P + 3))"
                        else
                                bench_note "$W1" "docker: n/a: $(head -1 "$DD/err" | cut -c1-200)"
                        fi
                fi
                docker_ports_clean
        fi
fi
