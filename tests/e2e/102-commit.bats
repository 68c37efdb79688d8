#!/usr/bin/env bats
# box commit: a container's changes become a new image that runs.
load exec-helpers

setup() { run_setup; }
teardown() { exec_teardown; }

@test "commit: then run the new image; deletions, -c, -m, -a and the history" {
        box run --name k1 busybox sh -c 'echo hello > /new; rm /bin/vi; mkdir -p /d; echo x > /d/f'
        run box commit -m "my msg" -a "Me <me@example.com>" -c 'ENV FOO=bar' \
                -c 'CMD ["cat", "/new"]' k1 myimg:1
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
        [ "$(box run --rm myimg:1)" = hello ]
        run box run --rm myimg:1 sh -c 'echo $FOO; cat /d/f; ls /bin/vi'
        [ "${lines[0]}" = bar ]
        [ "${lines[1]}" = x ]
        [[ "${lines[2]}" == *"No such file"* ]]
        run box image history myimg:1
        [[ "${lines[1]}" == *"sh -c echo hello"*"my msg"* ]]
        box image inspect myimg:1 | grep -q '"Author": "Me <me@example.com>"'
        # the container's upper dir is still its own
        [ -f "$BOX_ROOT/containers/$(container_id k1)/upper/new" ]
        # no HOSTNAME of the container in the image
        ! box run --rm myimg:1 env | grep -q "HOSTNAME=$(container_id k1 | cut -c1-12)" || false
}

@test "commit: keeps the container's env, user, workdir and the image's entrypoint" {
        import_with ep 'ENTRYPOINT ["echo", "ep"]' 'CMD ["default"]'
        box run --name k2 -e ADDED=1 -u nobody -w /tmp ep arg1
        box commit k2 ep2 >/dev/null
        [ "$(box run --rm ep2)" = "ep arg1" ]
        [ "$(box run --rm --entrypoint sh ep2 -c 'echo $ADDED; id -u; pwd')" = "$(printf '1\n65534\n/tmp')" ]
        # a committed image without a name is listed by its id
        run box commit k2
        [ "$status" -eq 0 ]
        box images -q | grep -q "${output:7:12}"
}

@test "commit: a running container, frozen while its upper dir is read" {
        start_bg c1 -- sh -c 'i=0; while :; do i=$((i+1)); echo $i > /c.tmp; mv /c.tmp /count; done'
        for _ in $(seq 50); do box exec c1 test -f /count && break; sleep 0.1; done
        box commit c1 live:1 >/dev/null
        n=$(box run --rm live:1 cat /count)
        [ "$n" -gt 0 ]
        # it was thawed afterwards: the counter goes on
        a=$(box exec c1 cat /count)
        wait_for 100 eval '[ "$(box exec c1 cat /count)" -gt "$a" ]'
        box commit --pause=false c1 live:2 >/dev/null
        box run --rm live:2 cat /count
}

@test "commit --pause=false, attacker: a tree changing while it is read; FIFOs and devices swapped in are never opened" {
        # files, directories, links and hard links come and go; a FIFO or a
        # device node takes a file's name for a moment (box would hang
        # opening the FIFO, or open the host's device through the upper dir)
        start_bg c2 -- sh -c 'while :; do for i in 1 2 3 4 5 6; do
                mkdir -p /d$i/s; echo $i > /d$i/s/f; ln -sf /etc/passwd /d$i/l
                echo x > /p$i; ln /p$i /h$i; rm -f /p$i; mkfifo /p$i; rm -f /p$i
                mknod /p$i c 5 0; rm -f /p$i; dd if=/dev/zero of=/z$i bs=64k count=2 2>/dev/null
                : > /z$i; done; rm -rf /d* /h* /z*; done'
        for i in $(seq 15); do
                timeout 30 "$BOX" commit --pause=false c2 churn:$i >/dev/null
        done
        # each committed image unpacks and runs
        box run --rm churn:15 true
        box run --rm churn:7 true
}

@test "commit: errors are 125 with one line" {
        run box commit nosuch
        [ "$status" -eq 125 ]
        [[ "$output" == *"no such container"* ]]
        box run --name k3 busybox true
        run box commit -c 'BOGUS x' k3
        [ "$status" -eq 125 ]
        run box commit k3 'Bad:Name'
        [ "$status" -eq 125 ]
        run box commit --pause=maybe k3
        [ "$status" -eq 125 ]
}

