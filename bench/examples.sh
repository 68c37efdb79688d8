#!/bin/bash
# Real application builds on the Debian base (examples/webapp, mysql,
# multistage), cold and fully cached, against podman build; and box's own
# share of each RUN step (overlay, pack, compress, hash, commit) next to
# the step's command, from `box --log-level info build`.  Needs the Debian
# base archive (make fixtures-debian); skipped in smoke runs (minutes each).
#
# apt's and npm's downloads are most of a cold build, so the comparison is
# only fair when both tools find the mirror and the network equally warm:
# each example is first built once by each tool, unmeasured (it warms the
# mirror's and any proxy's caches and the host's page cache of the base),
# then BENCH_EXAMPLE_ROUNDS rounds (default 2) of box, podman, box, podman...
# are timed, interleaved so that a change of load or of the network hits
# both.  The rows give the median and min-max of those rounds.
#
# The floor (issue 16: "the same RUN commands in a plain chroot") is timed
# in the same rounds, after podman: bench/chroot-floor.py does the
# Dockerfile's RUN, COPY and WORKDIR steps in a plain copy of the same base
# rootfs (made before the clock starts), each RUN with unshare and chroot on
# the host's network, no overlay, sandbox or layer (and, as box's RUN steps,
# without dpkg's syncs: DPKG_FORCE=unsafe-io; BENCH_FLOOR_SYNC=1 keeps
# them).  A goal of 0.8x podman is reachable only where the floor is well
# below that.
#
# BENCH_BOX_BASE=/path/to/another/box (e.g. main's, built in another
# directory) is timed in the same rounds, right after box, on the same
# store: a row "box (base)" and its own per-step table, so a change to
# box's share of a step is measured against the same downloads and load.
. "$(dirname "$0")/lib.sh"
[ "$BENCH_SMOKE" = 1 ] && exit 0
BASE=$BENCH_FIXTURES/debian-bookworm.tar
[ -f "$BASE" ] || { bench_note "real builds" "skipped: no $BASE (make fixtures-debian)"; exit 0; }
ROUNDS=${BENCH_EXAMPLE_ROUNDS:-2}
bench_tmp T
export BOX_ROOT=$T/store
"$BOX" load -q -i "$BASE" >/dev/null
# the floor's plain rootfs: the base archive's one layer, untarred
FLOOR=$T/floor
mkdir -p "$FLOOR/base"
python3 - "$BASE" "$FLOOR/base" <<'PY' || { bench_note "real builds" "floor: cannot unpack the base"; FLOOR=""; }
import json, shutil, subprocess, sys, tarfile
t = tarfile.open(sys.argv[1])
idx = json.load(t.extractfile("index.json"))
blob = lambda d: t.extractfile("blobs/sha256/" + d.split(":", 1)[1])
m = json.load(blob(idx["manifests"][0]["digest"]))
for layer in m["layers"]:
    tar = subprocess.Popen(["tar", "-xz", "-C", sys.argv[2]], stdin=subprocess.PIPE)
    shutil.copyfileobj(blob(layer["digest"]), tar.stdin)
    tar.stdin.close()
    if tar.wait():
        sys.exit(1)
PY
P=""
if bench_peer podman; then
        P=$(bench_podman_conf "$T/podman")
        bench_on_exit "$P system reset -f"
        if ! $P load -q -i "$BASE" >"$T/podman-load.log" 2>&1; then
                bench_note "real builds" "podman: loading the Debian base failed: $(tail -1 "$T/podman-load.log" | cut -c1-200)"
                P=""
        fi
fi

# timed FILE CMD...: appends CMD's wall time in seconds to FILE; false
# when CMD fails (its stderr is in FILE.err)
timed() {
        local f=$1 s e
        shift
        s=$EPOCHREALTIME
        "$@" >/dev/null 2>"$f.err" || return 1
        e=$EPOCHREALTIME
        echo "$s $e" >>"$f"
}

