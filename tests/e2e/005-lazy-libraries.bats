#!/usr/bin/env bats
# Libraries only one feature needs are loaded when that feature is used, not
# linked: without libnftables and libyaml every other command works, and the
# feature that needs one fails with one line naming it (exit 125).

load helpers

setup() {
        box_setup_store
        import_busybox
}

teardown() {
        box_teardown_store
}

# without LIB... -- CMD...: CMD in a private mount namespace where each
# shared library LIB (a soname) is /dev/null, as on a host without it
without() {
        local binds=""
        while [ "$1" != -- ]; do
                local f
                f=$(ldconfig -p | awk -v l="$1" '$1 == l && /x86-64|x86_64|64bit/ {print $NF; exit}')
                [ -n "$f" ] && binds="$binds mount --bind /dev/null '$(readlink -f "$f")' &&"
                shift
        done
        shift
        unshare -m sh -c "$binds exec \"\$@\"" sh "$@"
}

@test "box links neither libnftables nor libyaml: version and a --network none run work without them" {
        run ldd "$BOX"
        [ "$status" -eq 0 ]
        [[ "$output" != *libnftables* ]]
        [[ "$output" != *libyaml* ]]
        run without libnftables.so.1 libyaml-0.so.2 -- "$BOX" version
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "box version "* ]]
        run without libnftables.so.1 libyaml-0.so.2 -- "$BOX" run --rm --network none busybox echo hello
        [ "$status" -eq 0 ]
        [ "$output" = hello ]
}

@test "a bridge network without libnftables: one line naming it, exit 125, nothing left behind" {
        run without libnftables.so.1 -- "$BOX" run --rm --name nonft busybox true
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "box: error: "*"cannot load libnftables.so.1: "* ]]
        run box ps -a --format '{{.Names}}'
        [ "$status" -eq 0 ]
        [[ "$output" != *nonft* ]]
        # the same container runs once the library is there again
        run box run --rm --name nonft busybox true
        [ "$status" -eq 0 ]
}

@test "a registries.yaml without libyaml: one line naming the file and the library, exit 125" {
        run without libyaml-0.so.2 -- "$BOX" pull 127.0.0.1:1/nothing:1
        [ "$status" -eq 125 ]
        # "Pulling ..." then the error, on one line
        [ "$(echo "$output" | grep -c error)" -eq 1 ]
        [ "${lines[-1]%%: cannot load*}" = "box: error: '$BOX_REGISTRIES_CONF'" ]
        [[ "$output" == *"cannot load libyaml-0.so.2: "* ]]
        # no file, no libyaml needed: the pull fails on the closed port instead
        rm "$BOX_REGISTRIES_CONF"
        run without libyaml-0.so.2 -- "$BOX" pull 127.0.0.1:1/nothing:1
        [ "$status" -eq 125 ]
        [[ "$output" != *libyaml* ]]
        [[ "$output" == *127.0.0.1:1* ]]
}
