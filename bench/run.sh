#!/bin/bash
# make bench: runs every workload script in bench/ (all but lib.sh,
# docker.sh, run.sh, report.sh) in one go, then writes out/bench/results.json
# and out/bench/results.md: per workload box's median, each peer's and
# floor's median measured in the same run, and box's ratio to each.
#
# Each script's rows go to out/bench/rows/SCRIPT.jsonl, with when, at which
# commit and at what load it ran.  BENCH_ONLY="cli build" runs only those
# scripts and replaces only their rows: the table then holds the other
# scripts' rows of their last run, each script's time and commit said under
# it (a workload's rows always come from one run of its script).  See
# bench/lib.sh for the other knobs (BENCH_PEERS=0, BENCH_SMOKE=1, BENCH_RUNS).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BENCH_OUT=${BENCH_OUT:-$here/../out/bench}
mkdir -p "$BENCH_OUT/rows"
rm -f "$BENCH_OUT/rows.jsonl" # the single file of before
[ -n "${BENCH_ONLY:-}" ] || rm -f "$BENCH_OUT/rows/"*.jsonl
commit=$(git -C "$here/.." describe --always --dirty 2>/dev/null || echo unknown)
meta() { # SCRIPT PHASE: when, where and at what load SCRIPT began or ended
        printf '{"type":"meta","script":"%s","phase":"%s","date":"%s","commit":"%s","loadavg":"%s","peers":%s,"smoke":%s}\n' \
                "$1" "$2" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$commit" "$(cut -d' ' -f1-3 /proc/loadavg)" \
                "${BENCH_PEERS:-1}" "${BENCH_SMOKE:-0}" >>"$BENCH_OUT/rows/$1.jsonl"
}
fail=0
for s in "$here"/*.sh; do
        n=$(basename "$s" .sh)
        case $n in lib | docker | run | report) continue ;; esac
        if [ -n "${BENCH_ONLY:-}" ] && ! [[ " $BENCH_ONLY " == *" $n "* ]]; then continue; fi
        echo "== bench/$n.sh" >&2
        : >"$BENCH_OUT/rows/$n.jsonl"
        meta "$n" begin
        if ! BENCH_ROWS="$BENCH_OUT/rows/$n.jsonl" bash "$s"; then
                echo "bench: bench/$n.sh failed" >&2
                fail=1
        fi
        meta "$n" end
done
python3 "$here/results.py" "$BENCH_OUT/rows" "$BENCH_OUT/results.json" "$BENCH_OUT/results.md"
cat "$BENCH_OUT/results.md"
exit $fail