@test "diff: added, changed and deleted paths, sorted, as docker diff lists them" {
        box run --name df1 --network none busybox sh -c \
                'mkdir -p /tmp/a/b; echo x > /tmp/a/b/f; rm /bin/ls; echo y >> /etc/passwd;
                 rm -rf /home; ln -s /etc/shadow /tmp/l; ln -s / /tmp/up'
        run box diff df1
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '%s\n' 'C /bin' 'D /bin/ls' 'C /etc' 'C /etc/passwd' 'D /home' \
                'C /tmp' 'A /tmp/a' 'A /tmp/a/b' 'A /tmp/a/b/f' 'A /tmp/l' 'A /tmp/up')" ]
        # the same under `container diff`; a container that changed nothing
        [ "$(box container diff df1)" = "$output" ]
        # podman's --format json, its tests' form (jq reads .added[] ...)
        run box diff --format json df1
        [ "$status" -eq 0 ]
        [ "$(jq -c .deleted <<<"$output")" = '["/bin/ls","/home"]' ]
        [ "$(jq -c .added <<<"$output")" = '["/tmp/a","/tmp/a/b","/tmp/a/b/f","/tmp/l","/tmp/up"]' ]
        [ "$(jq -c .changed <<<"$output")" = '["/bin","/etc","/etc/passwd","/tmp"]' ]
        run box diff --format '{{.Path}}' df1
        [ "$status" -eq 125 ]
        box create --name df2 busybox true >/dev/null
        run box diff df2
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        [ "$(box diff --format json df2)" = '{"added":[],"changed":[],"deleted":[]}' ]
        run box diff nope
        [ "$status" -ne 0 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"no such container: 'nope'"* ]]
        run box diff
        [ "$status" -eq 125 ]
        [[ "$output" == *"requires exactly 1 argument"* ]]
}

@test "diff and commit: the mount points box makes in an image lacking /etc, /proc, /sys, /dev are no change" {
        mkdir -p "$BOX_TEST_TMP/mini/bin"
        tar -xf "$BUSYBOX_TAR" -C "$BOX_TEST_TMP/mini" ./bin/busybox
        ln -s busybox "$BOX_TEST_TMP/mini/bin/sh"
        tar -C "$BOX_TEST_TMP/mini" -cf "$BOX_TEST_TMP/mini.tar" .
        box import "$BOX_TEST_TMP/mini.tar" mini >/dev/null
        run box run --name mp1 --network none mini /bin/busybox sh -c \
                'echo hi > /x; /bin/busybox cat /etc/hosts /proc/self/status >/dev/null && echo mounted'
        [ "$status" -eq 0 ]
        [ "$output" = mounted ]
        [ "$(box diff mp1)" = "A /x" ]
        # Docker's commit of such a container holds only /x: so does box's
        box commit mp1 mini2 >/dev/null
        box save -o "$BOX_TEST_TMP/m2.tar" mini2
        mkdir "$BOX_TEST_TMP/m2"
        tar -xf "$BOX_TEST_TMP/m2.tar" -C "$BOX_TEST_TMP/m2"
        top=$(sed 's/.*"Layers":\[.*"\(blobs[^"]*\)"\]}\]$/\1/' "$BOX_TEST_TMP/m2/manifest.json")
        [ "$(tar -tzf "$BOX_TEST_TMP/m2/$top" 2>/dev/null || tar -tf "$BOX_TEST_TMP/m2/$top")" = x ]
        # and /etc written to by a container is its change, mount points not
        box run --name mp2 --network none mini /bin/busybox sh -c 'echo v > /etc/mine'
        [ "$(box diff mp2)" = "$(printf 'C /etc\nA /etc/mine')" ]
}

@test "Docker's command aliases: image save/load/pull/push/build/import, container exec/cp/commit/export/port/diff, history" {
        run box image save busybox -o "$BOX_TEST_TMP/b.tar"
        [ "$status" -eq 0 ]
        run box image load -i "$BOX_TEST_TMP/b.tar"
        [ "$status" -eq 0 ]
        [[ "$output" == *"busybox"* ]]
        [ "$(box history -q busybox | wc -l)" -ge 1 ]
        start_bg al1 -- sleep 100
        [ "$(box container exec al1 echo in)" = in ]
        box container cp "$BUSYBOX_TAR" al1:/copied.tar
        box container exec al1 test -s /copied.tar
        box container commit al1 al1img >/dev/null
        box container export al1 | tar -t | grep -qx copied.tar
        run box container port al1
        [ "$status" -eq 0 ]
        for c in "image build" "image import" "image pull" "image push" "container diff"; do
                run box $c --help
                [ "$status" -eq 0 ]
                [[ "$output" == Usage:* ]]
        done
}
