#!/usr/bin/env bats
load helpers

setup() { box_setup_store; }
teardown() {
        "$BOX" rm -f $("$BOX" ps -aq --no-trunc 2>/dev/null) >/dev/null 2>&1 || true
        box_teardown_store
}

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

@test "version and info --format: Docker's field names, json, and a bad template in one line" {
        [ "$(box version --format '{{.Client.Version}}')" = "$(box version | sed -n 's/^box version //p')" ]
        [ "$(box version -f '{{.Server.Version}}')" = "$(box version --format '{{.Client.Version}}')" ]
        box version --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["Client"]["Os"] == "linux"'
        import_busybox
        box create --name fmt1 busybox true >/dev/null
        [ "$(box info --format '{{.DockerRootDir}} {{.Containers}} {{.ContainersStopped}} {{.Images}} {{.OSType}}')" = \
                "$BOX_ROOT 1 1 1 linux" ]
        [ "$(box info -f '{{.NCPU}}')" = "$(nproc)" ]
        box info --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["Driver"] == "overlay" and d["CgroupVersion"] in ("1", "2")'
        run box info --format '{{.Nope'
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        run box version --format '{{'
        [ "$status" -eq 125 ]
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
        [ "${lines[0]}" = "box: error: unknown flag '--bogus'" ]
        [ "${lines[1]}" = "See 'box --help'." ]
        # the command's flags are its own: -d is run's, not box's
        run box -d version
        [ "$status" -eq 125 ]
        [ "${lines[0]}" = "box: error: unknown or incomplete flag '-d'" ]
}

@test "global flags: --version after others, --root, box help COMMAND" {
        run box -v --log-level=info --version
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "box version "* ]]
        run box --root "$BOX_TEST_TMP/other" info
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "Store root: $BOX_TEST_TMP/other" ]
        run box --log-level=loud info
        [ "$status" -eq 125 ]
        [ "${lines[0]}" = "box: error: invalid --log-level 'loud'" ]
        run box help ps
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "Usage: box ps [OPTIONS]" ]
}

# Every command and subcommand box --help lists ("GROUP SUB" for a group's),
# from the help itself, so a new command is walked without editing this.
walked_commands() {
        local c s
        "$BOX" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' | while read -r c; do
                if "$BOX" "$c" --help | grep -q '^Commands:'; then
                        echo "$c"
                        "$BOX" "$c" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' |
                                while read -r s; do echo "$c $s"; done
                else
                        echo "$c"
                fi
        done
}

@test "every command and subcommand: --help and -h print its usage and exit 0" {
        local c n=0
        while read -r c; do
                run box $c --help
                [ "$status" -eq 0 ] || { echo "box $c --help: $status"; false; }
                [[ "${lines[0]}" == "Usage: box "* ]] || { echo "box $c --help: ${lines[0]}"; false; }
                # -h is the help unless the command lists it as another flag
                # (run and create: --hostname, as Docker's)
                if [[ "$output" != *$'\n  -h, --'* ]]; then
                        local help="$output"
                        run box $c -h
                        [ "$status" -eq 0 ] && [ "$output" = "$help" ] || { echo "box $c -h differs"; false; }
                fi
                n=$((n + 1))
        done < <(walked_commands)
        # the walk itself found the commands (44 today, and their subcommands)
        [ "$n" -ge 60 ]
}

@test "every command and subcommand: an unknown flag is one line naming it, then the help hint, 125" {
        local c
        while read -r c; do
                run box $c --nope
                [ "$status" -eq 125 ] || { echo "box $c --nope: $status $output"; false; }
                [ "${lines[0]}" = "box: error: unknown flag '--nope'" ] ||
                        { echo "box $c --nope: ${lines[0]}"; false; }
                [[ "${lines[1]}" == "See 'box "*" --help'." ]] || { echo "box $c --nope: ${lines[1]}"; false; }
                [ "${#lines[@]}" -eq 2 ]
                # a short flag is named as the letter, not the word it came in
                if ! "$BOX" $c --help | grep -q '^Commands:'; then
                        run box $c -Z
                        [ "$status" -eq 125 ] || { echo "box $c -Z: $status $output"; false; }
                        [ "${lines[0]}" = "box: error: unknown or incomplete flag '-Z'" ] ||
                                { echo "box $c -Z: ${lines[0]}"; false; }
                fi
        done < <(walked_commands)
}

