#!/bin/sh
# Makes a Debian base image (minbase, bookworm by default) with debootstrap
# and packs it as an OCI image archive that `box load` and `box pull URL`
# read: OUTDIR/debian-SUITE.tar.  Nothing of box is used to make it, so the
# base is a fixed point when box itself is what is being tested.
#
# Usage: mkbase.sh [-f] OUTDIR
#   -f        rebuild even when OUTDIR/debian-SUITE.tar is newer than this script
# Environment:
#   SUITE            Debian release (default bookworm)
#   DEBIAN_MIRROR    mirror URL; default: the Debian mirror the host's apt
#                    sources name, else debootstrap's own default
#   DEBIAN_SECURITY_MIRROR  security mirror; default: the host's, if any
#   HOST_CA          0: do not copy the host's /usr/local/share/ca-certificates
#
# Exit status: 0 made (or cached), 77 Debian's mirror cannot be reached (a
# test suite skips on that), anything else a real failure.
set -eu

force=0
if [ "${1:-}" = -f ]; then
        force=1
        shift
fi
[ $# -eq 1 ] || { echo "usage: mkbase.sh [-f] OUTDIR" >&2; exit 2; }
outdir=$1
suite=${SUITE:-bookworm}
out="$outdir/debian-$suite.tar"
self=$0

if [ "$force" = 0 ] && [ -s "$out" ] && [ ! "$self" -nt "$out" ]; then
        echo "mkbase: $out is up to date"
        exit 0
fi
[ "$(id -u)" = 0 ] || { echo "mkbase: debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null ||
        { echo "mkbase: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }

# The URIs of the host's apt sources, one a line, in order: deb822 files and
# one-line "deb URI SUITE ..." lists.  Mirror names are never written here.
host_uris() {
        for f in /etc/apt/sources.list.d/*.sources; do
                [ -f "$f" ] || continue
                # a stanza's Types/URIs/Suites, joined: keep the deb stanzas
                awk 'BEGIN{RS=""; FS="\n"} {
                        t=""; u=""; s=""
                        for (i = 1; i <= NF; i++) {
                                if ($i ~ /^Types:/) t = $i
                                if ($i ~ /^URIs:/) { u = $i; sub(/^URIs:[ \t]*/, "", u) }
                                if ($i ~ /^Suites:/) { s = $i; sub(/^Suites:[ \t]*/, "", s) }
                                if ($i ~ /^Enabled:[ \t]*no/) t = ""
                        }
                        if (t ~ /(^|[ \t])deb([ \t]|$)/ && u != "") print u, s
                }' "$f"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
                [ -f "$f" ] || continue
                sed -n 's/^[ \t]*deb[ \t]\+\(\[[^]]*\][ \t]\+\)\?\([^ \t]\+\)[ \t]\+\([^ \t]\+\).*/\2 \3/p' "$f"
        done
}

# URI and suite list on each line of host_uris: the first Debian archive
# (a suite that is not -security) and the first security archive.
mirror=${DEBIAN_MIRROR:-$(host_uris | awk '$0 !~ /-security/ && $1 ~ /^https?:/ {print $1; exit}')}
security=${DEBIAN_SECURITY_MIRROR:-$(host_uris | awk '$0 ~ /-security/ && $1 ~ /^https?:/ {print $1; exit}')}

mkdir -p "$outdir"
work=$(mktemp -d "$outdir/.mkbase.XXXXXX")
cleanup() {
        # debootstrap mounts /proc and /sys in the target; never leave them
        for m in $(grep -o " $work/[^ ]*" /proc/self/mounts | sort -r); do
                umount -l "$m" 2>/dev/null || true
        done
        rm -rf "$work"
}
trap cleanup EXIT INT TERM
root="$work/rootfs"
log="$work/debootstrap.log"

echo "mkbase: debootstrap --variant=minbase $suite (a few minutes)"
start=$(date +%s)
# shellcheck disable=SC2086 # an empty mirror means debootstrap's default
if ! debootstrap --variant=minbase --components=main "$suite" "$root" $mirror \
        >"$log" 2>&1; then
        if grep -qE 'Failed getting release file|Failed getting release signature|Could not resolve|Connection refused|Network is unreachable' \
                "$log"; then
                echo "mkbase: cannot reach Debian's mirror: $(grep -E '^E:' "$log" | head -1)" >&2
                exit 77
        fi
        tail -20 "$log" >&2
        echo "mkbase: debootstrap failed (log above)" >&2
        exit 1
fi

# Trim what an image must not carry: downloaded packages and indexes, the
# installation's logs, the host's resolv.conf and hostname that debootstrap
# copied in, device nodes (the runtime provides /dev).
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
        "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
        "$root"/etc/resolv.conf "$root"/etc/hostname "$root"/debootstrap
