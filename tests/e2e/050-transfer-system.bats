#!/usr/bin/env bats
# box image history / prune, box system df / prune / fsck.
load helpers

setup() { box_setup_store; }
teardown() { box_teardown_store; }

@test "image history shows each step newest first, like docker" {
        box import -m "the base" "$BUSYBOX_TAR" bb >/dev/null
        id=$(box image inspect --format '{{.Id}}' bb)
        run box image history bb
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
        # docker import leaves CREATED BY empty
        [[ "${lines[1]}" =~ ^${id:7:12}\ +.*\ ago\ +2.14MB\ +the\ base$ ]]
        run box image history -q bb
        [ "$output" = "${id:7:12}" ]
        run box image history --no-trunc -q bb
        [ "$output" = "$id" ]
        # docker's --format json: a line per row, its fields as strings,
        # keys sorted, as docker's formatter marshals them
        run box image history --format json bb
        [[ "$output" == '{"Comment":"the base","CreatedAt":"'*'","CreatedBy":"","CreatedSince":"'*' ago","ID":"'"${id:7:12}"'","Size":"2.14MB"}' ]]
        # --human=false: dates in RFC 3339 and sizes in bytes, as docker's
        run box image history --human=false bb
        [[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ AT\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
        [[ "${lines[1]}" =~ ^${id:7:12}\ +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(Z|[+-][0-9]{2}:[0-9]{2})\ +2140160\ +the\ base$ ]]
        run box image history --format '{{.Size}}' -H=false bb
        [ "$output" = 2140160 ]
        run box image history --format 'table {{.ID}}' bb
        [ "${lines[0]}" = IMAGE ]
        run box image history --format '{{.CreatedBy}}|{{.Comment}}' bb
        [ "$output" = "|the base" ]
        run box image history nosuch
        [ "$status" -eq 1 ]
}

@test "image history of a loaded multi-step image marks older steps <missing>" {
        mkdir -p "$BOX_TEST_TMP/x/blobs/sha256"
        # a two-layer docker-archive: busybox plus a layer adding one file,
        # with an empty (ENV) step in between
        l1="$BOX_TEST_TMP/x/l1.tar"
        cp "$BUSYBOX_TAR" "$l1"
        mkdir "$BOX_TEST_TMP/r2" && echo hi > "$BOX_TEST_TMP/r2/hello"
        tar --numeric-owner -C "$BOX_TEST_TMP/r2" -cf "$BOX_TEST_TMP/x/l2.tar" hello
        d1=$(sha256sum < "$l1" | cut -d' ' -f1)
        d2=$(sha256sum < "$BOX_TEST_TMP/x/l2.tar" | cut -d' ' -f1)
        cat > "$BOX_TEST_TMP/x/c.json" <<JSON
{"architecture":"amd64","os":"linux","config":{},"created":"2024-01-02T03:04:05Z","rootfs":{"type":"layers","diff_ids":["sha256:$d1","sha256:$d2"]},"history":[{"created":"2024-01-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / "},{"created":"2024-01-01T00:00:01Z","created_by":"/bin/sh -c #(nop)  ENV A=1","empty_layer":true},{"created":"2024-01-02T03:04:05Z","created_by":"/bin/sh -c echo hi > /hello","comment":"step 3"}]}
JSON
        echo '[{"Config":"c.json","RepoTags":["two:1"],"Layers":["l1.tar","l2.tar"]}]' > "$BOX_TEST_TMP/x/manifest.json"
        tar -C "$BOX_TEST_TMP/x" -cf "$BOX_TEST_TMP/two.tar" l1.tar l2.tar c.json manifest.json
        run box load -i "$BOX_TEST_TMP/two.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: two:1" ]
        run box image history two:1
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 4 ]
        [[ "${lines[1]}" == *"/bin/sh -c echo hi > /hello"*"10.2kB"*"step 3" ]]
        [[ "${lines[2]}" =~ ^\<missing\>\ .*ENV\ A=1\ +0B ]]
        [[ "${lines[3]}" =~ ^\<missing\>\ .*ADD\ file:0123456789abcdef0…\ +2.14MB ]]
        run box image history --no-trunc two:1
        [[ "${lines[3]}" == *"ADD file:0123456789abcdef0123456789abcdef in / "* ]]
}

@test "image prune removes dangling images, -a all of them" {
        import_busybox
        box import --change 'CMD ["sh"]' "$BUSYBOX_TAR" busybox >/dev/null
        box import "$BUSYBOX_TAR" other >/dev/null
        [ "$(box images -a -q | wc -l)" -eq 3 ]
        # without -f it asks, and "no" keeps everything
        run sh -c "echo n | '$BOX' image prune"
        [ "$status" -eq 0 ]
        [[ "$output" == *"WARNING! This will remove all dangling images."* ]]
        [ "$(box images -a -q | wc -l)" -eq 3 ]
        run box image prune -f
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "Deleted Images:" ]
        [[ "${lines[1]}" == deleted:\ sha256:* ]]
        [[ "${lines[-1]}" == "Total reclaimed space: "* ]]
        [ "$(box images -a -q | wc -l)" -eq 2 ]
        run box image prune -a -f
        [ "$status" -eq 0 ]
        [[ "$output" == *"untagged: busybox:latest"* ]]
        [[ "$output" == *"untagged: other:latest"* ]]
        [ -z "$(box images -a -q)" ]
        [ -z "$(ls "$BOX_ROOT/blobs/sha256")" ]
        [ -z "$(ls "$BOX_ROOT/layers")" ]
}

