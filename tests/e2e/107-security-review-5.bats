#!/usr/bin/env bats
# Probes from an attacker's review of the fifth session (layer contents and
# device nodes, box cp against a container that races it, RUN --mount,
# the event log, load and pull from hostile servers).  Each says whether it
# failed before its fix or guards what held.
load run-helpers
load exec-helpers

setup() {
        run_setup
        build_boxtest
}
teardown() { lifecycle_teardown; }

# mktar OUT 'd NAME MODE' 'c|b NAME MAJOR MINOR' 'f NAME DATA' 'l NAME TARGET' ...:
# a tar with exactly those entries, in that order.
mktar() {
        python3 - "$@" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
for spec in sys.argv[2:]:
    kind, name, *rest = spec.split(" ")
    ti = tarfile.TarInfo(name)
    ti.mode = 0o644
    data = None
    if kind == "d":
        ti.type, ti.mode = tarfile.DIRTYPE, int(rest[0], 8)
    elif kind in "cb":
        ti.type = tarfile.CHRTYPE if kind == "c" else tarfile.BLKTYPE
        ti.devmajor, ti.devminor, ti.mode = int(rest[0]), int(rest[1]), 0o666
    elif kind == "l":
        ti.type, ti.linkname = tarfile.SYMTYPE, rest[0]
    elif kind == "h":
        ti.type, ti.linkname = tarfile.LNKTYPE, rest[0]
    else:
        data = " ".join(rest).encode()
        ti.size = len(data)
    t.addfile(ti, io.BytesIO(data) if data is not None else None)
t.close()
PY
}

@test "cp, attacker: a directory swapped for a link to a host file after box made it is never chmodded through (failed: the host's 0600 file became 0777)" {
        local victim=$BOX_TEST_TMP/victim
        echo host-secret >"$victim"
        chmod 600 "$victim"
        # /dst/d and /dst/l (a link to the host's path of the victim) swap
        # places as fast as the container can
        start_bg c1 -v "$BOXTEST:/bt:ro" -- sh -c "mkdir /dst; while :; do /bt exchange /dst/d /dst/l $victim 100; done"
        # one tar entry, the directory d of mode 0777, two hundred times
        local specs=() i refused=0
        for i in $(seq 200); do specs+=("d d 0777"); done
        mktar "$BOX_TEST_TMP/dirs.tar" "${specs[@]}"
        for i in $(seq 300); do
                "$BOX" cp - c1:/dst <"$BOX_TEST_TMP/dirs.tar" 2>"$BOX_TEST_TMP/err" ||
                        { grep -q 'cannot overwrite non-directory\|replaced while' "$BOX_TEST_TMP/err" && refused=$((refused + 1)); }
                [ "$(stat -c %a "$victim")" = 600 ] || break
        done
        # the race was live: the link was seen in d's place
        echo "refused: $refused, mode: $(stat -c %a "$victim")"
        [ "$refused" -gt 0 ]
        [ "$(stat -c %a "$victim")" = 600 ]
        [ "$(cat "$victim")" = host-secret ]
}

@test "cp, attacker: a container's device nodes are never made on the host, even with -a (failed: a 0666 node of the host's disk)" {
        # the host's root disk and /dev/mem, as a hostile image would ship them
        local dev
        dev=$(mountpoint -d /)
        start_bg c1 --cap-add MKNOD -- sh -c "mkdir /x; mknod -m 666 /x/disk b ${dev%:*} ${dev#*:}; mknod -m 666 /x/mem c 1 1; echo f > /x/file; ln -s /x/disk /x/l; sleep 1000"
        wait_for 50 box exec c1 test -f /x/file
        local h=$BOX_TEST_TMP/host
        mkdir -p "$h"
        box cp c1:/x "$h/plain"
        box cp -a c1:/x "$h/kept"
        box cp -L c1:/x/l "$h/followed"
        box cp c1:/x/mem "$h/mem"
        # the rest of the tree came, with the link, no node
        [ "$(cat "$h/plain/file" "$h/kept/file")" = "$(printf 'f\nf')" ]
        [ "$(readlink "$h/plain/l")" = /x/disk ]
        [ -z "$(find "$h" -type b -o -type c)" ]
        # a stream keeps them as entries (the user's archive, not the host's files)
        [ "$(box cp c1:/x/mem - | tar -tvf - | cut -c1)" = c ]
}

@test "volume: copy-up into a bind volume of a host directory makes no device node or set-id file of the image's there (failed: a 0666 node and a set-uid root shell in the host's directory)" {
        local dev
        dev=$(mountpoint -d /)
        box run --name maker --cap-add MKNOD busybox sh -c "mkdir /x; mknod -m 666 /x/disk b ${dev%:*} ${dev#*:}; mknod /x/fifo p; cp /bin/busybox /x/sh; chmod 4755 /x/sh; mkdir /x/d; chmod 2775 /x/d; echo f > /x/file"
        box commit -q -c 'VOLUME /x' maker hostile >/dev/null
        local h=$BOX_TEST_TMP/hostdir
        mkdir -p "$h"
        box volume create -o type=none -o o=bind -o device="$h" hv >/dev/null
        box run --rm -v hv:/x hostile true
        # the rest came, the FIFO and the directory's set-gid too
        [ "$(cat "$h/file")" = f ]
        [ -p "$h/fifo" ]
        [ "$(stat -c %a "$h/d")" = 2775 ]
        [ "$(stat -c %a "$h/sh")" = 755 ]
        [ -z "$(find "$h" -type b -o -type c)" ]
        # a volume of the store's own keeps them, as Docker's
        box run --rm -v inner:/x hostile true
        local data=$BOX_ROOT/volumes/inner/_data
        [ -b "$data/disk" ]
        [ "$(stat -c %a "$data/sh")" = 4755 ]
        box volume rm hv inner >/dev/null
        ! grep -q " $BOX_ROOT/volumes" /proc/self/mountinfo || false
}
