#!/usr/bin/env bats
# box import / images / tag / rmi / image inspect against a real store.
load helpers

setup() { box_setup_store; }
teardown() { box_teardown_store; }

@test "import prints the image id and images lists it" {
        run box import "$BUSYBOX_TAR" busybox
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
        id=${output#sha256:}
        run box images
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
        [[ "${lines[1]}" =~ ^busybox\ +latest\ +${id:0:12}\  ]]
        run box images -q
        [ "$output" = "${id:0:12}" ]
}

@test "import from stdin with a tag and --change" {
        run box import --change 'CMD ["/bin/sh", "-c", "echo hi"]' --change 'ENV A=1 B="two words"' \
                --change 'EXPOSE 8080' --change 'WORKDIR /srv' - localhost/bb:1 < "$BUSYBOX_TAR"
        [ "$status" -eq 0 ]
        run box image inspect --format '{{json .Config.Cmd}}' localhost/bb:1
        [ "$output" = '["/bin/sh","-c","echo hi"]' ]
        run box image inspect --format '{{.Config.Env}} {{.Config.WorkingDir}}' localhost/bb:1
        [ "$output" = '[A=1 B=two words] /srv' ]
        run box image inspect --format '{{json .Config.ExposedPorts}}' localhost/bb:1
        [ "$output" = '{"8080/tcp":{}}' ]
}

@test "importing the same rootfs twice shares the layer" {
        box import "$BUSYBOX_TAR" a >/dev/null
        box import "$BUSYBOX_TAR" b >/dev/null
        [ "$(ls "$BOX_ROOT/layers" | wc -l)" -eq 1 ]
}

@test "import of a gzip tarball gives the same diff id" {
        gzip -c "$BUSYBOX_TAR" > "$BOX_TEST_TMP/bb.tar.gz"
        box import "$BUSYBOX_TAR" plain >/dev/null
        box import "$BOX_TEST_TMP/bb.tar.gz" gz >/dev/null
        a=$(box image inspect --format '{{json .RootFS.Layers}}' plain)
        b=$(box image inspect --format '{{json .RootFS.Layers}}' gz)
        [ "$a" = "$b" ]
}

@test "layer keeps modes, ownership, symlinks and hard links" {
        mkdir -p "$BOX_TEST_TMP/root/d"
        echo hi > "$BOX_TEST_TMP/root/d/f"
        chown 123:456 "$BOX_TEST_TMP/root/d/f"
        chmod 4751 "$BOX_TEST_TMP/root/d/f"
        ln "$BOX_TEST_TMP/root/d/f" "$BOX_TEST_TMP/root/hard"
        ln -s d/f "$BOX_TEST_TMP/root/sym"
        mkfifo "$BOX_TEST_TMP/root/fifo"
        setfattr -n user.box -v yes "$BOX_TEST_TMP/root/d/f" 2>/dev/null || true
        tar --xattrs --numeric-owner -C "$BOX_TEST_TMP/root" -cf "$BOX_TEST_TMP/r.tar" .
        box import "$BOX_TEST_TMP/r.tar" perms >/dev/null
        l="$BOX_ROOT/layers/$(ls "$BOX_ROOT/layers")"
        [ "$(stat -c '%a %u %g' "$l/d/f")" = "4751 123 456" ]
        [ "$(stat -c '%i' "$l/d/f")" = "$(stat -c '%i' "$l/hard")" ]
        [ "$(readlink "$l/sym")" = "d/f" ]
        [ -p "$l/fifo" ]
        [ "$(cat "$l/d/f")" = hi ]
        if getfattr -n user.box "$BOX_TEST_TMP/root/d/f" >/dev/null 2>&1; then
                [ "$(getfattr --only-values -n user.box "$l/d/f")" = yes ]
        fi
}

@test "tag adds a name; rmi of one name keeps the other" {
        import_busybox
        run box tag busybox localhost/x:2
        [ "$status" -eq 0 ]
        [ "$(box images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" = "busybox:latest localhost/x:2 " ]
        run box rmi localhost/x:2
        [ "$status" -eq 0 ]
        [ "$output" = "Untagged: localhost/x:2" ]
        [ "$(ls "$BOX_ROOT/layers" | wc -l)" -eq 1 ]
}

@test "rmi of the last name deletes blobs and layers" {
        import_busybox
        run box rmi busybox
        [ "$status" -eq 0 ]
        [[ "$output" == *"Deleted: sha256:"* ]]
        [ -z "$(ls "$BOX_ROOT/layers")" ]
        [ -z "$(ls "$BOX_ROOT/blobs/sha256")" ]
        [ -z "$(box images -q)" ]
}

@test "rmi by id refuses an image with several names unless forced" {
        import_busybox
        box tag busybox other
        id=$(box images -q | head -1)
        run box rmi "$id"
        [ "$status" -eq 1 ]
        [[ "$output" == *"must be forced"* ]]
        run box rmi -f "$id"
        [ "$status" -eq 0 ]
        [ -z "$(box images -q)" ]
}

@test "rmi and inspect of a missing image fail with one line" {
        run box rmi nosuch
        [ "$status" -eq 1 ]
        [ "$output" = "box: error: no such image: 'nosuch'" ]
        run box image inspect nosuch
        [ "$status" -eq 1 ]
        [[ "$output" == *"no such image: 'nosuch'"* ]]
}

@test "a retag leaves the old image dangling, listed as <none> like docker" {
        import_busybox
        box import --change 'CMD ["sh"]' "$BUSYBOX_TAR" busybox >/dev/null
        run box images
        [ "${#lines[@]}" -eq 3 ]
        [[ "$output" == *"<none>"*"<none>"* ]]
        run box images --filter dangling=false
        [ "${#lines[@]}" -eq 2 ]
        run box images busybox
        [ "${#lines[@]}" -eq 2 ]
}

@test "bad references and flags exit 125" {
        run box import "$BUSYBOX_TAR" 'Bad:Name'
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid reference format"* ]]
        run box tag
        [ "$status" -eq 125 ]
        run box images --bogus
        [ "$status" -eq 125 ]
        run box import /nonexistent.tar x
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: open '/nonexistent.tar': No such file or directory" ]
}

@test "a non-tar file is refused and nothing is added" {
        head -c 100000 /dev/urandom > "$BOX_TEST_TMP/junk"
        run box import "$BOX_TEST_TMP/junk" junk
        [ "$status" -eq 125 ]
        [ -z "$(box images -q)" ]
        [ -z "$(ls "$BOX_ROOT/layers")" ]
}

@test "image ids resolve by short prefix and full digest" {
        import_busybox
        id=$(box image inspect --format '{{.Id}}' busybox)
        [ "$(box image inspect --format '{{.Id}}' "${id:7:5}")" = "$id" ]
        [ "$(box image inspect --format '{{.Id}}' "$id")" = "$id" ]
}

@test "info reports the store and kernel features" {
        run box info
        [ "$status" -eq 0 ]
        [[ "$output" == *"Store root: $BOX_ROOT"* ]]
        [[ "$output" == *"Overlayfs: yes"* ]]
        [[ "$output" == *"Cgroups: "* ]]
}

@test "kill -9 during import leaves no half image" {
        mkfifo "$BOX_TEST_TMP/fifo"
        ( head -c 1000000 "$BUSYBOX_TAR"; sleep 20 ) > "$BOX_TEST_TMP/fifo" &
        feeder=$!
        "$BOX" import "$BOX_TEST_TMP/fifo" half &
        pid=$!
        sleep 1
        kill -9 $pid
        wait $pid || true
        kill $feeder 2>/dev/null || true
        pkill -P $feeder sleep 2>/dev/null || true
        [ -z "$(box images -a -q)" ]
        [ -z "$(ls "$BOX_ROOT/layers")" ]   # only hidden .tmp-* may remain
        # the next collection sweeps the debris
        import_busybox
        box rmi busybox >/dev/null
        [ -z "$(ls -A "$BOX_ROOT/layers")" ]
        [ -z "$(ls -A "$BOX_ROOT/tmp")" ]
}

@test "skopeo reads an imported image from the store" {
        command -v skopeo >/dev/null || skip "skopeo not installed"
        import_busybox
        run skopeo inspect --config "oci:$BOX_ROOT:docker.io/library/busybox:latest"
        [ "$status" -eq 0 ]
        [[ "$output" == *'"architecture"'* ]]
        run skopeo copy "oci:$BOX_ROOT:docker.io/library/busybox:latest" "dir:$BOX_TEST_TMP/copy"
        [ "$status" -eq 0 ]
        [ -f "$BOX_TEST_TMP/copy/manifest.json" ]
}

@test "zstd and xz tarballs import to the same diff id as the plain one" {
        command -v zstd >/dev/null || skip "zstd not installed"
        zstd -q -c "$BUSYBOX_TAR" > "$BOX_TEST_TMP/bb.tar.zst"
        xz -c "$BUSYBOX_TAR" > "$BOX_TEST_TMP/bb.tar.xz"
        box import "$BUSYBOX_TAR" plain >/dev/null
        box import "$BOX_TEST_TMP/bb.tar.zst" zst >/dev/null
        box import "$BOX_TEST_TMP/bb.tar.xz" xz >/dev/null
        a=$(box image inspect --format '{{json .RootFS.Layers}}' plain)
        [ "$(box image inspect --format '{{json .RootFS.Layers}}' zst)" = "$a" ]
        [ "$(box image inspect --format '{{json .RootFS.Layers}}' xz)" = "$a" ]
}

@test "device nodes in a layer are created as devices" {
        mkdir -p "$BOX_TEST_TMP/root/dev"
        mknod "$BOX_TEST_TMP/root/dev/null2" c 1 3
        mknod "$BOX_TEST_TMP/root/dev/blk" b 7 200
        tar --numeric-owner -C "$BOX_TEST_TMP/root" -cf "$BOX_TEST_TMP/dev.tar" .
        box import "$BOX_TEST_TMP/dev.tar" devs >/dev/null
        l="$BOX_ROOT/layers/$(ls "$BOX_ROOT/layers")"
        [ "$(stat -c '%F %t:%T' "$l/dev/null2")" = "character special file 1:3" ]
        [ "$(stat -c '%F %t:%T' "$l/dev/blk")" = "block special file 7:c8" ]
}

@test "-v and BOX_LOG_LEVEL turn on debug logging on stderr" {
        run --separate-stderr box -v -v import "$BUSYBOX_TAR" logged
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^sha256: ]]
        BOX_LOG_LEVEL=debug run --separate-stderr box rmi logged
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"box: debug: "* ]]
        run box --log-level bogus images
        [ "$status" -eq 125 ]
}

