#!/bin/sh
# Checks that every path of this repository a document names exists: a word
# starting with a module or a top-level folder (lib/, spec/, store/, image/,
# run/, build/, cli/, docs/, tests/, examples/, bench/) or naming a top-level
# file.  Prints each missing one as "DOC: PATH" and fails when there is one.
# Usage: tests/doc-paths.sh [-C REPO] DOC...   (paths are relative to REPO,
# the current directory by default)
repo=.
if [ "$1" = "-C" ]; then
        repo=$2
        shift 2
fi
[ $# -gt 0 ] || { echo "usage: $0 [-C REPO] DOC..." >&2; exit 2; }
missing=0
for doc in "$@"; do
        [ -r "$doc" ] || { echo "$doc: cannot read" >&2; exit 2; }
        for p in $(grep -oE '(^|[^A-Za-z0-9_./<>-])((lib|spec|store|image|run|build|cli|docs|tests|examples|bench)/[A-Za-z0-9_./*-]*|box\.c|GNUmakefile)' "$doc" |
                sed -E 's/^[^A-Za-z]//; s/[.]+$//' | sort -u); do
                # a glob (cli/cmd-image*.c) must match something
                # shellcheck disable=SC2086
                set -- $(cd "$repo" && ls -d $p 2>/dev/null)
                if [ $# -eq 0 ]; then
                        echo "$doc: $p"
                        missing=$((missing + 1))
                fi
        done
done
[ "$missing" -eq 0 ]
