#!/usr/bin/env bats
# What a small cold build costs box, checked on what it writes and the
# system calls it makes (docs/performance.md): box writes a layer's plain
# tar entries itself and loads libarchive only for an entry that needs a
# pax header, with the same bytes either way (the digests below are what
# libarchive alone wrote); the blobs' directory is synced once, before the
# index that names the blobs; and the per-step report at --log-level info
# says what box's share of a RUN step consists of.

load helpers

setup() { build_setup; }

teardown() { box_teardown_store; }

LONG_DIR=a-directory-name-long-enough-to-need/the-ustar-prefix-field-because-the-whole-path-is-longer-than-a-hundred

@test "layers have the bytes libarchive wrote: plain entries, a ustar prefix, pax names, links, a fifo, a whiteout" {
        cat >"$CTX/Dockerfile" <<EOF
FROM busybox
RUN mkdir -p /app/sub/$LONG_DIR && echo built > /app/built && ln -s built /app/link && ln /app/built /app/hard && mkfifo /app/fifo && chmod 0750 /app/sub && echo deep > /app/sub/$LONG_DIR/file && echo long > /app/\$(printf 'n%.0s' \$(seq 1 120)) && rm /bin/true
COPY Dockerfile /app/
EOF
        id=$(SOURCE_DATE_EPOCH=1700000000 box build --network none --no-cache -q "$CTX")
        run box image inspect --format '{{json .RootFS.Layers}}' "$id"
        [ "$status" -eq 0 ]
        # the RUN layer (libarchive writes its 120-byte name), then COPY's
        # (box's own headers only); the same digests as box 45177aa, which
        # wrote every entry with libarchive
        [[ "$output" == *'"sha256:ee4d1cbdc1c954f58ddd6c0e26b58ccf0b240dcaf2b9749270e1744ebf1ed3ac","sha256:2e18e10395e6833a5a396cb346fc0ed1c71b413d99b395f134a1e4a01267e61b"]' ]]
        # and they unpack to what the step made
        run box run --rm --network none "$id" sh -c "cat /app/sub/$LONG_DIR/file /app/hard; readlink /app/link; [ -p /app/fifo ] && echo fifo; [ -e /bin/true ] || echo gone; ls /app | grep -c nnnnnnnnnn"
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf 'deep\nbuilt\nbuilt\nfifo\ngone\n1')" ]
}

@test "a small cold build loads no libarchive and syncs the blobs' directory once" {
        command -v strace >/dev/null || skip "strace is not installed"
        echo 'echo hello from the app' >"$CTX/app.sh"
        printf 'FROM busybox\nRUN echo built > /built && mkdir -p /app\nCOPY app.sh /app/\nENV APP=/app/app.sh\nCMD ["sh", "/app/app.sh"]\n' >"$CTX/Dockerfile"
        box build --network none -q "$CTX" >/dev/null
        run env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -y -o "$BOX_TEST_TMP/trace" -e trace=openat,fsync,syncfs \
                "$BOX" build --network none --no-cache -q "$CTX"
        [ "$status" -eq 0 ]
        [ -z "$(grep libarchive "$BOX_TEST_TMP/trace")" ]
        # four blobs (two layers, config, manifest), one sync of their
        # directory (the line may be split: "<unfinished ...>")
        [ "$(grep -cE 'fsync\([0-9]+</[^>]*/blobs/sha256>' "$BOX_TEST_TMP/trace")" -eq 1 ]
        # and that sync comes before index.json is replaced
        dir_line=$(grep -nE 'fsync\([0-9]+</[^>]*/blobs/sha256>' "$BOX_TEST_TMP/trace" | cut -d: -f1)
        idx_line=$(grep -n 'tmp-index.json' "$BOX_TEST_TMP/trace" | head -1 | cut -d: -f1)
        [ "$dir_line" -lt "$idx_line" ]
        [ "$(box run --rm --network none "$output" sh -c 'cat /built; sh $APP')" = "$(printf 'built\nhello from the app')" ]
}

