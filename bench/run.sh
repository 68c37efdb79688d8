#!/bin/bash
# make bench: runs every workload script in bench/ (all but lib.sh,
# docker.sh, run.sh, report.sh) in one go, then writes out/bench/results.json
# and out/bench/results.md: per workload box's median, each peer's and
# floor's median measured in the same run, and box's ratio to each.
# BENCH_ONLY="cli build" runs only those scripts.  See bench/lib.sh for the
# other knobs (BENCH_PEERS=0, BENCH_SMOKE=1, BENCH_RUNS).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BENCH_OUT=${BENCH_OUT:-$here/../out/bench}
mkdir -p "$BENCH_OUT"
: >"$BENCH_OUT/rows.jsonl"
fail=0
for s in "$here"/*.sh; do
        n=$(basename "$s" .sh)
        case $n in lib | docker | run | report) continue ;; esac
        if [ -n "${BENCH_ONLY:-}" ] && ! [[ " $BENCH_ONLY " == *" $n "* ]]; then continue; fi
        echo "== bench/$n.sh" >&2
        if ! bash "$s"; then
                echo "bench: bench/$n.sh failed" >&2
                fail=1
        fi
done
python3 "$here/results.py" "$BENCH_OUT/rows.jsonl" "$BENCH_OUT/results.json" "$BENCH_OUT/results.md"
cat "$BENCH_OUT/results.md"
exit $fail
