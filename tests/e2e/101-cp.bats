#!/usr/bin/env bats
# box cp: files and trees in and out of running and stopped containers;
# paths inside resolve inside the container's root, even when it swaps a
# symlink in mid-copy (CVE-2018-15664).
load exec-helpers

setup() {
        run_setup
        mkdir -p "$BOX_TEST_TMP/host"
}
teardown() { exec_teardown; }

@test "cp: out of and into a running container, files and trees" {
        start_bg c1 -- sh -c 'mkdir -p /data/sub; echo hi > /data/sub/f; chmod 640 /data/sub/f; ln -s sub/f /data/link; sleep 1000'
        for _ in $(seq 50); do box exec c1 test -L /data/link && break; sleep 0.1; done
        box cp c1:/data "$BOX_TEST_TMP/host/"
        [ "$(cat "$BOX_TEST_TMP/host/data/sub/f")" = hi ]
        [ "$(stat -c %a "$BOX_TEST_TMP/host/data/sub/f")" = 640 ]
        [ "$(readlink "$BOX_TEST_TMP/host/data/link")" = sub/f ]
        # a file to a new name, then over an existing file
        box cp c1:/data/sub/f "$BOX_TEST_TMP/host/g"
        echo old >"$BOX_TEST_TMP/host/h"
        box cp c1:/data/sub/f "$BOX_TEST_TMP/host/h"
        [ "$(cat "$BOX_TEST_TMP/host/g" "$BOX_TEST_TMP/host/h")" = "$(printf 'hi\nhi')" ]
        # the link itself, or what it points to with -L
        box cp c1:/data/link "$BOX_TEST_TMP/host/l1"
        [ -L "$BOX_TEST_TMP/host/l1" ]
        box cp -L c1:/data/link "$BOX_TEST_TMP/host/l2"
        [ "$(cat "$BOX_TEST_TMP/host/l2")" = hi ]
        # in: a file into a directory, a tree to a new name, contents with /.
        echo up >"$BOX_TEST_TMP/up.txt"
        box cp "$BOX_TEST_TMP/up.txt" c1:/tmp
        [ "$(box exec c1 cat /tmp/up.txt)" = up ]
        box cp "$BOX_TEST_TMP/host/data" c1:/copied
        [ "$(box exec c1 cat /copied/sub/f)" = hi ]
        box exec c1 mkdir /empty
        box cp "$BOX_TEST_TMP/host/data/." c1:/empty
        [ "$(box exec c1 cat /empty/sub/f)" = hi ]
        run box cp "$BOX_TEST_TMP/up.txt" c1:/nodir/
        [ "$status" -eq 125 ]
}

@test "cp: a stopped container, then run sees the file; nothing stays mounted" {
        box run --name s1 busybox sh -c 'echo made > /made'
        echo in >"$BOX_TEST_TMP/in.txt"
        box cp "$BOX_TEST_TMP/in.txt" s1:/etc/in.txt
        box cp s1:/made "$BOX_TEST_TMP/host/made"
        [ "$(cat "$BOX_TEST_TMP/host/made")" = made ]
        box cp s1:/bin/busybox "$BOX_TEST_TMP/host/bb"
        [ -x "$BOX_TEST_TMP/host/bb" ]
        [ -f "$BOX_ROOT/containers/$(container_id s1)/upper/etc/in.txt" ]
        box commit s1 s1img >/dev/null
        [ "$(box run --rm s1img cat /etc/in.txt)" = in ]
        ! grep -q "$BOX_ROOT" /proc/self/mountinfo || false
}