@test "system df counts images, layers, containers, volumes and reclaimable space" {
        import_busybox
        run box system df
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ ]]
        [[ "${lines[1]}" =~ ^Images\ +1\ +0\ +2.14MB\ +2.14MB\ \(100%\)$ ]]
        [[ "${lines[2]}" =~ ^Layers\ +1\ +0\ + ]]
        [[ "${lines[3]}" =~ ^Containers\ +0\ +0\ +0B ]]
        [[ "${lines[4]}" =~ ^Local\ Volumes\ +0 ]]
        # docker's --format: json rows of strings, templates, a table of some
        run box system df --format json
        [ "${lines[0]}" = '{"Active":"0","Reclaimable":"2.14MB (100%)","Size":"2.14MB","TotalCount":"1","Type":"Images"}' ]
        [ "$(box system df --format '{{.Type}}={{.TotalCount}}' | head -2 | tr '\n' ' ')" = "Images=1 Layers=1 " ]
        run box system df --format 'table {{.Type}}\t{{.Size}}'
        [[ "${lines[0]}" =~ ^TYPE\ +SIZE$ ]]
        run box system df --format '{{.Nope}}'
        [ "$status" -eq 125 ]
}

@test "system prune removes dangling images and temporary leftovers" {
        import_busybox
        box import --change 'CMD ["sh"]' "$BUSYBOX_TAR" busybox >/dev/null
        mkdir -p "$BOX_ROOT/tmp/blob-junk" "$BOX_ROOT/layers/.tmp-123-abc"
        run box system prune -f
        [ "$status" -eq 0 ]
        [ "$(box images -a -q | wc -l)" -eq 1 ]
        [ -z "$(ls -A "$BOX_ROOT/tmp")" ]
        [ ! -e "$BOX_ROOT/layers/.tmp-123-abc" ]
}

@test "system fsck: clean store, corrupt blob, missing layer, repair" {
        import_busybox
        box import --change 'CMD ["sh"]' "$BUSYBOX_TAR" other >/dev/null
        run box system fsck
        [ "$status" -eq 0 ]
        [[ "${lines[-1]}" == "clean: 5 blobs, 2 images checked" ]]

        # a missing unpacked layer is unpacked again from its intact blob
        layer=$(ls "$BOX_ROOT/layers")
        rm -rf "$BOX_ROOT/layers/$layer"
        run box system fsck
        [ "$status" -eq 1 ]
        [[ "$output" == *"problem: image 'docker.io/library/busybox:latest': layer sha256:$layer is not unpacked"* ]]
        run box system fsck --repair
        [ "$status" -eq 1 ]
        [[ "$output" == *"repaired: unpacked layer sha256:$layer again from its blob"* ]]
        [[ "$output" != *"needs a new pull"* ]]
        run box system fsck
        [ "$status" -eq 0 ]
        [ -x "$BOX_ROOT/layers/$layer/bin/busybox" ]

        # a corrupt layer blob: removed, and both images need a new pull
        echo x >> "$BOX_ROOT/blobs/sha256/$layer"
        run box system fsck
        [ "$status" -eq 1 ]
        [[ "$output" == *"problem: blob sha256:$layer is corrupt"* ]]
        run box system fsck --repair
        [ "$status" -eq 1 ]
        [[ "$output" == *"repaired: removed corrupt blob sha256:$layer"* ]]
        [[ "$output" == *"needs a new pull or load: busybox:latest"* ]]
        [[ "$output" == *"needs a new pull or load: other:latest"* ]]
        [ ! -e "$BOX_ROOT/blobs/sha256/$layer" ]
        # a new import brings the blob back and the store is clean again
        box import "$BUSYBOX_TAR" again >/dev/null
        run box system fsck
        [ "$status" -eq 0 ]
}

@test "system fsck does not count leftovers of interrupted writers as problems" {
        import_busybox
        mkdir -p "$BOX_ROOT/tmp/blob-1-2" "$BOX_ROOT/layers/.tmp-1-2"
        echo junk > "$BOX_ROOT/blobs/sha256/$(echo junk | sha256sum | cut -d' ' -f1)"
        run box system fsck
        [ "$status" -eq 0 ]
        [[ "$output" == *"3 unreferenced or temporary items"* ]]
        run box system fsck --repair
        [ "$status" -eq 0 ]
        [ -z "$(ls -A "$BOX_ROOT/tmp")" ]
}

@test "system prune removes stopped containers, then the images only they used (-a)" {
        import_busybox
        box run --name stopped busybox sh -c 'echo data > /f'
        run box system df
        [[ "${lines[3]}" =~ ^Containers\ +1\ +0\ + ]]
        # a container pins its image against image prune -a
        run box image prune -a -f
        [ "$(box images -q | wc -l)" -eq 1 ]
        run box system prune -a -f
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "Deleted Containers:" ]
        [[ "$output" == *"untagged: busybox:latest"* ]]
        [ -z "$(ls "$BOX_ROOT/containers" | grep -v '^\.')" ]
        [ -z "$(box images -a -q)" ]
}
