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
teardown() {
        [ -z "${CHURN_PID:-}" ] || kill "$CHURN_PID" 2>/dev/null || true
        [ -z "${LOOPDEV:-}" ] || losetup -d "$LOOPDEV" 2>/dev/null || true
        lifecycle_teardown
}

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

# xattrtar OUT: a tar whose directories and files carry overlayfs's own
# attributes (pax SCHILY.xattr records), which would hide or redirect the
# image's lower layers if they reached a layer's directory.
xattrtar() {
        python3 - "$1" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
def add(name, kind, xattrs, data=b""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = 0o755
    ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
    if kind == tarfile.REGTYPE:
        ti.size = len(data)
    t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
add("etc", tarfile.DIRTYPE, {"trusted.overlay.opaque": "y", "user.overlay.opaque": "y"})
add("bin", tarfile.DIRTYPE, {"trusted.overlay.redirect": "/nowhere", "user.overlay.redirect": "/nowhere"})
add("etc/added", tarfile.REGTYPE, {"trusted.overlay.metacopy": "", "user.probe": "kept"}, b"added\n")
t.close()
PY
}

@test "layers, attacker: overlayfs's trusted.overlay.* and user.overlay.* in a layer or an ADDed tar never reach a layer; the lower files stay seen (held on main)" {
        xattrtar "$BOX_TEST_TMP/x.tar"
        # a layer of its own (import) ...
        box import "$BOX_TEST_TMP/x.tar" xlayer >/dev/null
        # ... and an ADD over busybox's /etc and /bin
        build_ctx=$BOX_TEST_TMP/ctx
        mkdir -p "$build_ctx"
        cp "$BOX_TEST_TMP/x.tar" "$build_ctx/"
        printf 'FROM busybox\nADD x.tar /\n' >"$build_ctx/Dockerfile"
        box build -q -t xadd "$build_ctx" >/dev/null
        run box run --rm xadd sh -c 'cat /etc/added; head -1 /etc/passwd; ls /bin/sh'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = added ]
        [[ "${lines[1]}" == root:* ]]
        [ "${lines[2]}" = /bin/sh ]
        # no layer holds an overlay attribute; another attribute came through
        run getfattr -R -h -m '.' -d "$BOX_ROOT/layers"
        [[ "$output" == *user.probe* ]]
        [[ "$output" != *overlay.redirect* ]]
        [[ "$output" != *overlay.metacopy* ]]
        [[ "$output" != *user.overlay.opaque* ]]
        # an overlay opaque mark is only what a .wh..wh..opq entry makes
        local opaque
        opaque=$(getfattr -R -h -n trusted.overlay.opaque "$BOX_ROOT/layers" 2>/dev/null || true)
        [[ "$opaque" != */etc* ]]
}

@test "devices, attacker: an image's block and char nodes of the host's disk and memory open neither in box run nor in a RUN step, even with --cap-add MKNOD (held on main)" {
        local dev
        dev=$(mountpoint -d /)
        box run --name maker --cap-add MKNOD busybox sh -c "mkdir /x; mknod -m 666 /x/disk b ${dev%:*} ${dev#*:}; mknod -m 666 /x/mem c 1 1"
        box commit -q maker devimg >/dev/null
        local probe='for d in /x/disk /x/mem; do head -c 1 $d >/dev/null 2>&1 && echo "$d opened"; done; echo done'
        run box run --rm devimg sh -c "$probe"
        [ "$output" = done ]
        run box run --rm --cap-add MKNOD --cap-add SYS_RAWIO devimg sh -c "$probe"
        [ "$output" = done ]
        local ctx=$BOX_TEST_TMP/ctx
        mkdir -p "$ctx"
        printf 'FROM devimg\nRUN %s\n' "$probe" >"$ctx/Dockerfile"
        run box build --no-cache --progress=plain "$ctx"
        [ "$status" -eq 0 ]
        [[ "$output" == *done* ]]
        [[ "$output" != *"/x/disk opened"* && "$output" != *"/x/mem opened"* ]]
        # the nodes are there, as the image has them
        box run --rm devimg sh -c 'test -b /x/disk && test -c /x/mem'
}

@test "events, attacker: a label with a newline and quotes, or of 120 KB cut inside a character, stays one parsable record (held on main)" {
        local big
        big="a$(python3 -c 'print("\u00e9" * 60000, end="")')"
        box run --rm --name evt1 --label "big=$big" --label 'q=x"}
{"Type":"forged","Action":"forged"}' busybox true
        run box events --since 0 --until 0s --filter container=evt1 --format '{{.Action}} {{.Actor.Attributes.q}}|'
        [ "$status" -eq 0 ]
        [ "$(echo "$output" | grep -c '|$')" = 4 ]
        [[ "$output" == "create x\"}"* ]]
        run box events --since 0 --until 0s --format '{{.Action}}'
        [[ "$output" != *forged* ]]
        # every line of the log is a record box reads
        [ "$(box events --since 0 --until 0s --format '{{.Type}}' | wc -l)" = "$(wc -l <"$BOX_RUNROOT/events/events.log")" ]
        # each under the record cap of 4096 bytes
        [ "$(awk 'length($0) >= 4096' "$BOX_RUNROOT/events/events.log" | wc -l)" = 0 ]
}