@test "cp, attacker: a symlink pointing out of the container resolves inside it" {
        echo host-secret >"$BOX_TEST_TMP/secret"
        start_bg c1 -- sh -c "ln -s / /escape; ln -s $BOX_TEST_TMP /tmpdir; echo container > /secret-in; sleep 1000"
        for _ in $(seq 50); do box exec c1 test -L /tmpdir && break; sleep 0.1; done
        # out: /escape/etc/hostname is the container's, never the host's
        box cp c1:/escape/etc/hostname "$BOX_TEST_TMP/host/h"
        [ "$(cat "$BOX_TEST_TMP/host/h")" = "$(container_id c1 | cut -c1-12)" ]
        run box cp c1:/tmpdir/secret "$BOX_TEST_TMP/host/s"
        [ "$status" -eq 125 ]
        [ ! -e "$BOX_TEST_TMP/host/s" ]
        # in: through the links, into the container's own tree
        echo payload >"$BOX_TEST_TMP/payload"
        box cp "$BOX_TEST_TMP/payload" c1:/escape/tmp/p
        [ "$(box exec c1 cat /tmp/p)" = payload ]
        run box cp "$BOX_TEST_TMP/payload" c1:/tmpdir/planted
        [ "$status" -eq 125 ]
        [ ! -e "$BOX_TEST_TMP/planted" ]
        # a stopped container's links too
        box run --name s2 busybox sh -c "ln -s $BOX_TEST_TMP /tmpdir"
        run box cp "$BOX_TEST_TMP/payload" s2:/tmpdir/planted
        [ "$status" -eq 125 ]
        [ ! -e "$BOX_TEST_TMP/planted" ]
        run box cp s2:/tmpdir/secret "$BOX_TEST_TMP/host/s"
        [ ! -e "$BOX_TEST_TMP/host/s" ]
}

@test "cp, attacker: a directory swapped for a symlink mid-copy never reaches the host" {
        echo host-secret >"$BOX_TEST_TMP/secret"
        mkdir -p "$BOX_TEST_TMP/target"
        # /sw flips between a directory holding the same path and a link to /
        start_bg c1 -- sh -c "while :; do rm -rf /sw; mkdir -p /sw$BOX_TEST_TMP; echo inside > /sw$BOX_TEST_TMP/secret; rm -rf /sw; ln -s / /sw; done"
        echo payload >"$BOX_TEST_TMP/payload"
        for i in $(seq 60); do
                box cp "c1:/sw$BOX_TEST_TMP/secret" "$BOX_TEST_TMP/host/out$i" 2>/dev/null || true
                box cp "$BOX_TEST_TMP/payload" "c1:/sw$BOX_TEST_TMP/target/p$i" 2>/dev/null || true
        done
        # some copies went through (the race was live), none from or to the host
        ! grep -l host-secret "$BOX_TEST_TMP"/host/out* 2>/dev/null || false
        [ -z "$(ls "$BOX_TEST_TMP/target")" ]
}

@test "cp: usage errors are 125" {
        run box cp a b
        [ "$status" -eq 125 ]
        [[ "$output" == *"at least one container"* ]]
        run box cp x:/a y:/b
        [ "$status" -eq 125 ]
        run box cp nosuch:/a "$BOX_TEST_TMP/x"
        [ "$status" -eq 125 ]
        [[ "$output" == *"no such container"* ]]
        run box cp only-one
        [ "$status" -eq 125 ]
}

# mktar OUT 'f NAME DATA' 'd NAME' 'l NAME TARGET' 'h NAME TARGET' ...: a tar
# with exactly those entries, in that order, whatever their names say.
mktar() {
        python3 - "$@" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
for spec in sys.argv[2:]:
    kind, name, *rest = spec.split(" ", 2)
    ti = tarfile.TarInfo(name)
    ti.mode = 0o755 if kind == "d" else 0o644
    if kind == "f":
        data = rest[0].encode() if rest else b"x"
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
        continue
    ti.type = {"d": tarfile.DIRTYPE, "l": tarfile.SYMTYPE, "h": tarfile.LNKTYPE}[kind]
    if rest:
        ti.linkname = rest[0]
    t.addfile(ti)
t.close()
PY
}

