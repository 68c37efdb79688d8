#!/usr/bin/env bats
# box pull NAME from a real registry (Debian's docker-registry, Distribution
# 2.8) on 127.0.0.1: tags, digests, indexes, skipped layers, a corrupted
# blob, an interrupted download, and a registry that misbehaves.

load helpers
load registry-helpers

setup() {
        box_setup_store
        registry_start_insecure
}

teardown() {
        [ -n "${AUX_PID:-}" ] && { kill "$AUX_PID" 2>/dev/null; wait "$AUX_PID" 2>/dev/null; } || true
        registry_stop
        box_teardown_store
}

aux_start() { # python3 registry-tools.py ARGS... on a free port: AUX_PORT
        AUX_PORT=$(free_port)
        python3 "$BATS_TEST_DIRNAME/registry-tools.py" "$1" "$AUX_PORT" "${@:2}" > "$BOX_TEST_TMP/aux.log" 2>&1 &
        AUX_PID=$!
        wait_port "$AUX_PORT"
}

@test "pull by tag and by digest, run it, and a second pull skips the layers" {
        skopeo_push_busybox app/busybox:1.0
        run box pull "$REG/app/busybox:1.0"
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "$REG/app/busybox:1.0" ]
        [[ "$output" == *"Downloaded sha256:"* ]]
        run box run --rm "$REG/app/busybox:1.0" echo hello from the registry
        [ "$output" = "hello from the registry" ]
        digest=$(skopeo inspect --tls-verify=false "docker://$REG/app/busybox:1.0" --format '{{.Digest}}')
        run box pull "$REG/app/busybox:1.0"
        [ "$status" -eq 0 ]
        [[ "$output" == *"already in the store"* ]]
        [[ "$output" != *"Downloaded sha256:"* ]]
        [[ "$output" == *"Digest: $digest"* ]]
        run box pull -q "$REG/app/busybox@$digest"
        [ "$status" -eq 0 ]
        run box image inspect --format '{{.Id}}' "$REG/app/busybox:1.0"
        [ "$status" -eq 0 ]
}

@test "a layer blob the store holds but that does not match its digest is fetched again" {
        skopeo_push_busybox app/busybox:1.0
        box pull -q "$REG/app/busybox:1.0"
        blob=$(find "$BOX_ROOT/blobs/sha256" -type f -size +100k | head -1)
        chmod u+w "$blob"
        printf 'garbage' > "$blob"
        box rmi "$REG/app/busybox:1.0" >/dev/null
        run box pull "$REG/app/busybox:1.0"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Downloaded sha256:"* ]]
        box run --rm "$REG/app/busybox:1.0" true
}

@test "a multi-arch index: the host's platform by default, --platform picks another, none matching lists them" {
        [ "$(uname -m)" = x86_64 ] || skip "the host is not amd64"
        skopeo_push_busybox multi/app:amd64
        python3 "$BATS_TEST_DIRNAME/registry-tools.py" index "$REG" multi/app latest amd64
        run box pull "$REG/multi/app"
        [ "$status" -eq 0 ]
        run box image inspect --format '{{.Architecture}}' "$REG/multi/app"
        [ "$output" = amd64 ]
        run box pull --platform linux/arm64/v8 "$REG/multi/app:latest"
        [ "$status" -eq 0 ]
        run box image inspect --format '{{.Architecture}}' "$REG/multi/app"
        [ "$output" = arm64 ]
        run box pull --platform linux/s390x "$REG/multi/app"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[1]}" == *"registry '$REG', repository 'multi/app': no image for linux/s390x in the index; it has: linux/arm64/v8, linux/amd64" ]]
}

@test "a corrupted blob on the server is rejected and leaves nothing behind" {
        skopeo_push_busybox bad/busybox:1
        box import "$BUSYBOX_TAR" keep:me >/dev/null
        before=$(store_listing)
        # the layer blob: the biggest data file of the registry's storage
        data=$(find "$REG_DIR/storage" -path '*/blobs/sha256/*/data' -size +100k | head -1)
        [ -n "$data" ]
        layer=sha256:$(basename "$(dirname "$data")")
        printf 'XXXXXXXXXXXXXXXX' | dd of="$data" bs=1 seek=5000 conv=notrunc 2>/dev/null
        run box pull "$REG/bad/busybox:1"
        [ "$status" -eq 125 ]
        # the damage is found by the decompressor or by the digest, whichever comes first
        [[ "${lines[-1]}" == "box: error: registry '$REG', repository 'bad/busybox': layer '"*"': "* ]]
        [[ "${lines[-1]}" == *"digest mismatch"* || "${lines[-1]}" == *"corrupt"* ]]
        [ "$(store_listing)" = "$before" ]
        [ ! -e "$BOX_ROOT/blobs/sha256/${layer#sha256:}" ]
        no_partial_content
}

@test "an interrupted download resumes with Range where it stopped" {
        skopeo_push_busybox cut/busybox:1
        aux_start proxy "$REG"
        run box pull --tls-verify=false "127.0.0.1:$AUX_PORT/cut/busybox:1"
        [ "$status" -eq 0 ]
        grep -q '^cut ' "$BOX_TEST_TMP/aux.log"
        grep -q '^range .*bytes=[1-9][0-9]*-' "$BOX_TEST_TMP/aux.log"
        box run --rm "127.0.0.1:$AUX_PORT/cut/busybox:1" true
}

@test "unknown repository and tag: one line naming registry, repository and status; exit 125; store unchanged" {
        skopeo_push_busybox app/busybox:1.0
        before=$(store_listing)
        run box pull "$REG/app/busybox:nosuchtag"
        [ "$status" -eq 125 ]
        [ "${lines[-1]}" = "box: error: registry '$REG', repository 'app/busybox': manifest 'nosuchtag': HTTP 404 Not Found (MANIFEST_UNKNOWN: manifest unknown)" ]
        run box pull "$REG/no/such/repo"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == "box: error: registry '$REG', repository 'no/such/repo': manifest 'latest': HTTP 404 Not Found"* ]]
        [ "$(store_listing)" = "$before" ]
}

