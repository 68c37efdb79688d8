#!/usr/bin/env bats
# The documents name only files that exist (tests/doc-paths.sh).
repo="$BATS_TEST_DIRNAME/../.."

@test "docs: every path the documents name exists" {
        run sh "$repo/tests/doc-paths.sh" -C "$repo" "$repo"/docs/*.md "$repo/README.md"
        echo "$output"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
}

@test "docs: a path that does not exist is found" {
        doc=$(mktemp)
        printf 'See `run/enter.c` and run/no-such-file.c, and `cli/cmd-image*.c`.\n' >"$doc"
        run sh "$repo/tests/doc-paths.sh" -C "$repo" "$doc"
        rm -f "$doc"
        [ "$status" -eq 1 ]
        [ "$output" = "$doc: run/no-such-file.c" ]
}
