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
        ! grep -q "$BOX_ROOT" /proc/self/mountinfo
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
        ! grep -l host-secret "$BOX_TEST_TMP"/host/out* 2>/dev/null
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
