#!/usr/bin/env bats
# box save: docker-archive as `docker save` writes it, oci-archive, oci-dir.
load helpers

setup() { box_setup_store; }
teardown() { box_teardown_store; }

@test "save writes a docker-archive with manifest.json, config, layers and repositories" {
        import_busybox
        run box save -o "$BOX_TEST_TMP/a.tar" busybox
        [ "$status" -eq 0 ]
        id=$(box image inspect --format '{{.Id}}' busybox)
        diff=$(box image inspect --format '{{json .RootFS.Layers}}' busybox | tr -d '[]"')
        tar -tf "$BOX_TEST_TMP/a.tar" > "$BOX_TEST_TMP/list"
        grep -qx manifest.json "$BOX_TEST_TMP/list"
        grep -qx repositories "$BOX_TEST_TMP/list"
        grep -qx oci-layout "$BOX_TEST_TMP/list"
        grep -qx index.json "$BOX_TEST_TMP/list"
        grep -qx "blobs/sha256/${id#sha256:}" "$BOX_TEST_TMP/list"
        grep -qx "blobs/sha256/${diff#sha256:}" "$BOX_TEST_TMP/list"
        run tar -xOf "$BOX_TEST_TMP/a.tar" manifest.json
        [ "$output" = "[{\"Config\":\"blobs/sha256/${id#sha256:}\",\"RepoTags\":[\"busybox:latest\"],\"Layers\":[\"blobs/sha256/${diff#sha256:}\"]}]" ]
        run tar -xOf "$BOX_TEST_TMP/a.tar" repositories
        [ "$output" = "{\"busybox\":{\"latest\":\"${diff#sha256:}\"}}" ]
        # the layer is the uncompressed tar whose digest is the diff_id
        [ "$(tar -xOf "$BOX_TEST_TMP/a.tar" "blobs/sha256/${diff#sha256:}" | sha256sum | cut -d' ' -f1)" = "${diff#sha256:}" ]
        [ "$(tar -xOf "$BOX_TEST_TMP/a.tar" "blobs/sha256/${id#sha256:}" | sha256sum | cut -d' ' -f1)" = "${id#sha256:}" ]
}

@test "save to stdout, and refuses a terminal" {
        import_busybox
        box save busybox > "$BOX_TEST_TMP/a.tar"
        tar -tf "$BOX_TEST_TMP/a.tar" | grep -qx manifest.json
        command -v script >/dev/null || skip "script(1) not installed"
        run script -qec "$BOX save busybox" /dev/null
        [ "$status" -eq 125 ]
        [[ "$output" == *"refusing to write an image archive to a terminal"* ]]
}

@test "save of several images shares blobs" {
        import_busybox
        box import --change 'CMD ["sh"]' "$BUSYBOX_TAR" other >/dev/null
        box save -o "$BOX_TEST_TMP/two.tar" busybox other
        [ "$(tar -xOf "$BOX_TEST_TMP/two.tar" manifest.json | grep -o '"Config"' | wc -l)" -eq 2 ]
        # one layer, two configs, two manifests
        [ "$(tar -tf "$BOX_TEST_TMP/two.tar" | grep -c '^blobs/sha256/.')" -eq 5 ]
}

@test "save --format oci-archive and oci-dir write an OCI layout skopeo reads" {
        import_busybox
        box save --format oci-archive -o "$BOX_TEST_TMP/o.tar" busybox
        tar -xOf "$BOX_TEST_TMP/o.tar" oci-layout | grep -q imageLayoutVersion
        tar -xOf "$BOX_TEST_TMP/o.tar" index.json | grep -q '"org.opencontainers.image.ref.name":"docker.io/library/busybox:latest"'
        box save --format oci-dir -o "$BOX_TEST_TMP/dir" busybox
        [ -f "$BOX_TEST_TMP/dir/index.json" ]
        for b in "$BOX_TEST_TMP"/dir/blobs/sha256/*; do
                [ "$(sha256sum < "$b" | cut -d' ' -f1)" = "$(basename "$b")" ]
        done
        command -v skopeo >/dev/null || skip "skopeo not installed"
        run skopeo inspect --config "oci:$BOX_TEST_TMP/dir:docker.io/library/busybox:latest"
        [ "$status" -eq 0 ]
        run skopeo inspect --config "oci-archive:$BOX_TEST_TMP/o.tar:docker.io/library/busybox:latest"
        [ "$status" -eq 0 ]
}

@test "save of a missing image or a bad format fails without output" {
        import_busybox
        run box save -o "$BOX_TEST_TMP/x.tar" nosuch
        [ "$status" -eq 125 ]
        [[ "$output" == *"no such image: 'nosuch'"* ]]
        [ ! -e "$BOX_TEST_TMP/x.tar" ]
        run box save --format zip -o "$BOX_TEST_TMP/x.tar" busybox
        [ "$status" -eq 125 ]
        [[ "$output" == *"unknown format 'zip'"* ]]
        run box save --format oci-dir busybox
        [ "$status" -eq 125 ]
}
