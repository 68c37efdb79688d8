#!/bin/bash
# A detached server and its memory.
#
# "detached start to first byte through -p": `run -d -p 127.0.0.1:H:80` of
# busybox's httpd serving a file from a read-only volume, then connecting to
# 127.0.0.1:H until the first byte of the answer arrives (bash's /dev/tcp, no
# process per attempt); the container is removed before each run, untimed.
# box against podman and docker (a dockerd of the bench's own with a bridge
# and docker's iptables rules, bench/docker.sh, all undone at the end).
#
# Memory, in kB (less is better):
# - peak RSS of a foreground `run --rm --network none IMAGE true`: the
#   largest process of the run's tree (GNU time's %M: the waited-for
#   children's ru_maxrss), box against crun of the same rootfs's bundle and
#   podman;
# - the steady RSS (VmRSS) of what watches a detached container for its
#   life: box-monitor, podman's conmon, docker's containerd-shim (each the
#   parent of the container's first process), a few seconds after the start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/docker.sh"
W1="detached start to first byte through -p (httpd)"
W2="peak RSS of a foreground run (true)"
W3="steady RSS of a detached container's monitor"
bench_tmp T
export BOX_ROOT=$T/store BOX_RUNROOT=$T/run
export BOX_NETWORK_PREFIX=bv$((RANDOM % 1000)) BOX_BRIDGE_SUBNET=$(bench_subnet)
bench_on_exit "$BOX rm -f bench-serve bench-idle"
bench_on_exit "$BOX network prune -f"
"$BOX" import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null
mkdir -p "$T/www"
echo "served" >"$T/www/index.html"
P=$((20000 + RANDOM % 20000))
R=$(bench_runs 10)

# first-byte CLIENT PORT: start the server with CLIENT, read its first byte
cat >"$T/first-byte" <<EOF
#!/bin/bash
\$1 run -d --name bench-serve -p "127.0.0.1:\$2:80" -v "$T/www:/www:ro" bench-busybox \\
        httpd -f -p 80 -h /www >/dev/null || exit 1
i=0
while [ \$((i += 1)) -lt 200000 ]; do
        if exec 3<>"/dev/tcp/127.0.0.1/\$2" 2>/dev/null; then
                printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' >&3 2>/dev/null &&
                        read -r -n1 -t 2 -u 3 c 2>/dev/null && [ -n "\$c" ] && exit 0
                exec 3<&-
        fi
done
exit 1
EOF
chmod +x "$T/first-byte"
bench_time "$W1" box box "$R" "$BOX rm -f bench-serve >/dev/null 2>&1 || true" "$T/first-byte $BOX $P"

# peak-rss CMD...: kB, the largest process of CMD's tree
peak_rss() {
        /usr/bin/time -f %M -o "$T/rss" "$@" >/dev/null 2>&1 || return 1
        tail -1 "$T/rss"
}
# rss-rows WORKLOAD TOOL ROLE CMD...: R runs of peak_rss into one row
rss_row() {
        local w=$1 tool=$2 role=$3 v vals=()
        shift 3
        echo "bench: $w: $tool ($R runs)" >&2
        for _ in $(seq "$R"); do
                v=$(peak_rss "$@") || { bench_note "$w" "$tool: failed"; return 0; }
                vals+=("$v")
        done
        bench_value_less "$w" "$tool" "$role" kB "${vals[@]}"
}
# vmrss PID: its VmRSS in kB
vmrss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# monitor_rss WORKLOAD TOOL ROLE PID-OF-THE-CONTAINER'S-FIRST-PROCESS
monitor_rss() {
        local ppid
        ppid=$(awk '/^PPid:/ {print $2}' "/proc/$4/status" 2>/dev/null) || true
        if [ -z "$ppid" ] || [ "$ppid" -le 1 ]; then
                bench_note "$1" "$2: failed (no parent of pid $4)"
                return 0
        fi
        echo "bench: $1: $2 ($(tr '\0' ' ' </proc/"$ppid"/cmdline | cut -c1-60))" >&2
        bench_value_less "$1" "$2" "$3" kB "$(vmrss "$ppid")"
}

