#!/bin/bash
# box build against podman build / buildah bud (--layers) and BuildKit (a
# dockerd bench/docker.sh starts), cold (--no-cache) and fully cached, on a
# small Dockerfile and on a large context (20,000 files, 300 MB; not in
# smoke runs).  Temp stores; nothing left behind.  Neither build needs the
# network, and the bench's dockerd has no bridge (bench/docker.sh), so every
# tool runs RUN with --network none: the same sandbox work for all (box's
# default bridge would add a veth and nftables set-up that BuildKit skips).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/docker.sh"
bench_tmp T
export BOX_ROOT=$T/store
"$BOX" import "$BENCH_FIXTURES/busybox.tar" busybox >/dev/null

P=""
if bench_peer podman; then
        P=$(bench_podman_conf "$T/podman")
        bench_on_exit "$P system reset -f"
        $P import "$BENCH_FIXTURES/busybox.tar" docker.io/library/busybox:latest >/dev/null 2>&1 || P=""
fi
B=""
if [ -n "$P" ] && bench_peer buildah; then
        B="env CONTAINERS_CONF=$T/podman/containers.conf buildah --root $T/podman/root --runroot $T/podman/run --storage-driver overlay"
        # buildah's default runtime is crun, which refuses hybrid cgroups (every
        # RUN failed); podman runs with runc here too (bench_podman_conf)
        BR=""
        command -v runc >/dev/null && BR="--runtime runc"
fi
D=""
if bench_docker_start "$T/docker"; then
        D="$BENCH_DOCKER -H unix://$T/docker/docker.sock"
        "$BOX" save busybox | $D load -q >/dev/null 2>&1 || D=""
fi

SMALL=$T/small
mkdir -p "$SMALL"
echo 'echo hello from the app' >"$SMALL/app.sh"
printf 'FROM busybox\nRUN echo built > /built && mkdir -p /app\nCOPY app.sh /app/\nENV APP=/app/app.sh\nEXPOSE 8080\nCMD ["sh", "/app/app.sh"]\n' >"$SMALL/Dockerfile"

one() { # NAME CONTEXT RUNS
        local w=$1 ctx=$2 n=$3
        bench_time "$w, cold" box box "$n" "" "$BOX build --network none --no-cache -q $ctx"
        "$BOX" build --network none -q "$ctx" >/dev/null
        bench_time "$w, cached" box box "$n" "" "$BOX build --network none -q $ctx"
        if [ -n "$P" ]; then
                bench_time "$w, cold" podman peer "$n" "" "$P build --network none --layers --no-cache -q $ctx"
                $P build --network none --layers -q "$ctx" >/dev/null 2>&1
                bench_time "$w, cached" podman peer "$n" "" "$P build --network none --layers -q $ctx"
        fi
        if [ -n "$B" ]; then
                bench_time "$w, cold" buildah peer "$n" "" "$B bud $BR --network none --layers --no-cache -q $ctx"
                bench_time "$w, cached" buildah peer "$n" "" "$B bud $BR --network none --layers -q $ctx"
        fi
        if [ -n "$D" ]; then
                bench_time "$w, cold" "docker (BuildKit)" peer "$n" "" "env DOCKER_BUILDKIT=1 $D build --network none --no-cache -q $ctx"
                env DOCKER_BUILDKIT=1 $D build --network none -q "$ctx" >/dev/null 2>&1
                bench_time "$w, cached" "docker (BuildKit)" peer "$n" "" "env DOCKER_BUILDKIT=1 $D build --network none -q $ctx"
        fi
}
one "build, small Dockerfile" "$SMALL" "$(bench_runs 10)"
bench_goal "build, small Dockerfile, cold" "docker (BuildKit)" 0.1
bench_goal "build, small Dockerfile, cached" "docker (BuildKit)" 0.05
# BENCH_BUILD_LARGE=0: the small Dockerfile only (the large context takes
# minutes with the peers)
[ "$BENCH_SMOKE" = 1 ] || [ "${BENCH_BUILD_LARGE:-1}" = 0 ] && exit 0

LARGE=$T/large
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
printf 'FROM busybox\nCOPY data /data\n' >"$LARGE/Dockerfile"
one "build, 20,000-file context" "$LARGE" 3
