#!/usr/bin/env bats
# What the fuzzers found (tests/fuzz/regress-*), through the CLI: hostile
# archives are refused with box's own error, never a crash.
load helpers

setup() { box_setup_store; }
teardown() { box_teardown_store; }

REGRESS="$BATS_TEST_DIRNAME/../fuzz/regress-archive"

@test "a symbolic link without a target in an archive is refused, not a crash" {
        run box load -i "$REGRESS/symlink-without-target.tar"
        [ "$status" -eq 125 ]
        [[ "$output" == *"entry 's': symbolic link without a target"* ]]
        [ -z "$(box images -a -q)" ]
}

@test "a sparse layer entry is refused at once, not expanded to its claimed size" {
        # 5 KiB whose layer.tar claims 2^60 bytes: box hashed and wrote zeros
        # until the disk was full
        run timeout 5 "$BOX" load -i "$REGRESS/sparse-bomb.tar"
        [ "$status" -eq 125 ]
        [[ "$output" == *"layer.tar': a sparse file, or a size beyond its data"* ]]
        [ -z "$(ls "$BOX_ROOT/tmp")" ]
}

@test "every fuzz reproducer is loaded or refused, quickly and without a crash" {
        for f in "$REGRESS"/*; do
                for cmd in "load -i $f" "import $f fuzz"; do
                        run timeout 5 "$BOX" $cmd
                        echo "$cmd: $status: $output"
                        [ "$status" -eq 0 ] || [ "$status" -eq 125 ]
                done
        done
}

@test "a layout whose index.json is a FIFO is refused, not waited on" {
        d="$BOX_TEST_TMP/layout"
        mkdir -p "$d/blobs/sha256"
        echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
        mkfifo "$d/index.json"
        run timeout 5 "$BOX" load -i "$d"
        [ "$status" -eq 125 ]
        [[ "$output" == *"'index.json' in the layout is not a regular file"* ]]
}

@test "a time argument in unix seconds past int64's nanoseconds (2262) is refused, not overflowed" {
        # fuzz-flags: 11 digits went through a double into int64 (undefined);
        # box logs, image and system prune read them the same way
        run box image prune -f --filter until=17000001002
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid filter 'until=17000001002'"* ]]
        run box system prune -f --filter until=9223372037
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid filter 'until=9223372037'"* ]]
        # int64's last second still is one, to the nanosecond
        run box image prune -f --filter until=9223372036.854775807
        [ "$status" -eq 0 ]
}

@test "inspect of a container whose config.json is not there (yet) answers, without a leak" {
        # make asan: the empty Args array was referenced twice and leaked
        # (a container inspected while it is made has no config.json yet)
        import_busybox
        id=$(box create --name noconf busybox true)
        rm "$BOX_ROOT/containers/$id/config.json"
        run --separate-stderr box inspect -f '{{.Id}} {{len .Args}}' noconf
        echo "$stderr"
        [ "$status" -eq 0 ]
        [ "$output" = "$id 0" ]
        [ -z "$stderr" ]
        box rm -f noconf >/dev/null
}