@test "every boolean flag of every command takes Docker's =true and =false; another value is one line, 125" {
        local c f n=0
        while read -r c; do
                "$BOX" $c --help | grep -q '^Commands:' && continue
                # the flags the help lists without an argument (or as "bool", "[=BOOL]")
                while read -r f; do
                        run box $c "--$f=false" --help
                        if [ "$f" = disable-content-trust ]; then
                                # =false asks for signature checks box never does: refused
                                [ "$status" -eq 125 ] && [ "${#lines[@]}" -eq 1 ] ||
                                        { echo "box $c --$f=false: $output"; false; }
                        else
                                [ "$status" -eq 0 ] || { echo "box $c --$f=false: $output"; false; }
                        fi
                        run box $c "--$f=True" --help
                        [ "$status" -eq 0 ] || { echo "box $c --$f=True: $output"; false; }
                        run box $c "--$f=maybe" --help
                        [ "$status" -eq 125 ] || { echo "box $c --$f=maybe: $status"; false; }
                        [ "${lines[0]}" = "box: error: invalid argument 'maybe' for '--$f': true or false" ] ||
                                { echo "box $c --$f=maybe: ${lines[0]}"; false; }
                        n=$((n + 1))
                done < <("$BOX" $c --help |
                        sed -nE 's/^  (-., |    )--([a-z0-9-]+)(\[=BOOL\]| bool)? {2,}.*/\2/p')
        done < <(walked_commands)
        [ "$n" -ge 100 ]
}

@test "a boolean flag's =false is its default: volume ls --quiet=false, ps --all=false, rm --force=false" {
        box volume create v1 >/dev/null
        run box volume ls --quiet=true
        [ "$status" -eq 0 ]
        [ "$output" = "v1" ]
        run box volume ls --quiet=false
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "DRIVER"*"VOLUME NAME" ]]
        [[ "${lines[1]}" == "local"*"v1" ]]
        import_busybox
        box create --network none --name c1 busybox true >/dev/null
        run box ps --all=false --quiet
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        run box ps --all=true --format '{{.Names}}'
        [ "$output" = "c1" ]
        box start c1 >/dev/null
        box run -d --network none --name c2 busybox sleep 60 >/dev/null
        run box rm --force=false c2
        [ "$status" -ne 0 ]
        [[ "$output" == *"container is running"* ]]
        run box rm --force=true c2
        [ "$status" -eq 0 ]
        box rm -f c1 >/dev/null
}

@test "flags after the operands, as Docker's: inspect c --format, stop c -t, rm c -f, network/volume create NAME --label" {
        # pflag takes flags anywhere among the operands for every command
        # but run, create, exec, commit, top and tag: scripts written for
        # docker put them last ("docker inspect web --format ...")
        import_busybox
        box run -d --network none --name c1 busybox sleep 60 >/dev/null
        run box inspect c1 --format '{{.State.Running}} {{.Name}}'
        [ "$status" -eq 0 ]
        [ "$output" = "true /c1" ]
        run box container inspect c1 -f '{{.Name}}'
        [ "$output" = "/c1" ]
        run box inspect busybox --format '{{.Os}}'
        [ "$output" = "linux" ]
        run box stats c1 --no-stream --format '{{.Name}}'
        [ "$status" -eq 0 ]
        [ "$output" = "c1" ]
        run box stop c1 -t 0
        [ "$status" -eq 0 ]
        [ "$output" = "c1" ]
        run box start c1 -a
        [ "$status" -eq 0 ]
        run box rm c1 -f
        [ "$status" -eq 0 ]
        [ "$output" = "c1" ]
        run box volume create v1 --label tier=db
        [ "$status" -eq 0 ]
        run box volume inspect v1 --format '{{.Labels}}'
        [ "$output" = "map[tier:db]" ]
        run box volume rm v1 -f
        [ "$status" -eq 0 ]
        run box network create n1 --label tier=db --internal
        [ "$status" -eq 0 ]
        run box network inspect n1 --format '{{.Labels}}'
        [ "$output" = "map[tier:db]" ]
        run box network rm n1
        [ "$status" -eq 0 ]
        # after --, a name that looks like a flag is a name
        run box rm -- -f
        [ "$status" -eq 125 ]
        [[ "$output" == *"no such container: '-f'"* ]]
        # run and exec still stop at the image and the container: the rest
        # is the command's
        run box run --rm --network none busybox echo -t 0 --format x
        [ "$output" = "-t 0 --format x" ]
}
