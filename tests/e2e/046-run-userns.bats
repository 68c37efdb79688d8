#!/usr/bin/env bats
# box run --uidmap/--gidmap: a user namespace with a fixed map; the image
# is seen through idmapped mounts, so its files belong to the container's
# root while everything it writes belongs to the mapped host ids.
load run-helpers

setup() { run_setup; }
teardown() { run_teardown; }

MAP=0:100000:65536

@test "userns: root in the container is uid 100000 on the host" {
        run box run --rm --uidmap $MAP busybox sh -c 'id -u; cat /proc/self/uid_map /proc/self/gid_map'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "0" ]
        [[ "${lines[1]}" =~ ^\ +0\ +100000\ +65536$ ]]
        [[ "${lines[2]}" =~ ^\ +0\ +100000\ +65536$ ]]
}

@test "userns: image files belong to the container's root; writes to the mapped host id" {
        run box run --name u1 --uidmap $MAP busybox sh -c 'stat -c "%u:%g" /etc/passwd; echo x > /etc/new; chown 1000:1000 /etc/new; stat -c "%u:%g" /etc/new'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "0:0" ]
        [ "${lines[1]}" = "1000:1000" ]
        id=$(readlink "$BOX_ROOT/containers/.names/u1")
        [ "$(stat -c %u:%g "$BOX_ROOT/containers/$id/upper/etc/new")" = "101000:101000" ]
        box rm u1
}

@test "userns: -u names resolve, capabilities stay within the namespace" {
        run box run --rm --uidmap $MAP -u tester busybox id
        [ "$output" = "uid=1000(tester) gid=1000(tester) groups=10(wheel),100(users),1000(tester)" ]
        # CAP_SYS_ADMIN in a user namespace still cannot touch host-owned files
        run box run --rm --uidmap $MAP --cap-add SYS_ADMIN busybox sh -c 'cat /proc/1/status | grep CapEff'
        [ "$status" -eq 0 ]
}

@test "userns: a named volume is owned by the mapped root and persists" {
        run box run --rm --uidmap $MAP -v uvol:/data busybox sh -c 'echo hi > /data/f; stat -c %u /data/f'
        [ "$output" = "0" ]
        [ "$(stat -c %u "$BOX_ROOT/volumes/uvol/_data/f")" = "100000" ]
        run box run --rm --uidmap $MAP -v uvol:/data busybox cat /data/f
        [ "$output" = "hi" ]
}

@test "userns: --rootfs, -t, --read-only and --network none work in a user namespace" {
        mkdir "$BOX_TEST_TMP/root"
        tar -C "$BOX_TEST_TMP/root" -xf "$BUSYBOX_TAR"
        run box run --rm --uidmap $MAP --rootfs "$BOX_TEST_TMP/root" stat -c %u /bin/busybox
        [ "$output" = "0" ]
        run box run --rm --uidmap $MAP -t --read-only --network none busybox sh -c 'tty; ip -o link | wc -l; touch /x'
        [[ "${lines[0]}" == "/dev/pts/0"* ]]
        [[ "${lines[1]}" == "1"* ]]
        [[ "$output" == *"Read-only file system"* ]]
}

@test "userns: bad maps are 125" {
        run box run --rm --uidmap 1:100000:10 busybox true
        [ "$status" -eq 125 ]
        [[ "$output" == *"root"* ]]
        run box run --rm --uidmap nope busybox true
        [ "$status" -eq 125 ]
        run box run --rm --gidmap 0:1:1 busybox true
        [ "$status" -eq 125 ]
        run box run --rm --userns auto busybox true
        [ "$status" -eq 125 ]
}