# rows_from WORKLOAD TOOL ROLE FILE COMMAND: one row from FILE's times
rows_from() {
        local med min max n
        [ -s "$4" ] || return 0
        read -r med min max n < <(python3 -c '
import statistics, sys
t = [float(e) - float(s) for s, e in (l.split() for l in open(sys.argv[1]))]
print(statistics.median(t), min(t), max(t), len(t))' "$4")
        bench_row "$1" "$2" "$3" "$med" "$min" "$max" "$n" "$5"
}

for ex in ${BENCH_EXAMPLES:-webapp multistage mysql}; do
        ctx=$BENCH_ROOT/examples/$ex
        [ -f "$ctx/Dockerfile" ] || continue
        W="real build: examples/$ex, cold"
        BCMD="$BOX --log-level info build --no-cache -q $ctx"
        PCMD="$P build --layers --no-cache -q $ctx"
        BASECMD=""
        [ -n "${BENCH_BOX_BASE:-}" ] && BASECMD="$BENCH_BOX_BASE --log-level info build --no-cache -q $ctx"
        FW=$T/$ex.floor.d
        FCMD=""
        if [ -n "$FLOOR" ] && "$BOX" dockerfile parse --format json "$ctx/Dockerfile" >"$T/$ex.json"; then
                FCMD="unshare -m -p -f python3 $BENCH_ROOT/bench/chroot-floor.py $T/$ex.json $ctx $FLOOR/base $FW/work $FW/cache run"
        fi
        floor_prepare() {
                rm -rf "$FW/work"
                python3 "$BENCH_ROOT/bench/chroot-floor.py" "$T/$ex.json" "$ctx" "$FLOOR/base" "$FW/work" "$FW/cache" prepare
        }
        echo "bench: $W: warm-up, then $ROUNDS rounds of box, podman and the chroot floor in turn" >&2
        $BCMD >/dev/null 2>"$T/$ex.box.log" || true
        [ -n "$P" ] && { $PCMD >/dev/null 2>&1 || true; }
        [ -n "$FCMD" ] && floor_prepare && { $FCMD >/dev/null 2>&1 || true; }
        rm -f "$T/$ex".{box,base,podman,floor} "$T/$ex.steps.log" "$T/$ex.base.steps.log"
        bfail=0 pfail=0 ffail=0
        for r in $(seq 1 "$ROUNDS"); do
                # shellcheck disable=SC2086
                if timed "$T/$ex.box" $BCMD; then
                        cat "$T/$ex.box.err" >>"$T/$ex.steps.log"
                else
                        bfail=1
                fi
                # shellcheck disable=SC2086
                if [ -n "$BASECMD" ] && timed "$T/$ex.base" $BASECMD; then
                        cat "$T/$ex.base.err" >>"$T/$ex.base.steps.log"
                fi
                if [ -n "$P" ]; then
                        # shellcheck disable=SC2086
                        timed "$T/$ex.podman" $PCMD || pfail=1
                fi
                if [ -n "$FCMD" ]; then
                        floor_prepare
                        # shellcheck disable=SC2086
                        timed "$T/$ex.floor" $FCMD || ffail=1
                fi
        done
        rm -rf "$FW"
        [ $bfail = 0 ] || bench_note "$W" "box: failed: $(tail -1 "$T/$ex.box.err" | cut -c1-200)"
        [ $pfail = 0 ] || bench_note "$W" "podman: failed: $(tail -1 "$T/$ex.podman.err" | cut -c1-200)"
        [ $ffail = 0 ] || bench_note "$W" "floor: failed: $(tail -1 "$T/$ex.floor.err" | cut -c1-200)"
        rows_from "$W" box box "$T/$ex.box" "$BOX build --no-cache -q $ctx"
        [ -n "$BASECMD" ] && rows_from "$W" "box (base)" peer "$T/$ex.base" "$BENCH_BOX_BASE build --no-cache -q $ctx"
        [ -n "$P" ] && rows_from "$W" podman peer "$T/$ex.podman" "podman build --layers --no-cache -q $ctx"
        rows_from "$W" "RUN commands in a plain chroot" floor "$T/$ex.floor" "bench/chroot-floor.py (unshare -m -p -f, chroot)"
        # box's own share per RUN step, over the measured rounds, and what
        # it consists of (build/step-run.c's log line at --log-level info)
        for log in "$T/$ex.steps.log" "$T/$ex.base.steps.log"; do
        [ -f "$log" ] || continue
        python3 - "$ex" "$log" >>"$BENCH_ROWS" <<'PY'
import json, re, sys
steps = []
for l in open(sys.argv[2], errors="replace"):
    m = re.search(r"step (\d+): command ([\d.]+) s, box ([\d.]+) s \(prepare ([\d.]+) s, commit ([\d.]+) s\)", l)
    if not m:
        continue
    st = {"step": int(m[1]), "command": float(m[2]), "box": float(m[3]),
          "prepare": float(m[4]), "commit": float(m[5])}
    d = re.search(r"sandbox start ([\d.]+) s; box: dirs and files ([\d.]+) s, tar and hash ([\d.]+) s, "
                  r"sync ([\d.]+) s \((\w+)\), publish ([\d.]+) s, record ([\d.-]+) s; "
                  r"(?:pack CPU ([\d.]+) s; )?layer (\d+) bytes, (\d+) entries", l)
    if d:
        st.update({"sandbox_start": float(d[1]), "files": float(d[2]), "tar": float(d[3]),
                   "sync": float(d[4]), "sync_how": d[5], "publish": float(d[6]),
                   "record": float(d[7]), "bytes": int(d[9]), "entries": int(d[10])})
        if d[8]:
            st["pack_cpu"] = float(d[8])
    steps.append(st)
base = " (base)" if sys.argv[2].endswith(".base.steps.log") else ""
print(json.dumps({"type": "steps", "workload": f"real build: examples/{sys.argv[1]}{base}", "steps": steps}))
PY
        done
        bench_time "real build: examples/$ex, cached" box box 5 "" "$BOX build -q $ctx"
        [ -n "$P" ] && bench_time "real build: examples/$ex, cached" podman peer 5 "" "$P build --layers -q $ctx"
        bench_goal "$W" podman 0.8
        bench_goal "real build: examples/$ex, cached" podman 0.05
done
