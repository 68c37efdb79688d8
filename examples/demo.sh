#!/bin/sh
# make demo: shows the best of box on a real example, in a throw-away store.
set -eu
O=${1:-out}
BOX="$PWD/$O/box"
export BOX_ROOT="$(mktemp -d /tmp/box-demo.XXXXXX)"
trap 'rm -rf "$BOX_ROOT"' EXIT
run() { echo "\$ box $*"; "$BOX" "$@"; echo; }

echo "# a busybox rootfs made from Debian's busybox-static: $O/fixtures/busybox.tar"
run import --change 'CMD ["/bin/sh"]' "$O/fixtures/busybox.tar" busybox
run tag busybox localhost/busybox:demo
run images
run image inspect --format '{{.Id}} {{json .Config.Cmd}} {{.Architecture}}/{{.Os}}' busybox
if command -v skopeo >/dev/null; then
        echo "\$ skopeo inspect --config oci:\$BOX_ROOT:docker.io/library/busybox:latest  # the store is an OCI layout"
        skopeo inspect --config "oci:$BOX_ROOT:docker.io/library/busybox:latest" | head -12
        echo
fi
run rmi localhost/busybox:demo
run info
