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

@test "no fuzz reproducer crashes box load or box import" {
        for f in "$REGRESS"/*; do
                run box load -i "$f"
                echo "load $f: $status: $output"
                [ "$status" -lt 128 ]
                run box import "$f" fuzz
                echo "import $f: $status: $output"
                [ "$status" -lt 128 ]
        done
}
