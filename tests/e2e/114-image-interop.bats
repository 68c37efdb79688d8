#!/usr/bin/env bats
# Image formats against the peers' own kinds of test data: what skopeo and
# podman write (dir:, oci:, archives; v2s2 and OCI; gzip levels, zstd,
# uncompressed), the documents containers/image's and image-spec's fixtures
# hold (annotations, subject, artifacts, foreign layers, nested indexes,
# schema 1), and distribution/reference's name grammar.  Every fixture is
# made here, by skopeo, podman or image-interop.py; nothing leaves the host.

load helpers
load transfer-helpers
load registry-helpers

setup() {
        box_setup_store
        box import "$BUSYBOX_TAR" busybox >/dev/null
        ID=$(box image inspect --format '{{.Id}}' busybox)
        box save -o "$BOX_TEST_TMP/bb.tar" busybox
        SRC="docker-archive:$BOX_TEST_TMP/bb.tar"
}

teardown() {
        registry_stop
        box_teardown_store
}

# box load -i $1 into an empty store; prints what load printed
load_fresh() {
        box rmi -f $(box images -q) >/dev/null 2>&1 || true
        box load -i "$1"
}

# The layout variants image-interop.py makes, under $BOX_TEST_TMP/v
variants() {
        [ -d "$BOX_TEST_TMP/oci" ] || skopeo copy -q "$SRC" "oci:$BOX_TEST_TMP/oci:bb"
        python3 "$BATS_TEST_DIRNAME/image-interop.py" "$BOX_TEST_TMP/oci" "$BOX_TEST_TMP/v" "$@"
}

