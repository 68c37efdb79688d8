#!/bin/bash
# Start-to-exit of a container running `true`: box run --rm (network none,
# and the default bridge) against crun and runc running the same rootfs from
# an OCI bundle, podman run, and the floor: unshare + chroot of that rootfs.
#
# crun 1.8 refuses hybrid cgroups ("cgroups in hybrid mode not supported,
# drop all controllers from cgroupv2": v1 controllers and hugetlb on the
# cgroup2 hierarchy, as here).  Rather than moving hugetlb off cgroup2 and
# back (a host-wide change), the script runs in a private mount namespace
# where an empty file is bound over the cgroup2 hierarchy's
# cgroup.controllers: crun sees a plain v1 host; box and runc are unaffected.
if [ -z "${BENCH_IN_NS:-}" ]; then
        exec unshare -m env BENCH_IN_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
mount --make-rprivate /
ctl=/sys/fs/cgroup/unified/cgroup.controllers
if [ -e "$ctl" ] && [ -n "$(cat "$ctl")" ]; then
        bench_tmp T0
        : >"$T0/empty"
        mount --bind "$T0/empty" "$ctl"
fi
bench_tmp T
export BOX_ROOT=$T/store BOX_RUNROOT=$T/run
"$BOX" import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null
mkdir -p "$T/bundle/rootfs"
tar -C "$T/bundle/rootfs" -xf "$BENCH_FIXTURES/busybox.tar"
R=$(bench_runs 30)
W="start-to-exit (true), network none"
bench_time "$W" box box "$R" "" "$BOX run --rm --network none bench-busybox true"
bench_time "$W" "unshare+chroot" floor "$R" "" "unshare -mpinuf --mount-proc=$T/bundle/rootfs/proc chroot $T/bundle/rootfs /bin/true"
bench_goal "$W" crun 0.9
W2="start-to-exit (true), default bridge"
bench_time "$W2" box box "$R" "" "$BOX run --rm bench-busybox true"
[ "$BENCH_PEERS" = 1 ] || exit 0

for rt in crun runc; do
        bench_peer "$rt" || { bench_note "$W" "$rt: not installed"; continue; }
        (cd "$T/bundle" && rm -f config.json && $rt spec)
        sed -i 's/"terminal": true/"terminal": false/; s/^\(\t*\)"sh"$/\1"true"/' "$T/bundle/config.json"
        # hyperfine needs a fresh name per run: a counter in the bundle
        echo 0 >"$T/n"
        bench_time "$W" "$rt" peer "$R" "" "cd $T/bundle && n=\$((\$(cat $T/n) + 1)) && echo \$n > $T/n && $rt run bench-$rt-\$n"
        for c in $($rt list -q 2>/dev/null | grep "^bench-$rt-" || true); do $rt delete -f "$c" >/dev/null 2>&1 || true; done
done
if bench_peer podman; then
        P=$(bench_podman_conf "$T/podman")
        bench_on_exit "$P system reset -f"
        if $P import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null 2>&1; then
                bench_time "$W" podman peer "$(bench_runs 10)" "" "$P run --rm --network none bench-busybox true"
        fi
fi
