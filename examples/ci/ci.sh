#!/bin/sh
# What a CI job runs to produce an image with box: build with plain progress
# (a log, not a TTY), keep the exact image id, run the tests inside that
# image, tag it with the commit, and publish it -- as an archive here
# (`box push` when a registry is configured).  Every step fails the job.
#
# Usage: ci.sh [CONTEXT] [OUTDIR]
#   CONTEXT  the project to build (default: examples/multistage)
#   OUTDIR   where the archive goes (default: ./ci-out)
# Environment: BOX (the box binary, default box), IMAGE (default wordfreq),
# CI_COMMIT_SHA / GITHUB_SHA (the tag; else `git rev-parse --short HEAD`).
set -eu

ctx=${1:-examples/multistage}
outdir=${2:-ci-out}
box=${BOX:-box}
image=${IMAGE:-wordfreq}
rev=${CI_COMMIT_SHA:-${GITHUB_SHA:-$(git rev-parse --short HEAD 2>/dev/null || echo dev)}}
mkdir -p "$outdir"

step() { printf '\n== %s\n' "$*"; }

step "test stage"
"$box" build --progress plain --target test "$ctx"

step "build $image"
"$box" build --progress plain --iidfile "$outdir/iid" \
        --label org.opencontainers.image.revision="$rev" -t "$image:ci" "$ctx"
iid=$(cat "$outdir/iid")
echo "image id: $iid"

step "smoke test inside the image"
got=$(printf 'b a b\n' | "$box" run --rm -i "$iid" -n 1)
[ "$got" = "2 b" ] || { echo "smoke test: got '$got', want '2 b'" >&2; exit 1; }
echo "ok: $got"

step "tag and publish"
"$box" tag "$iid" "$image:$rev"
"$box" save -o "$outdir/$image-$rev.tar" "$image:$rev"
ls -l "$outdir/$image-$rev.tar"
echo "published $image:$rev ($iid)"
