#!/bin/bash
# bench/pull.sh: box pull of one ~95 MB gzipped layer from a local
# registry (Debian's docker-registry on 127.0.0.1, plain HTTP) against the
# floor, `curl` of the blob piped to `tar -xz`, and against `podman pull`
# and `skopeo copy` (to an OCI layout, which does not even unpack) in the
# same run.  Each tool starts from an empty store every time.  Prints a
# table of median wall-clock times.  Needs root; leaves nothing behind.
#
# Usage: bench/pull.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
BOX=$PWD/out/box
[ -x "$BOX" ] || make -s out/box
command -v docker-registry >/dev/null || { echo "bench: apt-get install docker-registry" >&2; exit 1; }
TMP=$(mktemp -d /tmp/box-bench.XXXXXX)
REG_PID=
PODMAN_ROOT=$TMP/podman
cleanup() {
        [ -n "$REG_PID" ] && { kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null; } || true
        if command -v podman >/dev/null; then
                podman --root "$PODMAN_ROOT/root" --runroot "$PODMAN_ROOT/run" --storage-driver vfs \
                        system reset -f >/dev/null 2>&1 || true
        fi
        grep -o " $TMP[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
        rm -rf "$TMP"
}
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
timeit() { # PREP CMD... -> median seconds of CMD, PREP run untimed before each
        local prep=$1; shift
        for _ in $(seq "$RUNS"); do
                eval "$prep"
                sync
                local t0; t0=$(now)
                "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
                echo "$(now) - $t0" | bc -l
        done | median
}

# ---- the registry, on a free port, storage in TMP ----
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REG=127.0.0.1:$PORT
cat > "$TMP/registry.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $TMP/registry
http:
  addr: $REG
YAML
docker-registry serve "$TMP/registry.yml" > "$TMP/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 100); do curl -sf "http://$REG/v2/" >/dev/null && break; sleep 0.1; done

# ---- the image: one layer of random-ish text (base64 of random bytes in
# 2,000 files), ~95 MB gzipped, as an OCI layout pushed with skopeo ----
mkdir -p "$TMP/rootfs/data" "$TMP/layout/blobs/sha256"
python3 - "$TMP/rootfs/data" <<'PY'
import base64, os, sys
d = sys.argv[1]
for i in range(2000):
    with open(f"{d}/f{i:04d}.txt", "wb") as f:
        f.write(base64.encodebytes(os.urandom(47000)))
PY
tar -C "$TMP/rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$TMP/layer.tar" .
diff_id=sha256:$(sha256sum "$TMP/layer.tar" | cut -d' ' -f1)
gzip -1 -c "$TMP/layer.tar" > "$TMP/layer.tar.gz"
layer=$(sha256sum "$TMP/layer.tar.gz" | cut -d' ' -f1)
lsize=$(stat -c %s "$TMP/layer.tar.gz")
mv "$TMP/layer.tar.gz" "$TMP/layout/blobs/sha256/$layer"
rm -f "$TMP/layer.tar"
rm -rf "$TMP/rootfs"
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
        "$diff_id" > "$TMP/config.json"
cfg=$(sha256sum "$TMP/config.json" | cut -d' ' -f1)
mv "$TMP/config.json" "$TMP/layout/blobs/sha256/$cfg"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
        "$cfg" "$(stat -c %s "$TMP/layout/blobs/sha256/$cfg")" "$layer" "$lsize" > "$TMP/manifest.json"
man=$(sha256sum "$TMP/manifest.json" | cut -d' ' -f1)
msize=$(stat -c %s "$TMP/manifest.json")
mv "$TMP/manifest.json" "$TMP/layout/blobs/sha256/$man"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"1"}}]}' \
        "$man" "$msize" > "$TMP/layout/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$TMP/layout/oci-layout"
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$TMP/layout:1" "docker://$REG/bench/big:1"
rm -rf "$TMP/layout"

# ---- the runs ----
export BOX_ROOT=$TMP/store BOX_RUNROOT=$TMP/run
export XDG_CONFIG_HOME=$TMP/config BOX_REGISTRIES_CONF=$TMP/none.yaml
mkdir -p "$XDG_CONFIG_HOME/box"
printf 'registries:\n  %s:\n    insecure: true\n' "$REG" > "$XDG_CONFIG_HOME/box/registries.yaml"

floor() { curl -sf "http://$REG/v2/bench/big/blobs/sha256:$layer" | tar -xz -C "$TMP/x"; }
pm() { podman --root "$PODMAN_ROOT/root" --runroot "$PODMAN_ROOT/run" --storage-driver vfs "$@"; }

t_floor=$(timeit 'rm -rf "$TMP/x"; mkdir -p "$TMP/x"' floor)
t_box=$(timeit 'rm -rf "$BOX_ROOT"' "$BOX" pull -q "$REG/bench/big:1")
t_skopeo=$(timeit 'rm -rf "$TMP/oci"' skopeo copy -q --src-tls-verify=false "docker://$REG/bench/big:1" "oci:$TMP/oci:1")
t_podman=-
if command -v podman >/dev/null; then
        t_podman=$(timeit 'pm system reset -f >/dev/null 2>&1 || true' pm pull -q --tls-verify=false "$REG/bench/big:1")
fi

ratio() { [ "$2" = - ] && echo - || echo "scale=2; $2 / $1" | bc -l; }
printf 'pull of one %s MB gzipped layer from a local registry (median of %s runs)\n\n' \
        "$(echo "scale=1; $lsize / 1048576" | bc -l)" "$RUNS"
printf '| %-36s | %8s | %8s |\n' "tool" "seconds" "x floor"
printf '|%s|%s|%s|\n' "--------------------------------------" "----------" "----------"
printf '| %-36s | %8s | %8s |\n' "curl blob | tar -xz (the floor)" "$t_floor" 1.00
printf '| %-36s | %8s | %8s |\n' "box pull" "$t_box" "$(ratio "$t_floor" "$t_box")"
printf '| %-36s | %8s | %8s |\n' "podman pull (vfs)" "$t_podman" "$(ratio "$t_floor" "$t_podman")"
printf '| %-36s | %8s | %8s |\n' "skopeo copy to oci: (no unpack)" "$t_skopeo" "$(ratio "$t_floor" "$t_skopeo")"
