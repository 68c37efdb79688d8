#!/bin/bash
# Start-to-exit time of a container: `box run --rm --network none IMAGE true`
# next to crun running the same rootfs from an OCI bundle.  Prints the
# median (and min/p90) of N runs of each, interleaved, and the ratio.
#
# Usage: bench/start.sh [N]     (as root; default N=50; BOX=path/to/box)
#
# crun 1.8 refuses hybrid cgroup layouts (v1 controllers plus a cgroup2
# hierarchy that holds a controller, here hugetlb).  Rather than moving
# hugetlb to a v1 mount and back (a host-wide change), the script runs
# both loops in a private mount namespace where an empty file is bound
# over the cgroup2 hierarchy's cgroup.controllers: crun then sees a plain
# v1 host and makes its cgroups as usual; box is unaffected by the bind.
set -euo pipefail

N=${1:-50}
here=$(cd "$(dirname "$0")/.." && pwd)
BOX=${BOX:-$here/out/box}
TAR=${BOX_FIXTURES:-$here/out/fixtures}/busybox.tar

[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
[ -x "$BOX" ] || { echo "bench: $BOX missing (make)" >&2; exit 1; }
[ -f "$TAR" ] || { echo "bench: $TAR missing (make fixtures)" >&2; exit 1; }
if ! command -v crun >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq crun >/dev/null
fi

work=$(mktemp -d /tmp/box-bench.XXXXXX)
cleanup() {
        for c in $(crun list -q 2>/dev/null | grep '^bench-' || true); do
                crun delete -f "$c" >/dev/null 2>&1 || true
        done
        rm -rf "$work"
}
trap cleanup EXIT

export BOX_ROOT=$work/store
"$BOX" import "$TAR" bench-busybox >/dev/null

mkdir -p "$work/bundle/rootfs"
tar -C "$work/bundle/rootfs" -xf "$TAR"
(cd "$work/bundle" && crun spec)
# the default spec runs "sh" on a terminal; run "true" without one
sed -i 's/"terminal": true/"terminal": false/; s/^\(\t*\)"sh"$/\1"true"/' "$work/bundle/config.json"
grep -q '"true"' "$work/bundle/config.json"

cat >"$work/loop.sh" <<'EOF'
set -eu
ctl=/sys/fs/cgroup/unified/cgroup.controllers
if [ -e "$ctl" ] && [ -n "$(cat "$ctl")" ]; then
        : >"$WORK/empty"
        mount --bind "$WORK/empty" "$ctl"
fi
now() { local t=${EPOCHREALTIME/./}; echo "$t"; }
# warm up both
"$BOX" run --rm --network none bench-busybox true
(cd "$WORK/bundle" && crun run bench-warm >/dev/null)
for i in $(seq "$N"); do
        s=${EPOCHREALTIME/./}
        "$BOX" run --rm --network none bench-busybox true
        e=${EPOCHREALTIME/./}
        echo "box $((e - s))"
        s=${EPOCHREALTIME/./}
        (cd "$WORK/bundle" && crun run "bench-$i")
        e=${EPOCHREALTIME/./}
        echo "crun $((e - s))"
done
EOF
WORK=$work BOX=$BOX N=$N unshare -m bash "$work/loop.sh" >"$work/times"

stats() { # prints median min p90 (ms) of the named runtime
        grep "^$1 " "$work/times" | awk '{print $2}' | sort -n | awk '
                { v[NR] = $1 }
                END {
                        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                        p = v[int(NR * 0.9 + 0.5)]
                        printf "%.2f %.2f %.2f\n", m / 1000, v[1] / 1000, p / 1000
                }'
}
read -r bm bmin bp90 < <(stats box)
read -r cm cmin cp90 < <(stats crun)
printf "%-44s %10s %10s %10s\n" "runtime ($N runs each, interleaved)" "median ms" "min ms" "p90 ms"
printf "%-44s %10s %10s %10s\n" "box run --rm --network none IMAGE true" "$bm" "$bmin" "$bp90"
printf "%-44s %10s %10s %10s\n" "crun run (same rootfs, OCI bundle)" "$cm" "$cmin" "$cp90"
awk -v b="$bm" -v c="$cm" 'BEGIN { printf "ratio box/crun (median): %.2fx (goal <= 1.20x)\n", b / c }'
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cpus (the numbers are only comparable on an idle machine)"
