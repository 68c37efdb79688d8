#!/usr/bin/env bats
# box run: container ids, names, the state dir, --rm and box rm.
load run-helpers

setup() { run_setup; }
teardown() { run_teardown; }

containers() { ls "$BOX_ROOT/containers"; }

@test "lifecycle: a container has a 64-hex id and a state dir" {
        run box run --name c1 busybox true
        [ "$status" -eq 0 ]
        id=$(containers)
        [[ "$id" =~ ^[0-9a-f]{64}$ ]]
        for f in config.json state hostname hosts resolv.conf image upper work; do
                [ -e "$BOX_ROOT/containers/$id/$f" ]
        done
        grep -q '"status": "exited"' "$BOX_ROOT/containers/$id/state"
        grep -q '"exit_code": 0' "$BOX_ROOT/containers/$id/state"
        grep -q '"Name": "c1"' "$BOX_ROOT/containers/$id/config.json"
        [ "$(readlink "$BOX_ROOT/containers/.names/c1")" = "$id" ]
}

@test "lifecycle: --rm removes everything, also on failure" {
        run box run --rm --name gone busybox sh -c 'echo x > /file'
        [ "$status" -eq 0 ]
        [ -z "$(containers)" ]
        [ ! -e "$BOX_ROOT/containers/.names/gone" ]
        run box run --rm -u nosuchuser busybox true
        [ "$status" -eq 125 ]
        run -127 box run --rm busybox nosuchcmd
        [ -z "$(containers)" ]
        run box run --rm --name gone busybox true
        [ "$status" -eq 0 ]
}

@test "lifecycle: no mount and no cgroup left after --rm or a failure" {
        box run --rm -v "$BOX_TEST_TMP:/host" --tmpfs /t busybox true
        run -127 box run --rm busybox nosuchcmd
        box run --name kept busybox true
        ! grep -q "$BOX_ROOT" /proc/self/mountinfo || false
        [ -z "$(leftover_cgroups)" ]
        short=$(box run --rm --cpus 0.5 busybox hostname)
        ! ls -d /sys/fs/cgroup/*/box/"$short"* 2>/dev/null || false
}

@test "lifecycle: --name clash is 125; bad names are 125" {
        box run --name dup busybox true
        run box run --name dup busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"is already in use"* ]]
        run box run --name 'bad name' busybox true
        [ "$status" -eq 125 ]
        run box run --name _under busybox true
        [ "$status" -eq 125 ]
        run box run --name ok.name_1-2 --rm busybox true
        [ "$status" -eq 0 ]
}

@test "lifecycle: box rm by name, id and id prefix" {
        box run --name r1 busybox true
        box run --name r2 busybox true
        box run --name r3 busybox true
        id2=$(readlink "$BOX_ROOT/containers/.names/r2")
        id3=$(readlink "$BOX_ROOT/containers/.names/r3")
        run box rm r1 "$id2" "${id3:0:12}"
        [ "$status" -eq 0 ]
        [ -z "$(containers)" ]
        run box rm nosuch
        [ "$status" -ne 0 ]
        [[ "$output" == *"no such container: 'nosuch'"* ]]
        # the name is free again
        box run --rm --name r1 busybox true
        # Docker's rm -f: a container that is not there is no failure (the
        # message still on stderr), the others are removed
        box create --name r4 busybox true
        run --separate-stderr box rm -f nosuch r4
        [ "$status" -eq 0 ]
        [ "$output" = r4 ]
        [[ "$stderr" == *"no such container: 'nosuch'"* ]]
        [ -z "$(containers)" ]
}

@test "lifecycle: box rm refuses a running container; -f kills it" {
        "$BOX" run --name busy busybox sleep 30 &
        local pid=$!
        for i in $(seq 300); do
                grep -qs '"status": "running"' "$BOX_ROOT"/containers/*/state && break
                sleep 0.1
        done
        run box rm busy
        [ "$status" -ne 0 ]
        [[ "$output" == *"container is running"* ]]
        run box rm -f busy
        [ "$status" -eq 0 ]
        wait $pid || true
        [ -z "$(containers)" ]
        [ -z "$(leftover_cgroups)" ]
}