@test "skopeo's dir: layouts (v2s2 and OCI; gzip 9, zstd, uncompressed; an index with --all) load untagged and run" {
        cd "$BOX_TEST_TMP"
        skopeo copy -q "$SRC" dir:v2s2
        skopeo copy -q --format oci "$SRC" dir:ocifmt
        skopeo copy -q --dest-compress --dest-compress-level 9 "$SRC" dir:gz9
        skopeo copy -q --format v2s2 --dest-compress-format zstd "$SRC" dir:zstd
        skopeo copy -q --format oci --dest-decompress "$SRC" dir:plain
        for d in v2s2 ocifmt gz9 zstd plain; do
                run load_fresh "$d"
                [ "$status" -eq 0 ]
                # podman's load of a dir: names nothing either
                [[ "$output" == "Loaded image ID: sha256:"* ]]
                id=${output#Loaded image ID: }
                run box run --rm "$id" echo "ran $d"
                [ "$output" = "ran $d" ]
        done
        # the v2s2 manifest is kept as it is: the image is the one saved
        load_fresh v2s2 >/dev/null
        [ "$(box images -q --no-trunc)" = "$ID" ]
        variants nested-index
        skopeo copy -q --all oci:v/nested-index dir:all
        ls all/*.manifest.json >/dev/null
        run load_fresh all
        [ "$status" -eq 0 ]
        [ "$(box image inspect --format '{{.Architecture}}' "${output#Loaded image ID: }")" = amd64 ]
        # a dir: whose blob is missing names it
        rm "v2s2/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"][7:])' v2s2/manifest.json)"
        run load_fresh v2s2
        [ "$status" -eq 125 ]
        [[ "$output" == *"open '"*"': No such file or directory"* ]]
}

@test "podman save --format docker-dir, oci-dir, oci-archive and -m docker-archive load into box" {
        podman_setup
        pm load -q -i "$BOX_TEST_TMP/bb.tar" >/dev/null
        pm tag docker.io/library/busybox:latest localhost/pm/bb:1
        cd "$BOX_TEST_TMP"
        pm save -q --format docker-dir -o pdir localhost/pm/bb:1
        pm save -q --format oci-dir -o pocidir localhost/pm/bb:1
        pm save -q --format oci-archive -o poci.tar localhost/pm/bb:1
        pm save -q -m -o pmulti.tar localhost/pm/bb:1 docker.io/library/busybox:latest
        run load_fresh pdir
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image ID: $ID" ]
        run load_fresh pocidir
        [ "$status" -eq 0 ]
        [ "$(box images -q --no-trunc)" = "$ID" ]
        run load_fresh poci.tar
        [ "$output" = "Loaded image: localhost/pm/bb:1" ]
        run load_fresh pmulti.tar
        [ "$status" -eq 0 ]
        [ "$(box images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" = "busybox:latest localhost/pm/bb:1 " ]
}

@test "skopeo oci: and oci-archive: with every compression load to one image id" {
        cd "$BOX_TEST_TMP"
        skopeo copy -q "$SRC" oci:l1:bb:1
        skopeo copy -q "$SRC" oci-archive:l2.tar:localhost/sk/bb:2
        skopeo copy -q --dest-compress-format zstd "$SRC" oci:l3:z
        skopeo copy -q --dest-compress --dest-compress-level 1 "$SRC" oci:l4:g
        skopeo copy -q --dest-decompress "$SRC" oci:l5
        skopeo copy -q --format v2s2 "$SRC" docker-archive:l6.tar:localhost/sk/bb:6
        oid=
        for d in l1 l2.tar l3 l4 l5 l6.tar; do
                run load_fresh "$d"
                [ "$status" -eq 0 ]
                id=$(box images -q --no-trunc)
                # skopeo's OCI conversion changes the config's media type,
                # so the id, but one id for every compression
                [ "$d" = l6.tar ] && [ "$id" = "$ID" ] && continue
                [ -z "$oid" ] && oid=$id
                [ "$id" = "$oid" ]
        done
        load_fresh l2.tar >/dev/null
        box image inspect localhost/sk/bb:2 >/dev/null
}

@test "image-spec and containers/image manifest forms: annotations, subject, artifactType, foreign and non-distributable layers, a layer twice, odd history, a 1 MiB label" {
        variants annotated nondistributable foreign layer-twice odd-history huge-label
        for c in annotated nondistributable foreign layer-twice odd-history huge-label; do
                run load_fresh "$BOX_TEST_TMP/v/$c"
                [ "$status" -eq 0 ]
                [ "$output" = "Loaded image: localhost/t/$c:1" ]
                run box run --rm "localhost/t/$c:1" echo "ran $c"
                [ "$output" = "ran $c" ]
        done
        # the manifest is kept byte for byte: skopeo reads it back from a save
        load_fresh "$BOX_TEST_TMP/v/annotated" >/dev/null
        box save --format oci-archive -o "$BOX_TEST_TMP/ann.tar" localhost/t/annotated:1
        run skopeo inspect --raw "oci-archive:$BOX_TEST_TMP/ann.tar"
        [[ "$output" == *'"subject"'* && "$output" == *'"artifactType"'* ]]
        load_fresh "$BOX_TEST_TMP/v/huge-label" >/dev/null
        [ "$(box image inspect --format '{{len (index .Config.Labels "big")}}' localhost/t/huge-label:1)" = 1048576 ]
        load_fresh "$BOX_TEST_TMP/v/odd-history" >/dev/null
        run box image history -q localhost/t/odd-history:1
        [ "$status" -eq 0 ]
}

@test "a nested index picks this host's platform past arm64 and windows; none matching is one line" {
        [ "$(uname -m)" = x86_64 ] || skip "the host is not amd64"
        variants nested-index no-platform
        run load_fresh "$BOX_TEST_TMP/v/nested-index"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: localhost/t/nested:1" ]
        [ "$(box image inspect --format '{{.Os}}/{{.Architecture}}' localhost/t/nested:1)" = linux/amd64 ]
        before=$(store_listing)
        run load_fresh "$BOX_TEST_TMP/v/no-platform"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"no image for linux/amd64; it has: linux/s390x, linux/ppc64le" ]]
}

@test "an artifact, unknown manifest and layer media types, schema 1 and a diff_id mismatch are refused in one line naming the fault" {
        variants empty-artifact unknown-layer unknown-manifest schema1 diff-id-mismatch
        box rmi -f busybox >/dev/null
        before=$(store_listing)
        run box load -i "$BOX_TEST_TMP/v/empty-artifact"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"not an image but an artifact (its config is 'application/vnd.oci.empty.v1+json')" ]]
        run box load -i "$BOX_TEST_TMP/v/unknown-layer"
        [ "$status" -eq 125 ]
        [[ "$output" == *"layer 1 has media type 'application/vnd.example.layer.v1', not a layer box can unpack" ]]
        run box load -i "$BOX_TEST_TMP/v/unknown-manifest"
        [ "$status" -eq 125 ]
        [[ "$output" == *"media type 'application/vnd.example.manifest.v1+json' is not an image manifest" ]]
        run box load -i "$BOX_TEST_TMP/v/schema1"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"Docker schema 1 (schemaVersion 1) is not supported"* ]]
        run box load -i "$BOX_TEST_TMP/v/diff-id-mismatch"
        [ "$status" -eq 125 ]
        [[ "$output" == *"diff_id mismatch: expected sha256:bbbb"* ]]
        [ "$(store_listing)" = "$before" ]
}

@test "skopeo 1.9's zstd:chunked rewrites the tar under an unchanged diff_id: refused as a mismatch, nothing stored" {
        skopeo copy -q --dest-compress-format zstd:chunked "$SRC" "oci:$BOX_TEST_TMP/zc:z"
        box rmi -f busybox >/dev/null
        before=$(store_listing)
        run box load -i "$BOX_TEST_TMP/zc"
        if [ "$status" -eq 0 ]; then
                # a skopeo whose chunked tar is the original one loads
                box run --rm "$(box images -q | head -1)" true
        else
                [ "$status" -eq 125 ]
                [[ "$output" == *"diff_id mismatch"* ]]
                [ "$(store_listing)" = "$before" ]
        fi
}

@test "pull: an artifact and an unknown layer type pushed by skopeo are refused in one line" {
        registry_start_insecure
        variants empty-artifact unknown-layer
        skopeo copy -q --dest-tls-verify=false "oci:$BOX_TEST_TMP/v/empty-artifact" "docker://$REG/t/art:1"
        skopeo copy -q --dest-tls-verify=false "oci:$BOX_TEST_TMP/v/unknown-layer" "docker://$REG/t/unk:1"
        before=$(store_listing)
        run box pull -q "$REG/t/art:1"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"registry '$REG', repository 't/art': manifest sha256:"*": not an image but an artifact (its config is 'application/vnd.oci.empty.v1+json')" ]]
        run box pull -q "$REG/t/unk:1"
        [ "$status" -eq 125 ]
        [[ "$output" == *"has media type 'application/vnd.example.layer.v1', not a layer box can unpack" ]]
        [ "$(store_listing)" = "$before" ]
}

@test "ref.name forms in index.json: full references name the image, a bare tag or a digest form does not" {
        variants "r1=v1.0" "r2=localhost:5000/a/b:tag" "r3=docker.io/library/busybox:1.36" \
                "r4=Upper:1" "r5=localhost/a@sha256:$(printf 'c%.0s' $(seq 64))"
        run load_fresh "$BOX_TEST_TMP/v/r2"
        [ "$output" = "Loaded image: localhost:5000/a/b:tag" ]
        run load_fresh "$BOX_TEST_TMP/v/r3"
        [ "$output" = "Loaded image: busybox:1.36" ]
        for r in r1 r4 r5; do
                run load_fresh "$BOX_TEST_TMP/v/$r"
                [ "$status" -eq 0 ]
                [[ "$output" == "Loaded image ID: sha256:"* ]]
        done
}

@test "distribution/reference's grammar: the names it parses are tags box takes, the ones it refuses exit 125" {
        f=$(printf 'f%.0s' $(seq 64))
        for n in test_com test.com:tag test.com:5000 test.com/repo:tag test:5000/repo test:5000/repo:tag \
                lowercase:Uppercase sub-dom1.foo.com/bar/baz/quux:some-long-tag \
                b.gcr.io/test.example.com/my-app:test.example.com xn--n3h.com/myimage:xn--n3h.com \
                foo_bar.com:8080 foo/foo_bar.com:8080 192.168.1.1 192.168.1.1:5000/repo:5050 \
                '[2001:db8::1]/repo' '[2001:db8:1:2:3:4:5:6]/repo:tag' '[2001:db8::]:5000/repo' \
                '[::1]:5000/repo' xn--n3h.com:18080/foo "$(printf 'a/%.0s' $(seq 127))a:tag-puts-this-over-max"; do
                run box tag busybox "$n"
                [ "$status" -eq 0 ] || { echo "refused $n: $output"; false; }
        done
        [ "$(box images --format '{{.Repository}}:{{.Tag}}' | grep -c '^\[')" -eq 4 ]
        for n in ':justtag' 'Uppercase:tag' 'test:5000/Uppercase/lowercase:tag' 'aa/asdf$$^/aa' \
                '[2001:db8::1]' '[2001:db8::1]:5000' '[2001:db8::1]:tag' '[fe80::1%eth0]:5000/repo' \
                "$(printf 'a/%.0s' $(seq 128))a:tag" "repo@sha256:${f:0:34}" "validname@invaliddigest:$f" \
                "@sha256:$f"; do
                run box tag busybox "$n"
                [ "$status" -eq 125 ] || { echo "took $n: $output"; false; }
                [ "${#lines[@]}" -le 2 ]
        done
        # what the user typed is what the error quotes
        run box pull "@sha256:$f"
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid reference format: '@sha256:$f'"* ]]
        run box tag busybox "localhost:5000/a/b:tag@sha256:$f"
        [ "$status" -eq 125 ]
        [[ "$output" == *"refusing to create a tag with a digest reference"* ]]
}

@test "an image kept with its Docker schema 2 manifest saves to OCI layouts skopeo and podman read, with its id" {
        # load of a dir: keeps the v2s2 manifest as a pull from a registry does
        skopeo copy -q "$SRC" "dir:$BOX_TEST_TMP/v2s2"
        box rmi -f busybox >/dev/null
        box load -q -i "$BOX_TEST_TMP/v2s2" >/dev/null
        box tag "$ID" localhost/v2/bb:1
        box save --format oci-archive -o "$BOX_TEST_TMP/o.tar" localhost/v2/bb:1
        box save --format oci-dir -o "$BOX_TEST_TMP/od" localhost/v2/bb:1
        # skopeo reads each as an OCI image, not an artifact
        run skopeo inspect --config "oci-archive:$BOX_TEST_TMP/o.tar:localhost/v2/bb:1"
        [ "$status" -eq 0 ]
        run skopeo inspect --raw "oci:$BOX_TEST_TMP/od:localhost/v2/bb:1"
        [ "$status" -eq 0 ]
        [[ "$output" == *'"mediaType":"application/vnd.oci.image.manifest.v1+json"'* ]]
        [[ "$output" == *'"application/vnd.oci.image.layer.v1.tar'* ]]
        podman_setup
        run pm load -i "$BOX_TEST_TMP/o.tar"
        [ "$status" -eq 0 ]
        [ "$(pm image inspect --format '{{.Id}}' localhost/v2/bb:1)" = "${ID#sha256:}" ]
        # and box reads its own layout back to the same image
        run load_fresh "$BOX_TEST_TMP/od"
        [ "$output" = "Loaded image: localhost/v2/bb:1" ]
        [ "$(box images -q --no-trunc)" = "$ID" ]
}

@test "an artifact beside the image in index.json (an SBOM whose subject is the image) is skipped; artifacts alone are refused" {
        variants with-referrer empty-artifact
        run load_fresh "$BOX_TEST_TMP/v/with-referrer"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: localhost/t/with-referrer:1" ]
        box run --rm localhost/t/with-referrer:1 true
        run box -v load -i "$BOX_TEST_TMP/v/with-referrer"
        [[ "$output" == *"index.json: skipping sha256:"*"not an image but an artifact"* ]]
        # two artifacts and no image: nothing to load
        python3 - "$BOX_TEST_TMP/v/empty-artifact/index.json" <<'PY'
import json, sys
x = json.load(open(sys.argv[1]))
x["manifests"] *= 2
json.dump(x, open(sys.argv[1], "w"))
PY
        run load_fresh "$BOX_TEST_TMP/v/empty-artifact"
        [ "$status" -eq 125 ]
        [[ "$output" == *"index.json lists no image, only 2 artifacts" ]]
}

@test "docker save's manifest.json forms: several RepoTags name one image, RepoTags null (saved by id) loads untagged" {
        mkdir "$BOX_TEST_TMP/x"
        tar -xf "$BOX_TEST_TMP/bb.tar" -C "$BOX_TEST_TMP/x"
        for tags in '["a/b:1", "a/b:2", "localhost:5000/x/y:3"]' null; do
                python3 - "$BOX_TEST_TMP/x/manifest.json" "$tags" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m[0]["RepoTags"] = json.loads(sys.argv[2])
json.dump(m, open(sys.argv[1], "w"))
PY
                tar -cf "$BOX_TEST_TMP/t.tar" -C "$BOX_TEST_TMP/x" .
                run load_fresh "$BOX_TEST_TMP/t.tar"
                [ "$status" -eq 0 ]
                [ "$(box images -q --no-trunc | sort -u)" = "$ID" ]
                if [ "$tags" = null ]; then
                        [ "$output" = "Loaded image ID: $ID" ]
                else
                        [ "$(echo $output)" = "Loaded image: a/b:1 Loaded image: a/b:2 Loaded image: localhost:5000/x/y:3" ]
                fi
        done
}
