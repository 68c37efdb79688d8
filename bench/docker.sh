# bench/docker.sh (sourced): a dockerd of the bench's own, its data under a
# temp dir, stopped at the end.  Debian's docker.io is installed when dockerd
# is missing (peers on); where it cannot run here, docker is "n/a" with the
# reason in the notes.
#
# Two things made every docker build fail under the bench before:
# - a newer docker client first on PATH (28.x in /usr/local/bin) has no
#   BuildKit of its own: with DOCKER_BUILDKIT=1 it wants the buildx plugin
#   ("BuildKit is enabled but the buildx component is missing or broken").
#   Debian's client (20.10, the daemon's own version) still carries BuildKit's
#   session code, so the bench uses the client that came with dockerd.
# - the daemon runs with --bridge none (no bridge or nftables rules of its
#   own on a shared host), and a RUN step on the default network then fails
#   with "network bridge not found": builds pass --network none.

# bench_docker_start DIR [WORKLOAD [DOCKERD_ARG...]]: 0 with a daemon
# answering on DIR/docker.sock; sets BENCH_DOCKER to the client to talk to
# it with.  Why not, in a note under WORKLOAD (default: a note of its own).
# DOCKERD_ARGs replace the default network flags (no bridge, no iptables).
bench_docker_start() {
        local d=$1 w=${2:-docker} pre="" i
        [ "$w" = docker ] || pre="docker: "
        local net=(--bridge none --iptables=false --ip6tables=false)
        [ $# -gt 2 ] && net=("${@:3}")
        [ "$BENCH_PEERS" = 1 ] || return 1
        if ! command -v dockerd >/dev/null; then
                echo "bench: installing docker.io from Debian for the comparison" >&2
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                        docker.io >/dev/null 2>&1 || true
        fi
        if ! command -v dockerd >/dev/null; then
                bench_note "$w" "${pre}n/a: dockerd is not installed and docker.io could not be installed"
                return 1
        fi
        # the client packaged with the daemon (see above), else the one on PATH
        BENCH_DOCKER=docker
        local c
        c=$(dpkg -L docker.io 2>/dev/null | grep -m1 '/bin/docker$' || true)
        [ -n "$c" ] && [ -x "$c" ] && BENCH_DOCKER=$c
        mkdir -p "$d"
        # by default no bridge or iptables of its own: the host's nftables
        # stay as they are
        dockerd --data-root "$d/root" --exec-root "$d/exec" --pidfile "$d/pid" \
                -H "unix://$d/docker.sock" "${net[@]}" >"$d/log" 2>&1 &
        echo $! >"$d/dockerd.pid"
        bench_on_exit "kill \$(cat '$d/dockerd.pid'); sleep 1"
        for i in $(seq 1 100); do
                $BENCH_DOCKER -H "unix://$d/docker.sock" info >/dev/null 2>&1 && return 0
                kill -0 "$(cat "$d/dockerd.pid")" 2>/dev/null || break
                sleep 0.2
        done
        bench_note "$w" "${pre}n/a: dockerd did not start here: $(grep -i 'level=\(error\|fatal\)' "$d/log" | tail -1 | cut -c1-200)"
        return 1
}

# bench_docker_bridge_start DIR WORKLOAD: a dockerd as above, but with a
# bridge the bench makes on a free /24 and --iptables=true, docker's own
# defaults for -p (DNAT, and docker-proxy for 127.0.0.1); sets DOCK to its
# client.  Where it cannot run, a note under WORKLOAD and 1.
# bench_docker_bridge_clean (also run at exit) undoes it: the containers, the
# daemon, every rule naming its chains, bridge or subnet, its chains, the
# policies and sysctls it changed, the bridge; then iptables-save is compared
# with a copy taken before (a warning and a note when they differ).  It never
# starts where docker's chains exist already (another dockerd's: neither
# shared nor touched).
bench_ipt_state() { # iptables-save without its dates and counters
        iptables-save 2>/dev/null | sed -e '/^#/d' -e 's/ \[[0-9]*:[0-9]*\]$//'
}
DSYS=(/proc/sys/net/ipv4/ip_forward /proc/sys/net/bridge/bridge-nf-call-iptables
        /proc/sys/net/bridge/bridge-nf-call-ip6tables)
bench_docker_bridge_start() {
        local f
        DD=$1 DW=$2
        [ "$BENCH_PEERS" = 1 ] || return 1
        if ! command -v iptables-save >/dev/null; then
                bench_note "$DW" "docker: n/a: no iptables here for docker's port map"
                return 1
        fi
        mkdir -p "$DD"
        bench_ipt_state >"$DD/ipt.before"
        DBR=dbench$((RANDOM % 10000))
        DNET=$(bench_subnet)
        # an address of that subnet in a rule (as a regex)
        DRE=" $(echo "${DNET%.0/24}." | sed 's/[.]/\\./g')"
        if grep -q DOCKER "$DD/ipt.before"; then
                bench_note "$DW" "docker: n/a: the host has docker's iptables chains already (another dockerd's): the bench neither shares nor touches them"
                return 1
        elif ip link show "$DBR" >/dev/null 2>&1 || [ -z "$DNET" ]; then
                bench_note "$DW" "docker: n/a: no free bridge name or subnet for the bench's dockerd"
                return 1
        fi
        DSYSV=()
        for f in "${DSYS[@]}"; do DSYSV+=("$(cat "$f" 2>/dev/null || true)"); done
        DCLEAN=1
        bench_on_exit bench_docker_bridge_clean
        if ! { ip link add "$DBR" type bridge && ip addr add "${DNET%.0/24}.1/24" dev "$DBR" &&
                ip link set "$DBR" up; } 2>"$DD/err"; then
                bench_note "$DW" "docker: n/a: no bridge for the bench's dockerd: $(head -1 "$DD/err")"
                return 1
        fi
        bench_docker_start "$DD" "$DW" --bridge "$DBR" --fixed-cidr "$DNET" \
                --iptables=true --ip6tables=false --ipv6=false || return 1
        DOCK="$BENCH_DOCKER -H unix://$DD/docker.sock"
}
bench_docker_bridge_clean() {
        [ -n "${DCLEAN:-}" ] || return 0
        DCLEAN=
        local t line c pol i pid ids
        ids=$(${BENCH_DOCKER:-docker} -H "unix://$DD/docker.sock" ps -aq 2>/dev/null || true)
        [ -z "$ids" ] || ${BENCH_DOCKER:-docker} -H "unix://$DD/docker.sock" rm -f $ids >/dev/null 2>&1 || true
        pid=$(cat "$DD/dockerd.pid" 2>/dev/null || true)
        if [ -n "$pid" ]; then
                kill "$pid" 2>/dev/null || true
                for i in $(seq 300); do
                        kill -0 "$pid" 2>/dev/null || break
                        sleep 0.1
                done
        fi
        for t in nat filter; do
                iptables-save -t "$t" 2>/dev/null | grep '^-A ' | grep -v '^-A DOCKER' |
                        grep -E -- "DOCKER|[ !]$DBR( |\$)|$DRE" | while read -r line; do
                        eval "iptables -t $t -D ${line#-A }" || true
                done
                for c in $(iptables-save -t "$t" 2>/dev/null | sed -n 's/^:\(DOCKER[^ ]*\) .*/\1/p'); do
                        iptables -t "$t" -F "$c" || true
                done
                for c in $(iptables-save -t "$t" 2>/dev/null | sed -n 's/^:\(DOCKER[^ ]*\) .*/\1/p'); do
                        iptables -t "$t" -X "$c" || true
                done
                # built-in chains' policies as they were (docker sets FORWARD's
                # to DROP when it had to turn ip_forward on)
                sed -n "/^\*$t\$/,/^COMMIT/s/^:\([A-Z]*\) \(ACCEPT\|DROP\)\$/\1 \2/p" "$DD/ipt.before" |
                        while read -r c pol; do
                                iptables-save -t "$t" | grep -qx ":$c $pol.*" ||
                                        iptables -t "$t" -P "$c" "$pol" || true
                        done
        done
        for i in "${!DSYS[@]}"; do
                [ -n "${DSYSV[$i]}" ] && [ "$(cat "${DSYS[$i]}")" != "${DSYSV[$i]}" ] &&
                        echo "${DSYSV[$i]}" >"${DSYS[$i]}"
        done
        ip link del "$DBR" 2>/dev/null || true
        bench_ipt_state >"$DD/ipt.after"
        if ! cmp -s "$DD/ipt.before" "$DD/ipt.after"; then
                echo "bench: WARNING: iptables-save differs from before docker's port map" \
                        "(docker's leftovers, or another tool's rules meanwhile):" >&2
                diff "$DD/ipt.before" "$DD/ipt.after" | grep '^[<>]' >&2 || true
                bench_note "$DW" "docker: WARNING: iptables-save after the bench differs from before it"
        fi
}
