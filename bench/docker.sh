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
