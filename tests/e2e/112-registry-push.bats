#!/usr/bin/env bats
# box push and box build --push against a real registry, and interop both
# ways with skopeo and podman.

load helpers
load registry-helpers
load transfer-helpers

setup() {
        box_setup_store
        registry_start_insecure
}

teardown() {
        registry_stop
        box_teardown_store
}

build_app() {
        mkdir -p "$BOX_TEST_TMP/ctx"
        printf 'FROM busybox\nRUN echo built by box > /greeting && head -c 300000 /dev/urandom > /noise\nCMD ["cat", "/greeting"]\n' \
                > "$BOX_TEST_TMP/ctx/Dockerfile"
        box build -q -t "$1" "$BOX_TEST_TMP/ctx" >/dev/null
}

@test "box pushes a box-built image; skopeo inspects it and copies it back identical" {
        import_busybox
        build_app app:1
        run box push --digestfile "$BOX_TEST_TMP/digest" app:1 "$REG/team/app:1"
        [ "$status" -eq 0 ]
        d=$(cat "$BOX_TEST_TMP/digest")
        [ "${lines[-1]}" = "$d" ]
        run skopeo inspect --tls-verify=false "docker://$REG/team/app:1"
        [ "$status" -eq 0 ]
        [[ "$output" == *"\"Digest\": \"$d\""* ]]
        # the image pushed is box's: the same config, so the same id
        id=$(skopeo inspect --raw --tls-verify=false "docker://$REG/team/app:1" |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')
        [ "$id" = "$(box image inspect --format '{{.Id}}' app:1)" ]
        skopeo copy -q --preserve-digests --src-tls-verify=false "docker://$REG/team/app:1" "oci:$BOX_TEST_TMP/back:app"
        # the same manifest, byte for byte: its digest is the one box printed
        python3 -c 'import json,sys; i=json.load(open(sys.argv[1]+"/index.json")); print(i["manifests"][0]["digest"])' \
                "$BOX_TEST_TMP/back" > "$BOX_TEST_TMP/back.digest"
        [ "$(cat "$BOX_TEST_TMP/back.digest")" = "$d" ]
        cmp "$BOX_TEST_TMP/back/blobs/sha256/${d#sha256:}" "$BOX_ROOT/blobs/sha256/${d#sha256:}"
        # and box loads the copy as the same image
        box rmi app:1 >/dev/null
        run box load -i <(tar -C "$BOX_TEST_TMP/back" -cf - .)
        [ "$status" -eq 0 ]
}

@test "box keeps built layers as tar and pushes them gzip-compressed, each gunzipping to its diff_id" {
        import_busybox
        build_app app:1
        local_manifest="$BOX_ROOT/blobs/sha256/$(box image inspect --format '{{.Digest}}' app:1 | cut -d: -f2)"
        # in the store: plain tar (the base imported, the RUN step built)
        run python3 -c 'import json,sys; print(" ".join(l["mediaType"] for l in json.load(open(sys.argv[1]))["layers"]))' "$local_manifest"
        [ "$output" = "application/vnd.oci.image.layer.v1.tar application/vnd.oci.image.layer.v1.tar" ]
        run box push -q app:1 "$REG/team/gz:1"
        [ "$status" -eq 0 ]
        d=${lines[-1]}
        [ "$d" != "sha256:$(basename "$local_manifest")" ]
        skopeo copy -q --preserve-digests --src-tls-verify=false "docker://$REG/team/gz:1" "oci:$BOX_TEST_TMP/gz:1"
        python3 - "$BOX_TEST_TMP/gz" "$d" <<'PY'
import gzip, hashlib, json, sys
root, d = sys.argv[1], sys.argv[2]
blob = lambda dg: open(f"{root}/blobs/sha256/{dg[7:]}", "rb").read()
m = json.loads(blob(d))
diff_ids = json.loads(blob(m["config"]["digest"]))["rootfs"]["diff_ids"]
assert len(m["layers"]) == len(diff_ids) == 2, m
for l, diff_id in zip(m["layers"], diff_ids):
    assert l["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip", l
    raw = blob(l["digest"])
    assert len(raw) == l["size"] and raw[:2] == b"\x1f\x8b", l
    assert "sha256:" + hashlib.sha256(gzip.decompress(raw)).hexdigest() == diff_id, l
PY
        # and what came back runs as the same image
        rm -rf "$BOX_ROOT"
        run box run --rm "$REG/team/gz:1"
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "built by box" ]
}

@test "a second push skips what the registry has; another repository mounts; chunked uploads" {
        import_busybox
        build_app app:1
        box push -q app:1 "$REG/team/app:1" >/dev/null
        run box push app:1 "$REG/team/app:1"
        [ "$status" -eq 0 ]
        [[ "$output" == *"already there"* ]]
        [[ "$output" != *"Pushed sha256:"* ]]
        # same registry, another repository: mounted from the source name
        box tag app:1 "$REG/team/app:2"
        box pull -q "$REG/team/app:1" >/dev/null
        run box push "$REG/team/app:1" "$REG/other/app:1"
        [ "$status" -eq 0 ]
        [[ "$output" != *"Pushed sha256:"* ]]
        grep -q 'mount=sha256' "$REG_DIR/log" || grep -q 'blob mounted' "$REG_DIR/log"
        run box push --chunk-size 64k app:1 "$REG/chunked/app:1"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Pushed sha256:"* ]]
        rm -rf "$BOX_ROOT"
        run box run --rm "$REG/chunked/app:1"
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "built by box" ]
}

