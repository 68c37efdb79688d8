#!/bin/sh
# make demo: shows the best of box on a real example, in a throw-away store:
# a busybox base image made from Debian's busybox-static, examples/greeter built
# from its Dockerfile, and the result run as a container.
set -eu
O=${1:-out}
BOX="$PWD/$O/box"
export BOX_ROOT="$(mktemp -d /tmp/box-demo.XXXXXX)"
trap 'rm -rf "$BOX_ROOT"' EXIT
run() { echo "\$ box $*"; "$BOX" "$@"; echo; }

echo "# the base image: a busybox rootfs tarball ($O/fixtures/busybox.tar)"
run import "$O/fixtures/busybox.tar" busybox:1.36
run dockerfile check -f examples/greeter/Dockerfile
run build -t hello examples/greeter
echo "# rebuilt from the cache:"
run build -t hello examples/greeter
run images
run image inspect --format '{{.Config.User}} {{json .Config.Cmd}} {{json .Config.ExposedPorts}}' hello
echo "# the greeter serves HTTP inside its own network namespace; busybox wget asks it"
run run --rm --network none hello sh -c './hello.sh 2>/dev/null & sleep 0.3; wget -qO- http://127.0.0.1:8080/; kill $!'
run run --rm hello sh -c 'id; cat /etc/hostname; ls /proc/1/exe >/dev/null && echo "pid 1 is $(cat /proc/1/comm)"'
if command -v skopeo >/dev/null; then
        echo "\$ skopeo inspect --config oci:\$BOX_ROOT:docker.io/library/hello:latest  # the store is an OCI layout"
        skopeo inspect --config "oci:$BOX_ROOT:docker.io/library/hello:latest" | head -8
        echo
fi
run info
