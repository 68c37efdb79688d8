#!/usr/bin/env bats
# box run: bind mounts, named and anonymous volumes, --mount, --tmpfs, and
# box volume create/ls/inspect/rm/prune.
load run-helpers

setup() { run_setup; }
teardown() { run_teardown; }

@test "storage: -v HOST:CTR binds a host directory, writable; :ro read-only" {
        mkdir "$BOX_TEST_TMP/data"
        echo host >"$BOX_TEST_TMP/data/in"
        run box run --rm -v "$BOX_TEST_TMP/data:/data" busybox sh -c 'cat /data/in; echo ctr > /data/out'
        [ "$output" = "host" ]
        [ "$(cat "$BOX_TEST_TMP/data/out")" = "ctr" ]
        run box run --rm -v "$BOX_TEST_TMP/data:/data:ro" busybox touch /data/x
        [ "$status" -ne 0 ]
        [[ "$output" == *"Read-only file system"* ]]
        run box run --rm -v "$BOX_TEST_TMP/data:/data:ro,z" busybox cat /data/in
        [ "$output" = "host" ]
}

@test "storage: -v creates a missing host directory; a file can be bound" {
        run box run --rm -v "$BOX_TEST_TMP/new/dir:/d" busybox sh -c 'echo x > /d/f'
        [ "$status" -eq 0 ]
        [ -f "$BOX_TEST_TMP/new/dir/f" ]
        echo content >"$BOX_TEST_TMP/file"
        run box run --rm -v "$BOX_TEST_TMP/file:/etc/motd:ro" busybox cat /etc/motd
        [ "$output" = "content" ]
}

@test "storage: bad -v specs are 125" {
        run box run --rm -v relative:dir busybox true
        [ "$status" -eq 125 ]
        run box run --rm -v /a:/b:bogus busybox true
        [ "$status" -eq 125 ]
        run box run --rm -v ./rel:/b busybox true
        [ "$status" -eq 125 ]
}

@test "storage: a named volume persists across containers" {
        run box run --rm -v vol1:/data busybox sh -c 'echo persisted > /data/f'
        [ "$status" -eq 0 ]
        run box run --rm -v vol1:/data busybox cat /data/f
        [ "$output" = "persisted" ]
        [ -f "$BOX_ROOT/volumes/vol1/_data/f" ]
        run box volume ls -q
        [ "$output" = "vol1" ]
}

@test "storage: a new volume gets the image's content at its path" {
        run box run --rm -v etcvol:/etc busybox true
        [ "$status" -eq 0 ]
        run box run --rm -v etcvol:/mnt busybox cat /mnt/passwd
        [[ "$output" == *"tester:x:1000"* ]]
        # a volume with content is not overwritten
        run box run --rm -v etcvol:/home busybox ls /home
        [[ "$output" == *"passwd"* ]]
}

@test "storage: image VOLUMEs become anonymous volumes, removed with --rm" {
        import_with volimg 'VOLUME /home'
        run box run --rm volimg sh -c 'ls /home; mount | grep -c " /home "'
        [[ "${lines[0]}" == "tester" ]]
        [ "${lines[1]}" = "1" ]
        run box volume ls -q
        [ "$output" = "" ]
        run box run --name keep volimg true
        [ "$(box volume ls -q | wc -l)" -eq 1 ]
        run box rm -v keep
        [ "$(box volume ls -q | wc -l)" -eq 0 ]
}

@test "storage: --mount type=bind|volume|tmpfs" {
        mkdir "$BOX_TEST_TMP/m"
        run box run --rm --mount "type=bind,source=$BOX_TEST_TMP/m,target=/m" busybox touch /m/x
        [ -f "$BOX_TEST_TMP/m/x" ]
        run box run --rm --mount "type=bind,src=$BOX_TEST_TMP/m,dst=/m,readonly" busybox touch /m/y
        [ "$status" -ne 0 ]
        run box run --rm --mount "type=bind,source=$BOX_TEST_TMP/nope,target=/m" busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"bind source path does not exist"* ]]
        run box run --rm --mount type=volume,source=mv,target=/v busybox sh -c 'echo 1 > /v/f'
        run box run --rm --mount type=volume,source=mv,target=/v busybox cat /v/f
        [ "$output" = "1" ]
        run box run --rm --mount type=tmpfs,target=/t,tmpfs-size=1m busybox sh -c 'mount | grep " /t "'
        [[ "$output" == *"tmpfs on /t type tmpfs"*"size=1024k"* ]]
        run box run --rm --mount type=nope,target=/t busybox true
        [ "$status" -eq 125 ]
}

