#!/usr/bin/env bats
load helpers

setup() { box_setup_store; }
teardown() { box_teardown_store; }

@test "box version prints the version" {
        run box version
        [ "$status" -eq 0 ]
        [[ "$output" == "box version "* ]]
}

@test "box --help lists commands" {
        run box --help
        [ "$status" -eq 0 ]
        [[ "$output" == *"Commands:"* ]]
        [[ "$output" == *"version"* ]]
}

@test "unknown command exits 125 with one error line" {
        run box frobnicate
        [ "$status" -eq 125 ]
        [[ "${lines[0]}" == "box: error: unknown command 'frobnicate'" ]]
}

@test "unknown global flag exits 125" {
        run box --bogus version
        [ "$status" -eq 125 ]
}
