#!/usr/bin/env bats
# box load: round trips, podman and skopeo archives, bad inputs.
load helpers
load transfer-helpers

setup() { box_setup_store; }
teardown() { box_teardown_store; }

layers_of() { box image inspect --format '{{json .RootFS.Layers}}' "$1"; }

@test "docker-archive round trip keeps id, tags and layers" {
        import_busybox
        box tag busybox localhost/bb:2
        id=$(box image inspect --format '{{.Id}}' busybox)
        layers=$(layers_of busybox)
        box save -o "$BOX_TEST_TMP/a.tar" busybox localhost/bb:2
        box rmi busybox localhost/bb:2 >/dev/null
        run box load -i "$BOX_TEST_TMP/a.tar"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "Loaded image: busybox:latest" ]
        [ "${lines[1]}" = "Loaded image: localhost/bb:2" ]
        [ "$(box image inspect --format '{{.Id}}' localhost/bb:2)" = "$id" ]
        [ "$(layers_of busybox)" = "$layers" ]
        l="$BOX_ROOT/layers/$(ls "$BOX_ROOT/layers")"
        [ -x "$l/bin/busybox" ]
}

@test "oci-archive round trip from stdin keeps the manifest digest" {
        import_busybox
        digest=$(box images --digests --format '{{.Digest}}' busybox)
        box save --format oci-archive busybox > "$BOX_TEST_TMP/o.tar"
        box rmi busybox >/dev/null
        run box load < "$BOX_TEST_TMP/o.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: busybox:latest" ]
        [ "$(box images --digests --format '{{.Digest}}' busybox)" = "$digest" ]
}

@test "oci-dir round trip, and a gzipped archive" {
        import_busybox
        id=$(box image inspect --format '{{.Id}}' busybox)
        box save --format oci-dir -o "$BOX_TEST_TMP/dir" busybox
        box save busybox | gzip > "$BOX_TEST_TMP/a.tar.gz"
        box rmi busybox >/dev/null
        run box load -i "$BOX_TEST_TMP/dir"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: busybox:latest" ]
        [ "$(box image inspect --format '{{.Id}}' busybox)" = "$id" ]
        box rmi busybox >/dev/null
        run box load -q -i "$BOX_TEST_TMP/a.tar.gz"
        [ "$status" -eq 0 ]
        [ "$(box image inspect --format '{{.Id}}' busybox)" = "$id" ]
}

@test "an image saved by id loads untagged" {
        import_busybox
        id=$(box image inspect --format '{{.Id}}' busybox)
        box save -o "$BOX_TEST_TMP/a.tar" "${id:7:12}"
        box rmi busybox >/dev/null
        run box load -i "$BOX_TEST_TMP/a.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image ID: $id" ]
        [ "$(box images -a -q --no-trunc)" = "$id" ]
}

@test "skopeo's docker-archive (legacy <id>/layer.tar) and gzip oci-archive load with the same layers" {
        command -v skopeo >/dev/null || skip "skopeo not installed"
        import_busybox
        layers=$(layers_of busybox)
        id=$(box image inspect --format '{{.Id}}' busybox)
        skopeo copy -q "oci:$BOX_ROOT:docker.io/library/busybox:latest" \
                "docker-archive:$BOX_TEST_TMP/d.tar:localhost/sk:1"
        skopeo copy -q "oci:$BOX_ROOT:docker.io/library/busybox:latest" \
                "oci-archive:$BOX_TEST_TMP/o.tar:localhost/sko:1"
        tar -tf "$BOX_TEST_TMP/d.tar" | grep -q '/layer.tar$'
        box rmi busybox >/dev/null
        run box load -i "$BOX_TEST_TMP/d.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: localhost/sk:1" ]
        [ "$(layers_of localhost/sk:1)" = "$layers" ]
        [ "$(box image inspect --format '{{.Id}}' localhost/sk:1)" = "$id" ]
        run box load -i "$BOX_TEST_TMP/o.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: localhost/sko:1" ]
        [ "$(layers_of localhost/sko:1)" = "$layers" ]
}