@test "lifecycle: box's mount points leave the image's /etc and the upper dir alone" {
        box run --name mp busybox sh -c 'cat /etc/hostname >/dev/null; ls /etc'
        id=$(readlink "$BOX_ROOT/containers/.names/mp")
        [ -z "$(ls "$BOX_ROOT/containers/$id/upper")" ]
        # an image whose /etc is not a plain directory gets them the usual way
        mkdir -p "$BOX_TEST_TMP/r/real-etc"
        tar -C "$BOX_TEST_TMP/r" -xf "$BUSYBOX_TAR" ./bin
        ln -s real-etc "$BOX_TEST_TMP/r/etc"
        tar -C "$BOX_TEST_TMP/r" -cf "$BOX_TEST_TMP/r.tar" .
        box import "$BOX_TEST_TMP/r.tar" linketc >/dev/null
        run box run --rm linketc sh -c 'cat /etc/hostname; ls /real-etc'
        [ "$status" -eq 0 ]
        [[ "${lines[1]}" == *"hostname"* ]]
}

@test "lifecycle: a container whose maker died before its config is listed Dead by ps -a, and rm frees its name" {
        # what a box killed between taking the name and writing the config leaves
        id=$(printf 'd%.0s' $(seq 64))
        mkdir -p "$BOX_ROOT/containers/$id/upper" "$BOX_ROOT/containers/.names"
        printf husk > "$BOX_ROOT/containers/$id/name"
        ln -s "$id" "$BOX_ROOT/containers/.names/husk"
        run box ps -a
        [ "$status" -eq 0 ]
        [[ "${lines[1]}" =~ ^dddddddddddd\ .*Dead\ .*husk$ ]]
        [ -z "$(box ps -q)" ]
        run box run --rm --network none --name husk busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"is already in use"* ]]
        box rm husk
        [ -z "$(box ps -aq)" ]
        box run --rm --network none --name husk busybox true
}

@test "lifecycle: inspect takes containers and images in one call, each on its own, as docker inspect" {
        box create --name ins busybox true >/dev/null
        cid=$(box inspect -f '{{.Id}}' ins)
        iid=$(box image inspect -f '{{.Id}}' busybox)
        # an image first no longer sends the container to image inspect
        run --separate-stderr box inspect -f '{{.Id}}' busybox ins
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "$iid" ]
        [ "${lines[1]}" = "$cid" ]
        # what is neither: Docker's "no such object", status 1, the rest still shown
        run --separate-stderr box inspect -f '{{.Id}}' ins nosuch busybox
        [ "$status" -eq 1 ]
        [ "${lines[*]}" = "$cid $iid" ]
        [ "$stderr" = "box: error: no such object: 'nosuch'" ]
        # one line whatever the name holds: its newline and escape are escaped
        run --separate-stderr box inspect $'no\nsuch\e[31m'
        [ "$status" -eq 1 ]
        [ "$stderr" = "box: error: no such object: 'no\\nsuch\\x1b[31m'" ]
        run --separate-stderr box $'nosuch\ncmd'
        [ "$status" -eq 125 ]
        [ "${stderr_lines[0]}" = "box: error: unknown command 'nosuch\\ncmd'" ]
        run --separate-stderr box inspect nosuch
        [ "$status" -eq 1 ]
        [ "$output" = "[]" ]
        # --type keeps to its kind
        run box inspect --type image ins
        [ "$status" -ne 0 ]
        [[ "$output" == *"no such image: 'ins'"* ]]
        run box inspect --type container busybox
        [ "$status" -ne 0 ]
        [[ "$output" == *"no such container: 'busybox'"* ]]
}

@test "podman's container/volume/network exists: 0 or 1; Docker's list aliases of ls" {
        box create --name ex1 busybox true >/dev/null
        box container exists ex1
        run box container exists nope
        [ "$status" -eq 1 ]
        [ -z "$output" ]
        run box container exists
        [ "$status" -eq 125 ]
        [[ "$(box container list -a --format '{{.Names}}')" == *ex1* ]]
        box volume create exv >/dev/null
        box volume exists exv
        run box volume exists nope
        [ "$status" -eq 1 ]
        [ "$(box volume list -q)" = exv ]
        box volume rm exv >/dev/null
        run box volume exists exv
        [ "$status" -eq 1 ]
        run box network exists nope
        [ "$status" -eq 1 ]
        box network exists none
        [[ "$(box network list --format '{{.Name}}')" == *none* ]]
        box rm ex1 >/dev/null
        run box container exists ex1
        [ "$status" -eq 1 ]
}
