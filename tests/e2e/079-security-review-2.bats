#!/usr/bin/env bats
# Probes from an attacker's review of issue 16's second session (the pool of
# emptied writable layers, the shared mount point layer, box diff, box
# commit --pause=false, box update).  Each says whether it failed before
# its fix or guards what held.
load run-helpers

setup() { run_setup; }
teardown() { lifecycle_teardown; }

pool() { ls -A "$BOX_ROOT/containers/.rw/pool" 2>/dev/null | cat; }

@test "diff: a tree deeper than box's open-file limit is listed (failed: 'Too many open files')" {
        # the container makes 300 nested directories; box gets 128 fds
        box run -d --name deep --network none busybox sh -c \
                'i=0; while [ $i -lt 300 ]; do mkdir a; cd a; i=$((i+1)); done; echo x >f; touch /done; sleep 60' >/dev/null
        for _ in $(seq 50); do box exec deep test -e /done && break; sleep 0.1; done
        run bash -c 'ulimit -n 128; "$BOX" diff deep'
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 302 ]
        [ "$(grep -c '^A /a/a/a/.*/a/f$' <<<"$output")" -eq 1 ]
        # a tree changing while it is read: never an error, never outside
        box exec -d deep sh -c 'while :; do mkdir -p /m/n/o; mv /m /m2; mv /m2 /m; done'
        for _ in 1 2 3 4 5; do
                run box diff deep
                [ "$status" -eq 0 ]
                [[ "$output" == *"A /done"* ]]
        done
}

# busybox with tests/e2e/boxtest.c at /boxtest, in the image: a bind mount
# would make its mount point in the upper dir, and that layer is never pooled
probe_image() {
        build_boxtest
        mkdir "$BOX_TEST_TMP/pctx"
        cp "$BOXTEST" "$BOX_TEST_TMP/pctx/boxtest"
        printf 'FROM busybox\nCOPY boxtest /boxtest\n' >"$BOX_TEST_TMP/pctx/Dockerfile"
        box build -q --network none -t probe "$BOX_TEST_TMP/pctx" >/dev/null
}

@test "pool: a layer whose overlay another container still holds is never handed on (was: it planted files in the next container's root)" {
        probe_image
        box volume create shared >/dev/null
        # X waits on a socket in a volume it shares with B
        box run -d --name holder --network none -v shared:/tmp probe /boxtest fdhold /tmp/s planted 3 >/dev/null
        for _ in $(seq 50); do box exec holder test -S /tmp/s && break; sleep 0.1; done
        box container prune -f >/dev/null
        # B, a --rm run whose layer is left empty, sends X its root and ends
        box run --rm --network none -v shared:/tmp probe /boxtest fdsend /tmp/s /
        # C, any later --rm run: X writes through B's overlay meanwhile
        run box run --rm --network none busybox sh -c 'sleep 6; ls /'
        [ "$status" -eq 0 ]
        [ "$(box logs holder | head -1)" = held ]
        [[ "$output" != *planted* ]]
        run box logs holder
        [[ "$output" == *"planted No such file or directory"* ]]
        # nothing holds a layer now: the pool is used again
        box rm -f holder >/dev/null
        box run --rm --network none busybox true
        [ -n "$(pool)" ]
        box run --rm --network none busybox true
        [ -n "$(pool)" ]
}

@test "pool: a root given an extended attribute or a file flag by its container is never handed on" {
        probe_image
        box run --rm --network none probe true
        [ "$(pool)" = 0 ]
        # user.* xattr and the noatime flag (0x80) need no capability
        box run --rm --network none probe /boxtest setxattr / user.planted x
        [ -z "$(pool)" ]
        box run --rm --network none probe true
        [ "$(pool)" = 0 ]
        box run --rm --network none probe /boxtest setflags / 0x80
        [ -z "$(pool)" ]
        run box run --rm --network none probe sh -c 'stat -c %a /; ls -A /'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 755 ]
        # what the default capabilities refuse stays refused
        run box run --rm --network none probe /boxtest setxattr / trusted.overlay.opaque y
        [ "$status" -ne 0 ]
        run box run --rm --network none probe /boxtest setflags / 0x10
        [ "$status" -ne 0 ]
}

@test "pool: a slot swapped for a symlink is removed, never followed" {
        box run --rm --network none busybox true
        p=$BOX_ROOT/containers/.rw/pool
        mkdir -p "$BOX_TEST_TMP/victim/upper" "$BOX_TEST_TMP/victim/work"
        echo keep >"$BOX_TEST_TMP/victim/upper/keep"
        rm -rf "$p/0"
        ln -s "$BOX_TEST_TMP/victim" "$p/0"
        run box run --rm --network none busybox ls /
        [ "$status" -eq 0 ]
        [[ "$output" != *keep* ]]
        [ "$(cat "$BOX_TEST_TMP/victim/upper/keep")" = keep ]
}