@test "podman-saved docker-archive and oci-archive load with identical layer digests" {
        podman_setup
        import_busybox
        layers=$(layers_of busybox)
        box save -o "$BOX_TEST_TMP/a.tar" busybox
        pm load -q -i "$BOX_TEST_TMP/a.tar"
        pm save -q -o "$BOX_TEST_TMP/pd.tar" docker.io/library/busybox:latest
        pm save -q --format oci-archive -o "$BOX_TEST_TMP/po.tar" docker.io/library/busybox:latest
        box rmi busybox >/dev/null
        run box load -i "$BOX_TEST_TMP/pd.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: busybox:latest" ]
        [ "$(layers_of busybox)" = "$layers" ]
        box rmi busybox >/dev/null
        run box load -i "$BOX_TEST_TMP/po.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: busybox:latest" ]
        [ "$(layers_of busybox)" = "$layers" ]
}

@test "box-saved archives in all formats load into podman" {
        podman_setup
        import_busybox
        id=$(box image inspect --format '{{.Id}}' busybox)
        box save -o "$BOX_TEST_TMP/a.tar" busybox
        box save --format oci-archive -o "$BOX_TEST_TMP/o.tar" busybox
        run pm load -i "$BOX_TEST_TMP/a.tar"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Loaded image: docker.io/library/busybox:latest"* ]]
        [ "$(pm image inspect --format '{{.Id}}' docker.io/library/busybox:latest)" = "${id#sha256:}" ]
        pm rmi -a -f >/dev/null
        run pm load -i "$BOX_TEST_TMP/o.tar"
        [ "$status" -eq 0 ]
        [ "$(pm image inspect --format '{{.Id}}' docker.io/library/busybox:latest)" = "${id#sha256:}" ]
        pm rmi -a -f >/dev/null
        box save --format oci-dir -o "$BOX_TEST_TMP/dir" busybox
        # podman names a layout directory after its path (mktemp's may have capitals)
        cd "$BOX_TEST_TMP"
        run pm load -i dir
        cd - >/dev/null
        [ "$status" -eq 0 ]
        [ "$(pm images -q --no-trunc | sort -u)" = "$id" ]
}