if command -v /usr/bin/time >/dev/null; then
        rss_row "$W2" box box "$BOX" run --rm --network none bench-busybox true
else
        bench_note "$W2" "not measured: GNU time (Debian's time) is not installed"
fi
"$BOX" run -d --name bench-idle --network none bench-busybox sleep 1000 >/dev/null
sleep 2
monitor_rss "$W3" box-monitor box "$("$BOX" inspect -f '{{.State.Pid}}' bench-idle)"
"$BOX" rm -f bench-idle >/dev/null

[ "$BENCH_PEERS" = 1 ] || exit 0
if bench_peer crun && command -v /usr/bin/time >/dev/null; then
        mkdir -p "$T/bundle/rootfs"
        tar -C "$T/bundle/rootfs" -xf "$BENCH_FIXTURES/busybox.tar"
        (cd "$T/bundle" && crun spec)
        sed -i 's/"terminal": true/"terminal": false/; s/^\(\t*\)"sh"$/\1"true"/' "$T/bundle/config.json"
        # crun 1.8 and hybrid cgroups: as bench/start.sh does, in a mount
        # namespace of its own where the cgroup2 hierarchy lists no controller
        ctl=/sys/fs/cgroup/unified/cgroup.controllers
        if [ -e "$ctl" ] && [ -n "$(cat "$ctl")" ]; then
                : >"$T/empty"
                rss_row "$W2" crun peer unshare -m sh -c "mount --make-rprivate / &&
                        mount --bind $T/empty $ctl && exec crun run --bundle $T/bundle bench-crun-$$"
        else
                rss_row "$W2" crun peer crun run --bundle "$T/bundle" "bench-crun-$$"
        fi
fi
if bench_peer podman; then
        POD=$(bench_podman_conf "$T/podman")
        bench_on_exit "$POD system reset -f"
        if $POD import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null 2>"$T/podman.err"; then
                bench_time "$W1" podman peer "$R" "$POD rm -f bench-serve >/dev/null 2>&1 || true" "$T/first-byte '$POD' $((P + 1))"
                # shellcheck disable=SC2086
                command -v /usr/bin/time >/dev/null &&
                        rss_row "$W2" podman peer $POD run --rm --network none bench-busybox true
                if $POD run -d --name bench-idle --network none bench-busybox sleep 1000 >/dev/null 2>"$T/podman.err"; then
                        sleep 2
                        monitor_rss "$W3" "podman (conmon)" peer "$($POD inspect -f '{{.State.Pid}}' bench-idle)"
                else
                        bench_note "$W3" "podman: n/a: $(head -1 "$T/podman.err" | cut -c1-200)"
                fi
                $POD rm -f bench-serve bench-idle >/dev/null 2>&1 || true
        else
                bench_note "$W1" "podman: n/a: $(head -1 "$T/podman.err" | cut -c1-200)"
        fi
fi
if bench_docker_bridge_start "$T/docker" "$W1"; then
        if $DOCK import "$BENCH_FIXTURES/busybox.tar" bench-busybox >/dev/null 2>"$T/docker.err"; then
                bench_time "$W1" docker peer "$R" "$DOCK rm -f bench-serve >/dev/null 2>&1 || true" "$T/first-byte '$DOCK' $((P + 2))"
                if $DOCK run -d --name bench-idle --network none bench-busybox sleep 1000 >/dev/null 2>"$T/docker.err"; then
                        sleep 2
                        monitor_rss "$W3" "docker (containerd-shim)" peer "$($DOCK inspect -f '{{.State.Pid}}' bench-idle)"
                else
                        bench_note "$W3" "docker: n/a: $(head -1 "$T/docker.err" | cut -c1-200)"
                fi
        else
                bench_note "$W1" "docker: n/a: $(head -1 "$T/docker.err" | cut -c1-200)"
        fi
fi
bench_docker_bridge_clean
