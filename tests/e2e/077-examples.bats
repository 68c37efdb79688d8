#!/usr/bin/env bats
# The examples/ a user copies from, built and run as their READMEs say, on
# the Debian base (make fixtures-debian): hello (static binary FROM scratch),
# multistage (cache mounts, a test stage, --target), ci (the CI script) and
# webapp (npm ci against the npm registry through the host's network; the
# base carries the host's local CA certificates, so a TLS-intercepting
# proxy's CA is trusted without turning verification off).
bats_require_minimum_version 1.5.0
load helpers

DEBIAN_BASE_TAR="$BOX_FIXTURES/debian-bookworm.tar"

setup_file() {
        [ -s "$DEBIAN_BASE_TAR" ] || return 0
        box_setup_store
        "$BOX" load -q -i "$DEBIAN_BASE_TAR" >/dev/null
}

teardown_file() { box_teardown_store; }

setup() {
        if [ ! -s "$DEBIAN_BASE_TAR" ]; then
                skip "no Debian base: $(head -c 300 "$BOX_FIXTURES/debian-bookworm.skip" 2>/dev/null)"
        fi
}

@test "examples/hello: one static file in an empty image, arguments reach the ENTRYPOINT" {
        run "$BOX" build -q -t hello examples/hello
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        run "$BOX" run --rm hello you
        [ "$status" -eq 0 ]
        [[ "$output" == "Hello from you! (pid 1 on "* ]]
        # FROM scratch: the image's only layer holds the one binary
        run "$BOX" image inspect --format '{{len .RootFS.Layers}}' hello
        [ "$output" = 1 ]
        run -127 "$BOX" run --rm --entrypoint /bin/sh hello -c true
}

@test "examples/multistage: --target test runs the tests; the final image runs as nobody" {
        run "$BOX" build --progress plain --target test examples/multistage
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        [[ "$output" == *"wordfreq: tests passed"* ]]
        run "$BOX" build -q -t wordfreq examples/multistage
        [ "$status" -eq 0 ]
        run "$BOX" run --rm -i wordfreq -n 2 <<<"to be or not to be"
        [ "$status" -eq 0 ]
        [ "$output" = $'2 be\n2 to' ]
        run "$BOX" image inspect --format '{{.Config.User}}' wordfreq
        [ "$output" = 65534:65534 ]
        # the cache mounts' apt lists never reach a layer
        run "$BOX" build -q --target toolchain -t toolchain examples/multistage
        run "$BOX" run --rm toolchain sh -c 'ls /var/lib/apt/lists | grep -c Packages || true'
        [ "$output" = 0 ]
}

@test "examples/ci: the CI script builds, tests, tags and saves; the archive loads elsewhere" {
        local out="$BOX_TEST_TMP/ci-out"
        run env BOX="$BOX" CI_COMMIT_SHA=abc123 sh examples/ci/ci.sh examples/multistage "$out"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        [[ "$output" == *"published wordfreq:abc123 (sha256:"* ]]
        [ -s "$out/wordfreq-abc123.tar" ]
        run "$BOX" image inspect --format '{{index .Config.Labels "org.opencontainers.image.revision"}}' wordfreq:abc123
        [ "$output" = abc123 ]
        BOX_ROOT="$BOX_TEST_TMP/other" run "$BOX" load -i "$out/wordfreq-abc123.tar"
        [ "$status" -eq 0 ]
        [[ "$output" == *"wordfreq:abc123"* ]]
        # a failing step fails the job, before anything is published
        run env BOX="$BOX" CI_COMMIT_SHA=bad sh examples/ci/ci.sh "$BOX_TEST_TMP/nonexistent" "$out"
        [ "$status" -ne 0 ]
        [ ! -e "$out/wordfreq-bad.tar" ]
}

@test "examples/webapp: npm ci from the lock file, non-root, serves HTTP" {
        run "$BOX" build --progress plain -t webapp examples/webapp
        [ "$status" -eq 0 ] || { echo "$output" | tail -30; false; }
        run "$BOX" image inspect --format '{{.Config.User}} {{json .Config.Healthcheck.Test}}' webapp
        [ "$output" = 'app ["CMD","curl","-fsS","http://127.0.0.1:8080/healthz"]' ]
        run "$BOX" run --rm --network none webapp sh -c '
                id -un
                node server.js &
                for i in $(seq 100); do curl -fsS http://127.0.0.1:8080/healthz 2>/dev/null && break; sleep 0.1; done
                kill -TERM $!; wait $!; echo "exit $?"'
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        [[ "${lines[0]}" == app ]]
        [[ "$output" == *'"status":"ok"'* ]]
        [[ "$output" == *"SIGTERM: closing"* ]]
        [[ "$output" == *"exit 0"* ]]
        # a second build is fully cached
        run "$BOX" build --progress plain -t webapp examples/webapp
        [[ "$output" != *"cache miss"* ]]
}