@test "cp: Docker's placement: merge into a directory, a tree to a new name, a file into one" {
        start_bg c1 -- sh -c 'mkdir -p /data/sub /keep; echo hi > /data/sub/f; echo k > /keep/old; echo top > /data/top; sleep 1000'
        for _ in $(seq 50); do box exec c1 test -f /data/top && break; sleep 0.1; done
        local h=$BOX_TEST_TMP/host
        # out: a tree to an existing directory lands inside it, merged with
        # what is there
        mkdir -p "$h/data/sub" && echo mine >"$h/data/mine"
        box cp c1:/data "$h/"
        [ "$(cat "$h/data/sub/f" "$h/data/mine")" = "$(printf 'hi\nmine')" ]
        box cp c1:/data "$h/data"
        [ "$(cat "$h/data/data/sub/f")" = hi ]
        # "/." merges the content into the existing directory
        box cp c1:/data/. "$h/data"
        [ "$(cat "$h/data/sub/f" "$h/data/top" "$h/data/mine")" = "$(printf 'hi\ntop\nmine')" ]
        # to a name that does not exist: the tree becomes it, "/." too
        box cp c1:/data "$h/new1"
        box cp c1:/data/. "$h/new2/"
        [ "$(cat "$h/new1/sub/f" "$h/new2/sub/f")" = "$(printf 'hi\nhi')" ]
        # in: the same rules, and a second copy over the first replaces files
        box cp "$h/data" c1:/keep
        box cp "$h/data/." c1:/keep
        [ "$(box exec c1 cat /keep/old /keep/mine /keep/data/sub/f /keep/sub/f)" = "$(printf 'k\nmine\nhi\nhi')" ]
        echo changed >"$h/data/mine"
        box cp "$h/data/." c1:/keep
        [ "$(box exec c1 cat /keep/mine)" = changed ]
        box cp "$h/data/mine" c1:/keep/renamed
        box cp "$h/data/mine" c1:/keep/sub
        [ "$(box exec c1 cat /keep/renamed /keep/sub/mine)" = "$(printf 'changed\nchanged')" ]
        # a destination that is a symlink means its target, even a missing
        # one (Docker's CopyInfoDestinationPath), resolved inside the root
        box exec c1 sh -c 'ln -s /keep/old /lnk; ln -s /keep/missing /broken; ln -s ../../.. /up'
        box cp "$h/data/mine" c1:/lnk
        box cp "$h/data/mine" c1:/broken
        box cp "$h/data/mine" c1:/up
        [ "$(box exec c1 cat /keep/old /keep/missing /mine)" = "$(printf 'changed\nchanged\nchanged')" ]
        [ "$(box exec c1 readlink /lnk)" = /keep/old ]
        # errors, one line each, 125: a directory onto a file, a file where
        # a directory must be, a missing source, a directory over a file
        run box cp c1:/data "$h/data/top"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"cannot copy directory"* ]]
        run box cp c1:/data/top "$h/nosuchdir/"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"no such directory"* ]]
        run box cp c1:/nosuch "$h/x"
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"'/nosuch'"*"c1"* ]]
        run box cp "$h/nosuch" c1:/tmp
        [ "$status" -eq 125 ]
        [[ "$output" == *"nosuch"*"No such file or directory"* ]]
        run box cp c1:/data/top/ "$h/x"
        [ "$status" -eq 125 ]
        [[ "$output" == *"not a directory"* ]]
        box exec c1 sh -c 'mkdir -p /clash/data/top'
        run box cp "$h/data" c1:/clash
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"cannot overwrite directory"* ]]
        [ ! -e "$h/x" ]
}

@test "cp: -a keeps the owners; without it the container's root or the caller owns the copy" {
        start_bg c1 -- sh -c 'echo s > /s; chown 1000:1001 /s; chmod 4755 /s; sleep 1000'
        for _ in $(seq 50); do [ "$(box exec c1 stat -c %u /s)" = 1000 ] && break; sleep 0.1; done
        local h=$BOX_TEST_TMP/host
        box cp c1:/s "$h/plain"
        box cp -a c1:/s "$h/kept"
        [ "$(stat -c %u:%g "$h/plain")" = "$(id -u):$(id -g)" ]
        # a set-uid file of uid 1000 never becomes the caller's set-uid file
        [ "$(stat -c %a "$h/plain")" = 755 ]
        [ "$(stat -c %u:%g:%a "$h/kept")" = 1000:1001:4755 ]
        # nor does the image's own set-uid root file without -a (cp(1)
        # without -p keeps no set-id bit), nor a file capability
        box exec c1 sh -c 'echo r > /r; chmod 4755 /r'
        box exec c1 sh -c 'echo c > /capf; chmod 755 /capf'
        local pid
        pid=$(box inspect -f '{{.State.Pid}}' c1)
        if command -v setcap >/dev/null && setcap cap_setuid+ep "/proc/$pid/root/capf"; then
                box cp c1:/capf "$h/capplain"
                [ -z "$(getcap "$h/capplain")" ]
        fi
        box cp c1:/r "$h/rplain"
        [ "$(stat -c %u:%a "$h/rplain")" = "$(id -u):755" ]
        box cp -a c1:/r "$h/rkept"
        [ "$(stat -c %u:%a "$h/rkept")" = 0:4755 ]
        echo in >"$h/in"
        chown 1234:1235 "$h/in"
        box cp "$h/in" c1:/in-plain
        box cp -a "$h/in" c1:/in-kept
        [ "$(box exec c1 stat -c %u:%g /in-plain)" = 0:0 ]
        [ "$(box exec c1 stat -c %u:%g /in-kept)" = 1234:1235 ]
}