@test "box build --push publishes every tag" {
        import_busybox
        mkdir -p "$BOX_TEST_TMP/ctx"
        printf 'FROM busybox\nRUN echo ci > /ci\n' > "$BOX_TEST_TMP/ctx/Dockerfile"
        run box build --push -t "$REG/ci/app:1" -t "$REG/ci/app:latest" "$BOX_TEST_TMP/ctx"
        [ "$status" -eq 0 ]
        run skopeo list-tags --tls-verify=false "docker://$REG/ci/app"
        [[ "$output" == *'"1"'* && "$output" == *'"latest"'* ]]
}

@test "skopeo and podman push images that box pulls and runs" {
        podman_setup
        skopeo_push_busybox from/skopeo:1
        run box pull "$REG/from/skopeo:1"
        [ "$status" -eq 0 ]
        run box run --rm "$REG/from/skopeo:1" echo via skopeo
        [ "$output" = "via skopeo" ]
        pm load -q -i "$(busybox_archive)" >/dev/null
        pm tag busybox:src "$REG/from/podman:1"
        pm push -q --tls-verify=false "$REG/from/podman:1"
        run box pull "$REG/from/podman:1"
        [ "$status" -eq 0 ]
        run box run --rm "$REG/from/podman:1" echo via podman
        [ "$output" = "via podman" ]
        # and podman pulls what box pushed
        box push -q "$REG/from/podman:1" "$REG/from/box:1" >/dev/null
        pm pull -q --tls-verify=false "$REG/from/box:1" >/dev/null
        run pm run --rm --net none "$REG/from/box:1" echo back in podman
        [ "$output" = "back in podman" ] || skip "podman cannot run containers here"
}

@test "push of a missing image and to a registry that is not there: one line, exit 125" {
        run box push nosuch "$REG/x/y:1"
        [ "$status" -eq 125 ]
        [ "${lines[-1]}" = "box: error: no such image: 'nosuch'" ]
        import_busybox
        run box push busybox "127.0.0.1:1/x/y:1"
        [ "$status" -eq 125 ]
        [[ "${lines[-1]}" == "box: error: registry '127.0.0.1:1': GET 'https://127.0.0.1:1/v2/': "* ]]
}
