#!/bin/bash
# Load, save and pull of a ~200 MB image (a tree copied from the host's
# /usr, so no network) against the floors: tar -x of the layer (and tar -x
# then sync, as box syncs before publishing), tar -c, curl | tar -xz over
# loopback HTTP; podman load and skopeo copy as peers, all of a workload
# taking turns round by round (bench_rounds: box, the floors and the peers
# alternate, so the host's load hits them alike).  On a tmpfs by
# default (BENCH_TRANSFER_DIR to change): on this host's ext4, creating
# inodes right after deleting many costs seconds of ext4's inode search
# (recently_deleted) for every tool alike and drowns the differences.
. "$(dirname "$0")/lib.sh"
SIZE_MB=${BENCH_TRANSFER_MB:-200}
[ "$BENCH_SMOKE" = 1 ] && SIZE_MB=5
if [ -n "${BENCH_TRANSFER_DIR:-}" ]; then
        bench_tmp T "$BENCH_TRANSFER_DIR"
else
        bench_tmp T
        mount -t tmpfs -o size=$((SIZE_MB * 8 + 256))m bench "$T"
fi
HTTP_PID=
bench_on_exit '[ -n "$HTTP_PID" ] && kill "$HTTP_PID"'

mkdir -p "$T/tree"
(tar -C / -cf - usr/share usr/lib 2>/dev/null || true) | head -c "${SIZE_MB}M" |
        (tar -x -C "$T/tree" 2>/dev/null || true)
tar --numeric-owner -C "$T/tree" -cf "$T/layer.tar" .
rm -rf "$T/tree"
export BOX_ROOT=$T/src
"$BOX" import "$T/layer.tar" bench:1 >/dev/null
"$BOX" save -o "$T/img.tar" bench:1
layer_dir="$T/src/layers/$(ls "$T/src/layers" | head -1)"
R=$(bench_runs 7)
W="load of a ${SIZE_MB} MB docker-archive"
FRESH="rm -rf $T/dst $T/x $T/pm $T/oci; mkdir -p $T/x $T/pm"
cmds=(box box "env BOX_ROOT=$T/dst $BOX load -q -i $T/img.tar"
        "tar -x" floor "tar -xf $T/layer.tar -C $T/x"
        "tar -x; sync" floor "tar -xf $T/layer.tar -C $T/x; sync -f $T/x")
if bench_peer podman; then
        cmds+=(podman peer "podman --root $T/pm/root --runroot $T/pm/run --storage-driver vfs load -q -i $T/img.tar")
fi
if bench_peer skopeo; then
        cmds+=("skopeo copy (no unpack)" peer "skopeo copy -q docker-archive:$T/img.tar oci:$T/oci:bench")
fi
bench_rounds "$W" "$R" "$FRESH" "${cmds[@]}"
bench_goal "$W" "tar -x" 1.2

W="save of a ${SIZE_MB} MB image"
bench_rounds "$W" "$R" "rm -f $T/out.tar" box box "env BOX_ROOT=$T/src $BOX save -o $T/out.tar bench:1" \
        "tar -c" floor "tar -C $layer_dir -cf $T/out.tar ."
bench_goal "$W" "tar -c" 1.2

W="pull of a ${SIZE_MB} MB image (loopback HTTP)"
mkdir -p "$T/www"
gzip -1 -c "$T/img.tar" >"$T/www/img.tar.gz"
gzip -1 -c "$T/layer.tar" >"$T/www/layer.tar.gz"
rm -f "$T/img.tar.gz"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$port" >/dev/null 2>&1 &
HTTP_PID=$!
for i in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
bench_rounds "$W" "$R" "$FRESH" box box "env BOX_ROOT=$T/dst $BOX pull -q http://127.0.0.1:$port/img.tar.gz" \
        "curl | tar -xz" floor "curl -sf http://127.0.0.1:$port/layer.tar.gz | tar -xz -C $T/x"
bench_goal "$W" "curl | tar -xz" 1.1