@test "mount point layer: a container cannot write into it, and another container never sees what one wrote" {
        # an image without /etc, /proc, /sys, /dev: all of it from the shared layer
        mkdir -p "$BOX_TEST_TMP/bare/bin"
        tar -C "$BOX_TEST_TMP/bare/bin" -xf "$BUSYBOX_TAR" ./bin/busybox --strip-components=2 2>/dev/null ||
                tar -C "$BOX_TEST_TMP/bare/bin" -xf "$BUSYBOX_TAR" bin/busybox --strip-components=1
        ln -s busybox "$BOX_TEST_TMP/bare/bin/sh"
        tar -C "$BOX_TEST_TMP/bare" -cf "$BOX_TEST_TMP/bare.tar" .
        box import "$BOX_TEST_TMP/bare.tar" bare >/dev/null
        box run -d --name w1 --network none bare /bin/busybox sh -c \
                'echo evil >/etc/hosts; echo evil >/etc/evil; /bin/busybox mkdir /proc2; sleep 60' >/dev/null
        run box run --rm --network none bare /bin/busybox sh -c '/bin/busybox cat /etc/hosts; /bin/busybox ls -A /etc'
        [ "$status" -eq 0 ]
        [[ "$output" != *evil* ]]
        # the layer holds its empty mount points and nothing else
        for l in "$BOX_ROOT"/containers/.mountpoints*; do
                [ -z "$(find "$l" -type f -size +0)" ]
                [ -z "$(find "$l" -name evil -o -name proc2)" ]
        done
        box rm -f w1 >/dev/null
}

@test "mount point layer: /etc keeps the image's mode and owner (was 0755 root's: USER 1001 lost the /etc it owns)" {
        mkdir "$BOX_TEST_TMP/c"
        printf 'FROM busybox\nRUN chown 1001:0 /etc && chmod 2770 /etc\nUSER 1001\n' >"$BOX_TEST_TMP/c/Dockerfile"
        box build -q --network none -t etcown "$BOX_TEST_TMP/c" >/dev/null
        run box run --rm --network none etcown sh -c 'stat -c "%a %u %g" /etc; touch /etc/new && echo made'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "2770 1001 0" ]
        [ "${lines[1]}" = made ]
        # the image with a plain /etc keeps the shared layer, as before
        run box run --rm --network none busybox stat -c '%a %u %g' /etc
        [ "$output" = "755 0 0" ]
        [ -d "$BOX_ROOT/containers/.mountpoints" ]
        # box diff and commit still show no mount point as a change
        box run --name etcdiff --network none etcown true
        [ -z "$(box diff etcdiff)" ]
        box rm etcdiff >/dev/null
}

@test "umask 077: a container's / and /etc, its /etc/hosts and volumes, a RUN step's / are open to their users (were 0700/0600)" {
        mkdir "$BOX_TEST_TMP/c"
        printf 'FROM busybox\nUSER 1000\nRUN stat -c %%a / /etc && head -1 /etc/passwd\n' >"$BOX_TEST_TMP/c/Dockerfile"
        run bash -c 'umask 077
                "$BOX" run --rm --network none --user 1000 busybox sh -c "stat -c %a / /etc; head -1 /etc/passwd" &&
                "$BOX" run --rm --network none --user 1000 busybox stat -c %a / &&
                "$BOX" build -q --no-cache --network none --progress plain "$0"' "$BOX_TEST_TMP/c"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 755 ]
        [ "${lines[1]}" = 755 ]
        [[ "${lines[2]}" == root:x:0:0:* ]]
        # the second run took the first's layer from the pool
        [ "${lines[3]}" = 755 ]
        [[ "$output" != *"Permission denied"* ]]
        # what box binds in: the /etc files (name resolution) and new volumes
        run bash -c 'umask 077
                "$BOX" run --rm --network none --user 1000 -v vol077:/data -v /anon busybox \
                        sh -c "stat -c %a /etc/hosts /etc/resolv.conf /etc/hostname /data /anon; cat /etc/hosts >/dev/null"'
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(echo $output)" = "644 644 644 755 755" ]
}

@test "update: a name or id that is a path, and values past the kernel's, change nothing" {
        box run -d --name upd --network none busybox sleep 60 >/dev/null
        for a in ../../etc /etc/passwd 'upd/../upd' .names/upd ..; do
                run box update --memory 10m "$a"
                [ "$status" -eq 125 ]
                [[ "$output" == *"no such container"* ]]
        done
        for f in '--cpus 1e300' '--cpu-shares 99999999999999999999' '--memory 9999999999g' \
                '--blkio-weight 5000' '--cpu-period 1' '--cpu-quota -2'; do
                run box update $f upd
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -le 2 ]
        done
        run box update --cpuset-cpus $'0\n1' upd
        [ "$status" -eq 125 ]
        run box inspect -f '{{.HostConfig.Memory}} {{.HostConfig.CpusetCpus}}' upd
        [ "$output" = "0 " ]
}