@test "storage: --tmpfs with options" {
        run box run --rm --tmpfs /run:rw,size=2m,mode=700 busybox sh -c 'mount | grep " /run "'
        [[ "$output" == *"tmpfs on /run type tmpfs (rw,nosuid,nodev,noexec"*"size=2048k"*"mode=700"* ]]
        run box run --rm --tmpfs /run:exec busybox sh -c 'mount | grep " /run "'
        [[ "$output" != *"noexec"* ]]
}

@test "storage: box volume create, inspect, rm, prune" {
        run box volume create named1
        [ "$output" = "named1" ]
        run box volume create --label a=b
        [[ "$output" =~ ^[0-9a-f]{64}$ ]]
        local anon=$output
        run box volume inspect named1
        [ "$status" -eq 0 ]
        [[ "$output" == *'"Name": "named1"'* ]]
        [[ "$output" == *'"Driver": "local"'* ]]
        [[ "$output" == *"\"Mountpoint\": \"$BOX_ROOT/volumes/named1/_data\""* ]]
        run box volume inspect nosuch
        [ "$status" -ne 0 ]
        run box volume ls
        [[ "${lines[0]}" == "DRIVER"*"VOLUME NAME" ]]
        [ "${#lines[@]}" -eq 3 ]
        run box volume rm named1
        [ "$output" = "named1" ]
        run box volume rm named1
        [ "$status" -ne 0 ]
        [[ "$output" == *"no such volume"* ]]
        run box volume prune -f -a
        [[ "$output" == *"$anon"* ]]
        [ "$(box volume ls -q | wc -l)" -eq 0 ]
}

@test "storage: volume ls --format and --filter (dangling, name, label), volume inspect -f, as Docker's" {
        box volume create --label env=prod vprod >/dev/null
        box volume create vfree >/dev/null
        box run --name vuser -v vprod:/data busybox true
        [ "$(box volume ls -q --filter dangling=true)" = vfree ]
        [ "$(box volume ls -q --filter dangling=false)" = vprod ]
        [ "$(box volume ls --filter label=env=prod --format '{{.Name}} {{.Labels}} {{.Driver}}')" = \
                "vprod env=prod local" ]
        [ "$(box volume ls -q --filter label=env)" = vprod ]
        [ "$(box volume ls -q --filter name=free)" = vfree ]
        [ "$(box volume ls --filter name=vprod --format '{{.Mountpoint}}')" = "$BOX_ROOT/volumes/vprod/_data" ]
        box volume ls --format json | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'
        run box volume ls --format 'table {{.Name}}\t{{.Scope}}'
        [[ "${lines[0]}" =~ ^VOLUME\ NAME\ +SCOPE$ ]]
        run box volume ls --filter dangling=maybe
        [ "$status" -eq 125 ]
        run box volume ls --filter colour=red
        [ "$status" -eq 125 ]
        [ "$(box volume inspect -f '{{.Name}}={{index .Labels "env"}}' vprod vfree)" = \
                "$(printf 'vprod=prod\nvfree=<no value>')" ]
        run box volume inspect --format '{{.Nope' vprod
        [ "$status" -eq 125 ]
        box rm vuser >/dev/null
}

@test "storage: a volume in use is not removed without -f" {
        box run --name user1 -v busy:/b busybox true
        run box volume rm busy
        [ "$status" -ne 0 ]
        [[ "$output" == *"volume is in use"* ]]
        run box volume prune -a -f
        [[ "$output" != *"busy"* ]]
        box rm user1
        run box volume rm busy
        [ "$status" -eq 0 ]
}