@test "a compressed layer is saved uncompressed in a docker-archive, matching its diff_id" {
        command -v skopeo >/dev/null || skip "skopeo not installed"
        import_busybox
        skopeo copy -q "oci:$BOX_ROOT:docker.io/library/busybox:latest" \
                "oci-archive:$BOX_TEST_TMP/gz.tar:localhost/gz:1"
        box rmi busybox >/dev/null
        box load -q -i "$BOX_TEST_TMP/gz.tar"
        run box image inspect --format '{{.ManifestMediaType}}' localhost/gz:1
        blob=$(skopeo inspect --raw "oci-archive:$BOX_TEST_TMP/gz.tar" | grep -o 'tar+gzip' | head -1)
        [ "$blob" = "tar+gzip" ]
        diff=$(layers_of localhost/gz:1 | tr -d '[]"')
        box save -o "$BOX_TEST_TMP/d.tar" localhost/gz:1
        [ "$(tar -xOf "$BOX_TEST_TMP/d.tar" "blobs/sha256/${diff#sha256:}" | sha256sum | cut -d' ' -f1)" = "${diff#sha256:}" ]
        [ -z "$(ls -A "$BOX_ROOT/tmp")" ]
        box rmi localhost/gz:1 >/dev/null
        run box load -i "$BOX_TEST_TMP/d.tar"
        [ "$status" -eq 0 ]
        [ "$(layers_of localhost/gz:1 | tr -d '[]"')" = "$diff" ]
}

@test "Docker's pre-25 layout (<id>.json, <v1 id>/layer.tar, VERSION, json) loads" {
        import_busybox
        id=$(box image inspect --format '{{.Id}}' busybox)
        diff=$(layers_of busybox | tr -d '[]"')
        mkdir -p "$BOX_TEST_TMP/x" "$BOX_TEST_TMP/old"
        box save busybox | tar -x -C "$BOX_TEST_TMP/x"
        v1=$(printf 'v1' | sha256sum | cut -d' ' -f1)
        o="$BOX_TEST_TMP/old"
        mkdir "$o/$v1"
        cp "$BOX_TEST_TMP/x/blobs/sha256/${diff#sha256:}" "$o/$v1/layer.tar"
        echo 1.0 > "$o/$v1/VERSION"
        echo "{\"id\":\"$v1\"}" > "$o/$v1/json"
        cp "$BOX_TEST_TMP/x/blobs/sha256/${id#sha256:}" "$o/${id#sha256:}.json"
        echo "[{\"Config\":\"${id#sha256:}.json\",\"RepoTags\":[\"old:1\"],\"Layers\":[\"$v1/layer.tar\"]}]" > "$o/manifest.json"
        echo "{\"old\":{\"1\":\"$v1\"}}" > "$o/repositories"
        tar -C "$o" -cf "$BOX_TEST_TMP/old.tar" "$v1" "${id#sha256:}.json" manifest.json repositories
        box rmi busybox >/dev/null
        run box load -i "$BOX_TEST_TMP/old.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: old:1" ]
        [ "$(box image inspect --format '{{.Id}}' old:1)" = "$id" ]
        # a config renamed to another image's id is caught
        cp "$o/${id#sha256:}.json" "$o/$(printf x | sha256sum | cut -d' ' -f1).json"
        sed -i "s/${id#sha256:}.json/$(printf x | sha256sum | cut -d' ' -f1).json/" "$o/manifest.json"
        tar -C "$o" -cf "$BOX_TEST_TMP/bad.tar" "$v1" "$(printf x | sha256sum | cut -d' ' -f1).json" manifest.json
        run box load -i "$BOX_TEST_TMP/bad.tar"
        [ "$status" -eq 125 ]
        [[ "$output" == *"digest mismatch"* ]]
}

@test "a zstd layer in a docker-archive (podman variant names, no index.json)" {
        import_busybox
        layers=$(layers_of busybox)
        id=$(box image inspect --format '{{.Id}}' busybox)
        mkdir "$BOX_TEST_TMP/x"
        box save busybox | tar -x -C "$BOX_TEST_TMP/x"
        d=${layers//[\[\]\"]/}
        d=${d#sha256:}
        cd "$BOX_TEST_TMP/x"
        zstd -q "blobs/sha256/$d" -o layer.tar.zst
        rm "blobs/sha256/$d"
        sed -i "s|blobs/sha256/$d|layer.tar.zst|" manifest.json
        rm index.json
        tar -cf ../z.tar manifest.json layer.tar.zst blobs
        cd - >/dev/null
        box rmi busybox >/dev/null
        run box load -i "$BOX_TEST_TMP/z.tar"
        [ "$status" -eq 0 ]
        [ "$(layers_of busybox)" = "$layers" ]
        [ "$(box image inspect --format '{{.Id}}' busybox)" = "$id" ]
}

@test "bad inputs exit 125 naming the entry and leave the store unchanged" {
        import_busybox
        box save -o "$BOX_TEST_TMP/a.tar" busybox
        box tag busybox keep:1
        box rmi busybox >/dev/null
        before=$(store_listing)
        diff=$(tar -tf "$BOX_TEST_TMP/a.tar" | grep '^blobs/sha256/.' | while read -r b; do
                [ "$(tar -xOf "$BOX_TEST_TMP/a.tar" "$b" | head -c 1)" = "{" ] || echo "$b"; done)

        head -c 100000 /dev/urandom > "$BOX_TEST_TMP/junk"
        run box load -i "$BOX_TEST_TMP/junk"
        [ "$status" -eq 125 ]
        [[ "$output" == *"not an image archive"* ]]

        run box load -i "$BUSYBOX_TAR"
        [ "$status" -eq 125 ]
        [[ "$output" == *"no manifest.json and no index.json"* ]]

        size=$(stat -c %s "$BOX_TEST_TMP/a.tar")
        for off in 0 700 5000 600000 $((size - 4000)); do
                head -c "$off" "$BOX_TEST_TMP/a.tar" > "$BOX_TEST_TMP/t.tar"
                run box load -i "$BOX_TEST_TMP/t.tar"
                [ "$status" -eq 125 ]
        done
        head -c 600000 "$BOX_TEST_TMP/a.tar" > "$BOX_TEST_TMP/t.tar"
        run box load -i "$BOX_TEST_TMP/t.tar"
        [[ "$output" == *"entry '$diff': truncated"* ]]

        cp "$BOX_TEST_TMP/a.tar" "$BOX_TEST_TMP/f.tar"
        printf 'X' | dd of="$BOX_TEST_TMP/f.tar" bs=1 seek=900000 conv=notrunc 2>/dev/null
        run box load -i "$BOX_TEST_TMP/f.tar"
        [ "$status" -eq 125 ]
        [[ "$output" == *"entry '$diff': digest mismatch"* ]]

        cp "$BOX_TEST_TMP/a.tar" "$BOX_TEST_TMP/m.tar"
        tar --delete -f "$BOX_TEST_TMP/m.tar" "$diff"
        run box load -i "$BOX_TEST_TMP/m.tar"
        [ "$status" -eq 125 ]
        [[ "$output" == *"layer '$diff' is not in the archive"* ]]

        [ "$(store_listing)" = "$before" ]
}

@test "a config whose diff_ids do not match the layers is refused" {
        import_busybox
        mkdir "$BOX_TEST_TMP/x"
        box save busybox | tar -x -C "$BOX_TEST_TMP/x"
        box rmi busybox >/dev/null
        before=$(store_listing)
        cd "$BOX_TEST_TMP/x"
        cfg=$(sed 's/.*"Config":"\([^"]*\)".*/\1/' manifest.json)
        sed 's/"diff_ids":\["sha256:[0-9a-f]*"/"diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"/' "$cfg" > new.json
        sed -i "s|$cfg|new.json|" manifest.json
        rm index.json
        tar -cf ../bad.tar blobs new.json manifest.json
        cd - >/dev/null
        run box load -i "$BOX_TEST_TMP/bad.tar"
        [ "$status" -eq 125 ]
        [[ "$output" == *"diff_id mismatch"* ]]
        [ "$(store_listing)" = "$before" ]
}

@test "kill -9 during load leaves no image" {
        import_busybox
        box save -o "$BOX_TEST_TMP/a.tar" busybox
        box rmi busybox >/dev/null
        mkfifo "$BOX_TEST_TMP/fifo"
        ( head -c 1500000 "$BOX_TEST_TMP/a.tar"; sleep 20 ) > "$BOX_TEST_TMP/fifo" &
        feeder=$!
        "$BOX" load -i "$BOX_TEST_TMP/fifo" &
        pid=$!
        sleep 1
        kill -9 $pid
        wait $pid || true
        kill $feeder 2>/dev/null || true
        pkill -P $feeder sleep 2>/dev/null || true
        [ -z "$(box images -a -q)" ]
        [ -z "$(ls "$BOX_ROOT/layers")" ]
        if box system fsck --help >/dev/null 2>&1; then
                run box system fsck
                [ "$status" -eq 0 ]
        fi
        run box load -i "$BOX_TEST_TMP/a.tar"
        [ "$status" -eq 0 ]
}

@test "load refuses a terminal and extra arguments" {
        run box load extra
        [ "$status" -eq 125 ]
        command -v script >/dev/null || skip "script(1) not installed"
        run script -qec "$BOX load" /dev/null
        [ "$status" -eq 125 ]
        [[ "$output" == *"refusing to read an image archive from a terminal"* ]]
}

@test "a multi-platform index loads the image for this platform" {
        import_busybox
        id=$(box image inspect --format '{{.Id}}' busybox)
        box save --format oci-dir -o "$BOX_TEST_TMP/dir" busybox
        box rmi busybox >/dev/null
        case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
        other=s390x; [ "$arch" = s390x ] && other=riscv64
        d="$BOX_TEST_TMP/dir"
        m=$(sed 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/' "$d/index.json")
        size=$(stat -c %s "$d/blobs/sha256/${m#sha256:}")
        printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%064d","size":1,"platform":{"os":"linux","architecture":"%s"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"os":"linux","architecture":"%s"}}]}' \
                0 "$other" "$m" "$size" "$arch" > "$BOX_TEST_TMP/idx"
        ih=$(sha256sum < "$BOX_TEST_TMP/idx" | cut -d' ' -f1)
        cp "$BOX_TEST_TMP/idx" "$d/blobs/sha256/$ih"
        printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"localhost/multi:1"}}]}' \
                "$ih" "$(stat -c %s "$BOX_TEST_TMP/idx")" > "$d/index.json"
        run box load -i "$d"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: localhost/multi:1" ]
        [ "$(box image inspect --format '{{.Id}}' localhost/multi:1)" = "$id" ]
}

@test "a small layer whose first file name starts with '{' still loads" {
        mkdir -p "$BOX_TEST_TMP/r" "$BOX_TEST_TMP/x"
        echo brace > "$BOX_TEST_TMP/r/{weird"
        tar --numeric-owner -C "$BOX_TEST_TMP/r" -cf "$BOX_TEST_TMP/x/l.tar" '{weird'
        [ "$(head -c 1 "$BOX_TEST_TMP/x/l.tar")" = "{" ]
        d=$(sha256sum < "$BOX_TEST_TMP/x/l.tar" | cut -d' ' -f1)
        echo "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$d\"]}}" > "$BOX_TEST_TMP/x/c.json"
        echo '[{"Config":"c.json","RepoTags":["brace:1"],"Layers":["l.tar"]}]' > "$BOX_TEST_TMP/x/manifest.json"
        tar -C "$BOX_TEST_TMP/x" -cf "$BOX_TEST_TMP/b.tar" l.tar c.json manifest.json
        run box load -i "$BOX_TEST_TMP/b.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: brace:1" ]
        [ "$(cat "$BOX_ROOT/layers/$d/{weird")" = brace ]
}

# The layer's bytes are hashed, saved and unpacked where they lie in the
# read-ahead ring (8 MiB), held there until hashed: a layer larger than the
# ring, read from a pipe in odd pieces (so tar headers straddle the ring's
# runs and some runs are pieced together and copied), must come out byte
# for byte, and a byte changed past the first ring's worth must still be
# refused with nothing of the layer left in the store.
@test "a layer larger than the read-ahead ring loads byte for byte from a pipe; a late bad byte is refused, nothing left" {
        mkdir -p "$BOX_TEST_TMP/r/d1/d2" "$BOX_TEST_TMP/r/e"
        # a marker 10 MiB into a 12 MiB file: where the bad byte goes
        { head -c $((10 * 1024 * 1024)) /dev/urandom; echo BOX-MARKER-7f3a;
          head -c $((2 * 1024 * 1024 + 123)) /dev/urandom; } > "$BOX_TEST_TMP/r/d1/big"
        for i in $(seq 1 300); do echo "small $i" > "$BOX_TEST_TMP/r/d1/d2/f$i"; echo "$i" > "$BOX_TEST_TMP/r/e/g$i"; done
        head -c 5000000 /dev/urandom > "$BOX_TEST_TMP/r/e/late"
        tar --numeric-owner -C "$BOX_TEST_TMP/r" -cf "$BOX_TEST_TMP/l.tar" .
        box import "$BOX_TEST_TMP/l.tar" big:1 >/dev/null
        box save -o "$BOX_TEST_TMP/a.tar" big:1
        box rmi big:1 >/dev/null
        sums=$(cd "$BOX_TEST_TMP/r" && find . -type f | sort | xargs sha256sum)
        for how in pipe file gzip; do
                case $how in
                pipe) dd if="$BOX_TEST_TMP/a.tar" bs=4093 status=none | box load -q ;;
                file) box load -q -i "$BOX_TEST_TMP/a.tar" ;;
                gzip) gzip -1 -c "$BOX_TEST_TMP/a.tar" | dd bs=777 status=none | box load -q ;;
                esac
                l="$BOX_ROOT/layers/$(ls "$BOX_ROOT/layers")"
                [ "$(cd "$l" && find . -type f | sort | xargs sha256sum)" = "$sums" ]
                run box system fsck
                [ "$status" -eq 0 ]
                box rmi big:1 >/dev/null
                box image prune -a -f >/dev/null 2>&1 || true
        done

        before=$(store_listing)
        blobs_before=$(ls "$BOX_ROOT/blobs/sha256" | sort)
        layers_before=$(ls -a "$BOX_ROOT/layers" | sort)
        off=$(grep -abo BOX-MARKER-7f3a "$BOX_TEST_TMP/a.tar" | cut -d: -f1)
        [ "$off" -gt $((9 * 1024 * 1024)) ]
        cp "$BOX_TEST_TMP/a.tar" "$BOX_TEST_TMP/f.tar"
        printf 'X' | dd of="$BOX_TEST_TMP/f.tar" bs=1 seek="$off" conv=notrunc 2>/dev/null
        for how in pipe file; do
                if [ $how = pipe ]; then
                        run sh -c "dd if='$BOX_TEST_TMP/f.tar' bs=4093 status=none | '$BOX' load"
                else
                        run box load -i "$BOX_TEST_TMP/f.tar"
                fi
                [ "$status" -eq 125 ]
                [[ "$output" == *"digest mismatch"* ]]
                [ "$(store_listing)" = "$before" ]
                [ "$(ls "$BOX_ROOT/blobs/sha256" | sort)" = "$blobs_before" ]
                [ "$(ls -a "$BOX_ROOT/layers" | sort)" = "$layers_before" ]
        done
}

