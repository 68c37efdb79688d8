#!/bin/sh
# make demo: shows the best of box on a real example, in a throw-away store.
set -eu
O=${1:-out}
BOX="$PWD/$O/box"
export BOX_ROOT="$(mktemp -d /tmp/box-demo.XXXXXX)"
trap 'rm -rf "$BOX_ROOT"' EXIT
run() { echo "\$ $*"; "$@"; }
run "$BOX" version
