#!/bin/bash
# Start-to-exit of a container running `true`: box run --rm (network none,
# and the default bridge) against crun and runc running the same rootfs from
# an OCI bundle, podman run, and the floor: unshare + chroot of that rootfs.
# The bridge's own cost is box on the bridge against box with --network none
# in the same run (goal: at most 5 ms more); the bridge, its link and its
# nftables table are the bench's own (a prefix and subnet of its own).
#
# crun and runc run without a shell around them (hyperfine -N): `crun run`
# deletes the container when it exits, so one fixed name serves every run.
# Their cgroup goes under /box, box's own parent, so that on a shared host
# both compete for the CPU with the same neighbours.
#
# crun 1.8 refuses hybrid cgroups ("cgroups in hybrid mode not supported,
# drop all controllers from cgroupv2": v1 controllers and hugetlb on the
# cgroup2 hierarchy, as here).  Rather than moving hugetlb off cgroup2 and
# back (a host-wide change), the script runs in a private mount namespace
# where an empty file is bound over the cgroup2 hierarchy's
# cgroup.controllers: crun sees a plain v1 host; box and runc are unaffected.
#
# The runtimes keep their state where a usual host has it: on a tmpfs, as
# /run is (it is not on this machine, where / is one ext4 mounted with
# discard).  box's runroot and crun's and runc's --root are on one tmpfs of
# the bench's own; BENCH_RUNROOT_TMPFS=0 leaves all three on the disk.
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
mkdir -p "$T/run"
[ "${BENCH_RUNROOT_TMPFS:-1}" = 0 ] || mount -t tmpfs -o mode=0700,size=64m bench-run "$T/run"
export BOX_ROOT=$T/store BOX_RUNROOT=$T/run/box
export BOX_NETWORK_PREFIX=bs$((RANDOM % 1000)) BOX_BRIDGE_SUBNET=$(bench_subnet)
bench_on_exit "$BOX network prune"
"$BOX" import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null
mkdir -p "$T/bundle/rootfs"
tar -C "$T/bundle/rootfs" -xf "$BENCH_FIXTURES/busybox.tar"
R=$(bench_runs 30)
W="start-to-exit (true), network none"
bench_time "$W" box box "$R" "" "$BOX run --rm --network none bench-busybox true"
bench_goal "$W" crun 0.9
# the runtimes right after box: the nearer in time, the less the host's
# load differs between them
for rt in crun runc; do
        bench_peer "$rt" || { [ "$BENCH_PEERS" = 0 ] || bench_note "$W" "$rt: not installed"; continue; }
        (cd "$T/bundle" && rm -f config.json && $rt spec)
        sed -i 's/"terminal": true/"terminal": false/; s/^\(\t*\)"sh"$/\1"true"/' "$T/bundle/config.json"
        # its cgroup under /box, where box makes its own: on a shared host
        # both then share their parent's CPU weight with the same neighbours
        python3 - "$T/bundle/config.json" "/box/bench-$rt-$$" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["cgroupsPath"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
        bench_time "$W" "$rt" peer "$R" "" "$rt --root $T/run/$rt run --bundle $T/bundle bench-$rt-$$"
        $rt --root "$T/run/$rt" delete -f "bench-$rt-$$" >/dev/null 2>&1 || true
done
bench_time "$W" "unshare+chroot" floor "$R" "" "unshare -mpinuf --mount-proc=$T/bundle/rootfs/proc chroot $T/bundle/rootfs /bin/true"
W2="start-to-exit (true), default bridge"
bench_time "$W2" box box "$R" "" "$BOX run --rm bench-busybox true"
bench_time "$W2" "box --network none" floor "$R" "" "$BOX run --rm --network none bench-busybox true"
bench_goal_plus "$W2" "box --network none" 0.005
if bench_peer podman; then
        P=$(bench_podman_conf "$T/podman")
        bench_on_exit "$P system reset -f"
        if $P import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null 2>&1; then
                bench_time "$W" podman peer "$(bench_runs 10)" "" "$P run --rm --network none bench-busybox true"
        fi
fi
