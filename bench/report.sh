#!/bin/bash
# make bench-report: puts the table of out/bench/results.md (from the last
# make bench) into docs/performance.md between its bench markers, and draws
# docs/performance.png with gnuplot: box's time as a ratio of each peer's
# and floor's, per workload (1 = as fast; below 1 box is faster).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$here/out/bench}
DOC=$here/docs/performance.md
[ -f "$OUT/results.json" ] || { echo "bench: no $OUT/results.json (make bench first)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "bench: gnuplot missing (make bench-deps)" >&2; exit 1; }
python3 - "$OUT/results.md" "$DOC" <<'PY'
import sys
table = open(sys.argv[1]).read().rstrip("\n")
doc = open(sys.argv[2]).read()
a, b = "<!-- bench:begin -->", "<!-- bench:end -->"
i, j = doc.index(a) + len(a), doc.index(b)
open(sys.argv[2], "w").write(doc[:i] + "\n" + table + "\n" + doc[j:])
PY
python3 - "$OUT/results.json" "$OUT/ratios.dat" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    for w in d["workloads"]:
        for o in w["others"]:
            if o.get("ratio"):
                # a throughput (more is better) is drawn as the other's ÷
                # box's, so that below 1 still means box is faster
                more = w["box"].get("unit") and not w["box"].get("less")
                r = 1 / o["ratio"] if more else o["ratio"]
                label = f"{w['workload']} ÷ {o['tool']}".replace('"', "'")
                f.write(f"\"{label}\" {r:.3f}\n")
PY
gnuplot <<GNUPLOT
set terminal pngcairo size 1400,$((300 + 28 * $(wc -l <"$OUT/ratios.dat"))) font "sans,9"
set output "$here/docs/performance.png"
set title "box's time ÷ each peer's and floor's (same run; < 1: box is faster)"
set style fill solid 0.6
set boxwidth 0.7
set yrange [0:*]
set xtics rotate by 60 right
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb "red"
unset key
plot "$OUT/ratios.dat" using 0:2:xtic(1) with boxes lc rgb "#3060a0", \
     "" using 0:2:(sprintf("%.2f", \$2)) with labels offset 0,0.7
GNUPLOT
echo "bench: updated $DOC and docs/performance.png" >&2
