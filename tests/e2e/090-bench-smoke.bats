#!/usr/bin/env bats
# make bench-smoke inside make check: every bench script runs (a few runs,
# box only) and lands in results.json, so the scripts never rot.
load helpers

setup() { BENCH_TMP=$(mktemp -d /tmp/box-bench-smoke.XXXXXX); }
teardown() { rm -rf "$BENCH_TMP"; }

@test "bench scripts run in smoke mode and write the results table" {
        cd "$BATS_TEST_DIRNAME/../.."
        # the scripts' temp dirs in one of the test's own: /var/tmp's
        # box-bench.* on a shared host are other benches' too
        mkdir "$BENCH_TMP/tmp"
        run env BENCH_SMOKE=1 BENCH_OUT="$BENCH_TMP" BENCH_TMPDIR="$BENCH_TMP/tmp" BOX="$BOX" \
                BOX_FIXTURES="$BOX_FIXTURES" bash bench/run.sh
        # which script failed, and why (the tail alone cut it off once)
        echo "$output" | grep -iE -B5 'failed|error' | head -60 || true
        echo "$output" | tail -20
        [ "$status" -eq 0 ]
        [ -s "$BENCH_TMP/results.json" ]
        python3 - "$BENCH_TMP/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = {w["workload"] for w in d["workloads"]}
for want in ("CLI fixed cost (box version)", "build, small Dockerfile, cached",
             "start-to-exit (true), network none"):
    assert want in names, (want, names)
assert not [n for n in d["notes"] if "failed" in n["text"]], d["notes"]
for w in d["workloads"]:
    assert w["box"]["median"] > 0
    assert all(o["role"] != "peer" for o in w["others"]), "smoke runs measure no peer"
PY
        grep -q '^| CLI fixed cost (box version) |' "$BENCH_TMP/results.md"
        # nothing left behind: temp dirs, the transfer bench's tmpfs
        new=$(ls -A "$BENCH_TMP/tmp")
        [ -z "$new" ] || { echo "left behind: $new"; grep "$BENCH_TMP" /proc/mounts; false; }
}
