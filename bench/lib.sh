# bench/lib.sh: what every bench script shares (sourced, not run).
#
# A script measures workloads with bench_time, which runs hyperfine (warm-up,
# then RUNS runs; median, min and max kept) and appends one JSON line per
# measured command to $BENCH_ROWS (bench/run.sh: $BENCH_OUT/rows/SCRIPT.jsonl);
# bench/run.sh turns those lines
# into results.json and the markdown table.  Each row names its workload,
# the tool ("box", a peer such as "podman", or a floor such as "tar -x") and
# its role: box, peer or floor.  bench_note records why a peer is missing.
#
# Knobs (environment):
#   BENCH_OUT    where rows go (default out/bench)
#   BENCH_PEERS  1 (default): measure the peers too, installing them from
#                Debian when missing; 0: box against the floors only
#   BENCH_SMOKE  1: a few runs of box only, no peers (make bench-smoke)
#   BENCH_RUNS   runs per command (default 10; the slow workloads use fewer)
#   BOX          the binary (default out/box)
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_OUT=${BENCH_OUT:-$BENCH_ROOT/out/bench}
BENCH_SMOKE=${BENCH_SMOKE:-0}
BENCH_PEERS=${BENCH_PEERS:-1}
[ "$BENCH_SMOKE" = 1 ] && BENCH_PEERS=0
BENCH_RUNS=${BENCH_RUNS:-10}
BOX=${BOX:-$BENCH_ROOT/out/box}
BENCH_FIXTURES=${BOX_FIXTURES:-$BENCH_ROOT/out/fixtures}
mkdir -p "$BENCH_OUT"
# where this script's rows go (bench/run.sh: one file per script)
BENCH_ROWS=${BENCH_ROWS:-$BENCH_OUT/rows.jsonl}

