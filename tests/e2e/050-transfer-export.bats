#!/usr/bin/env bats
# box export CONTAINER: the container's merged file system as a tar.
load helpers

setup() { box_setup_store; }
teardown() { box_teardown_store; }

@test "export a container's file system and import it back" {
        import_busybox
        run box run --name c1 busybox sh -c 'echo hi > /hello; rm /etc/group; mkdir /d; echo x > /d/f'
        [ "$status" -eq 0 ]
        run box export -o "$BOX_TEST_TMP/c1.tar" c1
        [ "$status" -eq 0 ]
        tar -tf "$BOX_TEST_TMP/c1.tar" > "$BOX_TEST_TMP/list"
        grep -qx hello "$BOX_TEST_TMP/list"
        grep -qx d/f "$BOX_TEST_TMP/list"
        grep -qx bin/busybox "$BOX_TEST_TMP/list"
        ! grep -qx etc/group "$BOX_TEST_TMP/list" || false   # the whiteout hides it
        ! grep -q '\.wh\.' "$BOX_TEST_TMP/list" || false
        [ "$(tar -xOf "$BOX_TEST_TMP/c1.tar" hello)" = hi ]
        # nothing stays mounted outside box
        ! grep -q "$BOX_ROOT/tmp/export" /proc/self/mounts || false
        [ -z "$(ls -A "$BOX_ROOT/tmp")" ]
        # the same to stdout, and back in as an image
        box export c1 > "$BOX_TEST_TMP/c1b.tar"
        [ "$(tar -tf "$BOX_TEST_TMP/c1b.tar" | sort)" = "$(sort "$BOX_TEST_TMP/list")" ]
        run box import "$BOX_TEST_TMP/c1.tar" exported
        [ "$status" -eq 0 ]
        l="$BOX_ROOT/layers/$(box image inspect --format '{{json .RootFS.Layers}}' exported | tr -d '[]"' | cut -d: -f2)"
        [ "$(cat "$l/hello")" = hi ]
        [ -x "$l/bin/busybox" ]
        [ ! -e "$l/etc/group" ]
}

@test "export of a missing container fails; a terminal is refused" {
        run box export nosuch
        [ "$status" -eq 125 ]
        [[ "$output" == *"nosuch"* ]]
        command -v script >/dev/null || skip "script(1) not installed"
        import_busybox
        box run --name c2 busybox true
        run script -qec "$BOX export c2" /dev/null
        [ "$status" -eq 125 ]
        [[ "$output" == *"refusing to write an archive to a terminal"* ]]
}

@test "export and save -o a device or a FIFO write into it and never replace it" {
        import_busybox
        box run --name c1 busybox true
        mkfifo "$BOX_TEST_TMP/fifo"
        timeout 20 cat "$BOX_TEST_TMP/fifo" > "$BOX_TEST_TMP/got.tar" &
        run box save -o "$BOX_TEST_TMP/fifo" busybox
        wait
        [ "$status" -eq 0 ]
        [ -p "$BOX_TEST_TMP/fifo" ]
        tar -tf "$BOX_TEST_TMP/got.tar" | grep -qx manifest.json
        # /dev/null stays the null device (a rename over it replaced the host's)
        run box export -o /dev/null c1
        [ "$status" -eq 0 ]
        [ -c /dev/null ]
        run box save -o /dev/null busybox
        [ "$status" -eq 0 ]
        [ -c /dev/null ]
        # a regular file is replaced whole; nothing is left beside it
        echo old > "$BOX_TEST_TMP/out.tar"
        run box export -o "$BOX_TEST_TMP/out.tar" c1
        [ "$status" -eq 0 ]
        tar -tf "$BOX_TEST_TMP/out.tar" | grep -qx bin/busybox
        [ -z "$(ls "$BOX_TEST_TMP" | grep '\.tmp-')" ]
        run box export -o "$BOX_TEST_TMP" c1
        [ "$status" -eq 125 ]
        [[ "$output" == *"is a directory"* ]]
}
