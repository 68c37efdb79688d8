#!/bin/bash
# Real application builds on the Debian base (examples/webapp, mysql,
# multistage), cold and fully cached, against podman build; and box's own
# share of each RUN step (overlay, pack, compress, hash, commit) next to
# the step's command, from `box --log-level info build`.  Needs the Debian
# base archive (make fixtures-debian); skipped in smoke runs (minutes each).
. "$(dirname "$0")/lib.sh"
[ "$BENCH_SMOKE" = 1 ] && exit 0
BASE=$BENCH_FIXTURES/debian-bookworm.tar
[ -f "$BASE" ] || { bench_note "real builds" "skipped: no $BASE (make fixtures-debian)"; exit 0; }
bench_tmp T
export BOX_ROOT=$T/store
"$BOX" load -q -i "$BASE" >/dev/null
P=""
if bench_peer podman; then
        P=$(bench_podman_conf "$T/podman")
        bench_on_exit "$P system reset -f"
        if ! $P load -q -i "$BASE" >"$T/podman-load.log" 2>&1; then
                bench_note "real builds" "podman: loading the Debian base failed: $(tail -1 "$T/podman-load.log" | cut -c1-200)"
                P=""
        fi
fi
for ex in ${BENCH_EXAMPLES:-webapp multistage mysql}; do
        ctx=$BENCH_ROOT/examples/$ex
        [ -f "$ctx/Dockerfile" ] || continue
        W="real build: examples/$ex, cold"
        # a prepare step instead of hyperfine's warm-up: a warm-up would be a
        # whole extra build (minutes) and no colder than the one measured
        bench_time "$W" box box 1 true "$BOX build --no-cache -q $ctx"
        # one more cold build, logged, for the per-step shares
        "$BOX" --log-level info build --no-cache -q "$ctx" 2>"$T/$ex.log" >/dev/null || true
        python3 - "$ex" "$T/$ex.log" >>"$BENCH_OUT/rows.jsonl" <<'PY'
import json, re, sys
steps = []
for l in open(sys.argv[2], errors="replace"):
    m = re.search(r"step (\d+): command ([\d.]+) s, box ([\d.]+) s \(prepare ([\d.]+) s, commit ([\d.]+) s\)", l)
    if m:
        steps.append({"step": int(m[1]), "command": float(m[2]), "box": float(m[3]),
                      "prepare": float(m[4]), "commit": float(m[5])})
print(json.dumps({"type": "steps", "workload": f"real build: examples/{sys.argv[1]}", "steps": steps}))
PY
        bench_time "real build: examples/$ex, cached" box box 5 "" "$BOX build -q $ctx"
        if [ -n "$P" ]; then
                bench_time "$W" podman peer 1 true "$P build --layers --no-cache -q $ctx"
                bench_time "real build: examples/$ex, cached" podman peer 5 "" "$P build --layers -q $ctx"
        fi
        bench_goal "$W" podman 0.8
        bench_goal "real build: examples/$ex, cached" podman 0.05
done