[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
[ -x "$BOX" ] || { echo "bench: $BOX missing (make)" >&2; exit 1; }

# bench_runs N: N, or 2 in smoke mode
bench_runs() { if [ "$BENCH_SMOKE" = 1 ]; then echo 2; else echo "$1"; fi; }

# bench_tmp VAR [PARENT]: sets VAR to a fresh directory (in PARENT, else
# $BENCH_TMPDIR, else /var/tmp) that bench_cleanup removes (not in a $(...)
# subshell: the list would be lost); add your own cleanup with bench_on_exit
BENCH_TMPS=()
BENCH_EXIT=()
bench_tmp() {
        local d
        d=$(mktemp -d "${2:-${BENCH_TMPDIR:-/var/tmp}}/box-bench.XXXXXX")
        BENCH_TMPS+=("$d")
        printf -v "$1" %s "$d"
}
bench_on_exit() { BENCH_EXIT+=("$1"); }
bench_cleanup() {
        local c d
        for c in "${BENCH_EXIT[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
        for d in "${BENCH_TMPS[@]}"; do
                grep -o " $d[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
                rm -rf "$d"
        done
}
trap bench_cleanup EXIT

# bench_subnet: a private /24 that overlaps none of the host's routes, for
# a bench's own bridge (BOX_BRIDGE_SUBNET) on a host where others make theirs
bench_subnet() {
        ip -4 route show | python3 -c '
import ipaddress, random, sys
routes = []
for l in sys.stdin:
    w = l.split()[0]
    if w != "default":
        routes.append(ipaddress.ip_network(w, strict=False))
for _ in range(1000):
    n = ipaddress.ip_network("10.%d.%d.0/24" % (random.randrange(100, 250), random.randrange(256)))
    if not any(n.overlaps(r) for r in routes):
        print(n)
        break'
}

# RUN steps and containers get box's bridge network by default: the
# bench's own link, nftables table and subnet, pruned at the end (as the
# e2e tests do), so a run leaves no bridge behind nor shares one.
if [ -z "${BOX_NETWORK_PREFIX:-}" ]; then
        export BOX_NETWORK_PREFIX="bb$((RANDOM % 10000))"
        export BOX_BRIDGE_SUBNET="$(bench_subnet)"
        bench_on_exit '"$BOX" network prune -f'
fi

# bench_json_str S: S as a JSON string (in bash: a python3 per string cost
# seconds per script on a loaded host)
bench_json_str() {
        local s=${1//\\/\\\\}
        s=${s//\"/\\\"}
        s=${s//$'\t'/\\t}
        s=${s//$'\n'/\\n}
        printf '"%s"\n' "$s"
}

bench_row() { # WORKLOAD TOOL ROLE MEDIAN MIN MAX RUNS COMMAND
        printf '{"type":"row","workload":%s,"tool":%s,"role":"%s","median":%s,"min":%s,"max":%s,"runs":%s,"command":%s}\n' \
                "$(bench_json_str "$1")" "$(bench_json_str "$2")" "$3" "$4" "$5" "$6" "$7" \
                "$(bench_json_str "$8")" >>"$BENCH_ROWS"
}

# bench_note WORKLOAD TEXT: shown under the table (a peer not measured, why)
bench_note() {
        printf '{"type":"note","workload":%s,"text":%s}\n' "$(bench_json_str "$1")" \
                "$(bench_json_str "$2")" >>"$BENCH_ROWS"
        echo "bench: $1: $2" >&2
}

# bench_goal WORKLOAD AGAINST MAX_RATIO: the issue's goal, box/AGAINST <= MAX.
# Where box and AGAINST took turns round by round, the ratio judged is the
# median of the rounds' ratios (BENCH_PAIRED["WORKLOAD|AGAINST"], set by
# bench_rounds and bench/ports.sh), not the ratio of the two medians, which
# pairs runs made at different moments of the host's load
declare -A BENCH_PAIRED=()
bench_goal() { bench_goal_row "$1" "$2" max "$3"; }
# bench_goal_min WORKLOAD AGAINST MIN_RATIO: box/AGAINST >= MIN, for rows
# where more is better (bench_value)
bench_goal_min() { bench_goal_row "$1" "$2" min "$3"; }
bench_goal_row() { # WORKLOAD AGAINST max|min RATIO
        local p=${BENCH_PAIRED["$1|$2"]:-}
        printf '{"type":"goal","workload":%s,"against":%s,"%s":%s%s}\n' "$(bench_json_str "$1")" \
                "$(bench_json_str "$2")" "$3" "$4" "${p:+,\"paired\":$p}" >>"$BENCH_ROWS"
}

# bench_goal_plus WORKLOAD AGAINST MAX_SECONDS: box - AGAINST <= MAX, an
# added cost (the bridge's start against --network none)
bench_goal_plus() {
        printf '{"type":"goal","workload":%s,"against":%s,"plus":%s}\n' "$(bench_json_str "$1")" \
                "$(bench_json_str "$2")" "$3" >>"$BENCH_ROWS"
}

# bench_value WORKLOAD TOOL ROLE UNIT VALUE...: a row of measurements that
# are not times and where more is better (UNIT: "Gbit/s"): their median,
# min and max.  bench_value_less: the same where less is better (a size)
bench_value_less() { BENCH_LESS=1 bench_value "$@"; }
bench_value() {
        local w=$1 tool=$2 role=$3 unit=$4 med min max
        shift 4
        read -r med min max < <(python3 -c '
import statistics, sys
v = [float(x) for x in sys.argv[1:]]
print(statistics.median(v), min(v), max(v))' "$@")
        printf '{"type":"row","workload":%s,"tool":%s,"role":"%s","median":%s,"min":%s,"max":%s,"runs":%s,"unit":%s,"less":%s,"command":""}\n' \
                "$(bench_json_str "$w")" "$(bench_json_str "$tool")" "$role" "$med" "$min" "$max" \
                "$#" "$(bench_json_str "$unit")" "$([ "${BENCH_LESS:-0}" = 1 ] && echo true || echo false)" \
                >>"$BENCH_ROWS"
}

# bench_time WORKLOAD TOOL ROLE RUNS PREPARE COMMAND: times the shell
# COMMAND; PREPARE (a shell command, may be "") runs untimed before each run.
# hyperfine when installed (make bench-deps), else a plain loop, so the
# smoke run needs nothing beyond bash and python3.
bench_time() {
        local w=$1 tool=$2 role=$3 runs=$4 prep=$5 cmd=$6 json
        json=$(mktemp)
        echo "bench: $w: $tool ($runs runs)" >&2
        if command -v hyperfine >/dev/null && [ "${BENCH_NO_HYPERFINE:-0}" != 1 ]; then
                local args=(-N --style none --runs "$runs" --export-json "$json")
                # -N runs without a shell: only for a plain command
                case "$cmd $prep" in *[\;\&\|\>\<\$\`\(]*) args=(--runs "$runs" --style none --export-json "$json") ;; esac
                [ -n "$prep" ] && args+=(--prepare "$prep") || args+=(--warmup 1)
                hyperfine "${args[@]}" "$cmd" >/dev/null 2>"$json.err" || {
                        echo "bench: $w: $tool failed: $(tail -3 "$json.err")" >&2
                        rm -f "$json" "$json.err"
                        bench_note "$w" "$tool: failed"
                        return 0
                }
                read -r med min max < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(r["median"], r["min"], r["max"])' "$json")
        else
                local i s e
                : >"$json"
                for i in $(seq 0 "$runs"); do
                        [ -n "$prep" ] && bash -c "$prep" >/dev/null 2>&1
                        s=$EPOCHREALTIME
                        bash -c "$cmd" >/dev/null 2>&1 || { bench_note "$w" "$tool: failed"; rm -f "$json"; return 0; }
                        e=$EPOCHREALTIME
                        [ "$i" -gt 0 ] && echo "$s $e" >>"$json" # run 0: warm-up
                done
                read -r med min max < <(python3 -c '
import statistics, sys
t = [float(e) - float(s) for s, e in (l.split() for l in open(sys.argv[1]))]
print(statistics.median(t), min(t), max(t))' "$json")
        fi
        rm -f "$json" "$json.err"
        bench_row "$w" "$tool" "$role" "$med" "$min" "$max" "$runs" "$cmd"
}

# bench_rounds WORKLOAD ROUNDS PREPARE TOOL ROLE COMMAND [TOOL ROLE COMMAND]...:
# like bench_time for each command, but the commands take turns, one run
# each per round (PREPARE, untimed, before every run; the order reversed
# every other round; one round first as a warm-up, not counted), so that a
# change of the host's load falls on all of them alike rather than on
# whichever block of runs it met.  One row per command, of all its rounds,
# and a note with each command's ratio to the first one (box, usually)
# round by round: the median and min-max of those ratios.
bench_rounds() {
        local w=$1 rounds=$2 prep=$3 n r k i t
        shift 3
        local args=("$@") failed=() rt
        n=$(($# / 3))
        bench_tmp rt
        echo "bench: $w: warm-up, then $rounds rounds of ${n} commands in turn" >&2
        for ((r = 0; r <= rounds; r++)); do
                for ((k = 0; k < n; k++)); do
                        i=$((r % 2 ? n - 1 - k : k))
                        [ -z "${failed[$i]:-}" ] || continue
                        bash -c "$prep" >/dev/null 2>&1 || true
                        t=${EPOCHREALTIME/./}
                        if ! bash -c "${args[3 * i + 2]}" >/dev/null 2>"$rt/$i.err"; then
                                echo "bench: $w: ${args[3 * i]} failed: $(tail -3 "$rt/$i.err")" >&2
                                bench_note "$w" "${args[3 * i]}: failed"
                                failed[$i]=1
                                continue
                        fi
                        t=$((${EPOCHREALTIME/./} - t))
                        [ "$r" = 0 ] || echo "$r $t" >>"$rt/$i" # microseconds
                done
        done
        local ratios=() stats
        for ((i = 0; i < n; i++)); do
                [ -z "${failed[$i]:-}" ] || continue
                # median, min, max of this command's times; then its ratio to
                # command 0 in each round both ran
                stats=$(python3 -c '
import statistics, sys
def times(f):
    return {r: int(us) / 1e6 for r, us in (l.split() for l in open(f))}
mine, first = times(sys.argv[1]), times(sys.argv[2])
t = list(mine.values())
q = [first[r] / mine[r] for r in mine if r in first]
print(statistics.median(t), min(t), max(t), len(t), "%.4f" % statistics.median(q),
      "%.2fx (%.2f-%.2f)" % (statistics.median(q), min(q), max(q)))' \
                        "$rt/$i" "$rt/$([ -e "$rt/0" ] && echo 0 || echo "$i")") || continue
                read -r med min max cnt pq q <<<"$stats"
                [ "$i" = 0 ] || BENCH_PAIRED["$w|${args[3 * i]}"]=$pq
                bench_row "$w" "${args[3 * i]}" "${args[3 * i + 1]}" "$med" "$min" "$max" "$cnt" "${args[3 * i + 2]}"
                [ "$i" = 0 ] || ratios+=("${args[3 * i]} $q")
        done
        local all
        printf -v all '%s; ' "${ratios[@]}"
        [ "${#ratios[@]}" = 0 ] || bench_note "$w" "${args[0]} ÷ each, round by round: ${all%; }"
}

# bench_peer NAME [DEB_PACKAGE]: true when peer NAME should be measured:
# BENCH_PEERS=1 and its command is there (installed from Debian if not).
bench_peer() {
        local name=$1 pkg=${2:-$1}
        [ "$BENCH_PEERS" = 1 ] || return 1
        command -v "$name" >/dev/null && return 0
        echo "bench: installing $pkg from Debian for the comparison" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 || true
        command -v "$name" >/dev/null
}

# Podman and buildah on a host without CAP_SYS_RESOURCE: their default
# ulimits (nofile 1048576) exceed the hard limit and every container fails,
# so a containers.conf with none; crun 1.8 refuses hybrid cgroups, so runc.
bench_podman_conf() { # DIR -> prints the podman command prefix
        local d=$1
        mkdir -p "$d"
        printf '[containers]\ndefault_ulimits = []\n' >"$d/containers.conf"
        # --tmpdir: libpod's state (its "alive" file) of the bench's own, not
        # /run/libpod, which another podman's reset on the host removes
        # under it ("creating runtime status file: ... no such file")
        local p="podman --root $d/root --runroot $d/run --tmpdir $d/tmp --storage-driver overlay --cgroup-manager cgroupfs"
        command -v runc >/dev/null && p="$p --runtime runc"
        echo "env CONTAINERS_CONF=$d/containers.conf $p"
}
