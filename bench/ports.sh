#!/bin/bash
# Throughput through a published port (kernel DNAT) and the start cost of
# the bridge.  iperf3 (Debian's, installed when missing) serves from a
# container whose root is the host's own, read-only (box run --rootfs /),
# so no image needs iperf3.  Prints a markdown table:
#   - TCP throughput, one stream, T seconds: host loopback; direct to the
#     container's address; -p on 127.0.0.1; -p on the host's address;
#     podman's -p on 127.0.0.1 and on the host's address (docker: no daemon
#     on this host, reported as such when it cannot run)
#   - start-to-exit of `box run --rm busybox true` on the bridge against
#     --network none (median of N), and podman's the same way
#
# Usage: bench/ports.sh [T] [N]   (as root; default T=5, N=30; BOX=path/to/box)
set -euo pipefail

T=${1:-5}
N=${2:-30}
here=$(cd "$(dirname "$0")/.." && pwd)
BOX=${BOX:-$here/out/box}
TAR=${BOX_FIXTURES:-$here/out/fixtures}/busybox.tar
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
[ -x "$BOX" ] && [ -f "$TAR" ] || { echo "bench: make && make fixtures first" >&2; exit 1; }
command -v iperf3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iperf3 >/dev/null

work=$(mktemp -d /tmp/box-bench-ports.XXXXXX)
export BOX_ROOT=$work/store BOX_RUNROOT=$work/run BOX_NETWORK_PREFIX=bb$((RANDOM % 1000))
export BOX_BRIDGE_SUBNET=10.$((200 + RANDOM % 50)).$((RANDOM % 256)).0/24
cleanup() {
        jobs -p | xargs -r kill 2>/dev/null || true
        wait 2>/dev/null || true
        "$BOX" network prune >/dev/null 2>&1 || true
        podman rm -f benchperf >/dev/null 2>&1 || true
        rm -rf "$work"
}
trap cleanup EXIT
"$BOX" import "$TAR" busybox >/dev/null
hip=$(ip -4 -o addr show scope global | awk '$2 !~ /^(bt|bb|cni|box|podman)/ {sub("/.*", "", $4); print $4; exit}')

gbits() { # iperf3 client to $1:$2 -> Gbit/s (a retry: the server may still be busy with a probe)
        local v
        for _ in 1 2 3; do
                v=$(iperf3 -c "$1" -p "$2" -t "$T" -J | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' 2>/dev/null) && { echo "$v"; return; }
                sleep 1
        done
        echo n/a
}
wait_port() {
        for _ in $(seq 100); do
                if timeout 1 bash -c "</dev/tcp/$1/$2" 2>/dev/null; then sleep 0.2; return 0; fi
                sleep 0.1
        done
        return 1
}

# host loopback
iperf3 -s -p 5301 >/dev/null 2>&1 &
srv=$!
wait_port 127.0.0.1 5301
lo=$(gbits 127.0.0.1 5301)
kill $srv; wait $srv 2>/dev/null || true

# box: one server, four ways in
"$BOX" run --rm --init --name perf --rootfs / --read-only --tmpfs /tmp -p 5302:5201 -p 127.0.0.1:5303:5201 iperf3 -s >/dev/null 2>&1 &
sleep 1
cip=$(cat "$BOX_ROOT"/containers/*/network.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["Networks"][0]["IP"])')
wait_port "$cip" 5201
direct=$(gbits "$cip" 5201)
p_lo=$(gbits 127.0.0.1 5302)
p_host=$(gbits "$hip" 5302)
p_addr=$(gbits 127.0.0.1 5303)
kill %%; wait 2>/dev/null || true

# podman, the same server
pod_lo=n/a pod_host=n/a
if podman run -d --ulimit host --name benchperf --rootfs / -p 5304:5201 iperf3 -s >/dev/null 2>&1 && wait_port 127.0.0.1 5304; then
        pod_lo=$(gbits 127.0.0.1 5304)
        pod_host=$(gbits "$hip" 5304)
fi
podman rm -f benchperf >/dev/null 2>&1 || true

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000)); }
for i in $(seq "$N"); do
        ms "$BOX" run --rm --network none busybox true >>"$work/none"
        ms "$BOX" run --rm busybox true >>"$work/bridge"
done
none=$(median <"$work/none") bridge=$(median <"$work/bridge")
pn=n/a pb=n/a
podman_why="podman cannot run a container on this host"
if podman import "$TAR" benchbusybox >/dev/null 2>&1 &&
        podman run --rm --ulimit host --network none benchbusybox true >/dev/null 2>"$work/perr"; then
        for i in $(seq 10); do
                ms podman run --rm --ulimit host --network none benchbusybox true >>"$work/pnone"
                ms podman run --rm --ulimit host benchbusybox true >>"$work/pbridge"
        done
        pn=$(median <"$work/pnone") pb=$(median <"$work/pbridge")
fi
[ -s "$work/perr" ] && podman_why="podman: $(head -1 "$work/perr")"
podman rmi benchbusybox >/dev/null 2>&1 || true
r() { python3 -c "print('%.2f' % ($1 / $2))" 2>/dev/null || echo n/a; }

echo "| path (iperf3, 1 TCP stream, ${T}s) | Gbit/s | vs direct | vs loopback |"
echo "|---|---|---|---|"
echo "| host loopback | $lo | | 1.00 |"
echo "| box: direct to the container's IP | $direct | 1.00 | $(r "$direct" "$lo") |"
echo "| box: -p 5302:5201 via 127.0.0.1 | $p_lo | $(r "$p_lo" "$direct") | $(r "$p_lo" "$lo") |"
echo "| box: -p 5302:5201 via the host's address | $p_host | $(r "$p_host" "$direct") | $(r "$p_host" "$lo") |"
echo "| box: -p 127.0.0.1:5303:5201 | $p_addr | $(r "$p_addr" "$direct") | $(r "$p_addr" "$lo") |"
echo "| podman: -p via 127.0.0.1 | $pod_lo | $(r "$pod_lo" "$direct") | $(r "$pod_lo" "$lo") |"
echo "| podman: -p via the host's address | $pod_host | $(r "$pod_host" "$direct") | $(r "$pod_host" "$lo") |"
echo "| docker | not run: no daemon on this host | | |"
echo
echo "| start-to-exit, median of $N (podman: 10) | --network none | bridge | bridge cost |"
echo "|---|---|---|---|"
echo "| box run --rm busybox true | $((none / 1000)).$(((none % 1000) / 100)) ms | $((bridge / 1000)).$(((bridge % 1000) / 100)) ms | $(((bridge - none) / 1000)).$((((bridge - none) % 1000 + 1000) % 1000 / 100)) ms |"
if [ "$pn" != n/a ]; then
        echo "| podman run --rm busybox true | $((pn / 1000)) ms | $((pb / 1000)) ms | $(((pb - pn) / 1000)) ms |"
else
        echo "| podman | not run: $podman_why | | |"
fi
