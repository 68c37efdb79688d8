# Set-up shared by the 08x-network-*.bats files: a store with busybox, a
# network prefix and default subnet of the file's own (box's links and
# nftables table are named by the prefix, so files and worktrees running at
# once never share them), and a check that box leaves the host's rules and
# links as it found them.
load helpers
bats_require_minimum_version 1.5.0

# The ruleset without the tables (ip and ip6) of other box runs (test and bench
# prefixes "b" and a letter: "bt", "bz", "bb", "bp", "bs" and whatever a new bench
# script picks, the default "box", and "h..." of boxes run by hand on a shared
# host at the same time), which may come and go while this file runs; the
# file's own are checked by name.  Nor iptables-nft's tables (nat, filter,
# mangle, raw, security), which box never writes but docker, podman's CNI
# and the benches' docker do, at any time on a shared host (085 failed on
# a bench's DOCKER chains): net_teardown_file checks that no rule anywhere
# names the file's prefix instead.
host_ruleset() {
        nft list ruleset 2>/dev/null |
                awk '/^table ip6? (b[a-z][0-9a-z]*|h[0-9a-z]*|nat|filter|mangle|raw|security) \{/ {skip=1} !skip {print} /^\}/ {skip=0}' |
                sed -e 's/counter packets [0-9]* bytes [0-9]*/counter/' -e '/^[[:space:]]*$/d'
}
# The host's links but box's (any prefix) and those docker, podman and the
# benches make and remove on a shared host meanwhile.
host_links() {
        ip -br link | awk '$1 !~ /^(b[a-z][0-9a-z]*[0-9-]|box|veth|h[0-9a-z]+[0-9-]|cni-|docker|dbench|podman|br-)/ {print $1}' |
                sed 's/@.*//' | sort
}
own_links() {
        ip -br link | awk -v p="$BOX_NETWORK_PREFIX" 'index($1, p) == 1 {print $1}'
}

# no_veths: none of this run's container links is left but the bridge
# (<prefix>0).  A container's veth goes with its network namespace, which
# the kernel tears down in the background a few milliseconds after the
# container's last process (deleting it in box would cost each --rm run an
# RCU grace period, 25 ms here), so this waits for that: up to 10 s, as a
# loaded machine's kernel takes its time.
no_veths() {
        local left
        for _ in $(seq 100); do
                left=$(ip -br link | awk -v p="$BOX_NETWORK_PREFIX" 'index($1, p) == 1 && $1 != p "0" {print $1}')
                [ -z "$left" ] && return 0
                sleep 0.1
        done
        echo "links left: $left" >&2
        return 1
}

# subnet N: the file's own /24 number N (N counts from the third octet of
# NET_T, which net_setup_file picks clear of the host's routes); prefix N:
# its first three octets and a dot
subnet() { echo "10.${NET_T%.*}.$(( (${NET_T#*.} + $1) % 256 )).0/24"; }
prefix() { subnet "$1" | sed 's|0/24$||'; }

# The default bridge's subnet and NET_T, clear of the host's routes now:
# picked again for each test, as a subnet clear when the file started was
# taken minutes later by a bridge made meanwhile (another run's, a bench's)
# and box refused it ("overlaps the host's route").
net_pick_subnets() {
        export BOX_BRIDGE_SUBNET="$(box_free_subnet)"
        local t
        t=$(box_free_subnet)
        t=${t#10.}
        export NET_T=${t%.0/24}
}

net_setup_file() {
        # four digits always: "bt12" would be the start of another run's "bt1234..." links
        export BOX_NETWORK_PREFIX="$(printf 'bt%04d' $((RANDOM % 10000)))"
        net_pick_subnets
        host_ruleset >"$BATS_FILE_TMPDIR/ruleset.before"
        host_links >"$BATS_FILE_TMPDIR/links.before"
}

net_teardown_file() {
        # a store of the file's own: without one this prune used the
        # user's store, /var/lib/box
        BOX_ROOT="$BATS_FILE_TMPDIR/prune-store" BOX_RUNROOT="$BATS_FILE_TMPDIR/prune-run" \
                "$BOX" network prune -f >/dev/null 2>&1 || true
        ! nft list table ip "$BOX_NETWORK_PREFIX" >/dev/null 2>&1 || false
        ! nft list table ip6 "$BOX_NETWORK_PREFIX" >/dev/null 2>&1 || false
        ! nft list ruleset 2>/dev/null | grep -F "$BOX_NETWORK_PREFIX" || false
        [ -z "$(own_links)" ]
        host_ruleset | diff "$BATS_FILE_TMPDIR/ruleset.before" -
        host_links | diff "$BATS_FILE_TMPDIR/links.before" -
}

net_setup() {
        net_pick_subnets
        box_setup_store
        import_busybox
}

net_teardown() {
        # containers a failed test left running
        for p in $(jobs -p); do kill -9 "$p" 2>/dev/null || true; done
        wait 2>/dev/null || true
        # and detached ones
        "$BOX" rm -f $("$BOX" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
        "$BOX" network prune -f >/dev/null 2>&1 || true
        box_teardown_store
}

# The host's first global IPv4 address.
host_ip() {
        ip -4 -o addr show scope global | awk '$2 !~ /^(bt|cni|box)/ {sub("/.*", "", $4); print $4; exit}'
}

# Waits until TCP port $1 on 127.0.0.1 answers an HTTP GET (the container's
# httpd is up), at most 30 s (a loaded machine's start can take seconds).
wait_http() {
        for _ in $(seq 300); do
                curl -s -m 1 -o /dev/null "http://127.0.0.1:$1/" && return 0
                sleep 0.1
        done
        return 1
}

# A free TCP and UDP port of the host, below the ephemeral range (which
# box's random host ports come from), with the next one free too.
free_port() {
        python3 -c '
import random, socket
while True:
    p = random.randrange(20000, 32000)
    try:
        for q in (p, p + 1):
            for t in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = socket.socket(socket.AF_INET, t); s.bind(("", q)); s.close()
        print(p); break
    except OSError:
        pass'
}

# busybox httpd serving "$2" on port 80 in a container; box runs in the
# background (its pid in $BOX_PID) with the other arguments.
httpd_args() {
        echo "sh -c 'mkdir -p /w && echo $1 >/w/index.html && httpd -f -p 80 -h /w'"
}