# The read-ahead passes a plain archive through without libarchive, and
# hands anything that starts like a compressed stream to libarchive: an
# archive whose first name starts as bzip2 does is still a plain tar.
@test "a plain archive whose first bytes look like a compressed stream's loads" {
        import_busybox
        id=$(box image inspect --format '{{.Id}}' busybox)
        mkdir "$BOX_TEST_TMP/x"
        box save busybox | tar -x -C "$BOX_TEST_TMP/x"
        box rmi busybox >/dev/null
        echo x > "$BOX_TEST_TMP/x/BZh91AY"
        (cd "$BOX_TEST_TMP/x" && tar -cf ../b.tar BZh91AY $(ls | grep -v BZh91AY))
        [ "$(head -c 3 "$BOX_TEST_TMP/b.tar")" = BZh ]
        run box load -i "$BOX_TEST_TMP/b.tar"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: busybox:latest" ]
        [ "$(box image inspect --format '{{.Id}}' busybox)" = "$id" ]
}

# A layer's blob and its unpacked tree are flushed by one syncfs before
# either is renamed into place: a crash never leaves a visible layer whose
# files were not yet written (main renamed the tree first and synced
# after, and fsynced the blob on its own before that).
@test "load syncs a layer's blob and tree once, before either is renamed into place" {
        command -v strace >/dev/null || skip "strace is not installed"
        import_busybox
        box save -o "$BOX_TEST_TMP/a.tar" busybox
        box rmi busybox >/dev/null
        run env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$BOX_TEST_TMP/trace" \
                -e trace=fsync,fdatasync,syncfs,renameat,renameat2,rename "$BOX" load -q -i "$BOX_TEST_TMP/a.tar"
        [ "$status" -eq 0 ]
        diff_id=$(ls "$BOX_ROOT/layers")
        tree=$(grep -n "layers/$diff_id\"" "$BOX_TEST_TMP/trace" | grep rename | cut -d: -f1)
        blob=$(grep -n "blobs/sha256/$diff_id\"" "$BOX_TEST_TMP/trace" | grep rename | cut -d: -f1)
        [ -n "$tree" ]
        [ -n "$blob" ]
        syncs=$(grep -n 'syncfs(' "$BOX_TEST_TMP/trace" | cut -d: -f1)
        [ "$(echo "$syncs" | wc -l)" -eq 1 ]
        [ "$syncs" -lt "$blob" ]
        [ "$syncs" -lt "$tree" ]
        # and no fsync of the blob's file between the sync and its rename
        [ -z "$(sed -n "${syncs},${blob}p" "$BOX_TEST_TMP/trace" | grep 'fsync(')" ]
        l="$BOX_ROOT/layers/$diff_id"
        [ -x "$l/bin/busybox" ]
}