@test "a damaged image (a manifest or config blob gone) is told, not pulled over, and rmi -f removes its names" {
        import_busybox
        box tag busybox other
        for what in manifest config; do
                m=$(python3 -c "import json;print(json.load(open('$BOX_ROOT/index.json'))['manifests'][0]['digest'][7:])")
                c=$(python3 -c "import json;print(json.load(open('$BOX_ROOT/blobs/sha256/$m'))['config']['digest'][7:])")
                [ "$what" = manifest ] && rm "$BOX_ROOT/blobs/sha256/$m" || rm "$BOX_ROOT/blobs/sha256/$c"
                # the listing says so (it hid the image without a word)
                run --separate-stderr box images
                [ "$status" -eq 0 ]
                [[ "$stderr" == *"image 'docker.io/library/busybox:latest': its $what blob sha256:"*"is missing from the store (the image is damaged); 'box rmi -f' removes it"* ]]
                # run does not take it for a missing image and pull (it went to docker.io)
                run box run --rm busybox true
                [ "$status" -eq 125 ]
                [ "$output" = "box: error: image 'busybox': its $what blob sha256:$([ $what = manifest ] && echo $m || echo $c) is missing from the store (the image is damaged)" ]
                run box rmi busybox
                [ "$status" -eq 1 ]
                run box rmi -f busybox
                [ "$status" -eq 0 ]
                [ "$output" = "Untagged: busybox:latest" ]
                # prune takes what is left, and the store is clean again
                run box image prune -a -f
                [ "$status" -eq 0 ]
                [[ "$output" == *"untagged: other:latest"* ]]
                [ -z "$(box images -aq 2>&1)" ]
                box system fsck
                import_busybox
                box tag busybox other
        done
        # by id (its config blob gone: the id is still in the manifest), or by
        # manifest digest (that blob gone): every name and the image go
        for what in config manifest; do
                m=$(python3 -c "import json;print(json.load(open('$BOX_ROOT/index.json'))['manifests'][0]['digest'][7:])")
                c=$(python3 -c "import json;print(json.load(open('$BOX_ROOT/blobs/sha256/$m'))['config']['digest'][7:])")
                [ "$what" = manifest ] && { rm "$BOX_ROOT/blobs/sha256/$m"; arg=sha256:$m; id=sha256:$m; } ||
                        { rm "$BOX_ROOT/blobs/sha256/$c"; arg=${c:0:12}; id=sha256:$c; }
                run box rmi "$arg"
                [ "$status" -eq 1 ]
                [ "$output" = "box: error: image '$arg': its $what blob sha256:$([ $what = manifest ] && echo $m || echo $c) is missing from the store (the image is damaged)" ]
                run box rmi -f "$arg"
                echo "$output"
                [ "$status" -eq 0 ]
                [ "$output" = "Untagged: busybox:latest
Untagged: other:latest
Deleted: $id" ]
                [ -z "$(box images -aq 2>&1)" ]
                box system fsck
                import_busybox
                box tag busybox other
        done
}

@test "podman's tag/untag: tag takes several targets, untag removes named tags or all, image exists, images --sort" {
        import_busybox
        id=$(box image inspect --format '{{.Id}}' busybox)
        for pair in registry.com/image:latest,registry.com/image:latest \
                registry.com/image,registry.com/image:latest image:latest,image:latest image,image; do
                box tag busybox "${pair%,*}"
                box image exists "${pair#*,}"
                box untag busybox "${pair#*,}"
                run box image exists "${pair#*,}"
                [ "$status" -eq 1 ]
                [ -z "$output" ]
        done
        # several targets at once; the order of --sort repository
        box tag busybox registry.com/image:1 registry.com/image:3 registry.com/image:2
        box tag busybox registry.com/aaa:a
        run box images --format '{{.Repository}}:{{.Tag}}' --sort repository
        [ "$output" = "$(printf '%s\n' busybox:latest registry.com/aaa:a registry.com/image:1 \
                registry.com/image:2 registry.com/image:3)" ]
        run box images --sort bogus
        [ "$status" -eq 125 ]
        box untag busybox registry.com/aaa:a registry.com/image:1 registry.com/image:2 registry.com/image:3
        run box untag busybox registry.com/foo:bar
        [ "$status" -eq 125 ]
        [[ "$output" == *"'registry.com/foo:bar': tag not known"* ]]
        run box untag nosuch
        [ "$status" -ne 0 ]
        # untag by id: every name goes, the image stays (dangling)
        box tag busybox registry.com/1:latest registry.com/2:latest
        box untag "$id"
        [ "$(box image inspect --format '{{.RepoTags}}' "$id")" = "[]" ]
        run box image exists busybox
        [ "$status" -eq 1 ]
        box image exists "$id"
        box tag "$id" busybox
        # Docker's "list" alias of image ls
        [ "$(box image list -q)" = "$(box images -q)" ]
        run box tag busybox
        [ "$status" -eq 125 ]
}
