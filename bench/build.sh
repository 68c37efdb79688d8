#!/bin/bash
# bench/build.sh: box build against its peers (podman build / buildah bud
# --layers, docker build with BuildKit when a daemon answers), cold and fully
# cached, on a small Dockerfile and on a large context (20,000 files, 300 MB).
# Prints a table of median wall-clock times.  Needs root; uses temp stores
# and leaves nothing behind.
#
# Usage: bench/build.sh [RUNS]   (default 5; the large context runs 3 times)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
BOX=$PWD/out/box
[ -x "$BOX" ] || make -s out/box
make -s fixtures >/dev/null
TMP=$(mktemp -d /tmp/box-bench.XXXXXX)
export BOX_ROOT=$TMP/store
PODMAN_ROOT=$TMP/podman
cleanup() {
        if command -v podman >/dev/null; then
                podman --root "$PODMAN_ROOT/root" --runroot "$PODMAN_ROOT/run" rmi -af >/dev/null 2>&1 || true
                podman --root "$PODMAN_ROOT/root" --runroot "$PODMAN_ROOT/run" system reset -f >/dev/null 2>&1 || true
        fi
        grep -o " $TMP[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
        rm -rf "$TMP"
}
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.4f", m}'; }
timeit() { # N CMD... -> median seconds
        local n=$1; shift
        for _ in $(seq "$n"); do
                local t0; t0=$(now)
                "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
                echo "$(now) - $t0" | bc -l
        done | median
}

"$BOX" import out/fixtures/busybox.tar busybox >/dev/null

# podman: a config whose ulimits stay within the hard limits (no CAP_SYS_RESOURCE here)
HAVE_PODMAN=0
if command -v podman >/dev/null; then
        mkdir -p "$PODMAN_ROOT"
        cat > "$PODMAN_ROOT/containers.conf" <<'CONF'
[containers]
default_ulimits = []
CONF
        export CONTAINERS_CONF=$PODMAN_ROOT/containers.conf
        # crun (podman's default here) refuses v1-hybrid cgroups; runc copes
        command -v runc >/dev/null || apt-get install -y -qq runc >/dev/null 2>&1 || true
        P="podman --root $PODMAN_ROOT/root --runroot $PODMAN_ROOT/run --storage-driver overlay --cgroup-manager cgroupfs"
        command -v runc >/dev/null && P="$P --runtime runc"
        if $P import out/fixtures/busybox.tar docker.io/library/busybox:latest >/dev/null 2>&1; then
                HAVE_PODMAN=1
        fi
fi
HAVE_DOCKER=0
if docker info >/dev/null 2>&1; then
        docker load -q < <("$BOX" save busybox 2>/dev/null) >/dev/null 2>&1 && HAVE_DOCKER=1
fi

# --- the small Dockerfile ---
SMALL=$TMP/small
mkdir -p "$SMALL"
echo 'echo hello from the app' > "$SMALL/app.sh"
cat > "$SMALL/Dockerfile" <<'DF'
FROM busybox
RUN echo built > /built && mkdir -p /app
COPY app.sh /app/
ENV APP=/app/app.sh
EXPOSE 8080
CMD ["sh", "/app/app.sh"]
DF

declare -A T
T[box_small_cold]=$(timeit "$RUNS" "$BOX" build --no-cache -q "$SMALL")
"$BOX" build -q "$SMALL" >/dev/null 2>&1
T[box_small_cached]=$(timeit "$RUNS" "$BOX" build -q "$SMALL")
if [ $HAVE_PODMAN = 1 ]; then
        T[podman_small_cold]=$(timeit "$RUNS" $P build --layers --no-cache -q "$SMALL")
        $P build --layers -q "$SMALL" >/dev/null 2>&1
        T[podman_small_cached]=$(timeit "$RUNS" $P build --layers -q "$SMALL")
fi
if [ $HAVE_DOCKER = 1 ]; then
        T[docker_small_cold]=$(timeit "$RUNS" env DOCKER_BUILDKIT=1 docker build --no-cache -q "$SMALL")
        T[docker_small_cached]=$(timeit "$RUNS" env DOCKER_BUILDKIT=1 docker build -q "$SMALL")
fi

# --- the large context: 20,000 files, 300 MB ---
LARGE=$TMP/large
mkdir -p "$LARGE/data"
python3 - "$LARGE/data" <<'PY'
import os, sys
root = sys.argv[1]
chunk = os.urandom(1 << 20)
for d in range(100):
    os.makedirs(f"{root}/d{d:03}", exist_ok=True)
    for f in range(200):
        off = (d * 200 + f) * 7919 % ((1 << 20) - 15000)
        with open(f"{root}/d{d:03}/f{f:03}", "wb") as fh:
            fh.write(chunk[off:off + 15000])
PY
printf 'FROM busybox\nCOPY data /data\n' > "$LARGE/Dockerfile"
LR=3
T[box_large_cold]=$(timeit "$LR" "$BOX" build --no-cache -q "$LARGE")
"$BOX" build -q "$LARGE" >/dev/null 2>&1
T[box_large_cached]=$(timeit "$LR" "$BOX" build -q "$LARGE")
if [ $HAVE_PODMAN = 1 ]; then
        T[podman_large_cold]=$(timeit "$LR" $P build --layers --no-cache -q "$LARGE")
        $P build --layers -q "$LARGE" >/dev/null 2>&1
        T[podman_large_cached]=$(timeit "$LR" $P build --layers -q "$LARGE")
fi
if [ $HAVE_DOCKER = 1 ]; then
        T[docker_large_cold]=$(timeit "$LR" env DOCKER_BUILDKIT=1 docker build --no-cache -q "$LARGE")
        T[docker_large_cached]=$(timeit "$LR" env DOCKER_BUILDKIT=1 docker build -q "$LARGE")
fi

ratio() { [ -n "${T[$2]:-}" ] && echo "scale=3; ${T[$1]} / ${T[$2]}" | bc -l | sed 's/^\./0./' || echo "n/a"; }
cell() { echo "${T[$1]:-n/a}"; }
printf '\n%-28s %10s %12s %12s %14s %14s\n' "case (median seconds)" "box" "podman" "docker" "box/podman" "box/docker"
for c in small_cold small_cached large_cold large_cached; do
        printf '%-28s %10s %12s %12s %14s %14s\n' "$c" "$(cell box_$c)" "$(cell podman_$c)" \
                "$(cell docker_$c)" "$(ratio box_$c podman_$c)" "$(ratio box_$c docker_$c)"
done
[ $HAVE_DOCKER = 1 ] || echo "(docker: no daemon answers here, so no BuildKit column)"
[ $HAVE_PODMAN = 1 ] || echo "(podman: not installed or could not import the base image)"