rm -rf "$root"/var/log/apt/* "$root"/var/log/dpkg.log "$root"/var/log/alternatives.log \
        "$root"/var/log/bootstrap.log
find "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/run" -mindepth 1 -delete 2>/dev/null || true
mkdir -p "$root/var/lib/apt/lists/partial"
chmod 1777 "$root/tmp"

# apt sources as the official image has them: the release, its updates and,
# when known, its security archive (deb822).
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb[ \t]\+\([^ \t]\+\).*/\1/p' "$root/etc/apt/sources.list" | head -1)
rm -f "$root/etc/apt/sources.list"
{
        printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$mirror" "$suite" "$suite"
        printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
        if [ -n "$security" ]; then
                printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$security" "$suite"
                printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
        fi
} >"$root/etc/apt/sources.list.d/debian.sources"
# As the official image: apt keeps no downloaded packages nor its binary
# caches in a layer.
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF

# Behind a TLS-intercepting proxy, HTTPS from a RUN step (npm, pip, curl)
# fails unless the image trusts the proxy's CA, as the host does: carry the
# host's locally added CA certificates over, where update-ca-certificates
# (run when a build installs ca-certificates) adds them to the bundle.
# HOST_CA=0 leaves them out.
if [ "${HOST_CA:-1}" != 0 ]; then
        for crt in /usr/local/share/ca-certificates/*.crt; do
                [ -f "$crt" ] || continue
                mkdir -p "$root/usr/local/share/ca-certificates"
                cp "$crt" "$root/usr/local/share/ca-certificates/"
                echo "mkbase: adding the host's local CA certificate $(basename "$crt") (HOST_CA=0 leaves it out)"
        done
fi

# OCI architecture of the packages debootstrap installed
case $(chroot "$root" dpkg --print-architecture) in
amd64) arch=amd64 variant= ;;
arm64) arch=arm64 variant=v8 ;;
armhf) arch=arm variant=v7 ;;
armel) arch=arm variant=v5 ;;
i386) arch=386 variant= ;;
ppc64el) arch=ppc64le variant= ;;
mips64el) arch=mips64le variant= ;;
*) arch=$(chroot "$root" dpkg --print-architecture) variant= ;;
esac

# Every file's time clamped to the newest file the packages shipped (their
# docs keep the packages' own times): file times say which packages, not
# when the base was made.
epoch=${SOURCE_DATE_EPOCH:-$(find "$root/usr/share/doc" -type f -printf '%T@\n' | sort -n | tail -1 | cut -d. -f1)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

oci="$work/oci"
mkdir -p "$oci/blobs/sha256"
layer="$work/layer.tar"
tar --format=posix --numeric-owner --sort=name --xattrs --xattrs-include='security.capability' \
        --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
        --mtime="@$epoch" --clamp-mtime -C "$root" -cf "$layer" .
diff_id=$(sha256sum "$layer" | cut -d' ' -f1)
gzip -n -6 "$layer"
layer_digest=$(sha256sum "$layer.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$layer.gz")
mv "$layer.gz" "$oci/blobs/sha256/$layer_digest"

# blob FILE: moves FILE to blobs/ under its digest; prints "DIGEST SIZE"
blob() {
        d=$(sha256sum "$1" | cut -d' ' -f1)
        s=$(stat -c %s "$1")
        mv "$1" "$oci/blobs/sha256/$d"
        echo "$d $s"
}
platform_variant=
[ -z "$variant" ] || platform_variant=",\"variant\":\"$variant\""

printf '{"architecture":"%s"%s,"os":"linux","created":"%s","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["bash"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"debootstrap --variant=minbase %s (examples/debian-base/mkbase.sh)"}]}' \
        "$arch" "$platform_variant" "$created" "$diff_id" "$created" "$suite" >"$work/config.json"
# shellcheck disable=SC2046 # two words: digest and size
set -- $(blob "$work/config.json")
config_digest=$1 config_size=$2

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
        "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
# shellcheck disable=SC2046
set -- $(blob "$work/manifest.json")
manifest_digest=$1 manifest_size=$2

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"%s},"annotations":{"org.opencontainers.image.ref.name":"%s","io.containerd.image.name":"docker.io/library/debian:%s"}}]}' \
        "$manifest_digest" "$manifest_size" "$arch" "$platform_variant" "$suite" "$suite" >"$oci/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$oci/oci-layout"

tar --numeric-owner --owner=0 --group=0 --sort=name --mtime="@$epoch" -C "$oci" \
        -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"
echo "mkbase: $out ($(du -h "$out" | cut -f1), layer sha256:$diff_id) in $(($(date +%s) - start))s"
