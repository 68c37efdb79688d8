#!/usr/bin/env bats
# Hostile tarballs must never write outside the layer directory.
load helpers

setup() {
        box_setup_store
        OUTSIDE="$BOX_TEST_TMP/outside"
        mkdir -p "$OUTSIDE"
        python3 "$BATS_TEST_DIRNAME/../fixtures/mkhostile.py" "$BOX_TEST_TMP/tars" "$OUTSIDE"
}
teardown() { box_teardown_store; }

outside_empty() {
        [ -z "$(ls -A "$OUTSIDE")" ]
}

no_image() {
        [ -z "$(box images -a -q)" ]
        [ -z "$(ls "$BOX_ROOT/layers")" ]
}

@test "'..' entries are rejected" {
        for t in dotdot dotdot-mid; do
                run box import "$BOX_TEST_TMP/tars/$t.tar" evil
                [ "$status" -eq 125 ]
                [[ "$output" == *"path escapes the layer"* ]]
                outside_empty
                no_image
        done
}

@test "absolute paths are contained in the layer" {
        run box import "$BOX_TEST_TMP/tars/absolute.tar" abs
        [ "$status" -eq 0 ]
        outside_empty
        l="$BOX_ROOT/layers/$(ls "$BOX_ROOT/layers")"
        [ -f "$l$OUTSIDE/absolute" ]
}

@test "symlinked parents resolve inside the layer" {
        for t in symlink-parent symlink-dotdot; do
                run box import "$BOX_TEST_TMP/tars/$t.tar" "x-$t"
                outside_empty
        done
}

@test "a file replacing a symlink does not follow it" {
        run box import "$BOX_TEST_TMP/tars/symlink-then-write.tar" sw
        [ "$status" -eq 0 ]
        outside_empty
        l="$BOX_ROOT/layers/$(ls "$BOX_ROOT/layers")"
        [ -f "$l/f" ]
        [ ! -L "$l/f" ]
}

@test "hard links to outside are rejected" {
        before=$(stat -c %h /etc/passwd)
        for t in hardlink-dotdot hardlink-absolute hardlink-symlink; do
                run box import "$BOX_TEST_TMP/tars/$t.tar" "x-$t"
                [ "$status" -eq 125 ]
                [[ "$output" == *"hard link"* ]]
                no_image
        done
        [ "$(stat -c %h /etc/passwd)" = "$before" ]
}

@test "OCI whiteouts become overlayfs whiteouts" {
        run box import "$BOX_TEST_TMP/tars/whiteouts.tar" wh
        [ "$status" -eq 0 ]
        l="$BOX_ROOT/layers/$(ls "$BOX_ROOT/layers")"
        [ "$(stat -c '%F %t:%T' "$l/gone")" = "character special file 0:0" ]
        [ "$(stat -c '%F %t:%T' "$l/keep/b")" = "character special file 0:0" ]
        [ "$(getfattr --only-values -n trusted.overlay.opaque "$l/opq")" = "y" ]
        [ -f "$l/opq/new" ]
        [ ! -e "$l/opq/.wh..wh..opq" ]
        [ ! -e "$l/.wh.gone" ]
}