@test "resolve: a path through a link of many '..' resolves while the host renames in a loop (failed: openat2's EAGAIN, 'Resource temporarily unavailable', at random)" {
        start_bg c1 -- sh -c 'mkdir -p /a/b/c/d/e/f/g/h && echo deep > /t && ln -s ../../../../../../../../../../t /a/b/c/d/e/f/g/h/l; sleep 1000'
        wait_for 50 box exec c1 test -L /a/b/c/d/e/f/g/h/l
        # any rename on the host, as other builds and containers make
        mkdir "$BOX_TEST_TMP/churn"
        (cd "$BOX_TEST_TMP/churn" && exec "$BOXTEST" exchange d l nowhere 60) &
        CHURN_PID=$!
        local i fails=0
        for i in $(seq 30); do
                [ "$("$BOX" cp -L c1:/a/b/c/d/e/f/g/h/l - 2>&1 | tar -xOf - 2>/dev/null)" = deep ] ||
                        fails=$((fails + 1))
        done
        kill "$CHURN_PID"
        echo "failed: $fails of 30"
        [ "$fails" = 0 ]
}

@test "load and ADD, attacker: a server's redirect to file:// or another protocol reads no host file (held on main)" {
        box tag busybox marker:1
        box save -o "$BOX_TEST_TMP/marker.tar" marker:1
        box rmi marker:1 >/dev/null
        # every request is sent on to where the path says: /file, /ftp, /gopher
        python3 - "$BOX_TEST_TMP/port" "$BOX_TEST_TMP/marker.tar" <<'PY' &
import http.server, os, sys
portfile, archive = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        to = {"/file": "file://" + archive, "/ftp": "ftp://127.0.0.1/x.tar",
              "/gopher": "gopher://127.0.0.1/x", "/dict": "dict://127.0.0.1/x"}
        self.send_response(302)
        self.send_header("Location", to.get(self.path, "file://" + archive))
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
s.timeout = 60
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
for _ in range(12):
    s.handle_request()
PY
        CHURN_PID=$!
        wait_for 50 test -f "$BOX_TEST_TMP/port"
        local url="http://127.0.0.1:$(cat "$BOX_TEST_TMP/port")" p
        for p in file ftp gopher dict; do
                run box load -i "$url/$p"
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == *"refused a redirect to another protocol"* ]]
        done
        run box image exists marker:1
        [ "$status" -eq 1 ]
        # ADD of a URL: the same refusal, nothing of the file in the image
        local ctx=$BOX_TEST_TMP/ctx
        mkdir -p "$ctx"
        printf 'FROM busybox\nADD %s/file /got\n' "$url" >"$ctx/Dockerfile"
        run box build "$ctx"
        [ "$status" -ne 0 ]
        [[ "$output" == *"refused a redirect to another protocol"* ]]
        # the archive itself loads: what was refused was the redirect
        box load -i "$BOX_TEST_TMP/marker.tar" >/dev/null
        box image exists marker:1
}

@test "save, export -o: a link another user planted at the output path never leads box to write onto a disk (a block device is refused; failed on main)" {
        command -v losetup >/dev/null || skip "losetup is not installed"
        truncate -s 4M "$BOX_TEST_TMP/disk.img"
        LOOPDEV=$(losetup -f --show "$BOX_TEST_TMP/disk.img") || skip "no loop device"
        ln -s "$LOOPDEV" "$BOX_TEST_TMP/out.tar"
        run box save -o "$BOX_TEST_TMP/out.tar" busybox
        echo "$output"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"'$BOX_TEST_TMP/out.tar': is a block device"* ]]
        box create --name blk busybox true >/dev/null
        run box export -o "$LOOPDEV" blk
        [ "$status" -eq 125 ]
        [[ "$output" == *"is a block device"* ]]
        box rm blk >/dev/null
        # the disk was not written
        [ -z "$(tr -d '\0' <"$BOX_TEST_TMP/disk.img" | head -c 1)" ]
        # a character device, a FIFO and /dev/stdout are still written in place
        box save -o /dev/null busybox
        [ "$(box save -o /dev/stdout busybox | head -c 512 | wc -c)" -eq 512 ]
}