@test "cp -: a tar stream in and out, into volumes and tmpfs of a running container" {
        box volume create cpvol >/dev/null
        start_bg c1 -v cpvol:/vol --tmpfs /scratch -- sh -c 'mkdir -p /data/sub; echo hi > /data/sub/f; ln -s sub/f /data/l; sleep 1000'
        for _ in $(seq 50); do box exec c1 test -L /data/l && break; sleep 0.1; done
        local h=$BOX_TEST_TMP/host
        # out: a tar of the tree named by its base name, owners kept
        box cp c1:/data - >"$h/out.tar"
        [ "$(tar -tf "$h/out.tar" | sort | tr '\n' ' ')" = "data/ data/l data/sub/ data/sub/f " ]
        [ "$(tar -xOf "$h/out.tar" data/sub/f)" = hi ]
        box cp c1:/data/sub/f - | tar -tv | grep -q ' f$'
        # in: a tar (gzip too) extracted into a directory, merged
        mkdir -p "$h/src/d" && echo one >"$h/src/d/one" && echo two >"$h/src/two"
        tar -C "$h/src" -cf - . | box cp - c1:/vol
        tar -C "$h/src" -czf - d | box cp - c1:/scratch
        [ "$(box exec c1 cat /vol/d/one /vol/two /scratch/d/one)" = "$(printf 'one\ntwo\none')" ]
        [ "$(cat "$BOX_ROOT/volumes/cpvol/_data/two")" = two ]
        # and back out of the volume and the tmpfs
        box cp c1:/scratch/d/one "$h/one-back"
        box cp c1:/vol/. - | tar -tf - | grep -qx './two\|two'
        [ "$(cat "$h/one-back")" = one ]
        # the whole root: /proc, /sys and the like stay the kernel's, their
        # mount points archived empty (Docker copies none of them)
        box cp c1:/ - | tar -tf - >"$h/root.list"
        grep -qx 'proc/' "$h/root.list" && grep -qx 'sys/' "$h/root.list"
        grep -qx 'vol/two' "$h/root.list"
        ! grep -q '^proc/.\|^sys/.\|^dev/pts/.' "$h/root.list" || false
        run box cp c1:/proc/1/status "$h/status"
        [ "$status" -eq 125 ]
        [[ "$output" == *"kernel's file systems"* ]]
        [ ! -e "$h/status" ]
        # the destination of a stream must be a directory; "-" on both sides
        # or without a container is refused
        run box cp - c1:/vol/two </dev/null
        [ "$status" -eq 125 ]
        [[ "$output" == *"must be a directory"* ]]
        run box cp - c1:/nosuch </dev/null
        [ "$status" -eq 125 ]
        run box cp - "$h/x" </dev/null
        [ "$status" -eq 125 ]
        # nothing at all is an empty archive (Docker's reader); not a tar is
        # one line
        box cp - c1:/vol </dev/null
        run sh -c 'echo garbage | "$BOX" cp - c1:/vol'
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
}

