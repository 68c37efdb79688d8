#!/bin/bash
# Transfer benchmarks: box load / pull / save of a ~200 MB rootfs image
# against the floors the issue sets (tar -x, curl | tar -xz, tar -c) on the
# same file system, and podman load when installed.  No network: the tree is
# copied from the host's /usr, the HTTP server listens on 127.0.0.1.
#
# Usage: bench/transfer.sh [SIZE_MB] (default 200); BOX=out/box by default.
# Prints a table: best of RUNS (default 3) wall-clock seconds, and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
BOX=${BOX:-$PWD/out/box}
SIZE_MB=${1:-200}
RUNS=${RUNS:-3}
[ -x "$BOX" ] || { echo "bench: build box first (make)" >&2; exit 1; }

T=$(mktemp -d /var/tmp/box-bench.XXXXXX)
HTTP_PID=
cleanup() {
        [ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null || true
        rm -rf "$T"
}
trap cleanup EXIT

# seconds taken by "$@" (output discarded)
timeit() {
        local s e
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        e=$(date +%s.%N)
        awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}

# best of RUNS: PREP runs untimed before each try
best() {
        local prep=$1 b="" t i
        shift
        for i in $(seq 1 "$RUNS"); do
                eval "$prep"
                sync
                t=$(timeit "$@")
                if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN { exit !(a < b) }'; then b=$t; fi
        done
        echo "$b"
}

echo "bench: building a ${SIZE_MB} MB tree from /usr/lib and /usr/share ..." >&2
mkdir -p "$T/tree"
(tar -C / -cf - usr/share usr/lib 2>/dev/null || true) | head -c "${SIZE_MB}M" |
        (tar -x -C "$T/tree" 2>/dev/null || true)
tar --numeric-owner -C "$T/tree" -cf "$T/layer.tar" .
gzip -1 -c "$T/layer.tar" > "$T/layer.tar.gz"
rm -rf "$T/tree"
export BOX_ROOT="$T/src"
"$BOX" import "$T/layer.tar" bench:1 >/dev/null
"$BOX" save -o "$T/img.tar" bench:1
mkdir -p "$T/www"
gzip -1 -c "$T/img.tar" > "$T/www/img.tar.gz"
cp "$T/layer.tar.gz" "$T/www/layer.tar.gz"
layer_dir="$T/src/layers/$(ls "$T/src/layers")"
echo "bench: layer $(du -sh "$T/layer.tar" | cut -f1) tar, $(du -sh "$T/layer.tar.gz" | cut -f1) gzip, $(find "$layer_dir" | wc -l) entries" >&2

fresh() { rm -rf "$T/dst" "$T/x"; mkdir -p "$T/x"; }

# ---- load ----
export BOX_ROOT="$T/dst"
load_box=$(best fresh "$BOX" load -i "$T/img.tar")
load_tar=$(best fresh tar -x -f "$T/layer.tar" -C "$T/x")
load_tar_sync=$(best fresh sh -c "tar -x -f '$T/layer.tar' -C '$T/x' && sync")
load_podman=""
if command -v podman >/dev/null; then
        pm_fresh() { rm -rf "$T/pm"; mkdir -p "$T/pm"; }
        load_podman=$(best pm_fresh podman --root "$T/pm/root" --runroot "$T/pm/run" \
                --storage-driver vfs load -q -i "$T/img.tar")
        rm -rf "$T/pm"
fi

# ---- pull over loopback HTTP ----
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$port" >/dev/null 2>&1 &
HTTP_PID=$!
for i in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
pull_box=$(best fresh "$BOX" pull -q "http://127.0.0.1:$port/img.tar.gz")
pull_curl=$(best fresh sh -c "curl -sf 'http://127.0.0.1:$port/layer.tar.gz' | tar -xz -C '$T/x'")
kill "$HTTP_PID"; HTTP_PID=

# ---- save ----
export BOX_ROOT="$T/src"
save_box=$(best "rm -f '$T/out.tar'" "$BOX" save -o "$T/out.tar" bench:1)
save_tar=$(best "rm -f '$T/out2.tar'" tar -C "$layer_dir" -cf "$T/out2.tar" .)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
printf '%-34s %9s %9s %8s %6s\n' "operation" "box (s)" "floor (s)" "ratio" "goal"
printf '%-34s %9s %9s %8s %6s\n' "load vs tar -x" "$load_box" "$load_tar" "$(ratio "$load_box" "$load_tar")" "1.2x"
printf '%-34s %9s %9s %8s %6s\n' "load vs tar -x && sync" "$load_box" "$load_tar_sync" "$(ratio "$load_box" "$load_tar_sync")" "-"
[ -n "$load_podman" ] &&
        printf '%-34s %9s %9s %8s %6s\n' "load vs podman load (vfs)" "$load_box" "$load_podman" "$(ratio "$load_box" "$load_podman")" "-"
printf '%-34s %9s %9s %8s %6s\n' "pull (HTTP) vs curl | tar -xz" "$pull_box" "$pull_curl" "$(ratio "$pull_box" "$pull_curl")" "1.1x"
printf '%-34s %9s %9s %8s %6s\n' "save vs tar -c" "$save_box" "$save_tar" "$(ratio "$save_box" "$save_tar")" "1.2x"