@test "storage: volume create -o, Docker's local driver: tmpfs and bind volumes, mounted on use, unmounted by rm" {
        box volume create -o type=tmpfs -o device=tmpfs -o o=size=10m,uid=1000 tv
        [ "$(box volume inspect -f '{{.Options.type}} {{.Options.o}}' tv)" = "tmpfs size=10m,uid=1000" ]
        run box run --rm -v tv:/d busybox sh -c 'grep " /d " /proc/mounts; stat -c %u /d; echo x > /d/f'
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "tmpfs /d tmpfs "*"size=10240k"* ]]
        [ "${lines[1]}" = 1000 ]
        # shared by the next container: one mount from its first use on
        [ "$(box run --rm -v tv:/d busybox cat /d/f)" = x ]
        grep -q " $BOX_ROOT/volumes/tv/_data tmpfs " /proc/self/mounts
        # a reboot's loss of the mount: box start mounts it again
        box create --name tvc -v tv:/d busybox sh -c 'grep -c " /d tmpfs " /proc/mounts'
        umount "$BOX_ROOT/volumes/tv/_data"
        [ "$(box start -a tvc)" = 1 ]
        box rm tvc
        box volume rm tv
        ! grep -q "$BOX_ROOT/volumes/tv" /proc/self/mounts
        # a bind of a host directory (compose's driver_opts); rm leaves the host's files
        mkdir "$BOX_TEST_TMP/src"
        echo hi > "$BOX_TEST_TMP/src/f"
        box volume create --opt type=none --opt o=bind,ro --opt device="$BOX_TEST_TMP/src" bv
        run box run --rm -v bv:/d busybox sh -c 'cat /d/f; touch /d/g'
        [ "${lines[0]}" = hi ]
        [[ "$output" == *"Read-only file system"* ]]
        box volume rm bv
        [ "$(cat "$BOX_TEST_TMP/src/f")" = hi ]
        ! grep -q "$BOX_ROOT/volumes/bv" /proc/self/mounts
        # --mount's volume-opt and volume-label make the volume; a quoted field keeps its commas
        run box run --rm --mount 'type=volume,src=mv,dst=/d,"volume-opt=o=size=5m,mode=0700",volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-label=team=db' \
                busybox grep " /d " /proc/mounts
        [[ "$output" == "tmpfs /d tmpfs "*"size=5120k,mode=700"* ]]
        [ "$(box volume inspect -f '{{.Labels.team}} {{.Options.o}}' mv)" = "db size=5m,mode=0700" ]
        box volume rm mv
        # Docker's refusals, one line each, 125, nothing made
        for o in "size=1g|quota size requested but no quota support" "foo=bar|invalid option: 'foo'" \
                "type=tmpfs|missing required option: 'device'" "device=x|missing required option: 'type'" \
                "o=ro|missing required option: 'device'"; do
                run box volume create -o "${o%%|*}" bad
                [ "$status" -eq 125 ]
                [ "$output" = "box: error: ${o#*|}" ]
        done
        # podman's type=bind; a bind's device must be there
        run box volume create -o type=bind -o device=/nonexistent bad
        [ "$status" -eq 125 ]
        [[ "$output" == "box: error: invalid volume option device '/nonexistent': "* ]]
        run box volume create -o type=none -o o=bind -o device=relative bad
        [ "$status" -eq 125 ]
        box volume create -o type=bind -o device="$BOX_TEST_TMP/src" pb
        [ "$(box run --rm -v pb:/d busybox cat /d/f)" = hi ]
        box volume rm pb
        [ -z "$(box volume ls -q)" ]
        # a device that cannot be mounted is the run's error, not an empty volume
        box volume create -o type=ext4 -o device=/nonexistent broken
        run box run --rm -v broken:/d busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"volume 'broken': mount '/nonexistent'"* ]]
        box volume rm broken
}