@test "cp: a stopped container's named volume and bind mount, as Docker mounts them for cp" {
        box volume create cpvol2 >/dev/null
        mkdir -p "$BOX_TEST_TMP/bound"
        echo from-host >"$BOX_TEST_TMP/bound/b"
        box run --name s1 -v cpvol2:/vol -v "$BOX_TEST_TMP/bound:/bind" busybox sh -c 'echo v > /vol/v'
        echo in >"$BOX_TEST_TMP/in.txt"
        box cp "$BOX_TEST_TMP/in.txt" s1:/vol/
        [ "$(cat "$BOX_ROOT/volumes/cpvol2/_data/in.txt")" = in ]
        [ ! -e "$BOX_ROOT/containers/$(container_id s1)/upper/vol/in.txt" ]
        box cp s1:/bind/b "$BOX_TEST_TMP/host/b"
        [ "$(cat "$BOX_TEST_TMP/host/b")" = from-host ]
        tar -C "$BOX_TEST_TMP" -cf - in.txt | box cp - s1:/bind
        [ "$(cat "$BOX_TEST_TMP/bound/in.txt")" = in ]
        box cp s1:/vol/v - | tar -xOf - v | grep -qx v
        [ "$(box run --rm -v cpvol2:/vol busybox cat /vol/in.txt)" = in ]
        ! grep -q "$BOX_ROOT" /proc/self/mountinfo || false
}