@test "a registry answering HTML, one rate limiting (429 Retry-After) and one failing (500, retried): one line each" {
        aux_start fake html
        run box pull --tls-verify=false "127.0.0.1:$AUX_PORT/x/y:1"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[1]}" == "box: error: registry '127.0.0.1:$AUX_PORT', repository 'x/y': manifest '1' is not JSON (HTTP 200)"* ]]
        kill "$AUX_PID"; wait "$AUX_PID" 2>/dev/null || true
        aux_start fake 429
        run box pull --tls-verify=false "127.0.0.1:$AUX_PORT/x/y:1"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == "box: error: registry '127.0.0.1:$AUX_PORT', repository 'x/y': manifest '1': HTTP 429 Too Many Requests (TOOMANYREQUESTS: slow down), retry after 120 s" ]]
        kill "$AUX_PID"; wait "$AUX_PID" 2>/dev/null || true
        aux_start fake 500
        run box pull --tls-verify=false "127.0.0.1:$AUX_PORT/x/y:1"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == "box: error: registry '127.0.0.1:$AUX_PORT', repository 'x/y': manifest '1': HTTP 500 Internal Server Error" ]]
        [ "$(grep -c '^get ' "$BOX_TEST_TMP/aux.log")" -eq 4 ]
        [ -z "$(box images -q)" ]
}

@test "hostile registry input: a bad platform, a digest reference that does not match" {
        skopeo_push_busybox app/busybox:1.0
        run box pull --platform linux "$REG/app/busybox:1.0"
        [ "$status" -eq 0 ] # a manifest, not an index: the platform does not apply
        run box pull "$REG/app/busybox@sha256:$(printf '%064d' 0)"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == "box: error: registry '$REG', repository 'app/busybox': manifest 'sha256:000"*"HTTP 404"* ]]
}

@test "run pulls a missing image with progress, -q without; --pull always, never; --platform" {
        skopeo_push_busybox app/busybox:1.0
        run box run --rm --network none "$REG/app/busybox:1.0" echo hi
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Downloaded sha256:"* ]]
        [ "${lines[-1]}" = hi ]
        box rmi "$REG/app/busybox:1.0" >/dev/null
        run box run --rm --network none -q "$REG/app/busybox:1.0" echo hi
        echo "$output"
        [ "$output" = hi ]
        run box run --rm --network none --quiet --pull always "$REG/app/busybox:1.0" echo again
        [ "$output" = again ]
        # each implicit pull (run, create, build's FROM) is an image "pull" event, as Docker's
        skopeo_push_busybox app/busybox:2.0
        skopeo_push_busybox app/busybox:3.0
        box create -q --network none "$REG/app/busybox:2.0" true >/dev/null
        mkdir -p "$BOX_TEST_TMP/ctx"
        printf 'FROM %s\nRUN true\n' "$REG/app/busybox:3.0" > "$BOX_TEST_TMP/ctx/Dockerfile"
        box build -q -t built "$BOX_TEST_TMP/ctx" >/dev/null
        run box events --since 1h --until 0s --filter event=pull --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
        echo "$output"
        [ "$output" = "image pull $REG/app/busybox:1.0
image pull $REG/app/busybox:1.0
image pull $REG/app/busybox:1.0
image pull $REG/app/busybox:2.0
image pull $REG/app/busybox:3.0" ]
        registry_stop
        run box run --rm --network none -q --pull always "$REG/app/busybox:1.0" true
        [ "$status" -eq 125 ]
        run box run --rm --network none -q --pull never "$REG/app/busybox:1.0" echo local
        [ "$output" = local ]
        run box run --rm --network none -q --platform linux/s390x "$REG/app/busybox:1.0" true
        [ "$status" -eq 125 ]
        [[ "$output" == *"--platform 'linux/s390x'"* ]]
}

@test "pull -a: every tag of the repository, tagged in the store; a tag or digest with -a is refused" {
        skopeo_push_busybox multi/busybox:1.0
        skopeo_push_busybox multi/busybox:2.0
        skopeo_push_busybox multi/busybox:latest
        skopeo_push_busybox other/busybox:x
        run box pull -a "$REG/multi/busybox"
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "$REG/multi/busybox" ]
        run box images --format '{{.Repository}}:{{.Tag}}'
        [[ "$output" == *"$REG/multi/busybox:1.0"* ]]
        [[ "$output" == *"$REG/multi/busybox:2.0"* ]]
        [[ "$output" == *"$REG/multi/busybox:latest"* ]]
        [[ "$output" != *other* ]]
        run box pull --all-tags "$REG/multi/busybox:1.0"
        [ "$status" -eq 125 ]
        [[ "$output" == *"tag can't be used with --all-tags/-a"* ]]
        run box pull -a "$REG/nothing/here"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        run box pull -a http://127.0.0.1:1/x.tar
        [ "$status" -eq 125 ]
}

@test "pull -a, hostile registry: tags that are not tags, and pages linked forever, are refused" {
        aux_start fake tags
        run box pull -q -a --tls-verify=false "127.0.0.1:$AUX_PORT/bad/names"
        [ "$status" -eq 125 ]
        [[ "$output" == *"not a tag"* ]]
        run timeout 120 "$BOX" pull -q -a --tls-verify=false "127.0.0.1:$AUX_PORT/loop/forever"
        [ "$status" -eq 125 ]
        [[ "$output" == *"more than 1000 pages"* ]]
}