@test "the per-step report says what box's share of a RUN step consists of" {
        printf 'FROM busybox\nRUN echo x > /x\nRUN echo y > /%0120d\n' 0 >"$CTX/Dockerfile"
        run box --log-level info build --network none --no-cache -q "$CTX"
        [ "$status" -eq 0 ]
        line=$(grep '^box: info: step 2: ' <<<"$output")
        [[ "$line" =~ ^box:\ info:\ step\ 2:\ command\ [0-9.]+\ s,\ box\ [0-9.]+\ s\ \(prepare\ [0-9.]+\ s,\ commit\ [0-9.]+\ s\)\;\ sandbox\ start\ [0-9.]+\ s\;\ box:\ dirs\ and\ files\ [0-9.]+\ s,\ tar\ and\ hash\ [0-9.]+\ s,\ sync\ [0-9.]+\ s\ \((syncfs|fsyncs)\),\ publish\ [0-9.]+\ s,\ record\ -?[0-9.]+\ s\;\ pack\ CPU\ [0-9.]+\ s\;\ layer\ 2048\ bytes,\ 1\ entries$ ]]
        # the second step's 120-byte name takes a pax header: libarchive's
        [[ "$output" == *"entries, libarchive"* ]]
        [ "$(grep -c 'entries, libarchive' <<<"$output")" -eq 1 ]
}

@test "a step's mount points and /etc files are not made on the store's disk, and nothing is left after the build" {
        command -v strace >/dev/null || skip "strace is not installed"
        echo data >"$CTX/f"
        printf 'FROM busybox\nRUN echo x > /x\nCOPY f /f\n' >"$CTX/Dockerfile"
        run env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$BOX_TEST_TMP/trace" -e trace=mkdir,mkdirat,openat \
                "$BOX" build --network none --no-cache -q "$CTX"
        [ "$status" -eq 0 ]
        # the steps' upper and work dirs are on the store's disk; their mount
        # points and the RUN step's hosts, hostname and resolv.conf are not
        [ "$(grep -cE "mkdir\(\"$BOX_ROOT/tmp/step-[^/\"]+/(upper|work)\"" "$BOX_TEST_TMP/trace")" -eq 4 ]
        [ -z "$(grep -E "\"$BOX_ROOT/tmp/step-[^/\"]+/(merged|empty|rootfs|hosts|hostname|resolv\.conf)\"" "$BOX_TEST_TMP/trace")" ]
        [ "$(box run --rm --network none "$output" cat /x /f)" = "$(printf 'x\ndata')" ]
        [ -z "$(ls -A "$BOX_ROOT/tmp")" ]
        [ -z "$(grep "$BOX_ROOT/tmp" /proc/self/mounts)" ]
        # a failed step too
        printf 'FROM busybox\nRUN echo y > /y && exit 3\n' >"$CTX/Dockerfile"
        run box build --network none --no-cache -q "$CTX"
        [ "$status" -eq 1 ]
        [ -z "$(ls -A "$BOX_ROOT/tmp")" ]
        [ -z "$(grep "$BOX_ROOT/tmp" /proc/self/mounts)" ]
}

@test "a big step's layer blob is written past the page cache with the same bytes, and an identical layer built again leaves nothing behind" {
        command -v strace >/dev/null || skip "strace is not installed"
        # 3,000,001 bytes: the pack's ring hands the blob whole 1 MiB chunks
        # (O_DIRECT) and a tail that is not a whole 4 KiB block (page cache)
        printf 'FROM busybox\nRUN head -c 3000001 /dev/zero | tr "\\\\0" a > /big && echo s > /small\n' >"$CTX/Dockerfile"
        run env ASAN_OPTIONS=detect_leaks=0 SOURCE_DATE_EPOCH=1700000000 strace -f -qq -y -o "$BOX_TEST_TMP/trace" -e trace=fcntl \
                "$BOX" build --network none --no-cache -q "$CTX"
        [ "$status" -eq 0 ]
        id=$output
        grep -qE "fcntl\([0-9]+</[^>]*/tmp/blob-[^>]*>, F_SETFL, [A-Z_|]*O_DIRECT" "$BOX_TEST_TMP/trace"
        # the digest box wrote through the page cache (main at bc6d970)
        run box image inspect --format '{{json .RootFS.Layers}}' "$id"
        [ "$output" = '["sha256:9169e3ae3df95717d5ecd19e9533c7cacd29ac4987d968c7fb81f1a7c0ee8447","sha256:6d5554f3bfd827352fa6e6d39c93d49fc42cf73fc0bd724343ceff4349afa4e4"]' ]
        run box system fsck
        [ "$status" -eq 0 ]
        [ "$(box run --rm --network none "$id" sh -c 'wc -c < /big; tr -d a < /big | wc -c; cat /small')" = "$(printf '3000001\n0\ns')" ]
        # the same layer again: the step's upper dir is not renamed over the
        # existing layer, it is removed, and nothing is left in tmp/
        id2=$(SOURCE_DATE_EPOCH=1700000000 box build --network none --no-cache -q "$CTX")
        [ "$id2" = "$id" ]
        [ -z "$(ls -A "$BOX_ROOT/tmp")" ]
        [ "$(box run --rm --network none "$id" cat /small)" = s ]
}