@test "cp, attacker: hostile tar streams never write outside the container" {
        local h=$BOX_TEST_TMP/host t=$BOX_TEST_TMP/tars
        mkdir -p "$t"
        echo host-secret >"$BOX_TEST_TMP/secret"
        mktar "$t/dotdot.tar" "f ../../../../../../..$BOX_TEST_TMP/dotdot"
        mktar "$t/abs.tar" "f $BOX_TEST_TMP/abs inside"
        mktar "$t/link-file.tar" "l esc $BOX_TEST_TMP" "f esc/planted inside"
        mktar "$t/link-up.tar" "l up ../../../../../../.." "f up$BOX_TEST_TMP/planted2 inside"
        mktar "$t/hard-out.tar" "h hl ../../../../../..$BOX_TEST_TMP/secret"
        mktar "$t/hard-abs.tar" "h hl2 $BOX_TEST_TMP/secret"
        mktar "$t/link-hard.tar" "l esc2 $BOX_TEST_TMP" "h hl3 esc2/secret"
        mktar "$t/dir-swap.tar" "d sw" "f sw/a x" "l sw $BOX_TEST_TMP" "f sw/planted3 inside"
        start_bg c1 -- sleep 1000
        box run --name s1 busybox mkdir /dst
        ls -a "$BOX_TEST_TMP" >"$t/before"
        box exec c1 mkdir /dst
        for c in c1 s1; do
                for f in "$t"/*.tar; do
                        box cp - "$c:/dst" <"$f" 2>/dev/null || true
                done
        done
        # nothing landed on the host, no host file gained a link
        ls -a "$BOX_TEST_TMP" | diff "$t/before" -
        [ "$(stat -c %h "$BOX_TEST_TMP/secret")" = 1 ]
        # what went through stayed in the container, and no link reads the host's file
        [ "$(box exec c1 cat "/dst$BOX_TEST_TMP/abs")" = inside ]
        ! box exec c1 sh -c 'cat /dst/hl /dst/hl2 /dst/hl3 2>/dev/null' | grep -q host-secret || false
        box cp s1:/dst "$h/s1dst"
        ! grep -rq host-secret "$h/s1dst" || false
        [ "$(cat "$h/s1dst$BOX_TEST_TMP/abs")" = inside ]
        # a stream out of the container: its links are archived, never followed
        box exec c1 sh -c "ln -s / /dst/root; ln -s $BOX_TEST_TMP /dst/tmpdir"
        box cp c1:/dst - | tar -tvf - >"$h/list"
        grep -q 'dst/root -> /' "$h/list"
        ! grep -q 'dst/root/' "$h/list" || false
        ! box cp c1:/dst - | tar -xOf - | grep -q host-secret || false
}

@test "cp, attacker: tar streams through a directory swapped for a symlink mid-copy" {
        echo host-secret >"$BOX_TEST_TMP/secret"
        mkdir -p "$BOX_TEST_TMP/target"
        start_bg c1 -- sh -c "while :; do rm -rf /sw; mkdir -p /sw$BOX_TEST_TMP/target; echo inside > /sw$BOX_TEST_TMP/secret; rm -rf /sw; ln -s / /sw; done"
        echo payload >"$BOX_TEST_TMP/payload"
        tar -C "$BOX_TEST_TMP" -cf "$BOX_TEST_TMP/p.tar" payload
        for i in $(seq 60); do
                box cp "c1:/sw$BOX_TEST_TMP" - 2>/dev/null | tar -xOf - 2>/dev/null >>"$BOX_TEST_TMP/host/out" || true
                box cp - "c1:/sw$BOX_TEST_TMP/target" <"$BOX_TEST_TMP/p.tar" 2>/dev/null || true
                box cp "c1:/sw$BOX_TEST_TMP/." "$BOX_TEST_TMP/host/tree$i" 2>/dev/null || true
        done
        ! grep -rq host-secret "$BOX_TEST_TMP/host" || false
        [ -z "$(ls "$BOX_TEST_TMP/target")" ]
        # the streams work at all, in and out, so the copies above were live
        [ "$(box cp c1:/etc/hostname - | tar -xOf -)" = "$(container_id c1 | cut -c1-12)" ]
        box cp - c1:/tmp <"$BOX_TEST_TMP/p.tar"
        [ "$(box exec c1 cat /tmp/payload)" = payload ]
}

@test "cp: a user-namespaced container's owners are its own ids, running or stopped" {
        local map=0:100000:65536 h=$BOX_TEST_TMP/host
        box run --name u1 --uidmap $map busybox sh -c 'echo x > /new; chown 1000:1000 /new'
        start_bg u2 --uidmap $map -- sh -c 'echo x > /new; chown 1000:1000 /new; sleep 1000'
        for _ in $(seq 50); do [ "$(box exec u2 stat -c %u /new 2>/dev/null)" = 1000 ] && break; sleep 0.1; done
        echo y >"$h/y"
        chown 1000:1000 "$h/y"
        for c in u1 u2; do
                # out: the container's ids in the stream and with -a, image files root's
                [ "$(box cp "$c:/new" - | tar -tvf - | awk '{print $2}')" = 1000/1000 ]
                [ "$(box cp "$c:/etc/passwd" - | tar -tvf - | awk '{print $2}')" = 0/0 ]
                box cp -a "$c:/new" "$h/new-$c"
                [ "$(stat -c %u:%g "$h/new-$c")" = 1000:1000 ]
                # in: -a keeps 1000 as the container's 1000, else its root
                box cp -a "$h/y" "$c:/y-kept"
                box cp "$h/y" "$c:/y-root"
        done
        [ "$(box exec u2 stat -c %u:%g /y-kept /y-root)" = "$(printf '1000:1000\n0:0')" ]
        local upper=$BOX_ROOT/containers/$(container_id u1)/upper
        [ "$(stat -c %u:%g "$upper/y-kept" "$upper/y-root")" = "$(printf '101000:101000\n100000:100000')" ]
        ! grep -q "$BOX_ROOT" /proc/self/mountinfo || false
}

@test "cp, podman's scripts: -a=false (pflag's shorthand with =), --pause=false, commit -q, rm -t 0 -f" {
        start_bg c1 -- sleep 1000
        (cd "$BOX_TEST_TMP" && touch a.txt && tar --owner=1042 --group=1043 -cf a.tar a.txt)
        # Docker's -a keeps the tar's owners, -a=false gives them to root
        # (podman's -a means the other way round: Docker's is box's)
        box cp -a=true - c1:/tmp/ <"$BOX_TEST_TMP/a.tar"
        [ "$(box exec c1 stat -c %u:%g /tmp/a.txt)" = 1042:1043 ]
        box cp -a=false - c1:/tmp/ <"$BOX_TEST_TMP/a.tar"
        [ "$(box exec c1 stat -c %u:%g /tmp/a.txt)" = 0:0 ]
        echo pz >"$BOX_TEST_TMP/p.txt"
        box cp --pause=false "$BOX_TEST_TMP/p.txt" c1:/tmp/p.txt
        [ "$(box exec c1 cat /tmp/p.txt)" = pz ]
        run box commit -q c1
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
        box rmi "$output" >/dev/null
        run box rm -t x c1
        [ "$status" -eq 125 ]
        [[ "$output" == *"invalid argument 'x' for '-t, --time'"* ]]
        box rm -t 0 -f c1
        run box inspect c1
        [ "$status" -ne 0 ]
}
