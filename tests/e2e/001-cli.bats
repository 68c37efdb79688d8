#!/usr/bin/env bats
load helpers

setup() { box_setup_store; }
teardown() { box_teardown_store; }

@test "box version prints the version" {
        run box version
        [ "$status" -eq 0 ]
        [[ "$output" == "box version "* ]]
}

@test "box version loads no archive or crypto library (start-up cost)" {
        # issue 16: libarchive (with libxml2, ICU, libstdc++) and libcrypto
        # cost ~2 ms at every start; they load on first use now
        run env LD_DEBUG=libs "$BOX" version
        [ "$status" -eq 0 ]
        [[ "$output" == *"libc.so.6"* ]]
        [[ "$output" != *"libarchive"* ]]
        [[ "$output" != *"libcrypto"* ]]
        [[ "$output" != *"libxml2"* ]]
}

@test "box info says whether archives can be read; import loads libarchive then" {
        run box info
        [ "$status" -eq 0 ]
        [[ "$output" == *"Archives: libarchive 3."* ]]
        run env LD_DEBUG=libs "$BOX" import "$BUSYBOX_TAR" lazy
        [ "$status" -eq 0 ]
        [[ "$output" == *"libarchive.so.13"* ]]
        run box run --rm lazy cat /etc/hostname
        [ "$status" -eq 0 ]
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
